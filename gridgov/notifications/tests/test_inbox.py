"""The notification centre and its API: each user reads and marks only their own notifications."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.notifications.models import Notification
from gridgov.notifications.services import notify


@pytest.fixture
def inbox(world):
    """alice: two unread, one read; bob: one unread."""
    first = notify(
        recipients=[world.alice], title="新事件：1栋楼道堆物", body="请今日处理", link="/cases/7/"
    )[0]
    second = notify(recipients=[world.alice], title="<b>督办</b>", body="第二行\n<script>x()</script>")[0]
    old = notify(recipients=[world.alice], title="已读的旧通知", body="")[0]
    Notification.objects.filter(pk=old.pk).update(read_at=old.created_at)
    bobs = notify(recipients=[world.bob], title="只给bob", body="")[0]
    return {"first": first, "second": second, "old": old, "bob": bobs}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- API ---------------------------------------------------------------------------------------


def test_api_lists_only_my_notifications(world, inbox):
    data = _client(world.alice).get("/api/v1/notifications").json()
    assert (data["count"], data["unread"]) == (3, 2)
    assert [item["title"] for item in data["items"]] == ["已读的旧通知", "<b>督办</b>", "新事件：1栋楼道堆物"]
    assert "只给bob" not in str(data)
    unread = _client(world.alice).get("/api/v1/notifications?unread=true&limit=1").json()
    assert unread["count"] == 2 and len(unread["items"]) == 1 and unread["items"][0]["is_read"] is False


def test_api_mark_one_read(world, inbox):
    client = _client(world.alice)
    response = client.post(f"/api/v1/notifications/{inbox['first'].pk}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True and response.json()["read_at"]
    first_read = response.json()["read_at"]
    # Marking again keeps the first reading time.
    assert client.post(f"/api/v1/notifications/{inbox['first'].pk}/read").json()["read_at"] == first_read
    assert client.get("/api/v1/notifications").json()["unread"] == 1


def test_api_cannot_touch_someone_elses(world, inbox):
    response = _client(world.bob).post(f"/api/v1/notifications/{inbox['first'].pk}/read")
    assert response.status_code == 404
    assert response.json()["detail"] == "记录不存在或无权访问"
    inbox["first"].refresh_from_db()
    assert inbox["first"].read_at is None
    # Superusers have no special door into other people's inboxes either.
    assert _client(world.admin).post(f"/api/v1/notifications/{inbox['first'].pk}/read").status_code == 404


def test_api_read_all_is_mine_only(world, inbox):
    response = _client(world.alice).post("/api/v1/notifications/read-all")
    assert response.json() == {"updated": 2, "unread": 0}
    inbox["bob"].refresh_from_db()
    assert inbox["bob"].read_at is None


@pytest.mark.parametrize(
    ("method", "url", "status", "field"),
    [
        ("get", "/api/v1/notifications?limit=0", 422, "limit"),
        ("get", "/api/v1/notifications?limit=500", 422, "limit"),
        ("get", "/api/v1/notifications?offset=-1", 422, "offset"),
        ("get", "/api/v1/notifications?unread=maybe", 422, "unread"),
        ("post", "/api/v1/notifications/abc/read", 400, "notification_id"),
    ],
)
def test_api_bad_input_names_the_field(world, inbox, method, url, status, field):
    response = getattr(_client(world.alice), method)(url)
    assert response.status_code == status
    body = response.json()
    # The wording belongs to the shared API error handler; the field and a Chinese reason are ours to check.
    assert body["errors"][0]["field"] == field
    assert body["detail"] == body["errors"][0]["message"] and not body["detail"].isascii()


@pytest.mark.parametrize("notification_id", ["999999999999999999999999", "0"])
def test_api_impossible_ids_are_not_found(world, inbox, notification_id):
    response = _client(world.alice).post(f"/api/v1/notifications/{notification_id}/read")
    assert response.status_code == 404 and response.json()["detail"] == "记录不存在或无权访问"


def test_api_requires_login(world, inbox):
    assert Client().get("/api/v1/notifications").status_code == 401
    assert Client().post(f"/api/v1/notifications/{inbox['first'].pk}/read").status_code == 401


# --- Pages -------------------------------------------------------------------------------------


def test_staff_inbox_page(world, inbox):
    page = _client(world.alice).get("/notifications/").content.decode()
    assert "通知中心" in page and 'class="sidebar"' in page  # the PC layout
    assert "新事件：1栋楼道堆物" in page and "已读的旧通知" in page and "只给bob" not in page
    assert '未读（<span id="notif-unread">2</span>）' in page
    # User text is escaped, never rendered as HTML.
    assert "&lt;b&gt;督办&lt;/b&gt;" in page and "<script>x()</script>" not in page
    unread_page = _client(world.alice).get("/notifications/?unread=1").content.decode()
    assert "已读的旧通知" not in unread_page and "新事件" in unread_page


def test_resident_gets_phone_layout(world):
    notify(recipients=[world.erin], title="您的诉求已受理", body="网格员将在24小时内联系您")
    page = _client(world.erin).get("/notifications/").content.decode()
    assert 'class="mobile"' in page and "我的消息" in page and "您的诉求已受理" in page


def test_open_marks_read_and_follows_link(world, inbox):
    client = _client(world.alice)
    response = client.get(f"/notifications/{inbox['first'].pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/cases/7/"
    inbox["first"].refresh_from_db()
    assert inbox["first"].read_at is not None
    # No link: back to the inbox.
    response = client.get(f"/notifications/{inbox['second'].pk}/open/")
    assert response["Location"] == "/notifications/"


def test_pages_hide_other_peoples_notifications(world, inbox):
    client = _client(world.bob)
    assert client.get(f"/notifications/{inbox['first'].pk}/open/").status_code == 404
    assert client.post(f"/notifications/{inbox['first'].pk}/read/").status_code == 404
    inbox["first"].refresh_from_db()
    assert inbox["first"].read_at is None


def test_mark_read_with_htmx_returns_the_row(world, inbox):
    response = _client(world.alice).post(f"/notifications/{inbox['first'].pk}/read/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "notifications-changed"
    assert f'id="notif-{inbox["first"].pk}"' in html and "已读" in html and "标为已读" not in html
    assert '<span id="notif-unread" hx-swap-oob="true">1</span>' in html


def test_mark_all_read_page(world, inbox):
    client = _client(world.alice)
    response = client.post("/notifications/read-all/", {"next": "/notifications/?unread=1"}, follow=True)
    assert response.redirect_chain[-1][0] == "/notifications/?unread=1"
    assert "已将2条通知标为已读" in response.content.decode()
    assert Notification.objects.filter(recipient=world.alice, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=world.bob, read_at__isnull=True).count() == 1
    # An off-site "next" is ignored.
    response = client.post("/notifications/read-all/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


def test_badge_snippet(world, inbox):
    html = _client(world.alice).get("/notifications/badge/").content.decode()
    assert 'id="notif-badge"' in html and 'aria-label="2条未读"' in html
    Notification.objects.filter(recipient=world.alice).update(read_at=inbox["first"].created_at)
    html = _client(world.alice).get("/notifications/badge/").content.decode()
    assert "条未读" not in html and "notif-count" not in html


def test_badge_include_renders_in_any_template(world, inbox, rf):
    from django.template import engines

    template = engines["django"].from_string('{% include "notifications/_badge.html" %}')
    request = rf.get("/")
    request.user = world.alice
    assert 'aria-label="2条未读"' in template.render({"user": world.alice}, request)
    request.user = world.bob
    assert 'aria-label="1条未读"' in template.render({"user": world.bob}, request)


def test_pages_require_login_and_right_methods(world, inbox):
    assert Client().get("/notifications/")["Location"].startswith("/accounts/login")
    client = _client(world.alice)
    assert client.get(f"/notifications/{inbox['first'].pk}/read/").status_code == 405
    assert client.get("/notifications/read-all/").status_code == 405
    assert client.get("/notifications/?page=abc").status_code == 200


@pytest.mark.parametrize("unread", [0, 1, 99, 100, 12345])
def test_badge_markup_is_the_old_templates(world, rf, unread):
    """The badge is drawn in Python (the workbench draws it on every load): the markup the old
    template (`reference/old_badge.html`) drew, for no, some and over 99 unread notices."""
    from pathlib import Path

    from django.template import engines

    from gridgov.notifications.templatetags.notifications_tags import badge_html

    old = engines["django"].from_string((Path(__file__).parent / "reference" / "old_badge.html").read_text())
    request = rf.get("/")
    request.user = world.alice
    expected = old.render({"user": world.alice, "unread_n": unread}, request).strip()
    assert badge_html(unread) == expected
    assert ("99+" in expected) == (unread > 99)


def test_badge_is_empty_for_nobody_signed_in(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.template import engines

    template = engines["django"].from_string('{% include "notifications/_badge.html" %}')
    request = rf.get("/")
    request.user = AnonymousUser()
    assert template.render({"user": request.user}, request).strip() == ""
