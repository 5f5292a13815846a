"""Creating an organisation must not tell a caller which places exist outside what they can see."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant, user_create
from gridgov.accounts.tests.apiclient import MISSING_ID, ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def department_user(world):
    """城管 staff: may look at the street's organisations, not at its buildings."""
    user = user_create(by=SYSTEM, username="chengguan", password=world.password, validate=False)
    role_grant(by=SYSTEM, user=user, role=Role.objects.get(code="department_staff"), place=world.street)
    return user


@pytest.mark.parametrize("field", ["place", "places"])
def test_a_building_id_answers_like_a_missing_one_for_a_user_who_only_views_organisations(
    world, department_user, field
):
    api = ApiClient(department_user)

    def create(place_id: int):
        body = {"kind": "merchant", "name": "新店", "place": world.street.pk}
        if field == "place":
            body["place"] = place_id
        else:
            body["places"] = [place_id]
        return api.post("/api/v1/organisations", body)

    real, missing = create(world.building2.pk), create(MISSING_ID)
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json()
