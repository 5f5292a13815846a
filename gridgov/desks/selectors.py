"""Reads of desks, rosters and walk-ins, scoped to the acting user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import is_unrestricted, scope_q
from gridgov.core.errors import NotFound
from gridgov.desks.models import Desk, DutyChange, DutySlot, Handling, Topic, WalkIn

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


def desks_for(user: Actor) -> QuerySet[Desk]:
    return Desk.objects.filter(scope_q(user, caps.DESKS_MANAGE, "place__path"))


def desk_for(user: Actor, desk_id: int) -> Desk:
    found = desks_for(user).select_related("place").filter(pk=desk_id).first()
    if found is None:
        raise NotFound()
    return found


def public_desks(user: Actor) -> QuerySet[Desk]:
    """Desks a resident may visit: those at their home's places or above (a community's 谈心室)."""
    if is_unrestricted(user):
        return Desk.objects.all()
    resident = getattr(user, "resident", None) if getattr(user, "resident_id", None) else None
    condition = scope_q(user, caps.DESKS_MANAGE, "place__path") if not is_unrestricted(user) else Q()
    if resident is not None and resident.place_id:
        condition |= Q(place__path__in=resident.place.ancestor_paths())
    return Desk.objects.filter(condition)


@dataclass
class Turn:
    desk: Desk
    slot: DutySlot
    person: str
    absent: bool
    note: str


def on_duty(desks: list[Desk], day: dt.date) -> list[Turn]:
    """Who sits at each desk on `day`, swaps and absences applied; one query for all desks."""
    slots = list(DutySlot.objects.filter(desk__in=desks, weekday=day.weekday()).select_related("desk"))
    changes = {c.slot_id: c for c in DutyChange.objects.filter(slot__in=slots, on=day)}
    turns = []
    for slot in slots:
        change = changes.get(slot.pk)
        if change is None:
            turns.append(Turn(slot.desk, slot, slot.person, False, ""))
        else:
            turns.append(Turn(slot.desk, slot, change.substitute, not change.substitute, change.note))
    return turns


def walkins_of(desk: Desk) -> QuerySet[WalkIn]:
    return desk.walkins.select_related("case", "dispute").order_by("-at", "-id")


@dataclass
class DeskMonth:
    desk: str
    month: str
    counts: dict[str, int]
    passed: int


def figures(user: Actor) -> list[DeskMonth]:
    """Walk-ins per desk and month by topic (seed 002's 咨询/求助/建议/矛盾纠纷)."""
    rows: dict[tuple[str, str], DeskMonth] = {}
    labels = dict(Topic.choices)
    for name, month, topic, n, passed in (
        WalkIn.objects.filter(desk__in=desks_for(user))
        .annotate(month=TruncMonth("at"))
        .values_list("desk__name", "month", "topic")
        .annotate(n=Count("id"), passed=Count("id", filter=Q(handling=Handling.PASSED)))
        .order_by("desk__name", "-month")
    ):
        key = (name, month.strftime("%Y-%m"))
        row = rows.setdefault(key, DeskMonth(name, key[1], {label: 0 for label in labels.values()}, 0))
        row.counts[labels[topic]] += n
        row.passed += passed
    return list(rows.values())
