"""Moving a case up the ladder: 上报, 吹哨 and 报到, 督办."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.scope import as_user, is_system
from gridgov.cases import policy, rollups
from gridgov.cases.models import (
    Case,
    CaseCall,
    EventKind,
    Level,
    State,
)
from gridgov.cases.routing import due_times, level_rank, next_level, route
from gridgov.core import clock
from gridgov.core.errors import Forbidden, field_error
from gridgov.orgs.models import Organisation
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User


from gridgov.cases.services._common import (
    REASON_MAX,
    CaseConflict,
    _audit,
    _event,
    _lock,
    _notify,
    _snippet,
    _text,
    level_handlers,
    org_staff,
    supervisors_above,
)
from gridgov.cases.services.dispatch import _check_org


def _move_level(
    case: Case, *, level: str, level_place: Place, organisation_id: int | None, now: dt.datetime
) -> None:
    case.level, case.level_place, case.level_path = level, level_place, level_place.path
    case.handler_user = None
    case.handler_org_id = organisation_id
    case.state = State.NEW
    case.needs_dispatch = False
    case.sla_flagged_at = None
    effective = case.subcategory or case.category
    case.due_accept_at, case.due_resolve_at = due_times(effective, case.priority, now)


def _climb(case: Case, organisation: Organisation | None = None) -> tuple[str, Place, int | None] | None:
    """The next rung above the case's level, its owner place and organisation; None at the top."""
    target = next_level(case.level)
    if target is None:
        return None
    effective = case.subcategory or case.category
    routed = route(effective, case.place, level=target)
    org_id = organisation.pk if organisation is not None else routed.organisation_id
    if routed.level == Level.DEPARTMENT and not org_id:
        return None
    if level_rank(routed.level) <= level_rank(case.level):
        return None
    return routed.level, routed.level_place, org_id


@transaction.atomic
def case_escalate(*, by: User, case: Case, reason: str, organisation: Organisation | None = None) -> Case:
    """上报: send the case one rung up the ladder by hand."""
    case = _lock(case)
    policy.check("escalate", by, case)
    reason = _text(reason, "reason", "上报原因", max_length=REASON_MAX)
    if organisation is not None:
        _check_org(by, organisation, "organisation")
    climb = _climb(case, organisation)
    if climb is None:
        if case.level == Level.STREET:
            raise field_error("organisation", "街道上报到部门须选择承办部门，或使用“吹哨”呼叫部门")
        raise CaseConflict("已是最高层级，不能再上报")
    now = clock.now()
    from_state, from_level, old_place = case.state, case.level, case.level_place
    level, level_place, org_id = climb
    _move_level(case, level=level, level_place=level_place, organisation_id=org_id, now=now)
    case.save()
    rollups.record(case)
    _event(
        case,
        by=by,
        kind=EventKind.ESCALATED,
        at=now,
        from_state=from_state,
        from_level=from_level,
        note=reason,
        public=True,
        public_note=f"已上报{Level(level).label}处理",
    )
    _audit(case, by=by, event=EventKind.ESCALATED, changes={"level": [from_level, level]})
    _notify(
        [*level_handlers(case), *supervisors_above(old_place)],
        by=by,
        case=case,
        title=f"事件上报至{level_place.name}{Level(level).label}",
        body=f"{_snippet(case)}（{reason}）",
        kind="case.escalated",
    )
    return case


@transaction.atomic
def case_whistle(
    *,
    by: User,
    case: Case,
    organisations: Sequence[Organisation],
    deadline: dt.datetime,
    note: str = "",
) -> list[CaseCall]:
    """吹哨: the community or street calls one or several departments in; each must report."""
    case = _lock(case)
    policy.check("whistle", by, case)
    organisations = list(dict.fromkeys(organisations))
    if not organisations:
        raise field_error("organisations", "请选择要呼叫的部门")
    now = clock.now()
    if deadline is None or deadline <= now:
        raise field_error("deadline", "报到期限须晚于当前时间")
    note = _text(note, "note", "呼叫说明", required=False, max_length=REASON_MAX)
    already = set(CaseCall.objects.filter(case=case).values_list("organisation_id", flat=True))
    for organisation in organisations:
        _check_org(by, organisation, "organisations")
        if organisation.pk in already:
            raise field_error("organisations", f"已呼叫过{organisation.name}")
    calls = [
        CaseCall.objects.create(
            case=case, organisation=organisation, called_by=as_user(by), called_at=now, deadline=deadline, note=note
        )
        for organisation in organisations
    ]
    names = "、".join(o.name for o in organisations)
    _event(
        case,
        by=by,
        kind=EventKind.WHISTLE,
        at=now,
        note=f"呼叫{names}协同处置{'：' + note if note else ''}",
        public=True,
        public_note=f"呼叫{names}协同处置",
    )
    _audit(case, by=by, event=EventKind.WHISTLE, changes={"called": [None, names]})
    local_deadline = timezone.localtime(deadline)
    for organisation in organisations:
        _notify(
            org_staff(organisation.pk),
            by=by,
            case=case,
            title=f"吹哨报到：请于{local_deadline:%m月%d日 %H:%M}前报到",
            body=f"{case.place.name}：{_snippet(case)}{'（' + note + '）' if note else ''}",
            kind="case.whistle",
        )
    return calls


@transaction.atomic
def case_call_report(*, by: User, call: CaseCall, note: str) -> CaseCall:
    """报到: a called department reports what it did."""
    call = (
        CaseCall.objects.select_for_update(of=("self",))
        .select_related("case", "organisation")
        .get(pk=call.pk)
    )
    case = _lock(call.case_id)
    policy.check("call_report", by, case)
    if not is_system(by) and policy.org_handles(by) != call.organisation_id:
        raise Forbidden(f"只有{call.organisation.name}可以报到")
    if call.reported_at is not None:
        raise CaseConflict(
            f"{call.organisation.name}已于{timezone.localtime(call.reported_at):%m-%d %H:%M}报到"
        )
    note = _text(note, "note", "报到情况")
    now = clock.now()
    call.reported_at, call.reported_by, call.report_note = now, as_user(by), note
    call.save()
    late = "（逾期）" if now > call.deadline else ""
    _event(
        case,
        by=by,
        kind=EventKind.CALL_REPORT,
        at=now,
        note=f"{call.organisation.name}已报到{late}：{note}",
        public=True,
        public_note=f"{call.organisation.name}已报到{late}",
    )
    _audit(case, by=by, event=EventKind.CALL_REPORT, changes={"reported": [None, call.organisation.name]})
    _notify(
        [call.called_by, case.handler_user],
        by=by,
        case=case,
        title=f"{call.organisation.name}已报到{late}",
        body=note[:80],
        kind="case.call_report",
    )
    return call


@transaction.atomic
def case_supervise(*, by: User, case: Case, note: str) -> Case:
    """督办: a superior flags the case and tells its handlers."""
    case = _lock(case)
    policy.check("supervise", by, case)
    note = _text(note, "note", "督办意见", max_length=REASON_MAX)
    case.supervised = True
    case.supervised_at = clock.now()
    case.save()
    rollups.record(case)
    _event(case, by=by, kind=EventKind.SUPERVISED, note=note)
    _audit(case, by=by, event=EventKind.SUPERVISED, changes={"supervised": [False, True]})
    _notify(
        level_handlers(case),
        by=by,
        case=case,
        title="事件督办",
        body=f"{_snippet(case)}：{note}",
        kind="case.supervised",
    )
    return case
