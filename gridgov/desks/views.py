"""Desk pages: staff log walk-ins and keep rosters on the PC; residents see today's duty."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.pages import page_access
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.http import AuthedHttpRequest
from gridgov.desks import selectors, services
from gridgov.desks.models import WEEKDAYS, Handling, Topic
from gridgov.mediation.models import DisputeType


def _errors(request: AuthedHttpRequest, exc: Exception) -> None:
    messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))


@page_access("desks:list")
@require_GET
def desk_list(request: AuthedHttpRequest) -> HttpResponse:
    desks = list(selectors.desks_for(request.user).select_related("place")[:200])
    return render(
        request,
        "desks/list.html",
        {
            "desks": desks,
            "turns": selectors.on_duty(desks, clock.today()),
            "figures": selectors.figures(request.user)[:60],
        },
    )


@page_access("desks:list")
@require_GET
def desk_detail(request: AuthedHttpRequest, desk_id: int) -> HttpResponse:
    desk = selectors.desk_for(request.user, desk_id)
    return render(
        request,
        "desks/detail.html",
        {
            "desk": desk,
            "slots": list(desk.slots.all()),
            "turns": selectors.on_duty([desk], clock.today()),
            "walkins": list(selectors.walkins_of(desk)[:100]),
            "topics": Topic.choices,
            "handlings": Handling.choices,
            "weekdays": WEEKDAYS,
            "dispute_types": DisputeType.choices,
        },
    )


def _time(value: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        return None


@page_access("desks:list")
@require_POST
def desk_action(request: AuthedHttpRequest, desk_id: int, action: str) -> HttpResponse:
    desk = selectors.desk_for(request.user, desk_id)
    post, user = request.POST, request.user
    try:
        if action == "walkin":
            services.walkin_log(
                by=user,
                desk=desk,
                visitor=post.get("visitor", ""),
                topic=post.get("topic", ""),
                summary=post.get("summary", ""),
                handling=post.get("handling", Handling.ON_SPOT),
            )
            messages.success(request, "来访已登记")
        elif action == "slot":
            starts, ends = _time(post.get("starts", "")), _time(post.get("ends", ""))
            if starts is None or ends is None or not post.get("weekday", "").isdigit():
                raise ValidationError("请填写星期和起止时间")
            services.slot_add(
                by=user,
                desk=desk,
                weekday=int(post["weekday"]),
                starts=starts,
                ends=ends,
                person=post.get("person", ""),
                role_note=post.get("role_note", ""),
            )
            messages.success(request, "值班已添加")
        elif action == "change":
            slot = (
                desk.slots.filter(pk=post.get("slot") or 0).first()
                if (post.get("slot") or "").isdigit()
                else None
            )
            if slot is None:
                raise NotFound()
            try:
                on = dt.date.fromisoformat(post.get("on", ""))
            except ValueError:
                raise ValidationError("请填写日期") from None
            services.duty_change(
                by=user, slot=slot, on=on, substitute=post.get("substitute", ""), note=post.get("note", "")
            )
            messages.success(request, "调班已记录")
        elif action in ("to_case", "to_mediation"):
            walkin = (
                desk.walkins.filter(pk=post.get("walkin") or 0).first()
                if (post.get("walkin") or "").isdigit()
                else None
            )
            if walkin is None:
                raise NotFound()
            if action == "to_case":
                case = services.walkin_to_case(by=user, walkin=walkin)
                messages.success(request, f"已转为事件 {case.tracking_code}")
            else:
                dispute = services.walkin_to_dispute(
                    by=user,
                    walkin=walkin,
                    dispute_type=post.get("dispute_type", "neighbour"),
                    respondent=post.get("respondent", "")[:100],
                )
                messages.success(request, "已转为调解案件")
                return redirect("mediation:detail", dispute.pk)
        else:
            raise NotFound()
    except (ValidationError, Forbidden) as exc:
        _errors(request, exc)
    return redirect("desks:detail", desk.pk)


@page_access("desks:today")
@require_GET
def today(request: AuthedHttpRequest) -> HttpResponse:
    desks = list(selectors.public_desks(request.user).select_related("place")[:50])
    day = clock.today()
    return render(
        request, "desks/today.html", {"desks": desks, "turns": selectors.on_duty(desks, day), "day": day}
    )
