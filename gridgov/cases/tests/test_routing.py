from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Level
from gridgov.cases.routing import owner_at, route
from gridgov.cases.services import routing_rule_create, routing_rule_update
from gridgov.core.errors import Forbidden, NotFound
from gridgov.notifications.models import Notification


def test_broken_lift_in_the_estate_goes_to_its_property_company(cw, submit):
    case = submit(text="3单元电梯坏了，老人下不了楼", category="lift", priority="normal")
    assert (case.level, case.level_place, case.handler_org) == (Level.GRID, cw.grid1, cw.property_co)
    told = set(Notification.objects.filter(kind="case.new").values_list("recipient__username", flat=True))
    assert told == {"pete"}


def test_lift_elsewhere_has_no_rule_and_goes_to_the_grid(cw, submit):
    case = submit(text="8栋电梯坏了", category="lift", place=cw.building2)
    assert (case.level, case.level_place, case.handler_org) == (Level.GRID, cw.grid2, None)


def test_street_vendors_go_to_chengguan(cw, submit):
    case = submit(text="小区门口有流动摊贩占道经营", category="order")
    assert (case.level, case.level_place, case.handler_org) == (Level.DEPARTMENT, cw.street, cw.chengguan)
    assert "accept" in __import__("gridgov.cases.selectors", fromlist=["x"]).allowed_actions(cw.chen, case)


def test_theft_goes_to_the_police_station(cw, submit):
    case = submit(text="电动车在楼下被偷了", category="theft")
    assert (case.level, case.handler_org) == (Level.DEPARTMENT, cw.police)


def test_no_rule_means_grid(cw, submit):
    case = submit(text="楼下有积水", category="sanitation")
    assert (case.level, case.level_place, case.handler_org) == (Level.GRID, cw.grid1, None)


def test_most_specific_place_wins(cw):
    routing_rule_create(by=SYSTEM, category=cw.facility, place=cw.community, level=Level.COMMUNITY)
    routing_rule_create(by=SYSTEM, category=cw.facility, place=cw.grid2, level=Level.GRID)
    assert route(cw.facility, cw.building1).level == Level.COMMUNITY
    assert route(cw.facility, cw.building2).level == Level.GRID
    # The estate's lift rule (a subcategory, deeper place) still wins inside 聚江苑.
    assert route(cw.lift, cw.building1).organisation_id == cw.property_co.pk


def test_missing_rungs_are_skipped(cw):
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import place_create

    lane = place_create(by=SYSTEM, parent=cw.community, kind=PlaceKind.LANE, name="小巷")
    assert owner_at(lane, Level.BUILDING) == (Level.COMMUNITY, cw.community)
    assert owner_at(cw.building1, Level.BUILDING) == (Level.BUILDING, cw.building1)
    assert owner_at(cw.building1, Level.DEPARTMENT) == (Level.DEPARTMENT, cw.street)


def test_rule_configuration_is_checked(cw):
    with pytest.raises(ValidationError) as exc:
        routing_rule_create(by=SYSTEM, category=cw.order, level=Level.DEPARTMENT)
    assert exc.value.message_dict == {"organisation": ["部门层级须选择承办单位"]}
    with pytest.raises(ValidationError) as exc:
        routing_rule_create(by=SYSTEM, category=cw.lift, place=cw.estate1, level=Level.GRID)
    assert exc.value.message_dict == {"level": ["同一分类、范围和层级的规则已存在"]}
    with pytest.raises(Forbidden):
        routing_rule_create(by=cw.alice, category=cw.facility, place=cw.grid1, level=Level.GRID)
    with pytest.raises(NotFound):
        routing_rule_create(by=cw.alice, category=cw.facility, place=cw.grid2, level=Level.GRID)
    with pytest.raises(ValidationError) as exc:
        routing_rule_create(by=cw.sam, category=cw.facility, level=Level.GRID)
    assert exc.value.message_dict == {"place": ["全局分派规则只能由系统管理员设置，请选择适用范围"]}
    rule = routing_rule_create(by=cw.sam, category=cw.facility, place=cw.grid2, level=Level.COMMUNITY)
    routing_rule_update(by=cw.sam, rule=rule, is_active=False)
    assert route(cw.facility, cw.building2).level == Level.GRID
    with pytest.raises(Forbidden):
        from gridgov.cases.services import category_create

        category_create(by=cw.alice, name="噪音", code="noise", parent=cw.sanitation)
