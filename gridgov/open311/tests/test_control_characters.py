"""Open311: control characters are refused on the way in and cannot break the XML on the way out."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Case
from gridgov.cases.services import apikey_create

BASE = "/open311/v2"


@pytest.fixture
def o3(cw):
    cw.building1.latitude, cw.building1.longitude = 28.2282, 112.9388
    cw.building1.save()
    cw.key, cw.raw = apikey_create(by=SYSTEM, name="Open311客户端", rate_per_minute=50, place=cw.community)
    cw.client = Client()
    return cw


def _post(o3, **fields):
    data = {"api_key": o3.raw, "service_code": "sanitation", "address_id": str(o3.building1.pk), **fields}
    return o3.client.post(f"{BASE}/requests.xml", data)


def test_control_characters_in_a_post_are_400_naming_the_parameter(o3):
    refused = _post(o3, description="垃圾\x00堆积")
    assert refused.status_code == 400
    errors = [e.findtext("description") for e in ET.fromstring(refused.content).findall("error")]
    assert errors == ["description含有不允许的控制字符，请删除后重新填写"]
    bidi = _post(o3, description="垃圾堆积", last_name="张\u202e")
    assert bidi.status_code == 400 and "last_name含有不允许的文字方向控制字符" in bidi.content.decode()
    assert not Case.objects.exists()
    # A description may span lines.
    assert _post(o3, description="1栋门口垃圾堆积\n已经三天").status_code == 201


def test_a_stored_control_character_does_not_break_the_xml(o3):
    created = _post(o3, description="1栋门口垃圾堆积")
    code = ET.fromstring(created.content).findtext("request/service_request_id")
    # Stored before the boundary refused it (an old row, a direct database write).
    Case.objects.filter(public_id=code).update(public_summary="垃圾\x07待清运\x1b")
    for path in (f"{BASE}/requests/{code}.xml", f"{BASE}/requests.xml"):
        response = o3.client.get(path)
        assert response.status_code == 200
        request = ET.fromstring(response.content).find("request")
        assert request.findtext("description") == "垃圾待清运"
