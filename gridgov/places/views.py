"""Staff pages for the place tree: thin, every read through places.selectors, every write through
places.services (which check the capability and write the audit row)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import has_capability, require
from gridgov.core.errors import error_items
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.places import selectors, services
from gridgov.places.forms import ChildPlaceForm, HouseholdForm, PlaceEditForm
from gridgov.places.geojson import GeoReport, geojson_import
from gridgov.places.models import HOUSEHOLD_PLACE_KINDS, Place, PlaceKind

HOUSEHOLDS_PER_PAGE = 50


@page_access("places:tree")
@require_GET
def tree(request: AuthedHttpRequest) -> HttpResponse:
    nodes = selectors.children_with_counts(request.user, None)
    return render(request, "places/tree.html", {"nodes": nodes})


@login_required
@require_GET
def tree_children(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    """One expand of one tree node (htmx): its children with their counts."""
    place = selectors.place_for(request.user, place_id)
    nodes = selectors.children_with_counts(request.user, place)
    return render(request, "places/_tree_nodes.html", {"nodes": nodes})


# What usually sits under each kind, preselected in the new-child form (any deeper kind is allowed).
_USUAL_CHILD = {
    PlaceKind.DISTRICT: PlaceKind.STREET,
    PlaceKind.STREET: PlaceKind.COMMUNITY,
    PlaceKind.COMMUNITY: PlaceKind.GRID,
    PlaceKind.GRID: PlaceKind.ESTATE,
    PlaceKind.ESTATE: PlaceKind.BUILDING,
    PlaceKind.LANE: PlaceKind.BUILDING,
    PlaceKind.GROUP: PlaceKind.BUILDING,
    PlaceKind.BUILDING: PlaceKind.UNIT,
}


def _usual_child_kind(place: Place, kinds: list[tuple[str, str]]) -> str:
    usual = _USUAL_CHILD.get(PlaceKind(place.kind))
    return usual if usual in dict(kinds) else kinds[0][0]


def _edit_initial(place: Place) -> dict[str, Any]:
    return {
        "name": place.name,
        "code": place.code,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "households_min": place.households_min,
        "households_max": place.households_max,
        "hotline": place.hotline,
    }


def _detail(
    request: AuthedHttpRequest,
    place: Place,
    *,
    child_form: ChildPlaceForm | None = None,
    household_form: HouseholdForm | None = None,
    edit_form: PlaceEditForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_manage = selectors.can_manage_place(user, place)
    kinds = selectors.child_kinds(place)
    can_add_household = place.kind in HOUSEHOLD_PLACE_KINDS and has_capability(
        user, caps.REGISTRY_EDIT, place
    )
    households = Paginator(selectors.households_in(user, place), HOUSEHOLDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    is_grid = place.kind == PlaceKind.GRID
    context = {
        "place": place,
        "breadcrumbs": selectors.visible_breadcrumbs(user, place),
        "children": selectors.children_with_counts(user, place),
        "households": households,
        "can_manage": can_manage,
        "can_add_household": can_add_household,
        "is_grid": is_grid,
        "child_form": child_form
        or (
            ChildPlaceForm(kinds=kinds, initial={"kind": _usual_child_kind(place, kinds)})
            if can_manage and kinds
            else None
        ),
        "household_form": household_form or (HouseholdForm() if can_add_household else None),
        "edit_form": (
            edit_form
            or PlaceEditForm(
                initial=_edit_initial(place), is_grid=is_grid, is_community=place.kind == PlaceKind.COMMUNITY
            )
        )
        if can_manage
        else None,
    }
    return render(request, "places/detail.html", context, status=status)


@login_required
@require_GET
def detail(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    return _detail(request, selectors.place_for(request.user, place_id))


@login_required
@require_POST
def create_child(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    place = selectors.place_for(request.user, place_id)
    # Refuse before validating, so a read-only user gets a plain 403 and not a form they cannot use.
    require(request.user, caps.PLACES_MANAGE, place, visible_with=caps.REGISTRY_VIEW)
    form = ChildPlaceForm(request.POST, kinds=selectors.child_kinds(place))
    if form.is_valid():
        try:
            child = services.place_create(by=request.user, parent=place, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已新建{child.get_kind_display()}“{child.name}”")
            return redirect("places:detail", place.pk)
    return _detail(request, place, child_form=form, status=400)


@login_required
@require_POST
def create_household(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    place = selectors.place_for(request.user, place_id)
    require(request.user, caps.REGISTRY_EDIT, place, visible_with=caps.REGISTRY_VIEW)
    form = HouseholdForm(request.POST)
    if form.is_valid():
        try:
            household = services.household_create(by=request.user, place=place, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已登记户“{household.address or household.room}”")
            return redirect("places:detail", place.pk)
    return _detail(request, place, household_form=form, status=400)


@login_required
@require_POST
def edit(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    place = selectors.place_for(request.user, place_id)
    require(request.user, caps.PLACES_MANAGE, place, visible_with=caps.REGISTRY_VIEW)
    form = PlaceEditForm(
        request.POST, is_grid=place.kind == PlaceKind.GRID, is_community=place.kind == PlaceKind.COMMUNITY
    )
    if form.is_valid():
        try:
            services.place_update(by=request.user, place=place, **form.cleaned_data)
        except ValidationError as exc:
            # The service saved nothing; show the stored values again beside the errors.
            place.refresh_from_db()
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("places:detail", place.pk)
    return _detail(request, place, edit_form=form, status=400)


@page_access("places:grid_balance")
@require_GET
def grid_balance(request: AuthedHttpRequest) -> HttpResponse:
    rows = selectors.grid_balance(request.user)
    totals = {
        "grids": len(rows),
        "households": sum(row.households for row in rows),
        "under": sum(1 for row in rows if row.status == "under"),
        "over": sum(1 for row in rows if row.status == "over"),
        "ok": sum(1 for row in rows if row.status == "ok"),
    }
    return render(request, "places/grid_balance.html", {"rows": rows, "totals": totals})


def _geojson_page(
    request: AuthedHttpRequest,
    *,
    errors: list[dict[str, str]] | None = None,
    report: GeoReport | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "places": selectors.geojson_roots(request.user),
        "errors": errors or [],
        "report": report,
        "max_mb": f"{settings.GRIDGOV_UPLOAD_MAX_BYTES // (1024 * 1024)} MB",
    }
    return render(request, "places/geojson.html", context, status=status)


@page_access("places:geojson")
@require_http_methods(["GET", "POST"])
def geojson(request: AuthedHttpRequest) -> HttpResponse:
    """Boundaries (Polygon/MultiPolygon) and points (Point) from a GeoJSON file, matched by path,
    code or name under the chosen place."""
    if request.method == "GET":
        return _geojson_page(request)
    try:
        root_id = int(request.POST.get("root", ""))
    except ValueError:
        return _geojson_page(
            request, errors=[{"field": "root", "message": "请选择GeoJSON对应的上级地点"}], status=400
        )
    root = selectors.place_for(request.user, root_id)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _geojson_page(request, errors=[{"field": "file", "message": "请选择GeoJSON文件"}], status=400)
    limit = settings.GRIDGOV_UPLOAD_MAX_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        # Refused before reading it into memory.
        message = f"文件过大（{uploaded.size / 1024 / 1024:.1f} MB），上限为{limit / 1024 / 1024:.1f} MB"
        return _geojson_page(request, errors=[{"field": "file", "message": message}], status=400)
    try:
        report = geojson_import(
            by=request.user, root=root, raw=uploaded.read(), source_name=uploaded.name or ""
        )
    except ValidationError as exc:
        return _geojson_page(request, errors=error_items(exc), status=400)
    return _geojson_page(request, report=report)
