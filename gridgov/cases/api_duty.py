"""Duty contacts (值班电话/值班人员) over JSON: who is told at once of every urgent case below a place.

The same services and scope as the configuration page's 值班电话 tab: a configurer sees and sets
the duty of the streets, communities and grids where they hold `cases.configure`; anything else
is not found.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from gridgov.accounts import capabilities as caps
from gridgov.cases import selectors, services
from gridgov.cases.models import DutyContact
from gridgov.core.bounds import DbId
from gridgov.core.errors import NotFound, field_error
from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.places.selectors import AREA_KINDS, places_for

router = Router(tags=["事件配置"])

DUTY_USERS_IN_MAX = 50


class DutyUserOut(Schema):
    id: int
    name: str


class DutyOut(Schema):
    id: int
    place: int = Field(alias="place_id")
    place_name: str
    phone: str = Field(description="值班手机号（脱敏）")
    users: list[DutyUserOut]
    note: str
    is_active: bool

    @staticmethod
    def resolve_place_name(duty: DutyContact) -> str:
        return duty.place.name

    @staticmethod
    def resolve_phone(duty: DutyContact) -> str:
        return duty.phone_masked

    @staticmethod
    def resolve_users(duty: DutyContact) -> list[dict[str, object]]:
        return [{"id": user.pk, "name": str(user)} for user in duty.users.all()]


class DutyIn(Schema):
    phone: str = Field("", max_length=20, description="值班手机号；留空则保留原号码")
    users: list[DbId] = Field(default_factory=list, max_length=DUTY_USERS_IN_MAX, description="值班人员账号ID")
    note: str = Field("", max_length=100)
    is_active: bool = True


@router.get("/duty-contacts", response=list[DutyOut], summary="值班电话与值班人员（紧急事件即时通知）")
@paged
def duty_list(request: HttpRequest):
    return selectors.duty_contacts_for(api_user(request))


@router.put("/duty-contacts/{place_id}", response=DutyOut, summary="设置某地的值班电话与值班人员")
def duty_put(request: HttpRequest, place_id: DbId, payload: DutyIn):
    user = api_user(request)
    place = places_for(user, caps.CASES_CONFIGURE).filter(pk=place_id, kind__in=AREA_KINDS).first()
    if place is None:
        raise NotFound()
    wanted = set(payload.users)
    chosen = list(selectors.duty_candidates(user).filter(pk__in=wanted))
    if len(chosen) != len(wanted):
        # Accounts outside the configurer's scope read exactly like ids that do not exist.
        raise field_error("users", "值班人员不存在或不在您的管辖范围内")
    duty = services.duty_set(
        by=user, place=place, phone=payload.phone, users=chosen, note=payload.note, is_active=payload.is_active
    )
    return selectors.duty_contact_for(user, duty.pk)


@router.delete("/duty-contacts/{place_id}", response={204: None}, summary="删除某地的值班电话与值班人员")
def duty_remove(request: HttpRequest, place_id: DbId):
    user = api_user(request)
    duty = selectors.duty_contacts_for(user).filter(place_id=place_id).first()
    if duty is None:
        raise NotFound()
    services.duty_delete(by=user, duty=duty)
    return Status(204, None)
