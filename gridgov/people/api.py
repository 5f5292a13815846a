"""Residents, memberships, tags and floating population over JSON: thin calls into
people.selectors and people.services. ID numbers and phones are masked in every response
but the audited reveal."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router, Status

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability
from gridgov.accounts.services import client_ip
from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.people import selectors, services
from gridgov.people.models import Resident, ResidentTag
from gridgov.people.schemas import (
    DeregisterIn,
    FloatingCreateIn,
    FloatingFilter,
    FloatingOut,
    MoveInIn,
    MoveOutIn,
    ResidentCreateIn,
    ResidentDetailOut,
    ResidentFilter,
    ResidentOut,
    ResidentPatchIn,
    RevealIn,
    RevealOut,
    StayOut,
    TagOut,
    TagsIn,
)
from gridgov.places.selectors import household_for, place_for

router = Router(tags=["居民与流动人口"])
_TAGS = Prefetch(
    "resident_tags", queryset=ResidentTag.objects.select_related("tag").order_by("tag__sort_order")
)


def _detail(request: HttpRequest, resident_id: int) -> Resident:
    resident = selectors.resident_detail(api_user(request), resident_id)
    resident.can_reveal = resident.place is not None and has_capability(
        api_user(request), caps.REGISTRY_PII, resident.place
    )
    return resident


@router.get("/tags", response=list[TagOut], summary="人群标签")
@paged
def tag_list(request: HttpRequest):
    return selectors.active_tags()


@router.get("/residents", response=list[ResidentOut], summary="居民列表与查找")
@paged
def resident_list(request: HttpRequest, filters: Query[ResidentFilter]):
    place = place_for(api_user(request), filters.place) if filters.place else None
    return selectors.resident_search(
        api_user(request), q=filters.q, place=place, tag=filters.tag, status=filters.status
    ).prefetch_related(_TAGS)


@router.get("/residents/{resident_id}", response=ResidentDetailOut, summary="居民卡片")
def resident_detail(request: HttpRequest, resident_id: int):
    return _detail(request, resident_id)


@router.post("/residents", response={201: ResidentDetailOut}, summary="登记居民（入户）")
def resident_create(request: HttpRequest, payload: ResidentCreateIn):
    household = household_for(api_user(request), payload.household)
    resident = services.resident_create(
        by=api_user(request),
        household=household,
        relation=payload.relation,
        moved_in=payload.moved_in,
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        gender=payload.gender or "",
        birth_date=payload.birth_date,
        ethnicity=payload.ethnicity,
        residence_status=payload.residence_status,
        political_status=payload.political_status,
        employment=payload.employment,
        notes=payload.notes,
        tags=selectors.tags_by_codes(payload.tags),
    )
    return Status(201, _detail(request, resident.pk))


@router.patch("/residents/{resident_id}", response=ResidentDetailOut, summary="修改居民信息")
def resident_update(request: HttpRequest, resident_id: int, payload: ResidentPatchIn):
    resident = selectors.resident_for(api_user(request), resident_id)
    fields = payload.dict(exclude_unset=True)
    if "gender" in fields:
        fields["gender"] = fields["gender"] or ""
    services.resident_update(by=api_user(request), resident=resident, **fields)
    return _detail(request, resident_id)


@router.put("/residents/{resident_id}/tags", response=ResidentDetailOut, summary="设置人群标签")
def resident_tags(request: HttpRequest, resident_id: int, payload: TagsIn):
    user = api_user(request)
    resident = selectors.resident_for(user, resident_id)
    services.resident_set_tags(by=user, resident=resident, tags=selectors.tags_by_codes(payload.tags))
    return _detail(request, resident_id)


@router.post("/residents/{resident_id}/move-in", response={201: StayOut}, summary="迁入某户")
def resident_move_in(request: HttpRequest, resident_id: int, payload: MoveInIn):
    resident = selectors.resident_for(api_user(request), resident_id)
    household = household_for(api_user(request), payload.household)
    membership = services.resident_move_in(
        by=api_user(request),
        resident=resident,
        household=household,
        relation=payload.relation,
        moved_in=payload.moved_in,
    )
    return Status(201, membership)


@router.post("/memberships/{membership_id}/move-out", response=StayOut, summary="迁出")
def membership_move_out(request: HttpRequest, membership_id: int, payload: MoveOutIn):
    membership = selectors.membership_for(api_user(request), membership_id)
    return services.resident_move_out(
        by=api_user(request), membership=membership, moved_out=payload.moved_out, reason=payload.reason
    )


@router.post(
    "/residents/{resident_id}/reveal",
    response=RevealOut,
    summary="查看完整身份证号和手机号（须说明用途，记入审计）",
)
def resident_reveal(request: HttpRequest, resident_id: int, payload: RevealIn):
    resident = selectors.resident_for(api_user(request), resident_id)
    revealed = services.resident_reveal_pii(
        by=api_user(request), resident=resident, purpose=payload.purpose, ip=client_ip(request)
    )
    return {"id": resident.pk, "name": resident.name, **revealed}


# --- floating population ------------------------------------------------------------------


@router.get("/floating", response=list[FloatingOut], summary="流动人口登记")
@paged
def floating_list(request: HttpRequest, filters: Query[FloatingFilter]):
    if filters.expiring:
        return selectors.floating_due(api_user(request)).select_related("landlord")
    return (
        selectors.floating_for(api_user(request), active=filters.active)
        .select_related("landlord")
        .order_by("-registered_on", "-id")
    )


@router.post("/floating", response={201: FloatingOut}, summary="流动人口登记")
def floating_register(request: HttpRequest, payload: FloatingCreateIn):
    resident = selectors.resident_for(api_user(request), payload.resident)
    household = household_for(api_user(request), payload.household) if payload.household else None
    landlord = selectors.resident_for(api_user(request), payload.landlord) if payload.landlord else None
    registration = services.floating_register(
        by=api_user(request),
        resident=resident,
        origin=payload.origin,
        reason=payload.reason,
        household=household,
        landlord=landlord,
        landlord_name=payload.landlord_name,
        employer=payload.employer,
        registered_on=payload.registered_on,
        expected_until=payload.expected_until,
        has_health_file=payload.has_health_file,
    )
    return Status(201, selectors.floating_registration_for(api_user(request), registration.pk))


@router.post("/floating/{registration_id}/deregister", response=FloatingOut, summary="流动人口注销")
def floating_deregister(request: HttpRequest, registration_id: int, payload: DeregisterIn):
    registration = selectors.floating_registration_for(api_user(request), registration_id)
    services.floating_deregister(
        by=api_user(request),
        registration=registration,
        deregistered_on=payload.deregistered_on,
        reason=payload.reason,
        move_out=payload.move_out,
    )
    return selectors.floating_registration_for(api_user(request), registration_id)
