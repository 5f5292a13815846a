"""A building's household list, page and API: the number of queries does not grow with the rows."""

from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM


def _households(world, rows: int) -> None:
    from gridgov.people.services import resident_create
    from gridgov.places.services import household_create

    for index in range(rows):
        home = household_create(by=SYSTEM, place=world.building1, room=str(300 + index))
        resident_create(by=SYSTEM, name=f"户主{index}", household=home)


@pytest.mark.parametrize("rows", [5, 50])
def test_household_list_page_costs_the_same_queries_for_5_and_50_rows(
    world, client, rows, django_assert_max_num_queries
):
    from gridgov.places.views import HOUSEHOLDS_PER_PAGE

    _households(world, rows)
    client.force_login(world.carol)
    url = f"/places/{world.building1.pk}/"
    client.get(url)
    with django_assert_max_num_queries(13):  # 10 at both sizes
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    shown = [index for index in range(rows) if f">{300 + index}<" in page or f"{300 + index}室" in page]
    # The world's own household (101) shares the building, and sorts first.
    assert len(shown) == min(rows, HOUSEHOLDS_PER_PAGE - 1)


@pytest.mark.parametrize("rows", [5, 50])
def test_household_list_api_costs_the_same_queries_for_5_and_50_rows(
    world, client, rows, django_assert_max_num_queries
):
    _households(world, rows)
    client.force_login(world.carol)
    with django_assert_max_num_queries(8):  # 6 at both sizes
        response = client.get("/api/v1/households", {"place": world.building1.pk, "page_size": 100})
    assert response.status_code == 200, response.content
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    assert body["count"] == rows + 1  # and the world's own household, 101
    assert len(items) == min(rows + 1, 100)
    assert {item["room"] for item in items} <= {"101", *(str(300 + index) for index in range(rows))}
