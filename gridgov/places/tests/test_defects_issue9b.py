"""Issue 9 defects on the place pages: room order, breadcrumbs outside the scope, poster hotline."""

from __future__ import annotations

from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.places.services import household_create


def test_defect_04_room_numbers_natural_order(world, client):
    for room in ("1001", "1002", "102", "201", "2001", "1101"):
        household_create(by=SYSTEM, place=world.building1, room=room)
    client.force_login(world.carol)
    page = client.get(reverse("places:detail", args=[world.building1.pk])).text
    order = ["101", "102", "201", "1001", "1002", "1101", "2001"]
    positions = [page.index(f">{room}</a>") for room in order]
    assert positions == sorted(positions)


def test_defect_02_breadcrumbs_above_the_scope_are_plain_text(world, client):
    client.force_login(world.alice)  # grid worker of grid 1: the street and community are above her
    page = client.get(reverse("places:detail", args=[world.building1.pk])).text
    start = page.index('<nav class="breadcrumbs"')
    nav = page[start : page.index("</nav>", start)]
    assert world.street.name in nav and world.community.name in nav
    assert reverse("places:detail", args=[world.street.pk]) not in nav
    assert reverse("places:detail", args=[world.community.pk]) not in nav
    # Inside her scope the crumbs are links, and every link on the bar opens.
    assert reverse("places:detail", args=[world.grid1.pk]) in nav
    assert reverse("places:detail", args=[world.estate1.pk]) in nav
    for href in (reverse("places:detail", args=[world.grid1.pk]), reverse("places:detail", args=[world.estate1.pk])):
        assert client.get(href).status_code == 200


def test_defect_02_household_breadcrumbs_above_the_scope_are_plain_text(world, client):
    client.force_login(world.alice)
    page = client.get(reverse("people:household", args=[world.household1.pk])).text
    start = page.index('<nav class="breadcrumbs"')
    nav = page[start : page.index("</nav>", start)]
    assert world.community.name in nav
    assert reverse("places:detail", args=[world.community.pk]) not in nav
    assert reverse("places:detail", args=[world.building1.pk]) in nav
