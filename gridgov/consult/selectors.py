"""Every read of consultations, scoped to the acting user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import holds_within, is_unrestricted, paths_with, place_q, subtree_q
from gridgov.consult.models import (
    BallotKind,
    Comment,
    Consultation,
    OpenVote,
    Option,
    Participation,
    PassRule,
    RollEntry,
    SecretBallot,
    Stage,
    VoteUnit,
)
from gridgov.core.areas import split_by_children
from gridgov.core.errors import NotFound

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.people.models import Resident
    from gridgov.places.models import Place


def _resident_of(user: Actor) -> Resident | None:
    return getattr(user, "resident", None) if getattr(user, "resident_id", None) else None


def consultations_for(user: Actor) -> QuerySet[Consultation]:
    """Staff: consultations of places in their consult scope. Residents: those (past the draft)
    whose participating places hold their home."""
    if is_unrestricted(user):
        return Consultation.objects.all()
    roots = sorted({*paths_with(user, caps.CONSULT_VIEW), *paths_with(user, caps.CONSULT_MANAGE)})
    condition = subtree_q(roots, "place__path") if roots else Q(pk__in=[])
    resident = _resident_of(user)
    if resident is not None and resident.place is not None:
        ancestors = resident.place.ancestor_paths()
        own = Consultation.objects.filter(places__path__in=ancestors).exclude(stage=Stage.DRAFT).values("pk")
        condition |= Q(pk__in=own)
    return Consultation.objects.filter(condition)


def consultation_list(user: Actor, *, stage: str = "") -> QuerySet[Consultation]:
    qs = (
        consultations_for(user).select_related("place").annotate(voted=Count("participations", distinct=True))
    )
    if stage:
        qs = qs.filter(stage=stage)
    return qs.order_by("-created_at", "-id")


def consultation_for(user: Actor, consultation_id: int) -> Consultation:
    """The consultation if `user` may see it; NotFound alike when missing or out of scope."""
    found = consultations_for(user).select_related("place").filter(pk=consultation_id).first()
    if found is None:
        raise NotFound()
    return found


def comments_of(consultation: Consultation) -> QuerySet[Comment]:
    return consultation.comments.select_related("author").order_by(
        "-is_proposal", "-supporters", "created_at"
    )


def options_of(consultation: Consultation) -> list[Option]:
    return list(consultation.options.all())


def entry_for_voter(consultation: Consultation, resident: Resident) -> RollEntry | None:
    """The roll entry `resident` votes on: their own (per person) or their household's."""
    qs = RollEntry.objects.filter(consultation=consultation).select_related("participation")
    if consultation.unit == VoteUnit.PERSON:
        return qs.filter(resident=resident).first()
    household_ids = resident.memberships.filter(moved_out__isnull=True).values("household_id")
    return qs.filter(household_id__in=household_ids, resident__isnull=True).first()


def my_vote(consultation: Consultation, resident: Resident) -> tuple[RollEntry | None, Participation | None]:
    entry = entry_for_voter(consultation, resident)
    if entry is None:
        return None, None
    return entry, Participation.objects.filter(entry=entry).first()


@dataclass
class BuildingTurnout:
    name: str
    eligible: int
    voted: int

    @property
    def percent(self) -> float:
        return round(100 * self.voted / self.eligible, 1) if self.eligible else 0.0


@dataclass
class Results:
    consultation: Consultation
    eligible: int
    voted: int
    counts: list[tuple[Option, int]]
    buildings: list[BuildingTurnout]
    eligible_area: Decimal | None
    voted_area: Decimal | None
    approve_area: Decimal | None
    approve_count: int
    passed: bool | None
    reasons: list[str] = field(default_factory=list)
    receipts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def turnout(self) -> float:
        return round(100 * self.voted / self.eligible, 1) if self.eligible else 0.0


def _ratio_ok(part: Decimal | int, whole: Decimal | int, numerator: int, denominator: int) -> bool:
    # Integer arithmetic: "two thirds or more" must not wobble on a float.
    return bool(whole) and part * denominator >= whole * numerator


