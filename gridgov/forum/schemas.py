"""Shapes of the forum API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from gridgov.forum.models import BODY_MAX, TITLE_MAX, PostState


class BoardOut(Schema):
    id: int
    place_id: int
    name: str
    description: str


class TopicOut(Schema):
    id: int
    board_id: int
    alias: str
    title: str
    state: PostState
    locked: bool
    pinned: bool
    reply_count: int
    case_id: int | None
    created_at: dt.datetime
    last_activity_at: dt.datetime


class ReplyOut(Schema):
    id: int
    alias: str
    body: str
    state: PostState
    created_at: dt.datetime


class TopicDetailOut(TopicOut):
    body: str
    held_reason: str
    author_identity: str | None = Field(None, description="发帖人真实身份：仅辖区管理人员可见")
    case_state: str | None = None
    case_result: str | None = None
    replies: list[ReplyOut]


class TopicIn(Schema):
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)


class ReplyIn(Schema):
    body: str = Field(max_length=BODY_MAX)


class ReportIn(Schema):
    reason: str = Field(max_length=200)
    reply: int | None = Field(None, ge=1, le=2**31 - 1)


class ReportOut(Schema):
    id: int


class ModerateIn(Schema):
    action: Literal["approve", "hide", "show", "lock", "unlock", "pin", "unpin"]
    note: str = Field("", max_length=200)
