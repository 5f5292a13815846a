"""One page table: the navigation offers a page exactly when its view lets the user in, and the
home page's case counts (a template tag) appear exactly when the workbench opens."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from gridgov.accounts.models import Role
from gridgov.accounts.pages import PAGES, can_open
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant, user_create
from gridgov.core.context_processors import NAVIGATION, navigation


@pytest.fixture
def personas(world):
    def person(username: str, role: str, place):
        user = user_create(by=SYSTEM, username=username, password=world.password, validate=False)
        role_grant(by=SYSTEM, user=user, role=Role.objects.get(code=role), place=place)
        return user

    return {
        "grid_worker": world.alice,
        "volunteer": world.dave,
        "secretary": world.carol,
        "resident": world.erin,
        "admin": world.admin,
        "street_admin": person("sam", "street_admin", world.street),
        "department": person("chen", "department_staff", world.street),
        "community_worker": person("cora", "community_worker", world.community),
    }


def test_navigation_entries_come_from_the_page_table():
    assert {name for _label, name in NAVIGATION} <= set(PAGES)


@pytest.mark.parametrize("name", [name for _label, name in NAVIGATION] + ["accounts:roles"])
def test_the_menu_and_the_page_agree_for_every_persona(client, personas, name):
    url = reverse(name)
    for who, user in personas.items():
        client.force_login(user)
        request = RequestFactory().get("/")
        request.user = user
        listed = any(item["url"] == url for item in navigation(request)["nav_items"])
        status = client.get(url).status_code
        # 404 too: the robots page hides itself from those who may not manage any robot.
        assert status in (200, 302, 403, 404), (who, name, status)
        opens = status not in (403, 404)
        assert opens == can_open(user, name), (who, name, status)
        if name != "accounts:roles":  # not a menu entry; linked from the accounts page
            assert listed == opens, (who, name, listed, status)


def test_the_home_counts_tag_follows_the_workbench_entry(client, personas):
    for who, user in personas.items():
        client.force_login(user)
        response = client.get(reverse("core:home"), follow=True)
        shows_counts = "home-cases" in response.content.decode()
        assert shows_counts == can_open(user, "cases:workbench"), who


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("cases:workbench"))
    assert response.status_code == 302 and "login" in response["Location"]
