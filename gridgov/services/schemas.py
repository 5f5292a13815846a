"""Shapes of the 生活快车 API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from gridgov.services.models import Order, ServiceItem, Volunteer


class ItemOut(Schema):
    id: int
    code: str
    name: str
    category: str
    description: str
    pricing: str
    price_label: str
    skills: list[str]
    duration_minutes: int
    eligible_tags: list[str] = Field(description="限定人群的标签代码；空表示所有居民")
    home_visit: bool

    @staticmethod
    def resolve_category(obj: ServiceItem) -> str:
        return obj.category.name


class OrderOut(Schema):
    id: int
    item_id: int
    item_name: str
    resident_name: str
    state: str
    state_label: str
    channel: str
    window_start: dt.datetime
    window_end: dt.datetime
    note: str
    team_name: str
    provider_name: str
    done_note: str
    rating: int | None
    rating_comment: str
    hours: Decimal | None
    ended_reason: str
    case_id: int | None
    actions: list[str] = Field(description="当前用户此刻可执行的操作")

    @staticmethod
    def resolve_item_name(obj: Order) -> str:
        return obj.item.name

    @staticmethod
    def resolve_resident_name(obj: Order) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_state_label(obj: Order) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_team_name(obj: Order) -> str:
        return obj.team.name if obj.team_id and obj.team else ""

    @staticmethod
    def resolve_provider_name(obj: Order) -> str:
        return obj.provider_label

    @staticmethod
    def resolve_actions(obj: Order) -> list[str]:
        return sorted(getattr(obj, "api_actions", ()))


class OrderIn(Schema):
    resident: int = Field(description="居民ID（居民本人下单时填自己的）")
    item: int
    window_start: dt.datetime
    window_end: dt.datetime
    note: str = Field("", max_length=500)
    channel: str = Field("app", max_length=8, description="app 居民点单 / phone 电话代办 / desk 窗口代办")
    merchant: int | None = Field(None, description="爱心商户ID（按便民服务协议下单时）")


class DispatchIn(Schema):
    volunteer: int


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=200)


class NoShowIn(Schema):
    reason: str = Field(..., max_length=200)
    side: str = Field(..., max_length=10, description="provider 服务方爽约 / resident 居民不在家")


class RateIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=300)


class CaseIn(Schema):
    text: str = Field(..., max_length=2000)


class ProposalOut(Schema):
    volunteer_id: int
    name: str
    skills: list[str]
    skill_match: bool
    available: bool
    open_orders: int
    reasons: str


class VolunteerOut(Schema):
    id: int
    resident_id: int
    name: str
    skills: list[str]
    availability: str
    status: str
    status_label: str
    hours_total: Decimal
    points: int

    @staticmethod
    def resolve_name(obj: Volunteer) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_availability(obj: Volunteer) -> str:
        return obj.availability_label

    @staticmethod
    def resolve_status_label(obj: Volunteer) -> str:
        return obj.get_status_display()


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


class HoursIn(Schema):
    started_at: dt.datetime
    ended_at: dt.datetime
    reason: str = Field(..., max_length=200)


class HoursOut(Schema):
    id: int
    kind: str
    hours: Decimal
    points: int
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    reason: str
    corrects_id: int | None
