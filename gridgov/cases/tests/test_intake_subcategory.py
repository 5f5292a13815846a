"""The suggested subcategory applies at intake (issue 8): a resident's "电梯困人" with the rule
电梯故障 → the estate's property company lands there at once, not on the grid until someone
classifies it. The engine is faked, so this does not depend on its words."""

from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Level
from gridgov.cases.services import case_classify, category_update
from gridgov.notifications.models import Notification
from gridgov.triage.services import Suggestion


@pytest.fixture
def suggests(monkeypatch):
    def make(category: str, subcategory: str | None, urgency: str = "normal") -> None:
        def suggest(text: str) -> Suggestion:
            return Suggestion(
                category=category,
                urgency=urgency,
                confidence=0.95,
                matched=("电梯",),
                subcategory=subcategory,
            )

        monkeypatch.setattr("gridgov.triage.services.suggest", suggest)

    return make


@pytest.fixture
def submit_committed(submit, django_capture_on_commit_callbacks):
    """`submit` as a request makes it: the report commits, so the urgent alarm (a task enqueued
    after commit) runs."""

    def make(**fields):
        with django_capture_on_commit_callbacks(execute=True):
            return submit(**fields)

    return make


def test_a_resident_lift_report_goes_to_the_property_company_at_intake(cw, submit, suggests):
    suggests("facility", "lift")
    case = submit(text="3单元电梯困人了")
    assert (case.category, case.subcategory, case.category_confirmed) == (cw.facility, cw.lift, False)
    assert (case.level, case.level_place, case.handler_org) == (Level.GRID, cw.grid1, cw.property_co)
    assert case.suggested_subcategory == "lift"
    told = set(Notification.objects.filter(kind="case.new").values_list("recipient__username", flat=True))
    assert told == {"pete"}


def test_outside_the_rules_scope_it_still_goes_to_the_grid(cw, submit, suggests):
    suggests("facility", "lift")
    case = submit(text="8栋电梯坏了", place=cw.building2)
    assert (case.subcategory, case.level_place, case.handler_org) == (cw.lift, cw.grid2, None)


def test_an_urgent_lift_report_alarms_the_property_company(cw, submit_committed, suggests):
    suggests("facility", "lift", urgency="urgent")
    case = submit_committed(text="电梯卡在7楼，里面有人")
    assert (case.priority, case.handler_org) == ("urgent", cw.property_co)
    told = set(Notification.objects.filter(kind="case.urgent").values_list("recipient__username", flat=True))
    assert told == {"pete"}


def test_a_subcategory_nobody_configured_is_only_remembered(cw, submit, suggests):
    suggests("order", "street-vending")
    case = submit(text="小区门口有流动摊贩")
    assert (case.category, case.subcategory, case.suggested_subcategory) == (cw.order, None, "street-vending")
    assert case.handler_org == cw.chengguan  # the category's own rule


def test_a_subcategory_of_another_category_or_switched_off_is_not_used(cw, submit, suggests):
    suggests("sanitation", "lift")  # the engine's subcategory belongs to facility, not sanitation
    assert submit(text="电梯里好多垃圾").subcategory is None
    suggests("facility", "lift")
    category_update(by=SYSTEM, category=cw.lift, is_active=False)
    case = submit(text="电梯坏了")
    assert (case.subcategory, case.handler_org) == (None, None)


def test_matched_by_name_when_administrators_chose_another_code(cw, submit, suggests):
    from gridgov.cases.services import category_create

    pipes = category_create(by=SYSTEM, name="漏水", code="water-leak", parent=cw.facility)
    suggests("facility", "leak")
    assert submit(text="楼上漏水").subcategory == pipes


def test_staff_choices_win_and_a_chosen_parent_takes_its_suggested_child(cw, submit, suggests):
    suggests("facility", "lift")
    chosen = submit(by=cw.alice, channel="hotline", text="电梯坏了", category="sanitation", reporter_phone="")
    assert (chosen.category, chosen.subcategory, chosen.category_confirmed) == (cw.sanitation, None, True)
    parent = submit(by=cw.alice, channel="hotline", text="电梯坏了", category="facility", reporter_phone="")
    assert (parent.subcategory, parent.handler_org) == (cw.lift, cw.property_co)


def test_classifying_keeps_working_with_the_suggested_subcategory(cw, submit, suggests):
    suggests("facility", "lift")
    case = submit(text="电梯坏了")
    case = case_classify(by=cw.carol, case=case, category="facility", subcategory="lift")
    assert case.category_confirmed and case.handler_org == cw.property_co
