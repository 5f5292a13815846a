"""Columns (栏目) and notices addressed to places and resident tags, with read receipts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

TITLE_MAX = 120
SUMMARY_MAX = 300
BODY_MAX = 50_000


class Column(models.Model):
    name = models.CharField("栏目名称", max_length=30, unique=True)
    description = models.CharField("说明", max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "栏目"
        verbose_name_plural = "栏目"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class NoticeState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SCHEDULED = "scheduled", "定时发布"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"


class Notice(models.Model):
    column = models.ForeignKey(Column, verbose_name="栏目", on_delete=models.PROTECT, related_name="notices")
    # The place whose staff own the notice: the publisher's scope, and the root of its targets.
    place = models.ForeignKey(
        "places.Place", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("标题", max_length=TITLE_MAX)
    summary = models.CharField("摘要", max_length=SUMMARY_MAX, blank=True)
    # Already sanitised by bulletin.richtext when stored; rendered with |safe.
    body_html = models.TextField("正文", blank=True)
    state = models.CharField("状态", max_length=12, choices=NoticeState.choices, default=NoticeState.DRAFT)
    publish_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_at = models.DateTimeField("实际发布时间", null=True, blank=True)
    expires_at = models.DateTimeField("截止时间", null=True, blank=True)
    pinned = models.BooleanField("置顶", default=False)
    needs_receipt = models.BooleanField("需确认已读", default=False)
    # Denormalised from target_tags so the residents' list is one indexed filter.
    has_tags = models.BooleanField(default=False, editable=False)
    target_tags = models.ManyToManyField("people.Tag", verbose_name="人群标签", blank=True, related_name="+")
    robots_posted = models.BooleanField(default=False, editable=False)
    confirmed_count = models.PositiveIntegerField("已确认人数", default=0, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "通知公告"
        verbose_name_plural = "通知公告"
        ordering = ["-pinned", "-publish_at", "-id"]
        indexes = [models.Index(fields=["state", "publish_at"])]

    def __str__(self) -> str:
        return self.title


class NoticeTarget(models.Model):
    """One addressed place (street, community, grid, estate or building): its whole subtree hears."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="targets")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=255, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "place"], name="bulletin_target_unique")]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.path}"


class NoticeReceipt(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(
        "places.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField("确认时间")

    class Meta:
        verbose_name = "已读确认"
        verbose_name_plural = "已读确认"
        constraints = [models.UniqueConstraint(fields=["notice", "resident"], name="bulletin_receipt_unique")]

    def __str__(self) -> str:
        return f"{self.resident_id} 已读 {self.notice_id}"


class FileKind(models.TextChoices):
    IMAGE = "image", "图片"
    ATTACHMENT = "attachment", "附件"


class NoticeFile(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=12, choices=FileKind.choices)
    file = models.FileField(upload_to="bulletin/%Y/%m/")
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name
