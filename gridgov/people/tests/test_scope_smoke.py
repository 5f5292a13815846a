from __future__ import annotations

import pytest

from gridgov.core.errors import NotFound
from gridgov.people.selectors import resident_for, resident_search, residents_for


def test_grid_worker_sees_own_grid_only(world):
    assert list(residents_for(world.alice)) == [world.zhang]
    assert list(residents_for(world.bob)) == [world.li]
    assert set(residents_for(world.carol)) == {world.zhang, world.li}
    with pytest.raises(NotFound):
        resident_for(world.alice, world.li.pk)


def test_search_by_id_number_phone_and_initials(world):
    assert list(resident_search(world.carol, q="430102195001010018")) == [world.zhang]
    assert list(resident_search(world.carol, q="13987654321")) == [world.li]
    assert list(resident_search(world.carol, q="zjg")) == [world.zhang]
    assert list(resident_search(world.alice, q="13987654321")) == []
