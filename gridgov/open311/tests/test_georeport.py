"""Open311 GeoReport v2 at /open311/v2/: discovery, services, POST/GET requests, tokens, in XML
(parsed with ElementTree) and JSON; errors as {code, description}; public data only."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import Case, Channel
from gridgov.cases.services import apikey_create, case_accept, case_publish_summary, case_resolve
from gridgov.open311.models import Open311Request

BASE = "/open311/v2"


@pytest.fixture
def o3(cw):
    """The case world with coordinates on the two buildings and a key for the community."""
    cw.building1.latitude, cw.building1.longitude = 28.2282, 112.9388
    cw.building1.save()
    cw.building2.latitude, cw.building2.longitude = 28.2330, 112.9460
    cw.building2.save()
    cw.key, cw.raw = apikey_create(by=SYSTEM, name="Open311客户端", rate_per_minute=50, place=cw.community)
    cw.client = Client()
    return cw


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8", response["Content-Type"]
    return ET.fromstring(response.content)


def xml_errors(response) -> list[tuple[str | None, str | None]]:
    root = xml(response)
    assert root.tag == "errors"
    return [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")]


def post(o3, fmt: str = "xml", **fields):
    data = {"api_key": o3.raw, "service_code": "sanitation", "description": "1栋门口垃圾堆积", **fields}
    return o3.client.post(f"{BASE}/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def test_discovery_in_both_formats(o3):
    root = xml(o3.client.get(f"{BASE}/discovery.xml"))
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert root.findtext("changeset").endswith("+08:00")
    data = o3.client.get(f"{BASE}/discovery.json").json()
    assert data["endpoints"][0]["type"] == "production" and data["key_service"]
    assert o3.client.get(f"{BASE}/").status_code == 302


def test_service_list_and_definitions(o3):
    root = xml(o3.client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = {s.findtext("service_code"): s for s in root.findall("service")}
    assert {"sanitation", "facility", "lift", "theft", "other"} <= set(services)
    lift = services["lift"]
    assert (lift.findtext("service_name"), lift.findtext("group"), lift.findtext("metadata")) == (
        "电梯故障",
        "设施维修",
        "false",
    )
    assert lift.findtext("type") == "realtime"
    assert "电梯故障" in services["facility"].findtext("keywords")
    as_json = o3.client.get(f"{BASE}/services.json")
    assert as_json["Content-Type"] == "application/json"
    assert {s["service_code"]: s["metadata"] for s in as_json.json()}["lift"] is False

    definition = xml(o3.client.get(f"{BASE}/services/lift.xml"))
    assert (definition.tag, definition.findtext("service_code")) == ("service_definition", "lift")
    assert definition.find("attributes") is not None
    assert o3.client.get(f"{BASE}/services/lift.json").json() == {"service_code": "lift", "attributes": []}
    missing = o3.client.get(f"{BASE}/services/nope.xml")
    assert missing.status_code == 404 and xml_errors(missing) == [("404", "service_code“nope”不存在")]
    assert o3.client.get(f"{BASE}/services/nope.json").json() == [
        {"code": 404, "description": "service_code“nope”不存在"}
    ]


def test_post_request_by_lat_long_address_and_place_id(o3):
    near = post(
        o3,
        lat="28.2283",
        long="112.9389",
        first_name="三",
        last_name="张",
        phone="13911112222",
        email="zs@example.com",
        media_url="https://img.example.com/a.jpg",
        device_id="dev-1",
    )
    assert near.status_code == 201, near.content
    row = xml(near).find("request")
    code = row.findtext("service_request_id")
    case = Case.objects.get(public_id=code)
    assert (case.place, case.channel, case.api_key, case.reporter_name) == (
        o3.building1,
        Channel.OPEN311,
        o3.key,
        "张三",
    )
    assert case.reporter_phone_last4 == "2222" and (case.latitude, case.longitude) == (28.2283, 112.9389)
    assert row.findtext("service_notice").startswith("预计")
    extra = Open311Request.objects.get(case=case)
    assert (extra.media_url, extra.device_id) == ("https://img.example.com/a.jpg", "dev-1")
    assert "zs@example.com" not in extra.email_enc

    by_text = post(o3, "json", address_string="鸿江苑8栋", service_code="lift", description="电梯卡住了")
    assert by_text.status_code == 201 and by_text["Content-Type"] == "application/json"
    case2 = Case.objects.get(public_id=by_text.json()[0]["service_request_id"])
    assert (case2.place, case2.subcategory.code, case2.category.code) == (o3.building2, "lift", "facility")

    by_id = post(o3, "json", address_id=str(o3.estate1.pk))
    assert Case.objects.get(public_id=by_id.json()[0]["service_request_id"]).place == o3.estate1
    # The same building name in the text, and a retried client_key, and a household address.
    o3.household1.address = "聚江苑1栋101室"
    o3.household1.save()
    by_home = post(o3, "json", address_string="聚江苑1栋101室", client_key="c-1")
    replay = post(o3, "json", address_string="聚江苑1栋101室", client_key="c-1")
    assert (by_home.status_code, replay.status_code) == (201, 200)
    assert by_home.json()[0]["service_request_id"] == replay.json()[0]["service_request_id"]
    assert Case.objects.filter(channel=Channel.OPEN311).count() == 4


def test_post_request_errors(o3, settings):
    missing_key = post(o3, api_key=None)
    assert missing_key.status_code == 403 and xml_errors(missing_key) == [("403", "接入密钥无效或已吊销")]
    assert post(o3, "json", api_key="ggk_wrong").json() == [
        {"code": 403, "description": "接入密钥无效或已吊销"}
    ]
    unknown = post(o3, service_code="teleport", lat="28.2283", long="112.9389")
    assert unknown.status_code == 404 and xml_errors(unknown) == [("404", "service_code“teleport”不存在")]
    assert xml_errors(post(o3, service_code="", lat="28.2283", long="112.9389")) == [
        ("400", "service_code：必填")
    ]
    nowhere = post(o3)
    assert nowhere.status_code == 400
    assert xml_errors(nowhere) == [("400", "lat：请提供位置：lat和long、address_string 或 address_id 之一")]
    far = post(o3, "json", lat="39.9", long="116.4")
    assert far.status_code == 400 and far.json()[0]["description"].startswith("lat：该位置附近3000米内没有")
    assert (
        post(o3, "json", lat="abc", long="1").json()[0]["description"] == "lat：lat和long须同时提供，且为数字"
    )
    assert (
        post(o3, "json", address_string="火星基地")
        .json()[0]["description"]
        .startswith("address_string：无法识别地址")
    )
    from gridgov.places.services import place_create

    place_create(by=SYSTEM, parent=o3.estate2, kind="building", name="1栋")
    assert post(o3, "json", address_string="1栋").json()[0]["description"] == (
        "address_string：地址“1栋”对应多个地点，请写得更具体"
    )
    outside = post(o3, "json", address_id=str(o3.street.pk))
    assert outside.json() == [
        {"code": 400, "description": "address_id：地点不存在或不在接入密钥的上报范围内"}
    ]
    no_text = post(o3, "json", description="", address_id=str(o3.building1.pk))
    assert no_text.json() == [{"code": 400, "description": "description：请填写反映内容"}]
    bad_phone = post(o3, "json", phone="12345", address_id=str(o3.building1.pk))
    assert bad_phone.status_code == 400 and bad_phone.json()[0]["description"].startswith("phone：")
    bad_mail = post(o3, "json", email="not-an-email", address_id=str(o3.building1.pk))
    assert bad_mail.json() == [{"code": 400, "description": "email：邮箱格式不正确"}]
    assert Case.objects.count() == 0


def test_rate_limit_is_429_with_retry_after(o3):
    _key, raw = apikey_create(by=SYSTEM, name="慢客户端", rate_per_minute=1)
    first = post(o3, "json", api_key=raw, address_id=str(o3.building1.pk))
    second = post(o3, "json", api_key=raw, address_id=str(o3.building1.pk))
    if second.status_code == 201:  # the minute turned over between the two calls
        second = post(o3, "json", api_key=raw, address_id=str(o3.building1.pk))
    assert first.status_code == 201 and second.status_code == 429
    assert second.json()[0]["code"] == 429 and 1 <= int(second["Retry-After"]) <= 60


def test_get_request_shows_public_data_only_and_follows_resolution(o3):
    created = post(
        o3,
        address_id=str(o3.building1.pk),
        description="1栋垃圾没人管，联系我13911112222，身份证430102195001010018 <b>&</b>",
        first_name="三",
        last_name="张",
        phone="13911112222",
    )
    code = xml(created).findtext("request/service_request_id")
    response = o3.client.get(f"{BASE}/requests/{code}.xml")
    assert response.status_code == 200
    body = response.content.decode()
    assert "13911112222" not in body and "430102195001010018" not in body and "张三" not in body
    assert "垃圾没人管" not in body  # the reporter's words stay inside
    request = xml(response).find("request")
    assert request.findtext("status") == "open"
    assert request.findtext("description") in (None, "")
    case = Case.objects.get(public_id=code)
    # Staff publish a summary (masked as stored); XML escapes whatever it holds.
    case_publish_summary(by=o3.carol, case=case, summary="聚江苑垃圾待清运，电话13911112222 <b>&</b>")
    request = xml(o3.client.get(f"{BASE}/requests/{code}.xml")).find("request")
    assert request.findtext("description") == "聚江苑垃圾待清运，电话139******** <b>&</b>"
    assert request.findtext("address") == "金泰路社区聚江苑"
    assert (request.findtext("lat"), request.findtext("long")) == ("28.228", "112.939")
    assert request.findtext("agency_responsible") == "第一网格"
    assert request.findtext("service_code") == "sanitation"
    requested = dt.datetime.fromisoformat(request.findtext("requested_datetime"))
    assert requested.utcoffset() == dt.timedelta(hours=8)
    assert request.findtext("expected_datetime")

    case_accept(by=o3.alice, case=case)
    case_resolve(by=o3.alice, case=case, result="已清运，并安排每日巡查")
    closed = o3.client.get(f"{BASE}/requests/{code}.json").json()[0]
    # The state in plain words: the staff's result is written for the reporter, not the world.
    assert (closed["status"], closed["status_notes"], closed["expected_datetime"]) == (
        "closed",
        "已办结",
        None,
    )
    assert closed["service_request_id"] == code and closed["media_url"] is None
    # Tokens: requests are filed at once, the token is the request id.
    assert xml(o3.client.get(f"{BASE}/tokens/{code}.xml")).findtext("request/service_request_id") == code
    missing = o3.client.get(f"{BASE}/requests/NOSUCH.xml")
    assert missing.status_code == 404 and xml_errors(missing) == [("404", "记录不存在")]


def test_request_list_filters(o3):
    def new(service_code, **fields):
        response = post(o3, "json", service_code=service_code, address_id=str(o3.building1.pk), **fields)
        return Case.objects.get(public_id=response.json()[0]["service_request_id"])

    trash, lift, old = new("sanitation"), new("lift", description="电梯坏了"), new("sanitation")
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=120))
    case_accept(by=o3.alice, case=trash)
    case_resolve(by=o3.alice, case=trash, result="好了")

    def codes(params):
        response = o3.client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return {row["service_request_id"] for row in response.json()}

    assert codes({}) == {trash.public_id, lift.public_id}  # the last 90 days
    assert codes({"service_code": "lift"}) == {lift.public_id}
    assert codes({"service_code": "facility"}) == {lift.public_id}
    assert codes({"status": "open"}) == {lift.public_id}
    assert codes({"status": "closed"}) == {trash.public_id}
    assert codes({"status": "open,closed"}) == {trash.public_id, lift.public_id}
    assert codes({"service_request_id": f"{old.public_id},{lift.public_id.upper()}"}) == {
        old.public_id,
        lift.public_id,
    }
    since = (timezone.localtime() - dt.timedelta(days=200)).isoformat(timespec="seconds")
    assert codes({"start_date": since}) == {trash.public_id, lift.public_id, old.public_id}
    until = (timezone.now() - dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert codes({"start_date": since, "end_date": until}) == {old.public_id}
    root = xml(o3.client.get(f"{BASE}/requests.xml", {"service_code": "lift"}))
    assert [r.findtext("service_name") for r in root.findall("request")] == ["电梯故障"]

    bad = o3.client.get(f"{BASE}/requests.xml", {"status": "pending"})
    assert bad.status_code == 400 and xml_errors(bad) == [("400", "status只能是open或closed")]
    bad_date = o3.client.get(f"{BASE}/requests.json", {"start_date": "yesterday"})
    assert bad_date.status_code == 400 and bad_date.json()[0]["description"].startswith("start_date：")
    reversed_range = o3.client.get(
        f"{BASE}/requests.json", {"start_date": "2026-02-01", "end_date": "2026-01-01"}
    )
    assert reversed_range.json() == [{"code": 400, "description": "start_date不能晚于end_date"}]


def test_jurisdiction_formats_and_methods(o3, settings):
    assert o3.client.get(f"{BASE}/services.xml", {"jurisdiction_id": "anything"}).status_code == 200
    settings.GRIDGOV_OPEN311_JURISDICTION = "furongbei.gov.cn"
    wrong = o3.client.get(f"{BASE}/services.json", {"jurisdiction_id": "elsewhere.gov"})
    assert wrong.status_code == 404
    assert (
        wrong.json()[0]["description"] == "jurisdiction_id“elsewhere.gov”不存在，本平台为“furongbei.gov.cn”"
    )
    assert o3.client.get(f"{BASE}/services.xml", {"jurisdiction_id": "furongbei.gov.cn"}).status_code == 200
    assert o3.client.get(f"{BASE}/services.xml").status_code == 200
    wrong_post = post(o3, jurisdiction_id="elsewhere.gov", address_id=str(o3.building1.pk))
    assert wrong_post.status_code == 404 and Case.objects.count() == 0
    assert post(o3, jurisdiction_id="furongbei.gov.cn", address_id=str(o3.building1.pk)).status_code == 201

    html = o3.client.get(f"{BASE}/services.html")
    assert html.status_code == 400 and xml_errors(html) == [
        ("400", "不支持的格式“html”，请使用 .xml 或 .json")
    ]
    deleted = o3.client.delete(f"{BASE}/requests.json")
    assert deleted.status_code == 405 and deleted.json()[0]["code"] == 405
    assert o3.client.post(f"{BASE}/services.xml").status_code == 405
    garbage = o3.client.post(f"{BASE}/requests.json", "{oops", content_type="application/json")
    assert garbage.json() == [{"code": 400, "description": "请求体不是有效的JSON"}]


def test_malformed_values_are_400_never_500(o3):
    for params, description in (
        ({"address_id": "99999999999999999999999"}, "address_id：地点不存在或不在接入密钥的上报范围内"),
        ({"address_id": "-1"}, "address_id：地点不存在或不在接入密钥的上报范围内"),
        ({"lat": "nan", "long": "1"}, "lat：经纬度超出范围"),
        ({"lat": "1e400", "long": "1"}, "lat：经纬度超出范围"),
    ):
        assert post(o3, "json", **params).json() == [{"code": 400, "description": description}]
    for params, description in (
        ({"start_date": "0001-01-01"}, "start_date：须在1970年到9000年之间"),
        ({"end_date": "9999-12-31T23:59:59-12:00"}, "end_date：须在1970年到9000年之间"),
    ):
        assert o3.client.get(f"{BASE}/requests.json", params).json() == [
            {"code": 400, "description": description}
        ]
    assert o3.client.get(f"{BASE}/requests.json", {"service_request_id": "," * 5000}).status_code == 200
    assert o3.client.get(f"{BASE}/requests/{'X' * 40}.xml").status_code == 404
