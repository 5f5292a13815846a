"""`gridgov scheduler`: put the periodic jobs on the task queue at a fixed cadence.

An alternative to cron for deployments that would rather run one more long-lived process next
to `gridgov worker`: it only enqueues (through the django-tasks API), the worker runs the jobs.
Ticks are aligned to the clock (every 5 minutes means :00, :05, …; daily jobs at a fixed
Asia/Shanghai time), so two schedulers tick together. That is harmless: every job is
idempotent (the SLA sweep locks and re-checks each case, auto-close and the reminders skip
what is done, a notification is sent only by the worker that claims it).
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("gridgov.scheduler")

SHANGHAI = ZoneInfo("Asia/Shanghai")
# However far the next job is, look at the clock again after this long (a suspended laptop,
# an NTP step): a late tick runs at once, it is never skipped.
MAX_SLEEP = 60.0


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django_tasks task
    label: str
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None  # Asia/Shanghai wall-clock time

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first tick strictly after `moment`."""
        if self.every is not None:
            step = self.every.total_seconds()
            tick = (moment.timestamp() // step + 1) * step
            return dt.datetime.fromtimestamp(tick, tz=dt.UTC)
        assert self.daily_at is not None
        local = moment.astimezone(SHANGHAI)
        candidate = dt.datetime.combine(local.date(), self.daily_at, tzinfo=SHANGHAI)
        if candidate <= local:
            candidate = dt.datetime.combine(
                local.date() + dt.timedelta(days=1), self.daily_at, tzinfo=SHANGHAI
            )
        return candidate

    @property
    def cadence(self) -> str:
        if self.every is not None:
            minutes = int(self.every.total_seconds() // 60)
            return "每分钟" if minutes == 1 else f"每{minutes}分钟"
        assert self.daily_at is not None
        return f"每天{self.daily_at:%H:%M}（北京时间）"


JOBS: tuple[Job, ...] = (
    Job(
        "sla_sweep",
        "gridgov.cases.tasks.sla_sweep_task",
        "事件超时扫描：超时事件自动上报一级、列入督办",
        every=dt.timedelta(minutes=5),
    ),
    Job(
        "order_sweep",
        "gridgov.services.tasks.order_sweep_task",
        "服务订单超时扫描：到期无人接单提醒队长，超过时段转社区",
        every=dt.timedelta(minutes=5),
    ),
    Job(
        "care_duty_sweep",
        "gridgov.care.tasks.duty_sweep_task",
        "结对帮扶事项逾期扫描：逾期告知网格员，逾期一周告知社区",
        daily_at=dt.time(7, 30),
    ),
    Job(
        "notice_publish",
        "gridgov.bulletin.tasks.publish_due_task",
        "定时发布的通知到点发布并推送到群机器人",
        every=dt.timedelta(minutes=5),
    ),
    Job(
        "activity_reminders",
        "gridgov.activities.tasks.remind_tomorrow_task",
        "活动前一天提醒已报名的居民",
        daily_at=dt.time(18, 0),
    ),
    Job(
        "notify_retry",
        "gridgov.notifications.tasks.retry_due_outbound",
        "外发通知（短信、群机器人）到期重试",
        every=dt.timedelta(minutes=1),
    ),
    Job(
        "close_unrated",
        "gridgov.cases.tasks.close_unrated_task",
        "办结后多日未评价的事件自动关闭",
        daily_at=dt.time(2, 30),
    ),
    Job(
        "floating_reminders",
        "gridgov.people.tasks.floating_reminders_task",
        "流动人口居住期限到期提醒",
        daily_at=dt.time(8, 0),
    ),
    Job(
        "expire_uploads",
        "gridgov.transfer.tasks.expire_uploads",
        "删除超时未确认的导入文件（含身份证号，保留 GRIDGOV_IMPORT_KEEP_HOURS 小时）",
        every=dt.timedelta(hours=1),
    ),
    Job(
        "prune_login_guards",
        "gridgov.accounts.tasks.prune_login_guards",
        "清理一周无失败的登录失败计数（锁定中的保留）",
        daily_at=dt.time(3, 15),
    ),
)


def _fresh_connections() -> None:
    """Drop connections the server closed or CONN_MAX_AGE retired, as a request would: this
    process lives for months. Never one inside a transaction (a caller's, or a test's)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


class Command(BaseCommand):
    help = (
        "定期任务调度器（可替代 cron）：按固定周期把定期任务放进任务队列，由 gridgov worker 执行——"
        "事件超时扫描每5分钟、外发通知重试每分钟、未评价事件自动关闭每天02:30、"
        "流动人口到期提醒每天08:00（北京时间）、超时未确认的导入文件每小时删除。--once 把每个任务各排队一次后退出（供 cron 和测试使用）。"
        "这些任务都是幂等的，同时运行多个调度器不会造成重复处理；收到 SIGTERM 或 Ctrl+C 后干净退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="每个任务各排队一次后退出")
        parser.add_argument(
            "--job",
            action="append",
            default=[],
            metavar="NAME",
            help=f"只调度这些任务（可重复）：{'、'.join(job.name for job in JOBS)}",
        )

    def handle(self, *args: Any, once: bool, job: list[str], **options: Any) -> None:
        jobs = self._select(job)
        if once:
            for entry in jobs:
                self._enqueue(entry)
            return
        self._loop(jobs)

    def _select(self, names: Sequence[str]) -> list[Job]:
        if not names:
            return list(JOBS)
        known = {job.name: job for job in JOBS}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise CommandError(f"没有这个任务：{'、'.join(unknown)}（可选：{'、'.join(known)}）")
        return [known[name] for name in dict.fromkeys(names)]

    def _say(self, message: str) -> None:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        self.stdout.write(f"{stamp} {message}")
        self.stdout.flush()

    def _enqueue(self, job: Job) -> None:
        _fresh_connections()
        try:
            result = import_string(job.task).enqueue()
        except Exception as exc:  # the next tick tries again; one bad moment must not end the loop
            logger.exception("scheduler could not enqueue %s", job.name)
            self.stderr.write(f"{job.name} 排队失败：{exc}")
            return
        status = str(getattr(result.status, "value", result.status))
        detail = ""
        if status == "SUCCESSFUL":  # a backend that runs tasks in place (immediate) has the result
            detail = f"，已执行，结果：{result.return_value}"
        elif status == "FAILED":
            detail = "，执行失败：" + "; ".join(error.exception_class_path for error in result.errors)
        self._say(f"已排队 {job.name}（{job.label}），任务 {result.id}{detail}")

    def _loop(self, jobs: list[Job]) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            now = timezone.now()
            # Frequent jobs start at once; daily ones wait for their time (cron-like).
            due = {job.name: now if job.every is not None else job.next_after(now) for job in jobs}
            self._say(
                "调度器已启动："
                + "；".join(
                    f"{job.name} {job.cadence}，下次 {timezone.localtime(due[job.name]):%m-%d %H:%M}"
                    for job in jobs
                )
            )
            while not stop.is_set():
                now = timezone.now()
                for job in jobs:
                    if due[job.name] <= now and not stop.is_set():
                        self._enqueue(job)
                        due[job.name] = job.next_after(now)
                pause = (min(due.values()) - timezone.now()).total_seconds()
                stop.wait(min(max(pause, 0.05), MAX_SLEEP))
            self._say("收到停止信号，调度器已停止")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
