"""Every write to the forum: posting (screened, possibly held), reports, moderation, bans, cases.

Every moderation action writes its audit row in the same transaction; nothing is silently
dropped: a post with a listed word, or a new poster's first posts, waits for a moderator."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, capabilities_anywhere, holders, require_actor, within
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases.photos import clean_photos
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.core.text import checked_text as _text
from gridgov.forum import policy, selectors
from gridgov.forum.models import (
    ALIAS_MAX,
    BODY_MAX,
    TITLE_MAX,
    Ban,
    Board,
    Poster,
    PostImage,
    PostReport,
    PostState,
    Reply,
    SensitiveWord,
    Topic,
)
from gridgov.notifications.services import notify
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor

MENTION_RE = re.compile(r"@([\w\u4e00-\u9fff.-]{1,30})")
MAX_MENTIONS = 5


# Each operation is one of the audit log's kinds, named in Chinese in the row's label (the audit
# pages read in Chinese) and by code in its changes (for searching).
AUDIT_OPS: dict[str, tuple[str, str]] = {
    "forum.ban": (AuditAction.UPDATE, "论坛禁言"),
    "forum.board_save": (AuditAction.UPDATE, "保存论坛版块"),
    "forum.reply_create": (AuditAction.CREATE, "论坛回复"),
    "forum.report": (AuditAction.CREATE, "举报帖子"),
    "forum.to_case": (AuditAction.UPDATE, "帖子转为事件"),
    "forum.topic_create": (AuditAction.CREATE, "论坛发帖"),
    "forum.word_add": (AuditAction.CREATE, "添加敏感词"),
    "forum.word_remove": (AuditAction.DELETE, "删除敏感词"),
    "forum.topic_approve": (AuditAction.UPDATE, "审核通过帖子"),
    "forum.topic_hide": (AuditAction.UPDATE, "隐藏帖子"),
    "forum.topic_show": (AuditAction.UPDATE, "恢复显示帖子"),
    "forum.topic_lock": (AuditAction.UPDATE, "锁定帖子"),
    "forum.topic_unlock": (AuditAction.UPDATE, "解锁帖子"),
    "forum.topic_pin": (AuditAction.UPDATE, "置顶帖子"),
    "forum.topic_unpin": (AuditAction.UPDATE, "取消置顶帖子"),
    "forum.reply_approve": (AuditAction.UPDATE, "审核通过回复"),
    "forum.reply_hide": (AuditAction.UPDATE, "隐藏回复"),
    "forum.reply_show": (AuditAction.UPDATE, "恢复显示回复"),
}


def audit_op(*, op: str, target: Any, changes: dict[str, Any] | None = None, **fields: Any) -> None:
    action, label = AUDIT_OPS[op]
    audit_record(
        action=action,
        target=target,
        target_label=f"{label}：{target}"[:200],
        changes={"op": op, **(changes or {})},
        **fields,
    )




def poster_for(user: User) -> Poster:
    """The user's display name, made on first use ("居民" + number) so their real name never shows."""
    poster = selectors.poster_of(user)
    if poster is None:
        poster, _created = Poster.objects.get_or_create(
            user=user, defaults={"display_name": f"居民{user.pk:05d}"}
        )
    return poster


def poster_rename(*, by: User, display_name: str) -> Poster:
    """Choose one's display name (unique; not one's registered name)."""
    require_actor(by)
    name = _text(display_name, "display_name", "昵称", max_length=ALIAS_MAX)
    resident = getattr(by, "resident", None) if getattr(by, "resident_id", None) else None
    if resident is not None and name == resident.name:
        raise field_error("display_name", "昵称不能用真实姓名")
    poster = poster_for(by)
    try:
        with transaction.atomic():
            poster.display_name = name
            poster.save(update_fields=["display_name"])
    except IntegrityError:
        raise field_error("display_name", f"昵称“{name}”已被使用") from None
    return poster


def screen(text: str) -> list[str]:
    """The listed words found in `text` (case-insensitive)."""
    lowered = text.lower()
    return [word for word in SensitiveWord.objects.values_list("word", flat=True) if word.lower() in lowered]


def _hold_reason(by: User, board: Board, poster: Poster, text: str) -> str:
    if policy.moderates(by, board.place.path) or caps.FORUM_MODERATE in capabilities_anywhere(by):
        return ""
    found = screen(text)
    if found:
        return f"含敏感词：{'、'.join(found[:5])}"
    if poster.approved_posts < board.hold_first_posts:
        return "新用户的前几条发言需审核"
    return ""


