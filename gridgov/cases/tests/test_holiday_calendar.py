"""Working-day SLAs after 2026: the holiday table shifts deadlines, the configuration page edits it
and warns while the coming year is missing."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.cases.models import Priority, SlaUnit
from gridgov.cases.routing import due_times
from gridgov.cases.services import sla_set
from gridgov.cases.tests.factories import at
from gridgov.core import clock
from gridgov.core.models import CalendarDay, DayKind
from gridgov.core.services import calendar_day_set, calendar_holidays_set

BANNER = "尚未录入2027年的法定节假日安排，按工作日计算的时限将只按周一至周五计算"
D = dt.date


def december_2026():
    return clock.frozen_at(timezone.make_aware(dt.datetime(2026, 12, 1, 9)))


def test_a_2027_holiday_in_the_table_shifts_a_working_day_sla(cw):
    sla_set(
        by=SYSTEM,
        category=cw.sanitation,
        priority=Priority.NORMAL,
        accept_within=1,
        resolve_within=3,
        unit=SlaUnit.WORKDAYS,
    )
    start = at(2027, 2, 5, 10)  # a Friday
    assert due_times(cw.sanitation, Priority.NORMAL, start) == (at(2027, 2, 8, 10), at(2027, 2, 10, 10))
    calendar_holidays_set(by=SYSTEM, first=D(2027, 2, 8), last=D(2027, 2, 12), name="春节")
    assert due_times(cw.sanitation, Priority.NORMAL, start) == (at(2027, 2, 15, 10), at(2027, 2, 17, 10))
    calendar_day_set(by=SYSTEM, day=D(2027, 2, 7), kind=DayKind.WORKDAY, name="春节")  # a Sunday worked
    assert due_times(cw.sanitation, Priority.NORMAL, start) == (at(2027, 2, 7, 10), at(2027, 2, 16, 10))


def test_the_warning_shows_while_2027_is_missing_and_goes_when_it_is_entered(client, cw):
    client.force_login(cw.sam)
    url = reverse("cases:config")
    with december_2026():
        page = client.get(url, {"tab": "sla"})
        assert page.status_code == 200 and BANNER in page.text
        page = client.get(url, {"tab": "holidays"})
        assert BANNER in page.text and "2027年还没有登记" in page.text  # the missing year comes up first

        response = client.post(
            reverse("cases:config_holidays"),
            {"year": "2027", "name": "元旦", "first": "2027-01-01", "last": "2027-01-03"},
        )
        assert response.status_code == 302 and response.url.endswith("?tab=holidays&year=2027")
        page = client.get(url, {"tab": "holidays", "year": "2027"})
        assert BANNER not in page.text and "已登记元旦放假：01月01日至01月03日" in page.text
        assert "2027-01-01" in page.text
        assert BANNER not in client.get(url, {"tab": "categories"}).text
    entry = AuditEntry.objects.get(target_type="core.calendarday", action=AuditAction.CREATE)
    assert entry.actor_id == cw.sam.pk and entry.target_label == "2027-01-01 元旦放假"


def test_make_up_days_and_deletes_on_the_page(client, cw):
    client.force_login(cw.sam)
    with december_2026():
        bad = client.post(reverse("cases:config_workday"), {"year": "2027", "day": "2027-02-08", "name": "春节"})
        assert bad.status_code == 400
        assert "2027-02-08（周一）是工作日，本来就上班，不用登记为调休上班" in bad.text
        assert client.post(reverse("cases:config_workday"), {"day": "2027-13-01", "name": "春节"}).status_code == 400
        ok = client.post(reverse("cases:config_workday"), {"year": "2027", "day": "2027-02-20", "name": "春节"})
        assert ok.status_code == 302
        day = CalendarDay.objects.get(date=D(2027, 2, 20))
        assert day.kind == DayKind.WORKDAY
        gone = client.post(reverse("cases:config_calendar_delete", args=[day.pk]), {"year": "2027"})
        assert gone.status_code == 302 and not CalendarDay.objects.filter(pk=day.pk).exists()
        assert AuditEntry.objects.filter(target_type="core.calendarday", action=AuditAction.DELETE).count() == 1


def test_only_configurers_edit_the_calendar(client, cw):
    client.force_login(cw.carol)  # 社区书记: no cases.configure
    data = {"year": "2027", "name": "元旦", "first": "2027-01-01", "last": "2027-01-01"}
    assert client.post(reverse("cases:config_holidays"), data).status_code == 403
    seeded = CalendarDay.objects.first()
    assert client.post(reverse("cases:config_calendar_delete", args=[seeded.pk])).status_code == 403
    assert CalendarDay.objects.filter(pk=seeded.pk).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_the_admin_edits_through_the_services(client, cw):
    client.force_login(cw.admin)
    add = reverse("admin:core_calendarday_add")
    refused = client.post(add, {"date": "2027-01-02", "kind": "holiday", "name": "元旦"})
    assert refused.status_code == 200 and "是周末，本来就休息" in refused.text
    assert client.post(add, {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}).status_code == 302
    row = CalendarDay.objects.get(date=D(2027, 1, 1))
    assert AuditEntry.objects.filter(target_type="core.calendarday", target_id=str(row.pk)).exists()
    assert client.get(reverse("admin:core_calendarday_changelist")).status_code == 200
