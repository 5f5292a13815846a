"""Figures over a place's subtree, split by the places one level down, in one GROUP BY.

Paths are fixed-width segments (places.models), so the children of one parent share one path
length and a prefix of that length names the child a row lies under. The apps' dashboard
selectors (services, care, activities, consult, mediation) use this so that a figure and its
per-child breakdown come from one query whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.db.models.functions import Substr

if TYPE_CHECKING:
    from gridgov.places.models import Place


@dataclass
class Split:
    """Summed aggregates over the whole subtree and per child (child pk → the same names)."""

    total: dict[str, Any]
    children: dict[int, dict[str, Any]] = field(default_factory=dict)


def split_by_children(
    qs: QuerySet[Any], path_field: str, place: Place, children: Sequence[Place], **aggregates: Any
) -> Split:
    """Sum `aggregates` (Count/Sum only: they must add up across disjoint subtrees) over `qs`,
    which the caller has already cut to `place`'s subtree and the user's scope. Rows at `place`
    itself (or at a child kind not listed) count in the total only."""
    width = len(children[0].path) if children else len(place.path)
    by_prefix: dict[str, dict[str, Any]] = {}
    for row in (
        qs.annotate(_prefix=Substr(path_field, 1, width)).values("_prefix").annotate(**aggregates).order_by()
    ):
        by_prefix[row.pop("_prefix")] = row
    total = {name: _add(row.get(name) for row in by_prefix.values()) for name in aggregates}
    zero = dict.fromkeys(aggregates, 0)
    return Split(
        total=total,
        children={child.pk: {**zero, **_clean(by_prefix.get(child.path, zero))} for child in children},
    )


def _add(values: Any) -> Any:
    result: Any = 0
    for value in values:
        result += value or 0
    return result


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value or 0 for name, value in row.items()}
