"""Telling the reporter: the text message to the phone left with a report (on submission and on
the outcome), in-app notices to residents with accounts, and the signed one-tap tracking link.

The link carries a signature over the tracking code and the last four digits of the reporter's
phone, with its signing time: it opens the tracking page without typing the code for
TRACK_LINK_DAYS days. Opening one goes through the same per-code failure counter as typed codes
(see tracking.py): a forged or expired link counts as a failed guess, and a locked code refuses
even a good link.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core import signing
from django.urls import reverse

from gridgov.cases import selectors
from gridgov.cases.models import Case, TrackingGuard
from gridgov.cases.services._common import reporters_of
from gridgov.cases.services.tracking import (
    TrackingLocked,
    TrackingRefused,
    _code_key,
    _count_failure,
    _ip_key,
    _locked_for,
)
from gridgov.core import clock

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor

TRACK_LINK_SALT = "gridgov.cases.track-link"
TRACK_LINK_DAYS = 90
TOKEN_MAX = 80


def _signed_value(case: Case) -> str:
    return f"{case.tracking_code}.{case.reporter_phone_last4}"


def track_link_token(case: Case) -> str:
    """The `k` of a one-tap link for `case` (only meaningful when the reporter left a phone)."""
    signed = signing.TimestampSigner(salt=TRACK_LINK_SALT).sign(_signed_value(case))
    return signed[len(_signed_value(case)) + 1 :]


def track_link(case: Case, *, rate: bool = False) -> str:
    """Site-relative one-tap link to the tracking page (or the rating page) of `case`."""
    name = "report:rate" if rate else "report:track"
    return f"{reverse(name, args=[case.tracking_code])}?k={track_link_token(case)}"


def _link_valid(case: Case | None, token: str) -> bool:
    if case is None or len(case.reporter_phone_last4) != 4:
        return False
    try:
        signing.TimestampSigner(salt=TRACK_LINK_SALT).unsign(
            f"{_signed_value(case)}:{token}", max_age=dt.timedelta(days=TRACK_LINK_DAYS)
        )
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return False
    return True


def case_track_link_proof(*, code: str, token: str, ip: str = "") -> Case:
    """The case a one-tap link opens. Raises TrackingRefused for a bad or expired link (counted
    like a wrong guess) and TrackingLocked while the code or `ip` is locked.

    Call it outside any transaction that the refusal rolls back, or the count is lost."""
    from django.conf import settings

    key = selectors.normalize_tracking_code(code)
    token = (token or "").strip()
    if not key or len(key) > 12 or not token or len(token) > TOKEN_MAX:
        raise TrackingRefused()
    keys = [_code_key(key)]
    if ip and settings.GRIDGOV_TRACK_IP_MAX_FAILURES > 0:
        keys.append(_ip_key(ip))
    now = clock.now()
    retry_after = _locked_for(keys, now)
    if retry_after:
        raise TrackingLocked(retry_after)
    case = selectors.case_with_tracking_code(key)
    if _link_valid(case, token):
        assert case is not None
        TrackingGuard.objects.filter(key=keys[0], failures__gt=0).update(failures=0)
        return case
    for guarded in keys:
        _count_failure(guarded, now)
    raise TrackingRefused()


# --- telling the reporter -----------------------------------------------------------------------


def _phones(cases: list[Case]) -> list[tuple[str, str]]:
    return list(
        dict.fromkeys((c.reporter_phone_enc, c.reporter_phone_last4) for c in cases if c.reporter_phone_enc)
    )


def reach_words(case: Case, *, by: Actor) -> str:
    """What staff are told about how the reporter (and merged reporters) hear of an outcome:
    the same people `tell_reporter` writes to (nobody is told what they did themselves)."""
    cases = [case, *Case.objects.filter(merged_into=case)]
    texted = bool(_phones(cases))
    accounts = any(u.pk != getattr(by, "pk", None) for c in cases for u in reporters_of(c))
    if texted and accounts:
        return "已短信和站内通知反映人"
    if texted:
        return "已短信通知反映人"
    if accounts:
        return "已站内通知反映人"
    return "反映人未留手机号，未能通知"


def tell_reporter(
    case: Case,
    *,
    by: Actor,
    title: str,
    body: str,
    kind: str,
    sms: bool,
    rate: bool = False,
    also: list[Case] | None = None,
) -> None:
    """In-app notice to the reporters with accounts (linking the resident tracking page) and, when
    `sms`, a text with a one-tap link to each phone left with `case` and the cases in `also`."""
    from gridgov.notifications.services import notify

    cases = [case, *(also or [])]
    users: dict[int, User] = {}
    for item in cases:
        for user in reporters_of(item):
            if user.pk and user.pk != getattr(by, "pk", None):
                users.setdefault(user.pk, user)
    name = "report:rate" if rate else "report:track"
    if users:
        notify(
            recipients=list(users.values()),
            title=title,
            body=body,
            link=reverse(name, args=[case.tracking_code]),
            kind=kind,
        )
    if not sms:
        return
    for item in cases:
        phones = _phones([item])
        if phones:
            notify(
                recipients=[],
                title=title,
                body=body,
                link=track_link(item, rate=rate),
                kind=kind,
                channels=(),
                phones=phones,
            )


def tell_reporter_received(case: Case, *, by: Actor) -> None:
    """On submission from a resident page: a text with the tracking code and a one-tap link."""
    tell_reporter(
        case,
        by=by,
        title="您的反映已收到",
        body=f"查询码{case.tracking_code}，点击链接查看办理进度",
        kind="case.received",
        sms=True,
    )
