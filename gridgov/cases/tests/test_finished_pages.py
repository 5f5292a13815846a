"""Issue 9, the parts a user notices without a browser: the texts an anonymous reporter receives
and their one-tap links (bounded, counted like typed codes), what the staff page says was sent,
受理并处置 in one step, 催办 on a case held elsewhere, a department's own 报到 deadline, photos
that survive a form error, labelled photo groups, the rating copy, and 我的 as its own page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.cases.models import Case, CaseEvent, EventKind, Level, State, TrackingGuard
from gridgov.cases.services import (
    case_accept,
    case_accept_start,
    case_escalate,
    case_resolve,
    case_urge,
    case_whistle,
)
from gridgov.cases.services.reporter import TRACK_LINK_SALT, track_link
from gridgov.cases.tests.factories import png_bytes, upload
from gridgov.core.errors import Forbidden, NotFound
from gridgov.notifications.models import Notification, OutboundMessage
from gridgov.notifications.tests.conftest import sms_outbox  # noqa: F401  (fixture)

PHONE = "13912345678"
LINK_RE = re.compile(r"(https://gg\.example\.cn(/r/t/\w+/(?:rate/)?)\?k=([\w:\-]+))")


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # The per-address buckets live in the cache, which outlives a test.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def public_url(settings):
    settings.GRIDGOV_PUBLIC_URL = "https://gg.example.cn"


def _texts(kind: str) -> list[str]:
    return [m.payload["text"] for m in OutboundMessage.objects.filter(channel="sms", kind=kind)]


# --- texts to the reporter and their links -----------------------------------------------------


def test_anonymous_reporter_gets_a_text_with_a_one_tap_link(cw, submit, public_url, client):
    case = submit(reporter_phone=PHONE)
    [text] = _texts("case.received")
    assert text.startswith(f"【网格治理】您的反映已收到：查询码{case.tracking_code}")
    link, path, _token = LINK_RE.search(text).groups()
    assert path == f"/r/t/{case.tracking_code}/"
    # One tap: no code, no digits; the token leaves the address bar at once.
    response = client.get(link.replace("https://gg.example.cn", ""))
    assert response.status_code == 302 and response.url == f"/r/t/{case.tracking_code}/"
    page = client.get(response.url).content.decode()
    assert "已收到您的反映" in page and case.text in page


def test_a_forged_link_counts_as_a_failed_guess_and_a_locked_code_refuses_even_a_good_one(
    cw, submit, client, settings
):
    settings.GRIDGOV_TRACK_MAX_FAILURES = 2
    case = submit(reporter_phone=PHONE)
    good = track_link(case)
    bad = re.sub(r"k=.*", "k=AAAA:forged", good)
    response = client.get(bad)
    assert response.status_code == 404 and "链接无效或已过期" in response.content.decode()
    assert TrackingGuard.objects.get(key=f"code:{case.tracking_code}").failures == 1
    client.get(bad)
    response = client.get(good)
    assert response.status_code == 429


def test_a_link_expires_after_ninety_days(cw, submit, client, monkeypatch):
    case = submit(reporter_phone=PHONE)
    link = track_link(case)
    later = timezone.now().timestamp() + 91 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert client.get(link).status_code == 404
    assert TRACK_LINK_SALT  # the salt keeps these links apart from every other signature


def test_resolving_texts_the_result_with_a_rating_link_and_the_page_says_so(cw, submit, public_url, client):
    case = submit(reporter_phone=PHONE)
    client.force_login(cw.alice)
    client.post(f"/cases/{case.pk}/act/accept_start/", {"note": ""})
    response = client.post(
        f"/cases/{case.pk}/act/resolve/", {"result": "杂物已清理，通道恢复畅通"}, follow=True
    )
    assert f"{case.tracking_code}：已办结，已短信通知反映人" in response.content.decode()
    [text] = _texts("case.resolved")
    assert "杂物已清理，通道恢复畅通" in text
    link, path, _token = LINK_RE.search(text).groups()
    assert path == f"/r/t/{case.tracking_code}/rate/"
    resident = client.__class__()
    response = resident.get(link.replace("https://gg.example.cn", ""))
    assert response.status_code == 302 and response.url == path
    response = resident.post(path, {"rating": 5, "comment": "很快"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.CLOSED


def test_the_staff_page_says_when_nobody_could_be_told(cw, client):
    from gridgov.cases.services import case_submit

    case = case_submit(by=cw.alice, text="3栋楼道堆放杂物", channel="patrol", place=cw.building1)
    client.force_login(cw.alice)
    client.post(f"/cases/{case.pk}/act/accept_start/", {"note": ""})
    response = client.post(f"/cases/{case.pk}/act/resolve/", {"result": "已清理"}, follow=True)
    assert "已办结，反映人未留手机号，未能通知" in response.content.decode()
    assert not OutboundMessage.objects.filter(kind="case.resolved").exists()


def test_residents_with_accounts_get_in_app_notices_linking_their_tracking_page(cw, submit):
    case = submit(by=cw.erin, reporter_phone="", place=cw.building1)
    case = case_accept_start(by=cw.alice, case=case)
    case_resolve(by=cw.alice, case=case, result="已处理")
    notice = Notification.objects.get(recipient=cw.erin, kind="case.resolved")
    assert notice.link == f"/r/t/{case.tracking_code}/rate/"


def test_texts_go_out_through_the_sms_backend(cw, submit, sms_outbox, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(reporter_phone=PHONE)
    assert sms_outbox[0]["phone"] == PHONE and case.tracking_code in sms_outbox[0]["text"]
    assert OutboundMessage.objects.get(kind="case.received").status == "sent"


@pytest.mark.parametrize(
    ("result", "text"), [("已修好。", "已修好。请点击链接评价"), ("已修好", "已修好。请点击链接评价")]
)
def test_the_result_text_ends_its_sentence_once(
    cw,
    submit,
    sms_outbox,  # noqa: F811
    django_capture_on_commit_callbacks,
    result,
    text,
):
    case = case_accept_start(by=cw.alice, case=submit(reporter_phone=PHONE))
    with django_capture_on_commit_callbacks(execute=True):
        case_resolve(by=cw.alice, case=case, result=result)
    sent = [message["text"] for message in sms_outbox if "已办结" in message["text"]]
    assert len(sent) == 1 and text in sent[0] and "。。" not in sent[0]


# --- 受理并处置, category confirmation ---------------------------------------------------------------


def test_accept_and_start_in_one_step_writes_both_rows_and_confirms_the_category(cw, submit):
    case = submit()
    assert not case.category_confirmed
    case = case_accept_start(by=cw.alice, case=case)
    assert (case.state, case.handler_user, case.category_confirmed) == (State.IN_PROGRESS, cw.alice, True)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.ACCEPTED, EventKind.STARTED]
    with pytest.raises(ValidationError):  # CaseConflict: already in hand
        case_accept_start(by=cw.alice, case=case)


def test_accept_start_out_of_scope_is_not_found(cw, submit):
    with pytest.raises(NotFound):
        case_accept_start(by=cw.bob, case=submit())


def test_the_phone_case_page_offers_one_button_and_stays_at_the_top(cw, submit, client):
    case = submit()
    client.force_login(cw.alice)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="bar-accept-start"' in page and "受理并处置" in page
    response = client.post(f"/cases/{case.pk}/act/accept_start/", {"note": ""})
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"  # no #timeline
    page = client.get(response.url).content.decode()
    assert f"{case.tracking_code}：已受理并开始处置" in page and 'id="bar-resolve"' in page
    bad = client.post(f"/cases/{case.pk}/act/accept_start/", {"note": "x" * 501})
    assert bad.status_code == 400 and "说明" in bad.content.decode()


# --- 催办 --------------------------------------------------------------------------------------------


def _department_case(cw, submit):
    case = submit()
    case = case_escalate(by=cw.alice, case=case, reason="需要社区协调")
    case = case_escalate(by=cw.carol, case=case, reason="涉及多个部门")
    return case_escalate(by=cw.sam, case=case, reason="请城管处理", organisation=cw.chengguan)


def test_the_secretary_urges_a_department_case_she_cannot_handle(cw, submit, client):
    case = _department_case(cw, submit)
    assert case.level == Level.DEPARTMENT
    client.force_login(cw.carol)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "没有可执行的操作" not in page and 'id="act-urge"' in page and "城管执法中队" in page
    response = client.post(f"/cases/{case.pk}/act/urge/", {"note": "已超时很久，请尽快处理"}, follow=True)
    assert "已催办，已通知承办人及其上级" in response.content.decode()
    event = CaseEvent.objects.filter(case=case, kind=EventKind.URGED).get()
    assert event.actor == cw.carol and "请尽快处理" in event.note
    assert Notification.objects.filter(recipient=cw.chen, kind="case.urged").exists()


def test_urging_bad_input_out_of_scope_and_own_cases(cw, submit):
    case = _department_case(cw, submit)
    with pytest.raises(ValidationError) as exc:
        case_urge(by=cw.carol, case=case, note="x" * 501)
    assert "催办说明不能超过500个字" in exc.value.message_dict["note"][0]
    with pytest.raises(NotFound):
        case_urge(by=cw.bob, case=submit(place=cw.building1))  # bob (grid 2) cannot see grid 1
    mine = case_accept(by=cw.alice, case=submit())
    with pytest.raises(Forbidden):
        case_urge(by=cw.alice, case=mine)


# --- a department's own 报到 deadline -------------------------------------------------------------


def test_a_called_department_sees_its_report_deadline_and_a_marker(cw, submit, client):
    case = case_escalate(by=cw.alice, case=submit(), reason="需要社区协调")
    case_whistle(
        by=cw.carol, case=case, organisations=[cw.chengguan], deadline=timezone.now() + dt.timedelta(hours=3)
    )
    client.force_login(cw.chen)
    page = client.get("/cases/?tab=all").content.decode()
    assert "待报到" in page and re.search(r"报到剩(2小时5\d分|3小时)", page)


@pytest.mark.parametrize("rows", [5, 50])
def test_the_department_list_query_count_does_not_grow(
    cw, submit, client, django_assert_max_num_queries, rows
):
    deadline = timezone.now() + dt.timedelta(hours=3)
    for _ in range(rows):
        case = case_escalate(by=cw.alice, case=submit(), reason="需要社区协调")
        case_whistle(by=cw.carol, case=case, organisations=[cw.chengguan], deadline=deadline)
    client.force_login(cw.chen)
    with django_assert_max_num_queries(40):
        assert client.get("/cases/?tab=all").status_code == 200


# --- photos that survive an error ------------------------------------------------------------------


def _draft(client) -> str:
    page = client.get("/r/new/").content.decode()
    found = re.search(r'name="draft" value="([\w-]+)"', page)
    assert found is not None
    return found.group(1)


def test_photos_uploaded_at_once_survive_a_phone_number_error(cw, client):
    draft = _draft(client)
    for name in ("a.png", "b.png"):
        response = client.post("/r/new/photos/", {"draft": draft, "photo": upload(name, png_bytes())})
        assert response.status_code == 201
    form = {"text": "1栋楼道灯坏了", "place": cw.building1.pk, "reporter_phone": "1391234567", "draft": draft}
    response = client.post("/r/new/", form)
    page = response.content.decode()
    assert response.status_code == 400
    assert "手机号应为11位，当前为10位" in page and 'id="error-summary"' in page
    assert "照片需要重新选择" not in page and page.count("data-photo=") == 2
    response = client.post("/r/new/", {**form, "reporter_phone": PHONE})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.attachments.count() == 2 and case.reporter_phone_last4 == "5678"
    assert client.get(f"/r/new/photos/{draft}/x/").status_code == 404


def test_draft_uploads_are_bounded_and_belong_to_their_browser(cw, client, settings):
    draft = _draft(client)
    response = client.post("/r/new/photos/", {"draft": draft, "photo": upload("a.txt", b"not a photo")})
    assert response.status_code == 400 and "不是图片" in response.json()["error"]
    settings.GRIDGOV_CASE_PHOTO_MAX_BYTES = 10
    response = client.post("/r/new/photos/", {"draft": draft, "photo": upload("big.png", png_bytes())})
    assert response.status_code == 400 and "超过" in response.json()["error"]
    settings.GRIDGOV_CASE_PHOTO_MAX_BYTES = 5 * 1024 * 1024
    for index in range(9):
        assert (
            client.post(
                "/r/new/photos/", {"draft": draft, "photo": upload(f"{index}.png", png_bytes())}
            ).status_code
            == 201
        )
    response = client.post("/r/new/photos/", {"draft": draft, "photo": upload("10.png", png_bytes())})
    assert response.status_code == 400 and response.json()["error"] == "最多上传9张照片"
    stranger = client.__class__()
    response = stranger.post("/r/new/photos/", {"draft": draft, "photo": upload("x.png", png_bytes())})
    assert response.status_code == 404
    assert "data-photo=" not in client.get("/r/new/").content.decode()  # a new page is a new draft
    assert stranger.post(f"/r/new/photos/{draft}/00/remove/").status_code == 404


def test_sealed_at_rest(cw, client, settings):
    from pathlib import Path

    draft = _draft(client)
    client.post("/r/new/photos/", {"draft": draft, "photo": upload("a.png", png_bytes())})
    [stored] = list((Path(settings.DATA_DIR) / "report-drafts" / draft).iterdir())
    assert stored.read_bytes().startswith(b"GGS1") and b"PNG" not in stored.read_bytes()


def test_pinch_zoom_is_allowed(cw, client):
    assert "maximum-scale" not in client.get("/r/new/").content.decode()


# --- tracking and rating pages (defect 5), 我的 (defect 12) ------------------------------------------


def test_result_shows_once_and_photos_are_labelled(cw, submit, client):
    case = submit(photos=[upload("a.png", png_bytes())])
    case = case_accept_start(by=cw.alice, case=case)
    case_resolve(by=cw.alice, case=case, result="杂物已清运完毕", photos=[upload("b.png", png_bytes())])
    session = client.session
    session["gg_tracked"] = {case.tracking_code: "1234"}
    session.save()
    page = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert page.count("杂物已清运完毕") == 1
    assert "您提交的照片" in page and "处置后" in page


def test_rating_copy_after_rating(cw, submit, client):
    case = case_accept_start(by=cw.alice, case=submit())
    case_resolve(by=cw.alice, case=case, result="已处理")
    session = client.session
    session["gg_tracked"] = {case.tracking_code: "1234"}
    session.save()
    page = client.get(f"/r/t/{case.tracking_code}/rate/").content.decode()
    assert "1–2星为不满意：" not in page and "选1星或2星表示不满意" in page
    client.post(f"/r/t/{case.tracking_code}/rate/", {"rating": 4})
    page = client.get(f"/r/t/{case.tracking_code}/rate/").content.decode()
    assert "您已评价过（4星），感谢您的反馈。" in page and "已办结并评价" not in page


def test_me_is_its_own_page_with_its_tab_highlighted(cw, submit, client):
    submit(by=cw.erin, reporter_phone="")
    client.force_login(cw.erin)
    page = client.get("/me/").content.decode()
    assert re.search(r'href="/me/" class="active"', page)
    assert 'id="me-account"' in page and 'id="me-reports"' in page and 'id="logout"' in page
    staff = client.__class__()
    staff.force_login(cw.alice)
    page = staff.get("/me/").content.decode()
    assert "m-staff-tabbar" in page and ">待办<" in page and ">反映<" not in page


def test_the_patrol_page_has_the_staff_tab_bar(cw, client):
    client.force_login(cw.alice)
    page = client.get("/cases/patrol/").content.decode()
    assert "m-staff-tabbar" in page and ">巡查上报<" in page and "我要反映" not in page


def test_draft_uploads_are_bounded_per_address(cw, client, monkeypatch):
    from gridgov.cases import views_public

    monkeypatch.setattr(views_public, "DRAFT_UPLOADS_PER_HOUR", 2)
    draft = _draft(client)
    codes = [
        client.post("/r/new/photos/", {"draft": draft, "photo": upload(f"{i}.png", png_bytes())}).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
