"""The case page: scope, what it shows, and every action form — success for the right person,
the Chinese error for bad input or the wrong person, 409 when the case moved on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.cases.models import Case, CaseCall, EventKind, Level, State
from gridgov.cases.services import case_accept, case_escalate
from gridgov.cases.tests.factories import png_bytes, upload


def act(client, case, action, data=None, **extra):
    return client.post(reverse("cases:act", args=[case.pk, action]), data or {}, **extra)


def fresh(case):
    return Case.objects.get(pk=case.pk)


def test_case_page_in_scope_and_404_outside_like_a_missing_id(client, cw, submit):
    case = submit(photos=[upload("p.png", png_bytes())])
    client.force_login(cw.alice)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    text = page.text
    assert case.tracking_code in text and "1栋门口的垃圾好几天没人清运" in text
    assert "芙蓉北路街道 / 金泰路社区 / 第一网格 / 聚江苑 / 1栋" in text  # breadcrumbs
    assert "*******1234" in text and "13700001234" not in text  # masked reporter phone
    assert 'id="timeline"' in text and "上报" in text
    attachment = case.attachments.get()
    assert reverse("cases:attachment", args=[attachment.pk]) in text
    client.force_login(cw.bob)
    outside = client.get(reverse("cases:detail", args=[case.pk]))
    missing = client.get(reverse("cases:detail", args=[999999]))
    assert outside.status_code == missing.status_code == 404
    assert act(client, case, "accept").status_code == 404


def test_the_triage_suggestion_and_its_matched_words_are_shown(client, cw, submit):
    case = submit(text="3栋电梯停在5楼不动了，里面有老人被困")
    assert case.suggested_matched
    client.force_login(cw.carol)
    text = client.get(reverse("cases:detail", args=[case.pk])).text
    assert "系统分类建议" in text
    for word in case.suggested_matched.split("、"):
        assert f'<span class="tag">{word}</span>' in text


def test_buttons_follow_allowed_actions(client, cw, submit):
    case = submit()
    client.force_login(cw.alice)
    text = client.get(reverse("cases:detail", args=[case.pk])).text
    assert f"cases/{case.pk}/act/accept/" in text
    assert "act/reject/" not in text and "act/dispatch/" not in text  # grid workers do not dispatch
    client.force_login(cw.dave)  # volunteer: read-only
    text = client.get(reverse("cases:detail", args=[case.pk])).text
    assert "act/accept/" not in text and "您对该事件没有可执行的操作" in text
    client.force_login(cw.carol)
    text = client.get(reverse("cases:detail", args=[case.pk])).text
    assert "act/dispatch/" in text and "act/reject/" in text and "act/supervise/" in text


def test_accept_then_a_second_accept_gets_the_conflict_message(client, cw, submit):
    case = submit()
    client.force_login(cw.alice)
    response = act(client, case, "accept")
    assert response.status_code == 302 and response.url.endswith(f"/cases/{case.pk}/")
    assert (fresh(case).state, fresh(case).handler_user) == (State.ACCEPTED, cw.alice)
    client.force_login(cw.frank)  # 网格长 of the same grid pressed the button a moment later
    response = act(client, case, "accept")
    assert response.status_code == 409
    assert "该事件已由alice受理，无需重复受理" in response.text
    assert fresh(case).handler_user == cw.alice


def test_the_wrong_person_gets_the_chinese_reason_with_403(client, cw, submit):
    case = submit()
    client.force_login(cw.dave)
    response = act(client, case, "accept")
    assert response.status_code == 403 and "您不负责该事件，不能受理" in response.text
    client.force_login(cw.alice)
    response = act(client, case, "reject", {"reason": "不属于社区职责"})
    assert response.status_code == 403 and "您无权作不予受理处理" in response.text
    assert fresh(case).state == State.NEW


def test_unknown_action_is_404(client, cw, submit):
    case = submit()
    client.force_login(cw.alice)
    assert act(client, case, "explode").status_code == 404
    assert client.get(reverse("cases:act", args=[case.pk, "accept"])).status_code == 405


def test_start_note_with_photos_and_resolve(client, cw, submit):
    case = submit()
    case_accept(by=cw.alice, case=case)
    client.force_login(cw.alice)
    assert act(client, case, "start", {"note": "马上去现场"}).status_code == 302
    assert fresh(case).state == State.IN_PROGRESS
    response = act(client, case, "note", {"note": "", "photo_kind": "before"})
    assert response.status_code == 400 and "请填写处置记录" in response.text
    response = act(
        client,
        case,
        "note",
        {"note": "清理前", "photo_kind": "before", "photos": [upload("x.txt", b"hello")]},
    )
    assert response.status_code == 400 and "“x.txt”不是图片，只能上传JPG、PNG或WebP照片" in response.text
    response = act(
        client,
        case,
        "note",
        {
            "note": "现场照片",
            "photo_kind": "before",
            "photos": [upload("a.png", png_bytes()), upload("b.png", png_bytes())],
        },
    )
    assert response.status_code == 302
    assert fresh(case).attachments.filter(kind="before").count() == 2
    response = act(client, case, "resolve", {"result": ""})
    assert response.status_code == 400 and "办理结果：请填写办理结果" in response.text
    response = act(
        client, case, "resolve", {"result": "已清运完毕", "photos": [upload("after.png", png_bytes())]}
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.result) == (State.RESOLVED, "已清运完毕")
    assert case.attachments.filter(kind="after").count() == 1
    # Resolved: no more resolving, and a late press says why.
    response = act(client, case, "resolve", {"result": "再办一次"})
    assert response.status_code == 409 and "事件已办结，不能办结" in response.text


def test_photos_are_served_only_in_scope(client, cw, submit):
    case = submit(photos=[upload("p.png", png_bytes(text_chunk=b"GPS secret"))])
    attachment = case.attachments.get()
    url = reverse("cases:attachment", args=[attachment.pk])
    client.force_login(cw.alice)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\x89PNG") and b"GPS secret" not in body
    client.force_login(cw.bob)
    assert client.get(url).status_code == 404
    assert client.get(reverse("cases:attachment", args=[999999])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_classify_and_its_errors(client, cw, submit):
    case = submit()
    client.force_login(cw.carol)
    response = act(
        client,
        case,
        "classify",
        {"category": cw.facility.pk, "subcategory": cw.theft.pk, "priority": "normal"},
    )
    assert response.status_code == 400 and "子分类不属于所选分类" in response.text
    response = act(client, case, "classify", {"category": 999999, "priority": "normal"})
    assert response.status_code == 400 and "分类：分类不存在或已停用" in response.text
    response = act(
        client,
        case,
        "classify",
        {"category": cw.facility.pk, "subcategory": cw.lift.pk, "priority": "urgent"},
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.category, case.subcategory, case.priority, case.category_confirmed) == (
        cw.facility,
        cw.lift,
        "urgent",
        True,
    )
    # The lift rule of 聚江苑 now routes it to the property company.
    assert case.handler_org == cw.property_co


def test_dispatch_to_a_person_an_organisation_and_a_department(client, cw, submit):
    case = submit()
    client.force_login(cw.carol)
    text = client.get(reverse("cases:detail", args=[case.pk])).text
    assert "网格（第一网格）" in text and "聚江苑物业" in text
    assert '<option value="department">' not in text  # a community calls departments in by 吹哨
    response = act(client, case, "dispatch", {"level": "department", "handler_org": cw.chengguan.pk})
    assert response.status_code == 400 and "层级无效或无权交办到该层级" in response.text
    response = act(client, case, "dispatch", {"level": "grid", "handler_user": cw.bob.pk})
    assert response.status_code == 400 and "承办人：承办人不在可选范围内" in response.text
    response = act(
        client, case, "dispatch", {"level": "grid", "handler_user": cw.alice.pk, "note": "请今天处理"}
    )
    assert response.status_code == 302
    assert (fresh(case).handler_user, fresh(case).dispatcher) == (cw.alice, cw.carol)
    response = act(client, case, "dispatch", {"level": "grid", "handler_org": cw.property_co.pk})
    assert response.status_code == 302
    assert (fresh(case).handler_user, fresh(case).handler_org) == (None, cw.property_co)

    client.force_login(cw.sam)  # the street may hand it to a department
    assert '<option value="department">' in client.get(reverse("cases:detail", args=[case.pk])).text
    response = act(client, case, "dispatch", {"level": "department"})
    assert response.status_code == 400 and "交办到部门须选择承办部门" in response.text
    response = act(client, case, "dispatch", {"level": "department", "handler_org": cw.chengguan.pk})
    assert response.status_code == 302
    assert (fresh(case).level, fresh(case).handler_org) == (Level.DEPARTMENT, cw.chengguan)


def test_reject_merge_and_duplicates(client, cw, submit):
    first = submit(text="1栋门口的垃圾好几天没人清运，味道很大")
    second = submit(text="1栋门口垃圾好几天没人清运了，味道很大", reporter_phone="13700005678")
    client.force_login(cw.carol)
    text = client.get(reverse("cases:detail", args=[second.pk])).text
    assert "疑似重复" in text and first.tracking_code in text and "并入此件" in text
    response = act(client, second, "merge", {"into": "NOSUCHCODE"})
    assert response.status_code == 400 and "目标事件不存在或无权访问" in response.text
    response = act(client, second, "merge", {"into": first.tracking_code.lower()})
    assert response.status_code == 302
    assert (fresh(second).state, fresh(second).merged_into) == (State.MERGED, first)
    response = act(client, first, "reject", {"reason": ""})
    assert response.status_code == 400 and "请填写不予受理的原因" in response.text
    response = act(client, first, "reject", {"reason": "已由环卫所统一处理"})
    assert response.status_code == 302 and fresh(first).state == State.REJECTED


def test_return_escalate_whistle_call_report_and_supervise(client, cw, submit):
    case = submit()
    case_accept(by=cw.alice, case=case)
    client.force_login(cw.alice)
    response = act(client, case, "return", {"reason": "   "})
    assert response.status_code == 400 and "请填写退回原因" in response.text
    response = act(client, case, "return", {"reason": "不在本网格"})
    assert response.status_code == 302 and fresh(case).needs_dispatch
    response = act(client, case, "escalate", {"reason": "需要社区协调"})
    assert response.status_code == 302 and fresh(case).level == Level.COMMUNITY

    client.force_login(cw.carol)
    # 吹哨 mistakes come back by redirect-after-post to the 吹哨 page (issue 9, defect 13).
    response = act(
        client, case, "whistle", {"organisations": [cw.chengguan.pk], "deadline": "2020-01-01T10:00"}
    )
    assert response.status_code == 303 and "报到期限须晚于当前时间" in client.get(response["Location"]).text
    response = act(client, case, "whistle", {"deadline": "2099-01-01T10:00"})
    assert response.status_code == 303 and "请选择要呼叫的部门" in client.get(response["Location"]).text
    deadline = (timezone.localtime() + dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    response = act(
        client, case, "whistle", {"organisations": [cw.chengguan.pk, cw.market.pk], "deadline": deadline}
    )
    assert response.status_code == 302
    assert CaseCall.objects.filter(case=case).count() == 2

    client.force_login(cw.chen)  # 城管 reports back from the case page
    text = client.get(reverse("cases:detail", args=[case.pk])).text
    assert "吹哨报到" in text and "待报到" in text and "act/call_report/" in text
    response = act(client, case, "call_report", {"note": ""})
    assert response.status_code == 400 and "请填写报到情况" in response.text
    assert act(client, case, "call_report", {"note": "已派队员到场"}).status_code == 302
    response = act(client, case, "call_report", {"note": "再报一次"})
    assert response.status_code == 409 and "本单位已报到，或未被呼叫" in response.text

    client.force_login(cw.carol)
    text = client.get(reverse("cases:detail", args=[case.pk])).text
    assert "已报到" in text and "已派队员到场" in text and "待报到" in text  # 市场监管所 still owes
    response = act(client, case, "supervise", {"note": ""})
    assert response.status_code == 400 and "请填写督办意见" in response.text
    assert act(client, case, "supervise", {"note": "今天必须办结"}).status_code == 302
    assert fresh(case).supervised


def test_escalate_at_street_needs_a_department(client, cw, submit):
    case = submit()
    case = case_escalate(by=cw.carol, case=case, reason="社区处理不了")
    case = case_escalate(by=cw.sam, case=case, reason="街道协调")
    assert case.level == Level.STREET
    client.force_login(cw.sam)
    response = act(client, case, "escalate", {"reason": "请部门处理"})
    assert response.status_code == 400 and "街道上报到部门须选择承办部门" in response.text
    response = act(client, case, "escalate", {"reason": "请部门处理", "organisation": cw.market.pk})
    assert response.status_code == 302
    assert (fresh(case).level, fresh(case).handler_org) == (Level.DEPARTMENT, cw.market)


def test_reveal_reporter_phone_is_audited(client, cw, submit):
    case = submit()
    client.force_login(cw.alice)
    response = act(client, case, "reveal_reporter", {"purpose": ""})
    assert response.status_code == 400 and "请填写查看原因" in response.text
    response = act(client, case, "reveal_reporter", {"purpose": "回访核实"})
    assert response.status_code == 200 and "13700001234" in response.text
    entry = AuditEntry.objects.filter(action=AuditAction.VIEW_PII, actor=cw.alice).get()
    assert entry.purpose == "回访核实"
    client.force_login(cw.dave)
    response = act(client, case, "reveal_reporter", {"purpose": "好奇"})
    assert response.status_code == 403 and "13700001234" not in response.text


@pytest.mark.parametrize("action", ["accept", "note", "resolve", "supervise"])
def test_actions_on_a_case_out_of_scope_are_404(client, cw, submit, action):
    case = submit(place=cw.building2)
    client.force_login(cw.alice)
    assert act(client, case, action, {"note": "x", "result": "x"}).status_code == 404
    assert not fresh(case).events.exclude(kind=EventKind.SUBMITTED).exists()
