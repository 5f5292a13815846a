"""Who may do what in the command centre: one rule per action, in one table.

`check(action, user, obj)` is what the services call; `allowed(action, user, obj)` is what the
pages ask before offering a button. Both read `RULES`. A place or task the user cannot see is
`NotFound` (alike for a missing one); one they see but may not act on is `Forbidden`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability_at, require_actor
from gridgov.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


def _path(obj: Any) -> str:
    for attribute in ("grid_path", "place_path", "path"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str):
            return value
    raise TypeError(f"no place path on {obj!r}")


def _sends(user: Actor, obj: Any) -> bool:
    return has_capability_at(user, caps.COMMAND_TASKS, _path(obj))


def _ticks(user: Actor, obj: Any) -> bool:
    return has_capability_at(user, caps.COMMAND_TASK_DO, _path(obj))


def _views(user: Actor, obj: Any) -> bool:
    return has_capability_at(user, caps.COMMAND_VIEW, _path(obj))


def _manages(user: Actor, obj: Any) -> bool:
    return has_capability_at(user, caps.PLACES_MANAGE, _path(obj))


def _views_or_manages(user: Actor, obj: Any) -> bool:
    return _views(user, obj) or _manages(user, obj)


def _views_or_sends(user: Actor, obj: Any) -> bool:
    return _views(user, obj) or _sends(user, obj)


# action → (may see, may act, refusal)
RULES: dict[str, tuple[Callable[[Any, Any], bool], Callable[[Any, Any], bool], str]] = {
    # Whoever sees the place's dashboard knows it is there: refused, not "not found".
    "task_send": (_views_or_sends, _sends, "您无权向这里下发任务"),
    "task_remind": (_views_or_sends, _sends, "您无权催办这项任务"),
    "task_tick": (_ticks, _ticks, "您无权登记这一户的走访结果"),
    "boundary_edit": (_views_or_manages, _manages, "您无权修改这里的边界"),
    # 工作月报: whoever sees a place's dashboard may print its report; others do not see it at all.
    "report": (_views, _views, "您无权查看这里的工作月报"),
}


def allowed(action: str, user: Actor, obj: Any) -> bool:
    """Whether `user` may do `action` to `obj` now (for the pages' buttons)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return RULES[action][1](user, obj)


def check(action: str, user: Actor, obj: Any) -> None:
    """Raise NotFound (cannot see) or Forbidden (sees, may not act) unless `allowed`."""
    require_actor(user)
    sees, acts, refusal = RULES[action]
    if not getattr(user, "is_authenticated", False) or not sees(user, obj):
        raise NotFound()
    if not acts(user, obj):
        raise Forbidden(refusal)
