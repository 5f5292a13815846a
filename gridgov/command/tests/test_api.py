from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.command import services
from gridgov.command.models import TaskItem
from gridgov.places.services import household_create

API = "/api/v1/command"


def _send(cw, place=None):
    return services.task_send(
        by=cw.carol,
        place=place or cw.community,
        title="人口普查入户",
        checklist=["信息已核对"],
        deadline=timezone.now() + dt.timedelta(days=2),
    )


def test_dashboard_json_has_the_charts_and_scope(client, cw, submit, other_street):
    submit()
    client.force_login(cw.carol)
    body = client.get(f"{API}/places/{cw.community.pk}/dashboard?days=7").json()
    assert body["place"] == "金泰路社区" and body["days"] == 7 and body["cases"]["received"] == 1
    assert [c["name"] for c in body["breadcrumbs"]] == ["芙蓉北路街道", "金泰路社区"]
    assert body["breadcrumbs"][0]["linked"] is False
    assert {c["name"] for c in body["charts"]} >= {"trend_day", "by_child", "calls"}
    for place_id in (cw.street.pk, other_street.pk, 10**9):
        response = client.get(f"{API}/places/{place_id}/dashboard")
        assert response.status_code == 404 and response.json()["detail"] == "记录不存在或无权访问"
    bad = client.get(f"{API}/places/{cw.community.pk}/dashboard?days=0")
    assert bad.status_code in (400, 422) and bad.json()["detail"]


def test_task_list_detail_and_tick_over_json(client, cw, other_street):
    task = _send(cw)
    elsewhere = services.task_send(
        by=SYSTEM, place=other_street, title="别处", deadline=timezone.now() + dt.timedelta(days=1)
    )
    client.force_login(cw.carol)
    listed = client.get(f"{API}/tasks").json()
    assert [t["title"] for t in listed["items"]] == ["人口普查入户"]
    detail = client.get(f"{API}/tasks/{task.pk}").json()
    assert [(g["name"], g["total"], g["done"]) for g in detail["progress"]] == [
        ("第一网格", 1, 0),
        ("第二网格", 1, 0),
    ]
    assert client.get(f"{API}/tasks/{elsewhere.pk}").status_code == 404
    item = TaskItem.objects.get(task=task, grid=cw.grid1)
    client.force_login(cw.alice)
    ok = client.post(
        f"{API}/items/{item.pk}/tick",
        {"outcome": "home", "checks": [True], "client_key": "a1"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["changed"] is True
    again = client.post(
        f"{API}/items/{item.pk}/tick",
        {"outcome": "home", "checks": [True], "client_key": "a1"},
        content_type="application/json",
    )
    assert again.json()["changed"] is False
    bad = client.post(f"{API}/items/{item.pk}/tick", {"outcome": "gone"}, content_type="application/json")
    assert bad.status_code == 400 and "走访结果只能是" in bad.json()["detail"]
    other = TaskItem.objects.get(task=task, grid=cw.grid2)
    assert (
        client.post(
            f"{API}/items/{other.pk}/tick",
            {"outcome": "home", "checks": [True]},
            content_type="application/json",
        ).status_code
        == 404
    )


@pytest.mark.parametrize("tasks", [5, 50])
def test_task_list_queries_do_not_grow(client, cw, tasks, django_assert_max_num_queries):
    for _ in range(tasks):
        _send(cw, place=cw.grid1)
    client.force_login(cw.carol)
    with django_assert_max_num_queries(8):
        body = client.get(f"{API}/tasks").json()
    assert body["count"] == tasks


@pytest.mark.parametrize("households", [5, 50])
def test_task_detail_queries_do_not_grow(client, cw, households, django_assert_max_num_queries):
    for index in range(households):
        household_create(by=SYSTEM, place=cw.building1, room=f"{500 + index}")
    task = _send(cw)
    client.force_login(cw.carol)
    with django_assert_max_num_queries(8):
        assert client.get(f"{API}/tasks/{task.pk}").status_code == 200
