"""Staff intake on a place outside the user's scope answers like a missing place."""

from __future__ import annotations

import pytest

from gridgov.accounts.tests.apiclient import MISSING_ID, ApiClient

pytestmark = pytest.mark.django_db


def test_a_grid_worker_registering_a_case_in_another_grid_learns_nothing_about_the_place(world):
    api = ApiClient(world.alice)

    def submit(place_id: int):
        return api.post(
            "/api/v1/cases",
            {"text": "楼道灯坏了", "channel": "hotline", "place": place_id, "reporter_phone": "13700001234"},
        )

    other_grid, missing = submit(world.building2.pk), submit(MISSING_ID)
    assert other_grid.status_code == missing.status_code == 400
    assert other_grid.json() == missing.json()
    assert "8栋" not in other_grid.content.decode()