def _refuse_banned(by: User, board: Board) -> None:
    ban = selectors.active_ban(by, board)
    if ban is not None:
        raise Forbidden(
            f"您已被禁言至{ban.until.astimezone(dt.timezone(dt.timedelta(hours=8))):%Y-%m-%d %H:%M}：{ban.reason}"
        )


def _mention(by: User, board: Board, path: str, text: str, link: str) -> None:
    """Tell the staff named with @username who work the post's place (the author's home)."""
    names = list(dict.fromkeys(MENTION_RE.findall(text)))[:MAX_MENTIONS]
    if not names:
        return
    staff = holders(caps.FORUM_MODERATE, path, at_or_above=True).filter(username__in=names)
    notify(
        recipients=list(staff),
        title=f"论坛中有人@了您：{board.name}",
        body=text[:200],
        link=link,
        kind="forum.mention",
    )


def _home_path(by: User, board: Board) -> str:
    resident = getattr(by, "resident", None) if getattr(by, "resident_id", None) else None
    if (
        resident is not None
        and resident.place is not None
        and within(resident.place.path, [board.place.path])
    ):
        return resident.place.path
    return board.place.path


def _store_images(topic: Topic, reply: Reply | None, photos: Iterable[Any]) -> None:
    for photo in clean_photos(photos, field="photos"):
        image = PostImage(topic=topic, reply=reply, content_type=photo.content_type, size=len(photo.content))
        image.file.save(f"photo.{photo.extension}", ContentFile(photo.content), save=False)
        image.save()


def topic_create(*, by: User, board: Board, title: str, body: str, photos: Iterable[Any] = ()) -> Topic:
    """Post a topic under the author's display name; held for review when screened or new."""
    require_actor(by)
    title = _text(title, "title", "标题", max_length=TITLE_MAX)
    body = _text(body, "body", "内容", max_length=BODY_MAX, multiline=True)
    photos = list(photos)
    with transaction.atomic():
        _refuse_banned(by, board)
        poster = Poster.objects.select_for_update().get(pk=poster_for(by).pk)
        reason = _hold_reason(by, board, poster, f"{title}\n{body}")
        topic = Topic.objects.create(
            board=board,
            author=by,
            place_path=_home_path(by, board),
            alias=poster.display_name,
            title=title,
            body=body,
            state=PostState.HELD if reason else PostState.VISIBLE,
            held_reason=reason,
            last_activity_at=clock.now(),
        )
        _store_images(topic, None, photos)
        if not reason:
            Poster.objects.filter(pk=poster.pk).update(approved_posts=F("approved_posts") + 1)
            _mention(by, board, topic.place_path, body, f"/forum/t/{topic.pk}/")
        audit_op(
            actor=by,
            op="forum.topic_create",
            target=topic,
            place_path=board.place.path,
            changes={"state": topic.state, "held_reason": reason},
        )
    return topic


def reply_create(*, by: User, topic: Topic, body: str, photos: Iterable[Any] = ()) -> Reply:
    """Reply under the display name; a locked topic takes no replies (but its moderators')."""
    require_actor(by)
    body = _text(body, "body", "回复内容", max_length=BODY_MAX, multiline=True)
    photos = list(photos)
    with transaction.atomic():
        topic = Topic.objects.select_for_update().select_related("board__place").get(pk=topic.pk)
        policy.check("reply", by, topic)
        _refuse_banned(by, topic.board)
        poster = Poster.objects.select_for_update().get(pk=poster_for(by).pk)
        reason = _hold_reason(by, topic.board, poster, body)
        reply = Reply.objects.create(
            topic=topic,
            author=by,
            alias=poster.display_name,
            body=body,
            state=PostState.HELD if reason else PostState.VISIBLE,
            held_reason=reason,
        )
        _store_images(topic, reply, photos)
        if not reason:
            Topic.objects.filter(pk=topic.pk).update(
                reply_count=F("reply_count") + 1, last_activity_at=clock.now()
            )
            Poster.objects.filter(pk=poster.pk).update(approved_posts=F("approved_posts") + 1)
            _mention(by, topic.board, topic.place_path, body, f"/forum/t/{topic.pk}/")
        audit_op(
            actor=by,
            op="forum.reply_create",
            target=topic,
            place_path=topic.board.place.path,
            changes={"reply": reply.pk, "state": reply.state, "held_reason": reason},
        )
    return reply


