"""Every read of the forum, scoped: residents see their community's boards, moderators their scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import is_unrestricted, paths_with, scope_q
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.forum.models import Ban, Board, Poster, PostReport, PostState, Reply, SensitiveWord, Topic
from gridgov.people.models import Resident

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def is_moderator(user: User) -> bool:
    return is_unrestricted(user) or bool(paths_with(user, caps.FORUM_MODERATE))


def _home_paths(user: User) -> list[str]:
    if not getattr(user, "resident_id", None):
        return []
    resident = Resident.objects.select_related("place").filter(pk=user.resident_id or 0).first()
    return resident.place.ancestor_paths() if resident and resident.place else []


def boards_q(user: User, field: str = "place__path") -> Q:
    """Boards the user reads: those of where they live (at or above their building), and those
    they moderate."""
    home = Q(**{f"{field}__in": _home_paths(user)})
    if is_unrestricted(user):
        return Q()
    roots = paths_with(user, caps.FORUM_MODERATE)
    if not roots:
        return home
    covering = {".".join(root.split(".")[: i + 1]) for root in roots for i in range(root.count(".") + 1)}
    return home | Q(**{f"{field}__in": covering}) | scope_q(user, caps.FORUM_MODERATE, field)


def boards_for(user: User) -> QuerySet[Board]:
    return (
        Board.objects.filter(boards_q(user), is_active=True)
        .select_related("place")
        .order_by("place__path", "name")
    )


def board_for(user: User, board_id: int) -> Board:
    board = boards_for(user).filter(pk=board_id).first()
    if board is None:
        raise NotFound()
    return board


def _visible_q(user: User, moderated: Q) -> Q:
    """Visible posts, one's own held ones, and everything on boards one moderates."""
    return Q(state=PostState.VISIBLE) | Q(author_id=user.pk, state=PostState.HELD) | moderated


def _moderated_q(user: User, field: str) -> Q:
    if is_unrestricted(user):
        return Q(pk__isnull=False)
    paths = paths_with(user, caps.FORUM_MODERATE)
    return scope_q(user, caps.FORUM_MODERATE, field) if paths else Q(pk__in=[])


def topics_for(user: User, board: Board | None = None) -> QuerySet[Topic]:
    qs = Topic.objects.filter(boards_q(user, "board__place__path"))
    qs = qs.filter(
        _visible_q(user, _moderated_q(user, "place_path") | _moderated_q(user, "board__place__path"))
    )
    if board is not None:
        qs = qs.filter(board=board)
    return qs.select_related("board__place", "case").order_by("-pinned", "-last_activity_at", "-id")


def topic_for(user: User, topic_id: int) -> Topic:
    """A topic the user may read; NotFound alike for missing, hidden from them or out of scope."""
    topic = topics_for(user).filter(pk=topic_id).first()
    if topic is None:
        raise NotFound()
    return topic


def replies_for(user: User, topic: Topic) -> QuerySet[Reply]:
    moderated = Q(pk__isnull=False) if _in_scope(user, topic) else Q(pk__in=[])
    return topic.replies.filter(_visible_q(user, moderated)).select_related("author__resident").order_by("id")


def _in_scope(user: User, topic: Topic) -> bool:
    from gridgov.accounts.scope import has_capability_at

    return has_capability_at(user, caps.FORUM_MODERATE, topic.place_path) or has_capability_at(
        user, caps.FORUM_MODERATE, topic.board.place.path
    )


def reply_for(user: User, topic: Topic, reply_id: int) -> Reply:
    reply = replies_for(user, topic).filter(pk=reply_id).first()
    if reply is None:
        raise NotFound()
    return reply


def held_topics(user: User) -> QuerySet[Topic]:
    return (
        Topic.objects.filter(_moderated_q(user, "place_path"), state=PostState.HELD)
        .select_related("board__place", "author__resident")
        .order_by("id")
    )


def held_replies(user: User) -> QuerySet[Reply]:
    return (
        Reply.objects.filter(_moderated_q(user, "topic__place_path"), state=PostState.HELD)
        .select_related("topic__board__place", "author__resident")
        .order_by("id")
    )


def open_reports(user: User) -> QuerySet[PostReport]:
    return (
        PostReport.objects.filter(_moderated_q(user, "topic__place_path"), resolved=False)
        .select_related("topic__board__place", "reply", "reporter")
        .order_by("id")
    )


def active_ban(user: User, board: Board) -> Ban | None:
    return (
        Ban.objects.filter(
            user_id=user.pk, place__path__in=board.place.ancestor_paths(), until__gt=clock.now()
        )
        .order_by("-until")
        .first()
    )


def poster_of(user: User) -> Poster | None:
    return Poster.objects.filter(user_id=user.pk).first()


def sensitive_words() -> QuerySet[SensitiveWord]:
    return SensitiveWord.objects.all()


def config_boards(user: User) -> QuerySet[Board]:
    return Board.objects.filter(scope_q(user, caps.FORUM_CONFIGURE, "place__path")).select_related("place")
