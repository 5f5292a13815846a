"""/api/v1/duty-contacts: who is told at once of urgent cases, set over JSON with the same rules,
scope and audit as the configuration page's 值班电话 tab."""

from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import MISSING_ID, as_, field_errors
from gridgov.audit.models import AuditEntry
from gridgov.cases.models import DutyContact
from gridgov.cases.services import duty_set
from gridgov.places.models import PlaceKind
from gridgov.places.services import place_create


def test_street_admin_sets_reads_and_removes_a_community_duty(cw):
    sam = as_(cw, "sam")
    response = sam.put(
        f"/api/v1/duty-contacts/{cw.community.pk}",
        {"phone": "13900001111", "users": [cw.carol.pk], "note": "社区24小时值班"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["place"] == cw.community.pk and body["place_name"] == "金泰路社区"
    assert body["phone"].endswith("1111") and "13900001111" not in response.content.decode()
    assert body["users"] == [{"id": cw.carol.pk, "name": str(cw.carol)}]
    assert AuditEntry.objects.filter(target_label="金泰路社区值班联系").count() == 1

    listed = sam.get("/api/v1/duty-contacts").json()
    assert [item["place_name"] for item in listed["items"]] == ["金泰路社区"]

    # Sending no phone keeps the stored number; the people are replaced.
    again = sam.put(f"/api/v1/duty-contacts/{cw.community.pk}", {"users": [cw.cora.pk], "note": "夜班"})
    assert again.status_code == 200 and again.json()["phone"].endswith("1111")
    assert again.json()["users"] == [{"id": cw.cora.pk, "name": str(cw.cora)}]

    assert sam.delete(f"/api/v1/duty-contacts/{cw.community.pk}").status_code == 204
    assert not DutyContact.objects.exists()
    assert sam.delete(f"/api/v1/duty-contacts/{cw.community.pk}").status_code == 404


@pytest.mark.parametrize("persona", ["carol", "alice", "erin", "chen"])
def test_without_configure_rights_every_duty_reads_as_not_found(cw, persona):
    duty_set(by=SYSTEM, place=cw.community, phone="13900001111")
    client = as_(cw, persona)
    assert client.get("/api/v1/duty-contacts").json()["items"] == []
    put = client.put(f"/api/v1/duty-contacts/{cw.community.pk}", {"phone": "13900002222"})
    missing = client.put(f"/api/v1/duty-contacts/{MISSING_ID}", {"phone": "13900002222"})
    assert put.status_code == missing.status_code == 404
    assert put.json() == missing.json()
    assert client.delete(f"/api/v1/duty-contacts/{cw.community.pk}").status_code == 404
    assert DutyContact.objects.get().phone_last4 == "1111"


def test_anonymous_is_refused(cw):
    assert as_(cw, None).get("/api/v1/duty-contacts").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"phone": "abc"}, "phone", "值班电话：电话号码只能包含数字"),
        ({"phone": "01088886666"}, "phone", "值班电话须为手机号（用于接收紧急事件短信）"),
        ({"note": "空"}, "phone", "请填写值班电话或选择值班人员"),
        ({"users": [MISSING_ID]}, "users", "值班人员不存在或不在您的管辖范围内"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(cw, payload, field, message):
    response = as_(cw, "sam").put(f"/api/v1/duty-contacts/{cw.community.pk}", payload)
    assert response.status_code == 400, response.content
    assert field_errors(response)[field] == message
    assert not DutyContact.objects.exists()


def test_control_characters_and_overlong_notes_are_refused(cw):
    sam = as_(cw, "sam")
    bidi = sam.put(f"/api/v1/duty-contacts/{cw.community.pk}", {"phone": "13900001111", "note": "值\u202e班"})
    assert bidi.status_code == 400 and "note" in field_errors(bidi)
    long = sam.put(f"/api/v1/duty-contacts/{cw.community.pk}", {"phone": "13900001111", "note": "长" * 101})
    assert long.status_code == 400
    assert not DutyContact.objects.exists()


def test_staff_of_another_place_cannot_be_put_on_duty(cw):
    # bob works grid 2: he cannot answer for the whole community.
    response = as_(cw, "sam").put(f"/api/v1/duty-contacts/{cw.community.pk}", {"users": [cw.bob.pk]})
    assert response.status_code == 400
    assert field_errors(response)["users"] == "bob看不到金泰路社区的全部事件，不能担任这里的值班人员"


def test_a_building_has_no_duty_of_its_own(cw):
    response = as_(cw, "sam").put(f"/api/v1/duty-contacts/{cw.building1.pk}", {"phone": "13900001111"})
    assert response.status_code == 404


@pytest.mark.parametrize("rows", [5, 50])
def test_listing_costs_the_same_queries_for_5_and_50_duties(cw, rows, django_assert_max_num_queries):
    for index in range(rows):
        grid = place_create(by=SYSTEM, parent=cw.community, kind=PlaceKind.GRID, name=f"测试网格{index}")
        duty_set(by=SYSTEM, place=grid, phone="13900001111", users=[cw.carol])
    client = as_(cw, "sam")
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/duty-contacts", {"limit": 100})
    assert response.json()["count"] == rows


def test_admin_site_lists_duty_masked_and_read_only(cw, client):
    duty_set(by=SYSTEM, place=cw.community, phone="13900001111", users=[cw.carol], note="社区值班")
    client.force_login(cw.admin)
    page = client.get("/admin/cases/dutycontact/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "金泰路社区" in text and "1111" in text and "13900001111" not in text
    assert client.get("/admin/cases/dutycontact/add/").status_code == 403
