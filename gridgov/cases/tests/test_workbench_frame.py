"""The workbench's frame kept per user standing (core.frames): the page a kept frame gives is the
page the templates draw, and a change of name, capabilities, messages or tab shows at once."""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.shortcuts import render
from django.test import RequestFactory
from django.urls import reverse

from gridgov.accounts.models import Role, User
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import role_grant
from gridgov.core import frames

pytestmark = pytest.mark.django_db


def _tokens_out(page: str) -> str:
    # Each request masks its CSRF secret afresh and polls from its own moment: compared without.
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|data-since=")[^"]+', r"\1-", page)


def _request(user: User, path: str = "/cases/"):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_a_kept_frame_gives_the_page_the_templates_draw(cw):
    slots = {"panel": "<p>名单</p>", "badge": "", "alarm_since": "2026-12-02T08:00:00+08:00"}
    context = {"tab": "my", "can_intake": True, "alarm": {"url": "/cases/urgent/", "interval": 15.0}}
    pages = []
    for _ in range(3):  # the first draws the frame, the others fill the kept one
        request = _request(cw.alice)
        context["csrf_token"] = "tokenA1b2"
        key = frames.frame_key(request, "cases/staff/workbench.html", "my", True)
        pages.append(
            frames.render_framed(
                request, "cases/staff/workbench.html", context, key=key, slots=slots
            ).content.decode()
        )
    reference = render(_request(cw.alice), "cases/staff/workbench.html", {**context, **slots})
    assert pages[0] == pages[1] == pages[2] == reference.content.decode()
    assert "ggframe" not in pages[0]


def test_slots_are_escaped_as_the_template_would(cw):
    request = _request(cw.alice)
    context = {"tab": "my", "can_intake": False, "alarm": {"url": "/u/", "interval": 15.0}}
    slots = {"panel": "", "badge": "", "alarm_since": '"><script>'}
    for _ in range(2):
        page = frames.render_framed(
            request,
            "cases/staff/workbench.html",
            context,
            key=frames.frame_key(request, "cases/staff/workbench.html", "my", False),
            slots=slots,
        ).content.decode()
        assert 'data-since="&quot;&gt;&lt;script&gt;"' in page and '<script>"' not in page


def test_the_workbench_page_is_the_same_from_a_kept_frame(client, cw, submit):
    submit(text="路灯坏了", place=cw.building1)
    client.force_login(cw.alice)
    first = client.get(reverse("cases:workbench")).text
    second = client.get(reverse("cases:workbench")).text
    assert len(frames._frames) == 1
    assert _tokens_out(first) == _tokens_out(second)
    assert "路灯坏了" in second and "退出" in second and "ggframe" not in second
    # One token on the page: the frame's and the list's are the same.
    assert len(set(re.findall(r'csrfmiddlewaretoken" value="([^"]+)"', second))) == 1


def test_a_new_name_or_capability_shows_on_the_next_request(client, cw):
    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench")).text
    assert 'class="who-name">alice<' in page and "账号与角色" not in page
    User.objects.filter(pk=cw.alice.pk).update(display_name="李网格")
    assert 'class="who-name">李网格<' in client.get(reverse("cases:workbench")).text
    role_grant(by=SYSTEM, user=cw.alice, role=Role.objects.get(code="community_worker"), place=cw.community)
    page = client.get(reverse("cases:workbench")).text
    assert 'class="who-name">李网格<' in page
    # A community worker dispatches: the 待分派 tab comes with the role.
    assert "?tab=dispatch" in page
    assert len(frames._frames) == 3


def test_unread_notices_and_the_alarm_time_are_filled_each_time(client, cw):
    from gridgov.notifications.services import notify

    client.force_login(cw.alice)
    page = client.get(reverse("cases:workbench")).text
    assert "notif-count" not in page
    since = re.search(r'data-since="([^"]+)"', page).group(1)
    notify(recipients=[cw.alice], title="新事件待受理", body="1栋：路灯", link="/cases/")
    page = client.get(reverse("cases:workbench")).text
    assert 'aria-label="1条未读"' in page
    assert re.search(r'data-since="([^"]+)"', page).group(1) > since


def test_a_message_is_shown_once_and_not_kept_in_the_frame(client, cw, monkeypatch):
    client.force_login(cw.alice)
    client.get(reverse("cases:workbench"))
    from gridgov.cases.views import workbench_page

    original = workbench_page.render_framed

    def with_a_message(request, *args, **kwargs):
        messages.success(request, "已交办给城管执法中队")
        return original(request, *args, **kwargs)

    monkeypatch.setattr(workbench_page, "render_framed", with_a_message)
    assert "已交办给城管执法中队" in client.get(reverse("cases:workbench")).text
    monkeypatch.setattr(workbench_page, "render_framed", original)
    assert "已交办给城管执法中队" not in client.get(reverse("cases:workbench")).text


def test_the_kept_frames_are_bounded(client, cw, settings):
    settings.GRIDGOV_FRAME_CACHE_SIZE = 2
    for user in (cw.alice, cw.bob, cw.carol):
        client.force_login(user)
        assert client.get(reverse("cases:workbench")).status_code == 200
    assert len(frames._frames) == 2
    client.force_login(cw.alice)  # its frame was the oldest, and dropped: drawn again
    assert 'class="who-name">alice<' in client.get(reverse("cases:workbench")).text
