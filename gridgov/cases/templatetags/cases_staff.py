"""Template helpers for the staff case pages: time left to the SLA, and the home page counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from gridgov.cases.models import Case, State

register = template.Library()


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分" if mins else f"{hours}小时"
    return f"{max(mins, 1)}分钟"


def due_info(case: Case, now: dt.datetime | None = None) -> dict[str, Any]:
    """The deadline that matters now (accept while new, resolve while in hand) and the time left."""
    return due_of(case.state, case.due_accept_at, case.due_resolve_at, now)


def due_of(
    state: str, due_accept_at: dt.datetime | None, due_resolve_at: dt.datetime | None, now: dt.datetime | None
) -> dict[str, Any]:
    """`due_info` from the three columns it reads (for rows read as plain values)."""
    now = now or timezone.now()
    if state == State.NEW:
        at, kind = due_accept_at, "受理"
    elif state in (State.ACCEPTED, State.IN_PROGRESS):
        at, kind = due_resolve_at, "办结"
    else:
        return {"at": None, "text": "", "overdue": False, "kind": ""}
    if at is None:
        return {"at": None, "text": "无时限", "overdue": False, "kind": kind}
    left = (at - now).total_seconds()
    if left < 0:
        return {"at": at, "text": f"{kind}超时{_span(left)}", "overdue": True, "kind": kind}
    return {
        "at": at,
        "text": f"{kind}剩{_span(left)}",
        "overdue": False,
        "soon": left < 4 * 3600,
        "kind": kind,
    }


@register.simple_tag
def case_due(case: Case) -> dict[str, Any]:
    return due_info(case)


@register.simple_tag(takes_context=True)
def case_home_counts(context: dict[str, Any]) -> dict[str, int] | None:
    """我的待办 / 待分派 / 已超时 for the home page, or None for users without the case workbench."""
    from gridgov.accounts.models import User
    from gridgov.accounts.pages import can_open
    from gridgov.cases import selectors

    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not can_open(user, "cases:workbench"):
        return None
    return {
        "mine": selectors.my_queue(user).count(),
        "dispatch": selectors.dispatch_queue(user).count(),
        "overdue": selectors.overdue(user).count(),
    }


@register.filter
def state_label(code: str) -> str:
    from gridgov.cases.models import State as States

    return States(code).label if code in States.values else code


@register.filter
def level_label(code: str) -> str:
    from gridgov.cases.models import Level

    return Level(code).label if code in Level.values else code


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
