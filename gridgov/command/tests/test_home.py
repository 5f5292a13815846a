"""Each role's first page (core:home)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from gridgov.cases import services as cs
from gridgov.command import services


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return response.content.decode()


def test_grid_worker_sees_urgent_and_overdue_first_then_tasks(client, cw, submit):
    submit(text="楼道里有电线冒火花，很危险")
    late = submit(now=timezone.now() - dt.timedelta(days=3), text="3栋门口垃圾堆了很多天")
    services.task_send(
        by=cw.carol,
        place=cw.community,
        title="消防安全入户检查",
        deadline=timezone.now() + dt.timedelta(days=2),
    )
    page = _home(client, cw.alice)
    assert page.index('id="home-urgent"') < page.index('id="home-tasks"')
    assert "已超时" in page and late.text[:10] in page
    assert "消防安全入户检查" in page and "已走访 0/1" in page
    assert "流动人口登记即将到期" in page


def test_secretary_sees_intake_ranking_and_decisions(client, cw, submit):
    submit()
    submit(place=cw.building2)
    submit(now=timezone.now() - dt.timedelta(days=3))
    page = _home(client, cw.carol)
    assert 'id="home-intake"' in page and "今日受理</span><b>2</b>" in page and "本周受理" in page
    assert 'id="home-ranking"' in page and "第一网格" in page and "第二网格" in page
    assert "待分类交办" in page and 'id="charts-data"' in page
    assert "超时未督办" in page


def test_department_sees_its_calls_with_deadlines(client, cw, submit):
    case = cs.case_escalate(by=cw.alice, case=submit(), reason="需要部门")
    cs.case_whistle(
        by=cw.carol, case=case, organisations=[cw.police], deadline=timezone.now() + dt.timedelta(hours=4)
    )
    page = _home(client, cw.wang)
    assert 'id="home-calls"' in page and "1栋门口的垃圾" in page and "已逾期" not in page
    # A call past its deadline is among what waits for the community's decision.
    late = cs.case_escalate(by=cw.alice, case=submit(), reason="需要部门")
    cs.case_whistle(
        by=cw.carol, case=late, organisations=[cw.market], deadline=timezone.now() + dt.timedelta(seconds=1)
    )
    from gridgov.cases.models import CaseCall

    CaseCall.objects.filter(case=late).update(deadline=timezone.now() - dt.timedelta(hours=1))
    assert "吹哨未报到</span> 市场监管所" in _home(client, cw.carol)


def test_property_company_sees_its_queue_by_estate(client, cw, submit):
    submit(text="1栋2单元电梯坏了三天了，老人上下楼很困难")
    page = _home(client, cw.pete)
    assert 'id="home-queue"' in page and "各小区待办" in page and "聚江苑" in page and "电梯坏了" in page


def test_street_admin_lands_on_the_street(client, cw):
    page = _home(client, cw.sam)
    assert (
        "工作台 · 芙蓉北路街道" in page
        and f'href="{reverse("command:place", args=[cw.street.pk])}?wall=1"' in page
    )


def test_resident_sees_reports_orders_notices_and_activities_near_them(client, world):
    from gridgov.accounts.scope import SYSTEM
    from gridgov.activities import services as activities
    from gridgov.core import clock
    from gridgov.services import services as orders
    from gridgov.services.models import ServiceItem

    start = clock.now() + dt.timedelta(hours=3)
    orders.order_place(
        by=world.erin,
        resident=world.li,
        item=ServiceItem.objects.get(code="repair-water-power"),
        window_start=start,
        window_end=start + dt.timedelta(hours=2),
    )

    def activity(title: str, place, days: float):
        begins = clock.now() + dt.timedelta(days=days)
        return activities.activity_create(
            by=SYSTEM,
            place=place,
            title=title,
            location="社区活动室",
            starts_at=begins,
            ends_at=begins + dt.timedelta(hours=2),
            capacity=10,
        )

    activity("鸿江苑广场舞", world.estate2, 2)
    activity("聚江苑书法班", world.estate1, 2)  # the other estate: not near erin
    page = _home(client, world.erin)
    orders_part = page[page.index('id="home-orders"') : page.index('id="home-notices"')]
    assert "水电" in orders_part and "待接单" in orders_part
    near = page[page.index('id="home-activities"') :]
    assert "鸿江苑广场舞" in near and "聚江苑书法班" not in near


def test_resident_home_with_nothing_yet_says_so(client, world):
    page = _home(client, world.erin)
    assert "还没有订单" in page and "近期没有面向您所在小区的活动" in page and "还没有反映过问题" in page