def post_report(*, by: User, topic: Topic, reply: Reply | None = None, reason: str) -> PostReport:
    """Anyone who reads a post may report it to the moderators."""
    require_actor(by)
    policy.check("report", by, topic)
    reason = _text(reason, "reason", "举报理由", max_length=200)
    with transaction.atomic():
        if PostReport.objects.filter(topic=topic, reply=reply, reporter=by, resolved=False).exists():
            raise ValidationError("您已举报过，管理员会尽快处理")
        report = PostReport.objects.create(topic=topic, reply=reply, reporter=by, reason=reason)
        audit_op(
            actor=by,
            op="forum.report",
            target=topic,
            place_path=topic.board.place.path,
            changes={"reply": reply.pk if reply else None, "reason": reason},
        )
    return report


TOPIC_ACTIONS = {
    "approve": "通过",
    "hide": "隐藏",
    "show": "恢复显示",
    "lock": "锁定",
    "unlock": "解锁",
    "pin": "置顶",
    "unpin": "取消置顶",
}


def topic_moderate(*, by: Actor, topic: Topic, action: str, note: str = "") -> Topic:
    """approve / hide / show / lock / unlock / pin / unpin a topic; audited with the note."""
    require_actor(by)
    if action not in TOPIC_ACTIONS:
        raise field_error("action", "未知的管理操作")
    note = _text(note, "note", "说明", max_length=200, required=False)
    with transaction.atomic():
        topic = Topic.objects.select_for_update().select_related("board__place").get(pk=topic.pk)
        policy.check("moderate", by, topic)
        before = {"state": topic.state, "locked": topic.locked, "pinned": topic.pinned}
        if action == "approve":
            if topic.state != PostState.HELD:
                raise ValidationError("该帖不在待审核状态")
            topic.state, topic.held_reason = PostState.VISIBLE, ""
            Poster.objects.filter(user_id=topic.author_id).update(approved_posts=F("approved_posts") + 1)
        elif action == "hide":
            topic.state = PostState.HIDDEN
        elif action == "show":
            topic.state = PostState.VISIBLE
        elif action in ("lock", "unlock"):
            topic.locked = action == "lock"
        else:
            topic.pinned = action == "pin"
        topic.save(update_fields=["state", "held_reason", "locked", "pinned"])
        PostReport.objects.filter(topic=topic, reply__isnull=True, resolved=False).update(
            resolved=action in ("hide", "show", "approve")
        )
        audit_op(
            actor=by,
            op=f"forum.topic_{action}",
            target=topic,
            place_path=topic.board.place.path,
            changes={
                "before": before,
                "after": {"state": topic.state, "locked": topic.locked, "pinned": topic.pinned},
                "note": note,
            },
        )
    return topic


def reply_moderate(*, by: Actor, reply: Reply, action: str) -> Reply:
    """approve / hide / show a reply; audited."""
    require_actor(by)
    if action not in ("approve", "hide", "show"):
        raise field_error("action", "未知的管理操作")
    with transaction.atomic():
        reply = Reply.objects.select_for_update().select_related("topic__board__place").get(pk=reply.pk)
        policy.check("moderate", by, reply.topic)
        before = reply.state
        if action == "approve" and before != PostState.HELD:
            raise ValidationError("该回复不在待审核状态")
        reply.state = PostState.HIDDEN if action == "hide" else PostState.VISIBLE
        reply.held_reason = ""
        reply.save(update_fields=["state", "held_reason"])
        was_counted, counted = before == PostState.VISIBLE, reply.state == PostState.VISIBLE
        if counted != was_counted:
            Topic.objects.filter(pk=reply.topic_id).update(
                reply_count=F("reply_count") + (1 if counted else -1)
            )
        if action == "approve":
            Poster.objects.filter(user_id=reply.author_id).update(approved_posts=F("approved_posts") + 1)
        PostReport.objects.filter(reply=reply, resolved=False).update(resolved=True)
        audit_op(
            actor=by,
            op=f"forum.reply_{action}",
            target=reply.topic,
            place_path=reply.topic.board.place.path,
            changes={"reply": reply.pk, "before": before, "after": reply.state},
        )
    return reply


