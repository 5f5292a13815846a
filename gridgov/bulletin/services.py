"""Every write to columns and notices: keyword-only, atomic, checked by bulletin.policy, audited."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, has_capability, require_actor, within
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.bulletin import policy
from gridgov.bulletin.models import (
    BODY_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Column,
    FileKind,
    Notice,
    NoticeFile,
    NoticeReceipt,
    NoticeState,
    NoticeTarget,
)
from gridgov.bulletin.richtext import clean_html, plain_text
from gridgov.cases.photos import clean_photo
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.core.text import checked_text as _text
from gridgov.core.text import text_problem
from gridgov.notifications.selectors import robot_names_for_place
from gridgov.notifications.services import notify
from gridgov.people.models import Membership, Resident, Tag
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = 9
# Read by content, not by name: PDF, and the zip containers of Office files (docx/xlsx/pptx).
ATTACHMENT_TYPES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"PK\x03\x04": ("application/zip", "zip"),
}
OFFICE_EXTENSIONS = {"docx", "xlsx", "pptx"}


# Each operation is one of the audit log's kinds, named in Chinese in the row's label (the audit
# pages read in Chinese) and by code in its changes (for searching).
AUDIT_OPS: dict[str, tuple[str, str]] = {
    "bulletin.column_save": (AuditAction.UPDATE, "保存通知栏目"),
    "bulletin.file_add": (AuditAction.CREATE, "上传通知图片或附件"),
    "bulletin.notice_confirm": (AuditAction.CREATE, "居民确认已读"),
    "bulletin.notice_publish": (AuditAction.UPDATE, "发布通知"),
    "bulletin.notice_remind": (AuditAction.UPDATE, "提醒未读住户"),
    "bulletin.notice_save": (AuditAction.UPDATE, "保存通知"),
    "bulletin.notice_withdraw": (AuditAction.UPDATE, "撤回通知"),
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




# --- columns ----------------------------------------------------------------------------


def column_save(
    *,
    by: Actor,
    column: Column | None = None,
    name: str,
    description: str = "",
    sort_order: int = 100,
    is_active: bool = True,
) -> Column:
    """Create or change a column; needs bulletin.columns."""
    require_actor(by)
    if not policy.may_manage_columns(by):
        raise Forbidden("您没有管理通知栏目的权限")
    name = _text(name, "name", "栏目名称", max_length=30)
    description = _text(description, "description", "说明", max_length=200, required=False)
    if not 0 <= int(sort_order) <= 1000:
        raise field_error("sort_order", "排序须在0到1000之间")
    with transaction.atomic():
        clash = Column.objects.filter(name=name)
        if column is not None:
            clash = clash.exclude(pk=column.pk)
        if clash.exists():
            raise field_error("name", f"栏目“{name}”已存在")
        before = {"name": column.name, "is_active": column.is_active} if column else {}
        column = column or Column()
        column.name, column.description, column.sort_order, column.is_active = (
            name,
            description,
            int(sort_order),
            is_active,
        )
        column.save()
        audit_op(
            actor=by,
            op="bulletin.column_save",
            target=column,
            changes={"before": before, "after": {"name": name, "is_active": is_active}},
        )
    return column


# --- notices ----------------------------------------------------------------------------


def _clean_targets(by: Actor, owner: Place, targets: Iterable[Place]) -> list[Place]:
    chosen = list(dict.fromkeys(targets)) or [owner]
    for place in chosen:
        if not within(place.path, [owner.path]):
            raise field_error("targets", f"“{place.name}”不在发布单位“{owner.name}”的范围内")
    return chosen


def _clean_times(publish_at: dt.datetime | None, expires_at: dt.datetime | None) -> None:
    if publish_at and expires_at and expires_at <= publish_at:
        raise field_error("expires_at", "截止时间须晚于发布时间")


def notice_save(
    *,
    by: Actor,
    notice: Notice | None = None,
    column: Column,
    place: Place,
    title: str,
    summary: str = "",
    body_html: str = "",
    targets: Iterable[Place] = (),
    tags: Iterable[Tag] = (),
    pinned: bool = False,
    needs_receipt: bool = False,
    publish_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> Notice:
    """Create a draft or change a notice; `place` is where the author holds bulletin.publish."""
    require_actor(by)
    if not has_capability(by, caps.BULLETIN_PUBLISH, place):
        raise NotFound()
    title = _text(title, "title", "标题", max_length=TITLE_MAX)
    summary = _text(summary, "summary", "摘要", max_length=SUMMARY_MAX, required=False)
    if len(body_html or "") > BODY_MAX:
        raise field_error("body_html", f"正文不能超过{BODY_MAX}个字符")
    problem = text_problem(body_html or "", "正文", multiline=True)
    if problem:
        raise field_error("body_html", problem)
    body = clean_html(body_html)
    chosen = _clean_targets(by, place, targets)
    tag_list = list(dict.fromkeys(tags))
    _clean_times(publish_at, expires_at)
    with transaction.atomic():
        if notice is not None:
            notice = Notice.objects.select_for_update().get(pk=notice.pk)
            policy.check("edit", by, notice)
        else:
            notice = Notice(author=as_user(by))
        notice.column, notice.place, notice.title, notice.summary = column, place, title, summary
        notice.body_html = body
        notice.pinned, notice.needs_receipt = pinned, needs_receipt
        notice.has_tags = bool(tag_list)
        notice.expires_at = expires_at
        if notice.state in (NoticeState.DRAFT, NoticeState.SCHEDULED):
            notice.publish_at = publish_at
        notice.save()
        notice.targets.all().delete()
        NoticeTarget.objects.bulk_create([NoticeTarget(notice=notice, place=p, path=p.path) for p in chosen])
        notice.target_tags.set(tag_list)
        audit_op(
            actor=by,
            op="bulletin.notice_save",
            target=notice,
            place_path=place.path,
            changes={"title": title, "targets": [p.name for p in chosen], "tags": [t.name for t in tag_list]},
        )
    return notice


def _store_file(
    notice: Notice, *, kind: str, content: bytes, content_type: str, extension: str, name: str
) -> NoticeFile:
    item = NoticeFile(
        notice=notice, kind=kind, content_type=content_type, size=len(content), original_name=name[-120:]
    )
    item.file.save(f"{kind}.{extension}", ContentFile(content), save=False)
    item.save()
    return item


def notice_add_file(*, by: Actor, notice: Notice, upload: Any, kind: str) -> NoticeFile:
    """Attach an image (checked by content, location metadata stripped) or a PDF/Office file."""
    require_actor(by)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("place").get(pk=notice.pk)
        policy.check("edit", by, notice)
        if notice.files.count() >= MAX_FILES:
            raise field_error("file", f"每条通知最多{MAX_FILES}个图片和附件")
        if kind == FileKind.IMAGE:
            photo = clean_photo(upload, field="file")
            item = _store_file(
                notice,
                kind=kind,
                content=photo.content,
                content_type=photo.content_type,
                extension=photo.extension,
                name=photo.original_name,
            )
        elif kind == FileKind.ATTACHMENT:
            name = str(getattr(upload, "name", "") or "附件")
            if (getattr(upload, "size", 0) or 0) > ATTACHMENT_MAX_BYTES:
                raise field_error("file", f"附件“{name[-60:]}”超过{ATTACHMENT_MAX_BYTES // (1024 * 1024)}MB")
            upload.seek(0)
            data = upload.read(ATTACHMENT_MAX_BYTES + 1)
            if len(data) > ATTACHMENT_MAX_BYTES:
                raise field_error("file", f"附件“{name[-60:]}”超过{ATTACHMENT_MAX_BYTES // (1024 * 1024)}MB")
            found = next((v for magic, v in ATTACHMENT_TYPES.items() if data.startswith(magic)), None)
            extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if found is None or (found[1] == "zip" and extension not in OFFICE_EXTENSIONS):
                raise field_error("file", f"“{name[-60:]}”不是PDF或Word/Excel/PowerPoint文件")
            content_type, extension = found if found[1] == "pdf" else ("application/octet-stream", extension)
            item = _store_file(
                notice, kind=kind, content=data, content_type=content_type, extension=extension, name=name
            )
        else:
            raise field_error("kind", "文件类别只能是图片或附件")
        audit_op(
            actor=by,
            op="bulletin.file_add",
            target=notice,
            place_path=notice.place.path,
            changes={"kind": kind, "name": item.original_name},
        )
    return item


def _announce(notice: Notice) -> None:
    """Post to the group robots of every addressed place (and above), once per notice."""
    if notice.robots_posted:
        return
    names: list[str] = []
    for target in notice.targets.select_related("place"):
        names.extend(robot_names_for_place(target.place))
    body = notice.summary or html.unescape(plain_text(notice.body_html))[:300]
    notify(
        recipients=[],
        title=f"【{notice.column.name}】{notice.title}",
        body=body,
        link=f"/bulletin/n/{notice.pk}/",
        kind="bulletin",
        group_targets=dict.fromkeys(names),
    )
    Notice.objects.filter(pk=notice.pk).update(robots_posted=True)


def notice_publish(*, by: Actor, notice: Notice, now: dt.datetime | None = None) -> Notice:
    """Publish now, or schedule it when publish_at lies ahead; posts to the places' group robots."""
    require_actor(by)
    now = now or clock.now()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("place", "column").get(pk=notice.pk)
        policy.check("publish", by, notice)
        if notice.expires_at and notice.expires_at <= now:
            raise field_error("expires_at", "截止时间已过，请先修改截止时间")
        if notice.publish_at and notice.publish_at > now:
            notice.state = NoticeState.SCHEDULED
        else:
            notice.state = NoticeState.PUBLISHED
            notice.publish_at = notice.publish_at or now
            notice.published_at = now
        notice.save(update_fields=["state", "publish_at", "published_at", "updated_at"])
        if notice.state == NoticeState.PUBLISHED:
            _announce(notice)
        audit_op(
            actor=by,
            op="bulletin.notice_publish",
            target=notice,
            place_path=notice.place.path,
            changes={
                "state": notice.state,
                "publish_at": notice.publish_at.isoformat() if notice.publish_at else "",
            },
        )
    return notice


