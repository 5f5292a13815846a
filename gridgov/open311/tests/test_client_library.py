"""A real GeoReport v2 client from PyPI against the app on a live server.

No maintained Python package on PyPI can both file and read a GeoReport v2 request: `georeport`
(the maintained one) reads services and requests but does not POST, and `open311` and `three`
are Python 2 only. So the report is filed with `requests` (the HTTP library `georeport` itself
uses, sending the form-encoded POST the spec describes) and read back through `georeport`.
"""

from __future__ import annotations

import pytest

from gridgov.accounts.scope import SYSTEM

georeport = pytest.importorskip("georeport")
requests = pytest.importorskip("requests")

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_pypi_client_files_and_reads_back_a_request(live_server, cw):
    from gridgov.cases.models import Case
    from gridgov.cases.services import apikey_create, case_publish_summary
    from gridgov.triage.services import suggest

    # The live server runs in this process: the triage engine is loaded here first, so the timed
    # request below is not the one that builds it (seconds when its disk cache is cold).
    suggest("电梯困人")

    cw.building1.latitude, cw.building1.longitude = 28.2282, 112.9388
    cw.building1.save()
    _key, raw = apikey_create(by=SYSTEM, name="PyPI客户端", place=cw.community)
    root = f"{live_server.url}/open311/v2"
    client = georeport.GeoReport(root, api_key=raw, output_format="xml")

    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services["lift"]["service_name"] == "电梯故障"

    posted = requests.post(
        f"{root}/requests.json",
        data={
            "api_key": client.api_key,
            "service_code": "lift",
            "lat": "28.22825",
            "long": "112.93885",
            "description": "1栋2单元电梯困人，电话13800009999",
            "first_name": "敏",
            "last_name": "王",
            "phone": "13800009999",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    case = Case.objects.get(public_id=request_id)
    assert case.tracking_code not in posted.text

    read = client.get_service_request(request_id)
    assert (read["service_request_id"], read["status"], read["service_code"]) == (request_id, "open", "lift")
    assert read["address"] == "金泰路社区聚江苑"
    assert read["agency_responsible"] == "聚江苑物业"
    assert read.get("description") in (None, "")

    case_publish_summary(by=cw.carol, case=case, summary="聚江苑1栋电梯故障，物业已到场")
    listed = client.get_service_requests(service_request_id=request_id)
    listed = listed if isinstance(listed, list) else [listed]
    assert [row["description"] for row in listed] == ["聚江苑1栋电梯故障，物业已到场"]

    as_json = georeport.GeoReport(root).get_service_request(request_id)
    assert as_json["service_request_id"] == request_id
    assert "13800009999" not in str(as_json) and case.tracking_code not in str(as_json)
