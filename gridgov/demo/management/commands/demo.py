"""`gridgov demo`: load the demo community (金泰路社区) with a login for every role."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.demo import builder


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    header = ("账号", "角色", "范围", "事件中做什么")[: len(rows[0]) if rows else 3]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(header)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return lines


class Command(BaseCommand):
    help = "生成演示社区：开福区芙蓉北路街道金泰路社区（8苑81栋约10,500户、约2万居民）、各角色演示账号和近60天的事件"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=float, default=1.0, help="规模比例（默认 1 = 10,496 户；测试可用 0.02）"
        )
        parser.add_argument("--reset", action="store_true", help="删除已有的演示社区和演示账号后重建")
        parser.add_argument(
            "--without-cases",
            action="store_true",
            help="只生成人房信息和账号，不生成事件（默认生成近60天的事件）",
        )
        parser.add_argument("--seed", type=int, default=builder.SEED, help="随机种子（默认固定，结果可复现）")

    def handle(
        self, *args: Any, scale: float, reset: bool, seed: int, without_cases: bool, **options: Any
    ) -> None:
        if not 0 < scale <= 2:
            raise CommandError("--scale 须大于 0 且不超过 2")
        started = time.monotonic()
        if reset:
            if builder.reset_demo():
                self.stdout.write(f"已删除原演示社区和演示账号（{time.monotonic() - started:.1f} 秒）")
            else:
                self.stdout.write("没有找到演示社区，直接生成")
        result = builder.build_demo(
            scale=scale,
            seed=seed,
            log=lambda message: self.stdout.write(f"  {message}"),
            cases=not without_cases,
        )
        elapsed = time.monotonic() - started
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(f"演示社区已生成：{builder.DISTRICT}{builder.STREET}{builder.COMMUNITY}")
            )
        else:
            self.stdout.write(self.style.WARNING("演示社区已存在，未做任何修改（如需重建请加 --reset）"))
        for line in builder.summary_lines(result.counts):
            self.stdout.write(line)
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write("")
        self.stdout.write(f"演示账号（统一密码：{builder.DEMO_PASSWORD}）：")
        rows = [(*row, builder.CASE_DUTIES.get(row[0], "")) for row in result.logins]
        for line in login_table(rows):
            self.stdout.write("  " + line)
        self.stdout.write("")
        self.stdout.write(f"用时 {elapsed:.1f} 秒")