def notice_withdraw(*, by: Actor, notice: Notice) -> Notice:
    """Take a published or scheduled notice down."""
    require_actor(by)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("place").get(pk=notice.pk)
        policy.check("withdraw", by, notice)
        notice.state = NoticeState.WITHDRAWN
        notice.save(update_fields=["state", "updated_at"])
        audit_op(actor=by, op="bulletin.notice_withdraw", target=notice, place_path=notice.place.path)
    return notice


def publish_due(*, by: Actor, now: dt.datetime | None = None) -> int:
    """The sweep: scheduled notices whose time has come become published (and reach the robots)."""
    from gridgov.bulletin.selectors import due_scheduled_ids

    now = now or clock.now()
    done = 0
    for notice_id in due_scheduled_ids(now):
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update()
                .select_related("place", "column")
                .filter(pk=notice_id, state=NoticeState.SCHEDULED)
                .first()
            )
            if notice is None:
                continue
            notice.state = NoticeState.PUBLISHED
            notice.published_at = now
            notice.save(update_fields=["state", "published_at", "updated_at"])
            _announce(notice)
            audit_op(
                actor=by,
                op="bulletin.notice_publish",
                target=notice,
                place_path=notice.place.path,
                changes={"state": notice.state, "scheduled": True},
            )
            done += 1
    return done


