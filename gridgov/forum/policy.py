"""Who may do what on the forum; services call `check`, templates derive buttons from `allowed`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import capabilities_anywhere, has_capability_at, is_unrestricted, require_actor
from gridgov.core.errors import Forbidden
from gridgov.forum.models import Topic

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


def moderates(user: Actor, path: str) -> bool:
    return has_capability_at(user, caps.FORUM_MODERATE, path)


def configures(user: Actor) -> bool:
    return is_unrestricted(user) or caps.FORUM_CONFIGURE in capabilities_anywhere(user)


def _rules(user: Actor, topic: Topic) -> dict[str, tuple[bool, str]]:
    moderating = moderates(user, topic.place_path) or moderates(user, topic.board.place.path)
    return {
        "reply": (moderating or not topic.locked, "该帖已锁定，不能回复"),
        "report": (bool(getattr(user, "pk", None)), "请先登录"),
        "moderate": (moderating, "您无权管理此帖"),
        "identity": (moderating, "只有辖区工作人员能看到发帖人身份"),
        # Intake itself checks the place the case is filed at.
        "to_case": (
            moderating
            and topic.case_id is None
            and (is_unrestricted(user) or caps.CASES_INTAKE in capabilities_anywhere(user)),
            "您无权将此帖转为事件，或已转过",
        ),
    }


def check(action: str, user: Actor, topic: Topic) -> None:
    """Raise Forbidden with the reason unless `user` may do `action` to the (visible) topic."""
    require_actor(user)
    ok, reason = _rules(user, topic)[action]
    if not ok:
        raise Forbidden(reason)


def allowed(user: Actor, topic: Topic) -> set[str]:
    return {action for action, (ok, _reason) in _rules(user, topic).items() if ok}
