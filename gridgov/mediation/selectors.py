"""Every read of mediation records, scoped: mediation staff of the place, or assigned mediators.
Every view of one record is audited by `dispute_view`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import holds_within, is_unrestricted, place_q, scope_q
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core.areas import split_by_children
from gridgov.core.errors import NotFound
from gridgov.mediation.models import (
    AGREEMENT_OUTCOMES,
    Dispute,
    DisputeType,
    Exclusion,
    FollowUp,
    Mediator,
    Status,
)

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.places.models import Place


def disputes_for(user: Actor) -> QuerySet[Dispute]:
    if is_unrestricted(user):
        return Dispute.objects.all()
    condition = scope_q(user, caps.MEDIATION_HANDLE, "place__path")
    pk = getattr(user, "pk", None)
    if pk:
        condition |= Q(
            pk__in=Dispute.objects.filter(
                assignments__active=True, assignments__mediator__user_id=int(pk)
            ).values("pk")
        )
    return Dispute.objects.filter(condition)


def dispute_list(user: Actor, *, dispute_type: str = "", status: str = "") -> QuerySet[Dispute]:
    qs = disputes_for(user).select_related("place")
    if dispute_type:
        qs = qs.filter(dispute_type=dispute_type)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-urgent", "-received_on", "-id")


def dispute_for(user: Actor, dispute_id: int) -> Dispute:
    """The dispute if `user` may see it (NotFound alike otherwise); no audit row (see dispute_view)."""
    found = disputes_for(user).select_related("place").filter(pk=dispute_id).first()
    if found is None:
        raise NotFound()
    return found


def dispute_view(
    user: Actor, dispute_id: int, *, ip: str | None = None, purpose: str = "查看调解记录"
) -> Dispute:
    """`dispute_for`, and the view written to the audit log (mediation records are sensitive)."""
    dispute = dispute_for(user, dispute_id)
    audit_record(
        actor=user,
        action=AuditAction.VIEW_PII,
        target=dispute,
        target_label=f"调解案件：{dispute.title}",
        place_path=dispute.place.path,
        purpose=purpose,
        ip=ip,
    )
    return dispute


def mediators_for(user: Actor) -> QuerySet[Mediator]:
    return Mediator.objects.filter(scope_q(user, caps.MEDIATION_HANDLE, "place__path"))


def mediator_for(user: Actor, mediator_id: int) -> Mediator:
    found = mediators_for(user).filter(pk=mediator_id).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class Proposal:
    mediator: Mediator
    score: int
    reasons: list[str]


def proposals_for(dispute: Dispute) -> list[Proposal]:
    """Available mediators serving the dispute's place (or registered above it), excluded ones
    left out, specialists in its type first."""
    excluded = set(Exclusion.objects.filter(dispute=dispute).values_list("mediator_id", flat=True))
    assigned = set(dispute.assignments.filter(active=True).values_list("mediator_id", flat=True))
    ancestors = dispute.place.ancestor_paths()
    candidates = (
        Mediator.objects.filter(available=True)
        .filter(Q(serves__path__in=ancestors) | Q(place__path__in=ancestors))
        .exclude(pk__in=excluded | assigned)
        .distinct()
        .prefetch_related("serves")
    )
    proposals = []
    for mediator in candidates:
        reasons, score = [], 0
        if dispute.dispute_type in (mediator.specialities or []):
            score += 2
            reasons.append(f"擅长{dispute.get_dispute_type_display()}")
        if any(place.path in ancestors for place in mediator.serves.all()):
            score += 1
            reasons.append("服务本片区")
        proposals.append(Proposal(mediator=mediator, score=score, reasons=reasons))
    return sorted(proposals, key=lambda p: (-p.score, p.mediator.name))


@dataclass
class MonthFigures:
    month: str
    by_type: dict[str, int]
    received: int
    resolved: int
    success_rate: float
    average_days: float
    followups_kept: int
    followups_done: int


def figures(user: Actor, *, months: int = 12) -> list[MonthFigures]:
    """Per month of receipt: received (by type), resolved, success rate, average days to close,
    agreements kept at follow-up; aggregates only, no record is opened."""
    qs = disputes_for(user)
    rows: dict[str, MonthFigures] = {}
    for received_on, dtype, status, outcome, closed_on in qs.values_list(
        "received_on", "dispute_type", "status", "outcome", "closed_on"
    ):
        key = received_on.strftime("%Y-%m")
        figure = rows.setdefault(
            key, MonthFigures(key, {label: 0 for _, label in DisputeType.choices}, 0, 0, 0.0, 0.0, 0, 0)
        )
        figure.by_type[DisputeType(dtype).label] += 1
        figure.received += 1
        if status == Status.CLOSED:
            figure.resolved += 1
            figure.success_rate += outcome in AGREEMENT_OUTCOMES
            figure.average_days += ((closed_on or received_on) - received_on).days
    for key, kept, done in (
        FollowUp.objects.filter(dispute__in=qs.values("pk"), done_on__isnull=False)
        .values_list("dispute__received_on")
        .annotate(kept=Count("id", filter=Q(kept=True)), done=Count("id"))
    ):
        month = key.strftime("%Y-%m")
        if month in rows:
            rows[month].followups_kept += kept
            rows[month].followups_done += done
    for figure in rows.values():
        if figure.resolved:
            figure.success_rate = round(100 * figure.success_rate / figure.resolved, 1)
            figure.average_days = round(figure.average_days / figure.resolved, 1)
    return [rows[key] for key in sorted(rows, reverse=True)[:months]]


def followups_due(user: Actor, today: dt.date) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(
        dispute__in=disputes_for(user).values("pk"), done_on__isnull=True, due_on__lte=today
    ).select_related("dispute")


@dataclass
class DisputeFigures:
    """Disputes received in a period and where they stand now: 成功 (an agreement, in full or in
    part), 未成功 (closed without one: failed, or sent on to court, arbitration or petition) and
    进行中 (not closed yet)."""

    opened: int = 0
    success: int = 0
    failed: int = 0
    ongoing: int = 0

    @property
    def success_rate(self) -> float | None:
        closed = self.success + self.failed
        return round(self.success / closed, 3) if closed else None


@dataclass
class AreaDisputeFigures:
    total: DisputeFigures
    children: dict[int, DisputeFigures]


def dispute_figures(
    *,
    user: Actor,
    place: Place,
    since: dt.datetime,
    until: dt.datetime,
    children: Sequence[Place] = (),
) -> AreaDisputeFigures | None:
    """`DisputeFigures` for disputes at `place` or below within the user's mediation.handle
    scope (assigned mediators see their records, not area figures), in total and per child;
    None when that scope holds nothing of `place`. Counts only: no record is opened, nothing
    is audited. One grouped query."""
    if not holds_within(user, caps.MEDIATION_HANDLE, place):
        return None
    first = timezone.localdate(since)
    last = timezone.localdate(until - dt.timedelta(microseconds=1))
    closed = Q(status=Status.CLOSED)
    split = split_by_children(
        Dispute.objects.filter(
            scope_q(user, caps.MEDIATION_HANDLE, "place__path"),
            place_q(place, "place__path"),
            received_on__gte=first,
            received_on__lte=last,
        ),
        "place__path",
        place,
        children,
        opened=Count("pk"),
        success=Count("pk", filter=closed & Q(outcome__in=AGREEMENT_OUTCOMES)),
        failed=Count("pk", filter=closed & ~Q(outcome__in=AGREEMENT_OUTCOMES)),
        ongoing=Count("pk", filter=~closed),
    )
    return AreaDisputeFigures(
        total=DisputeFigures(**split.total),
        children={pk: DisputeFigures(**row) for pk, row in split.children.items()},
    )
