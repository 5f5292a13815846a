"""The staff workbench: who may open it, what each tab lists, filters, htmx partials, home counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.cases.services import case_accept, case_supervise

STAFF_PAGES = ["cases:workbench", "cases:intake", "cases:patrol", "cases:bulk", "cases:stats", "cases:config"]


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_anonymous_is_sent_to_login(client, cw, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_a_resident_gets_403_on_staff_pages(client, cw, name):
    client.force_login(cw.erin)
    response = client.get(reverse(name))
    assert response.status_code == 403


def test_case_pages_of_a_resident_report_are_not_staff_pages(client, cw, submit):
    case = submit(by=cw.erin, reporter_phone="", place=cw.building2)
    client.force_login(cw.erin)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 403
    assert client.post(reverse("cases:act", args=[case.pk, "accept"])).status_code == 403


def test_all_tab_lists_only_cases_in_scope(client, cw, submit):
    mine = submit(text="1栋门口垃圾没人清运")
    other = submit(text="8栋门口垃圾没人清运", place=cw.building2)
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench"), {"tab": "all"}).text
    assert mine.tracking_code in page and other.tracking_code not in page
    client.force_login(cw.bob)
    page = client.get(reverse("cases:workbench"), {"tab": "all"}).text
    assert other.tracking_code in page and mine.tracking_code not in page
    client.force_login(cw.carol)
    page = client.get(reverse("cases:workbench"), {"tab": "all"}).text
    assert mine.tracking_code in page and other.tracking_code in page


def test_my_queue_shows_unclaimed_grid_cases_and_mine_with_due_time(client, cw, submit):
    case = submit()
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench")).text
    assert case.tracking_code in page
    assert "受理剩" in page  # time left to accept, counted from the SLA
    assert 'class="active" aria-current="page">我的待办' in page
    # The grid-2 worker does not get grid 1's pool.
    client.force_login(cw.bob)
    assert case.tracking_code not in client.get(reverse("cases:workbench")).text


def test_dispatch_tab_only_for_dispatchers(client, cw, submit):
    case = submit()
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench"), {"tab": "dispatch"}).text
    assert "待分派" not in page.split('<nav class="tabs"')[1].split("</nav>")[0]
    client.force_login(cw.carol)
    page = client.get(reverse("cases:workbench"), {"tab": "dispatch"}).text
    assert case.tracking_code in page
    assert 'aria-current="page">待分派 <span class="count">1</span>' in page


def test_overdue_tab_is_red_and_urgent_cases_are_highlighted(client, cw, submit):
    late = submit(
        text="电梯困人，有老人被困在里面", priority="urgent", now=timezone.now() - dt.timedelta(days=3)
    )
    fresh = submit(text="楼道灯不亮了")
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench"), {"tab": "overdue"}).text
    assert late.tracking_code in page and fresh.tracking_code not in page
    assert "cs-due overdue" in page and "受理超时" in page
    assert '<span class="cs-badge cs-urgent">紧急</span>' in page


def test_filters_narrow_the_all_tab(client, cw, submit):
    hotline = submit(text="小区路灯坏了", channel="hotline", by=cw.alice, reporter_phone="")
    web = submit(text="垃圾桶满了没人清运")
    accepted = submit(text="楼道堆放杂物")
    case_accept(by=cw.alice, case=accepted)
    case_supervise(by=cw.carol, case=accepted, note="请尽快处理")
    client.force_login(cw.carol)
    url = reverse("cases:workbench")

    def codes(**params):
        page = client.get(url, {"tab": "all", **params}).text
        return {c.tracking_code for c in (hotline, web, accepted) if c.tracking_code in page}

    assert codes(channel="hotline") == {hotline.tracking_code}
    assert codes(state="accepted") == {accepted.tracking_code}
    assert codes(q="垃圾") == {web.tracking_code}
    assert codes(q=web.tracking_code.lower()) == {web.tracking_code}
    assert codes(supervised="on") == {accepted.tracking_code}
    assert codes(place=cw.grid2.pk) == set()
    assert codes(place=cw.grid1.pk) == {hotline.tracking_code, web.tracking_code, accepted.tracking_code}
    assert codes(category=hotline.category.code) >= {hotline.tracking_code}
    today = timezone.localdate()
    assert len(codes(since=today.isoformat(), until=today.isoformat())) == 3
    assert codes(since=(today + dt.timedelta(days=1)).isoformat()) == set()


def test_bad_filters_are_named_in_chinese(client, cw, submit):
    submit()
    client.force_login(cw.alice)
    page = client.get(
        reverse("cases:workbench"), {"tab": "all", "since": "2026-05-02", "until": "2026-05-01"}
    ).text
    assert "结束日期：结束日期不能早于开始日期" in page
    page = client.get(reverse("cases:workbench"), {"tab": "all", "since": "2026-13-45"}).text
    assert "开始日期：开始日期不是有效日期" in page
    # A place outside the scope is not even a valid choice.
    page = client.get(reverse("cases:workbench"), {"tab": "all", "place": cw.grid2.pk}).text
    assert "地点：地点不存在或不在您的范围内" in page


def test_htmx_gets_only_the_list_or_the_panel(client, cw, submit):
    case = submit()
    client.force_login(cw.alice)
    url = reverse("cases:workbench")
    headers = {"HX-Request": "true", "HX-Target": "wb-list"}
    part = client.get(url, {"tab": "all", "q": "垃圾"}, headers=headers).text
    assert case.tracking_code in part and "<html" not in part and '<nav class="tabs"' not in part
    headers["HX-Target"] = "wb-panel"
    part = client.get(url, {"tab": "overdue"}, headers=headers).text
    assert "<html" not in part and 'aria-current="page">已超时' in part


def test_paginated_twenty_a_page(client, cw, submit):
    for index in range(23):
        submit(text=f"第{index}号问题：楼道灯不亮")
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench"), {"tab": "all"}).text
    assert "第 1 / 2 页，共 23 件" in page
    page = client.get(reverse("cases:workbench"), {"tab": "all", "page": 2}).text
    assert page.count('data-href="/cases/') == 3


def test_org_staff_see_their_routed_cases(client, cw, submit):
    lift = submit(text="电梯坏了", category="lift")
    other = submit(text="楼道灯不亮", category="facility")
    client.force_login(cw.pete)
    page = client.get(reverse("cases:workbench")).text
    assert lift.tracking_code in page and other.tracking_code not in page


def test_home_page_links_the_case_counts(client, cw, submit):
    submit(now=timezone.now() - dt.timedelta(days=3))
    submit()
    client.force_login(cw.carol)
    page = client.get(reverse("core:home")).text
    assert 'id="home-cases"' in page
    assert (
        "我的待办" in page
        and "待分派</span><b>2</b>" in page
        and '已超时</span><b class="badge-bad">1</b>' in page
    )
    client.force_login(cw.dave)
    page = client.get(reverse("core:home")).text
    assert "待分派</span><b>0</b>" in page
    # Navigation: the workbench for case viewers, statistics and configuration by capability.
    assert "事件工作台" in page and "事件统计" not in page and "事件配置" not in page
