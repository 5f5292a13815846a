"""论坛 over JSON: thin calls into forum.selectors and forum.services."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.forum import policy, selectors, services
from gridgov.forum.models import Topic
from gridgov.forum.schemas import (
    BoardOut,
    ModerateIn,
    ReplyIn,
    ReplyOut,
    ReportIn,
    ReportOut,
    TopicDetailOut,
    TopicIn,
    TopicOut,
)

router = Router(tags=["论坛"])


def _detail(request: HttpRequest, topic_id: int) -> Topic:
    user = api_user(request)
    topic = selectors.topic_for(user, topic_id)
    topic.replies_list = list(selectors.replies_for(user, topic))  # type: ignore[attr-defined]
    return topic


def _detail_out(request: HttpRequest, topic_id: int) -> dict:
    user = api_user(request)
    topic = _detail(request, topic_id)
    identity = None
    if "identity" in policy.allowed(user, topic):
        author = topic.author
        identity = author.resident.name if author.resident is not None else author.username
    return {
        **TopicOut.from_orm(topic).dict(),
        "body": topic.body,
        "held_reason": topic.held_reason,
        "author_identity": identity,
        "case_state": topic.case.get_state_display() if topic.case else None,
        "case_result": topic.case.result
        if topic.case and topic.case.state in ("resolved", "closed")
        else None,
        "replies": [ReplyOut.from_orm(r).dict() for r in topic.replies_list],  # type: ignore[attr-defined]
    }


@router.get("/forum/boards", response=list[BoardOut], summary="论坛版块")
def board_list(request: HttpRequest):
    return list(selectors.boards_for(api_user(request))[:200])


@router.get("/forum/boards/{board_id}/topics", response=list[TopicOut], summary="版块中的帖子")
@paged
def topic_list(request: HttpRequest, board_id: int):
    user = api_user(request)
    return selectors.topics_for(user, selectors.board_for(user, board_id))


@router.post(
    "/forum/boards/{board_id}/topics",
    response={201: TopicDetailOut},
    summary="发帖（含敏感词或新用户时待审核）",
)
def topic_create(request: HttpRequest, board_id: int, payload: TopicIn):
    user = api_user(request)
    topic = services.topic_create(
        by=user, board=selectors.board_for(user, board_id), title=payload.title, body=payload.body
    )
    return Status(201, _detail_out(request, topic.pk))


@router.get("/forum/topics/{topic_id}", response=TopicDetailOut, summary="帖子与回复")
def topic_detail(request: HttpRequest, topic_id: int):
    return _detail_out(request, topic_id)


@router.post("/forum/topics/{topic_id}/replies", response={201: ReplyOut}, summary="回复")
def reply_create(request: HttpRequest, topic_id: int, payload: ReplyIn):
    user = api_user(request)
    return Status(
        201, services.reply_create(by=user, topic=selectors.topic_for(user, topic_id), body=payload.body)
    )


@router.post("/forum/topics/{topic_id}/report", response={201: ReportOut}, summary="举报帖子或回复")
def topic_report(request: HttpRequest, topic_id: int, payload: ReportIn):
    user = api_user(request)
    topic = selectors.topic_for(user, topic_id)
    reply = selectors.reply_for(user, topic, payload.reply) if payload.reply else None
    return Status(201, services.post_report(by=user, topic=topic, reply=reply, reason=payload.reason))


@router.post("/forum/topics/{topic_id}/moderate", response=TopicDetailOut, summary="审核、隐藏、锁定、置顶")
def topic_moderate(request: HttpRequest, topic_id: int, payload: ModerateIn):
    user = api_user(request)
    services.topic_moderate(
        by=user, topic=selectors.topic_for(user, topic_id), action=payload.action, note=payload.note
    )
    return _detail_out(request, topic_id)


@router.post("/forum/topics/{topic_id}/case", response=TopicDetailOut, summary="转为事件")
def topic_to_case(request: HttpRequest, topic_id: int):
    user = api_user(request)
    services.topic_to_case(by=user, topic=selectors.topic_for(user, topic_id))
    return _detail_out(request, topic_id)
