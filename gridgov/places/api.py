"""Places and households over JSON: thin calls into places.selectors and places.services."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from django.http import HttpRequest
from ninja import Query, Router, Status

from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.people.selectors import household_view, resident_for
from gridgov.places import selectors, services
from gridgov.places.models import Household, Place
from gridgov.places.schemas import (
    GridBalanceOut,
    HouseholdCreateIn,
    HouseholdDetailOut,
    HouseholdFilter,
    HouseholdOut,
    HouseholdPatchIn,
    PlaceCountsOut,
    PlaceCreateIn,
    PlaceDetailOut,
    PlaceFilter,
    PlaceOut,
    PlacePatchIn,
)

router = Router(tags=["地点与房屋"])


def _place_detail(place: Place) -> Place:
    place.breadcrumbs = selectors.place_breadcrumbs(place)
    return place


def _counts_row(row: selectors.PlaceCounts) -> SimpleNamespace:
    # Place.households is the reverse relation, so the totals travel beside the place's fields.
    fields = {name: getattr(row.place, name) for name in PlaceOut.model_fields if name != "kind_label"}
    return SimpleNamespace(
        **fields, households=row.households, residents=row.residents, children=row.children
    )


@router.get("/places", response=list[PlaceOut], summary="地点列表")
@paged
def place_list(request: HttpRequest, filters: Query[PlaceFilter]):
    parent = selectors.place_for(api_user(request), filters.parent) if filters.parent else None
    within = selectors.place_for(api_user(request), filters.within) if filters.within else None
    return selectors.place_search(api_user(request), parent=parent, kind=filters.kind, within=within)


@router.get("/places/grid-balance", response=list[GridBalanceOut], summary="网格户数均衡")
@paged
def grid_balance(request: HttpRequest):
    return [
        {
            "grid": row.grid,
            "households": row.households,
            "minimum": row.minimum,
            "maximum": row.maximum,
            "status": row.status,
            "status_label": row.status_label,
        }
        for row in selectors.grid_balance(api_user(request))
    ]


@router.get("/places/{place_id}", response=PlaceDetailOut, summary="地点详情")
def place_detail(request: HttpRequest, place_id: int):
    return _place_detail(selectors.place_for(api_user(request), place_id))


@router.get("/places/{place_id}/children", response=list[PlaceCountsOut], summary="下级地点及户数、人数")
@paged
def place_children(request: HttpRequest, place_id: int):
    place = selectors.place_for(api_user(request), place_id)
    return [_counts_row(row) for row in selectors.children_with_counts(api_user(request), place)]


@router.post("/places", response={201: PlaceDetailOut}, summary="新增地点")
def place_create(request: HttpRequest, payload: PlaceCreateIn):
    parent = selectors.place_for(api_user(request), payload.parent) if payload.parent else None
    place = services.place_create(
        by=api_user(request),
        parent=parent,
        kind=payload.kind,
        name=payload.name,
        code=payload.code,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )
    return Status(201, _place_detail(place))


@router.patch("/places/{place_id}", response=PlaceDetailOut, summary="修改地点")
def place_update(request: HttpRequest, place_id: int, payload: PlacePatchIn):
    place = selectors.place_for(api_user(request), place_id)
    place = services.place_update(by=api_user(request), place=place, **payload.dict(exclude_unset=True))
    return _place_detail(place)


# --- households ---------------------------------------------------------------------------


def _household_detail(request: HttpRequest, household: Household) -> Household:
    # A resident of the household sees names and relations only (people.selectors.household_view).
    memberships, _staff = household_view(api_user(request), household)
    household.members = [m for m in memberships if m.moved_out is None]
    household.past_members = [m for m in memberships if m.moved_out is not None]
    cast(Any, household).member_count = len(household.members)  # as households_in annotates it
    return household


@router.get("/households", response=list[HouseholdOut], summary="户列表")
@paged
def household_list(request: HttpRequest, filters: Query[HouseholdFilter]):
    place = selectors.place_for(api_user(request), filters.place) if filters.place else None
    return selectors.household_search(api_user(request), place=place, q=filters.q)


@router.get("/households/{household_id}", response=HouseholdDetailOut, summary="一户一档")
def household_detail(request: HttpRequest, household_id: int):
    return _household_detail(request, selectors.household_for(api_user(request), household_id))


@router.post("/households", response={201: HouseholdDetailOut}, summary="登记户")
def household_create(request: HttpRequest, payload: HouseholdCreateIn):
    place = selectors.place_for(api_user(request), payload.place)
    landlord = resident_for(api_user(request), payload.landlord) if payload.landlord else None
    household = services.household_create(
        by=api_user(request),
        place=place,
        room=payload.room,
        residence_kind=payload.residence_kind,
        landlord=landlord,
        area_sqm=payload.area_sqm,
        notes=payload.notes,
    )
    return Status(201, _household_detail(request, household))


@router.patch("/households/{household_id}", response=HouseholdDetailOut, summary="修改户")
def household_update(request: HttpRequest, household_id: int, payload: HouseholdPatchIn):
    household = selectors.household_for(api_user(request), household_id)
    fields = payload.dict(exclude_unset=True)
    if fields.get("landlord") is not None:
        fields["landlord"] = resident_for(api_user(request), fields["landlord"])
    household = services.household_update(by=api_user(request), household=household, **fields)
    return _household_detail(request, household)
