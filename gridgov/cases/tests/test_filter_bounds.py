"""Filter dates out of range and huge page numbers on the workbench, the statistics page and the
case API: once 500s (a date in year 1 overflowed when shifted to UTC), now the page with a message
next to the field, or a 422 naming it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts.tests.apiclient import ApiClient, field_errors

OUT_OF_RANGE = [("since", "1969-12-31"), ("since", "0001-01-01"), ("until", "9999-12-31")]


@pytest.mark.parametrize(("field", "value"), OUT_OF_RANGE)
def test_workbench_shows_a_message_for_a_date_out_of_range(client, cw, submit, field, value):
    submit()
    client.force_login(cw.carol)
    response = client.get(reverse("cases:workbench"), {"tab": "all", field: value})
    assert response.status_code == 200
    label = {"since": "开始日期", "until": "结束日期"}[field]
    assert f"{label}：须在2000-01-01到2100-01-01之间" in response.text


@pytest.mark.parametrize(("field", "value"), OUT_OF_RANGE)
def test_stats_page_shows_a_message_for_a_date_out_of_range(client, cw, field, value):
    client.force_login(cw.carol)
    response = client.get(reverse("cases:stats"), {field: value})
    assert response.status_code == 400
    label = {"since": "开始日期", "until": "结束日期"}[field]
    assert f"{label}：须在2000-01-01到2100-01-01之间" in response.text


@pytest.mark.parametrize("tab", ["my", "all"])
def test_workbench_with_a_huge_page_number_shows_the_last_page(client, cw, submit, tab):
    submit()
    client.force_login(cw.carol)
    response = client.get(reverse("cases:workbench"), {"tab": tab, "page": "99999999999999999999"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/cases/stats"])
@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"since": "1969-12-31"}, {"since": "起始日期：不能早于2000-01-01"}),
        ({"until": "9999-12-31"}, {"until": "截止日期：不能晚于2100-01-01"}),
    ],
)
def test_api_refuses_dates_out_of_range(cw, path, params, errors):
    response = ApiClient(cw.carol).get(path, params)
    assert response.status_code == 422
    assert field_errors(response) == errors
