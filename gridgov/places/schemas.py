"""Shapes of the places and households API: what goes over the wire, nothing more."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from gridgov.accounts.capabilities import REGISTRY_VIEW
from gridgov.accounts.scope import has_capability
from gridgov.people.models import Membership
from gridgov.places.models import Household, Place, PlaceKind, ResidenceKind


class PlaceBrief(Schema):
    id: int
    kind: PlaceKind
    name: str


class PlaceOut(Schema):
    id: int
    kind: PlaceKind
    kind_label: str
    name: str
    code: str
    parent_id: int | None
    path: str = Field(description="物化路径，子树查询用")
    depth: int
    latitude: float | None
    longitude: float | None
    households_min: int | None
    households_max: int | None

    @staticmethod
    def resolve_kind_label(obj: Place) -> str:
        return PlaceKind(obj.kind).label


class PlaceDetailOut(PlaceOut):
    boundary: dict[str, Any] | None
    breadcrumbs: list[PlaceBrief]


class PlaceCountsOut(PlaceOut):
    households: int = Field(description="子树内的户数")
    residents: int = Field(description="子树内的居民数")
    children: int = Field(description="直接下级数")


class PlaceFilter(Schema):
    parent: int | None = Field(None, description="只列出该地点的直接下级")
    kind: PlaceKind | None = Field(None, description="地点类型")
    within: int | None = Field(None, description="只列出该地点子树内的地点（含自身）")


class PlaceCreateIn(Schema):
    parent: int | None = Field(None, description="上级地点；只有系统管理员可创建顶级地点")
    kind: PlaceKind
    name: str = Field(max_length=100)
    code: str = Field("", max_length=40)
    latitude: float | None = None
    longitude: float | None = None


class PlacePatchIn(Schema):
    """Only the fields sent are changed; null clears a nullable field."""

    name: str = Field("", max_length=100)
    code: str = Field("", max_length=40)
    latitude: float | None = None
    longitude: float | None = None
    households_min: int | None = Field(None, ge=0)
    households_max: int | None = Field(None, ge=0)
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON 几何对象")


class GridBalanceOut(Schema):
    grid: PlaceBrief
    households: int
    minimum: int
    maximum: int
    status: str = Field(description="under / ok / over")
    status_label: str


class HouseholdOut(Schema):
    id: int
    place: PlaceBrief
    room: str
    address: str
    residence_kind: ResidenceKind
    residence_kind_label: str
    landlord_id: int | None
    landlord_name: str
    area_sqm: Decimal | None
    notes: str
    member_count: int = Field(0, description="现住成员数")

    @staticmethod
    def resolve_notes(obj: Household, context: dict) -> str:
        # Staff-internal: a resident of the household sees it without (people finding 7).
        request = (context or {}).get("request")
        return obj.notes if request is not None and has_capability(request.user, REGISTRY_VIEW, obj.place) else ""

    @staticmethod
    def resolve_residence_kind_label(obj: Household) -> str:
        return obj.get_residence_kind_display()

    @staticmethod
    def resolve_landlord_name(obj: Household) -> str:
        return obj.landlord.name if obj.landlord is not None else ""


class MemberOut(Schema):
    """One stay of a resident in a household (a Membership), with the person masked."""

    membership_id: int
    resident_id: int
    name: str
    relation: str
    relation_label: str
    gender: str
    age: int | None
    id_number_masked: str
    phone_masked: str
    moved_in: dt.date | None
    moved_out: dt.date | None
    move_out_reason: str

    @staticmethod
    def resolve_membership_id(obj: Membership) -> int:
        return obj.pk

    @staticmethod
    def resolve_name(obj: Membership) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_relation_label(obj: Membership) -> str:
        return obj.get_relation_display()

    @staticmethod
    def resolve_gender(obj: Membership) -> str:
        return obj.resident.gender

    @staticmethod
    def resolve_age(obj: Membership) -> int | None:
        return obj.resident.age()

    @staticmethod
    def resolve_id_number_masked(obj: Membership) -> str:
        return obj.resident.id_number_masked

    @staticmethod
    def resolve_phone_masked(obj: Membership) -> str:
        return obj.resident.phone_masked


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut] = Field(description="现住成员（身份证号、手机号已脱敏）")
    past_members: list[MemberOut] = Field(description="已迁出的成员（一户一档的历史）")


class HouseholdFilter(Schema):
    place: int | None = Field(None, description="只列出该地点子树内的户")
    q: str = Field("", max_length=100, description="按地址或房号查找")


class HouseholdCreateIn(Schema):
    place: int = Field(description="楼栋或单元")
    room: str = Field(max_length=20)
    residence_kind: ResidenceKind = ResidenceKind.OWNER
    landlord: int | None = Field(None, description="房东（居民编号），出租户填写")
    area_sqm: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=2)
    notes: str = ""


class HouseholdPatchIn(Schema):
    """Only the fields sent are changed; null clears the landlord or the area."""

    room: str = Field("", max_length=20)
    residence_kind: ResidenceKind = ResidenceKind.OWNER
    landlord: int | None = None
    area_sqm: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=2)
    notes: str = ""
