"""Writes to the shared tables: the working-day calendar (法定节假日和调休上班).

The table holds only exceptions to Monday–Friday, so each write checks that the day really is
one: a holiday on a weekday, or a weekend day worked. Every write is audited and drops the
per-process calendar cache at once (and again at commit, for readers that loaded meanwhile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, is_unrestricted, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core import calendar
from gridgov.core.errors import Forbidden, field_error
from gridgov.core.models import CalendarDay, DayKind
from gridgov.core.text import text_problem

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

NAME_MAX = 40
# The longest period ever granted is nine days (Spring Festival); a month bounds a typo.
PERIOD_MAX_DAYS = 31
WEEKDAYS = "一二三四五六日"


def may_edit_calendar(user: Actor) -> bool:
    """System administrators and whoever may configure cases (time limits count on the calendar)."""
    return is_unrestricted(user) or has_capability(user, caps.CASES_CONFIGURE)


def _require_calendar(by: Actor) -> None:
    require_actor(by)
    if not may_edit_calendar(by):
        raise Forbidden("您无权修改节假日安排")


def _name(value: object, field: str = "name") -> str:
    name = str(value or "").strip()
    if not name:
        raise field_error(field, "请填写节日名称，如“春节”")
    if len(name) > NAME_MAX:
        raise field_error(field, f"节日名称不能超过{NAME_MAX}个字")
    problem = text_problem(name, "节日名称")
    if problem:
        raise field_error(field, problem)
    return name


def _label(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}（周{WEEKDAYS[day.weekday()]}）"


def day_problem(day: dt.date, kind: str) -> str | None:
    """Why `day` cannot be entered as `kind`, in Chinese, or None (for forms and the admin too)."""
    if kind not in DayKind.values:
        return "类型只能是放假或调休上班"
    if kind == DayKind.HOLIDAY and day.weekday() >= 5:
        return f"{_label(day)}是周末，本来就休息，不用登记为放假"
    if kind == DayKind.WORKDAY and day.weekday() < 5:
        return f"{_label(day)}是工作日，本来就上班，不用登记为调休上班"
    return None


def _changed() -> None:
    calendar.invalidate()
    transaction.on_commit(calendar.invalidate)


def _put(by: Actor, day: dt.date, kind: str, name: str, purpose: str = "") -> CalendarDay | None:
    """Create or change the row for `day`; None when it already says exactly this."""
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        row = CalendarDay.objects.create(date=day, kind=kind, name=name)
        audit_record(
            actor=by,
            action=AuditAction.CREATE,
            target=row,
            changes={"kind": [None, row.get_kind_display()], "name": [None, name]},
            purpose=purpose,
        )
        return row
    if row.kind == kind and row.name == name:
        return None
    changes = {}
    if row.kind != kind:
        changes["kind"] = [row.get_kind_display(), DayKind(kind).label]
    if row.name != name:
        changes["name"] = [row.name, name]
    row.kind, row.name = kind, name
    row.save()
    audit_record(actor=by, action=AuditAction.UPDATE, target=row, changes=changes, purpose=purpose)
    return row


def _remove(by: Actor, row: CalendarDay, purpose: str = "") -> None:
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        target=row,
        changes={"kind": [row.get_kind_display(), None], "name": [row.name, None]},
        purpose=purpose,
    )
    row.delete()


@transaction.atomic
def calendar_day_set(*, by: Actor, day: dt.date, kind: str, name: str) -> CalendarDay:
    """Enter one exception to Monday–Friday (a weekday off, or a weekend day worked, 调休上班).

    `by` must be a system administrator, hold cases.configure, or be SYSTEM.
    """
    _require_calendar(by)
    problem = day_problem(day, kind)
    if problem:
        raise field_error("kind" if kind not in DayKind.values else "day", problem)
    name = _name(name)
    _put(by, day, kind, name)
    _changed()
    return CalendarDay.objects.get(date=day)


@transaction.atomic
def calendar_holidays_set(*, by: Actor, first: dt.date, last: dt.date, name: str) -> int:
    """Enter a holiday period from `first` to `last` (inclusive) as the State Council announced it.

    Its weekdays become holidays and a make-up working day entered inside it is removed (the
    weekends of the period rest anyway). Returns the number of rows written or removed. `by`
    as for `calendar_day_set`.
    """
    _require_calendar(by)
    if last < first:
        raise field_error("last", "结束日期不能早于开始日期")
    span = (last - first).days + 1
    if span > PERIOD_MAX_DAYS:
        raise field_error("last", f"一段假期最长{PERIOD_MAX_DAYS}天，当前{span}天；请分段录入")
    name = _name(name)
    days = [first + dt.timedelta(days=offset) for offset in range(span)]
    if all(day.weekday() >= 5 for day in days):
        raise field_error("last", "这段时间都是周末，本来就休息，不用登记")
    touched = 0
    rows = {row.date: row for row in CalendarDay.objects.select_for_update().filter(date__range=(first, last))}
    for day in days:
        if day.weekday() < 5:
            touched += _put(by, day, DayKind.HOLIDAY, name) is not None
        elif day in rows:
            _remove(by, rows[day], purpose=f"{name}放假期间")
            touched += 1
    _changed()
    return touched


@transaction.atomic
def calendar_day_delete(*, by: Actor, day: CalendarDay) -> None:
    """Remove one entry, so the day follows Monday–Friday again. `by` as for `calendar_day_set`."""
    _require_calendar(by)
    row = CalendarDay.objects.select_for_update().filter(pk=day.pk).first()
    if row is not None:
        _remove(by, row)
        _changed()


@transaction.atomic
def calendar_year_replace(
    *,
    by: Actor,
    year: int,
    holidays: Iterable[tuple[str, dt.date, dt.date]],
    workdays: Iterable[tuple[str, dt.date]],
) -> dict[str, int]:
    """Replace the entries dated in `year` with a whole schedule: holiday periods (name, first,
    last) and make-up working days (name, date). All or nothing; `by` as for `calendar_day_set`.

    A period or make-up day may lie just outside `year` (元旦 periods often do); those days
    are set too, but only `year`'s old entries are cleared first.
    """
    _require_calendar(by)
    purpose = f"导入{year}年节假日安排"
    wanted: dict[dt.date, tuple[str, str]] = {}
    for index, (name, first, last) in enumerate(holidays, start=1):
        name = _name(name, f"holidays[{index}].name")
        if last < first or (last - first).days + 1 > PERIOD_MAX_DAYS:
            raise field_error(f"holidays[{index}]", f"第{index}段假期的起止日期无效：{first}至{last}")
        for offset in range((last - first).days + 1):
            day = first + dt.timedelta(days=offset)
            if day.weekday() < 5:
                wanted[day] = (DayKind.HOLIDAY, name)
    for index, (name, day) in enumerate(workdays, start=1):
        name = _name(name, f"workdays[{index}].name")
        problem = day_problem(day, DayKind.WORKDAY)
        if problem:
            raise field_error(f"workdays[{index}]", problem)
        if day in wanted:
            raise field_error(f"workdays[{index}]", f"{_label(day)}既在放假期间又登记为调休上班")
        wanted[day] = (DayKind.WORKDAY, name)
    if not any(day.year == year for day in wanted):
        raise field_error("year", f"安排里没有{year}年的日期")
    removed = 0
    for row in CalendarDay.objects.select_for_update().filter(date__year=year):
        if row.date not in wanted:
            _remove(by, row, purpose=purpose)
            removed += 1
    written = sum(
        _put(by, day, kind, name, purpose=purpose) is not None for day, (kind, name) in sorted(wanted.items())
    )
    _changed()
    return {"written": written, "removed": removed}
