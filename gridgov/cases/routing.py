"""Where a case sits on the ladder, who handles it there, and how long they have.

Pure lookups (no writes): the services call them when a case is submitted, reclassified or
escalated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gridgov.cases.models import LADDER, SLA, Category, Level, Priority, RoutingRule, SlaUnit
from gridgov.cases.workdays import add_sla
from gridgov.places.models import Place, PlaceKind

# Place kinds that own a case at each level; the building level also takes a unit's building.
LEVEL_KINDS: dict[str, tuple[str, ...]] = {
    Level.BUILDING: (PlaceKind.BUILDING,),
    Level.GRID: (PlaceKind.GRID,),
    Level.COMMUNITY: (PlaceKind.COMMUNITY,),
    Level.STREET: (PlaceKind.STREET,),
}

# Which rung an assignment at a place of this kind works on (a building head assigned to a whole
# estate still works at building level).
KIND_LEVEL: dict[str, str] = {
    PlaceKind.UNIT: Level.BUILDING,
    PlaceKind.BUILDING: Level.BUILDING,
    PlaceKind.GROUP: Level.BUILDING,
    PlaceKind.ESTATE: Level.BUILDING,
    PlaceKind.LANE: Level.BUILDING,
    PlaceKind.GRID: Level.GRID,
    PlaceKind.COMMUNITY: Level.COMMUNITY,
    PlaceKind.STREET: Level.STREET,
    PlaceKind.DISTRICT: Level.STREET,
}

# When no SLA row exists: (accept, resolve, unit) by priority.
DEFAULT_SLA: dict[str, tuple[int, int, str]] = {
    Priority.NORMAL: (1, 5, SlaUnit.WORKDAYS),
    Priority.URGENT: (2, 24, SlaUnit.HOURS),
}


def level_rank(level: str) -> int:
    return LADDER.index(level)


def ancestors(place: Place) -> list[Place]:
    """The place and its ancestors, nearest first."""
    by_path = {p.path: p for p in Place.objects.filter(path__in=place.ancestor_paths())}
    return [by_path[path] for path in reversed(place.ancestor_paths()) if path in by_path]


def owner_at(place: Place, level: str, chain: list[Place] | None = None) -> tuple[str, Place]:
    """The first level at or above `level` that exists above `place`, and the place owning it.

    A community without grids skips the grid rung; a department-level case is owned, for
    supervision, by its street (or the topmost place there is).
    """
    chain = chain if chain is not None else ancestors(place)
    for candidate in LADDER[level_rank(level) :]:
        if candidate == Level.DEPARTMENT:
            street = next((p for p in chain if p.kind == PlaceKind.STREET), chain[-1])
            return candidate, street
        found = next((p for p in chain if p.kind in LEVEL_KINDS[candidate]), None)
        if found is not None:
            return candidate, found
    return Level.DEPARTMENT, chain[-1]


def next_level(level: str) -> str | None:
    rank = level_rank(level)
    return LADDER[rank + 1] if rank + 1 < len(LADDER) else None


@dataclass(frozen=True)
class Route:
    level: str
    level_place: Place
    organisation_id: int | None
    rule: RoutingRule | None


def _rules_for(category: Category, chain: list[Place]) -> list[RoutingRule]:
    categories = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rules = list(
        RoutingRule.objects.filter(is_active=True, category_id__in=categories)
        .filter(place__isnull=True)
        .select_related("organisation")
    ) + list(
        RoutingRule.objects.filter(
            is_active=True, category_id__in=categories, place__in=chain
        ).select_related("organisation", "place")
    )
    depth = {p.pk: len(p.path) for p in chain}

    def specificity(rule: RoutingRule) -> tuple[int, int]:
        # Deepest place first; at the same place a subcategory's rule beats its parent's.
        return (
            depth.get(rule.place_id, -1) if rule.place_id else -1,
            1 if rule.category_id == category.pk else 0,
        )

    return sorted(rules, key=specificity, reverse=True)


def route(category: Category, place: Place, *, level: str | None = None) -> Route:
    """Where a new case starts (level=None), or who takes it when it arrives at `level`.

    The most specific matching rule wins; without one a new case starts at its category's
    start level (the grid unless an administrator changed it) and is handled there by the
    place's own staff.
    """
    chain = ancestors(place)
    rules = _rules_for(category, chain)
    if level is None:
        rule = rules[0] if rules else None
        wanted = rule.level if rule else (category.start_level or category.root.start_level or Level.GRID)
    else:
        rule = next((r for r in rules if r.level == level), None)
        wanted = level
    actual, owner = owner_at(place, wanted, chain)
    organisation_id = rule.organisation_id if rule is not None else None
    return Route(level=actual, level_place=owner, organisation_id=organisation_id, rule=rule)


def sla_for(category: Category, priority: str) -> tuple[int, int, str]:
    candidates = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rows = {row.category_id: row for row in SLA.objects.filter(category_id__in=candidates, priority=priority)}
    for category_id in candidates:
        row = rows.get(category_id)
        if row is not None:
            return row.accept_within, row.resolve_within, row.unit
    return DEFAULT_SLA.get(priority, DEFAULT_SLA[Priority.NORMAL])


def due_times(category: Category, priority: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    accept, resolve, unit = sla_for(category, priority)
    return add_sla(start, accept, unit), add_sla(start, resolve, unit)