def notice_confirm(*, by: Actor, notice: Notice, now: dt.datetime | None = None) -> NoticeReceipt:
    """A resident confirms having read an important notice; a second confirmation changes nothing."""
    require_actor(by)
    policy.check("confirm", by, notice)
    resident = Resident.objects.filter(pk=getattr(by, "resident_id", None) or 0).first()
    if resident is None:
        raise NotFound()
    with transaction.atomic():
        existing = NoticeReceipt.objects.filter(notice=notice, resident=resident).first()
        if existing is not None:
            return existing
        stay = Membership.objects.filter(resident=resident, moved_out__isnull=True).order_by("-id").first()
        receipt = NoticeReceipt.objects.create(
            notice=notice,
            resident=resident,
            household_id=stay.household_id if stay else None,
            confirmed_at=now or clock.now(),
        )
        Notice.objects.filter(pk=notice.pk).update(confirmed_count=F("confirmed_count") + 1)
        audit_op(actor=by, op="bulletin.notice_confirm", target=notice, place_path=notice.place.path)
    return receipt


def notice_remind_unread(*, by: Actor, notice: Notice) -> int:
    """Send the unread households' residents (those with an account) an in-app and SMS reminder."""
    from gridgov.accounts.models import User
    from gridgov.bulletin.selectors import unread_residents

    require_actor(by)
    policy.check("remind", by, notice)
    people = unread_residents(by, notice)  # type: ignore[arg-type]
    if not people:
        raise ValidationError("所有住户都已确认，无需提醒")
    users = list(User.objects.filter(resident_id__in=[p.pk for p in people], is_active=True))
    with transaction.atomic():
        notify(
            recipients=users,
            title=f"请确认已读：{notice.title}",
            body=notice.summary or notice.title,
            link=f"/bulletin/n/{notice.pk}/",
            kind="bulletin.remind",
            channels=("inapp", "sms"),
        )
        audit_op(
            actor=by,
            op="bulletin.notice_remind",
            target=notice,
            place_path=notice.place.path,
            changes={"residents": len(people), "accounts": len(users)},
        )
    return len(users)
