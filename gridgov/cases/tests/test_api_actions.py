"""/api/v1/cases/{id} and its transitions: the scope matrix (persona × in/out of scope ×
action) with 401 / 404 / 403 / 409 / 400, and the detail each persona gets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.accounts.tests.apiclient import MISSING_ID, as_, field_errors
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.cases.models import Case, CaseCall, Level, State
from gridgov.cases.services import case_accept, case_resolve


def url(case, action: str = "") -> str:
    return f"/api/v1/cases/{case.pk}" + (f"/{action}" if action else "")


@pytest.mark.parametrize(
    ("persona", "status", "view"),
    [
        ("alice", 200, "staff"),  # grid worker of grid 1
        ("frank", 200, "staff"),  # grid head of grid 1
        ("carol", 200, "staff"),  # community secretary
        ("dave", 200, "staff"),  # volunteer, read-only
        ("admin", 200, "staff"),
        ("bob", 404, None),  # grid 2
        ("erin", 404, None),  # a resident, not the reporter
        ("chen", 404, None),  # 城管, not called in
        (None, 401, None),
    ],
)
def test_detail_scope_matrix(cw, submit, persona, status, view):
    case = submit()
    response = as_(cw, persona).get(url(case))
    assert response.status_code == status, response.content
    if status == 200:
        data = response.json()
        assert data["view"] == view and data["tracking_code"] == case.tracking_code
        assert data["reporter"] == "匿名 *******1234"  # masked, never the number
        assert "13700001234" not in response.content.decode()
        assert data["timeline"][0]["kind"] == "submitted"
        assert data["suggestion"]["category"] == "sanitation"
    elif status == 404:
        assert response.json()["detail"] == "记录不存在或无权访问"
        # Out of scope and missing read the same.
        assert as_(cw, persona).get(f"/api/v1/cases/{MISSING_ID}").json() == response.json()


def test_reporter_sees_public_timeline_without_staff_names(cw):
    erin = as_(cw, "erin")
    created = erin.post(
        "/api/v1/cases", {"text": "8栋楼道灯坏了，晚上很黑", "place": cw.building2.pk, "client_key": "e-1"}
    )
    assert created.status_code == 201, created.content
    case = Case.objects.get(pk=created.json()["id"])
    case_accept(by=cw.bob, case=case)
    case_resolve(by=cw.bob, case=case, result="已更换灯泡")
    data = erin.get(url(case)).json()
    assert data["view"] == "reporter" and data["reporter"] is None and data["suggestion"] is None
    assert [e["kind"] for e in data["timeline"]] == ["submitted", "accepted", "resolved"]
    assert all(e["actor"] is None for e in data["timeline"])
    assert "bob" not in str(data["timeline"])
    assert data["allowed_actions"] == ["rate"]
    assert data["result"] == "已更换灯泡"


def test_accept_matrix_and_conflict(cw, submit):
    case = submit()
    assert as_(cw, None).post(url(case, "accept")).status_code == 401
    assert as_(cw, "bob").post(url(case, "accept")).status_code == 404
    assert as_(cw, "erin").post(url(case, "accept")).status_code == 404
    assert as_(cw, "bob").post(f"/api/v1/cases/{MISSING_ID}/accept").status_code == 404
    forbidden = as_(cw, "dave").post(url(case, "accept"))
    assert (forbidden.status_code, forbidden.json()["detail"]) == (403, "您不负责该事件，不能受理")
    accepted = as_(cw, "alice").post(url(case, "accept"))
    assert accepted.status_code == 200, accepted.content
    data = accepted.json()
    assert (data["state"], data["state_label"], data["handler"]) == ("accepted", "已受理", "alice")
    assert {"start", "resolve", "note"} <= set(data["allowed_actions"])
    again = as_(cw, "frank").post(url(case, "accept"))
    assert again.status_code == 409
    assert again.json()["detail"] == "该事件已由alice受理，无需重复受理"
    assert again.json()["errors"] == [{"field": "state", "message": "该事件已由alice受理，无需重复受理"}]


def test_handle_start_note_resolve_and_who_may_not(cw, submit):
    case = submit()
    alice = as_(cw, "alice")
    alice.post(url(case, "accept"))
    assert as_(cw, "frank").post(url(case, "start")).status_code == 403
    assert alice.post(url(case, "start"), {"note": "已到现场"}).json()["state"] == "in_progress"
    assert alice.post(url(case, "start")).status_code == 409
    assert field_errors(alice.post(url(case, "note"), {"note": ""})) == {"note": "请填写处置记录"}
    assert as_(cw, "dave").post(url(case, "note"), {"note": "看过了"}).status_code == 403
    assert as_(cw, "bob").post(url(case, "note"), {"note": "看过了"}).status_code == 404
    assert alice.post(url(case, "note"), {"note": "已联系环卫", "public": True}).status_code == 200
    bad = alice.post(url(case, "resolve"), {})
    assert (bad.status_code, field_errors(bad)) == (400, {"result": "办理结果：必填"})
    assert (
        as_(cw, "frank").post(url(case, "resolve"), {"result": "好了"}).json()["detail"]
        == "只有承办人可以办结"
    )
    resolved = alice.post(url(case, "resolve"), {"result": "垃圾已清运"})
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert alice.post(url(case, "resolve"), {"result": "再办一次"}).status_code == 409
    timeline = alice.get(url(case)).json()["timeline"]
    assert [e["kind"] for e in timeline] == ["submitted", "accepted", "started", "note", "resolved"]
    assert timeline[1]["actor"] == "alice"


def test_classify_dispatch_reject(cw, submit):
    case = submit()
    assert as_(cw, "dave").post(url(case, "classify"), {"category": "facility"}).status_code == 403
    bad = as_(cw, "alice").post(url(case, "classify"), {"category": "nope"})
    assert (bad.status_code, field_errors(bad)) == (400, {"category": "分类不存在或已停用"})
    assert field_errors(as_(cw, "alice").post(url(case, "classify"), {"priority": "urgent"})) == {
        "category": "分类：必填"
    }
    ok = as_(cw, "alice").post(url(case, "classify"), {"category": "sanitation", "priority": "urgent"})
    assert ok.status_code == 200 and ok.json()["priority"] == "urgent" and ok.json()["category_confirmed"]

    # Dispatch: only dispatchers; the handler must be someone the dispatch form offers.
    assert as_(cw, "alice").post(url(case, "dispatch"), {"handler_user": cw.frank.pk}).status_code == 403
    carol = as_(cw, "carol")
    assert field_errors(carol.post(url(case, "dispatch"), {"handler_user": cw.bob.pk})) == {
        "handler_user": "承办人不存在或不在可交办范围内"
    }
    assert field_errors(carol.post(url(case, "dispatch"), {"handler_org": MISSING_ID})) == {
        "handler_org": "单位不存在或不在您的辖区"
    }
    assert field_errors(carol.post(url(case, "dispatch"), {"level": "galaxy"}))["level"].startswith(
        "层级：取值无效"
    )
    sent = carol.post(url(case, "dispatch"), {"handler_user": cw.frank.pk, "note": "请网格长处理"})
    assert sent.status_code == 200, sent.content
    assert sent.json()["handler"] == "frank"

    other = submit(text="楼下花坛里有很多垃圾", category="sanitation")
    assert as_(cw, "alice").post(url(other, "reject"), {"reason": "重复"}).status_code == 403
    assert field_errors(carol.post(url(other, "reject"), {"reason": ""})) == {
        "reason": "请填写不予受理的原因"
    }
    assert carol.post(url(other, "reject"), {"reason": "不属于社区职责"}).json()["state"] == "rejected"
    assert carol.post(url(other, "reject"), {"reason": "不属于社区职责"}).status_code == 409


def test_merge_return_escalate_supervise(cw, submit):
    first = submit()
    second = submit(text="1栋门口垃圾没人清运，臭", reporter_phone="13700005678")
    carol = as_(cw, "carol")
    duplicates = carol.get(url(second, "duplicates"))
    assert duplicates.status_code == 200
    assert [(d["case"]["id"], d["similarity"] > 0.3) for d in duplicates.json()] == [(first.pk, True)]
    assert as_(cw, "bob").get(url(second, "duplicates")).status_code == 404
    assert as_(cw, "erin").get(url(second, "duplicates")).status_code == 404
    assert field_errors(carol.post(url(second, "merge"), {"into": MISSING_ID})) == {
        "into": "目标事件不存在或无权访问"
    }
    assert as_(cw, "alice").post(url(second, "merge"), {"into": first.pk}).status_code == 403
    merged = carol.post(url(second, "merge"), {"into": first.pk})
    assert merged.status_code == 200 and merged.json()["state"] == "merged"

    alice = as_(cw, "alice")
    alice.post(url(first, "accept"))
    returned = alice.post(url(first, "return"), {"reason": "不是网格能处理的"})
    assert returned.status_code == 200 and returned.json()["needs_dispatch"] is True
    assert alice.post(url(first, "return"), {"reason": "再退"}).status_code == 403

    assert as_(cw, "dave").post(url(first, "escalate"), {"reason": "太难"}).status_code == 403
    up = alice.post(url(first, "escalate"), {"reason": "需要社区协调"})
    assert up.status_code == 200 and up.json()["level"] == Level.COMMUNITY

    assert as_(cw, "alice").post(url(first, "supervise"), {"note": "抓紧"}).status_code == 403
    assert field_errors(carol.post(url(first, "supervise"), {})) == {"note": "说明：必填"}
    assert carol.post(url(first, "supervise"), {"note": "请三日内办结"}).json()["supervised"] is True


def test_whistle_and_call_report(cw, submit):
    case = submit()
    carol = as_(cw, "carol")
    as_(cw, "alice").post(url(case, "escalate"), {"reason": "需要执法"})
    deadline = (timezone.localtime() + dt.timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert field_errors(carol.post(url(case, "whistle"), {"organisations": [], "deadline": deadline})) == {
        "organisations": "请选择要呼叫的部门"
    }
    past = (timezone.localtime() - dt.timedelta(hours=1)).isoformat()
    assert field_errors(
        carol.post(url(case, "whistle"), {"organisations": [cw.chengguan.pk], "deadline": past})
    ) == {"deadline": "报到期限须晚于当前时间"}
    assert field_errors(carol.post(url(case, "whistle"), {"organisations": [cw.chengguan.pk]})) == {
        "deadline": "报到期限：必填"
    }
    assert (
        as_(cw, "alice")
        .post(url(case, "whistle"), {"organisations": [cw.chengguan.pk], "deadline": deadline})
        .status_code
        == 403
    )
    called = carol.post(url(case, "whistle"), {"organisations": [cw.chengguan.pk], "deadline": deadline})
    assert called.status_code == 200, called.content
    call = CaseCall.objects.get(case=case)
    # A naive deadline is Beijing time.
    assert timezone.localtime(call.deadline).replace(tzinfo=None).isoformat() == deadline

    detail = carol.get(url(case)).json()
    assert [(c["organisation"]["name"], c["reported_at"]) for c in detail["calls"]] == [
        ("城管执法中队", None)
    ]
    assert as_(cw, "chen").get(url(case)).status_code == 200  # the called department now sees it
    assert as_(cw, "wang").post(f"/api/v1/calls/{call.pk}/report", {"note": "到了"}).status_code == 404
    assert as_(cw, "carol").post(f"/api/v1/calls/{call.pk}/report", {"note": "到了"}).status_code == 403
    reported = as_(cw, "chen").post(f"/api/v1/calls/{call.pk}/report", {"note": "已派两名队员到场"})
    assert reported.status_code == 200 and reported.json()["report_note"] == "已派两名队员到场"
    assert as_(cw, "chen").post(f"/api/v1/calls/{call.pk}/report", {"note": "又到了"}).status_code == 409


def test_rate_by_the_reporter_only(cw):
    erin = as_(cw, "erin")
    case_id = erin.post("/api/v1/cases", {"text": "8栋电梯按钮失灵", "place": cw.building2.pk}).json()["id"]
    case = Case.objects.get(pk=case_id)
    assert erin.post(f"/api/v1/cases/{case_id}/rate", {"rating": 5}).status_code == 409  # not resolved yet
    case_accept(by=cw.bob, case=case)
    case_resolve(by=cw.bob, case=case, result="已修好")
    assert as_(cw, "bob").post(f"/api/v1/cases/{case_id}/rate", {"rating": 5}).status_code == 404
    assert field_errors(erin.post(f"/api/v1/cases/{case_id}/rate", {"rating": 9})) == {
        "rating": "评价须为1到5分"
    }
    rated = erin.post(f"/api/v1/cases/{case_id}/rate", {"rating": 4, "comment": "很及时"})
    assert rated.status_code == 200 and rated.json()["state"] == State.CLOSED


def test_reveal_reporter_phone_is_audited(cw, submit):
    case = submit()
    alice = as_(cw, "alice")
    alice.post(url(case, "accept"))
    assert field_errors(alice.post(url(case, "reveal-reporter"), {"purpose": ""})) == {
        "purpose": "请填写查看原因"
    }
    assert as_(cw, "dave").post(url(case, "reveal-reporter"), {"purpose": "回访"}).status_code == 403
    assert as_(cw, "bob").post(url(case, "reveal-reporter"), {"purpose": "回访"}).status_code == 404
    revealed = alice.post(url(case, "reveal-reporter"), {"purpose": "电话回访"})
    assert revealed.json() == {"phone": "13700001234"}
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_PII, target_id=str(case.pk))
    assert (entry.actor, entry.purpose) == (cw.alice, "电话回访")


def test_bad_json_and_wrong_types_are_400_in_chinese(cw, submit):
    case = submit()
    alice = as_(cw, "alice")
    response = alice.client.post(url(case, "reject"), "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == "请求体不是有效的JSON"
    response = alice.client.post(url(case, "note"), "[1, 2]", content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == "请求体须为JSON对象"
    assert field_errors(alice.post(url(case, "note"), {"note": "x", "public": "maybe"})) == {
        "public": "公开：须为true或false"
    }
    assert alice.get("/api/v1/cases/abc").status_code == 422


def test_out_of_range_numbers_and_dates_are_client_errors(cw, submit):
    case = submit()
    carol = as_(cw, "carol")
    huge = "99999999999999999999999"
    assert carol.get(f"/api/v1/cases/{huge}").status_code == 404
    assert carol.post(f"/api/v1/cases/{huge}/accept").status_code == 404
    assert carol.get("/api/v1/cases", {"since": "0001-01-01"}).status_code == 422
    assert carol.get("/api/v1/cases/stats", {"until": "9999-12-31"}).status_code == 422
    as_(cw, "alice").post(url(case, "escalate"), {"reason": "需要执法"})
    far = carol.post(
        url(case, "whistle"), {"organisations": [cw.chengguan.pk], "deadline": "9999-12-31T23:59:00-12:00"}
    )
    assert field_errors(far) == {"deadline": "时间须在1970年到9000年之间"}
