"""Out-of-range filters on the audit search, page and API: once 500s (a date in year 1 overflowed
when shifted to UTC, an actor id past 64 bits overflowed SQLite), now a message naming the field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts.tests.apiclient import ApiClient, field_errors


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"since": "1969-12-31"}, {"since": "起始日期：不能早于2000-01-01"}),
        ({"since": "0001-01-01"}, {"since": "起始日期：不能早于2000-01-01"}),
        ({"until": "0001-01-01"}, {"until": "截止日期：不能早于2000-01-01"}),
        ({"until": "9999-12-31"}, {"until": "截止日期：不能晚于2100-01-01"}),
        ({"actor_id": "9223372036854775808"}, {"actor_id": "操作人账号ID：不能大于9223372036854775807"}),
        ({"actor_id": "0"}, {"actor_id": "操作人账号ID：不能小于1"}),
    ],
)
def test_api_refuses_filters_out_of_range(world, params, errors):
    response = ApiClient(world.admin).get("/api/v1/audit", params)
    assert response.status_code == 422
    assert field_errors(response) == errors


def test_api_accepts_the_bounds_themselves(world):
    response = ApiClient(world.admin).get(
        "/api/v1/audit", {"since": "2000-01-01", "until": "2100-01-01", "actor_id": "9223372036854775807"}
    )
    assert response.status_code == 200 and response.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "1969-12-31"}, "起始日期：须在2000-01-01到2100-01-01之间"),
        ({"since": "0001-01-01"}, "起始日期：须在2000-01-01到2100-01-01之间"),
        ({"until": "9999-12-31"}, "截止日期：须在2000-01-01到2100-01-01之间"),
    ],
)
def test_page_shows_a_message_for_dates_out_of_range(client, world, params, message):
    client.force_login(world.admin)
    response = client.get(reverse("audit:search"), params)
    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "abc"])
def test_page_with_a_page_number_past_the_end_shows_the_last_page(client, world, page):
    client.force_login(world.admin)
    response = client.get(reverse("audit:search"), {"page": page})
    assert response.status_code == 200
