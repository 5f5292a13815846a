"""`gridgov calendar`: enter, show and check the State Council's holiday schedule for a year."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.scope import SYSTEM
from gridgov.core import calendar, services
from gridgov.core.errors import error_items
from gridgov.core.models import CalendarDay, DayKind

FILE_MAX_BYTES = 256 * 1024  # a year's schedule is a few hundred bytes
PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
EXAMPLE = """{"year": 2027,
 "holidays": [{"name": "元旦", "first": "2027-01-01", "last": "2027-01-03"}, ...],
 "workdays": [{"name": "春节", "date": "2027-02-07"}, ...]}"""


class Command(BaseCommand):
    help = (
        "节假日安排：import --year 年份 --file 安排.json（或 --from-package）录入一年的放假和调休上班，"
        "show --year 年份 列出，check 检查今年和明年是否已录入"
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        entry = sub.add_parser("import", help="用一年的完整安排替换该年已登记的日子")
        entry.add_argument("--year", type=int, required=True)
        source = entry.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", help="JSON 文件，格式：" + EXAMPLE)
        source.add_argument(
            "--from-package", action="store_true", help="取已安装的 chinese-calendar 包里该年的安排"
        )
        show = sub.add_parser("show", help="列出一年已登记的日子")
        show.add_argument("--year", type=int, required=True)
        sub.add_parser("check", help="今年（10月起还有明年）没有录入时报错退出")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "import":
            self._import(options["year"], options["file"], options["from_package"])
        elif action == "show":
            self._show(options["year"])
        else:
            missing = calendar.missing_years()
            if missing:
                years = "、".join(f"{year}年" for year in missing)
                raise CommandError(f"尚未录入{years}的法定节假日安排，按工作日计算的时限将只按周一至周五计算")
            self.stdout.write("今年和需要提前录入的年份都已有节假日安排")

    def _import(self, year: int, file: str | None, from_package: bool) -> None:
        if from_package:
            holidays, workdays = _from_package(year)
        else:
            holidays, workdays = _from_file(Path(file or ""), year)
        try:
            result = services.calendar_year_replace(by=SYSTEM, year=year, holidays=holidays, workdays=workdays)
        except ValidationError as exc:
            raise CommandError("；".join(item["message"] for item in error_items(exc))) from None
        counts = CalendarDay.objects.filter(date__year=year)
        self.stdout.write(
            f"{year}年：放假 {counts.filter(kind=DayKind.HOLIDAY).count()} 天（工作日），"
            f"调休上班 {counts.filter(kind=DayKind.WORKDAY).count()} 天；"
            f"本次写入 {result['written']} 条，删除 {result['removed']} 条"
        )

    def _show(self, year: int) -> None:
        rows = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
        if not rows:
            self.stdout.write(f"{year}年还没有登记，按周一至周五计算")
        for row in rows:
            weekday = services.WEEKDAYS[row.date.weekday()]
            self.stdout.write(f"{row.date:%Y-%m-%d}\t周{weekday}\t{row.get_kind_display()}\t{row.name}")


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CommandError(f"{where}：“{value}”不是有效日期（格式YYYY-MM-DD）") from None


def _from_file(path: Path, year: int) -> tuple[list[tuple[str, dt.date, dt.date]], list[tuple[str, dt.date]]]:
    if not path.is_file():
        raise CommandError(f"找不到文件 {path}")
    if path.stat().st_size > FILE_MAX_BYTES:
        raise CommandError(f"文件超过 {FILE_MAX_BYTES // 1024} KB，不像一年的节假日安排")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path} 不是 UTF-8 编码的 JSON：{exc}") from None
    if not isinstance(data, dict):
        raise CommandError("文件内容须是一个对象，格式：" + EXAMPLE)
    if data.get("year") not in (None, year):
        raise CommandError(f"文件里的年份是 {data.get('year')}，与 --year {year} 不一致")
    holidays, workdays = data.get("holidays") or [], data.get("workdays") or []
    if not isinstance(holidays, list) or not isinstance(workdays, list):
        raise CommandError("holidays 和 workdays 须是列表，格式：" + EXAMPLE)
    periods = []
    for index, item in enumerate(holidays, start=1):
        where = f"holidays 第{index}项"
        if not isinstance(item, dict):
            raise CommandError(f"{where}须是对象，如 {{\"name\": \"元旦\", \"first\": \"...\", \"last\": \"...\"}}")
        first = _date(item.get("first", item.get("date")), where)
        last = _date(item.get("last", item.get("first", item.get("date"))), where)
        periods.append((str(item.get("name") or ""), first, last))
    days = []
    for index, item in enumerate(workdays, start=1):
        where = f"workdays 第{index}项"
        if not isinstance(item, dict):
            raise CommandError(f"{where}须是对象，如 {{\"name\": \"春节\", \"date\": \"...\"}}")
        days.append((str(item.get("name") or ""), _date(item.get("date"), where)))
    return periods, days


def _from_package(year: int) -> tuple[list[tuple[str, dt.date, dt.date]], list[tuple[str, dt.date]]]:
    import chinese_calendar
    from chinese_calendar import constants

    holidays = sorted((day, name) for day, name in constants.holidays.items() if day.year == year)
    if not holidays:
        version = getattr(chinese_calendar, "__version__", "")
        raise CommandError(f"已安装的 chinese-calendar {version} 没有{year}年的安排，请用 --file 录入")
    periods: list[tuple[str, dt.date, dt.date]] = []
    for day, name in holidays:
        zh = PACKAGE_NAMES.get(name, name)
        if periods and periods[-1][0] == zh and periods[-1][2] + dt.timedelta(days=1) == day:
            periods[-1] = (zh, periods[-1][1], day)
        else:
            periods.append((zh, day, day))
    # Only periods with a weekday are stored; a weekend-only one would be refused as redundant.
    periods = [p for p in periods if any(d.weekday() < 5 for d in _days(p[1], p[2]))]
    workdays = sorted(
        (PACKAGE_NAMES.get(name, name), day) for day, name in constants.workdays.items() if day.year == year
    )
    return periods, workdays


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
