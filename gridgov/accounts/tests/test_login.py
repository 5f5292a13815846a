from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import user_create
from gridgov.audit.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_with_username_and_with_phone(client):
    user_create(by=SYSTEM, username="wang", password="Grid-pass-2026", phone="13700001111", validate=False)
    assert _login(client, "wang", "Grid-pass-2026").status_code == 302
    client.logout()
    response = _login(client, "137 0000 1111", "Grid-pass-2026")
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("core:home")


def test_wrong_password_message_is_chinese_and_audited(client):
    user = user_create(by=SYSTEM, username="wang", password="Grid-pass-2026", validate=False)
    response = _login(client, "wang", "nope")
    assert "用户名/手机号或密码错误" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, target_id=str(user.pk)).count() == 1


def test_account_locks_after_repeated_failures_even_for_the_right_password(client, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 3
    user = user_create(by=SYSTEM, username="wang", password="Grid-pass-2026", validate=False)
    for _ in range(3):
        _login(client, "wang", "wrong")
    response = _login(client, "wang", "Grid-pass-2026")
    assert response.status_code == 200
    # Blocked from this address only (see test_login_guard for the pair and the address).
    assert "登录失败次数过多，请15分钟后再试" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.LOCKED, target_id=str(user.pk)).exists()


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client):
    response = _login(client, "nobody", "whatever")
    assert "用户名/手机号或密码错误" in response.content.decode()


def test_pages_require_login(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:login"))


def test_weak_password_is_refused_when_creating_a_user():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        user_create(by=SYSTEM, username="weak", password="123")
    assert "password" in caught.value.message_dict


def test_a_session_is_read_in_one_query_and_ends_when_it_expires_or_is_logged_out(client):
    """Sessions are Django's database sessions read by a compiled query (accounts.sessions):
    the signed-in page opens with one read of the session row, an expired row or a logged-out
    session sends the user to the login page as Django's own store would."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user_create(by=SYSTEM, username="wang", password="Grid-pass-2026", validate=False)
    assert _login(client, "wang", "Grid-pass-2026").status_code == 302
    home = reverse("core:home")
    assert client.get(home).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(home).status_code == 200
    session_reads = [
        q for q in captured.captured_queries if "django_session" in q["sql"] or "live_session" in q["sql"]
    ]
    assert len(session_reads) == 1

    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert client.get(home).status_code == 302  # expired: signed out

    assert _login(client, "wang", "Grid-pass-2026").status_code == 302
    assert client.get(home).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(home).status_code == 302
