"""Writes for notifications.

`notify` is what every other app calls: it stores the in-app rows and the outbound messages in
the caller's transaction and asks for delivery only once that transaction has committed, so a
rolled-back case transition never texts anyone. Delivery (`outbound_deliver`) runs in the task
worker, one message at a time, claimed with a lease so two workers never send the same message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from gridgov.accounts.scope import is_unrestricted, require, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_diff, audit_record
from gridgov.core import clock
from gridgov.core.errors import field_error
from gridgov.core.inserts import insert_only
from gridgov.core.masking import mask_phone
from gridgov.notifications import channels as ch
from gridgov.notifications.models import (
    Channel,
    GroupRobot,
    Notification,
    OutboundMessage,
    OutboundStatus,
    RobotChannel,
)
from gridgov.notifications.selectors import ROBOTS_CAPABILITY, notification_for

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor
    from gridgov.places.models import Place

logger = logging.getLogger("gridgov.notifications")

CHANNEL_CODES = frozenset({"inapp", Channel.SMS, Channel.WECOM, Channel.DINGTALK})
TITLE_MAX = 200
BODY_MAX = 4000
LINK_MAX = 500
# Long enough for a slow provider plus the HTTP timeout; a crashed worker's claim expires after it.
LEASE = dt.timedelta(minutes=2)
MAX_BACKOFF_SECONDS = 3600.0


def _check_link(link: str) -> str:
    link = (link or "").strip()
    if not link:
        return ""
    if len(link) > LINK_MAX:
        raise field_error("link", f"链接不能超过{LINK_MAX}个字符")
    parts = urlsplit(link)
    site_relative = (
        link.startswith("/") and not link.startswith("//") and not parts.scheme and not parts.netloc
    )
    absolute = parts.scheme in {"http", "https"} and bool(parts.netloc)
    # Anything else (javascript:, data:, //evil.example) must never become an href in someone's inbox.
    if not (site_relative or absolute):
        raise field_error("link", "链接须为站内路径（以/开头）或http(s)地址")
    return link


def _phone_of(user: User) -> tuple[str, str]:
    """(encrypted phone, last four) from the account, else from the resident card it belongs to."""
    if user.phone_enc:
        return user.phone_enc, user.phone_last4
    resident = getattr(user, "resident", None) if user.resident_id else None
    if resident is not None and resident.phone_enc:
        return resident.phone_enc, resident.phone_last4
    return "", ""


def notify(
    *,
    recipients: Iterable[User],
    title: str,
    body: str,
    link: str = "",
    kind: str = "",
    channels: Iterable[str] = ("inapp",),
    group_targets: Iterable[str] = (),
    phones: Iterable[tuple[str, str]] = (),
    read_back: bool = True,
) -> list[Notification]:
    """Store one in-app Notification per recipient in the caller's transaction; outbound deliveries
    (sms to each recipient's phone, wecom/dingtalk group robots named in group_targets) are recorded
    as OutboundMessage rows and sent by a task enqueued with transaction.on_commit.

    `channels` picks the per-person channels ("inapp", "sms"); "wecom"/"dingtalk" may be listed
    too but add nothing by themselves: a robot is reached by naming it in `group_targets` (see
    `selectors.robot_names_for_place`). Inactive recipients are skipped; unknown robot names are
    logged and skipped, so a renamed robot never breaks the caller's transaction.

    `phones` are SMS targets that belong to no account (a community's duty phone), given as
    (encrypted number, last four digits); they are texted whatever `channels` says.

    `read_back=False`: the caller needs not the notifications' keys (they come back unset), so
    their INSERT reads nothing back, one answer fewer to wait for in a pipelined transaction.
    """
    wanted = list(dict.fromkeys(channels))
    unknown = [code for code in wanted if code not in CHANNEL_CODES]
    if unknown:
        raise field_error("channels", f"未知的通知渠道：{'、'.join(unknown)}")
    title = " ".join((title or "").split())
    if not title:
        raise field_error("title", "请填写通知标题")
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    body = (body or "").strip()
    if len(body) > BODY_MAX:
        body = body[: BODY_MAX - 1] + "…"
    link = _check_link(link)
    kind = (kind or "")[:40]

    people: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.pk and user.is_active:
            people.setdefault(user.pk, user)

    # No savepoint inside the caller's transaction (two round trips per notice): nothing in the
    # block is caught here, so an error rolls the caller back exactly as it would with one.
    with transaction.atomic(savepoint=False):
        notifications: list[Notification] = []
        if "inapp" in wanted and people:
            notifications = [
                Notification(recipient=user, title=title, body=body, link=link, kind=kind)
                for user in people.values()
            ]
            if read_back or Channel.SMS in wanted:  # a text names the notice it belongs to
                Notification.objects.bulk_create(notifications)
            else:
                insert_only(notifications)
        by_user = {notification.recipient_id: notification for notification in notifications}

        messages: list[OutboundMessage] = []
        if Channel.SMS in wanted:
            payload = ch.SmsChannel.payload(title=title, body=body, link=link)
            for user in people.values():
                phone_enc, last4 = _phone_of(user)
                message = OutboundMessage(
                    channel=Channel.SMS,
                    target=mask_phone(last4) or str(user)[:100],
                    target_enc=phone_enc,
                    recipient=user,
                    notification=by_user.get(user.pk),
                    kind=kind,
                    payload=payload,
                )
                if not phone_enc:
                    # Stored all the same, so "why did X get no text" has an answer.
                    message.status = OutboundStatus.FAILED
                    message.last_error = "接收人未登记手机号"
                messages.append(message)
        numbers = [(enc, last4) for enc, last4 in dict.fromkeys(phones) if enc]
        if numbers:
            payload = ch.SmsChannel.payload(title=title, body=body, link=link)
            messages.extend(
                OutboundMessage(
                    channel=Channel.SMS,
                    target=mask_phone(last4) or "值班电话",
                    target_enc=enc,
                    kind=kind,
                    payload=payload,
                )
                for enc, last4 in numbers
            )

        names = [name for name in dict.fromkeys(group_targets) if name]
        # No robot named (most notices): not even the empty query built.
        robots = {robot.name: robot for robot in GroupRobot.objects.filter(name__in=names)} if names else {}
        for name in names:
            robot = robots.get(name)
            if robot is None:
                logger.warning("notify: 群机器人“%s”不存在，已跳过", name)
                continue
            message = OutboundMessage(
                channel=robot.channel,
                target=robot.name,
                robot=robot,
                kind=kind,
                payload=_robot_payload(robot.channel, title=title, body=body, link=link),
            )
            if not robot.is_active:
                message.status = OutboundStatus.FAILED
                message.last_error = f"群机器人“{robot.name}”已停用"
            messages.append(message)

        if messages:
            OutboundMessage.objects.bulk_create(messages)
            pending = [message.pk for message in messages if message.status == OutboundStatus.PENDING]
            if pending:
                transaction.on_commit(partial(enqueue_deliveries, pending), robust=True)
    return notifications


def _robot_payload(channel: str, *, title: str, body: str, link: str) -> dict:
    if channel == RobotChannel.DINGTALK:
        return ch.DingTalkChannel.payload(title=title, body=body, link=link)
    return ch.WecomChannel.payload(title=title, body=body, link=link)


def enqueue_deliveries(message_ids: Iterable[int]) -> None:
    """Called after commit (never inside a transaction): one task per message, so each retries alone."""
    from gridgov.notifications.tasks import deliver_outbound

    for message_id in message_ids:
        deliver_outbound.enqueue(message_id)


# --- Delivery --------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """30 s, 2 min, 8 min, 32 min … after the 1st, 2nd, 3rd, 4th failed attempt (base configurable)."""
    return min(settings.GRIDGOV_NOTIFY_BACKOFF * 4 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def outbound_deliver(message_id: int) -> tuple[OutboundMessage | None, float | None]:
    """Make one delivery attempt. Returns the message (None when it was not ours to send: already
    sent, given up, or held by another worker) and the delay before a retry, if one is due."""
    now = clock.now()
    # The conditional UPDATE is the claim: of two workers racing for one message exactly one
    # matches the row; a sent message never matches again, which makes the task idempotent.
    claimed = (
        OutboundMessage.objects.filter(pk=message_id, status=OutboundStatus.PENDING)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None, None
    message = OutboundMessage.objects.select_related("robot").get(pk=message_id)
    # The provider is called with no transaction open: a slow webhook must not hold database locks.
    try:
        ch.channel(message.channel).deliver(message)
    except ch.DeliveryError as exc:
        error, permanent = str(exc), exc.permanent
    except Exception as exc:  # a broken SMS backend is recorded like any failed send
        logger.exception("outbound message %s: unexpected error", message_id)
        error, permanent = f"{type(exc).__name__}: {exc}", False
    else:
        # last_error is kept: "sent on the 3rd try after errcode 45009" is worth knowing.
        OutboundMessage.objects.filter(pk=message_id).update(
            status=OutboundStatus.SENT,
            sent_at=clock.now(),
            leased_until=None,
            next_attempt_at=None,
        )
        message.refresh_from_db()
        return message, None

    give_up = permanent or message.attempts >= settings.GRIDGOV_NOTIFY_MAX_ATTEMPTS
    delay = None if give_up else backoff_seconds(message.attempts)
    OutboundMessage.objects.filter(pk=message_id).update(
        status=OutboundStatus.FAILED if give_up else OutboundStatus.PENDING,
        last_error=f"第{message.attempts}次：{error}"[:2000],
        leased_until=None,
        next_attempt_at=None if delay is None else clock.now() + dt.timedelta(seconds=delay),
    )
    logger.warning("outbound message %s attempt %s failed: %s", message_id, message.attempts, error)
    message.refresh_from_db()
    return message, delay


def outbound_due_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Pending messages whose retry time has come and that nobody holds — for `gridgov notify_retry`,
    which catches messages whose task was lost (a worker killed between two attempts)."""
    now = now or clock.now()
    return list(
        OutboundMessage.objects.filter(status=OutboundStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("id")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def outbound_resend(*, by: Actor, message: OutboundMessage) -> OutboundMessage:
    """Put a failed message back in the queue (after fixing a robot's key, say)."""
    require_actor(by)
    if message.robot is not None:
        require(by, ROBOTS_CAPABILITY, message.robot.place)
    elif not is_unrestricted(by):
        from gridgov.core.errors import Forbidden

        raise Forbidden("只有系统管理员可以重发短信")
    if message.status != OutboundStatus.FAILED:
        raise field_error("status", "只有发送失败的消息可以重发")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundStatus.PENDING, attempts=0, next_attempt_at=None, leased_until=None
    )
    audit_record(
        actor=by, action=AuditAction.UPDATE, target=message, changes={"status": ["failed", "pending"]}
    )
    transaction.on_commit(partial(enqueue_deliveries, [message.pk]), robust=True)
    message.refresh_from_db()
    return message


# --- Inbox -----------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, by: User, notification_id: int) -> Notification:
    notification = notification_for(by, notification_id)
    if notification.read_at is None:
        # Filtered on read_at so a double click keeps the first reading time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=clock.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, by: User) -> int:
    return Notification.objects.filter(recipient_id=by.pk, read_at__isnull=True).update(read_at=clock.now())


# --- Group robots ----------------------------------------------------------------------------

ROBOT_FIELDS = ("name", "channel", "webhook_url", "secret", "is_active", "place")


def _clean_robot(*, name: str, channel: str, webhook_url: str, secret: str) -> tuple[str, str, str]:
    name = (name or "").strip()
    if not name:
        raise field_error("name", "请填写机器人名称")
    if len(name) > 60:
        raise field_error("name", "名称不能超过60个字")
    if channel not in RobotChannel.values:
        raise field_error("channel", "平台须为企业微信或钉钉")
    webhook_url = (webhook_url or "").strip()
    parts = urlsplit(webhook_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(webhook_url) > 500:
        raise field_error("webhook_url", "Webhook地址须为完整的http(s)地址")
    # Only WeCom's and DingTalk's hosts (GRIDGOV_ROBOT_HOSTS): the server posts wherever this
    # says, so any other address would let a robot's owner probe the internal network.
    problem = ch.webhook_problem(webhook_url)
    if problem:
        raise field_error("webhook_url", problem)
    secret = (secret or "").strip()
    if secret and channel != RobotChannel.DINGTALK:
        raise field_error("secret", "只有钉钉机器人使用加签密钥")
    if len(secret) > 200:
        raise field_error("secret", "加签密钥不能超过200个字符")
    return name, webhook_url, secret


def _robot_state(robot: GroupRobot) -> dict[str, object]:
    # The webhook key and the signing secret are credentials: the audit trail records that they
    # changed, never their values.
    return {
        "name": robot.name,
        "channel": robot.channel,
        "webhook_url": robot.webhook_masked,
        "secret": "已设置" if robot.secret else "",
        "is_active": robot.is_active,
        "place": robot.place,
    }


@transaction.atomic
def robot_create(
    *,
    by: Actor,
    place: Place,
    name: str,
    channel: str,
    webhook_url: str,
    secret: str = "",
    is_active: bool = True,
) -> GroupRobot:
    require(by, ROBOTS_CAPABILITY, place)
    name, webhook_url, secret = _clean_robot(
        name=name, channel=channel, webhook_url=webhook_url, secret=secret
    )
    if GroupRobot.objects.filter(name=name).exists():
        raise field_error("name", "已有同名的群机器人")
    robot = GroupRobot.objects.create(
        name=name, channel=channel, webhook_url=webhook_url, secret=secret, is_active=is_active, place=place
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=robot,
        place_path=place.path,
        changes=audit_diff({}, _robot_state(robot)),
    )
    return robot


@transaction.atomic
def robot_update(
    *,
    by: Actor,
    robot: GroupRobot,
    name: str,
    channel: str,
    webhook_url: str | None = None,
    secret: str | None = None,
    is_active: bool = True,
) -> GroupRobot:
    """`webhook_url=None` (or "") keeps the stored address and `secret=None` the stored secret:
    pages never echo either back once saved; `secret=""` clears the secret."""
    robot = GroupRobot.objects.select_for_update().select_related("place").get(pk=robot.pk)
    require(by, ROBOTS_CAPABILITY, robot.place)
    keep_secret = secret is None
    name, webhook_url, secret = _clean_robot(
        name=name,
        channel=channel,
        webhook_url=webhook_url or robot.webhook_url,
        secret=robot.secret if keep_secret and channel == RobotChannel.DINGTALK else (secret or ""),
    )
    if GroupRobot.objects.filter(name=name).exclude(pk=robot.pk).exists():
        raise field_error("name", "已有同名的群机器人")
    before = _robot_state(robot)
    robot.name, robot.channel, robot.webhook_url, robot.secret, robot.is_active = (
        name,
        channel,
        webhook_url,
        secret,
        is_active,
    )
    robot.save()
    changes = audit_diff(before, _robot_state(robot))
    if changes:
        audit_record(
            actor=by, action=AuditAction.UPDATE, target=robot, place_path=robot.place.path, changes=changes
        )
    return robot


@transaction.atomic
def robot_send_test(*, by: Actor, robot: GroupRobot) -> OutboundMessage:
    """Send a test message through a robot, stored and delivered like any other."""
    require(by, ROBOTS_CAPABILITY, robot.place)
    title = "网格治理：群机器人测试消息"
    body = f"这是“{robot.name}”的测试消息，收到说明配置正确。"
    message = OutboundMessage.objects.create(
        channel=robot.channel,
        target=robot.name,
        robot=robot,
        kind="robot_test",
        payload=_robot_payload(robot.channel, title=title, body=body, link=""),
        status=OutboundStatus.PENDING if robot.is_active else OutboundStatus.FAILED,
        last_error="" if robot.is_active else f"群机器人“{robot.name}”已停用",
    )
    if robot.is_active:
        transaction.on_commit(partial(enqueue_deliveries, [message.pk]), robust=True)
    return message
