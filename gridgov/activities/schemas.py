"""Shapes of the groups and activities API."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from gridgov.activities.models import NAME_MAX, TEXT_MAX, ActivityState, GroupKind, MemberState, SignupState


class GroupOut(Schema):
    id: int
    name: str
    kind: GroupKind
    place_id: int
    parent_id: int | None
    description: str
    is_open: bool
    member_count: int


class MemberOut(Schema):
    id: int
    group_id: int
    state: MemberState
    role: str


class ActivityOut(Schema):
    id: int
    title: str
    group_id: int | None
    place_id: int
    location: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    signup_required: bool
    min_age: int | None
    max_age: int | None
    state: ActivityState
    confirmed_count: int
    waiting_count: int
    attended_count: int


class ActivityDetailOut(ActivityOut):
    description: str
    report: str


class ActivityFilter(Schema):
    start: dt.date | None = Field(None, ge=dt.date(2000, 1, 1), le=dt.date(2100, 1, 1))
    end: dt.date | None = Field(None, ge=dt.date(2000, 1, 1), le=dt.date(2100, 1, 1))
    group: int | None = Field(None, ge=1, le=2**31 - 1)
    mine: bool = False


class ActivityIn(Schema):
    title: str = Field(max_length=NAME_MAX)
    place: int = Field(ge=1, le=2**31 - 1)
    group: int | None = Field(None, ge=1, le=2**31 - 1)
    location: str = Field(max_length=100)
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = Field(0, ge=0, le=10000)
    signup_required: bool = True
    min_age: int | None = Field(None, ge=0, le=120)
    max_age: int | None = Field(None, ge=0, le=120)
    description: str = Field("", max_length=TEXT_MAX)


class SignupOut(Schema):
    id: int
    activity_id: int
    state: SignupState
    checked_in_at: dt.datetime | None


class CancelOut(Schema):
    cancelled: int
    promoted_resident_id: int | None


class JoinIn(Schema):
    note: str = Field("", max_length=200)


class CardCheckinIn(Schema):
    payload: str = Field(max_length=400, description="居民服务卡二维码内容（GG1:…）")


class TokenCheckinIn(Schema):
    token: str = Field(max_length=400, description="活动签到码内容")


class FigureOut(Schema):
    group_id: int | None
    group_name: str
    month: dt.date
    held: int
    signups: int
    attended: int
    attendance_rate: int
    reached: int


class FigureFilter(Schema):
    year: int = Field(2026, ge=2000, le=2100)
