"""POST /api/v1/cases (residents, staff channels; JSON or multipart with photos; idempotent),
POST /api/v1/intake (external systems by X-Api-Key, rate-limited), tracking by code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import api_token_create
from gridgov.accounts.tests.apiclient import ApiClient, as_, field_errors, ids
from gridgov.cases.models import Case, CaseAttachment, Channel, State
from gridgov.cases.services import apikey_create, apikey_revoke, case_accept, case_resolve
from gridgov.cases.tests.factories import jpeg_with_exif, png_bytes, upload
from gridgov.core import clock


def _multipart(user, data, photos):
    client = Client()
    client.force_login(user)
    return client.post("/api/v1/cases", {**data, "photos": photos})


def test_resident_report_is_idempotent_by_client_key(cw):
    erin = as_(cw, "erin")
    body = {"text": "8栋门口路灯不亮", "place": cw.building2.pk, "client_key": "erin-2026-01"}
    first = erin.post("/api/v1/cases", body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["created"] is True and data["state"] == "new" and len(data["tracking_code"]) == 10
    again = erin.post("/api/v1/cases", body)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["created"]) == (data["id"], False)
    assert Case.objects.filter(text="8栋门口路灯不亮").count() == 1
    case = Case.objects.get(pk=data["id"])
    assert (case.channel, case.reporter_user, case.reporter_resident) == ("resident_web", cw.erin, cw.li)
    assert ids(erin.get("/api/v1/cases", {"queue": "reported"})) == [data["id"]]
    # A different key is a different report.
    assert erin.post("/api/v1/cases", {**body, "client_key": "erin-2026-02"}).status_code == 201


def test_report_from_own_household_and_bad_input(cw):
    erin = as_(cw, "erin")
    response = erin.post("/api/v1/cases", {"text": "楼上漏水", "household": cw.household2.pk})
    assert response.status_code == 201 and Case.objects.get(pk=response.json()["id"]).place == cw.building2
    assert field_errors(erin.post("/api/v1/cases", {"text": "x", "household": cw.household1.pk})) == {
        "household": "户不存在或无权访问"
    }
    assert field_errors(erin.post("/api/v1/cases", {"text": "x", "place": 987654})) == {"place": "地点不存在"}
    assert field_errors(erin.post("/api/v1/cases", {"text": "x"})) == {"place": "请选择事件发生的地点"}
    assert field_errors(erin.post("/api/v1/cases", {"place": cw.building2.pk})) == {"text": "反映内容：必填"}
    assert field_errors(erin.post("/api/v1/cases", {"text": "好" * 2001, "place": cw.building2.pk})) == {
        "text": "反映内容不能超过2000个字，当前2001个字"
    }
    assert field_errors(
        erin.post("/api/v1/cases", {"text": "x", "place": cw.building2.pk, "channel": "external_api"})
    )["channel"].startswith("来源渠道：取值无效")
    assert field_errors(
        erin.post("/api/v1/cases", {"text": "x", "place": cw.building2.pk, "client_key": "有 空格"})
    ) == {"client_key": "请求标识只能包含字母、数字和 _ . : -，最长64个字符"}
    assert field_errors(
        erin.post("/api/v1/cases", {"text": "x", "place": cw.building2.pk, "latitude": 95, "longitude": 1})
    ) == {"latitude": "纬度须在-90到90之间"}
    assert as_(cw, None).post("/api/v1/cases", {"text": "x", "place": cw.building2.pk}).status_code == 401
    assert Case.objects.count() == 1


def test_staff_channels_in_and_out_of_scope(cw):
    alice = as_(cw, "alice")
    body = {
        "text": "张大爷来电：1栋3单元楼道堆满杂物",
        "place": cw.building1.pk,
        "channel": "hotline",
        "reporter_name": "张建国",
        "reporter_phone": "13812345678",
        "reporter_resident": cw.zhang.pk,
    }
    response = alice.post("/api/v1/cases", body)
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.channel, case.created_by, case.reporter_resident, case.reporter_phone_last4) == (
        Channel.HOTLINE,
        cw.alice,
        cw.zhang,
        "5678",
    )
    assert "13812345678" not in response.content.decode()
    out = alice.post("/api/v1/cases", {**body, "place": cw.building2.pk, "reporter_resident": None})
    # Another grid's building answers like a missing place, without its name.
    assert (out.status_code, field_errors(out)) == (400, {"place": "地点不存在"})
    assert field_errors(alice.post("/api/v1/cases", {**body, "reporter_resident": cw.li.pk})) == {
        "reporter_resident": "居民不存在或无权访问"
    }
    # A resident cannot pretend to be the hotline desk.
    resident = as_(cw, "erin").post(
        "/api/v1/cases", {**body, "place": cw.building2.pk, "reporter_resident": None}
    )
    assert resident.status_code in (400, 403) and "8栋" not in resident.content.decode()
    # Patrol with a bearer token: no CSRF needed, the worker is the reporter.
    _token, key = api_token_create(user=cw.alice, name="巡查App")
    patrol = ApiClient(token=key, enforce_csrf=True).post(
        "/api/v1/cases", {"text": "巡查发现井盖破损", "place": cw.estate1.pk, "channel": "patrol"}
    )
    assert patrol.status_code == 201, patrol.content
    assert Case.objects.get(pk=patrol.json()["id"]).reporter_user == cw.alice


def test_multipart_photos_checked_by_content(cw, settings):
    form = {"text": "8栋墙面脱落", "place": cw.building2.pk, "client_key": "photo-1"}
    response = _multipart(
        cw.erin, form, [upload("a.png", png_bytes(b"GPS=28.2")), upload("b.jpg", jpeg_with_exif())]
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    stored = list(CaseAttachment.objects.filter(case=case))
    assert [a.content_type for a in stored] == ["image/png", "image/jpeg"]
    assert all(b"GPS" not in a.file.open("rb").read() for a in stored)  # location stripped
    detail = as_(cw, "erin").get(f"/api/v1/cases/{case.pk}").json()
    assert len(detail["attachments"]) == 2
    photo = as_(cw, "erin").client.get(detail["attachments"][0]["url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert as_(cw, "alice").client.get(detail["attachments"][0]["url"]).status_code == 404

    not_image = _multipart(cw.erin, {**form, "client_key": "p2"}, [upload("photo.jpg", b"%PDF-1.4 hello")])
    assert (not_image.status_code, field_errors(not_image)) == (
        400,
        {"photos": "“photo.jpg”不是图片，只能上传JPG、PNG或WebP照片"},
    )
    too_many = _multipart(
        cw.erin, {**form, "client_key": "p3"}, [upload(f"{i}.png", png_bytes()) for i in range(10)]
    )
    assert field_errors(too_many) == {"photos": "最多上传9张照片，当前10张"}
    settings.GRIDGOV_CASE_PHOTO_MAX_BYTES = 1024 * 1024
    big = _multipart(
        cw.erin, {**form, "client_key": "p4"}, [upload("big.png", png_bytes() + b"\0" * (1024 * 1024))]
    )
    assert field_errors(big) == {"photos": "照片“big.png”超过1MB，请压缩后再上传"}
    missing = _multipart(cw.erin, {"place": cw.building2.pk}, [upload("a.png", png_bytes())])
    assert field_errors(missing) == {"text": "反映内容：必填"}
    assert Case.objects.count() == 1  # nothing half written


def test_handler_notes_and_resolves_with_photos(cw, submit):
    case = submit()
    client = Client()
    client.force_login(cw.alice)
    client.post(f"/api/v1/cases/{case.pk}/accept", content_type="application/json")
    noted = client.post(
        f"/api/v1/cases/{case.pk}/note",
        {"note": "处置前", "photo_kind": "before", "photos": [upload("x.png", png_bytes())]},
    )
    assert noted.status_code == 200, noted.content
    bad = client.post(f"/api/v1/cases/{case.pk}/note", {"note": "x", "photos": [upload("x.txt", b"hello")]})
    assert field_errors(bad) == {"photos": "“x.txt”不是图片，只能上传JPG、PNG或WebP照片"}
    resolved = client.post(
        f"/api/v1/cases/{case.pk}/resolve", {"result": "已清运", "photos": [upload("y.png", png_bytes())]}
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert list(CaseAttachment.objects.filter(case=case).values_list("kind", "public")) == [
        ("before", False),
        ("after", True),
    ]


def test_external_intake_by_api_key(cw):
    cw.building1.code = "JJY-01"
    cw.building1.save()
    key, raw = apikey_create(by=SYSTEM, name="AI识别-1", rate_per_minute=100, place=cw.grid1)
    client = Client()

    def post(body, raw_key=raw):
        headers = {"X-Api-Key": raw_key} if raw_key is not None else {}
        return client.post("/api/v1/intake", body, content_type="application/json", headers=headers)

    created = post(
        {"text": "摄像头识别：1栋门口垃圾满溢", "place": cw.building1.pk, "client_key": "cam-7:0001"}
    )
    assert created.status_code == 201, created.content
    case = Case.objects.get(pk=created.json()["id"])
    assert (case.channel, case.api_key, case.created_by) == (Channel.EXTERNAL_API, key, None)
    replay = post(
        {"text": "摄像头识别：1栋门口垃圾满溢", "place": cw.building1.pk, "client_key": "cam-7:0001"}
    )
    assert (replay.status_code, replay.json()["id"]) == (200, case.pk)
    assert post({"text": "按路径上报", "place_path": cw.estate1.path}).status_code == 201
    assert post({"text": "按编码上报", "place_code": "JJY-01"}).status_code == 201
    out = post({"text": "别的网格", "place": cw.building2.pk})
    assert field_errors(out) == {"place": "地点不存在或不在接入密钥的上报范围内"}
    assert field_errors(post({"text": "没有地点"})) == {
        "place": "请提供地点：place（ID）、place_path 或 place_code"
    }
    assert field_errors(post({"place": cw.building1.pk})) == {"text": "反映内容：必填"}

    missing = post({"text": "x", "place": cw.building1.pk}, raw_key=None)
    assert (missing.status_code, missing.json()["detail"]) == (403, "接入密钥无效或已吊销")
    assert post({"text": "x", "place": cw.building1.pk}, raw_key=raw + "x").status_code == 403
    apikey_revoke(by=SYSTEM, key=key)
    assert post({"text": "x", "place": cw.building1.pk}).status_code == 403
    assert Case.objects.filter(channel=Channel.EXTERNAL_API).count() == 3


def test_external_intake_rate_limited_with_retry_after(cw):
    _key, raw = apikey_create(by=SYSTEM, name="12345热线", rate_per_minute=2)
    client = Client()
    body = {"text": "热线转办：8栋噪音扰民", "place": cw.building2.pk}

    def post():
        return client.post(
            "/api/v1/intake", body, content_type="application/json", headers={"X-Api-Key": raw}
        )

    # Ten seconds into a minute for all three calls: the limit is that minute's, whenever the test runs.
    with clock.frozen_at(timezone.now().replace(second=10, microsecond=0)):
        statuses = [post().status_code for _ in range(2)]
        limited = post()
    assert statuses == [201, 201]
    assert limited.status_code == 429
    assert limited.json()["detail"].startswith("请求过于频繁：每分钟最多2次")
    assert limited["Retry-After"] == "50"


def test_tracking_with_right_and_wrong_digits_then_rating(cw, submit):
    case = submit()
    anonymous = Client()
    code = case.tracking_code
    right = anonymous.get(f"/api/v1/cases/track/{code}", {"phone_last4": "1234"})
    assert right.status_code == 200, right.content
    data = right.json()
    assert (data["status"], data["state"], data["can_rate"]) == ("open", "new", False)
    assert [e["text"] for e in data["timeline"]] == ["已收到您的反映"]
    assert "13700001234" not in right.content.decode()
    for wrong in ({"phone_last4": "9999"}, {}, {"phone_last4": "12345"}):
        response = anonymous.get(f"/api/v1/cases/track/{code}", wrong)
        assert (response.status_code, response.json()["detail"]) == (
            404,
            "查询码或手机号后四位不正确，或尝试次数过多，请稍后再试",
        )
    assert anonymous.get("/api/v1/cases/track/NOSUCHCODE", {"phone_last4": "1234"}).status_code == 404
    # Lower case and dashes are forgiven.
    assert (
        anonymous.get(
            f"/api/v1/cases/track/{code[:5].lower()}-{code[5:]}", {"phone_last4": "1234"}
        ).status_code
        == 200
    )

    case_accept(by=cw.alice, case=case)
    case_resolve(by=cw.alice, case=case, result="已清运")
    rate = f"/api/v1/cases/track/{code}/rate"
    wrong = anonymous.post(rate, {"rating": 4, "phone_last4": "0000"}, content_type="application/json")
    assert wrong.status_code == 404
    bad = anonymous.post(rate, {"rating": 0, "phone_last4": "1234"}, content_type="application/json")
    assert field_errors(bad) == {"rating": "评价须为1到5分"}
    rated = anonymous.post(
        rate, {"rating": 4, "comment": "满意", "phone_last4": "1234"}, content_type="application/json"
    )
    assert rated.status_code == 200
    assert (rated.json()["state"], rated.json()["rating"], rated.json()["status"]) == (
        State.CLOSED,
        4,
        "closed",
    )
    assert [e["kind"] for e in rated.json()["timeline"]][-1] == "rated"


def test_lists_queues_and_stats(cw, submit):
    grid1 = submit()
    grid2 = submit(place=cw.building2, text="8栋楼下垃圾没人收")
    alice, carol = as_(cw, "alice"), as_(cw, "carol")
    assert ids(alice.get("/api/v1/cases")) == [grid1.pk]
    assert ids(as_(cw, "bob").get("/api/v1/cases")) == [grid2.pk]
    assert ids(carol.get("/api/v1/cases")) == [grid2.pk, grid1.pk]
    assert ids(carol.get("/api/v1/cases", {"place": cw.grid2.pk})) == [grid2.pk]
    assert ids(carol.get("/api/v1/cases", {"state": "new,accepted"})) == [grid2.pk, grid1.pk]
    assert ids(carol.get("/api/v1/cases", {"state": "resolved"})) == []
    assert ids(carol.get("/api/v1/cases", {"q": grid1.tracking_code})) == [grid1.pk]
    assert ids(alice.get("/api/v1/cases", {"queue": "mine"})) == [grid1.pk]
    assert ids(carol.get("/api/v1/cases", {"queue": "dispatch"})) == [grid1.pk, grid2.pk]
    assert ids(alice.get("/api/v1/cases", {"queue": "dispatch"})) == []
    assert ids(as_(cw, "erin").get("/api/v1/cases")) == []
    later = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    assert ids(carol.get("/api/v1/cases", {"since": later})) == []
    assert carol.get("/api/v1/cases", {"since": "2026-02-30"}).status_code == 422
    assert carol.get("/api/v1/cases", {"queue": "all"}).status_code == 422
    assert as_(cw, None).get("/api/v1/cases").status_code == 401

    stats = carol.get("/api/v1/cases/stats", {"place": cw.community.pk})
    assert stats.status_code == 200, stats.content
    assert (stats.json()["received"], stats.json()["open"]) == (2, 2)
    assert carol.get("/api/v1/cases/stats").json()["received"] == 2
    assert as_(cw, "frank").get("/api/v1/cases/stats").json()["received"] == 1
    assert as_(cw, "frank").get("/api/v1/cases/stats", {"place": cw.grid2.pk}).status_code == 404
    assert as_(cw, "alice").get("/api/v1/cases/stats").status_code == 404  # no statistics role
    assert as_(cw, "erin").get("/api/v1/cases/stats").status_code == 404

    categories = carol.get("/api/v1/categories").json()
    assert {"code": "lift", "parent": "facility"}.items() <= next(
        c for c in categories if c["code"] == "lift"
    ).items()


@pytest.mark.parametrize("url", ["/api/openapi.json"])
def test_openapi_schema_lists_the_case_endpoints(cw, url):
    schema = Client().get(url).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/accept",
        "/api/v1/cases/{case_id}/whistle",
        "/api/v1/cases/{case_id}/reveal-reporter",
        "/api/v1/calls/{call_id}/report",
        "/api/v1/cases/stats",
        "/api/v1/cases/track/{code}",
        "/api/v1/intake",
        "/api/v1/categories",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/cases"]) == {"get", "post"}
    body = paths["/api/v1/cases"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert body["multipart/form-data"]["schema"]["properties"]["photos"]["maxItems"] == 9
    assert paths["/api/v1/cases/track/{code}"]["get"].get("security") in (None, [])
    assert paths["/api/v1/intake"]["post"]["security"] == [{"ExternalKey": []}]
    assert schema["components"]["securitySchemes"]["ExternalKey"]["name"] == "X-Api-Key"
    assert Client().get("/api/docs").status_code == 200
