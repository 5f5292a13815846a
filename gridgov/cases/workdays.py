"""Working-day arithmetic for SLAs, on the Chinese holiday calendar (holidays and make-up days).

`chinese-calendar` ships the State Council's schedule year by year; for a year it does not know
yet we fall back to Monday–Friday and log it once, rather than stop handling cases.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

from django.utils import timezone

logger = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _warn_uncovered(year: int) -> None:
    logger.warning("chinese-calendar has no data for %s: counting Monday–Friday as working days", year)


@lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_uncovered(day.year)
        return day.weekday() < 5


def calendar_covers(year: int) -> bool:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def add_workdays(start: dt.datetime, days: int) -> dt.datetime:
    """The same local clock time on the `days`-th working day after `start`'s date.

    A report made on a holiday thus gets its full number of working days after the holiday.
    """
    local = timezone.localtime(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def add_sla(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit == "workdays":
        return add_workdays(start, amount)
    return start + dt.timedelta(hours=amount)
