"""/api/v1/services/…: each endpoint's bad input and out-of-scope answers, and the scope matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from gridgov.core import clock
from gridgov.services.models import Order, OrderState

pytestmark = pytest.mark.django_db
BASE = "/api/v1/services"


def api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _window(hours: float = 2) -> dict[str, str]:
    start = clock.now() + dt.timedelta(hours=hours)
    return {"window_start": start.isoformat(), "window_end": (start + dt.timedelta(hours=2)).isoformat()}


def test_order_loop_over_json(sw):
    created = api(sw.carol).post(
        f"{BASE}/orders",
        {"resident": sw.zhang.pk, "item": sw.haircut.pk, "channel": "phone", **_window()},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    assert created.json()["state"] == "open"
    proposals = api(sw.lei).get(f"{BASE}/orders/{order_id}/proposals").json()
    assert proposals[0]["name"] in ("吴党员", "雷队长")
    grabbed = api(sw.wu).post(f"{BASE}/orders/{order_id}/grab")
    assert grabbed.json()["state"] == "assigned"
    lost = api(sw.xu).post(f"{BASE}/orders/{order_id}/grab")
    assert lost.status_code == 400 and "已被其他人接单" in lost.json()["errors"][0]["message"]
    api(sw.wu).post(f"{BASE}/orders/{order_id}/complete", {"note": "完成"}, content_type="application/json")
    rated = api(sw.zhang_user).post(
        f"{BASE}/orders/{order_id}/rate", {"rating": 5}, content_type="application/json"
    )
    assert rated.json()["state"] == OrderState.CONFIRMED
    twice = api(sw.zhang_user).post(
        f"{BASE}/orders/{order_id}/rate", {"rating": 3}, content_type="application/json"
    )
    assert twice.status_code == 400 and "不能重复评价" in twice.json()["errors"][0]["message"]


def test_bad_input_names_the_field(sw):
    past = api(sw.carol).post(
        f"{BASE}/orders",
        {"resident": sw.zhang.pk, "item": sw.haircut.pk, **_window(-30)},
        content_type="application/json",
    )
    assert past.status_code == 400 and past.json()["errors"][0]["field"] == "window_start"
    outside = api(sw.carol).post(
        f"{BASE}/orders",
        {"resident": sw.li.pk, "item": sw.haircut.pk, **_window()},
        content_type="application/json",
    )
    assert outside.status_code == 400 and outside.json()["errors"][0]["field"] == "item"
    assert Order.objects.count() == 0


def test_out_of_scope_is_404_alike(sw, place_order):
    order = place_order()
    for outsider in (sw.bob, sw.erin, sw.dave):
        client = api(outsider)
        assert client.get(f"{BASE}/orders/{order.pk}").status_code == 404
        assert client.post(f"{BASE}/orders/{order.pk}/grab").status_code == 404
        assert (
            client.post(
                f"{BASE}/orders/{order.pk}/cancel", {"reason": "x"}, content_type="application/json"
            ).status_code
            == 404
        )
    assert api(sw.carol).get(f"{BASE}/orders/999999").status_code == 404
    assert (
        api(sw.bob)
        .post(
            f"{BASE}/orders",
            {"resident": sw.zhang.pk, "item": sw.haircut.pk, **_window()},
            content_type="application/json",
        )
        .status_code
        == 404
    )
    assert (
        api(sw.bob)
        .post(
            f"{BASE}/volunteers/{sw.qian_v.pk}/decision", {"approve": True}, content_type="application/json"
        )
        .status_code
        == 404
    )


def test_lists_are_scoped(sw, place_order):
    place_order()
    place_order(resident=sw.li, item=sw.repair)
    assert api(sw.carol).get(f"{BASE}/orders").json()["count"] == 2
    assert api(sw.wu).get(f"{BASE}/orders").json()["count"] == 1
    assert api(sw.dave).get(f"{BASE}/orders").json()["count"] == 0
    assert api(sw.bob).get(f"{BASE}/volunteers").json()["count"] == 0
    assert api(sw.carol).get(f"{BASE}/volunteers").json()["count"] == 4
    assert len(api(sw.erin).get(f"{BASE}/items").json()) == 15


def test_hours_overlap_refused_over_json(sw):
    start = clock.now() - dt.timedelta(hours=6)
    body = {
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(hours=2)).isoformat(),
        "reason": "义诊",
    }
    url = f"{BASE}/volunteers/{sw.wu_v.pk}/hours"
    assert api(sw.carol).post(url, body, content_type="application/json").status_code == 201
    again = api(sw.carol).post(url, body, content_type="application/json")
    assert again.status_code == 400 and again.json()["errors"][0]["field"] == "started_at"
    assert len(api(sw.carol).get(url).json()) == 1
    assert api(sw.wu).post(url, body, content_type="application/json").status_code == 404


@pytest.mark.parametrize("count", [5, 50])
def test_order_list_query_count(sw, count, django_assert_max_num_queries):
    start = clock.now() + dt.timedelta(hours=2)
    Order.objects.bulk_create(
        [
            Order(
                item=sw.haircut,
                resident=sw.zhang,
                place=sw.zhang.place,
                place_path=sw.zhang.place.path,
                team=sw.subteam,
                window_start=start,
                window_end=start + dt.timedelta(hours=1),
                created_at=clock.now(),
            )
            for _ in range(count)
        ]
    )
    client = api(sw.wu)
    with django_assert_max_num_queries(15):
        assert client.get(f"{BASE}/orders").status_code == 200
