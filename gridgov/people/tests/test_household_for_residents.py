"""Finding 7: a resident sees the names and relations of their household, nothing staff-internal.

Erin is 李秀英 of household 202 (grid 2). Her son is a 矫正对象 with a staff note; she herself
carries a tag and a note too. Neither the tags nor the notes, nor the son's details, reach her:
not on the household page, her own card page, the phone home page, or the API."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import ApiClient, ids
from gridgov.people.models import Relation, Tag
from gridgov.people.services import resident_create, resident_set_tags, resident_update
from gridgov.places.services import household_update

pytestmark = pytest.mark.django_db

SON_NOTE = "每周一到司法所报到"
OWN_NOTE = "低保复核中"
HOUSEHOLD_NOTE = "户内有社区矫正人员，走访注意"


@pytest.fixture
def family(world):
    correction = Tag.objects.get(code="community-correction")
    son = resident_create(
        by=SYSTEM,
        name="李小军",
        household=world.household2,
        relation=Relation.CHILD,
        id_number="430102200502020015",
        phone="13700002222",
        notes=SON_NOTE,
        tags=[correction],
    )
    resident_set_tags(by=SYSTEM, resident=world.li, tags=[Tag.objects.get(code="disabled")])
    resident_update(by=SYSTEM, resident=world.li, notes=OWN_NOTE)
    household_update(by=SYSTEM, household=world.household2, notes=HOUSEHOLD_NOTE)
    world.son = son
    return world


def _page(user, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


SECRETS = ("矫正对象", "残疾人", SON_NOTE, OWN_NOTE, HOUSEHOLD_NOTE, "*******2222", "0015")


def test_household_page_shows_names_and_relations_only(family):
    page = _page(family.erin, f"/people/household/{family.household2.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "李小军" in text and "子女" in text and "李秀英" in text
    for secret in SECRETS:
        assert secret not in text, secret
    # Her own row may show her own masked number.
    assert "*******4321" in text


def test_staff_still_see_tags_and_notes_on_the_household_page(family):
    text = _page(family.bob, f"/people/household/{family.household2.pk}/").content.decode()
    assert "矫正对象" in text and HOUSEHOLD_NOTE in text


def test_a_relatives_card_page_is_not_found_for_a_resident(family):
    assert _page(family.erin, f"/people/{family.son.pk}/").status_code == 404


def test_her_own_page_shows_her_basic_data_but_no_tags_or_notes(family):
    page = _page(family.erin, f"/people/{family.li.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "李秀英" in text and "*******4321" in text
    for secret in ("残疾人", OWN_NOTE, "人群标签"):
        assert secret not in text, secret


def test_phone_home_page_shows_names_and_relations_only(family):
    text = _page(family.erin, "/me/").content.decode()
    assert "李小军" in text and "子女" in text
    assert "*******2222" not in text


def test_api_lists_only_herself_without_tags(family):
    client = ApiClient(family.erin)
    listed = client.get("/api/v1/residents")
    assert ids(listed) == [family.li.pk]
    assert listed.json()["items"][0]["tags"] == []
    own = client.get(f"/api/v1/residents/{family.li.pk}").json()
    assert own["name"] == "李秀英" and own["tags"] == [] and own["notes"] == "" and own["floating"] == []
    assert client.get(f"/api/v1/residents/{family.son.pk}").status_code == 404


def test_api_household_shows_names_and_relations_only(family):
    response = ApiClient(family.erin).get(f"/api/v1/households/{family.household2.pk}")
    assert response.status_code == 200
    body = response.json()
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text, secret
    son = next(m for m in body["members"] if m["name"] == "李小军")
    assert son["relation"] == "child"
    assert son["id_number_masked"] == son["phone_masked"] == "" and son["age"] is None
    assert body["notes"] == ""


def test_staff_api_is_unchanged(family):
    body = ApiClient(family.bob).get(f"/api/v1/residents/{family.son.pk}").json()
    assert [tag["name"] for tag in body["tags"]] == ["矫正对象"] and body["notes"] == SON_NOTE
