from __future__ import annotations

from django.core.management.base import BaseCommand

from gridgov.cases import services
from gridgov.cases.tasks import close_after_days
from gridgov.core import calendar


class Command(BaseCommand):
    help = "事件超时巡检：逐级上报超时事件、标记督办，并关闭办结后逾期未评价的事件"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--close-days", type=int, default=None, help="办结后多少天未评价自动关闭（默认7天）"
        )
        parser.add_argument("--enqueue", action="store_true", help="放入后台任务队列，由 worker 执行")

    def handle(self, *args, close_days: int | None = None, enqueue: bool = False, **options) -> None:
        if enqueue:
            from gridgov.cases.tasks import close_unrated_task, sla_sweep_task

            sla_sweep_task.enqueue()
            close_unrated_task.enqueue(close_days)
            self.stdout.write("已加入后台任务队列")
            return
        missing = calendar.warn_if_missing()
        result = services.sla_sweep()
        closed = services.cases_close_unrated(days=close_days or close_after_days())
        pruned = services.apikey_prune() + services.tracking_guard_prune()
        self.stdout.write(
            f"超时上报 {result.escalated} 件，最高层级督办 {result.flagged} 件，自动关闭 {closed} 件"
            f"（清理限流计数 {pruned} 条）"
        )
        for year in missing:
            self.stderr.write(
                f"尚未录入{year}年的法定节假日安排，按工作日计算的时限将只按周一至周五计算"
                f"（在 /cases/config/?tab=holidays 录入，或 gridgov calendar import --year {year}）"
            )
