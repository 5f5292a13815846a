"""Who may do what to a notice: one rule per action; services call `check`, pages use `allowed`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import capabilities_anywhere, has_capability_at, is_unrestricted, require_actor
from gridgov.bulletin.models import Notice, NoticeState
from gridgov.core.errors import Forbidden

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


def _publisher(user: Actor, notice: Notice) -> bool:
    return has_capability_at(user, caps.BULLETIN_PUBLISH, notice.place.path)


def _staff(user: Actor, capability: str) -> bool:
    return is_unrestricted(user) or capability in capabilities_anywhere(user)


def _resident_open(user: Actor, notice: Notice) -> bool:
    return bool(getattr(user, "resident_id", None)) and notice.needs_receipt


RULES: dict[str, tuple[Callable[[Actor, Any], bool], str]] = {
    "edit": (
        lambda u, n: _publisher(u, n) and n.state != NoticeState.WITHDRAWN,
        "只有发布单位的工作人员可以修改此通知",
    ),
    "publish": (
        lambda u, n: _publisher(u, n) and n.state in (NoticeState.DRAFT, NoticeState.SCHEDULED),
        "此通知不能发布",
    ),
    "withdraw": (
        lambda u, n: _publisher(u, n) and n.state in (NoticeState.PUBLISHED, NoticeState.SCHEDULED),
        "此通知不能撤回",
    ),
    # The selector has already scoped the notice; the unread list keeps to the viewer's buildings.
    "receipts": (lambda u, n: n.needs_receipt and _staff(u, caps.BULLETIN_VIEW), "您无权查看已读情况"),
    "remind": (
        lambda u, n: (
            n.needs_receipt and n.state == NoticeState.PUBLISHED and _staff(u, caps.BULLETIN_PUBLISH)
        ),
        "您无权提醒未读住户",
    ),
    "confirm": (_resident_open, "此通知无需确认"),
}


def check(action: str, user: Actor, notice: Notice) -> None:
    """Raise Forbidden with the rule's reason unless `user` may do `action` to the (visible) notice."""
    require_actor(user)
    rule, reason = RULES[action]
    if not rule(user, notice):
        raise Forbidden(reason)


def allowed(user: Actor, notice: Notice) -> set[str]:
    return {action for action, (rule, _reason) in RULES.items() if rule(user, notice)}


def may_manage_columns(user: Actor) -> bool:
    # Columns are shared by the whole deployment, like case categories.
    return is_unrestricted(user) or caps.BULLETIN_COLUMNS in capabilities_anywhere(user)


def may_publish_somewhere(user: Actor) -> bool:
    return is_unrestricted(user) or caps.BULLETIN_PUBLISH in capabilities_anywhere(user)
