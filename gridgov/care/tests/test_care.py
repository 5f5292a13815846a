"""Care plans, visits, the missed-duty sweep, coverage and patrols, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.care import selectors, services
from gridgov.care.models import Duty, DutyKind, PatrolResult, Visit
from gridgov.core import clock
from gridgov.core.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(sw):
    return services.plan_create(
        by=sw.carol,
        resident=sw.zhang,
        preset="weekend_children",
        carers=[(sw.wu, "party"), (sw.alice, "grid_worker")],
        starts_on=clock.today() - dt.timedelta(days=6),
    )


def test_weekend_children_preset_has_four_duties_and_visit_is_due(sw, plan):
    kinds = sorted(plan.duties.values_list("kind", flat=True))
    assert kinds == sorted([DutyKind.VISIT, DutyKind.HOUSEWORK, DutyKind.PROBLEM, DutyKind.BIRTHDAY])
    due = list(selectors.my_due_duties(sw.wu))
    assert [d.kind for d in due] == [DutyKind.VISIT]


def test_visit_with_problem_becomes_case_and_moves_the_duty(sw, plan):
    from gridgov.cases.models import Case

    visit = services.visit_log(
        by=sw.wu,
        plan=plan,
        visited_at=clock.now(),
        minutes=40,
        done="陪老人聊天，打扫卫生",
        health="attention",
        problem="卫生间地面湿滑，老人容易摔倒，需要安装扶手",
    )
    assert visit.on_time and Case.objects.filter(pk=visit.case_id, text__contains="扶手").exists()
    duty = Duty.objects.get(plan=plan, kind=DutyKind.VISIT)
    assert duty.due_on == clock.today() + dt.timedelta(days=7) and duty.on_time_count == 1
    assert list(selectors.my_due_duties(sw.wu)) == []


def test_visit_outside_ones_plans_is_refused_naming_the_plan(sw, plan):
    with pytest.raises(ValidationError) as exc:
        selectors.plan_for_visit(sw.xu, plan.pk)
    assert exc.value.message_dict["plan"] == ["只能为自己结对帮扶的对象登记走访"]
    with pytest.raises(NotFound):
        selectors.plan_for(sw.xu, plan.pk)
    assert Visit.objects.count() == 0


def test_bad_visit_input_names_the_field(sw, plan):
    with pytest.raises(ValidationError) as exc:
        services.visit_log(by=sw.wu, plan=plan, visited_at=clock.now(), minutes=0, done="看望")
    assert "minutes" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.visit_log(
            by=sw.wu, plan=plan, visited_at=clock.now() + dt.timedelta(days=1), minutes=30, done="看望"
        )
    assert exc.value.message_dict["visited_at"] == ["走访时间不能晚于现在"]


def test_missed_duty_goes_to_grid_then_community(sw, plan):
    from gridgov.notifications.models import Notification

    today = clock.today() + dt.timedelta(days=2)
    assert services.duty_sweep(today=today).to_grid == 1
    assert Notification.objects.filter(recipient=sw.alice, title="结对帮扶事项逾期未完成").exists()
    assert services.duty_sweep(today=today).to_grid == 0
    assert services.duty_sweep(today=today + dt.timedelta(days=8)).to_community == 1
    assert Notification.objects.filter(recipient=sw.carol, title__contains="逾期一周").exists()


def test_coverage_lists_uncovered_until_a_plan_exists(sw):
    rows = selectors.coverage(sw.carol)
    assert [(r.resident.name, r.covered) for r in rows] == [("张建国", False)]
    services.plan_create(by=sw.carol, resident=sw.zhang, preset="weekly_visit", carers=[(sw.wu, "party")])
    assert [(r.resident.name, r.covered) for r in selectors.coverage(sw.carol)] == [("张建国", True)]
    assert selectors.coverage(sw.bob) == []


def test_patrol_visit_updates_registry_and_counts_coverage(sw):
    from gridgov.people.models import Tag

    visit = services.patrol_record(
        by=sw.alice,
        household=sw.household1,
        result=PatrolResult.HOME,
        note="老人身体还好",
        tag_updates={
            sw.zhang: [Tag.objects.get(code="living-alone-elderly"), Tag.objects.get(code="oldest-old")]
        },
        problem="楼道灯坏了",
    )
    assert "高龄老人" in visit.registry_changes and visit.cases.count() == 1
    rows = selectors.patrol_coverage(sw.alice, clock.today())
    assert [(r.grid.name, r.visited, r.households, r.percent) for r in rows] == [("第一网格", 1, 2, 50)]
    with pytest.raises(NotFound):
        services.patrol_record(by=sw.bob, household=sw.household1, result=PatrolResult.AWAY)


def test_plan_by_out_of_scope_staff_is_not_found(sw):
    with pytest.raises(NotFound):
        services.plan_create(by=sw.bob, resident=sw.zhang, preset="weekly_visit", carers=[(sw.wu, "party")])
    assert services.plan_create(
        by=SYSTEM, resident=sw.zhang, preset="weekly_visit", carers=[(sw.wu, "party")]
    )
