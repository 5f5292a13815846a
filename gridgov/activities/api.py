"""团队与活动 over JSON: thin calls into activities.selectors and activities.services."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Status

from gridgov.accounts import capabilities as caps
from gridgov.activities import selectors, services
from gridgov.activities.schemas import (
    ActivityDetailOut,
    ActivityFilter,
    ActivityIn,
    ActivityOut,
    CancelOut,
    CardCheckinIn,
    FigureFilter,
    FigureOut,
    GroupOut,
    JoinIn,
    MemberOut,
    SignupOut,
    TokenCheckinIn,
)
from gridgov.core.errors import NotFound, field_error
from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.places.selectors import place_for

router = Router(tags=["团队与活动"])


def _day(value: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(value, dt.time(), tzinfo=services.SHANGHAI) if value else None


@router.get("/activities/groups", response=list[GroupOut], summary="团队列表")
@paged
def group_list(request: HttpRequest):
    return selectors.groups_for(api_user(request))


@router.get("/activities/groups/{group_id}", response=GroupOut, summary="团队详情")
def group_detail(request: HttpRequest, group_id: int):
    return selectors.group_for(api_user(request), group_id)


@router.post("/activities/groups/{group_id}/join", response={201: MemberOut}, summary="申请加入团队")
def group_join(request: HttpRequest, group_id: int, payload: JoinIn):
    user = api_user(request)
    return Status(
        201, services.group_join(by=user, group=selectors.group_for(user, group_id), note=payload.note)
    )


@router.get(
    "/activities/activities",
    response=list[ActivityOut],
    summary="活动日历（居民：可参加或已报名的；工作人员：辖区内的）",
)
@paged
def activity_list(request: HttpRequest, filters: Query[ActivityFilter]):
    user = api_user(request)
    group = None
    if filters.group:
        try:
            group = selectors.group_for(user, filters.group)
        except NotFound:
            return selectors.activities_for(user).none()
    return selectors.activities_for(
        user, start=_day(filters.start), end=_day(filters.end), group=group, mine=filters.mine
    )


@router.get("/activities/activities/{activity_id}", response=ActivityDetailOut, summary="活动详情")
def activity_detail(request: HttpRequest, activity_id: int):
    return selectors.activity_for(api_user(request), activity_id)


@router.post("/activities/activities", response={201: ActivityDetailOut}, summary="新建活动")
def activity_create(request: HttpRequest, payload: ActivityIn):
    user = api_user(request)
    try:
        place = place_for(user, payload.place, caps.ACTIVITIES_MANAGE)
    except NotFound:
        raise field_error("place", "地点不存在或不在您的管理范围内") from None
    group = None
    if payload.group:
        try:
            group = selectors.group_for(user, payload.group)
        except NotFound:
            raise field_error("group", "团队不存在") from None
    data = payload.dict(exclude={"place", "group"})
    activity = services.activity_create(by=user, place=place, group=group, **data)
    return Status(201, selectors.activity_for(user, activity.pk))


@router.post(
    "/activities/activities/{activity_id}/signup", response={201: SignupOut}, summary="报名（满员进入候补）"
)
def activity_signup(request: HttpRequest, activity_id: int):
    user = api_user(request)
    return Status(201, services.signup_create(by=user, activity=selectors.activity_for(user, activity_id)))


@router.post(
    "/activities/activities/{activity_id}/cancel",
    response=CancelOut,
    summary="取消本人报名（候补第一位自动递补）",
)
def activity_cancel_signup(request: HttpRequest, activity_id: int):
    user = api_user(request)
    signup = selectors.my_signup(user, selectors.activity_for(user, activity_id))
    if signup is None:
        raise NotFound("您没有报名此活动")
    promoted = services.signup_cancel(by=user, signup=signup)
    return {"cancelled": signup.pk, "promoted_resident_id": promoted.resident_id if promoted else None}


@router.post("/activities/activities/{activity_id}/checkin", response=SignupOut, summary="扫居民服务卡签到")
def activity_checkin_card(request: HttpRequest, activity_id: int, payload: CardCheckinIn):
    user = api_user(request)
    activity = selectors.activity_for(user, activity_id)
    return services.checkin_by_card(by=user, activity=activity, payload=payload.payload)


@router.post("/activities/checkin", response=SignupOut, summary="居民扫活动签到码签到")
def activity_checkin_self(request: HttpRequest, payload: TokenCheckinIn):
    user = api_user(request)
    selectors.activity_for(user, services.activity_from_token(payload.token))
    return services.checkin_self(by=user, token=payload.token)


@router.get("/activities/figures", response=list[FigureOut], summary="各团队每月活动统计")
def activity_figures(request: HttpRequest, filters: Query[FigureFilter]):
    user = api_user(request)
    if not selectors.is_staff(user):
        return []
    return [
        {
            "group_id": r.group.pk if r.group else None,
            "group_name": r.group.name if r.group else "社区活动",
            "month": r.month,
            "held": r.held,
            "signups": r.signups,
            "attended": r.attended,
            "attendance_rate": r.attendance_rate,
            "reached": r.reached,
        }
        for r in selectors.figures(user, year=filters.year)
    ]
