"""/api/v1/floating: register, list (in register / expiring / deregistered), deregister."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import MISSING_ID, as_, field_errors, ids
from gridgov.people.models import FloatingRegistration, Membership, Relation, ResidenceStatus
from gridgov.people.services import floating_register, resident_create
from gridgov.places.services import household_create


def _tenant(world):
    room = household_create(
        by=SYSTEM, place=world.building1, room="301", residence_kind="rented", landlord=world.zhang
    )
    tenant = resident_create(
        by=SYSTEM, name="赵流动", household=room, relation=Relation.TENANT, phone="13600001111"
    )
    return room, tenant


def test_register_list_and_deregister(world):
    room, tenant = _tenant(world)
    alice = as_(world, "alice")
    today = timezone.localdate()
    response = alice.post(
        "/api/v1/floating",
        {
            "resident": tenant.pk,
            "household": room.pk,
            "origin": "湖南省邵阳市",
            "reason": "work",
            "employer": "芙蓉快递站",
            "expected_until": str(today + dt.timedelta(days=10)),
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["landlord_name"] == "张建国"  # taken from the rented room
    assert data["reason_label"] == "务工" and data["is_active"] and data["phone_masked"] == "*******1111"
    assert "13600001111" not in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.residence_status == ResidenceStatus.FLOATING

    assert ids(alice.get("/api/v1/floating")) == [data["id"]]
    assert ids(alice.get("/api/v1/floating", {"expiring": "true"})) == [data["id"]]
    assert ids(as_(world, "dave").get("/api/v1/floating")) == [data["id"]]  # read-only still sees
    assert ids(as_(world, "bob").get("/api/v1/floating")) == []
    assert (
        as_(world, "bob").post(f"/api/v1/floating/{data['id']}/deregister", {"reason": "离开"}).status_code
        == 404
    )
    assert (
        as_(world, "dave").post(f"/api/v1/floating/{data['id']}/deregister", {"reason": "离开"}).status_code
        == 403
    )

    blank = alice.post(f"/api/v1/floating/{data['id']}/deregister", {"reason": " "})
    assert blank.status_code == 400 and field_errors(blank) == {"reason": "请填写注销原因"}
    response = alice.post(f"/api/v1/floating/{data['id']}/deregister", {"reason": "合同到期离开"})
    assert response.status_code == 200
    assert (
        response.json()["is_active"] is False and response.json()["deregistration_reason"] == "合同到期离开"
    )
    # Deregistration also closed the stay in the rented room.
    assert Membership.objects.get(resident=tenant, household=room).moved_out == today
    assert ids(alice.get("/api/v1/floating")) == []
    assert ids(alice.get("/api/v1/floating", {"active": "false"})) == [data["id"]]
    again = alice.post(f"/api/v1/floating/{data['id']}/deregister", {"reason": "x"})
    assert again.status_code == 400 and field_errors(again) == {"deregistered_on": "该登记已注销"}


def test_register_bad_input_writes_nothing(world):
    room, tenant = _tenant(world)
    alice = as_(world, "alice")
    today = timezone.localdate()
    cases = [
        ({"origin": " "}, "origin", "请填写户籍地或来源地"),
        ({"reason": "holiday"}, "reason", "原因：取值无效，可选："),
        ({"registered_on": str(today + dt.timedelta(days=1))}, "registered_on", "登记日期不能晚于今天"),
        (
            {"expected_until": "2001-01-01", "registered_on": "2020-01-01"},
            "expected_until",
            "预计居住截止日期不能早于登记日期",
        ),
        ({"expected_until": "2025-13-01"}, "expected_until", "预计居住至：日期"),
    ]
    for extra, field, message in cases:
        response = alice.post("/api/v1/floating", {"resident": tenant.pk, "origin": "湖南", **extra})
        assert response.status_code == 400, (extra, response.content)
        assert field_errors(response)[field].startswith(message), field_errors(response)
    assert not FloatingRegistration.objects.exists()
    # A resident outside the scope, or missing, is "not found".
    assert alice.post("/api/v1/floating", {"resident": world.li.pk, "origin": "湖南"}).status_code == 404
    assert alice.post("/api/v1/floating", {"resident": MISSING_ID, "origin": "湖南"}).status_code == 404
    assert (
        as_(world, "dave").post("/api/v1/floating", {"resident": tenant.pk, "origin": "湖南"}).status_code
        == 403
    )
    floating_register(by=SYSTEM, resident=tenant, origin="湖南", household=room)
    twice = alice.post("/api/v1/floating", {"resident": tenant.pk, "origin": "湖南"})
    assert twice.status_code == 400 and field_errors(twice) == {"resident": "赵流动已有未注销的流动人口登记"}
