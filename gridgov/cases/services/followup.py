"""After resolution: the reporter's rating (with one reopening) and the audited phone reveal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from gridgov.accounts.scope import require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases import policy, rollups
from gridgov.cases.models import (
    Case,
    EventKind,
    State,
)
from gridgov.core import clock, crypto
from gridgov.core.errors import field_error

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor


from gridgov.cases.services._common import (
    REASON_MAX,
    _audit,
    _event,
    _lock,
    _notify,
    _snippet,
    _text,
    level_handlers,
    supervisors_above,
)
from gridgov.cases.services.escalation import _climb, _move_level
from gridgov.cases.services.tracking import case_track_proof


def _reporter_or_code(by: Actor, case: Case, phone_last4: str, ip: str = "") -> None:
    """The reporter, or someone proving the code's digits through the shared failure counter."""
    if policy.is_reporter(by, case):
        return
    case_track_proof(by=by, code=case.tracking_code, phone_last4=phone_last4, ip=ip)


def case_rate(
    *,
    by: Actor,
    case: Case,
    rating: int | str,
    comment: str = "",
    phone_last4: str = "",
    ip: str = "",
) -> Case:
    """回访评价 by the reporter or whoever proves the code's digits (counted, see tracking.py).
    1–2 (不满意) reopens the case once, one rung up, to someone who did not dispatch it."""
    require_actor(by)  # the public rates as AnonymousUser, proven by the digits below
    phone_last4 = (phone_last4 or "").strip()
    # Outside the transaction: a refused proof raises, and its count must survive the rollback.
    _reporter_or_code(by, case, phone_last4, ip)
    return _rate(by=by, case=case, rating=rating, comment=comment, phone_last4=phone_last4)


@transaction.atomic
def _rate(*, by: Actor, case: Case, rating: int | str, comment: str, phone_last4: str) -> Case:
    case = _lock(case)
    policy.check("rate", by, case, phone_last4=phone_last4)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise field_error("rating", "评价须为1到5分") from None
    if not 1 <= rating <= 5:
        raise field_error("rating", "评价须为1到5分")
    comment = _text(comment, "comment", "评价意见", required=False, max_length=REASON_MAX)
    now = clock.now()
    case.rating, case.rating_comment, case.rated_at = rating, comment, now
    _event_note = f"{rating}分{'：' + comment if comment else ''}"
    if rating <= 2 and case.reopen_count == 0:
        old_place = case.level_place
        excluded = [pk for pk in (case.dispatcher_id, case.handler_user_id) if pk]
        from_level = case.level
        climb = _climb(case)
        if climb is not None:
            level, level_place, org_id = climb
        else:
            level, level_place, org_id = case.level, case.level_place, None
        _move_level(case, level=level, level_place=level_place, organisation_id=org_id, now=now)
        case.reopen_count += 1
        case.excluded_reviewers = excluded
        case.resolved_at = None
        case.save()
        rollups.record(case)
        _event(
            case, by=by, kind=EventKind.RATED, at=now, note=_event_note, public=True, public_note=_event_note
        )
        _event(
            case,
            by=by,
            kind=EventKind.REOPENED,
            at=now,
            from_state=State.RESOLVED,
            from_level=from_level,
            note=comment,
            public=True,
            public_note="您不满意，已转上级重新办理",
        )
        _audit(
            case,
            by=by,
            event=EventKind.REOPENED,
            changes={"rating": [None, rating], "state": [State.RESOLVED, State.NEW]},
        )
        _notify(
            [*supervisors_above(old_place), *level_handlers(case)],
            by=by,
            case=case,
            title="群众不满意，事件重办",
            body=f"{_snippet(case)}：{_event_note}",
            kind="case.reopened",
        )
        return case
    case.state = State.CLOSED
    case.closed_at = now
    case.save()
    rollups.record(case)
    _event(
        case,
        by=by,
        kind=EventKind.RATED,
        at=now,
        from_state=State.RESOLVED,
        note=_event_note,
        public=True,
        public_note=_event_note,
    )
    _audit(
        case,
        by=by,
        event=EventKind.RATED,
        changes={"rating": [None, rating], "state": [State.RESOLVED, State.CLOSED]},
    )
    if rating <= 2:
        _notify(
            [case.handler_user, *supervisors_above(case.level_place)],
            by=by,
            case=case,
            title="重办后群众仍不满意",
            body=f"{_snippet(case)}：{_event_note}",
            kind="case.unsatisfied",
        )
    return case


@transaction.atomic
def case_reveal_reporter_phone(*, by: User, case: Case, purpose: str) -> str:
    """The reporter's full phone number, for a call-back; every reveal is audited."""
    case = Case.objects.get(pk=case.pk)
    policy.check("reveal_reporter", by, case)
    purpose = _text(purpose, "purpose", "查看原因", max_length=200)
    audit_record(
        actor=by,
        action=AuditAction.VIEW_PII,
        target=case,
        target_label=f"事件{case.tracking_code}反映人",
        place_path=case.place_path,
        purpose=purpose,
    )
    return crypto.decrypt(case.reporter_phone_enc)


@transaction.atomic
def case_urge(*, by: User, case: Case, note: str = "") -> Case:
    """催办: a reminder on the timeline, sent to whoever holds the case and their nearest superior."""
    case = _lock(case)
    policy.check("urge", by, case)
    note = _text(note, "note", "催办说明", required=False, max_length=REASON_MAX)
    # Whoever has it in hand: its handler, its organisation's staff, or its level's staff.
    holders = level_handlers(case)
    org = case.handler_org
    names = "、".join(str(u) for u in holders[:3]) or (org.name if org is not None else "")
    _event(case, by=by, kind=EventKind.URGED, note=f"催办{names}{'：' + note if note else ''}")
    _audit(case, by=by, event=EventKind.URGED, changes={"urged": [None, names]})
    _notify(
        [*holders, *supervisors_above(case.level_place)],
        by=by,
        case=case,
        title=f"催办：{case.tracking_code}",
        body=f"{_snippet(case)}{'（' + note + '）' if note else ''}",
        kind="case.urged",
    )
    return case