def results_of(consultation: Consultation) -> Results:
    """Counts, turnout by building and the pass verdict; secret ballots add the receipt list."""
    options = options_of(consultation)
    roll = RollEntry.objects.filter(consultation=consultation)
    eligible = roll.count()
    voted_entries = roll.filter(participation__isnull=False)
    voted = voted_entries.count()
    tally: dict[int, int] = {option.pk: 0 for option in options}
    receipts: list[tuple[str, str]] = []
    labels = {option.pk: option.label for option in options}
    approve_ids = {option.pk for option in options if option.is_approve}
    approve_count = 0
    approve_area: Decimal | None = None
    areas_known = not consultation.secret and not roll.filter(area_sqm__isnull=True).exists() and eligible > 0
    if consultation.secret:
        for receipt_hash, chosen in SecretBallot.objects.filter(consultation=consultation).values_list(
            "receipt_hash", "choices"
        ):
            for option_id in chosen:
                if option_id in tally:
                    tally[option_id] += 1
            approve_count += bool(approve_ids & set(chosen))
            receipts.append((receipt_hash, "、".join(labels.get(i, "?") for i in chosen) or "弃权"))
    else:
        approve_area = Decimal(0)
        for chosen, area in OpenVote.objects.filter(consultation=consultation).values_list(
            "choices", "participation__entry__area_sqm"
        ):
            for option_id in chosen:
                if option_id in tally:
                    tally[option_id] += 1
            if approve_ids & set(chosen):
                approve_count += 1
                approve_area += area or 0
    buildings = [
        BuildingTurnout(name=row["building__name"], eligible=row["n"], voted=row["v"])
        for row in roll.values("building__name", "building__path")
        .annotate(n=Count("id"), v=Count("participation"))
        .order_by("building__path")
    ]
    eligible_area = voted_area = None
    if areas_known:
        eligible_area = sum(
            (area or Decimal(0) for area in roll.values_list("area_sqm", flat=True)), Decimal(0)
        )
        voted_area = sum(
            (area or Decimal(0) for area in voted_entries.values_list("area_sqm", flat=True)), Decimal(0)
        )
    else:
        approve_area = None
    result = Results(
        consultation=consultation,
        eligible=eligible,
        voted=voted,
        counts=[(option, tally[option.pk]) for option in options],
        buildings=buildings,
        eligible_area=eligible_area,
        voted_area=voted_area,
        approve_area=approve_area,
        approve_count=approve_count,
        passed=None,
        receipts=sorted(receipts),
    )
    if consultation.ballot_kind == BallotKind.APPROVE:
        result.passed, result.reasons = _verdict(consultation, result)
    return result


def _verdict(consultation: Consultation, r: Results) -> tuple[bool, list[str]]:
    reasons: list[str] = []
    if consultation.pass_rule == PassRule.SIMPLE:
        if not _ratio_ok(r.voted, r.eligible, consultation.quorum_percent, 100):
            reasons.append(f"参与率{r.turnout}%，未达到{consultation.quorum_percent}%")
        if not (r.voted and r.approve_count * 2 > r.voted):
            reasons.append("同意票未过半")
        return not reasons, reasons
    need = (3, 4) if consultation.pass_rule == PassRule.CIVIL_MAJOR else None
    if not _ratio_ok(r.voted, r.eligible, 2, 3):
        reasons.append("参与表决人数不足总户(人)数的三分之二")
    if r.eligible_area is None or r.voted_area is None or r.approve_area is None:
        reasons.append("未登记全部专有部分面积，无法按面积计票")
    elif not _ratio_ok(r.voted_area, r.eligible_area, 2, 3):
        reasons.append("参与表决的专有部分面积不足总面积的三分之二")
    if need:
        if not _ratio_ok(r.approve_count, r.voted, *need):
            reasons.append("同意人数未达到参与表决人数的四分之三")
        if (
            r.approve_area is not None
            and r.voted_area is not None
            and not _ratio_ok(r.approve_area, r.voted_area, *need)
        ):
            reasons.append("同意面积未达到参与表决面积的四分之三")
    else:
        if not (r.voted and r.approve_count * 2 > r.voted):
            reasons.append("同意人数未过参与表决人数的半数")
        if (
            r.approve_area is not None
            and r.voted_area is not None
            and not (r.approve_area * 2 > r.voted_area)
        ):
            reasons.append("同意面积未过参与表决面积的半数")
    return not reasons, reasons


@dataclass
class ConsultationFigures:
    """Consultations whose vote opened in a period, with turnout: entries of their rolls
    (households or people entitled to vote) and how many of those have voted."""

    held: int = 0
    eligible: int = 0
    voted: int = 0

    @property
    def turnout_rate(self) -> float | None:
        return round(self.voted / self.eligible, 3) if self.eligible else None


@dataclass
class AreaConsultationFigures:
    total: ConsultationFigures
    children: dict[int, ConsultationFigures]


def consultation_figures(
    *,
    user: Actor,
    place: Place,
    since: dt.datetime,
    until: dt.datetime,
    children: Sequence[Place] = (),
) -> AreaConsultationFigures | None:
    """`ConsultationFigures` for consultations of `place` or below within the user's staff
    scope (consult.view or consult.manage), in total and per child; None when that scope holds
    nothing of `place`. One grouped query; no ballot is read."""
    if not (holds_within(user, caps.CONSULT_VIEW, place) or holds_within(user, caps.CONSULT_MANAGE, place)):
        return None
    if is_unrestricted(user):
        scope = Q()
    else:
        roots = sorted({*paths_with(user, caps.CONSULT_VIEW), *paths_with(user, caps.CONSULT_MANAGE)})
        scope = subtree_q(roots, "place__path")
    split = split_by_children(
        Consultation.objects.filter(
            scope, place_q(place, "place__path"), opened_at__gte=since, opened_at__lt=until
        ),
        "place__path",
        place,
        children,
        held=Count("pk", distinct=True),
        eligible=Count("roll", distinct=True),
        voted=Count("roll__participation", distinct=True),
    )
    return AreaConsultationFigures(
        total=ConsultationFigures(**split.total),
        children={pk: ConsultationFigures(**row) for pk, row in split.children.items()},
    )
