"""生活快车 over JSON: thin calls into services.selectors and services.services."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from gridgov.core.http import api_user
from gridgov.core.paging import paged
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.people.selectors import resident_for
from gridgov.services import policy, selectors, services
from gridgov.services.models import Order
from gridgov.services.schemas import (
    CaseIn,
    DecisionIn,
    DispatchIn,
    HoursIn,
    HoursOut,
    ItemOut,
    NoShowIn,
    NoteIn,
    OrderIn,
    OrderOut,
    ProposalOut,
    RateIn,
    ReasonIn,
    VolunteerOut,
)

router = Router(tags=["生活快车"])


def _out(request: HttpRequest, order: Order) -> Order:
    user = api_user(request)
    fresh = selectors.order_for(user, order.pk)
    fresh.api_actions = policy.allowed(user, fresh)  # type: ignore[attr-defined]
    return fresh


@router.get("/services/items", response=list[ItemOut], summary="服务目录")
def item_list(request: HttpRequest):
    api_user(request)
    return list(selectors.catalogue())


@router.get("/services/orders", response=list[OrderOut], summary="我能看到的服务订单")
@paged
def order_list(request: HttpRequest):
    return selectors.orders_for(api_user(request)).order_by("-created_at", "-pk")


@router.get("/services/orders/{order_id}", response=OrderOut, summary="订单详情")
def order_detail(request: HttpRequest, order_id: int):
    return _out(request, selectors.order_for(api_user(request), order_id))


def _resident(request: HttpRequest, resident_id: int):
    user = api_user(request)
    if user.resident_id == resident_id and user.resident is not None:
        return user.resident
    return resident_for(user, resident_id)


@router.post("/services/orders", response={201: OrderOut}, summary="点单 / 帮代办")
def order_create(request: HttpRequest, payload: OrderIn):
    user = api_user(request)
    merchant = None
    if payload.merchant is not None:
        merchant = Organisation.objects.filter(
            pk=payload.merchant, kind=OrgKind.MERCHANT, is_active=True
        ).first()
        if merchant is None:
            from gridgov.core.errors import field_error

            raise field_error("merchant", "爱心商户不存在")
    order = services.order_place(
        by=user,
        resident=_resident(request, payload.resident),
        item=selectors.item_for(payload.item),
        window_start=payload.window_start,
        window_end=payload.window_end,
        note=payload.note,
        channel=payload.channel,
        merchant=merchant,
    )
    return Status(201, _out(request, order))


@router.get("/services/orders/{order_id}/proposals", response=list[ProposalOut], summary="派单推荐")
def order_proposals(request: HttpRequest, order_id: int):
    user = api_user(request)
    order = selectors.order_for(user, order_id)
    if "dispatch" not in policy.allowed(user, order):
        policy.check("dispatch", user, order)
    return [
        {
            "volunteer_id": p.volunteer.pk,
            "name": p.volunteer.resident.name,
            "skills": p.volunteer.skills,
            "skill_match": p.skill_match,
            "available": p.available,
            "open_orders": p.open_orders,
            "reasons": p.reasons,
        }
        for p in services.dispatch_proposals(order)
    ]


@router.post("/services/orders/{order_id}/dispatch", response=OrderOut, summary="下单（派给队员）")
def order_dispatch(request: HttpRequest, order_id: int, payload: DispatchIn):
    user = api_user(request)
    order = selectors.order_for(user, order_id)
    policy.check("dispatch", user, order)
    volunteer = next((v for v in services.dispatch_candidates(order) if v.pk == payload.volunteer), None)
    if volunteer is None:
        from gridgov.core.errors import field_error

        raise field_error("volunteer", "该志愿者不是本服务队已审核的队员")
    return _out(request, services.order_dispatch(by=user, order=order, volunteer=volunteer))


@router.post("/services/orders/{order_id}/grab", response=OrderOut, summary="抢单")
def order_grab(request: HttpRequest, order_id: int):
    user = api_user(request)
    return _out(request, services.order_grab(by=user, order=selectors.order_for(user, order_id)))


@router.post("/services/orders/{order_id}/arrive", response=OrderOut, summary="登记到达")
def order_arrive(request: HttpRequest, order_id: int, payload: NoteIn):
    user = api_user(request)
    return _out(
        request, services.order_arrive(by=user, order=selectors.order_for(user, order_id), note=payload.note)
    )


@router.post("/services/orders/{order_id}/complete", response=OrderOut, summary="登记完成")
def order_complete(request: HttpRequest, order_id: int, payload: NoteIn):
    user = api_user(request)
    return _out(
        request,
        services.order_complete(by=user, order=selectors.order_for(user, order_id), note=payload.note),
    )


@router.post("/services/orders/{order_id}/rate", response=OrderOut, summary="确认并评价")
def order_rate(request: HttpRequest, order_id: int, payload: RateIn):
    user = api_user(request)
    order = selectors.order_for(user, order_id)
    return _out(
        request, services.order_rate(by=user, order=order, rating=payload.rating, comment=payload.comment)
    )


@router.post("/services/orders/{order_id}/cancel", response=OrderOut, summary="取消订单")
def order_cancel(request: HttpRequest, order_id: int, payload: ReasonIn):
    user = api_user(request)
    return _out(
        request,
        services.order_cancel(by=user, order=selectors.order_for(user, order_id), reason=payload.reason),
    )


@router.post("/services/orders/{order_id}/release", response=OrderOut, summary="退单")
def order_release(request: HttpRequest, order_id: int, payload: ReasonIn):
    user = api_user(request)
    return _out(
        request,
        services.order_release(by=user, order=selectors.order_for(user, order_id), reason=payload.reason),
    )


@router.post("/services/orders/{order_id}/no-show", response=OrderOut, summary="登记爽约")
def order_no_show(request: HttpRequest, order_id: int, payload: NoShowIn):
    user = api_user(request)
    order = selectors.order_for(user, order_id)
    return _out(
        request, services.order_no_show(by=user, order=order, reason=payload.reason, side=payload.side)
    )


@router.post("/services/orders/{order_id}/case", response=OrderOut, summary="服务中发现的问题转为事件")
def order_case(request: HttpRequest, order_id: int, payload: CaseIn):
    user = api_user(request)
    return _out(
        request,
        services.order_raise_case(by=user, order=selectors.order_for(user, order_id), text=payload.text),
    )


@router.get("/services/volunteers", response=list[VolunteerOut], summary="志愿者")
@paged
def volunteer_list(request: HttpRequest):
    return selectors.volunteers_for(api_user(request))


@router.post("/services/volunteers/{volunteer_id}/decision", response=VolunteerOut, summary="审核志愿者注册")
def volunteer_decision(request: HttpRequest, volunteer_id: int, payload: DecisionIn):
    user = api_user(request)
    volunteer = selectors.volunteer_for(user, volunteer_id)
    services.volunteer_decide(by=user, volunteer=volunteer, approve=payload.approve, note=payload.note)
    return selectors.volunteer_for(user, volunteer_id)


@router.get("/services/volunteers/{volunteer_id}/hours", response=list[HoursOut], summary="服务时长台账")
def volunteer_hours(request: HttpRequest, volunteer_id: int):
    return list(selectors.hours_ledger(selectors.volunteer_for(api_user(request), volunteer_id)))


@router.post("/services/volunteers/{volunteer_id}/hours", response={201: HoursOut}, summary="补录服务时长")
def volunteer_hours_add(request: HttpRequest, volunteer_id: int, payload: HoursIn):
    user = api_user(request)
    volunteer = selectors.volunteer_for(user, volunteer_id)
    entry = services.hours_add(
        by=user,
        volunteer=volunteer,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        reason=payload.reason,
    )
    return Status(201, entry)
