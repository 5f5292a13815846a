"""Desks over JSON: thin calls into desks.selectors and desks.services."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from gridgov.core import clock
from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.desks import selectors, services
from gridgov.desks.models import DeskKind, Handling, Topic

router = Router(tags=["接待点与值班"])


class DeskOut(Schema):
    id: int
    name: str
    kind: DeskKind
    place_id: int
    address: str
    hours: str


class DutyOut(Schema):
    desk_id: int
    desk: str
    person: str
    absent: bool
    starts: dt.time
    ends: dt.time


class WalkInIn(Schema):
    visitor: str = Field(..., max_length=50)
    topic: Topic
    summary: str = Field(..., max_length=500)
    handling: Handling = Handling.ON_SPOT


class WalkInOut(Schema):
    id: int
    at: dt.datetime
    visitor: str
    topic: Topic
    summary: str
    handling: Handling
    case_id: int | None
    dispute_id: int | None


@router.get("/desks/desks", response=list[DeskOut], summary="接待点（工作人员）")
@paged
def desk_list(request: HttpRequest):
    return selectors.desks_for(api_user(request)).order_by("place__path", "name", "id")


@router.get("/desks/today", response=list[DutyOut], summary="今天谁在值班（居民可看附近接待点）")
def duty_today(request: HttpRequest):
    desks = list(selectors.public_desks(api_user(request))[:50])
    return [
        {
            "desk_id": t.desk.pk,
            "desk": t.desk.name,
            "person": t.person,
            "absent": t.absent,
            "starts": t.slot.starts,
            "ends": t.slot.ends,
        }
        for t in selectors.on_duty(desks, clock.today())
    ]


@router.get("/desks/desks/{desk_id}/walkins", response=list[WalkInOut], summary="来访登记")
@paged
def walkin_list(request: HttpRequest, desk_id: int):
    return selectors.walkins_of(selectors.desk_for(api_user(request), desk_id))


@router.post("/desks/desks/{desk_id}/walkins", response={201: WalkInOut}, summary="登记来访")
def walkin_create(request: HttpRequest, desk_id: int, payload: WalkInIn):
    user = api_user(request)
    desk = selectors.desk_for(user, desk_id)
    return Status(201, services.walkin_log(by=user, desk=desk, **payload.dict()))
