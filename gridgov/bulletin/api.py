"""通知公告 over JSON: thin calls into bulletin.selectors and bulletin.services."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from gridgov.accounts import capabilities as caps
from gridgov.bulletin import policy, selectors, services
from gridgov.bulletin.schemas import (
    BuildingReceiptsOut,
    ColumnOut,
    ConfirmOut,
    NoticeDetailOut,
    NoticeFilter,
    NoticeIn,
    NoticeOut,
    RemindOut,
)
from gridgov.core.errors import NotFound, field_error
from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.people.models import Tag
from gridgov.places.selectors import place_for

router = Router(tags=["通知公告"])


@router.get("/bulletin/columns", response=list[ColumnOut], summary="通知栏目")
def column_list(request: HttpRequest):
    api_user(request)
    return list(selectors.columns())


@router.get(
    "/bulletin/notices", response=list[NoticeOut], summary="通知列表（居民：发给我的；工作人员：辖区内的）"
)
@paged
def notice_list(request: HttpRequest, filters: Query[NoticeFilter]):
    user = api_user(request)
    column = None
    if filters.column:
        try:
            column = selectors.column_for(filters.column)
        except NotFound:
            return selectors.notices_for_staff(user).none()
    if selectors.is_staff_reader(user) and not user.resident_id:
        return selectors.notices_for_staff(user, column=column, state=filters.state or "")
    return selectors.notices_for_resident(user, column=column)


@router.get("/bulletin/notices/{notice_id}", response=NoticeDetailOut, summary="通知详情")
def notice_detail(request: HttpRequest, notice_id: int):
    return selectors.notice_for(api_user(request), notice_id)


@router.post("/bulletin/notices", response={201: NoticeDetailOut}, summary="新建通知草稿")
def notice_create(request: HttpRequest, payload: NoticeIn):
    user = api_user(request)
    try:
        column = selectors.column_for(payload.column)
    except NotFound:
        raise field_error("column", "栏目不存在") from None
    try:
        place = place_for(user, payload.place, caps.BULLETIN_PUBLISH)
        targets = [place_for(user, pk, caps.BULLETIN_PUBLISH) for pk in dict.fromkeys(payload.targets)]
    except NotFound:
        raise field_error(
            "targets" if payload.targets else "place", "地点不存在或不在您的发布范围内"
        ) from None
    tags = list(Tag.objects.filter(pk__in=payload.tags, is_active=True))
    if len(tags) != len(set(payload.tags)):
        raise field_error("tags", "人群标签不存在")
    notice = services.notice_save(
        by=user,
        column=column,
        place=place,
        title=payload.title,
        summary=payload.summary,
        body_html=payload.body_html,
        targets=targets,
        tags=tags,
        pinned=payload.pinned,
        needs_receipt=payload.needs_receipt,
        publish_at=payload.publish_at,
        expires_at=payload.expires_at,
    )
    return Status(201, selectors.notice_for(user, notice.pk))


@router.post("/bulletin/notices/{notice_id}/publish", response=NoticeDetailOut, summary="发布（或定时）通知")
def notice_publish(request: HttpRequest, notice_id: int):
    user = api_user(request)
    return services.notice_publish(by=user, notice=selectors.notice_for(user, notice_id))


@router.post("/bulletin/notices/{notice_id}/confirm", response=ConfirmOut, summary="居民确认已读")
def notice_confirm(request: HttpRequest, notice_id: int):
    user = api_user(request)
    receipt = services.notice_confirm(by=user, notice=selectors.notice_for(user, notice_id))
    return {"notice_id": receipt.notice_id, "confirmed_at": receipt.confirmed_at}


@router.get(
    "/bulletin/notices/{notice_id}/receipts",
    response=list[BuildingReceiptsOut],
    summary="各楼栋已读情况与未读住户",
)
def notice_receipts(request: HttpRequest, notice_id: int):
    user = api_user(request)
    notice = selectors.notice_for(user, notice_id)
    policy.check("receipts", user, notice)
    return [
        {
            "building_id": row.building.pk,
            "building_name": row.building.name,
            "total": row.total,
            "confirmed": row.confirmed,
            "unread": [
                {
                    "household_id": item.household.pk,
                    "room": item.household.room,
                    "people": [{"name": p.name, "phone_masked": p.phone_masked} for p in item.people],
                }
                for item in row.unread
            ],
        }
        for row in selectors.receipts_by_building(user, notice)
    ]


@router.post("/bulletin/notices/{notice_id}/remind", response=RemindOut, summary="提醒未读住户")
def notice_remind(request: HttpRequest, notice_id: int):
    user = api_user(request)
    return {"reminded": services.notice_remind_unread(by=user, notice=selectors.notice_for(user, notice_id))}
