"""Boards per community (or estate), topics and replies under display names, and their moderation."""

from __future__ import annotations

from django.conf import settings
from django.db import models

TITLE_MAX = 80
BODY_MAX = 5000
ALIAS_MAX = 20


class Board(models.Model):
    place = models.ForeignKey(
        "places.Place", verbose_name="社区/小区", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("版块名称", max_length=40)
    description = models.CharField("说明", max_length=200, blank=True)
    # A new poster's first N posts wait for a moderator (0 = none held for being new).
    hold_first_posts = models.PositiveSmallIntegerField("新用户前几帖需审核", default=2)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "论坛版块"
        verbose_name_plural = "论坛版块"
        ordering = ["place__path", "name"]
        constraints = [models.UniqueConstraint(fields=["place", "name"], name="forum_board_unique")]

    def __str__(self) -> str:
        return self.name


class Poster(models.Model):
    """The display name a user posts under, and how many of their posts were let through."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_poster"
    )
    display_name = models.CharField("昵称", max_length=ALIAS_MAX, unique=True)
    approved_posts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.display_name


class PostState(models.TextChoices):
    VISIBLE = "visible", "已发布"
    HELD = "held", "待审核"
    HIDDEN = "hidden", "已隐藏"


class Topic(models.Model):
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="topics")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    alias = models.CharField("昵称", max_length=ALIAS_MAX)
    title = models.CharField("标题", max_length=TITLE_MAX)
    body = models.TextField("内容", max_length=BODY_MAX)
    state = models.CharField("状态", max_length=10, choices=PostState.choices, default=PostState.VISIBLE)
    held_reason = models.CharField("待审原因", max_length=200, blank=True)
    locked = models.BooleanField("已锁定", default=False)
    pinned = models.BooleanField("置顶", default=False)
    reply_count = models.PositiveIntegerField(default=0)
    # Where the author lives (else the board's place): whose staff moderate it and see who wrote it.
    place_path = models.CharField(max_length=255, db_index=True, default="")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField()

    class Meta:
        verbose_name = "帖子"
        verbose_name_plural = "帖子"
        ordering = ["-pinned", "-last_activity_at", "-id"]
        indexes = [models.Index(fields=["board", "state", "last_activity_at"])]

    def __str__(self) -> str:
        return self.title


class Reply(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    alias = models.CharField("昵称", max_length=ALIAS_MAX)
    body = models.TextField("内容", max_length=BODY_MAX)
    state = models.CharField("状态", max_length=10, choices=PostState.choices, default=PostState.VISIBLE)
    held_reason = models.CharField("待审原因", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"回复 {self.topic_id}"


class PostImage(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="images")
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to="forum/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name


class PostReport(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="reports")
    reply = models.ForeignKey(Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField("举报理由", max_length=200)
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resolved", "-id"]

    def __str__(self) -> str:
        return self.reason


class Ban(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The board's place: a ban in one community does not silence the user in another.
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    until = models.DateTimeField("禁言至")
    reason = models.CharField("原因", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-until"]

    def __str__(self) -> str:
        return f"禁言 {self.user_id}"


class SensitiveWord(models.Model):
    word = models.CharField("敏感词", max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "敏感词"
        verbose_name_plural = "敏感词"
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word
