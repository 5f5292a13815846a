"""Where a case sits on the ladder, who handles it there, and how long they have.

Pure lookups (no writes): the services call them when a case is submitted, reclassified or
escalated. Categories, SLAs and routing rules (a few dozen rows each) are kept in memory per
process (`config()`), checked against their version token (`core.versions`, replaced by every
write in `cases.services.config`) on each use, so a changed rule applies to the next case in
every process.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, QuerySet

from gridgov.cases.models import LADDER, SLA, Category, Level, Priority, RoutingRule, SlaUnit
from gridgov.cases.workdays import add_sla
from gridgov.core import versions
from gridgov.core.compiled import CompiledQuery
from gridgov.places.models import Place, PlaceKind

CONFIG_VERSION = "cases.config"

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


@dataclass(frozen=True)
class Config:
    """Every category, SLA row and active routing rule, as read under `token`. Shared by the
    threads of a process: read it, never change what it holds (`category` hands out copies)."""

    token: str
    categories: dict[int, Category]
    codes: dict[str, int]
    slas: dict[tuple[int, str], tuple[int, int, str]]
    rules: tuple[RoutingRule, ...]

    def category(self, pk: int | None = None, *, code: str = "") -> Category | None:
        """A private copy of the category (its parent attached), active or not; None if missing."""
        found = self.categories.get(pk) if pk is not None else self.categories.get(self.codes.get(code, -1))
        return copy.copy(found) if found is not None else None

    def active(self) -> list[Category]:
        return [copy.copy(c) for c in self.categories.values() if c.is_active]


_config: Config | None = None
_config_lock = threading.Lock()


def _load_config(token: str) -> Config:
    categories = {c.pk: c for c in Category.objects.all()}
    for category in categories.values():
        if category.parent_id is not None:
            # Attached now so that `.parent` and `.root` never query later.
            category.parent = categories.get(category.parent_id)
    slas = {
        (row.category_id, row.priority): (row.accept_within, row.resolve_within, row.unit)
        for row in SLA.objects.all()
    }
    rules = tuple(RoutingRule.objects.filter(is_active=True))
    return Config(
        token=token,
        categories=categories,
        codes={c.code: c.pk for c in categories.values()},
        slas=slas,
        rules=rules,
    )


def config() -> Config:
    """The configuration as committed now: one indexed query for its token, the rows only when
    the token changed since this process last read them."""
    global _config
    token = versions.current(CONFIG_VERSION)  # before the rows: see core.versions
    cached = _config
    if cached is not None and cached.token == token:
        return cached
    with _config_lock:
        cached = _config
        if cached is None or cached.token != token:
            cached = _config = _load_config(token)
        return cached


def config_changed() -> None:
    """Called by every write to categories, SLAs or routing rules, inside its transaction."""
    versions.bump(CONFIG_VERSION)


def level_rank(level: str) -> int:
    return LADDER.index(level)


def ancestors(place: Place) -> list[Place]:
    """The place and its ancestors, nearest first (read with the place by `place_with_ancestors`,
    or one query now)."""
    read = getattr(place, _CHAIN_ATTR, None)
    if read is not None and read[0] == place.path:  # not moved since
        return list(read[1])
    by_path = {p.path: p for p in Place.objects.filter(path__in=place.ancestor_paths())}
    return [by_path[path] for path in reversed(place.ancestor_paths()) if path in by_path]


_CHAIN_ATTR = "_gridgov_chain"
# The columns a place is read with by `place_with_ancestors`: all but its boundary (a polygon
# nobody routing a case reads) and its timestamps, which stay deferred (read if something asks).
_CHAIN_COLUMNS = tuple(
    field.attname
    for field in Place._meta.concrete_fields
    if field.name not in ("boundary", "created_at", "updated_at")
)
# A tree is at most nine kinds deep (district … unit): the place and eight parents in one row.
CHAIN_DEPTH = 9


def _chain_lookup(place_id: int) -> QuerySet[Place, tuple[Any, ...]]:
    # Short names for the parents' columns: "parent__parent__…__households_max" outgrows
    # PostgreSQL's 63 characters for a name.
    parents = {
        f"up{step}_{column}": F(f"{'parent__' * step}{column}")
        for step in range(1, CHAIN_DEPTH)
        for column in _CHAIN_COLUMNS
    }
    return (
        Place.objects.filter(pk=place_id)
        .order_by()
        .annotate(**parents)
        .values_list(*_CHAIN_COLUMNS, *parents)
    )


# Every intake by place id runs it: one round trip through the parent links (primary-key
# joins), compiled and prepared once per connection, instead of the place and then its
# ancestors by path.
_CHAIN_LOOKUP = CompiledQuery(_chain_lookup, kinds=(int,))


def place_with_ancestors(place_id: int) -> Place | None:
    """The place `place_id` (None if missing), read together with its ancestors, so that
    `ancestors(place)` needs no query for it."""
    if not 0 < place_id < 2**63:  # no such id; the database would refuse the number itself
        return None
    rows = _CHAIN_LOOKUP.rows(place_id)
    if not rows:
        return None
    width = len(_CHAIN_COLUMNS)
    chain = [
        Place.from_db(DEFAULT_DB_ALIAS, _CHAIN_COLUMNS, rows[0][start : start + width])
        for start in range(0, width * CHAIN_DEPTH, width)
        if rows[0][start] is not None
    ]
    place = chain[0]
    # The parent links must give exactly the ancestors the paths name (they always should); a
    # deeper tree or a disagreement leaves the chain unread, and `ancestors` reads it by path.
    if [p.path for p in chain] == list(reversed(place.ancestor_paths())):
        for child, parent in itertools.pairwise(chain):
            child.parent = parent
        setattr(place, _CHAIN_ATTR, (place.path, tuple(chain)))
    return place


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


def _rules_for(category: Category, chain: Sequence[Place], cfg: Config) -> list[RoutingRule]:
    categories = {category.pk, category.parent_id} - {None}
    depth = {p.pk: len(p.path) for p in chain}
    rules = [
        rule
        for rule in cfg.rules
        if rule.category_id in categories and (rule.place_id is None or rule.place_id in depth)
    ]

    def specificity(rule: RoutingRule) -> tuple[int, int]:
        # Deepest place first; at the same place a subcategory's rule beats its parent's.
        return (
            depth.get(rule.place_id, -1) if rule.place_id else -1,
            1 if rule.category_id == category.pk else 0,
        )

    return sorted(rules, key=specificity, reverse=True)


def route(
    category: Category,
    place: Place,
    *,
    level: str | None = None,
    chain: list[Place] | None = None,
    cfg: Config | None = None,
) -> Route:
    """Where a new case starts (level=None), or who takes it when it arrives at `level`.

    The most specific matching rule wins; without one a new case starts at its category's
    start level (the grid unless an administrator changed it) and is handled there by the
    place's own staff. `chain` (`ancestors(place)`) and `cfg` (`config()`) may be passed
    by a caller that already has them.
    """
    chain = chain if chain is not None else ancestors(place)
    rules = _rules_for(category, chain, cfg or config())
    if level is None:
        rule = rules[0] if rules else None
        wanted = rule.level if rule else (category.start_level or category.root.start_level or Level.GRID)
    else:
        rule = next((r for r in rules if r.level == level), None)
        wanted = level
    actual, owner = owner_at(place, wanted, chain)
    organisation_id = rule.organisation_id if rule is not None else None
    return Route(level=actual, level_place=owner, organisation_id=organisation_id, rule=rule)


def sla_for(category: Category, priority: str, cfg: Config | None = None) -> tuple[int, int, str]:
    slas = (cfg or config()).slas
    for category_id in (category.pk, category.parent_id):
        found = slas.get((category_id, priority)) if category_id is not None else None
        if found is not None:
            return found
    return DEFAULT_SLA.get(priority, DEFAULT_SLA[Priority.NORMAL])


def due_times(
    category: Category, priority: str, start: dt.datetime, cfg: Config | None = None
) -> tuple[dt.datetime, dt.datetime]:
    accept, resolve, unit = sla_for(category, priority, cfg)
    return add_sla(start, accept, unit), add_sla(start, resolve, unit)
