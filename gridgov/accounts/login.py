"""Password logins: failure counters that say nothing about which accounts exist.

Every password login (the login page, the admin's login, any future path) goes through
`backends.PhoneOrUsernameBackend`, which calls these. Failures are counted in the database
(`LoginGuard`), so every process counts together:

- per pair (account, or unknown login name) × client address: `GRIDGOV_LOGIN_MAX_FAILURES`
  failures within `GRIDGOV_LOGIN_LOCK_MINUTES` block that pair for as long. Someone guessing
  from elsewhere blocks only themselves, never the real user at their own desk;
- per client address over every name: `GRIDGOV_LOGIN_IP_MAX_FAILURES` failures within
  `GRIDGOV_LOGIN_IP_LOCK_MINUTES` block the address for as long (0 turns this off, for a
  reverse proxy that hides client addresses).

An unknown login name is counted, blocked and answered exactly like a real account, and the
password hasher runs once on every attempt, blocked or not, so neither the message nor the
time tells a real account from an unknown one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from gridgov.accounts.models import LoginGuard
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core import clock, crypto
from gridgov.core.validation import normalize_phone

if TYPE_CHECKING:
    from gridgov.accounts.models import User

PAIR = "pair"
ADDRESS = "ip"


def _identity(login: str, user: User | None) -> str:
    if user is not None:
        return f"user:{user.pk}"
    login = (login or "").strip()
    try:
        # "137 0000 1111" and "13700001111" are one name, as they are for a real account.
        return f"name:{normalize_phone(login)}"
    except ValidationError:
        return f"name:{login}"


def _pair_key(login: str, user: User | None, ip: str | None) -> str:
    return "pair:" + crypto.blind_index(f"{_identity(login, user)}|{ip or ''}", kind="login-pair")


def _ip_key(ip: str) -> str:
    return "ip:" + crypto.blind_index(ip, kind="login-ip")


def _keys(login: str, user: User | None, ip: str | None) -> dict[str, str]:
    keys = {PAIR: _pair_key(login, user, ip)}
    if ip and settings.GRIDGOV_LOGIN_IP_MAX_FAILURES > 0:
        keys[ADDRESS] = _ip_key(ip)
    return keys


def _policy(kind: str) -> tuple[int, dt.timedelta]:
    if kind == ADDRESS:
        return settings.GRIDGOV_LOGIN_IP_MAX_FAILURES, dt.timedelta(minutes=settings.GRIDGOV_LOGIN_IP_LOCK_MINUTES)
    return settings.GRIDGOV_LOGIN_MAX_FAILURES, dt.timedelta(minutes=settings.GRIDGOV_LOGIN_LOCK_MINUTES)


def burn_password_hash(password: str) -> None:
    """Spend what checking a password costs, for attempts that check none (unknown or blocked)."""
    make_password(password)


def login_blocked(*, login: str, user: User | None, ip: str | None) -> str | None:
    """PAIR or ADDRESS when this attempt is blocked now (the address first), else None.

    Precondition: `user` is whoever `login` names, or None for an unknown name."""
    keys = _keys(login, user, ip)
    now = clock.now()
    locked = set(
        LoginGuard.objects.filter(key__in=keys.values(), locked_until__gt=now).values_list("key", flat=True)
    )
    for kind in (ADDRESS, PAIR):
        if keys.get(kind) in locked:
            return kind
    return None


def _count(key: str, kind: str, now: dt.datetime) -> bool:
    """One failure against `key`; True when this one reached the limit and locked it.

    Conditional UPDATEs with F(), so two processes never lose a count."""
    limit, period = _policy(kind)
    rows = LoginGuard.objects.filter(key=key)
    rows.filter(window_start__lt=now - period).update(failures=0, window_start=now)
    if not rows.update(failures=F("failures") + 1):
        try:
            with transaction.atomic():
                LoginGuard.objects.create(key=key, failures=1, window_start=now)
        except IntegrityError:  # another process created it first
            rows.update(failures=F("failures") + 1)
    locking = rows.filter(failures__gte=limit).filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    return bool(locking.update(locked_until=now + period, failures=0, window_start=now))


@transaction.atomic
def login_failed(*, login: str, user: User | None, ip: str | None) -> str | None:
    """Count a wrong password (or an unknown name) and audit it; PAIR or ADDRESS when this
    failure blocked the pair or the address, else None.

    Precondition: the attempt was not blocked (`login_blocked` said None)."""
    now = clock.now()
    blocked = None
    for kind, key in _keys(login, user, ip).items():
        if _count(key, kind, now) and blocked != ADDRESS:
            blocked = kind
    # The typed name is not recorded: people type passwords into the name field.
    target: dict[str, Any] = (
        {"target": user} if user is not None else {"target_type": "accounts.user", "target_label": "未知账号"}
    )
    actor = user if user is not None else AnonymousUser()
    audit_record(actor=actor, action=AuditAction.LOGIN_FAILED, ip=ip, **target)
    if blocked is not None:
        audit_record(
            actor=actor,
            action=AuditAction.LOCKED,
            ip=ip,
            changes={"锁定": [None, "本账号从该地址" if blocked == PAIR else "该地址的所有登录"]},
            **target,
        )
    return blocked


@transaction.atomic
def login_succeeded(*, login: str, user: User, ip: str | None) -> None:
    """Clear the pair's mistyped passwords and audit the login; the address keeps its count,
    so logging into one's own account between guesses resets nothing for a sprayer."""
    LoginGuard.objects.filter(key=_pair_key(login, user, ip), failures__gt=0).update(failures=0)
    audit_record(actor=user, action=AuditAction.LOGIN, target=user, ip=ip)


def blocked_minutes(kind: str) -> int:
    """How long a block of this kind lasts, for the message."""
    return int(_policy(kind)[1].total_seconds() // 60)


KEEP_IDLE = dt.timedelta(days=7)


def login_guard_prune(*, now: dt.datetime | None = None) -> int:
    """Drop counters idle for a week (no failure and no block in that time); a live block stays."""
    now = now or clock.now()
    before = now - KEEP_IDLE
    deleted, _ = (
        LoginGuard.objects.filter(window_start__lt=before)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=before))
        .delete()
    )
    return deleted
