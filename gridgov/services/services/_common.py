"""Pieces every 生活快车 write shares: text checks, the order timeline, notifications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction

from gridgov.accounts.scope import actor_label, as_user
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core import clock
from gridgov.core.errors import NotFound, field_error
from gridgov.core.text import text_problem
from gridgov.services.models import Order, OrderEvent

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor


def clean_text(value: Any, field: str, label: str, *, max_length: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise field_error(field, f"请填写{label}")
    if len(text) > max_length:
        raise field_error(field, f"{label}不能超过{max_length}个字，当前{len(text)}个字")
    problem = text_problem(text, label, multiline=True)
    if problem:
        raise field_error(field, problem)
    return text


def lock_order(order: Order | int) -> Order:
    pk = order.pk if isinstance(order, Order) else order
    locked = (
        Order.objects.select_for_update(of=("self",))
        .select_related("item", "resident", "team", "merchant", "provider", "place")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def event(order: Order, *, by: Actor, kind: str, note: str = "") -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        actor=as_user(by),
        actor_label=actor_label(by)[:60],
        note=note[:500],
        at=clock.now(),
    )


def audit(
    order: Order, *, by: Actor, what: str, changes: dict[str, Any], action: str = AuditAction.UPDATE
) -> None:
    audit_record(
        actor=by,
        action=action,
        target=order,
        target_label=f"服务订单 {order.pk}：{order.item.name}（{what}）",
        place_path=order.place_path,
        changes=changes,
    )


def order_link(order: Order) -> str:
    return f"/services/orders/{order.pk}/"


def tell(
    users: Iterable[User | None], *, title: str, body: str, link: str = "", kind: str = "services"
) -> None:
    from gridgov.notifications.services import notify

    wanted = {user.pk: user for user in users if user is not None and user.pk}
    if wanted:
        notify(recipients=list(wanted.values()), title=title, body=body[:200], link=link, kind=kind)


def on_commit(func: Any) -> None:
    transaction.on_commit(func)
