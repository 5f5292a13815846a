"""Audit search: the selector's scope, the page's filters and diffs, and GET /api/v1/audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import Role
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.audit.selectors import audit_entries_for
from gridgov.audit.services import audit_record
from gridgov.people.services import resident_update
from gridgov.places.models import PlaceKind
from gridgov.places.services import place_create, place_update


@pytest.fixture
def trail(world):
    """A few recognisable entries: one per grid, one in another street, one with no place."""
    t = type("Trail", (), {})()
    t.grid1 = place_update(by=world.carol, place=world.grid1, name="第一网格（东）")
    t.grid1_entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, target_id=str(world.grid1.pk)).get()
    resident_update(by=world.carol, resident=world.li, phone="13700001111")
    t.li_entry = AuditEntry.objects.filter(
        target_type="people.resident", target_id=str(world.li.pk), action=AuditAction.UPDATE
    ).get()
    other = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="望月湖街道")
    t.other_entry = audit_record(
        actor=SYSTEM, action=AuditAction.EXPORT, target=other, place_path=other.path, target_label="望月湖导出"
    )
    t.placeless = audit_record(
        actor=world.admin,
        action=AuditAction.ROLE_EDIT,
        target_type="accounts.role",
        target_id=1,
        target_label="无地点记录",
    )
    return t


def test_selector_keeps_to_the_viewers_audit_scope(world, trail):
    carol = set(audit_entries_for(world.carol).values_list("pk", flat=True))
    assert {trail.grid1_entry.pk, trail.li_entry.pk} <= carol
    assert trail.other_entry.pk not in carol and trail.placeless.pk not in carol

    frank = set(audit_entries_for(world.frank).values_list("pk", flat=True))  # 网格长: no AUDIT_VIEW
    assert frank == set()

    admin = set(audit_entries_for(world.admin).values_list("pk", flat=True))
    assert {trail.other_entry.pk, trail.placeless.pk, trail.grid1_entry.pk} <= admin


def test_a_grid_level_audit_viewer_sees_only_that_grid(world, trail):
    role_grant(
        by=SYSTEM, user=world.frank, role=Role.objects.get(code="community_secretary"), place=world.grid2
    )
    frank = set(audit_entries_for(world.frank).values_list("pk", flat=True))
    assert trail.li_entry.pk in frank and trail.grid1_entry.pk not in frank


def test_selector_filters(world, trail):
    def pks(**filters):
        return set(audit_entries_for(world.admin, **filters).values_list("pk", flat=True))

    assert pks(action=AuditAction.EXPORT) == {trail.other_entry.pk}
    assert pks(target_type="people.resident", target_id=world.li.pk) >= {trail.li_entry.pk}
    assert trail.grid1_entry.pk in pks(actor=world.carol) and trail.placeless.pk not in pks(actor=world.carol)
    assert trail.grid1_entry.pk in pks(actor=world.carol.pk)
    assert trail.grid1_entry.pk in pks(actor="caro")
    assert pks(q="望月湖导出") == {trail.other_entry.pk}
    today = timezone.localdate()
    assert trail.placeless.pk in pks(since=today, until=today)
    assert pks(until=today - dt.timedelta(days=1)) == set()
    assert pks(since=today + dt.timedelta(days=1)) == set()


# --- page ---------------------------------------------------------------------------------------------


def _page(client, user, **params):
    client.force_login(user)
    return client.get(reverse("audit:search"), params)


def test_page_needs_login_and_audit_view(client, world, trail):
    response = client.get(reverse("audit:search"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert _page(client, world.alice).status_code == 403
    assert _page(client, world.frank).status_code == 403


def test_page_shows_scoped_entries_with_masked_diffs(client, world, trail):
    response = _page(client, world.carol)
    body = response.content.decode()
    assert response.status_code == 200
    assert "第一网格（东）" in body and "<del>第一网格</del> → <ins>第一网格（东）</ins>" in body
    assert "手机号" in body and "*******1111" in body and "13700001111" not in body
    assert "望月湖导出" not in body and "无地点记录" not in body


def test_page_filters_and_rejects_bad_dates_in_chinese(client, world, trail):
    body = _page(client, world.carol, action="update", target_type="places.place").content.decode()
    assert "第一网格（东）" in body and "李秀英" not in body
    response = _page(client, world.carol, since="2025-13-45")
    assert response.status_code == 400 and "日期格式应为YYYY-MM-DD" in response.content.decode()
    response = _page(client, world.carol, since="2025-05-02", until="2025-05-01")
    assert response.status_code == 400 and "截止日期不能早于起始日期" in response.content.decode()
    response = _page(client, world.carol, action="explode")
    assert response.status_code == 400 and "操作类型无效" in response.content.decode()


def test_page_is_paginated(client, world):
    for number in range(60):
        audit_record(
            actor=SYSTEM,
            action=AuditAction.VIEW_PII,
            target_type="x",
            target_id=number,
            place_path=world.grid1.path,
        )
    first = _page(client, world.carol, target_type="x").content.decode()
    assert first.count("<td>查看敏感信息</td>") == 50 and "第 1 / 2 页" in first
    second = _page(client, world.carol, target_type="x", page=2).content.decode()
    assert second.count("<td>查看敏感信息</td>") == 10


# --- API ----------------------------------------------------------------------------------------------


def test_api_lists_scoped_entries_paginated(client, world, trail):
    client.force_login(world.carol)
    response = client.get("/api/v1/audit")
    assert response.status_code == 200
    data = response.json()
    labels = {item["target_label"] for item in data["items"]}
    assert "第一网格（东）" in labels and "望月湖导出" not in labels and "无地点记录" not in labels
    assert data["count"] == len(data["items"])
    assert {"action_label", "changes", "at"} <= set(data["items"][0])


def test_api_filters(client, world, trail):
    client.force_login(world.admin)
    data = client.get("/api/v1/audit", {"action": "export"}).json()
    assert [item["target_label"] for item in data["items"]] == ["望月湖导出"]
    data = client.get("/api/v1/audit", {"actor_id": world.carol.pk, "target_type": "places.place"}).json()
    assert {item["target_label"] for item in data["items"]} == {"第一网格（东）"}


def test_api_refuses_without_audit_view_and_anonymous(client, world, trail):
    assert client.get("/api/v1/audit").status_code == 401
    client.force_login(world.alice)
    response = client.get("/api/v1/audit")
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有查看审计日志的权限"


def test_api_bad_filters_are_explained(client, world):
    client.force_login(world.carol)
    response = client.get("/api/v1/audit", {"since": "昨天"})
    assert response.status_code == 422
    assert response.json()["detail"] == "起始日期：日期格式应为YYYY-MM-DD"
    assert response.json()["errors"][0]["field"] == "since"
    response = client.get("/api/v1/audit", {"action": "explode"})
    assert response.status_code == 422


def test_page_shows_coded_values_as_words(client, world):
    place_create(by=world.carol, parent=world.estate1, kind=PlaceKind.BUILDING, name="3栋")
    body = _page(client, world.carol, target_type="places.place", action="create").content.decode()
    assert "<ins>楼栋</ins>" in body and "<ins>building</ins>" not in body
