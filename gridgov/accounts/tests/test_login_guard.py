"""Finding 6b: logins tell nothing about which accounts exist, and nobody can lock anyone out.

Failures count per (account or unknown name, client address) and per address, in the database,
for every login path; an unknown name is answered and timed exactly like a real account."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import user_create

pytestmark = pytest.mark.django_db

PASSWORD = "Grid-pass-2026"
ATTACKER = "10.9.9.9"
OFFICE = "10.1.1.1"


class CountingHasher(MD5PasswordHasher):
    """MD5 that counts (and, when asked, slows down) every hash it computes."""

    algorithm = "counting"
    calls = 0
    delay = 0.0

    def _work(self) -> None:
        CountingHasher.calls += 1
        time.sleep(CountingHasher.delay)

    def encode(self, password, salt):
        self._work()
        return self._md5(password, salt)

    def _md5(self, password, salt):
        return super().encode(password, salt).replace("md5$", "counting$", 1)

    def verify(self, password, encoded):
        # MD5's own verify calls encode(); one check is one unit of work.
        self._work()
        _algorithm, salt, _hash = encoded.split("$", 2)
        return self._md5(password, salt) == encoded


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = ["gridgov.accounts.tests.test_login_guard.CountingHasher"]
    CountingHasher.calls, CountingHasher.delay = 0, 0.0
    yield CountingHasher
    CountingHasher.calls, CountingHasher.delay = 0, 0.0


@pytest.fixture
def wang(db):
    return user_create(by=SYSTEM, username="wang", password=PASSWORD, phone="13700001111", validate=False)


def _login(username: str, password: str, ip: str = OFFICE, path: str | None = None):
    return Client(REMOTE_ADDR=ip).post(
        path or reverse("accounts:login"), {"username": username, "password": password}
    )


def _page(response) -> str:
    """The page without what differs on every response (CSRF token, CSP nonce)."""
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": "|nonce=")[^"]*"', r"\1", response.content.decode())


def test_the_lock_reads_the_same_for_a_real_account_and_an_unknown_name(wang, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 3
    answers = {}
    for name in ("wang", "nobody-here"):
        for _ in range(3):
            _login(name, "wrong", ATTACKER)
        answers[name] = _login(name, "wrong", ATTACKER)
    assert answers["wang"].status_code == answers["nobody-here"].status_code == 200
    assert "登录失败次数过多，请15分钟后再试" in answers["wang"].content.decode()
    assert _page(answers["wang"]).replace("wang", "NAME") == _page(answers["nobody-here"]).replace(
        "nobody-here", "NAME"
    )


def test_a_stranger_elsewhere_cannot_lock_the_real_user_out(wang, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 3
    for _ in range(5):
        _login("wang", "guess", ATTACKER)
    # The stranger's pair is blocked, even with the right password ...
    assert _login("wang", PASSWORD, ATTACKER).status_code == 200
    # ... and Wang at his own desk logs in as ever.
    assert _login("wang", PASSWORD, OFFICE).status_code == 302


def test_the_address_limit_stops_password_spraying(wang, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 3
    settings.GRIDGOV_LOGIN_IP_MAX_FAILURES = 4
    for name in ("li", "zhao", "qian", "sun"):
        _login(name, "123456", ATTACKER)
    refused = _login("wang", PASSWORD, ATTACKER)
    assert refused.status_code == 200 and "本网络登录失败次数过多" in refused.content.decode()
    assert _login("wang", PASSWORD, OFFICE).status_code == 302


def test_logging_into_ones_own_account_does_not_reset_the_address_count(wang, settings):
    settings.GRIDGOV_LOGIN_IP_MAX_FAILURES = 3
    _login("li", "x", ATTACKER)
    _login("zhao", "x", ATTACKER)
    assert _login("wang", PASSWORD, ATTACKER).status_code == 302
    _login("qian", "x", ATTACKER)
    assert "本网络登录失败次数过多" in _login("wang", PASSWORD, ATTACKER).content.decode()


def test_the_address_limit_can_be_turned_off_behind_a_proxy(wang, settings):
    settings.GRIDGOV_LOGIN_IP_MAX_FAILURES = 0
    for name in ("li", "zhao", "qian", "sun", "zhou"):
        _login(name, "x", ATTACKER)
    assert _login("wang", PASSWORD, ATTACKER).status_code == 302


def test_the_admin_login_counts_with_the_login_page(wang, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _login("wang", "wrong", ATTACKER, path="/admin/login/")
    assert "登录失败次数过多" in _login("wang", PASSWORD, ATTACKER).content.decode()


def test_phone_and_username_share_the_real_accounts_count(wang, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 3
    _login("wang", "wrong", ATTACKER)
    _login("137 0000 1111", "wrong", ATTACKER)
    _login("13700001111", "wrong", ATTACKER)
    assert "登录失败次数过多" in _login("wang", PASSWORD, ATTACKER).content.decode()


def test_a_right_password_clears_the_pairs_mistakes(wang, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 3
    _login("wang", "wrong")
    _login("wang", "wrong")
    assert _login("wang", PASSWORD).status_code == 302
    _login("wang", "wrong")
    _login("wang", "wrong")
    assert _login("wang", PASSWORD).status_code == 302


def test_every_attempt_runs_the_hasher_once_known_unknown_or_blocked(counting, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 2
    user_create(by=SYSTEM, username="wang", password=PASSWORD, validate=False)
    for name in ("wang", "nobody-here", "wang", "nobody-here", "wang", "nobody-here"):
        counting.calls = 0
        _login(name, "wrong", ATTACKER)
        assert counting.calls == 1, name  # the 5th and 6th are blocked: still one hash each


def test_idle_counters_are_pruned_and_live_blocks_kept(db):
    import datetime as dt

    from django.utils import timezone

    from gridgov.accounts.login import login_guard_prune
    from gridgov.accounts.models import LoginGuard

    now = timezone.now()
    LoginGuard.objects.create(key="idle", failures=2, window_start=now - dt.timedelta(days=8))
    LoginGuard.objects.create(key="recent", failures=2, window_start=now - dt.timedelta(days=1))
    LoginGuard.objects.create(
        key="blocked", failures=0, window_start=now - dt.timedelta(days=8), locked_until=now + dt.timedelta(minutes=5)
    )
    assert login_guard_prune(now=now) == 1
    assert set(LoginGuard.objects.values_list("key", flat=True)) == {"recent", "blocked"}
