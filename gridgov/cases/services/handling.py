"""Handling a case in hand: accept, start, record, resolve, reject, merge, return."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction

from gridgov.cases import policy, rollups
from gridgov.cases.models import (
    OPEN_STATES,
    AttachmentKind,
    Case,
    CaseEvent,
    EventKind,
    State,
)
from gridgov.cases.photos import clean_photos
from gridgov.core import clock
from gridgov.core.errors import field_error

if TYPE_CHECKING:
    from gridgov.accounts.models import User


from gridgov.cases.services._common import (
    REASON_MAX,
    _attach,
    _audit,
    _event,
    _lock,
    _notify,
    _snippet,
    _text,
    dispatchers_for,
    reporters_of,
)
from gridgov.cases.services.reporter import tell_reporter


@transaction.atomic
def case_accept(*, by: User, case: Case) -> Case:
    """受理. Two people may press the button at once: the row lock lets exactly one win."""
    case = _lock(case)
    policy.check("accept", by, case)
    now = clock.now()
    case.state = State.ACCEPTED
    case.handler_user = by
    case.accepted_at = now
    if case.accept_seconds is None:
        case.accept_seconds = max(int((now - case.created_at).total_seconds()), 0)
    if case.due_accept_at and now > case.due_accept_at:
        case.was_overdue = True
    case.needs_dispatch = False
    case.sla_flagged_at = None
    confirmed = _confirm_category(case)
    case.save()
    rollups.record(case)
    _event(
        case, by=by, kind=EventKind.ACCEPTED, from_state=State.NEW, public=True, public_note="工作人员已受理"
    )
    _audit(case, by=by, event=EventKind.ACCEPTED, changes={"state": [State.NEW, State.ACCEPTED], **confirmed})
    tell_reporter(
        case, by=by, title="您反映的问题已受理", body=_snippet(case), kind="case.accepted", sms=False
    )
    return case


def _confirm_category(case: Case) -> dict[str, list[object]]:
    """Acting on a case accepts the category it carries (staff change it with 确认分类 first), so
    a handled case never stays "尚未确认". Returns the audit change, if any."""
    if case.category_confirmed:
        return {}
    case.category_confirmed = True
    return {"category_confirmed": [False, True]}


@transaction.atomic
def case_accept_start(*, by: User, case: Case, note: str = "") -> Case:
    """受理并处置 in one step (the phone's one button): both checks, both timeline rows."""
    policy.check("accept_start", by, case)
    case = case_accept(by=by, case=case)
    return case_start(by=by, case=case, note=note)


@transaction.atomic
def case_start(*, by: User, case: Case, note: str = "") -> Case:
    case = _lock(case)
    policy.check("start", by, case)
    note = _text(note, "note", "说明", required=False)
    case.state = State.IN_PROGRESS
    case.save()
    rollups.record(case)
    _event(
        case,
        by=by,
        kind=EventKind.STARTED,
        from_state=State.ACCEPTED,
        note=note,
        public=True,
        public_note="正在处置",
    )
    confirmed = _confirm_category(case)
    if confirmed:
        case.save(update_fields=["category_confirmed", "updated_at"])
    _audit(
        case,
        by=by,
        event=EventKind.STARTED,
        changes={"state": [State.ACCEPTED, State.IN_PROGRESS], **confirmed},
    )
    return case


@transaction.atomic
def case_note(
    *,
    by: User,
    case: Case,
    note: str = "",
    photos: Iterable[Any] = (),
    photo_kind: str = AttachmentKind.BEFORE,
    public: bool = False,
) -> CaseEvent:
    """处置记录: what was done, with before/after photos; public notes reach the reporter."""
    case = _lock(case)
    policy.check("note", by, case)
    if photo_kind not in AttachmentKind.values:
        raise field_error("photo_kind", "照片类型无效")
    cleaned = clean_photos(photos)
    note = _text(note, "note", "处置记录", required=not cleaned)
    # Staff ticked "public": the note itself is written for the reporter.
    event = _event(case, by=by, kind=EventKind.NOTE, note=note, public=public, public_note=note)
    _attach(
        case,
        cleaned,
        by=by,
        kind=photo_kind,
        event=event,
        public=public or photo_kind == AttachmentKind.AFTER,
    )
    _audit(case, by=by, event=EventKind.NOTE, changes={"photos": [None, len(cleaned)]} if cleaned else None)
    return event


@transaction.atomic
def case_resolve(*, by: User, case: Case, result: str, photos: Iterable[Any] = ()) -> Case:
    """办结, with the result text the reporter (and every merged reporter) will read."""
    case = _lock(case)
    policy.check("resolve", by, case)
    result = _text(result, "result", "办理结果")
    cleaned = clean_photos(photos)
    now = clock.now()
    from_state = case.state
    case.state = State.RESOLVED
    case.result = result
    case.resolved_at = now
    case.resolve_seconds = max(int((now - case.created_at).total_seconds()), 0)
    if case.due_resolve_at and now > case.due_resolve_at:
        case.was_overdue = True
    confirmed = _confirm_category(case)
    case.save()
    rollups.record(case)
    event = _event(
        case,
        by=by,
        kind=EventKind.RESOLVED,
        from_state=from_state,
        note=result,
        public=True,
        public_note=result,
    )
    _attach(case, cleaned, by=by, kind=AttachmentKind.AFTER, event=event)
    _audit(
        case, by=by, event=EventKind.RESOLVED, changes={"state": [from_state, State.RESOLVED], **confirmed}
    )
    merged_cases = list(Case.objects.filter(merged_into=case).select_related("reporter_user"))
    for merged in merged_cases:
        merged.result = result
        merged.resolved_at = now
        merged.save(update_fields=["result", "resolved_at", "updated_at"])
        _event(merged, by=by, kind=EventKind.OUTCOME, note=result, public=True, public_note=result)
    # The text carries the result and a one-tap link to the rating page (see services.reporter).
    tell_reporter(
        case,
        by=by,
        title="您反映的问题已办结",
        body=f"{_sentence(result[:80])}请点击链接评价",
        kind="case.resolved",
        sms=True,
        rate=True,
        also=merged_cases,
    )
    return case


def _sentence(text: str) -> str:
    """The text closed by one full stop: a result typed with its own 。 or ！ gets no second one."""
    text = text.strip()
    return text if text.endswith(("。", "！", "？", ".", "!", "?")) else f"{text}。"


@transaction.atomic
def case_reject(*, by: User, case: Case, reason: str) -> Case:
    """不予受理, with a reason the reporter reads."""
    case = _lock(case)
    policy.check("reject", by, case)
    reason = _text(reason, "reason", "不予受理的原因", max_length=REASON_MAX)
    case.state = State.REJECTED
    case.reject_reason = reason
    case.closed_at = clock.now()
    confirmed = _confirm_category(case)
    case.save()
    rollups.record(case)
    _event(
        case,
        by=by,
        kind=EventKind.REJECTED,
        from_state=State.NEW,
        note=reason,
        public=True,
        public_note=reason,
    )
    _audit(case, by=by, event=EventKind.REJECTED, changes={"state": [State.NEW, State.REJECTED], **confirmed})
    tell_reporter(case, by=by, title="您反映的问题不予受理", body=reason, kind="case.rejected", sms=True)
    return case


@transaction.atomic
def case_merge(*, by: User, case: Case, into: Case, note: str = "") -> Case:
    """Merge a duplicate into another open case; its reporter will get that case's outcome."""
    if case.pk == into.pk:
        raise field_error("into", "不能合并到自身")
    # Lock both in id order so two opposite merges cannot deadlock.
    first, second = sorted([case.pk, into.pk])
    locked = {first: _lock(first), second: _lock(second)}
    case, into = locked[case.pk], locked[into.pk]
    policy.check("merge", by, case)
    if not policy.is_staff_viewer(by, into):
        raise field_error("into", "目标事件不存在或无权访问")
    if into.state not in OPEN_STATES:
        raise field_error("into", f"目标事件{into.get_state_display()}，只能合并到未办结的事件")
    note = _text(note, "note", "说明", required=False)
    from_state = case.state
    case.state = State.MERGED
    case.merged_into = into
    case.closed_at = clock.now()
    case.save()
    rollups.record(case)
    Case.objects.filter(merged_into=case).update(merged_into=into)
    _event(
        case,
        by=by,
        kind=EventKind.MERGED,
        from_state=from_state,
        note=f"与{into.tracking_code}合并处理{'；' + note if note else ''}",
        public=True,
        public_note=f"与{into.tracking_code}合并处理",
    )
    _event(into, by=by, kind=EventKind.MERGED_IN, note=f"并入{case.tracking_code}")
    _audit(
        case,
        by=by,
        event=EventKind.MERGED,
        changes={"state": [from_state, State.MERGED], "merged_into": [None, into.tracking_code]},
    )
    _notify(
        reporters_of(case),
        by=by,
        case=case,
        title="您反映的问题已与同类问题合并处理",
        body=_snippet(into),
        kind="case.merged",
    )
    return case


@transaction.atomic
def case_return(*, by: User, case: Case, reason: str) -> Case:
    """退回: the handler hands the case back to its dispatcher (wrong level, not theirs …)."""
    case = _lock(case)
    policy.check("return", by, case)
    reason = _text(reason, "reason", "退回原因", max_length=REASON_MAX)
    from_state = case.state
    case.state = State.NEW
    case.handler_user = None
    case.handler_org = None
    case.needs_dispatch = True
    case.save()
    rollups.record(case)
    _event(case, by=by, kind=EventKind.RETURNED, from_state=from_state, note=reason)
    _audit(case, by=by, event=EventKind.RETURNED, changes={"state": [from_state, State.NEW]})
    _notify(
        dispatchers_for(case),
        by=by,
        case=case,
        title="事件被退回，请重新交办",
        body=f"{_snippet(case)}（{reason}）",
        kind="case.returned",
    )
    return case