def user_ban(*, by: Actor, topic: Topic, days: int, reason: str) -> Ban:
    """Silence the topic's author on this community's boards for `days` days (1–365)."""
    require_actor(by)
    policy.check("moderate", by, topic)
    if not 1 <= int(days) <= 365:
        raise field_error("days", "禁言天数须在1到365之间")
    reason = _text(reason, "reason", "禁言原因", max_length=200)
    with transaction.atomic():
        if caps.FORUM_MODERATE in capabilities_anywhere(topic.author):
            raise ValidationError("不能禁言本辖区的管理人员")
        ban = Ban.objects.create(
            user_id=topic.author_id,
            place=topic.board.place,
            reason=reason,
            until=clock.now() + dt.timedelta(days=int(days)),
            created_by=as_user(by),
        )
        audit_op(
            actor=by,
            op="forum.ban",
            target=topic,
            place_path=topic.board.place.path,
            changes={"user": topic.author_id, "days": int(days), "reason": reason},
        )
    return ban


def topic_to_case(*, by: User, topic: Topic) -> Topic:
    """Turn a topic into a case in one step: filed through intake as the staff member (where the
    author lives when that is in the staff member's scope, else at the board's place)."""
    from gridgov.accounts.scope import has_capability
    from gridgov.cases.models import Channel
    from gridgov.cases.services import case_submit

    require_actor(by)
    with transaction.atomic():
        topic = (
            Topic.objects.select_for_update(of=("self",))
            .select_related("board__place", "author__resident__place")
            .get(pk=topic.pk)
        )
        policy.check("to_case", by, topic)
        resident = topic.author.resident if topic.author.resident_id else None
        place: Place = topic.board.place
        if (
            resident is not None
            and resident.place is not None
            and has_capability(by, caps.CASES_INTAKE, resident.place)
        ):
            place = resident.place
        case = case_submit(
            by=by,
            channel=Channel.GROUP_CHAT,
            place=place,
            reporter_resident=resident,
            text=f"【论坛转办】{topic.title}\n{topic.body}"[:2000],
        )
        topic.case = case
        topic.save(update_fields=["case"])
        notify(
            recipients=[topic.author],
            title="您的帖子已转为事件办理",
            body=topic.title,
            link=f"/forum/t/{topic.pk}/",
            kind="forum.case",
        )
        audit_op(
            actor=by,
            op="forum.to_case",
            target=topic,
            place_path=topic.board.place.path,
            changes={"case": case.pk},
        )
    return topic


def board_save(
    *,
    by: Actor,
    place: Place,
    name: str,
    description: str = "",
    hold_first_posts: int = 2,
    board: Board | None = None,
) -> Board:
    """Create or change a board for a community or estate where `by` holds forum.configure."""
    from gridgov.accounts.scope import has_capability

    require_actor(by)
    if not has_capability(by, caps.FORUM_CONFIGURE, place):
        raise NotFound()
    if place.kind not in ("community", "estate"):
        raise field_error("place", "版块只能设在社区或小区")
    name = _text(name, "name", "版块名称", max_length=40)
    description = _text(description, "description", "说明", max_length=200, required=False)
    if not 0 <= int(hold_first_posts) <= 20:
        raise field_error("hold_first_posts", "需审核的帖数须在0到20之间")
    with transaction.atomic():
        clash = Board.objects.filter(place=place, name=name)
        if board is not None:
            clash = clash.exclude(pk=board.pk)
        if clash.exists():
            raise field_error("name", f"“{place.name}”已有版块“{name}”")
        board = board or Board(place=place)
        if not within(board.place.path, [place.path]) and board.pk:
            raise NotFound()
        board.name, board.description, board.hold_first_posts = name, description, int(hold_first_posts)
        board.save()
        audit_op(actor=by, op="forum.board_save", target=board, place_path=place.path, changes={"name": name})
    return board


def word_add(*, by: Actor, word: str) -> SensitiveWord:
    """Add a word to the (deployment-wide) list checked on posting."""
    require_actor(by)
    if not policy.configures(by):
        raise Forbidden("您没有配置敏感词的权限")
    word = _text(word, "word", "敏感词", max_length=40)
    with transaction.atomic():
        item, created = SensitiveWord.objects.get_or_create(word=word)
        if not created:
            raise field_error("word", f"“{word}”已在列表中")
        audit_op(actor=by, op="forum.word_add", target=item, changes={"word": word})
    return item


def word_remove(*, by: Actor, word: SensitiveWord) -> None:
    require_actor(by)
    if not policy.configures(by):
        raise Forbidden("您没有配置敏感词的权限")
    with transaction.atomic():
        audit_op(actor=by, op="forum.word_remove", target=word, changes={"word": word.word})
        word.delete()
