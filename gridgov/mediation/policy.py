"""Who may see and work a dispute: the community's mediation staff and its assigned mediators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability_at, is_unrestricted, require_actor
from gridgov.core.errors import Forbidden
from gridgov.mediation.models import Dispute, Status

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


def is_staff_for(user: Actor, dispute: Dispute) -> bool:
    return is_unrestricted(user) or has_capability_at(user, caps.MEDIATION_HANDLE, dispute.place.path)


def is_assigned(user: Actor, dispute: Dispute) -> bool:
    pk = getattr(user, "pk", None)
    if not pk:
        return False
    return dispute.assignments.filter(active=True, mediator__user_id=int(pk)).exists()


def _rule(action: str, user: Actor, dispute: Dispute) -> bool:
    staff = is_staff_for(user, dispute)
    open_ = dispute.status != Status.CLOSED
    if action in ("assign", "exclude", "close", "refer"):
        return staff and open_
    if action in ("session", "agreement"):
        return (staff or is_assigned(user, dispute)) and (open_ or action == "agreement")
    if action == "followup":
        return staff and dispute.status == Status.CLOSED
    if action == "view":
        return staff or is_assigned(user, dispute)
    return False


ACTIONS = ("assign", "exclude", "close", "refer", "session", "agreement", "followup", "view")


def check(action: str, user: Actor, dispute: Dispute) -> None:
    """Raise Forbidden unless `user` may do `action` to `dispute` now."""
    require_actor(user)
    if not _rule(action, user, dispute):
        raise Forbidden("您无权办理此调解案件，或案件当前状态不允许此操作")


def allowed(user: Actor, dispute: Dispute) -> set[str]:
    return {action for action in ACTIONS if _rule(action, user, dispute)}
