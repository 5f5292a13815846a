"""Notifications: the in-app inbox, every outbound message, and the group robots they go to."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gridgov.core.fields import EncryptedTextField


class Notification(models.Model):
    """One in-app message to one user; read_at is None while it is unread."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=500, blank=True)
    kind = models.CharField("类别", max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox page and the unread badge: both filter by recipient first.
            models.Index(fields=["recipient", "-created_at"], name="notif_inbox"),
            models.Index(fields=["recipient", "read_at"], name="notif_unread"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    WECOM = "wecom", "企业微信群机器人"
    DINGTALK = "dingtalk", "钉钉群机器人"


class RobotChannel(models.TextChoices):
    WECOM = "wecom", "企业微信"
    DINGTALK = "dingtalk", "钉钉"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class GroupRobot(models.Model):
    """A WeCom or DingTalk group's custom robot (webhook), configured by an administrator."""

    name = models.CharField("名称", max_length=60, unique=True)
    channel = models.CharField("平台", max_length=16, choices=RobotChannel.choices)
    # The key (WeCom `key=`, DingTalk `access_token=`) is in the URL: both are credentials, kept
    # encrypted at rest and shown masked (`webhook_masked`) once saved.
    webhook_url = EncryptedTextField("Webhook地址")
    # DingTalk "加签": with a secret set, every request carries timestamp+sign.
    secret = EncryptedTextField("加签密钥", blank=True)
    is_active = models.BooleanField("启用", default=True)
    place = models.ForeignKey(
        "places.Place", verbose_name="所属地点", on_delete=models.PROTECT, related_name="group_robots"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "群机器人"
        verbose_name_plural = "群机器人"
        ordering = ["place__path", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_channel_display()}）"

    @property
    def webhook_masked(self) -> str:
        # The key/access_token in the URL is the credential: show the host and its last characters only.
        from urllib.parse import urlsplit

        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.netloc}/…{self.webhook_url[-4:]}"


class OutboundMessage(models.Model):
    """Every message that leaves the system, kept whether it was sent or not."""

    channel = models.CharField("渠道", max_length=16, choices=Channel.choices, db_index=True)
    # Shown to people: the masked phone or the robot's name, never a credential or a full number.
    target = models.CharField("发送对象", max_length=100)
    # The full phone for SMS, encrypted like every phone number in the system.
    target_enc = models.TextField(blank=True)
    robot = models.ForeignKey(
        GroupRobot,
        verbose_name="群机器人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_messages",
    )
    notification = models.ForeignKey(
        Notification,
        verbose_name="站内通知",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound",
    )
    kind = models.CharField("类别", max_length=40, blank=True)
    payload = models.JSONField("内容", default=dict)
    status = models.CharField(
        "状态", max_length=16, choices=OutboundStatus.choices, default=OutboundStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    # A worker holds a message while it talks to the provider; a crashed worker's lease simply runs out.
    leased_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次重试", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "外发消息"
        verbose_name_plural = "外发消息"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.target}"

    @property
    def summary(self) -> str:
        """The first line of what was sent, whatever the channel's payload shape."""
        payload = self.payload or {}
        for section, key in (("markdown", "title"), ("markdown", "content"), ("text", "content")):
            value = (payload.get(section) or {}).get(key) if isinstance(payload.get(section), dict) else None
            if value:
                return str(value).lstrip("#* ").split("\n", 1)[0].rstrip("*")
        return str(payload.get("text", ""))
