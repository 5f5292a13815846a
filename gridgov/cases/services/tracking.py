"""Proving a tracking code (查询码 + the last four digits of the reporter's phone).

The one check behind every public path that takes a code and digits: the lookup form and the
tracking, photo and rating pages, and `GET/POST /api/v1/cases/track/…`. Failures are counted
per code (and per client address) in the database, so every process and every path counts
together; after `GRIDGOV_TRACK_MAX_FAILURES` failures within `GRIDGOV_TRACK_WINDOW_MINUTES` the
code is locked, and while it is locked even the right digits are refused. An unknown code is
counted and locked like a real one and every refusal reads the same, so the answers tell
nothing about which codes exist.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypeGuard

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils.crypto import constant_time_compare

from gridgov.cases import policy, selectors
from gridgov.cases.models import Case, TrackingGuard
from gridgov.cases.services._common import RateLimited
from gridgov.core import clock
from gridgov.core.errors import NotFound

if TYPE_CHECKING:
    from gridgov.accounts.models import User

TRACK_REFUSED = "查询码或手机号后四位不正确，或尝试次数过多，请稍后再试"
# Each lock of the same key lasts twice as long as the one before, up to this: five guesses
# per lock would otherwise still walk the 10,000 possible digits in a few weeks.
LOCK_CAP = dt.timedelta(hours=24)
# Rows idle this long are pruned (an attacker who waits that long starts over, slowly).
KEEP_IDLE = dt.timedelta(days=7)


class TrackingRefused(NotFound):
    """Wrong digits, an unknown code or no digits at all: the same answer for all three."""

    def __init__(self) -> None:
        super().__init__(TRACK_REFUSED)


class TrackingLocked(RateLimited):
    """Too many failures for this code (or from this address): refused even with the right digits."""

    def __init__(self, retry_after: int) -> None:
        self.limit = 0
        self.retry_after = retry_after
        Exception.__init__(self, TRACK_REFUSED)


def _code_key(code: str) -> str:
    return f"code:{code}"


def _ip_key(ip: str) -> str:
    return f"ip:{ip[:60]}"


def _limits(key: str) -> int:
    if key.startswith("ip:"):
        return settings.GRIDGOV_TRACK_IP_MAX_FAILURES
    return settings.GRIDGOV_TRACK_MAX_FAILURES


def _locked_for(keys: list[str], now: dt.datetime) -> int:
    """Seconds until the last of `keys` is unlocked; 0 if none is locked now."""
    until = TrackingGuard.objects.filter(key__in=keys, locked_until__gt=now).aggregate(
        until=Max("locked_until")
    )["until"]
    return max(1, int((until - now).total_seconds()) + 1) if until else 0


def _count_failure(key: str, now: dt.datetime) -> None:
    """One failure against `key`; locks it when the window's limit is reached.

    Conditional UPDATEs with F(), so concurrent processes never lose a count: the window is
    restarted by whichever process first sees it expired, the others only add to it.
    """
    limit = _limits(key)
    window = dt.timedelta(minutes=settings.GRIDGOV_TRACK_WINDOW_MINUTES)
    lock = dt.timedelta(minutes=settings.GRIDGOV_TRACK_LOCK_MINUTES)
    with transaction.atomic():
        rows = TrackingGuard.objects.filter(key=key)
        rows.filter(window_start__lt=now - window).update(failures=0, window_start=now)
        if not rows.update(failures=F("failures") + 1):
            try:
                with transaction.atomic():
                    TrackingGuard.objects.create(key=key, failures=1, window_start=now)
            except IntegrityError:  # another process created it first
                rows.update(failures=F("failures") + 1)
        guard = rows.select_for_update().filter(failures__gte=limit).first()
        if guard is None or (guard.locked_until and guard.locked_until > now):
            return
        period = min(lock * (2 ** min(guard.locks, 16)), LOCK_CAP)
        rows.update(locked_until=now + period, locks=F("locks") + 1, failures=0, window_start=now)


def _proven(case: Case | None, phone_last4: str) -> TypeGuard[Case]:
    if case is None or len(phone_last4) != 4 or len(case.reporter_phone_last4) != 4:
        return False
    return constant_time_compare(phone_last4, case.reporter_phone_last4)


def case_track_proof(*, by: User | Any | None, code: str, phone_last4: str = "", ip: str = "") -> Case:
    """The case behind `code` for its logged-in reporter, or for whoever gives the right last four
    digits while neither the code nor `ip` is locked. Raises TrackingRefused (404) or
    TrackingLocked (429), both with TRACK_REFUSED; a wrong guess is counted before raising.

    Call it outside any transaction that the refusal rolls back, or the count is lost."""
    key = selectors.normalize_tracking_code(code)
    if not key or len(key) > 12:
        raise TrackingRefused()
    case = selectors.case_with_tracking_code(key)
    user = by if by is not None and getattr(by, "is_authenticated", False) else None
    if case is not None and user is not None and policy.is_reporter(user, case):
        # The owner needs no digits, so a stranger's guessing cannot lock her out.
        return case
    digits = (phone_last4 or "").strip()
    keys = [_code_key(key)]
    if ip and settings.GRIDGOV_TRACK_IP_MAX_FAILURES > 0:
        keys.append(_ip_key(ip))
    now = clock.now()
    retry_after = _locked_for(keys, now)
    if retry_after:
        raise TrackingLocked(retry_after)
    if _proven(case, digits):
        # Mistyped digits before the right ones no longer count; the lock history stays.
        TrackingGuard.objects.filter(key=keys[0], failures__gt=0).update(failures=0)
        return case
    if not digits:
        raise TrackingRefused()  # nothing was guessed: nothing to count
    for guarded in keys:
        _count_failure(guarded, now)
    # The failure that reaches the limit answers like any other; the lock shows from the next.
    raise TrackingRefused()


def tracking_guard_prune(*, now: dt.datetime | None = None) -> int:
    """Drop counters idle for a week (neither a failure nor a lock in that time)."""
    now = now or clock.now()
    before = now - KEEP_IDLE
    deleted, _ = (
        TrackingGuard.objects.filter(window_start__lt=before)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=before))
        .delete()
    )
    return deleted
