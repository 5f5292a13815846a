"""Mediation over JSON: thin calls into mediation.selectors and mediation.services. Every read of
a record is audited; lists carry no summaries or records."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from gridgov.accounts import capabilities as caps
from gridgov.accounts.services import client_ip
from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.mediation import selectors, services
from gridgov.mediation.models import Arrival, DisputeType, MediatorKind, Outcome, Side
from gridgov.mediation.models import Status as DisputeStatus
from gridgov.places.selectors import place_for

router = Router(tags=["矛盾纠纷调解"])


class DisputeOut(Schema):
    id: int
    title: str
    dispute_type: DisputeType
    place_id: int
    arrival: Arrival
    urgent: bool
    status: DisputeStatus
    outcome: str
    received_on: dt.date
    closed_on: dt.date | None


class PartyOut(Schema):
    id: int
    side: Side
    name: str


class SessionOut(Schema):
    held_at: dt.datetime
    location: str
    attendance: str
    record: str


class DisputeDetailOut(DisputeOut):
    summary: str
    parties: list[PartyOut]
    sessions: list[SessionOut]

    @staticmethod
    def resolve_parties(obj: object) -> list:
        return list(obj.parties.all())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_sessions(obj: object) -> list:
        return list(obj.sessions.all())  # type: ignore[attr-defined]


class PartyIn(Schema):
    side: Side = Side.APPLICANT
    name: str = Field(..., min_length=1, max_length=100)


class DisputeIn(Schema):
    place: int
    title: str = Field(..., max_length=100)
    dispute_type: DisputeType
    summary: str = Field("", max_length=3000)
    arrival: Arrival = Arrival.DESK
    arrival_ref: str = Field("", max_length=60)
    urgent: bool = False
    parties: list[PartyIn] = Field(..., min_length=1, max_length=20)


class AssignIn(Schema):
    mediator: int


class SessionIn(Schema):
    held_at: dt.datetime
    location: str = Field(..., max_length=100)
    attendance: str = Field(..., max_length=300)
    record: str = Field(..., max_length=5000)


class CloseIn(Schema):
    outcome: Outcome


class MediatorOut(Schema):
    id: int
    name: str
    kind: MediatorKind
    specialities: list[str]
    available: bool


@router.get("/mediation/disputes", response=list[DisputeOut], summary="调解案件列表")
@paged
def dispute_list(request: HttpRequest):
    return selectors.dispute_list(api_user(request))


@router.get(
    "/mediation/disputes/{dispute_id}", response=DisputeDetailOut, summary="调解案件详情（查看记入审计）"
)
def dispute_detail(request: HttpRequest, dispute_id: int):
    return selectors.dispute_view(api_user(request), dispute_id, ip=client_ip(request))


@router.post("/mediation/disputes", response={201: DisputeOut}, summary="登记矛盾纠纷")
def dispute_create(request: HttpRequest, payload: DisputeIn):
    user = api_user(request)
    dispute = services.dispute_create(
        by=user,
        place=place_for(user, payload.place, caps.MEDIATION_HANDLE),
        title=payload.title,
        dispute_type=payload.dispute_type,
        summary=payload.summary,
        arrival=payload.arrival,
        arrival_ref=payload.arrival_ref,
        urgent=payload.urgent,
        parties=[{"side": p.side, "name": p.name} for p in payload.parties],
    )
    return Status(201, dispute)


@router.post("/mediation/disputes/{dispute_id}/assign", response=DisputeOut, summary="指派调解员")
def dispute_assign(request: HttpRequest, dispute_id: int, payload: AssignIn):
    user = api_user(request)
    dispute = selectors.dispute_for(user, dispute_id)
    services.mediator_assign(
        by=user, dispute=dispute, mediator=selectors.mediator_for(user, payload.mediator)
    )
    return selectors.dispute_for(user, dispute_id)


@router.post("/mediation/disputes/{dispute_id}/sessions", response={201: SessionOut}, summary="记录调解")
def dispute_session(request: HttpRequest, dispute_id: int, payload: SessionIn):
    user = api_user(request)
    dispute = selectors.dispute_for(user, dispute_id)
    return Status(201, services.session_record(by=user, dispute=dispute, **payload.dict()))


@router.post("/mediation/disputes/{dispute_id}/close", response=DisputeOut, summary="记录调解结果并结案")
def dispute_close(request: HttpRequest, dispute_id: int, payload: CloseIn):
    user = api_user(request)
    return services.dispute_close(
        by=user, dispute=selectors.dispute_for(user, dispute_id), outcome=payload.outcome
    )


@router.get("/mediation/mediators", response=list[MediatorOut], summary="调解专家库")
@paged
def mediator_list(request: HttpRequest):
    return selectors.mediators_for(api_user(request)).order_by("kind", "name", "id")
