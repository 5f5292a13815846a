"""Organisations over JSON: thin calls into orgs.selectors and orgs.services."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import User
from gridgov.accounts.selectors import staff_member_for
from gridgov.accounts.services import client_ip
from gridgov.core.errors import NotFound
from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.orgs import selectors, services
from gridgov.orgs.models import Organisation
from gridgov.orgs.schemas import (
    ContactRevealIn,
    ContactRevealOut,
    OrganisationCreateIn,
    OrganisationDetailOut,
    OrganisationFilter,
    OrganisationOut,
    OrganisationPatchIn,
    OrgMemberIn,
    OrgMemberOut,
)
from gridgov.people.selectors import resident_for
from gridgov.places.models import Place
from gridgov.places.selectors import place_for

router = Router(tags=["组织"])


def _detail(request: HttpRequest, organisation_id: int) -> Organisation:
    organisation = selectors.organisation_for(api_user(request), organisation_id)
    # Organisation.members is the reverse relation (all stays); the detail lists current ones.
    organisation.api_members = list(selectors.organisation_members(organisation).order_by("id"))
    return organisation


@router.get("/organisations", response=list[OrganisationOut], summary="组织列表")
@paged
def organisation_list(request: HttpRequest, filters: Query[OrganisationFilter]):
    user = api_user(request)
    return selectors.organisation_search(user, kind=filters.kind or "", q=filters.q).select_related("leader")


@router.get("/organisations/{organisation_id}", response=OrganisationDetailOut, summary="组织详情与成员")
def organisation_detail(request: HttpRequest, organisation_id: int):
    return _detail(request, organisation_id)


def _target_place(user: User, place_id: int) -> Place:
    """A place an organisation is put on: one the user sees in the place tree or may manage
    organisations at. Seeing the street's organisations (ORGS_VIEW) does not reveal its buildings."""
    try:
        return place_for(user, place_id, caps.REGISTRY_VIEW)
    except NotFound:
        return place_for(user, place_id, caps.ORGS_MANAGE)


@router.post("/organisations", response={201: OrganisationDetailOut}, summary="新增组织")
def organisation_create(request: HttpRequest, payload: OrganisationCreateIn):
    user = api_user(request)
    organisation = services.organisation_create(
        by=user,
        kind=payload.kind,
        name=payload.name,
        place=_target_place(user, payload.place),
        parent=selectors.organisation_for(user, payload.parent) if payload.parent else None,
        party_level=payload.party_level or "",
        places=[_target_place(user, place_id) for place_id in payload.places],
        leader=resident_for(user, payload.leader) if payload.leader else None,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        address=payload.address,
        description=payload.description,
    )
    return Status(201, _detail(request, organisation.pk))


@router.patch("/organisations/{organisation_id}", response=OrganisationDetailOut, summary="修改组织")
def organisation_update(request: HttpRequest, organisation_id: int, payload: OrganisationPatchIn):
    user = api_user(request)
    organisation = selectors.organisation_for(user, organisation_id)
    fields = payload.dict(exclude_unset=True)
    if "places" in fields:
        fields["places"] = [_target_place(user, place_id) for place_id in fields["places"]]
    if fields.get("leader") is not None:
        fields["leader"] = resident_for(user, fields["leader"])
    services.organisation_update(by=user, organisation=organisation, **fields)
    return _detail(request, organisation_id)


@router.post("/organisations/{organisation_id}/members", response={201: OrgMemberOut}, summary="添加成员")
def organisation_add_member(request: HttpRequest, organisation_id: int, payload: OrgMemberIn):
    user = api_user(request)
    organisation = selectors.organisation_for(user, organisation_id)
    member = services.organisation_add_member(
        by=user,
        organisation=organisation,
        resident=resident_for(user, payload.resident) if payload.resident else None,
        user=staff_member_for(user, payload.user) if payload.user else None,
        role=payload.role,
        joined_on=payload.joined_on,
    )
    return Status(201, member)


@router.post(
    "/organisations/{organisation_id}/reveal",
    response=ContactRevealOut,
    summary="查看完整联系电话（须填写用途，记入审计）",
)
def organisation_reveal(request: HttpRequest, organisation_id: int, payload: ContactRevealIn):
    organisation = selectors.organisation_for(api_user(request), organisation_id)
    phone = services.organisation_reveal_contact(
        by=api_user(request), organisation=organisation, purpose=payload.purpose, ip=client_ip(request)
    )
    return {"contact_phone": phone}
