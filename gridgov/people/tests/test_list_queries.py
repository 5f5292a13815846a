"""The registry's resident list, page and API: the number of queries does not grow with the rows."""

from __future__ import annotations

import re

import pytest

from gridgov.accounts.scope import SYSTEM


def _residents(world, rows: int) -> None:
    from gridgov.people.services import resident_create
    from gridgov.places.services import household_create

    for index in range(rows):
        home = household_create(by=SYSTEM, place=world.building1, room=str(300 + index))
        resident_create(by=SYSTEM, name=f"王测试{index}", household=home, phone=f"1380000{index:04d}")


@pytest.mark.parametrize("rows", [5, 50])
def test_people_list_page_costs_the_same_queries_for_5_and_50_rows(
    world, client, rows, django_assert_max_num_queries
):
    from gridgov.people.views import PAGE_SIZE

    _residents(world, rows)
    client.force_login(world.carol)
    client.get("/people/?q=王测试")  # the session's first view stores what later views reuse
    with django_assert_max_num_queries(14):  # 11 at both sizes
        response = client.get("/people/?q=王测试")
    assert response.status_code == 200
    shown = set(re.findall(r"王测试\d+", response.content.decode()))
    assert len(shown) == min(rows, PAGE_SIZE)


@pytest.mark.parametrize("rows", [5, 50])
def test_people_list_api_costs_the_same_queries_for_5_and_50_rows(
    world, client, rows, django_assert_max_num_queries
):
    _residents(world, rows)
    client.force_login(world.carol)
    with django_assert_max_num_queries(8):  # 6 at both sizes
        response = client.get("/api/v1/residents", {"q": "王测试", "page_size": 50})
    assert response.status_code == 200, response.content
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    assert len(items) == rows
    assert {item["name"] for item in items} == {f"王测试{index}" for index in range(rows)}
    assert all("*" in item["phone_masked"] for item in items)
