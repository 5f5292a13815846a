"""Shared by the staff case pages: place options for pickers (page access: accounts.pages)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from gridgov.cases.selectors import TRAIL_HIDDEN_KINDS
from gridgov.core.compiled import CompiledQuery
from gridgov.places.models import Place, PlaceKind

PAGE_SIZE = 20
INTAKE_KINDS = (
    PlaceKind.COMMUNITY,
    PlaceKind.GRID,
    PlaceKind.ESTATE,
    PlaceKind.LANE,
    PlaceKind.GROUP,
    PlaceKind.BUILDING,
    PlaceKind.UNIT,
)
MAX_PLACE_OPTIONS = 800


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _organisations(user: Any) -> Any:
    from gridgov.orgs.selectors import case_handling_organisations

    return case_handling_organisations(user)


def _indented(places: Any) -> list[Place]:
    return list(places.order_by("path")[:MAX_PLACE_OPTIONS])


def _options(places: list[Place]) -> list[dict[str, Any]]:
    """A place list for a <select>, indented by depth below the shallowest one."""
    top = min((p.depth for p in places), default=0)
    return [
        {"pk": p.pk, "name": p.name, "label": f"{'　' * (p.depth - top)}{p.name}（{p.get_kind_display()}）"}
        for p in places
    ]


def _place_trails(places: list[Place], *, with_grid: bool = False) -> dict[int, str]:
    """ "聚江苑 1栋 1单元" for each place: its ancestors below the grid, in one query."""
    trails = _path_trails([place.path for place in places], with_grid=with_grid)
    return {place.pk: trails.get(place.path) or place.name for place in places}


def _path_trails(paths: list[str], *, with_grid: bool = False) -> dict[str, str]:
    """`_place_trails` by place path (rows read as plain values carry the path, not the place);
    a path whose place is not found has no trail."""
    wanted = {path for place_path in paths for path in _ancestor_paths(place_path)}
    if not wanted:
        return {}
    by_path = {path: (name, kind) for path, name, kind in _places_at(sorted(wanted))}
    above = set(TRAIL_HIDDEN_KINDS)
    if with_grid:
        above.discard(PlaceKind.GRID)
    trails = {}
    for place_path in paths:
        if place_path not in by_path:
            continue
        chain = [by_path[path] for path in _ancestor_paths(place_path) if path in by_path]
        names = [name for name, kind in chain if kind not in above] or [by_path[place_path][0]]
        trails[place_path] = " ".join(names)
    return trails


def _ancestor_paths(path: str) -> list[str]:
    """`Place.ancestor_paths` of the place at `path` (itself last)."""
    parts = path.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


# The trails' places, read on every workbench page: compiled once per connection for each size
# of path list (`CompiledQuery`), the list padded to the next of a few sizes by repeating its last
# path (the same rows), so a connection holds a handful of statements, not one per page's count.
_PATH_BUCKETS = (8, 16, 32, 64, 128)
_PLACES_AT: dict[int, CompiledQuery] = {}


def _places_with_paths(*paths: str) -> QuerySet[Place, tuple[Any, ...]]:
    return Place.objects.filter(path__in=paths).order_by().values_list("path", "name", "kind")


def _places_at(paths: list[str]) -> list[tuple[Any, ...]]:
    """(path, name, kind) of the places at `paths`."""
    size = next((bucket for bucket in _PATH_BUCKETS if bucket >= len(paths)), None)
    if size is None:
        return list(_places_with_paths(*paths))
    query = _PLACES_AT.get(size)
    if query is None:
        query = _PLACES_AT.setdefault(size, CompiledQuery(_places_with_paths, kinds=(str,) * size))
    return query.rows(*paths, *[paths[-1]] * (size - len(paths)))
