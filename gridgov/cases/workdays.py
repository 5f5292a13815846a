"""Working-day arithmetic for SLAs, on the Chinese holiday calendar (holidays and make-up days).

The calendar is the table administrators keep (`gridgov.core.calendar`, seeded with the State
Council's schedules to 2026); for a year nobody has entered yet it falls back to Monday–Friday
and logs it, rather than stop handling cases.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gridgov.core import calendar


def is_workday(day: dt.date) -> bool:
    return calendar.is_workday(day)


def calendar_covers(year: int) -> bool:
    return calendar.covers(year)


def add_workdays(start: dt.datetime, days: int) -> dt.datetime:
    """The same local clock time on the `days`-th working day after `start`'s date.

    A report made on a holiday thus gets its full number of working days after the holiday.
    """
    known = calendar.snapshot()
    local = timezone.localtime(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if known.is_workday(day):
            counted += 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def add_sla(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit == "workdays":
        return add_workdays(start, amount)
    return start + dt.timedelta(hours=amount)
