"""The command world: the case world (carol over the community, sam over the street, alice and
bob in the two grids, a property company and departments) and a second street nobody here holds."""

from __future__ import annotations

import pytest

from gridgov.cases.tests.conftest import cw, submit  # noqa: F401  (fixtures reused by name)


@pytest.fixture
def other_street(db):
    from gridgov.accounts.scope import SYSTEM
    from gridgov.places.models import PlaceKind
    from gridgov.places.services import household_create, place_create

    street = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="别的街道")
    community = place_create(by=SYSTEM, parent=street, kind=PlaceKind.COMMUNITY, name="别的社区")
    grid = place_create(by=SYSTEM, parent=community, kind=PlaceKind.GRID, name="别的网格")
    building = place_create(by=SYSTEM, parent=grid, kind=PlaceKind.BUILDING, name="9栋")
    household_create(by=SYSTEM, place=building, room="901")
    return street
