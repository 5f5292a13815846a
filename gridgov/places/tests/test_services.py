from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.core.errors import Forbidden, NotFound
from gridgov.places.models import Household, Place, PlaceKind
from gridgov.places.selectors import children_with_counts, grid_balance
from gridgov.places.services import (
    decode_segment,
    encode_segment,
    household_create,
    household_update,
    place_create,
    place_update,
)


def test_segments_round_trip_and_keep_fixed_width():
    for number in (1, 35, 36, 1295, 1_679_615):
        assert len(encode_segment(number)) == 4
        assert decode_segment(encode_segment(number)) == number
    with pytest.raises(ValueError):
        encode_segment(36**4)


def test_paths_nest_and_levels_may_be_skipped(world):
    lane = place_create(by=world.carol, parent=world.grid1, kind=PlaceKind.LANE, name="麻园岭巷")
    building = place_create(by=world.carol, parent=lane, kind=PlaceKind.BUILDING, name="12号")
    assert building.path.startswith(lane.path + ".")
    assert building.depth == lane.depth + 1
    # 社区 → 楼栋 directly: levels between may be skipped.
    direct = place_create(by=world.carol, parent=world.community, kind=PlaceKind.BUILDING, name="社区服务中心")
    assert direct.parent == world.community


def test_a_place_cannot_sit_under_a_deeper_kind(world):
    with pytest.raises(ValidationError) as caught:
        place_create(by=world.carol, parent=world.building1, kind=PlaceKind.GRID, name="错误网格")
    assert caught.value.message_dict["parent"] == ["网格不能建在楼栋“1栋”之下"]
    assert not Place.objects.filter(name="错误网格").exists()


def test_duplicate_sibling_names_are_refused(world):
    with pytest.raises(ValidationError) as caught:
        place_create(by=world.carol, parent=world.estate1, kind=PlaceKind.BUILDING, name="1栋")
    assert caught.value.message_dict["name"] == ["“1栋”在同一上级下已存在"]


def test_grid_worker_cannot_manage_places_and_outsiders_see_nothing(world):
    with pytest.raises(Forbidden):
        place_create(by=world.alice, parent=world.estate1, kind=PlaceKind.BUILDING, name="2栋")
    with pytest.raises(NotFound):
        place_create(by=world.alice, parent=world.estate2, kind=PlaceKind.BUILDING, name="9栋")


def test_household_only_in_building_or_unit(world):
    with pytest.raises(ValidationError) as caught:
        household_create(by=world.carol, place=world.estate1, room="101")
    assert caught.value.message_dict["place"] == ["户只能登记在楼栋或单元下，“聚江苑”是小区"]
    with pytest.raises(ValidationError) as caught:
        household_create(by=world.carol, place=world.building1, room="101")
    assert caught.value.message_dict["room"] == ["1栋已有房号101的户"]
    assert Household.objects.count() == 2


def test_household_address_follows_renames_and_writes_audit(world):
    unit = place_create(by=world.carol, parent=world.building1, kind=PlaceKind.UNIT, name="2单元")
    household = household_create(by=world.alice, place=unit, room="1201", residence_kind="rented")
    assert household.address == "聚江苑1栋2单元1201"
    place_update(by=world.carol, place=world.estate1, name="聚江苑二期")
    household.refresh_from_db()
    assert household.address == "聚江苑二期1栋2单元1201"
    household_update(by=world.alice, household=household, residence_kind="vacant")
    entry = AuditEntry.objects.filter(target_type="places.household", action=AuditAction.UPDATE).first()
    assert entry.changes == {"residence_kind": ["rented", "vacant"]}


def test_counts_per_child_and_grid_balance(world, settings):
    rows = {row.place.name: row for row in children_with_counts(world.carol, world.community)}
    assert (rows["第一网格"].households, rows["第一网格"].residents) == (1, 1)
    assert rows["第二网格"].households == 1
    assert [row.place for row in children_with_counts(world.alice, None)] == [world.grid1]
    settings.GRIDGOV_GRID_HOUSEHOLDS_MIN = 1
    settings.GRIDGOV_GRID_HOUSEHOLDS_MAX = 1
    household_create(by=SYSTEM, place=world.building2, room="203")
    statuses = {row.grid.name: row.status for row in grid_balance(world.carol)}
    assert statuses == {"第一网格": "ok", "第二网格": "over"}
    assert [row.grid for row in grid_balance(world.alice)] == [world.grid1]
