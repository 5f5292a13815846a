"""Reads of the shared tables: the working-day calendar as its editors see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from gridgov.core.errors import NotFound
from gridgov.core.models import CalendarDay, DayKind
from gridgov.core.services import may_edit_calendar

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def calendar_days(user: User, year: int) -> QuerySet[CalendarDay]:
    """The entries dated in `year`, by date; `user` must be allowed to edit the calendar."""
    if not may_edit_calendar(user):
        return CalendarDay.objects.none()
    return CalendarDay.objects.filter(date__year=year).order_by("date")


def calendar_day_for(user: User, pk: int) -> CalendarDay:
    """One entry for its editors; NotFound for anyone else, as for a missing row."""
    day = CalendarDay.objects.filter(pk=pk).first() if may_edit_calendar(user) else None
    if day is None:
        raise NotFound()
    return day


def calendar_year_counts(user: User, years: list[int]) -> dict[int, dict[str, int]]:
    """{year: {"holiday": n, "workday": n}} for each of `years` (zeros for a year not entered)."""
    counts = {year: {DayKind.HOLIDAY.value: 0, DayKind.WORKDAY.value: 0} for year in years}
    if not may_edit_calendar(user) or not years:
        return counts
    rows = (
        CalendarDay.objects.filter(date__year__gte=min(years), date__year__lte=max(years))
        .values("date__year")
        .annotate(
            holiday=Count("id", filter=Q(kind=DayKind.HOLIDAY)),
            workday=Count("id", filter=Q(kind=DayKind.WORKDAY)),
        )
        .order_by()
    )
    for row in rows:
        if row["date__year"] in counts:
            counts[row["date__year"]] = {"holiday": row["holiday"], "workday": row["workday"]}
    return counts
