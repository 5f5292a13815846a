from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gridgov.people.reminders import floating_send_reminders


class Command(BaseCommand):
    help = "提醒网格员：流动人口登记即将到期（每个到期日只提醒一次；可每天由 cron 运行）"

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = floating_send_reminders()
        self.stdout.write(f"已提醒 {reminded} 条即将到期的流动人口登记")
