"""The workbench's panel and list are drawn in Python (`render_panel`, `render_case_list`): for
every tab, page, empty list and filter error the page must carry the markup the old templates
(`reference/old_workbench_panel.html`, `reference/old_case_list.html`) drew from the same rows:
the same page links (keeping the rest of the query), counts and empty-list texts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse

from gridgov.cases.templatetags import cases_rows
from gridgov.cases.views import workbench_page

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parent / "reference"
OLD_LIST = engines["django"].from_string((REFERENCE / "old_case_list.html").read_text())
OLD_PANEL = engines["django"].from_string((REFERENCE / "old_workbench_panel.html").read_text())


def _normal(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


@pytest.fixture
def drawn(monkeypatch):
    """Each list and panel the view draws, with what the old templates drew from the same inputs."""
    pairs: list[tuple[str, str]] = []

    seen: dict[str, Any] = {}

    def listing(**kwargs: Any) -> str:
        new = cases_rows.render_case_list(**kwargs)
        rows_html = cases_rows.render_rows(
            kwargs["rows"],
            overdue_tab=kwargs["tab"] == "overdue",
            urgeable=kwargs["urgeable"],
            csrf_token=kwargs["csrf_token"],
        )
        seen["request"] = RequestFactory().get("/cases/", kwargs["query"])
        seen["list"] = kwargs
        pairs.append((new, OLD_LIST.render({**kwargs, "rows_html": rows_html}, seen["request"])))
        return new

    def panel(**kwargs: Any) -> str:
        new = cases_rows.render_panel(**kwargs)
        context = {
            "tabs_html": cases_rows.render_tabs(kwargs["tabs"], kwargs["tab"]),
            "tab": kwargs["tab"],
            "listing": kwargs["listing"],
            # The old panel drew the "all" tab's filter box itself, from the list's form.
            "form": seen["list"]["form"],
            "filtered": seen["list"]["filtered"],
        }
        pairs.append((new, OLD_PANEL.render(context, seen["request"])))
        return new

    monkeypatch.setattr(workbench_page, "render_case_list", listing)
    monkeypatch.setattr(workbench_page, "render_panel", panel)
    return pairs


def _same(pairs: list[tuple[str, str]]) -> None:
    assert pairs
    for new, old in pairs:
        assert _normal(new) == _normal(old)


def test_two_pages_of_my_queue_link_each_other_keeping_the_query(client, cw, submit, drawn):
    for n in range(23):
        submit(text=f"楼道灯坏了（第{n}件）")
    client.force_login(cw.alice)
    url = reverse("cases:workbench")
    first = client.get(url, {"tab": "my", "x": "a&b"}).text
    assert "第 1 / 2 页，共 23 件" in first
    assert 'href="?tab=my&amp;x=a%26b&amp;page=2"' in first and "上一页" not in first
    second = client.get(url, {"tab": "my", "page": "2"}).text
    assert "第 2 / 2 页，共 23 件" in second and 'href="?tab=my&amp;page=1"' in second
    assert "下一页" not in second
    # Past the end is the last page, a page that is not a number the first.
    assert "第 2 / 2 页" in client.get(url, {"page": "99"}).text
    assert "第 1 / 2 页" in client.get(url, {"page": "x"}).text
    _same(drawn)


def test_one_page_says_its_count(client, cw, submit, drawn):
    submit(text="楼道灯坏了")
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench")).text
    assert '<p class="muted">共 1 件</p>' in page and 'class="pagination"' not in page
    _same(drawn)


@pytest.mark.parametrize(
    ("who", "tab", "text"),
    [
        ("alice", "my", "没有待办事件。"),
        ("carol", "dispatch", "没有待分派的事件。"),
        ("alice", "overdue", "没有超时事件。"),
        ("alice", "all", "辖区内暂无事件。"),
    ],
)
def test_an_empty_tab_says_so(client, cw, drawn, who, tab, text):
    client.force_login(getattr(cw, who))
    page = client.get(reverse("cases:workbench"), {"tab": tab}).text
    assert f'<p class="muted card">{text}</p>' in page
    _same(drawn)


def test_a_filter_that_finds_nothing_and_a_filter_error(client, cw, submit, drawn):
    submit(text="楼道灯坏了")
    client.force_login(cw.alice)
    url = reverse("cases:workbench")
    page = client.get(url, {"tab": "all", "q": "没有这样的事"}).text
    assert "没有符合条件的事件（只显示您辖区内的事件）。" in page and "data-filtered" in page
    page = client.get(url, {"tab": "all", "since": "昨天"}).text
    assert '<div class="cs-alert" role="alert"><div>' in page and "日期" in page
    _same(drawn)


def test_htmx_asks_for_the_list_or_the_panel_alone(client, cw, submit, drawn):
    submit(text="楼道灯坏了")
    client.force_login(cw.alice)
    url = reverse("cases:workbench")
    listing = client.get(url, {"tab": "my"}, headers={"HX-Request": "true", "HX-Target": "wb-list"}).text
    assert listing.lstrip().startswith('<ul class="cs-cards"') and "<nav" not in listing
    assert 'id="wb-list"' not in listing and "共 1 件" in listing
    panel = client.get(url, {"tab": "all"}, headers={"HX-Request": "true", "HX-Target": "wb-panel"}).text
    assert panel.startswith('<nav class="tabs"') and 'class="cs-filter-box"' in panel
    assert '<div id="wb-list">' in panel and "<html" not in panel
    _same(drawn)
