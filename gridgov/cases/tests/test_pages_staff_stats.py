"""The statistics page against a dataset whose numbers are known by hand."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.services import case_accept, case_rate, case_resolve, sla_set


@pytest.fixture
def dataset(cw, submit):
    """Grid 1: A (10 h to accept and resolve, rated 5), B (4 h, rated 3), C (3 days old, never
    accepted: overdue). Grid 2: D, a fresh hotline report about a facility."""
    sla_set(
        by=SYSTEM, category=cw.sanitation, priority="normal", accept_within=12, resolve_within=48, unit="hours"
    )
    now = timezone.now()
    a = submit(category="sanitation", now=now - dt.timedelta(hours=10), reporter_phone="13700000001")
    b = submit(category="sanitation", now=now - dt.timedelta(hours=4), reporter_phone="13700000002")
    submit(category="sanitation", now=now - dt.timedelta(days=3))
    submit(
        by=cw.bob,
        channel="hotline",
        category="facility",
        place=cw.building2,
        reporter_phone="",
        text="路灯坏了",
    )
    for case, rating in ((a, 5), (b, 3)):
        case_accept(by=cw.alice, case=case)
        case_resolve(by=cw.alice, case=case, result="已处理")
        case_rate(by=AnonymousUser(), case=case, rating=rating, phone_last4=case.reporter_phone_last4)
    return cw


def stat(page: str, name: str) -> str:
    match = re.search(rf'data-stat="{name}">([^<]*)<', page)
    assert match is not None, name
    return match.group(1)


def row(page: str, table: str, code: str) -> list[str]:
    body = page.split(f'<table id="{table}">')[1].split("</table>")[0]
    cells = body.split(f'data-code="{code}">')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]


def test_totals_and_tables_match_the_dataset(client, dataset):
    client.force_login(dataset.carol)
    page = client.get(reverse("cases:stats")).text
    assert stat(page, "received") == "4"
    assert stat(page, "resolved") == "2"
    assert stat(page, "open") == "2"
    assert stat(page, "overdue") == "1"
    assert stat(page, "avg_accept_hours") == "7.0"
    assert stat(page, "avg_resolve_hours") == "7.0"
    assert stat(page, "satisfaction_rate") == "50%"
    assert "2 件评价，均分 4.0" in page
    # name, received, resolved, overdue, avg accept, avg resolve, satisfaction
    assert row(page, "by-category", "sanitation")[:7] == ["环境卫生", "3", "2", "1", "7.0", "7.0", "50%"]
    assert row(page, "by-category", "facility")[:4] == ["设施维修", "1", "0", "0"]
    assert row(page, "by-channel", "resident_web")[:3] == ["居民手机端", "3", "2"]
    assert row(page, "by-channel", "hotline")[:3] == ["电话热线", "1", "0"]
    levels = page.split('<table id="open-by-level">')[1].split("</table>")[0]
    assert '<td>网格</td><td class="num">2</td>' in levels


def test_place_subtree_and_date_range(client, dataset):
    client.force_login(dataset.carol)
    url = reverse("cases:stats")
    page = client.get(url, {"place": dataset.grid2.pk}).text
    assert stat(page, "received") == "1" and stat(page, "resolved") == "0"
    today = timezone.localdate()
    page = client.get(
        url, {"since": (today - dt.timedelta(days=1)).isoformat(), "until": today.isoformat()}
    ).text
    assert stat(page, "received") == "3"  # C (three days old) is outside
    page = client.get(url, {"since": "2026-02-03", "until": "2026-02-01"}).text
    assert "结束日期：结束日期不能早于开始日期" in page


def test_stats_scope(client, dataset):
    client.force_login(dataset.frank)  # 网格长 of grid 1: statistics for grid 1 only
    url = reverse("cases:stats")
    page = client.get(url).text
    assert stat(page, "received") == "3"
    response = client.get(url, {"place": dataset.grid2.pk})
    assert response.status_code == 400 and "统计范围：地点不存在或不在您的统计范围内" in response.text
    client.force_login(dataset.alice)  # 网格员: no statistics
    assert client.get(url).status_code == 403
