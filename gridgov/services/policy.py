"""Who may do what to a service order: one rule per action, read by services and pages alike.

A user sees an order as its resident, as staff holding services.view over the resident's home,
as a member of the team it went to (the team, and a leader of the team above a sub-team), as the
merchant it went to, or as its provider. Anything else is NotFound, like a missing order.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability_at, is_system, is_unrestricted, require_actor, scope_q
from gridgov.core.errors import Forbidden, NotFound
from gridgov.orgs.models import OrgKind, OrgMember
from gridgov.services.models import Order, OrderState, Volunteer, VolunteerStatus

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

LEADER_ROLES = ("队长", "分队长", "站长")


class OrderConflict(ValidationError):
    """The order moved on (someone else took it, it was cancelled …)."""

    def __init__(self, message: str) -> None:
        super().__init__({"state": [message]})


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def memberships_q(user: Actor) -> Q:
    """Current OrgMember rows that are this user (by account or by their resident card)."""
    condition = Q(user_id=user.pk) if user.pk else Q(pk__in=[])
    resident_id = getattr(user, "resident_id", None)
    if resident_id:
        condition |= Q(resident_id=resident_id)
    return condition & Q(left_on__isnull=True)


def team_ids(user: Actor) -> set[int]:
    """Teams the user serves in, plus the sub-teams of those they lead."""
    if not _active(user) or is_system(user) or not user.pk:
        return set()
    cached: set[int] | None = getattr(user, "_services_team_ids", None)
    if cached is not None:
        return cached
    rows = list(
        OrgMember.objects.filter(memberships_q(user), organisation__kind=OrgKind.TEAM).values_list(
            "organisation_id", "role"
        )
    )
    ids = {org_id for org_id, _ in rows}
    led = led_team_ids(user)
    from gridgov.orgs.models import Organisation

    ids |= led | set(
        Organisation.objects.filter(parent_id__in=led, kind=OrgKind.TEAM).values_list("pk", flat=True)
    )
    setattr(user, "_services_team_ids", ids)  # noqa: B010 — a per-request cache on the user object
    return ids


def led_team_ids(user: Actor) -> set[int]:
    """Teams the user leads: 队长 by membership role, or the organisation's recorded leader."""
    if not _active(user) or is_system(user) or not user.pk:
        return set()
    from gridgov.orgs.models import Organisation

    ids = set(
        OrgMember.objects.filter(
            memberships_q(user), organisation__kind=OrgKind.TEAM, role__in=LEADER_ROLES
        ).values_list("organisation_id", flat=True)
    )
    leader_of = getattr(user, "resident_id", None)
    if leader_of:
        ids |= set(
            Organisation.objects.filter(kind=OrgKind.TEAM, leader_id=leader_of).values_list("pk", flat=True)
        )
    subs = set(Organisation.objects.filter(parent_id__in=ids, kind=OrgKind.TEAM).values_list("pk", flat=True))
    return ids | subs


def volunteer_of(user: Actor) -> Volunteer | None:
    resident_id = getattr(user, "resident_id", None)
    if not _active(user) or not resident_id:
        return None
    return Volunteer.objects.filter(resident_id=resident_id).first()


def merchant_of(user: Actor) -> int | None:
    org_id: int | None = getattr(user, "organisation_id", None)
    if not _active(user) or not org_id:
        return None
    org = getattr(user, "organisation", None)
    return org_id if org is not None and org.kind == OrgKind.MERCHANT else None


def visible_q(user: Actor) -> Q:
    """Orders the user may see at all."""
    if is_unrestricted(user):
        return Q()
    condition = scope_q(user, caps.SERVICES_VIEW, field="place_path")
    if user.pk:
        condition |= Q(provider_user_id=user.pk) | Q(ordered_by_id=user.pk)
    own = getattr(user, "resident_id", None)
    if own:
        condition |= Q(resident_id=own)
    teams = team_ids(user)
    if teams:
        condition |= Q(team_id__in=teams)
    merchant = merchant_of(user)
    if merchant:
        condition |= Q(merchant_id=merchant)
    return condition


class _Facts:
    def __init__(self, user: Actor, order: Order) -> None:
        self.user, self.order = user, order
        self.system = is_system(user)

    @cached_property
    def resident(self) -> bool:
        rid = getattr(self.user, "resident_id", None)
        return bool(rid and rid == self.order.resident_id)

    @cached_property
    def staff_view(self) -> bool:
        return has_capability_at(self.user, caps.SERVICES_VIEW, self.order.place_path)

    @cached_property
    def staff_dispatch(self) -> bool:
        return has_capability_at(self.user, caps.SERVICES_DISPATCH, self.order.place_path)

    @cached_property
    def staff_order(self) -> bool:
        return has_capability_at(self.user, caps.SERVICES_ORDER, self.order.place_path)

    @cached_property
    def member(self) -> bool:
        return bool(self.order.team_id and self.order.team_id in team_ids(self.user))

    @cached_property
    def leader(self) -> bool:
        return bool(self.order.team_id and self.order.team_id in led_team_ids(self.user))

    @cached_property
    def merchant(self) -> bool:
        return bool(self.order.merchant_id and merchant_of(self.user) == self.order.merchant_id)

    @cached_property
    def provider(self) -> bool:
        return bool(self.order.provider_user_id and self.order.provider_user_id == self.user.pk)

    @cached_property
    def orderer(self) -> bool:
        return bool(self.order.ordered_by_id and self.order.ordered_by_id == self.user.pk)

    @cached_property
    def approved_volunteer(self) -> bool:
        volunteer = volunteer_of(self.user)
        return volunteer is not None and volunteer.status == VolunteerStatus.APPROVED

    @cached_property
    def visible(self) -> bool:
        return (
            self.system
            or is_unrestricted(self.user)
            or self.resident
            or self.staff_view
            or self.member
            or self.merchant
            or self.provider
            or self.orderer
        )

    def conflict(self, verb: str) -> OrderConflict:
        return OrderConflict(f"订单{self.order.get_state_display()}，{verb}")


