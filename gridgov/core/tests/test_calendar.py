"""The holiday calendar table: its seed, the services that edit it, its cache and its warnings."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.core import calendar, clock
from gridgov.core.errors import Forbidden
from gridgov.core.models import CalendarDay, DayKind
from gridgov.core.services import (
    calendar_day_delete,
    calendar_day_set,
    calendar_holidays_set,
    calendar_year_replace,
)

pytestmark = pytest.mark.django_db
D = dt.date


def december_2026():
    return clock.frozen_at(timezone.make_aware(dt.datetime(2026, 12, 1, 9)))


def audit_rows(action: str) -> int:
    return AuditEntry.objects.filter(target_type="core.calendarday", action=action).count()


def test_the_seed_is_chinese_calendar_to_2026_and_only_its_exceptions():
    import chinese_calendar

    day = D(2004, 1, 1)
    while day.year <= 2026:
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    assert all(row.date.weekday() < 5 for row in CalendarDay.objects.filter(kind=DayKind.HOLIDAY))
    assert all(row.date.weekday() >= 5 for row in CalendarDay.objects.filter(kind=DayKind.WORKDAY))
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_a_holiday_period_stores_its_weekdays_and_drops_a_make_up_day_inside_it():
    calendar_day_set(by=SYSTEM, day=D(2027, 2, 6), kind=DayKind.WORKDAY, name="春节")  # a Saturday
    assert calendar.is_workday(D(2027, 2, 6))
    touched = calendar_holidays_set(by=SYSTEM, first=D(2027, 2, 5), last=D(2027, 2, 11), name="春节")
    # Fri 5, Mon 8 – Thu 11 written; Sat 6 (entered as a working day) removed; Sun 7 rests anyway.
    assert touched == 6
    assert set(CalendarDay.objects.filter(date__year=2027).values_list("date", "kind")) == {
        (D(2027, 2, 5), "holiday"),
        (D(2027, 2, 8), "holiday"),
        (D(2027, 2, 9), "holiday"),
        (D(2027, 2, 10), "holiday"),
        (D(2027, 2, 11), "holiday"),
    }
    assert not any(calendar.is_workday(D(2027, 2, d)) for d in range(5, 12))
    assert audit_rows(AuditAction.CREATE) == 6 and audit_rows(AuditAction.DELETE) == 1
    # Entering the same period again changes nothing and audits nothing.
    assert calendar_holidays_set(by=SYSTEM, first=D(2027, 2, 5), last=D(2027, 2, 11), name="春节") == 0
    assert audit_rows(AuditAction.CREATE) == 6


def test_bad_entries_are_refused_in_chinese(world):
    def error_of(call, **kwargs):
        with pytest.raises(ValidationError) as exc:
            call(by=SYSTEM, **kwargs)
        return exc.value.message_dict

    assert error_of(calendar_day_set, day=D(2027, 1, 2), kind="holiday", name="元旦") == {
        "day": ["2027-01-02（周六）是周末，本来就休息，不用登记为放假"]
    }
    assert error_of(calendar_day_set, day=D(2027, 1, 4), kind="workday", name="元旦") == {
        "day": ["2027-01-04（周一）是工作日，本来就上班，不用登记为调休上班"]
    }
    assert error_of(calendar_day_set, day=D(2027, 1, 4), kind="moon", name="元旦") == {
        "kind": ["类型只能是放假或调休上班"]
    }
    assert error_of(calendar_day_set, day=D(2027, 1, 1), kind="holiday", name="元\u200b旦") == {
        "name": ["节日名称含有看不见的零宽字符，请删除后重新填写"]
    }
    assert error_of(calendar_holidays_set, first=D(2027, 1, 3), last=D(2027, 1, 1), name="元旦") == {
        "last": ["结束日期不能早于开始日期"]
    }
    assert error_of(calendar_holidays_set, first=D(2027, 1, 1), last=D(2027, 3, 1), name="春节") == {
        "last": ["一段假期最长31天，当前60天；请分段录入"]
    }
    assert error_of(calendar_holidays_set, first=D(2027, 1, 2), last=D(2027, 1, 3), name="元旦") == {
        "last": ["这段时间都是周末，本来就休息，不用登记"]
    }
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    with pytest.raises(Forbidden, match="您无权修改节假日安排"):
        calendar_day_set(by=world.alice, day=D(2027, 1, 1), kind="holiday", name="元旦")
    nobody = None  # services refuse to guess who acts
    with pytest.raises(TypeError):
        calendar_day_set(by=nobody, day=D(2027, 1, 1), kind="holiday", name="元旦")


def test_writes_are_seen_at_once_and_other_processes_edits_after_the_check(settings):
    settings.GRIDGOV_CALENDAR_CHECK_SECONDS = 3600
    friday = D(2027, 1, 1)
    assert calendar.is_workday(friday)
    row = calendar_day_set(by=SYSTEM, day=friday, kind=DayKind.HOLIDAY, name="元旦")
    assert not calendar.is_workday(friday) and calendar.covers(2027)
    calendar_day_delete(by=SYSTEM, day=row)
    assert calendar.is_workday(friday) and not calendar.covers(2027)
    # Another process writes the table: this one notices at its next check, not before.
    CalendarDay.objects.create(date=friday, kind=DayKind.HOLIDAY, name="元旦")
    assert calendar.is_workday(friday)
    settings.GRIDGOV_CALENDAR_CHECK_SECONDS = 0
    assert not calendar.is_workday(friday)
    CalendarDay.objects.filter(date=friday).update(kind=DayKind.WORKDAY, updated_at=timezone.now())
    assert calendar.is_workday(friday)
    CalendarDay.objects.filter(date=friday).delete()
    assert not calendar.covers(2027)
    calendar.invalidate()  # the rows above bypassed the services


def test_missing_years_this_year_always_and_next_year_from_october():
    assert calendar.missing_years(D(2026, 12, 1)) == [2027]
    assert calendar.missing_years(D(2026, 6, 1)) == []
    assert calendar.missing_years(D(2027, 3, 1)) == [2027]
    with december_2026():
        assert calendar.missing_years() == [2027]
    calendar_day_set(by=SYSTEM, day=D(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    assert calendar.missing_years(D(2026, 12, 1)) == []


def test_the_log_warns_once_a_day(caplog):
    caplog.set_level(logging.WARNING, logger="gridgov.core.calendar")
    calendar.invalidate()
    with december_2026():
        assert calendar.warn_if_missing() == [2027]
        assert calendar.warn_if_missing() == [2027]
    assert caplog.text.count("no holiday schedule entered for 2027") == 1
    calendar.is_workday(D(2027, 5, 3))
    calendar.is_workday(D(2027, 5, 4))
    assert caplog.text.count("holiday calendar has no data for 2027") == 1


def test_a_year_replaced_whole_all_or_nothing():
    calendar_day_set(by=SYSTEM, day=D(2027, 3, 1), kind=DayKind.HOLIDAY, name="试错")
    result = calendar_year_replace(
        by=SYSTEM,
        year=2027,
        holidays=[("元旦", D(2027, 1, 1), D(2027, 1, 3)), ("春节", D(2027, 2, 5), D(2027, 2, 11))],
        workdays=[("春节", D(2027, 2, 20))],
    )
    assert result == {"written": 7, "removed": 1}
    assert not CalendarDay.objects.filter(date=D(2027, 3, 1)).exists()
    before = set(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True))
    with pytest.raises(ValidationError) as exc:
        calendar_year_replace(
            by=SYSTEM, year=2027, holidays=[("元旦", D(2027, 1, 1), D(2027, 1, 1))],
            workdays=[("春节", D(2027, 2, 22))],
        )
    assert exc.value.message_dict == {"workdays[1]": ["2027-02-22（周一）是工作日，本来就上班，不用登记为调休上班"]}
    assert set(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == before


def test_the_calendar_command(tmp_path):
    out = io.StringIO()
    with december_2026():
        with pytest.raises(CommandError, match="尚未录入2027年的法定节假日安排"):
            call_command("calendar", "check", stdout=out)
        schedule = tmp_path / "2027.json"
        schedule.write_text(
            json.dumps(
                {
                    "year": 2027,
                    "holidays": [
                        {"name": "元旦", "first": "2027-01-01", "last": "2027-01-03"},
                        {"name": "清明节", "date": "2027-04-05"},
                    ],
                    "workdays": [{"name": "春节", "date": "2027-02-20"}],
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        call_command("calendar", "import", "--year", "2027", "--file", str(schedule), stdout=out)
        assert "2027年：放假 2 天（工作日），调休上班 1 天" in out.getvalue()
        call_command("calendar", "check", stdout=out)
    call_command("calendar", "show", "--year", "2027", stdout=out)
    assert "2027-02-20\t周六\t调休上班\t春节" in out.getvalue()
    assert AuditEntry.objects.filter(purpose="导入2027年节假日安排", actor_label="系统").count() == 3

    with pytest.raises(CommandError, match="与 --year 2028 不一致"):
        call_command("calendar", "import", "--year", "2028", "--file", str(schedule))
    schedule.write_text('{"holidays": [{"name": "元旦", "first": "2028-13-01"}]}', encoding="utf-8")
    with pytest.raises(CommandError, match="“2028-13-01”不是有效日期"):
        call_command("calendar", "import", "--year", "2028", "--file", str(schedule))
    with pytest.raises(CommandError, match="没有2028年的安排"):
        call_command("calendar", "import", "--year", "2028", "--from-package")
    # The package's own years import as they were seeded: nothing to change.
    call_command("calendar", "import", "--year", "2026", "--from-package", stdout=out)
    assert "本次写入 0 条，删除 0 条" in out.getvalue()
