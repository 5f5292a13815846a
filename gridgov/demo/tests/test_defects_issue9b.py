"""Issue 9 defect 9: the demo's food-safety reports are about food, so 市场监管 never closes a fire case.

Food safety sits under 市容秩序 (market order) with street vending and goes to 市场监管所; each
case's text, category, handler and answer agree, in the decks and in a built demo."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gridgov.demo.case_texts import (
    SUBCATEGORY_NOT,
    SUBCATEGORY_PARENTS,
    about,
    localise,
    reports_for,
    result_for,
)
from gridgov.demo.cases import CATEGORY_WEIGHTS, SUBCATEGORIES

FIRE_WORDS = ("灭火器", "消防", "火灾", "燃气", "煤气")


def test_defect_09_no_fire_or_lift_report_is_dealt_as_food_safety():
    texts = reports_for("food-safety", "normal") + reports_for("food-safety", "urgent")
    assert texts
    for text in texts:
        assert not any(word in text for word in SUBCATEGORY_NOT["food-safety"]), text
        assert about("food-safety", text), text
    # The expired-extinguisher reports stay with 治安消防, whose answers are not 市场监管's.
    safety = reports_for("safety", "normal") + reports_for("safety", "urgent")
    extinguisher = [t for t in safety if "灭火器" in t]
    assert extinguisher
    for text in extinguisher:
        assert "市场监管" not in result_for("safety", text, lambda options: options[0])


def test_defect_09_food_safety_sits_under_market_order():
    parents = {code: parent for code, _name, parent in SUBCATEGORIES}
    assert parents["food-safety"] == "order" and parents["street-vending"] == "order"
    assert parents["theft"] == "safety"
    assert parents == {code: SUBCATEGORY_PARENTS[code] for code in parents}


def _landing(code: str, text: str, children: dict[str, list]) -> str:
    """Where intake files a report the demo submits under `code`: a subcategory as given, a
    top category with the subcategory triage suggests if the demo's tree has it there."""
    from gridgov.cases.services.intake import _suggested_subcategory
    from gridgov.triage.services import suggest

    if code in SUBCATEGORY_PARENTS:
        return code
    parent = children[code][0]
    found = _suggested_subcategory(suggest(text).subcategory, parent, children[code][1])
    return found.code if found is not None else code


@pytest.mark.django_db
def test_defect_09_every_demo_text_lands_where_its_answer_fits():
    """Every text of every deck, filed as intake files it, gets an answer that fits: the expired
    extinguisher (which triage calls food) stays a 治安消防 case with a fire-safety answer."""
    from gridgov.accounts.scope import SYSTEM
    from gridgov.cases.models import Category
    from gridgov.cases.services import category_create

    tops = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
    for code, name, parent in SUBCATEGORIES:
        category_create(by=SYSTEM, name=name, code=code, parent=tops[parent])
    active = list(Category.objects.filter(is_active=True))
    children = {code: (top, active) for code, top in tops.items()}
    first = lambda options: options[0]  # noqa: E731
    checked = 0
    for code, _weight in CATEGORY_WEIGHTS:
        for urgency in ("normal", "urgent"):
            for raw in reports_for(code, urgency):
                text = localise(raw, estate="聚江苑", building="聚江苑3栋", unit="2单元", floor=5)
                landed = _landing(code, text, children)
                answer = result_for(landed, text, first)
                checked += 1
                if landed == "food-safety":
                    assert about("food-safety", text), (code, text)
                if "市场监管" in answer:
                    assert landed == "food-safety", (code, text, answer)
                if any(word in text for word in FIRE_WORDS):
                    assert landed != "food-safety", (code, text)
    assert checked > 300


@pytest.mark.django_db
def test_defect_09_built_demo_cases_agree_on_text_category_handler_and_answer():
    from gridgov.accounts.models import User
    from gridgov.cases.models import Case, CaseEvent, EventKind
    from gridgov.orgs.models import Organisation

    call_command("demo", "--scale", "0.1", stdout=io.StringIO())
    market = Organisation.objects.get(name="芙蓉北路市场监督管理所")
    market_users = set(User.objects.filter(organisation=market).values_list("pk", flat=True))
    assert market_users
    cases = list(Case.objects.select_related("category", "subcategory"))
    results = {e.case_id: e for e in CaseEvent.objects.filter(kind=EventKind.RESOLVED).order_by("at", "id")}
    by_market = [c for c in cases if c.handler_org_id == market.pk]
    assert by_market, "the demo gives 市场监管所 food-safety cases to handle"
    assert any(c.result for c in by_market)
    for case in by_market:
        assert case.subcategory is not None and case.subcategory.code == "food-safety", case.text
        assert case.category.code == "order", case.text
        assert about("food-safety", case.text), case.text
    for case in cases:
        sub = case.subcategory.code if case.subcategory else ""
        if sub == "food-safety":
            assert case.category.code == "order"
            assert not any(word in case.text for word in FIRE_WORDS), case.text
        if case.category.code == "safety":
            assert case.handler_org_id != market.pk, case.text
            assert "市场监管" not in case.result, (case.text, case.result)
            event = results.get(case.pk)
            assert event is None or event.actor_id not in market_users, case.text
        if "市场监管" in case.result:
            assert sub == "food-safety", (case.text, case.result)
