"""The overdue-order sweep: an order nobody took goes to the team leader, then to community staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

from gridgov.accounts.scope import SYSTEM
from gridgov.core import clock
from gridgov.services.models import Escalation, Order, OrderState
from gridgov.services.services._common import event, order_link, tell


@dataclass
class OrderSweepResult:
    to_leader: int = 0
    to_community: int = 0


def _lock_skipping(pk: int) -> Order | None:
    qs = Order.objects.filter(pk=pk).select_related("item", "resident", "team", "place")
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",)).first()
    return qs.select_for_update(of=("self",)).first()


def order_sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> OrderSweepResult:
    """Open orders whose window has begun go to the team leader; past its end, to the community.
    Each order moves at most one rung per run, under its row lock, so parallel sweeps agree."""
    from gridgov.services.services.orders import _leaders, community_staff

    now = now or clock.now()
    result = OrderSweepResult()
    pks = list(
        Order.objects.filter(state=OrderState.OPEN, escalation__lt=Escalation.COMMUNITY, window_start__lt=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in pks:
        with transaction.atomic():
            order = _lock_skipping(pk)
            if order is None or order.state != OrderState.OPEN:
                continue
            leaders = _leaders(order.team)
            body = f"{order.resident.name}的“{order.item.name}”到期无人接单"
            if order.escalation == Escalation.NONE and order.window_end > now and leaders:
                order.escalation = Escalation.LEADER
                order.save(update_fields=["escalation"])
                event(order, by=SYSTEM, kind="overdue", note="到期无人接单，已提醒服务队队长派单")
                tell(
                    leaders,
                    title="订单到期无人接单，请派单",
                    body=body,
                    link=order_link(order),
                    kind="services.overdue",
                )
                result.to_leader += 1
            elif order.window_end <= now or not leaders:
                order.escalation = Escalation.COMMUNITY
                order.save(update_fields=["escalation"])
                event(order, by=SYSTEM, kind="overdue", note="超过服务时段仍无人接单，已转社区处理")
                tell(
                    community_staff(order),
                    title="订单超时无人接单，已转社区",
                    body=body,
                    link=order_link(order),
                    kind="services.overdue",
                )
                result.to_community += 1
    return result
