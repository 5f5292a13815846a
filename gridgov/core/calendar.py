"""The working-day calendar SLAs count on: the CalendarDay table, cached in each process.

The table holds only the exceptions to Monday–Friday (a few hundred rows for twenty years), so
a process keeps all of it in memory. Writes through `gridgov.core.services` drop the cache at
once; edits made by another process are noticed by a cheap check (row count and latest
`updated_at`) at most every GRIDGOV_CALENDAR_CHECK_SECONDS.

A year nobody has entered yet falls back to Monday–Friday, so cases keep their deadlines, and
the log says so once a day per process and year.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from gridgov.core import clock

logger = logging.getLogger(__name__)

# The State Council publishes next year's schedule in October or November; asking for it
# earlier would put up a warning nobody can act on for most of the year.
NEXT_YEAR_FROM_MONTH = 10


@dataclass
class Snapshot:
    """The table as one process last read it: date → is a working day, and the years entered."""

    exceptions: dict[dt.date, bool]
    years: frozenset[int]
    fingerprint: tuple[int, dt.datetime | None]
    checked_at: float

    def is_workday(self, day: dt.date) -> bool:
        found = self.exceptions.get(day)
        if found is not None:
            return found
        if day.year not in self.years:
            _log_once_a_day(
                ("uncovered", day.year),
                "holiday calendar has no data for %s: counting Monday–Friday as working days "
                "(enter the State Council's schedule on /cases/config/?tab=holidays or with "
                "`gridgov calendar import`)",
                day.year,
            )
        return day.weekday() < 5

    def covers(self, year: int) -> bool:
        return year in self.years


_snapshot: Snapshot | None = None
_generation = 0
_lock = threading.Lock()
_logged: dict[tuple[str, int], dt.date] = {}


def invalidate() -> None:
    """Forget the cached table (after a write), so the next question reads it again."""
    global _snapshot, _generation
    with _lock:
        _generation += 1
        _snapshot = None
        _logged.clear()


def generation() -> int:
    """Bumped by every `invalidate`; tests compare it to drop a cache a rollback made stale."""
    return _generation


def _fingerprint() -> tuple[int, dt.datetime | None]:
    from gridgov.core.models import CalendarDay

    row = CalendarDay.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    return row["n"], row["latest"]


def _load(now: float) -> Snapshot:
    from gridgov.core.models import CalendarDay, DayKind

    rows = list(CalendarDay.objects.values_list("date", "kind", "updated_at"))
    return Snapshot(
        exceptions={day: kind == DayKind.WORKDAY for day, kind, _ in rows},
        years=frozenset(day.year for day, _, _ in rows),
        fingerprint=(len(rows), max((updated for _, _, updated in rows), default=None)),
        checked_at=now,
    )


def snapshot() -> Snapshot:
    """The calendar as this process knows it, re-checked against the table every few seconds."""
    global _snapshot
    current = _snapshot
    now = time.monotonic()
    if current is not None and now - current.checked_at < settings.GRIDGOV_CALENDAR_CHECK_SECONDS:
        return current
    with _lock:
        started = _generation
        current = _snapshot
        if current is not None and current.fingerprint == _fingerprint():
            current.checked_at = now
            return current
        current = _load(now)
        # An invalidate() while we read means our rows may predate a write: use them, don't keep them.
        if started == _generation:
            _snapshot = current
        return current


def is_workday(day: dt.date) -> bool:
    return snapshot().is_workday(day)


def covers(year: int) -> bool:
    """Whether any holiday or make-up working day is entered for `year`."""
    return snapshot().covers(year)


def missing_years(today: dt.date | None = None) -> list[int]:
    """The years whose schedule is due and not entered: this year, and from October the next."""
    today = today or clock.today()
    wanted = [today.year]
    if today.month >= NEXT_YEAR_FROM_MONTH:
        wanted.append(today.year + 1)
    current = snapshot()
    return [year for year in wanted if not current.covers(year)]


def warn_if_missing(today: dt.date | None = None) -> list[int]:
    """Log (once a day per process) each due year without a schedule; returns those years."""
    missing = missing_years(today)
    for year in missing:
        _log_once_a_day(
            ("missing", year),
            "no holiday schedule entered for %s: working-day SLAs will count Monday–Friday only "
            "(enter it on /cases/config/?tab=holidays or with `gridgov calendar import --year %s`)",
            year,
            year,
        )
    return missing


def _log_once_a_day(key: tuple[str, int], message: str, *args: object) -> None:
    # Keyed on the real date, not the replayed one: this only paces the log.
    today = timezone.localdate()
    if _logged.get(key) == today:
        return
    _logged[key] = today
    logger.warning(message, *args)
