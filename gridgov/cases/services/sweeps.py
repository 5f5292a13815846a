"""The periodic sweeps (tasks and `gridgov cases_sweep`): SLA escalation and auto-close."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Q

from gridgov.accounts.scope import SYSTEM
from gridgov.cases import rollups
from gridgov.cases.models import (
    Case,
    EventKind,
    Level,
    State,
)
from gridgov.core import clock

if TYPE_CHECKING:
    pass


from gridgov.cases.services._common import (
    _audit,
    _event,
    _notify,
    _snippet,
    level_handlers,
    org_staff,
    supervisors_above,
)
from gridgov.cases.services.escalation import _climb, _move_level


@dataclass
class SweepResult:
    escalated: int = 0
    flagged: int = 0


def overdue_q(now: dt.datetime) -> Q:
    return Q(state=State.NEW, due_accept_at__lt=now) | Q(
        state__in=(State.ACCEPTED, State.IN_PROGRESS), due_resolve_at__lt=now
    )


def is_overdue_at(case: Case, now: dt.datetime) -> bool:
    if case.state == State.NEW:
        return bool(case.due_accept_at and case.due_accept_at < now)
    if case.state in (State.ACCEPTED, State.IN_PROGRESS):
        return bool(case.due_resolve_at and case.due_resolve_at < now)
    return False


def _lock_skipping(pk: int) -> Case | None:
    qs = Case.objects.filter(pk=pk).select_related(
        "category", "subcategory", "place", "level_place", "handler_user"
    )
    if connection.features.has_select_for_update_skip_locked:
        # Another worker holds it: it is handling this case right now, leave it to them.
        return qs.select_for_update(skip_locked=True, of=("self",)).first()
    return qs.select_for_update(of=("self",)).first()


def sla_sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> SweepResult:
    """Escalate every overdue case by one rung; at the top, flag it 督办 once.

    Each case is handled in its own short transaction under a row lock and re-checked after
    locking, so concurrent sweeps (several workers, cron overlap) never escalate a case twice:
    escalation resets the due times, and the flag excludes a case from the next run.
    """
    now = now or clock.now()
    result = SweepResult()
    candidates = list(
        Case.objects.filter(overdue_q(now), sla_flagged_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in candidates:
        with transaction.atomic():
            case = _lock_skipping(pk)
            if case is None or case.sla_flagged_at is not None:
                continue
            if not is_overdue_at(case, now):
                continue
            kind = "受理" if case.state == State.NEW else "办结"
            old_place, old_handler, old_org = case.level_place, case.handler_user, case.handler_org_id
            climb = _climb(case)
            if climb is None:
                case.supervised = True
                case.supervised_at = case.supervised_at or now
                case.sla_flagged_at = now
                case.was_overdue = True
                case.save()
                rollups.record(case)
                _event(
                    case,
                    by=SYSTEM,
                    kind=EventKind.OVERDUE,
                    at=now,
                    note=f"超过{kind}时限，已是最高层级，列入督办",
                )
                _audit(case, by=SYSTEM, event=EventKind.OVERDUE, changes={"supervised": [False, True]})
                _notify(
                    [*level_handlers(case), *supervisors_above(case.level_place)],
                    by=SYSTEM,
                    case=case,
                    title=f"事件超过{kind}时限（督办）",
                    body=_snippet(case),
                    kind="case.overdue",
                )
                result.flagged += 1
                continue
            from_state, from_level = case.state, case.level
            level, level_place, org_id = climb
            _move_level(case, level=level, level_place=level_place, organisation_id=org_id, now=now)
            case.was_overdue = True
            case.supervised = True
            case.supervised_at = now
            case.save()
            rollups.record(case)
            _event(
                case,
                by=SYSTEM,
                kind=EventKind.AUTO_ESCALATED,
                at=now,
                from_state=from_state,
                from_level=from_level,
                note=f"超过{kind}时限，自动上报至{level_place.name}{Level(level).label}",
                public=True,
                public_note=f"超过{kind}时限，自动上报至{level_place.name}{Level(level).label}",
            )
            _audit(case, by=SYSTEM, event=EventKind.AUTO_ESCALATED, changes={"level": [from_level, level]})
            _notify(
                level_handlers(case),
                by=SYSTEM,
                case=case,
                title=f"超时事件转至{level_place.name}{Level(level).label}，请受理",
                body=_snippet(case),
                kind="case.escalated",
            )
            old_side = supervisors_above(old_place) + ([old_handler] if old_handler else [])
            if old_org:
                old_side += org_staff(old_org)
            _notify(
                old_side,
                by=SYSTEM,
                case=case,
                title=f"事件超过{kind}时限，已自动上报（督办）",
                body=_snippet(case),
                kind="case.overdue",
            )
            result.escalated += 1
    return result


def cases_close_unrated(*, days: int = 7, now: dt.datetime | None = None) -> int:
    """Close cases resolved `days` ago that the reporter never rated."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=days)
    closed = 0
    for pk in Case.objects.filter(state=State.RESOLVED, resolved_at__lt=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            case = _lock_skipping(pk)
            if (
                case is None
                or case.state != State.RESOLVED
                or not case.resolved_at
                or case.resolved_at >= cutoff
            ):
                continue
            case.state = State.CLOSED
            case.closed_at = now
            case.save()
            rollups.record(case)
            _event(
                case,
                by=SYSTEM,
                kind=EventKind.CLOSED,
                at=now,
                from_state=State.RESOLVED,
                note=f"办结后{days}天未评价，自动关闭",
                public=True,
                public_note="已关闭",
            )
            _audit(case, by=SYSTEM, event=EventKind.CLOSED, changes={"state": [State.RESOLVED, State.CLOSED]})
            closed += 1
    return closed
