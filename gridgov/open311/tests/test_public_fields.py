"""What the keyless GET requests shows the world: a public id (never the tracking code), the
estate-level place, rounded coordinates, and the staff-published summary — never the
reporter's words, room or unit, phone or name."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Case
from gridgov.cases.services import apikey_create, case_publish_summary, case_submit
from gridgov.places.models import PlaceKind
from gridgov.places.services import place_create

BASE = "/open311/v2"


@pytest.fixture
def o3(cw):
    cw.building1.latitude, cw.building1.longitude = 28.228234, 112.938867
    cw.building1.save()
    cw.unit = place_create(by=SYSTEM, parent=cw.building1, kind=PlaceKind.UNIT, name="3单元")
    cw.key, cw.raw = apikey_create(by=SYSTEM, name="Open311客户端", rate_per_minute=50, place=cw.community)
    cw.client = Client()
    return cw


def _resident_case(o3) -> Case:
    return case_submit(
        by=AnonymousUser(),
        text="3单元502室楼上漏水，我是王阿姨，电话13700001234",
        channel="resident_web",
        place=o3.unit,
        address_detail="3单元502室",
        latitude=28.2282345,
        longitude=112.9388678,
        reporter_name="王阿姨",
        reporter_phone="13700001234",
    )


def test_the_public_list_carries_no_tracking_code_text_or_room(o3):
    case = _resident_case(o3)
    for fmt in ("json", "xml"):
        for url in (f"{BASE}/requests.{fmt}", f"{BASE}/requests/{case.public_id}.{fmt}"):
            response = o3.client.get(url)
            assert response.status_code == 200, response.content
            body = response.content.decode()
            for secret in (
                case.tracking_code,
                "502室",
                "3单元",
                "1栋",
                "漏水",
                "王阿姨",
                "13700001234",
                "28.2282345",
                "112.9388678",
            ):
                assert secret not in body, (url, secret)
    row = o3.client.get(f"{BASE}/requests/{case.public_id}.json").json()[0]
    assert row["service_request_id"] == case.public_id
    assert re.fullmatch(r"[0-9a-f]{16}", case.public_id)
    assert row["description"] == ""
    assert row["address"] == "金泰路社区聚江苑"
    assert row["address_id"] == o3.estate1.pk
    assert (row["lat"], row["long"]) == (28.228, 112.939)
    assert row["media_url"] is None
    # The tracking code is not a request id either.
    assert o3.client.get(f"{BASE}/requests/{case.tracking_code}.json").status_code == 404
    listed = o3.client.get(f"{BASE}/requests.json", {"service_request_id": case.tracking_code}).json()
    assert listed == []


def test_description_is_the_published_summary(o3):
    case = _resident_case(o3)
    case_publish_summary(by=o3.carol, case=case, summary="聚江苑楼内漏水，已联系物业")
    row = o3.client.get(f"{BASE}/requests/{case.public_id}.json").json()[0]
    assert row["description"] == "聚江苑楼内漏水，已联系物业"
    assert [r["description"] for r in o3.client.get(f"{BASE}/requests.json").json()] == [
        "聚江苑楼内漏水，已联系物业"
    ]


def test_status_notes_do_not_carry_staff_or_reporter_text(o3):
    from gridgov.cases.services import case_accept, case_merge, case_resolve

    case = _resident_case(o3)
    other = _resident_case(o3)
    case_merge(by=o3.carol, case=other, into=case)
    case = case_accept(by=o3.alice, case=case)
    case_resolve(by=o3.alice, case=case, result="已修好502室的水管，王阿姨满意")
    rows = o3.client.get(f"{BASE}/requests.json").json()
    body = str(rows)
    assert "502室" not in body and "王阿姨" not in body
    assert case.tracking_code not in body and other.tracking_code not in body
    assert {r["status"] for r in rows} == {"closed"}


def test_posting_returns_the_public_id_not_the_tracking_code(o3):
    posted = o3.client.post(
        f"{BASE}/requests.json",
        {
            "api_key": o3.raw,
            "service_code": "sanitation",
            "address_id": str(o3.building1.pk),
            "description": "1栋门口垃圾",
        },
    )
    assert posted.status_code == 201, posted.content
    case = Case.objects.get()
    assert posted.json()[0]["service_request_id"] == case.public_id
    assert case.tracking_code not in posted.content.decode()
    token = o3.client.get(f"{BASE}/tokens/{case.public_id}.json").json()[0]
    assert token["service_request_id"] == case.public_id
