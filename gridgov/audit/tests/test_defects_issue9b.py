"""Issue 9 defect 7: every audit line in Chinese, with the object's name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record


def _page(client, world, **params):
    client.force_login(world.admin)
    response = client.get(reverse("audit:search"), params)
    assert response.status_code == 200
    return response.text


def test_defect_07_audit_fields_values_and_objects_in_chinese(world, client):
    audit_record(
        actor=SYSTEM,
        action=AuditAction.UPDATE,
        target_type="people.floatingregistration",
        target_id="7",
        target_label="张建国的流动人口登记",
        place_path=world.building1.path,
        changes={"expected_until": ["2026-01-01", "2026-06-30"], "origin": ["四川省", "湖北省"]},
    )
    audit_record(
        actor=SYSTEM,
        action=AuditAction.UPDATE,
        target_type="cases.case",
        target_id="3",
        target_label="事件ABC",
        place_path=world.building1.path,
        changes={"event": [None, "closed"], "state": ["resolved", "closed"], "level": ["grid", "community"]},
    )
    # An old row written without a label: named from the record itself.
    audit_record(
        actor=SYSTEM,
        action=AuditAction.VIEW_PII,
        target_type="people.resident",
        target_id=str(world.zhang.pk),
        place_path=world.building1.path,
    )
    page = _page(client, world)
    for english in ("expected_until", "origin", "resolved", "closed", "people.resident", "#"):
        assert english not in page.split("<table class=\"audit\">")[1], english
    assert "预计居住至" in page and "来源地" in page
    assert "状态</b>：<del>已办结</del> → <ins>已评价</ins>" in page
    assert "动作</b>：关闭" in page
    assert "层级" in page
    assert "居民 <b>张建国</b>" in page
    assert "<b>事件ABC</b>" in page


@pytest.mark.parametrize("rows", [5, 50])
def test_defect_07_audit_page_names_old_rows_without_a_query_per_row(world, client, rows, django_assert_max_num_queries):
    from gridgov.people.models import Relation
    from gridgov.people.services import resident_create

    for index in range(rows):
        resident = resident_create(
            by=SYSTEM, name=f"测试{index}", household=world.household1, relation=Relation.OTHER,
            moved_in=dt.date(2020, 1, 1),
        )
        audit_record(
            actor=SYSTEM,
            action=AuditAction.VIEW_PII,
            target_type="people.resident",
            target_id=str(resident.pk),
            place_path=world.building1.path,
        )
    client.force_login(world.admin)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("audit:search"), {"action": AuditAction.VIEW_PII})
    assert response.status_code == 200
    assert "居民 <b>测试0</b>" in response.text
