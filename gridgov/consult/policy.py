"""Who may do what to a consultation: `check` for the services, `allowed` for the buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability_at, is_unrestricted, require_actor
from gridgov.consult.models import Consultation, Stage
from gridgov.core.errors import Forbidden

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

MESSAGES = {
    "manage": "您无权组织此议题",
    "paper": "您无权为此议题录入纸质票",
    "comment": "议题不在讨论阶段，不能发表意见",
    "vote": "议题不在投票阶段",
}


def _manages(user: Actor, consultation: Consultation) -> bool:
    return is_unrestricted(user) or has_capability_at(user, caps.CONSULT_MANAGE, consultation.place.path)


def _rule(action: str, user: Actor, consultation: Consultation) -> bool:
    if action in ("manage", "paper"):
        if action == "paper" and consultation.stage != Stage.VOTING:
            return False
        return _manages(user, consultation)
    if action == "comment":
        return consultation.stage == Stage.DISCUSSION
    if action == "vote":
        return consultation.stage == Stage.VOTING
    return False


def check(action: str, user: Actor, consultation: Consultation) -> None:
    """Raise Forbidden (with the reason in Chinese) unless `user` may do `action` now."""
    require_actor(user)
    if not _rule(action, user, consultation):
        raise Forbidden(MESSAGES.get(action, "您没有执行此操作的权限"))


def allowed(user: Actor, consultation: Consultation) -> set[str]:
    return {action for action in MESSAGES if _rule(action, user, consultation)}
