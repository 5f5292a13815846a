from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Priority, SlaUnit
from gridgov.cases.routing import due_times
from gridgov.cases.services import sla_set
from gridgov.cases.tests.factories import at
from gridgov.cases.workdays import add_workdays, calendar_covers, is_workday

# The holiday calendar is a table now (seeded with the schedules to 2026).
pytestmark = pytest.mark.django_db


def test_calendar_knows_2026():
    assert calendar_covers(2026)
    assert not is_workday(dt.date(2026, 10, 1))  # National Day
    assert is_workday(dt.date(2026, 10, 10))  # a Saturday made a working day
    assert is_workday(dt.date(2026, 2, 14))  # make-up Saturday before the Spring Festival


def test_working_days_skip_the_national_day_holiday():
    start = at(2026, 9, 24, 10, 0)  # Thursday before Mid-Autumn (25th) and National Day
    # 28, 29, 30 September, then 8 and 9 October: plain weekdays would have said 1 October.
    assert add_workdays(start, 5) == at(2026, 10, 9, 10, 0)
    assert add_workdays(at(2026, 10, 9, 15, 30), 1) == at(2026, 10, 10, 15, 30)


def test_working_days_across_the_spring_festival():
    assert add_workdays(at(2026, 2, 13, 9, 0), 1) == at(2026, 2, 14, 9, 0)
    assert add_workdays(at(2026, 2, 13, 9, 0), 2) == at(2026, 2, 24, 9, 0)
    # A report made during the holiday gets its days after it.
    assert add_workdays(at(2026, 2, 17, 20, 0), 1) == at(2026, 2, 24, 20, 0)


def test_years_the_package_does_not_know_fall_back_to_weekdays(caplog):
    assert not calendar_covers(2031)
    start = timezone.make_aware(dt.datetime(2031, 1, 3, 10, 0))  # a Friday
    assert add_workdays(start, 1) == timezone.make_aware(dt.datetime(2031, 1, 6, 10, 0))
    assert "no data for 2031" in caplog.text


def test_sla_rows_drive_due_times(cw):
    sla_set(
        by=SYSTEM,
        category=cw.sanitation,
        priority=Priority.NORMAL,
        accept_within=2,
        resolve_within=5,
        unit=SlaUnit.WORKDAYS,
    )
    accept, resolve = due_times(cw.sanitation, Priority.NORMAL, at(2026, 9, 24, 10))
    assert (accept, resolve) == (at(2026, 9, 29, 10), at(2026, 10, 9, 10))
    # A subcategory without its own SLA uses its parent's; hours are wall-clock.
    sla_set(
        by=SYSTEM,
        category=cw.facility,
        priority=Priority.URGENT,
        accept_within=1,
        resolve_within=8,
        unit=SlaUnit.HOURS,
    )
    accept, resolve = due_times(cw.lift, Priority.URGENT, at(2026, 10, 1, 22))
    assert (accept, resolve) == (at(2026, 10, 1, 23), at(2026, 10, 2, 6))


def test_sla_configuration_bad_input(cw):
    with pytest.raises(ValidationError) as exc:
        sla_set(
            by=SYSTEM, category=cw.facility, priority="normal", accept_within=5, resolve_within=2, unit="hours"
        )
    assert exc.value.message_dict == {"resolve_within": ["办结时限不能短于受理时限"]}
    with pytest.raises(ValidationError) as exc:
        sla_set(
            by=SYSTEM, category=cw.facility, priority="normal", accept_within=0, resolve_within=2, unit="hours"
        )
    assert exc.value.message_dict == {"accept_within": ["受理时限须为1到10000之间的整数"]}
    with pytest.raises(ValidationError) as exc:
        sla_set(
            by=SYSTEM, category=cw.facility, priority="normal", accept_within=1, resolve_within=2, unit="weeks"
        )
    assert exc.value.message_dict == {"unit": ["时限单位只能是小时或工作日"]}
