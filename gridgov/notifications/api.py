"""JSON API for the signed-in user's own notifications (thin: selectors and services do the work)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gridgov.core.bounds import MAX_OFFSET
from gridgov.core.http import api_user
from gridgov.notifications import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    link: str
    kind: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    is_read: bool


class NotificationPage(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class ListParams(Schema):
    unread: bool = False
    limit: int = Field(20, ge=1, le=100)
    # Bounded: an offset past 64 bits cannot be bound to the query's OFFSET (a 500, not a page).
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ReadAllOut(Schema):
    updated: int
    unread: int


@router.get("/notifications", response=NotificationPage, summary="我的通知")
def list_notifications(request: HttpRequest, params: Query[ListParams]):
    qs = selectors.notifications_for(api_user(request), unread_only=params.unread)
    return {
        "count": qs.count(),
        "unread": selectors.unread_count(api_user(request)),
        "items": list(qs[params.offset : params.offset + params.limit]),
    }


@router.post("/notifications/read-all", response=ReadAllOut, summary="全部标为已读")
def read_all(request: HttpRequest):
    updated = services.notifications_mark_all_read(by=api_user(request))
    return {"updated": updated, "unread": selectors.unread_count(api_user(request))}


@router.post("/notifications/{notification_id}/read", response=NotificationOut, summary="标为已读")
def read_one(request: HttpRequest, notification_id: int):
    return services.notification_mark_read(by=api_user(request), notification_id=notification_id)
