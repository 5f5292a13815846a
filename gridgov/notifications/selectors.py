"""Reads for notifications: a user's own inbox, and the robots an administrator may configure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import scope_q
from gridgov.core.compiled import CompiledQuery
from gridgov.core.errors import NotFound
from gridgov.notifications.models import GroupRobot, Notification, OutboundMessage

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.places.models import Place

# Administrators who may configure places may also wire those places' group chats to robots.
ROBOTS_CAPABILITY = caps.PLACES_MANAGE
# Larger ids cannot be stored and would overflow the database driver: they simply do not exist.
MAX_ID = 2**63 - 1


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """Only ever the user's own: nobody, superusers included, reads another person's inbox here."""
    if not (user and user.is_authenticated):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notification_for(user: User, notification_id: int) -> Notification:
    if not 0 < notification_id <= MAX_ID:
        raise NotFound()
    notification = notifications_for(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound()
    return notification


def unread_count(user: User) -> int:
    """`notifications_for(user, unread_only=True).count()`, the badge on every page: compiled once
    per connection (`CompiledQuery`), as building and compiling the COUNT cost more than running it."""
    if not (user and user.is_authenticated):
        return 0
    rows = _UNREAD.rows(user.pk)
    return rows[0][0] if rows else 0


def unread_count_sql(user: User) -> tuple[str, list[Any]] | None:
    """`unread_count`'s SQL and parameters, to run inside another statement (PostgreSQL; None
    elsewhere). It gives no row, not 0, when nothing is unread. `user` is signed in."""
    return _UNREAD.numbered_with(user.pk)


def _unread_of(recipient_id: int) -> QuerySet[Notification, tuple[Any, ...]]:
    # The filter of `notifications_for(..., unread_only=True)`: the user's own, unread.
    return (
        Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(unread=Count("pk"))
        .values_list("unread")
    )


_UNREAD = CompiledQuery(_unread_of, kinds=(int,))


def robots_for(user: User) -> QuerySet[GroupRobot]:
    return GroupRobot.objects.filter(scope_q(user, ROBOTS_CAPABILITY)).select_related("place")


def robot_for(user: User, robot_id: int) -> GroupRobot:
    if not 0 < robot_id <= MAX_ID:
        raise NotFound()
    robot = robots_for(user).filter(pk=robot_id).first()
    if robot is None:
        raise NotFound()
    return robot


def can_manage_robots(user: User) -> bool:
    """The robots page's entry in the page table (ROBOTS_CAPABILITY held anywhere)."""
    from gridgov.accounts.pages import can_open

    return can_open(user, "notifications:robots")


def robot_messages_for(user: User, *, limit: int = 30) -> list[OutboundMessage]:
    """Recent robot messages in the user's scope: the delivery log beside the robot settings."""
    return list(
        OutboundMessage.objects.filter(robot__in=robots_for(user))
        .select_related("robot")
        .order_by("-created_at", "-id")[:limit]
    )


def robot_message_for(user: User, message_id: int) -> OutboundMessage:
    if not 0 < message_id <= MAX_ID:
        raise NotFound()
    message = (
        OutboundMessage.objects.filter(pk=message_id, robot__in=robots_for(user))
        .select_related("robot__place")
        .first()
    )
    if message is None:
        raise NotFound()
    return message


def robot_names_for_place(place: Place) -> list[str]:
    """Active robots at `place` or above it: what a service passes as `notify(group_targets=…)`
    so that a community's group and its street's command-centre group both hear about a case."""
    return list(
        GroupRobot.objects.filter(is_active=True)
        .filter(Q(place__path__in=place.ancestor_paths()))
        .order_by("place__path", "name")
        .values_list("name", flat=True)
    )
