"""Who may do what to a care plan: its carers log visits; staff with care.manage run the plan.

A plan is visible to its carers and to staff holding care.view over the resident's home; to
anyone else it does not exist (NotFound), like a missing one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability_at, is_system, is_unrestricted, require_actor, scope_q
from gridgov.care.models import CarePlan, Carer
from gridgov.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def visible_q(user: Actor) -> Q:
    if is_unrestricted(user):
        return Q()
    condition = scope_q(user, caps.CARE_VIEW, field="place_path")
    if user.pk:
        condition |= Q(pk__in=Carer.objects.filter(user_id=user.pk).values("plan_id"))
    return condition


def is_carer(user: Actor, plan: CarePlan) -> bool:
    return bool(user.pk and Carer.objects.filter(plan=plan, user_id=user.pk).exists())


def _visible(user: Actor, plan: CarePlan) -> bool:
    return is_system(user) or has_capability_at(user, caps.CARE_VIEW, plan.place_path) or is_carer(user, plan)


def _log_visit(user: Actor, plan: CarePlan) -> Exception | None:
    if not plan.is_active:
        return Forbidden("该帮扶计划已结束")
    if is_system(user) or is_carer(user, plan) or has_capability_at(user, caps.CARE_MANAGE, plan.place_path):
        return None
    return Forbidden("只有结对帮扶人可以登记走访")


def _manage(user: Actor, plan: CarePlan) -> Exception | None:
    if is_system(user) or has_capability_at(user, caps.CARE_MANAGE, plan.place_path):
        return None
    return Forbidden("您无权调整该帮扶计划")


RULES = {"log_visit": _log_visit, "manage": _manage}


def check(action: str, user: Actor, plan: CarePlan) -> None:
    """Raise unless `user` may take `action` on `plan` (NotFound when they cannot see it)."""
    require_actor(user)
    if not _visible(user, plan):
        raise NotFound()
    refusal = RULES[action](user, plan)
    if refusal is not None:
        raise refusal


def allowed(user: Actor | None, plan: CarePlan) -> frozenset[str]:
    """The actions `check` would allow (for the pages' buttons)."""
    if user is None or not _active(user) or not _visible(user, plan):
        return frozenset()
    return frozenset(action for action, rule in RULES.items() if rule(user, plan) is None)
