"""The demo's 生活快车 and care part: the seeds' teams, agreements, orders in many states through
the services (timelines and hours agree), care plans with visits and some overdue, patrols."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gridgov.care.models import CarePlan, Duty, PatrolVisit, Visit
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.services.models import Agreement, HoursEntry, Order, OrderEvent, OrderState, Volunteer


@pytest.mark.django_db
def test_demo_builds_services_and_care_through_the_services():
    call_command("demo", "--scale", "0.1", "--without-cases", stdout=io.StringIO())
    names = set(Organisation.objects.filter(kind=OrgKind.TEAM).values_list("name", flat=True))
    assert {"雷锋侠家庭服务站", "帮帮快递先锋队", "周末好儿女"} <= names
    express = Organisation.objects.get(name="帮帮快递先锋队")
    assert Organisation.objects.filter(parent=express).count() == 4
    assert Volunteer.objects.filter(status="approved").exists()
    assert Agreement.objects.exists()
    states = set(Order.objects.values_list("state", flat=True))
    assert {OrderState.CONFIRMED, OrderState.OPEN} <= states and len(states) >= 4
    confirmed = Order.objects.filter(state=OrderState.CONFIRMED).first()
    assert confirmed is not None and confirmed.rating
    assert OrderEvent.objects.filter(order=confirmed, kind="rated").exists()
    # Every credited hour belongs to a confirmed order; the running totals agree with the ledger.
    for volunteer in Volunteer.objects.filter(hours_total__gt=0)[:5]:
        assert sum(e.hours for e in HoursEntry.objects.filter(volunteer=volunteer)) == volunteer.hours_total
    assert CarePlan.objects.exists() and Visit.objects.exists()
    assert Duty.objects.filter(missed_count__gt=0).exists() or Duty.objects.filter(escalation__gt=0).exists()
    assert PatrolVisit.objects.exists()
