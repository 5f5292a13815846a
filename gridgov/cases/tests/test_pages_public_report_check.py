"""The report page's emergency check (POST /r/new/check): urgent or not and which number first,
from the triage suggestion; bad input and too many requests refused; the page carries the
tap-to-call guidance (hidden until the check says so) without blocking the submit."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from gridgov.triage.services import Suggestion

CHECK = "/r/new/check"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


def fake_suggest(monkeypatch, urgency: str = "urgent", matched: tuple[str, ...] = ()) -> list[str]:
    seen: list[str] = []

    def suggest(text: str) -> Suggestion:
        seen.append(text)
        return Suggestion(category="safety", urgency=urgency, confidence=0.9, matched=matched)

    monkeypatch.setattr("gridgov.triage.services.suggest", suggest)
    return seen


@pytest.mark.parametrize(
    ("matched", "kind", "first"),
    [
        (("冒烟", "火情：冒 + 烟 + 正在"), "fire", "119"),
        (("燃气泄漏：煤气 + 味",), "fire", "119"),
        (("伤病急症：晕倒 + 老人",), "medical", "120"),
        (("暴力犯罪：刀 + 追 + 有人",), "crime", "110"),
        (("被困：电梯 + 困",), "rescue", "119"),
        (("模型判断紧急",), None, "110"),
    ],
)
def test_urgent_text_names_the_kind_and_the_number_to_call_first(db, client, monkeypatch, matched, kind, first):
    seen = fake_suggest(monkeypatch, matched=matched)
    answer = client.post(CHECK, {"text": "  楼道里一直在冒烟  "})
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    data = answer.json()
    assert (data["urgent"], data["kind"], data["numbers"][0]) == (True, kind, first)
    assert sorted(data["numbers"]) == ["110", "119", "120"]
    assert seen == ["楼道里一直在冒烟"]


def test_ordinary_and_too_short_texts_are_not_urgent(db, client, monkeypatch):
    seen = fake_suggest(monkeypatch, urgency="normal")
    assert client.post(CHECK, {"text": "门口垃圾没人清运"}).json() == {
        "urgent": False,
        "kind": None,
        "numbers": ["110", "119", "120"],
    }
    assert client.post(CHECK, {"text": "火"}).json()["urgent"] is False
    assert seen == ["门口垃圾没人清运"]  # one character never reaches the engine


def test_the_real_engine_marks_a_fire_urgent(db, client):
    data = client.post(CHECK, {"text": "楼道里一直在冒烟，好像是三楼配电箱烧起来了"}).json()
    assert data["urgent"] is True and data["kind"] == "fire" and data["numbers"][0] == "119"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "text：请提交反映内容"),
        ({"text": "火" * 2001}, "text：反映内容不能超过2000个字，当前2001个字"),
        ({"text": "着火了\x00"}, "text：反映内容含有不允许的控制字符，请删除后重新填写"),
        ({"text": "着火了\u202e"}, "text：反映内容含有不允许的文字方向控制字符，请删除后重新填写"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(db, client, monkeypatch, data, message):
    seen = fake_suggest(monkeypatch)
    answer = client.post(CHECK, data)
    assert answer.status_code == 400 and answer.json() == {"error": message}
    assert seen == []


def test_only_post_with_the_page_csrf_token(db, monkeypatch):
    fake_suggest(monkeypatch)
    strict = Client(enforce_csrf_checks=True)
    assert strict.get(CHECK).status_code == 405
    assert strict.post(CHECK, {"text": "着火了"}).status_code == 403
    strict.get("/r/new/")
    token = strict.cookies["csrftoken"].value
    assert strict.post(CHECK, {"text": "着火了"}, headers={"X-CSRFToken": token}).status_code == 200


def test_too_many_checks_from_one_address_are_refused(db, client, monkeypatch, settings):
    settings.GRIDGOV_REPORT_CHECK_PER_MINUTE = 3
    seen = fake_suggest(monkeypatch)
    statuses = [client.post(CHECK, {"text": f"着火了{n}"}).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = client.post(CHECK, {"text": "着火了"})
    assert refused["Retry-After"] == "60" and refused.json()["error"] == "请求过于频繁：每分钟最多3次，请稍后再试"
    assert len(seen) == 3
    # Another address is not held up by this one.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(CHECK, {"text": "着火了"}).status_code == 200


def test_the_page_carries_the_hidden_guidance_above_submit_and_its_script(cw, client):
    page = client.get("/r/new/").text
    guidance = page.index('id="emergency"')
    assert guidance < page.index('id="submit-btn"')
    assert "如有生命危险请立即拨打 110 / 119 / 120" in page
    for number in ("110", "119", "120"):
        assert f'href="tel:{number}"' in page
    assert 'data-check-url="/r/new/check"' in page and "cases/report_check.js" in page
    assert page[guidance - 60 : guidance + 80].count("hidden") == 1
    # Nothing on the form depends on the check: submit is a plain button.
    assert '<button type="submit" id="submit-btn">' in page


def test_the_done_page_repeats_the_numbers_for_an_urgent_report(cw, client, monkeypatch):
    fake_suggest(monkeypatch, matched=("伤病急症：晕倒 + 老人",))
    response = client.post(
        "/r/new/",
        {"text": "1栋楼下有老人晕倒了", "reporter_phone": "13600001111", "place": cw.building1.pk, "client_key": ""},
    )
    assert response.status_code == 302
    page = client.get(response.url).text
    assert "已作为紧急事件立即通知" in page
    assert page.index('href="tel:120"') < page.index('href="tel:110"') < page.index('href="tel:119"')
