"""The resident's own reports, /r/mine/ and the API's queue=reported: the number of queries does
not grow with the reports."""

from __future__ import annotations

import pytest


def _reports(cw, rows: int) -> None:
    from gridgov.cases.services import case_submit

    for index in range(rows):
        case_submit(
            by=cw.erin,
            text=f"8栋门口的垃圾没人清运（第{index}次）",
            channel="resident_web",
            place=cw.building2,
        )


@pytest.mark.parametrize("rows", [5, 50])
def test_my_reports_page_costs_the_same_queries_for_5_and_50_reports(
    cw, client, rows, django_assert_max_num_queries
):
    _reports(cw, rows)
    client.force_login(cw.erin)
    client.get("/r/mine/")
    with django_assert_max_num_queries(9):  # 6 at both sizes
        response = client.get("/r/mine/")
    assert response.status_code == 200
    page = response.content.decode()
    assert len([i for i in range(rows) if f"（第{i}次）" in page]) == min(rows, 20)
    assert "鸿江苑" in page  # the full short address, from one query for the page


@pytest.mark.parametrize("rows", [5, 50])
def test_my_reports_api_costs_the_same_queries_for_5_and_50_reports(
    cw, client, rows, django_assert_max_num_queries
):
    _reports(cw, rows)
    client.force_login(cw.erin)
    with django_assert_max_num_queries(7):  # 4 at both sizes
        response = client.get("/api/v1/cases", {"queue": "reported", "page_size": 50})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == rows
    assert len(response.json()["items"]) == rows
