"""Shapes of the notices API."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from gridgov.bulletin.models import SUMMARY_MAX, TITLE_MAX, NoticeState


class ColumnOut(Schema):
    id: int
    name: str
    description: str
    sort_order: int
    is_active: bool


class NoticeOut(Schema):
    id: int
    column_id: int
    column_name: str = Field(alias="column.name")
    place_id: int
    title: str
    summary: str
    state: NoticeState
    publish_at: dt.datetime | None
    expires_at: dt.datetime | None
    pinned: bool
    needs_receipt: bool
    confirmed_count: int


class NoticeDetailOut(NoticeOut):
    body_html: str = Field(description="已净化的HTML（仅允许段落、列表、链接和本通知的图片）")


class NoticeFilter(Schema):
    column: int | None = Field(None, ge=1, le=2**31 - 1)
    state: NoticeState | None = None


class NoticeIn(Schema):
    column: int = Field(ge=1, le=2**31 - 1)
    place: int = Field(ge=1, le=2**31 - 1, description="发布单位（须有发布权限）")
    title: str = Field(max_length=TITLE_MAX)
    summary: str = Field("", max_length=SUMMARY_MAX)
    body_html: str = Field("", max_length=50_000)
    targets: list[int] = Field(default_factory=list, max_length=200)
    tags: list[int] = Field(default_factory=list, max_length=50)
    pinned: bool = False
    needs_receipt: bool = False
    publish_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


class UnreadPersonOut(Schema):
    name: str
    phone_masked: str


class UnreadHouseholdOut(Schema):
    household_id: int
    room: str
    people: list[UnreadPersonOut]


class BuildingReceiptsOut(Schema):
    building_id: int
    building_name: str
    total: int
    confirmed: int
    unread: list[UnreadHouseholdOut]


class ConfirmOut(Schema):
    notice_id: int
    confirmed_at: dt.datetime


class RemindOut(Schema):
    reminded: int
