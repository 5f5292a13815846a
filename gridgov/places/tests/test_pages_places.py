"""The place pages: tree, htmx expand, place page with its forms, grid balance — scope matrix included."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.places.models import Household, Place, PlaceKind
from gridgov.places.services import household_create


def _get(client, user, url_name, /, *args, **params):
    client.force_login(user)
    return client.get(reverse(url_name, args=args), params)


def _post(client, user, url_name, /, *args, **data):
    client.force_login(user)
    return client.post(reverse(url_name, args=args), data)


# --- tree ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, world):
    for url in (
        reverse("places:tree"),
        reverse("places:detail", args=[world.grid1.pk]),
        reverse("places:children", args=[world.grid1.pk]),
        reverse("places:grid_balance"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_tree_starts_at_each_users_scope_roots_with_counts(client, world):
    body = _get(client, world.carol, "places:tree").content.decode()
    assert "金泰路社区" in body
    assert "户 2 · 人 2 · 下级 2" in body  # two grids, one household and one resident each
    assert f'hx-get="{reverse("places:children", args=[world.community.pk])}"' in body

    body = _get(client, world.alice, "places:tree").content.decode()
    assert "第一网格" in body and "户 1 · 人 1" in body
    assert "第二网格" not in body and "金泰路社区" not in body


def test_expanding_a_node_loads_its_children_with_counts(client, world):
    response = _get(client, world.carol, "places:children", world.community.pk)
    body = response.content.decode()
    assert response.status_code == 200
    assert "第一网格" in body and "第二网格" in body
    assert "<html" not in body  # a fragment for htmx, not a page

    body = _get(client, world.alice, "places:children", world.estate1.pk).content.decode()
    assert "1栋" in body and "户 1 · 人 1" in body


def test_expanding_outside_the_scope_is_not_found(client, world):
    assert _get(client, world.alice, "places:children", world.grid2.pk).status_code == 404
    assert _get(client, world.alice, "places:children", world.community.pk).status_code == 404
    assert _get(client, world.alice, "places:children", 999999).status_code == 404


# --- place page ---------------------------------------------------------------------------------


def test_place_page_shows_facts_children_and_households(client, world):
    Place.objects.filter(pk=world.building1.pk).update(latitude=28.2, longitude=112.9)
    response = _get(client, world.alice, "places:detail", world.building1.pk)
    body = response.content.decode()
    assert response.status_code == 200
    assert "第一网格" in body and "聚江苑" in body  # breadcrumbs
    assert "28.2, 112.9" in body and "边界" in body
    assert reverse("people:household", args=[world.household1.pk]) in body
    assert world.household1.address in body and "自住" in body


def test_place_page_outside_scope_is_the_same_404_as_a_missing_one(client, world):
    inside = _get(client, world.bob, "places:detail", world.grid2.pk)
    outside = _get(client, world.bob, "places:detail", world.grid1.pk)
    missing = _get(client, world.bob, "places:detail", 987654)
    assert inside.status_code == 200
    assert outside.status_code == missing.status_code == 404
    assert "聚江苑" not in outside.content.decode()


def test_households_are_paginated_fifty_a_page(client, world):
    for number in range(55):
        household_create(by=SYSTEM, place=world.building1, room=f"{1000 + number}")
    first = _get(client, world.carol, "places:detail", world.grid1.pk).content.decode()
    second = _get(client, world.carol, "places:detail", world.grid1.pk, page=2).content.decode()
    assert "户（56）" in first
    assert first.count(reverse("people:household", args=[0]).replace("0/", "")) >= 50
    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second
    rows = lambda body: body.count('<tr><td><a href="/people/household/')  # noqa: E731
    assert rows(first) == 50 and rows(second) == 6


def test_forms_are_shown_only_to_those_allowed(client, world):
    carol = _get(client, world.carol, "places:detail", world.building1.pk).content.decode()
    assert "新建下级地点" in carol and "登记新户" in carol and "修改楼栋信息" in carol
    alice = _get(client, world.alice, "places:detail", world.building1.pk).content.decode()
    assert "登记新户" in alice and "新建下级地点" not in alice and "修改楼栋信息" not in alice
    dave = _get(client, world.dave, "places:detail", world.building1.pk).content.decode()
    assert "登记新户" not in dave and "新建下级地点" not in dave
    estate = _get(client, world.carol, "places:detail", world.estate1.pk).content.decode()
    assert "登记新户" not in estate  # households live in buildings or units only


def test_child_place_kinds_offered_are_only_deeper_ones(client, world):
    body = _get(client, world.carol, "places:detail", world.grid1.pk).content.decode()
    assert '<option value="building">楼栋</option>' in body
    assert '<option value="community">' not in body and '<option value="grid">' not in body


# --- creating a child place ------------------------------------------------------------------------


def test_creating_a_child_place(client, world):
    response = _post(
        client, world.carol, "places:create_child", world.grid1.pk, kind="building", name="2栋", code="B2"
    )
    assert response.status_code == 302
    child = Place.objects.get(parent=world.grid1, name="2栋")
    assert child.kind == PlaceKind.BUILDING and child.code == "B2"
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, target_id=str(child.pk)).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "building", "name": ""}, "请填写名称"),
        ({"kind": "street", "name": "新街道"}, "类型无效"),
        ({"kind": "building", "name": "聚江苑"}, "“聚江苑”在同一上级下已存在"),
        ({"kind": "building", "name": "3栋", "latitude": "95", "longitude": "112"}, "纬度须在-90到90之间"),
        ({"kind": "building", "name": "3栋", "latitude": "abc", "longitude": "112"}, "纬度须为数字"),
        ({"kind": "building", "name": "3栋", "latitude": "28.1"}, "经纬度须同时填写或同时留空"),
    ],
)
def test_bad_child_place_input_is_explained_and_nothing_is_written(client, world, data, message):
    before = Place.objects.count()
    response = _post(client, world.carol, "places:create_child", world.grid1.pk, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Place.objects.count() == before


def test_creating_a_child_needs_the_capability_and_the_scope(client, world):
    before = Place.objects.count()
    # alice sees grid 1 but may not manage places there: honest 403.
    assert (
        _post(
            client, world.alice, "places:create_child", world.grid1.pk, kind="building", name="9栋"
        ).status_code
        == 403
    )
    # grid 2 is outside her scope: the same 404 as a missing place.
    assert (
        _post(
            client, world.alice, "places:create_child", world.grid2.pk, kind="building", name="9栋"
        ).status_code
        == 404
    )
    assert Place.objects.count() == before


# --- creating a household --------------------------------------------------------------------------


def test_registering_a_household_in_a_building(client, world):
    response = _post(
        client,
        world.alice,
        "places:create_household",
        world.building1.pk,
        room="102",
        residence_kind="rented",
    )
    assert response.status_code == 302
    household = Household.objects.get(place=world.building1, room="102")
    assert household.residence_kind == "rented" and household.address == "聚江苑1栋102"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"room": "", "residence_kind": "owner"}, "请填写房号"),
        ({"room": "101", "residence_kind": "owner"}, "1栋已有房号101的户"),
        ({"room": "103", "residence_kind": "castle"}, "居住类型无效"),
        ({"room": "103", "residence_kind": "owner", "area_sqm": "-5"}, "面积不能为负数"),
        ({"room": "x" * 21, "residence_kind": "owner"}, "房号不能超过20个字符"),
    ],
)
def test_bad_household_input_is_explained_and_nothing_is_written(client, world, data, message):
    before = Household.objects.count()
    response = _post(client, world.alice, "places:create_household", world.building1.pk, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Household.objects.count() == before


def test_a_household_cannot_be_registered_on_an_estate(client, world):
    before = Household.objects.count()
    response = _post(
        client, world.carol, "places:create_household", world.estate1.pk, room="1", residence_kind="owner"
    )
    assert response.status_code == 400
    assert "户只能登记在楼栋或单元下" in response.content.decode()
    assert Household.objects.count() == before


def test_registering_a_household_outside_scope_or_read_only(client, world):
    before = Household.objects.count()
    assert (
        _post(client, world.alice, "places:create_household", world.building2.pk, room="9", residence_kind="owner").status_code == 404
    )
    assert (
        _post(client, world.dave, "places:create_household", world.building1.pk, room="9", residence_kind="owner").status_code == 403
    )
    assert Household.objects.count() == before


# --- editing -------------------------------------------------------------------------------------


def test_editing_a_grid_and_its_households_range(client, world):
    response = _post(
        client,
        world.carol,
        "places:edit",
        world.grid1.pk,
        name="第一网格（东）",
        code="G1",
        latitude="28.21",
        longitude="112.98",
        households_min="1",
        households_max="5",
    )
    assert response.status_code == 302
    world.grid1.refresh_from_db()
    assert (world.grid1.name, world.grid1.households_min, world.grid1.households_max) == (
        "第一网格（东）",
        1,
        5,
    )
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, target_id=str(world.grid1.pk)).get()
    assert entry.changes["name"] == ["第一网格", "第一网格（东）"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "第一网格", "households_min": "600", "households_max": "500"}, "户数上限不能小于下限"),
        ({"name": "第一网格", "households_min": "0"}, "户数下限须大于0"),
        ({"name": ""}, "请填写名称"),
        ({"name": "第二网格"}, "“第二网格”在同一上级下已存在"),
        ({"name": "第一网格", "longitude": "200", "latitude": "1"}, "经度须在-180到180之间"),
    ],
)
def test_bad_edits_are_explained_and_nothing_changes(client, world, data, message):
    response = _post(client, world.carol, "places:edit", world.grid1.pk, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    world.grid1.refresh_from_db()
    assert world.grid1.name == "第一网格" and world.grid1.households_min is None
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE, target_id=str(world.grid1.pk)).exists()


def test_editing_needs_the_capability_and_the_scope(client, world):
    assert _post(client, world.alice, "places:edit", world.grid1.pk, name="改名").status_code == 403
    assert _post(client, world.alice, "places:edit", world.grid2.pk, name="改名").status_code == 404
    world.grid1.refresh_from_db()
    assert world.grid1.name == "第一网格"


def test_the_range_fields_appear_only_for_a_grid(client, world):
    grid = _get(client, world.carol, "places:detail", world.grid1.pk).content.decode()
    estate = _get(client, world.carol, "places:detail", world.estate1.pk).content.decode()
    assert "网格户数下限" in grid and "网格户数下限" not in estate


# --- grid balance ----------------------------------------------------------------------------------


def test_grid_balance_flags_each_grid_and_totals(client, world):
    Place.objects.filter(pk=world.grid1.pk).update(households_min=1, households_max=5)
    body = _get(client, world.carol, "places:grid_balance").content.decode()
    assert "第一网格" in body and "第二网格" in body
    assert "1–5" in body and "300–500" in body
    assert body.count("户数偏少") == 1 and "合理" in body  # grid 2 has 1 of 300; grid 1 fits its own range
    assert "合计（2个网格）" in body


def test_grid_balance_is_scoped(client, world):
    body = _get(client, world.alice, "places:grid_balance").content.decode()
    assert "第一网格" in body and "第二网格" not in body
    assert "合计（1个网格）" in body


def test_new_child_form_preselects_the_usual_next_level(client, world):
    grid = _get(client, world.carol, "places:detail", world.grid1.pk).content.decode()
    estate = _get(client, world.carol, "places:detail", world.estate1.pk).content.decode()
    assert '<option value="estate" selected>' in grid
    assert '<option value="building" selected>' in estate
