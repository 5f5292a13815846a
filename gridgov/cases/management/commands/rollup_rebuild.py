from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import CaseRollup
from gridgov.cases.rollups import rollup_rebuild


class Command(BaseCommand):
    help = "按事件记录重算统计汇总（导入或批量造数之后运行）"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--since", default="", help="只重算这一天所在月份起的汇总，如 2026-01-01（默认全部）"
        )

    def handle(self, *args, since: str = "", **options) -> None:
        try:
            start = dt.date.fromisoformat(since) if since else None
        except ValueError:
            raise CommandError("--since 须为日期，如 2026-01-01") from None
        rows = rollup_rebuild(by=SYSTEM, since=start)
        # The planner's statistics still describe the table before the rebuild (empty, after a
        # first import): the statistics' plans would be made for the wrong number of rows.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(CaseRollup._meta.db_table)}")
        self.stdout.write(f"已重算 {rows} 行日汇总，并更新了汇总表的统计信息")
