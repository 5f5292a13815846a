"""Finding 6a: an ID number registered outside the caller's scope is refused in words that do
not confirm the person exists, and the conflict goes to the staff who can see both records."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import ApiClient, field_errors
from gridgov.notifications.models import Notification
from gridgov.people.models import Resident
from gridgov.people.services import ID_UNAVAILABLE, resident_create

pytestmark = pytest.mark.django_db

LI_ID = "430102198002020027"  # 李秀英, grid 2
ZHANG_ID = "430102195001010018"  # 张建国, grid 1


def _conflicts(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="id_conflict"))


def test_api_create_with_an_id_registered_in_another_grid_is_neutral_and_reported(world):
    response = ApiClient(world.alice).post(
        "/api/v1/residents", {"household": world.household1.pk, "name": "王五", "id_number": LI_ID}
    )
    assert response.status_code == 400
    message = field_errors(response)["id_number"]
    assert message == ID_UNAVAILABLE
    assert "李秀英" not in response.content.decode() and "已登记" not in response.content.decode()
    assert not Resident.objects.filter(name="王五").exists()
    # The community secretary sees both grids: she is told, with both people named.
    (note,) = _conflicts(world.carol)
    assert "李秀英" in note.body and "王五" in note.body and "alice" in note.body
    assert note.link == f"/people/{world.li.pk}/"
    assert LI_ID not in note.body and LI_ID not in note.title
    # Nobody who cannot see both records hears of it.
    assert not _conflicts(world.alice) and not _conflicts(world.bob) and not _conflicts(world.frank)


def test_api_update_to_an_id_registered_in_another_grid_is_neutral_and_reported(world):
    response = ApiClient(world.alice).patch(f"/api/v1/residents/{world.zhang.pk}", {"id_number": LI_ID})
    assert response.status_code == 400
    assert field_errors(response)["id_number"] == ID_UNAVAILABLE
    world.zhang.refresh_from_db()
    assert world.zhang.id_number_last4 == ZHANG_ID[-4:]
    (note,) = _conflicts(world.carol)
    assert "张建国" in note.body and "李秀英" in note.body


def test_in_scope_duplicate_names_the_resident_already_registered(world):
    response = ApiClient(world.carol).post(
        "/api/v1/residents", {"household": world.household1.pk, "name": "王五", "id_number": LI_ID}
    )
    assert response.status_code == 400
    message = field_errors(response)["id_number"]
    assert "该身份证号已登记" in message and "李秀英" in message
    assert not Notification.objects.filter(kind="id_conflict").exists()


def test_edit_page_gives_the_neutral_message(world):
    client = Client()
    client.force_login(world.alice)
    page = client.post(
        f"/people/{world.zhang.pk}/edit/",
        {
            "name": "张建国",
            "id_number": LI_ID,
            "ethnicity": "汉族",
            "residence_status": "registered",
            "political_status": "masses",
        },
    )
    text = page.content.decode()
    assert ID_UNAVAILABLE in text and "李秀英" not in text
    assert len(_conflicts(world.carol)) == 1


def test_register_page_gives_the_neutral_message(world):
    client = Client()
    client.force_login(world.alice)
    page = client.post(
        f"/people/household/{world.household1.pk}/register/",
        {
            "name": "王五",
            "id_number": LI_ID,
            "relation": "child",
            "ethnicity": "汉族",
            "residence_status": "registered",
            "political_status": "masses",
        },
    )
    text = page.content.decode()
    assert ID_UNAVAILABLE in text and "李秀英" not in text and "已登记" not in text
    assert len(_conflicts(world.carol)) == 1


def test_floating_newcomer_conflict_is_reported_although_the_registration_rolls_back(world):
    client = Client()
    client.force_login(world.alice)
    page = client.post(
        f"/people/floating/register/?household={world.household1.pk}",
        {
            "name": "王五",
            "id_number": LI_ID,
            "relation": "tenant",
            "ethnicity": "汉族",
            "political_status": "masses",
            "origin": "湖南省邵阳市",
            "reason": "work",
        },
    )
    assert ID_UNAVAILABLE in page.content.decode()
    assert not Resident.objects.filter(name="王五").exists()
    assert len(_conflicts(world.carol)) == 1


def test_service_for_the_system_names_the_holder(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        resident_create(by=SYSTEM, name="王五", household=world.household1, id_number=LI_ID)
    assert "李秀英" in caught.value.message_dict["id_number"][0]


def test_with_no_editor_over_both_the_system_administrators_are_told(world):
    from gridgov.accounts.models import RoleAssignment

    RoleAssignment.objects.filter(user=world.carol).delete()
    ApiClient(world.alice).post(
        "/api/v1/residents", {"household": world.household1.pk, "name": "王五", "id_number": LI_ID}
    )
    assert len(_conflicts(world.admin)) == 1 and not _conflicts(world.carol)
