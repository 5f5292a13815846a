"""Who may do what to a group or an activity; services call `check`, pages derive buttons from `allowed`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import capabilities_anywhere, has_capability_at, is_unrestricted, require_actor
from gridgov.activities.models import Activity, ActivityState, Group, GroupMember, MemberRole, MemberState
from gridgov.core.errors import Forbidden

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


def manages(user: Actor, path: str) -> bool:
    return has_capability_at(user, caps.ACTIVITIES_MANAGE, path)


def leads(user: Actor, group: Group) -> bool:
    resident_id = getattr(user, "resident_id", None)
    return (
        bool(resident_id)
        and GroupMember.objects.filter(
            group=group, resident_id=resident_id or 0, role=MemberRole.LEADER, state=MemberState.ACTIVE
        ).exists()
    )


def manages_anywhere(user: Actor) -> bool:
    return is_unrestricted(user) or caps.ACTIVITIES_MANAGE in capabilities_anywhere(user)


def _activity_rules(user: Actor, activity: Activity) -> dict[str, tuple[bool, str]]:
    managing = manages(user, activity.place.path)
    planned = activity.state == ActivityState.PLANNED
    resident = bool(getattr(user, "resident_id", None))
    return {
        "manage": (managing, "您无权管理此活动"),
        "checkin": (managing and activity.state != ActivityState.CANCELLED, "您无权为此活动签到"),
        "cancel": (managing and planned, "此活动不能取消"),
        "report": (managing and activity.state != ActivityState.CANCELLED, "您无权填写活动小结"),
        "signup": (resident and planned and activity.signup_required, "此活动不接受报名"),
        "self_checkin": (resident and activity.state != ActivityState.CANCELLED, "此活动不能签到"),
    }


def _group_rules(user: Actor, group: Group) -> dict[str, tuple[bool, str]]:
    managing = manages(user, group.place.path)
    return {
        "manage": (managing, "您无权管理此团队"),
        "decide": (managing or leads(user, group), "只有团队负责人或社区工作人员可以审核"),
        "join": (bool(getattr(user, "resident_id", None)) and group.is_open, "此团队暂不接受申请"),
    }


def check(action: str, user: Actor, obj: Any) -> None:
    """Raise Forbidden with the reason unless `user` may do `action` to the (visible) group/activity."""
    require_actor(user)
    rules = _activity_rules(user, obj) if isinstance(obj, Activity) else _group_rules(user, obj)
    ok, reason = rules[action]
    if not ok:
        raise Forbidden(reason)


def allowed(user: Actor, obj: Any) -> set[str]:
    rules = _activity_rules(user, obj) if isinstance(obj, Activity) else _group_rules(user, obj)
    return {action for action, (ok, _reason) in rules.items() if ok}
