"""`duty_figures` and `patrol_figures`, the care figures of the command centre's dashboards:
duties that fell due and were done on time, visits logged, households reached on patrol."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.care import selectors, services
from gridgov.care.models import Duty, DutyKind, PatrolResult
from gridgov.core import clock

pytestmark = pytest.mark.django_db


def _span(days: int = 30) -> dict:
    now = clock.now()
    return {"since": now - dt.timedelta(days=days), "until": now + dt.timedelta(minutes=1)}


def test_duties_due_on_time_and_overdue_per_grid(sw, django_assert_num_queries):
    plan = services.plan_create(
        by=sw.carol, resident=sw.zhang, preset="weekend_children", carers=[(sw.wu, "party")]
    )
    services.visit_log(by=sw.wu, plan=plan, visited_at=clock.now(), minutes=30, done="看望聊天")
    # The monthly housework fell due three days ago and is still undone.
    Duty.objects.filter(plan=plan, kind=DutyKind.HOUSEWORK).update(
        due_on=clock.today() - dt.timedelta(days=3)
    )
    children = [sw.grid1, sw.grid2]
    found = selectors.duty_figures(user=sw.carol, place=sw.community, children=children, **_span())
    assert found is not None
    total = found.total
    assert (total.due, total.on_time, total.overdue, total.visits) == (2, 1, 1, 1)
    assert total.on_time_rate == 0.5
    assert found.children[sw.grid2.pk].due == 0
    assert selectors.duty_figures(user=sw.bob, place=sw.grid1, **_span()) is None
    with django_assert_num_queries(2):
        selectors.duty_figures(user=sw.carol, place=sw.community, children=children, **_span())


def test_patrol_coverage_counts_each_household_once(sw, django_assert_num_queries):
    for result in (PatrolResult.AWAY, PatrolResult.HOME):
        services.patrol_record(by=sw.alice, household=sw.household1, result=result)
    children = [sw.grid1, sw.grid2]
    found = selectors.patrol_figures(user=sw.carol, place=sw.community, children=children, **_span())
    assert found is not None
    grid1 = found.children[sw.grid1.pk]
    assert (grid1.visited, grid1.visits, grid1.households) == (1, 2, 2)
    assert found.children[sw.grid2.pk].coverage_rate == 0.0
    assert found.total.coverage_rate == round(1 / 3, 3)
    # A period before the visits reaches nobody.
    now = clock.now()
    earlier = selectors.patrol_figures(
        user=sw.carol, place=sw.community, since=now - dt.timedelta(days=9), until=now - dt.timedelta(days=1)
    )
    assert earlier.total.visited == 0 and earlier.total.households == 3
    with django_assert_num_queries(2):
        selectors.patrol_figures(user=sw.carol, place=sw.community, children=children, **_span())
