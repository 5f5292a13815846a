"""Shared by the staff case pages: place options for pickers (page access: accounts.pages)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

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
    paths = {path for place in places for path in place.ancestor_paths()}
    by_path = {p.path: p for p in Place.objects.filter(path__in=paths).only("path", "name", "kind")}
    above = {PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY}
    if not with_grid:
        above.add(PlaceKind.GRID)
    trails = {}
    for place in places:
        chain = [by_path[path] for path in place.ancestor_paths() if path in by_path]
        names = [p.name for p in chain if p.kind not in above] or [place.name]
        trails[place.pk] = " ".join(names)
    return trails
