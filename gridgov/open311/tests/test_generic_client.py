"""A generic Open311 client's journey, XML only, knowing nothing of GridGov: discover the
endpoint, read the services, file a request with an api_key, follow it until it is closed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlparse

from django.test import Client

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Case
from gridgov.cases.services import apikey_create, case_accept, case_resolve


class XmlClient:
    """What any GeoReport v2 client does: form-encoded POSTs, XML documents back."""

    def __init__(self, discovery_url: str, api_key: str) -> None:
        self.http = Client()
        self.api_key = api_key
        discovery = self._get(discovery_url)
        endpoint = next(
            e
            for e in discovery.findall("endpoints/endpoint")
            if e.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
            and "text/xml" in [f.text for f in e.findall("formats/format")]
        )
        self.base = urlparse(endpoint.findtext("url") or "").path

    def _get(self, path: str, params: dict | None = None) -> ET.Element:
        response = self.http.get(path, params or {})
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/xml")
        return ET.fromstring(response.content)

    def services(self) -> list[dict[str, str]]:
        return [{child.tag: child.text or "" for child in s} for s in self._get(f"{self.base}/services.xml")]

    def submit(self, **fields: str) -> str:
        response = self.http.post(f"{self.base}/requests.xml", {"api_key": self.api_key, **fields})
        assert response.status_code in (200, 201), response.content
        request = ET.fromstring(response.content).find("request")
        assert request is not None
        return request.findtext("service_request_id") or request.findtext("token") or ""

    def request(self, service_request_id: str) -> dict[str, str]:
        request = self._get(f"{self.base}/requests/{service_request_id}.xml").find("request")
        assert request is not None
        return {child.tag: child.text or "" for child in request}


def test_any_open311_client_files_and_follows_a_report(cw):
    cw.building1.latitude, cw.building1.longitude = 28.2282, 112.9388
    cw.building1.save()
    _key, raw = apikey_create(by=SYSTEM, name="通用客户端", place=cw.street)
    client = XmlClient("/open311/v2/discovery.xml", raw)

    services = client.services()
    lift = next(s for s in services if s["service_name"] == "电梯故障")
    assert lift["metadata"] == "false"

    request_id = client.submit(
        service_code=lift["service_code"],
        lat="28.22825",
        long="112.93885",
        description="1栋电梯困人后一直停运",
        first_name="敏",
        last_name="王",
        phone="13800009999",
    )
    first = client.request(request_id)
    assert (first["status"], first["service_code"], first["address"]) == (
        "open",
        "lift",
        "金泰路社区聚江苑",
    )
    # Lifts in 聚江苑 go to its property company (the routing rule), and the client is told.
    assert first["agency_responsible"] == "聚江苑物业"

    case = Case.objects.get(public_id=request_id)
    case_accept(by=cw.pete, case=case)
    case_resolve(by=cw.pete, case=case, result="已更换曳引机钢丝绳，电梯恢复运行")
    done = client.request(request_id)
    assert (done["status"], done["status_notes"]) == ("closed", "已办结")
    assert done["updated_datetime"] >= first["updated_datetime"]