Refusal = Exception | None
Rule = Callable[[_Facts], Refusal]


def _grab(f: _Facts) -> Refusal:
    if f.order.state != OrderState.OPEN:
        if f.order.provider_user_id == f.user.pk:
            return OrderConflict("您已接下这个订单")
        return OrderConflict("手慢了，该订单已被其他人接单" if f.order.provider_user_id else "订单已不能接单")
    if f.order.merchant_id:
        return None if f.merchant else Forbidden("只有协议商户可以接这个订单")
    if not f.member:
        return Forbidden("只有本服务队的队员可以接单")
    if not f.approved_volunteer:
        return Forbidden("志愿者注册审核通过后才能接单")
    return None


def _dispatch(f: _Facts) -> Refusal:
    if not (f.leader or f.staff_dispatch or f.system):
        return Forbidden("只有服务队队长或社区派单人员可以派单")
    if f.order.state not in (OrderState.OPEN, OrderState.ASSIGNED):
        return f.conflict("不能再派单")
    return None


def _provider_step(states: tuple[str, ...], verb: str) -> Rule:
    def rule(f: _Facts) -> Refusal:
        if not (f.provider or f.system):
            return Forbidden(f"只有接单人可以{verb}")
        if f.order.state not in states:
            return f.conflict(f"不能{verb}")
        return None

    return rule


def _release(f: _Facts) -> Refusal:
    if not (f.provider or f.system):
        return Forbidden("只有接单人可以退单")
    if f.order.state != OrderState.ASSIGNED:
        return f.conflict("不能退单")
    return None


def _rate(f: _Facts) -> Refusal:
    if not (f.resident or f.system or (f.orderer and f.staff_order)):
        return Forbidden("只有下单的居民（或代办人员）可以确认评价")
    if f.order.state == OrderState.CONFIRMED:
        return OrderConflict("该订单已评价，不能重复评价")
    if f.order.state != OrderState.DONE:
        return f.conflict("还不能评价")
    return None


def _cancel(f: _Facts) -> Refusal:
    if not (f.resident or f.system or f.staff_order):
        return Forbidden("只有下单的居民或社区代办人员可以取消订单")
    if f.order.state not in (OrderState.OPEN, OrderState.ASSIGNED):
        return f.conflict("不能取消")
    return None


def _resident_no_show(f: _Facts) -> Refusal:
    """The resident (or their staff) reports that the provider never came."""
    if not (f.resident or f.system or f.staff_order):
        return Forbidden("只有下单的居民或社区代办人员可以登记服务方爽约")
    if f.order.state != OrderState.ASSIGNED:
        return f.conflict("不能登记爽约")
    return None


def _provider_no_show(f: _Facts) -> Refusal:
    """The provider came and nobody was there."""
    if not (f.provider or f.system):
        return Forbidden("只有接单人可以登记居民不在家")
    if f.order.state not in (OrderState.ASSIGNED, OrderState.ARRIVED):
        return f.conflict("不能登记爽约")
    return None


def _raise_case(f: _Facts) -> Refusal:
    if not (f.provider or f.staff_view or f.system):
        return Forbidden("只有接单人或社区工作人员可以把服务中发现的问题转为事件")
    if f.order.case_id:
        return OrderConflict("该订单已转过事件")
    if f.order.state not in (OrderState.ARRIVED, OrderState.DONE, OrderState.CONFIRMED):
        return f.conflict("还不能转事件")
    return None


RULES: dict[str, Rule] = {
    "grab": _grab,
    "dispatch": _dispatch,
    "arrive": _provider_step((OrderState.ASSIGNED,), "登记到达"),
    "complete": _provider_step((OrderState.ASSIGNED, OrderState.ARRIVED), "登记完成"),
    "release": _release,
    "rate": _rate,
    "cancel": _cancel,
    "resident_no_show": _resident_no_show,
    "provider_no_show": _provider_no_show,
    "raise_case": _raise_case,
}


def check(action: str, user: Actor, order: Order) -> None:
    """Raise unless `user` may take `action` on `order` now (NotFound / Forbidden / OrderConflict)."""
    require_actor(user)
    facts = _Facts(user, order)
    if not facts.visible:
        raise NotFound()
    refusal = RULES[action](facts)
    if refusal is not None:
        raise refusal


def allowed(user: Actor | None, order: Order) -> frozenset[str]:
    """Every action `check` would let `user` take on `order` now (for buttons and the API)."""
    if user is None or not _active(user):
        return frozenset()
    facts = _Facts(user, order)
    if not facts.visible:
        return frozenset()
    return frozenset(action for action, rule in RULES.items() if rule(facts) is None)
