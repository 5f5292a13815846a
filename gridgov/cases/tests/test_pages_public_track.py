"""Tracking /r/t/<code>/ (code + last four digits, or being the reporter), my reports /r/mine/,
and rating /r/t/<code>/rate/ with the one-time reopen."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from gridgov.cases.models import State
from gridgov.cases.services import case_accept, case_dispatch, case_resolve
from gridgov.cases.tests.factories import png_bytes, upload

NOT_FOUND = "查询码或手机号后四位不正确，或尝试次数过多，请稍后再试"


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


def prove(client, code: str, last4: str):
    return client.post("/r/t/", {"code": code, "last4": last4})


def resolve(cw, case, by=None, result="已更换路灯"):
    by = by or cw.alice
    case = case_accept(by=by, case=case)
    return case_resolve(by=by, case=case, result=result)


def test_anonymous_tracking_needs_the_right_last_four_digits(cw, submit, client):
    case = submit(photos=[upload("gate.png", png_bytes())])
    asked = client.get(f"/r/t/{case.tracking_code}/")
    assert asked.status_code == 200
    assert "手机号后四位" in asked.content.decode() and case.text not in asked.content.decode()

    wrong_digits = prove(client, case.tracking_code, "0000")
    wrong_code = prove(client, "ABCDEFGHJK", "1234")
    assert wrong_digits.status_code == wrong_code.status_code == 404
    assert NOT_FOUND in wrong_digits.content.decode() and NOT_FOUND in wrong_code.content.decode()
    assert "请填写手机号后四位（4位数字）" in prove(client, case.tracking_code, "12a4").content.decode()
    assert "请填写反映时所留手机号的后四位" in prove(client, case.tracking_code, "").content.decode()
    assert "请填写查询码" in prove(client, "", "1234").content.decode()

    # Codes are forgiving about case and dashes.
    code = case.tracking_code.lower()
    ok = prove(client, f"{code[:5]}-{code[5:]}", "1234")
    assert ok.status_code == 302 and ok["Location"] == f"/r/t/{case.tracking_code}/"
    page = client.get(ok["Location"]).content.decode()
    assert "待受理" in page and "已收到您的反映，正在等待工作人员受理" in page
    assert "已收到您的反映" in page and case.text in page and "金泰路社区 聚江苑 1栋" in page
    assert "评价办理结果" not in page

    # The report photo is shown to the prover only.
    photo_id = case.attachments.get().pk
    image = client.get(f"/r/t/{case.tracking_code}/photo/{photo_id}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert Client().get(f"/r/t/{case.tracking_code}/photo/{photo_id}/").status_code == 404


def test_failed_lookups_are_throttled(cw, submit, client, settings):
    settings.GRIDGOV_TRACK_MAX_FAILURES = 2
    case = submit()
    assert prove(client, case.tracking_code, "0001").status_code == 404
    assert prove(client, case.tracking_code, "0002").status_code == 404
    refused = prove(client, case.tracking_code, "1234")
    assert refused.status_code == 429 and NOT_FOUND in refused.content.decode()


def test_logged_in_reporter_sees_her_case_directly_others_do_not(cw, submit, client):
    case = submit(by=cw.erin, reporter_phone="", place=cw.building2, text="8栋楼道堆满杂物")
    client.force_login(cw.erin)
    page = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert "8栋楼道堆满杂物" in page and "待受理" in page

    client.force_login(cw.alice)
    other = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert "8栋楼道堆满杂物" not in other and "手机号后四位" in other
    assert NOT_FOUND in prove(client, case.tracking_code, "0000").content.decode()


def test_my_reports_lists_only_mine_newest_first_with_state_badges(cw, submit, client):
    assert client.get("/r/mine/")["Location"].startswith("/accounts/login/")
    older = submit(by=cw.erin, reporter_phone="", place=cw.building2, text="第一件：路灯不亮")
    newer = submit(by=cw.erin, reporter_phone="", place=cw.building2, text="第二件：井盖松动")
    resolve(cw, case_dispatch(by=cw.carol, case=older, handler_user=cw.bob), by=cw.bob)
    submit(text="别人的反映：楼下噪音")
    client.force_login(cw.erin)
    page = client.get("/r/mine/").content.decode()
    assert page.index("第二件：井盖松动") < page.index("第一件：路灯不亮")
    assert "别人的反映" not in page
    assert f'href="/r/t/{newer.tracking_code}/"' in page
    assert '<span class="r-badge wait">待受理</span>' in page
    assert '<span class="r-badge done">已办结</span>' in page and "待您评价" in page

    client.force_login(cw.alice)
    assert "您还没有反映过问题" in client.get("/r/mine/").content.decode()


def test_rating_reopens_once_then_the_second_unsatisfied_rating_closes(cw, submit, client):
    case = submit(by=cw.erin, reporter_phone="", place=cw.building2, text="8栋门口下水道堵了")
    client.force_login(cw.erin)
    rate_url = f"/r/t/{case.tracking_code}/rate/"
    early = client.get(rate_url).content.decode()
    assert "办结后才能评价" in early and 'name="rating"' not in early
    refused = client.post(rate_url, {"rating": 5})
    assert refused.status_code == 409 and "事件待受理，不能评价" in refused.content.decode()

    case = resolve(cw, case_dispatch(by=cw.carol, case=case, handler_user=cw.bob), by=cw.bob, result="已疏通")
    track = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert "已办结" in track and "已疏通" in track and f'href="{rate_url}"' in track
    assert 'name="rating"' in client.get(rate_url).content.decode()
    assert "请选择评分（1到5星）" in client.post(rate_url, {"comment": "?"}).content.decode()
    assert "评分须为1到5星" in client.post(rate_url, {"rating": 7}).content.decode()

    unsatisfied = client.post(rate_url, {"rating": 2, "comment": "还是堵"}, follow=True)
    page = unsatisfied.content.decode()
    assert "已转交上级负责人复核、重新办理（每件反映可重办一次）" in page
    assert "您不满意，已转上级重新办理" in page
    case.refresh_from_db()
    assert (case.state, case.reopen_count) == (State.NEW, 1)
    # Rating again now is refused with the service's own words.
    again = client.post(rate_url, {"rating": 1})
    assert again.status_code == 409 and "事件待受理，不能评价" in again.content.decode()

    resolve(cw, case, by=cw.cora, result="已更换管道并复查")
    second = client.post(rate_url, {"rating": 1, "comment": "仍不满意"}, follow=True).content.decode()
    assert "该反映已重新办理过一次" in second
    case.refresh_from_db()
    assert (case.state, case.reopen_count, case.rating) == (State.CLOSED, 1, 1)
    closed = client.post(rate_url, {"rating": 5})
    assert closed.status_code == 409 and "事件已评价，不能评价" in closed.content.decode()


def test_anonymous_reporter_rates_after_proving_the_digits(cw, submit, client):
    case = resolve(cw, submit())
    stranger = Client()
    assert stranger.get(f"/r/t/{case.tracking_code}/rate/").status_code == 404
    assert stranger.post(f"/r/t/{case.tracking_code}/rate/", {"rating": 1}).status_code == 404

    prove(client, case.tracking_code, "1234")
    page = client.post(f"/r/t/{case.tracking_code}/rate/", {"rating": 5, "comment": "很及时"}, follow=True)
    body = page.content.decode()
    assert "感谢您的评价！" in body and "已评价" in body and "★★★★★" in body and "很及时" in body
    case.refresh_from_db()
    assert (case.state, case.rating) == (State.CLOSED, 5)
    assert stranger.get(f"/r/t/{case.tracking_code}/").content.decode().count("很及时") == 0
