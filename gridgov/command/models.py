"""Tasks sent down (任务下发): a street or community sends one job to every grid of a subtree.

A `Task` is the job (a door-to-door fire-safety check, a census update …) with its checklist
and deadline; its `TaskItem` rows are made when it is sent, one per household (or building) of
the subtree, each carrying the grid it belongs to, so a grid's share and the per-grid progress
are single-index reads. A tick is idempotent by the phone's client key: the offline queue may
send the same tick twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class TaskUnit(models.TextChoices):
    HOUSEHOLD = "household", "逐户"
    BUILDING = "building", "逐栋"


class Outcome(models.TextChoices):
    PENDING = "pending", "未走访"
    HOME = "home", "在家"
    AWAY = "away", "不在家"
    REFUSED = "refused", "拒访"


DONE_OUTCOMES: tuple[str, ...] = (Outcome.HOME, Outcome.AWAY, Outcome.REFUSED)
CHECKLIST_MAX = 12
CHECK_ITEM_MAX = 40


class Task(models.Model):
    title = models.CharField("任务名称", max_length=60)
    description = models.TextField("任务说明", max_length=2000, blank=True)
    place = models.ForeignKey(
        "places.Place", verbose_name="下发范围", on_delete=models.PROTECT, related_name="+"
    )
    place_path = models.CharField(max_length=255)
    unit = models.CharField("走访单位", max_length=10, choices=TaskUnit.choices, default=TaskUnit.HOUSEHOLD)
    checklist = models.JSONField("检查项", default=list, blank=True)
    # The door-to-door visits where someone is home must carry a photo (a fire extinguisher, a
    # posted notice …), uploaded with the tick.
    photo_asked = models.BooleanField("入户须拍照", default=False)
    deadline = models.DateTimeField("完成期限")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    item_count = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "下发任务"
        verbose_name_plural = "下发任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["place_path", "created_at"], name="command_task_place")]

    def __str__(self) -> str:
        return self.title


class TaskItem(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="items")
    grid = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    grid_path = models.CharField(max_length=255)
    # The building (or unit) visited; the household when the task goes door to door.
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "places.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(max_length=255)
    outcome = models.CharField("走访结果", max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    checks = models.JSONField("检查结果", default=list, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "任务明细"
        verbose_name_plural = "任务明细"
        ordering = ["label", "id"]
        indexes = [
            models.Index(fields=["task", "grid", "outcome"], name="command_item_grid"),
            models.Index(fields=["grid_path", "outcome"], name="command_item_worker"),
        ]

    def __str__(self) -> str:
        return self.label


PHOTOS_PER_ITEM = 3


class TaskPhoto(models.Model):
    """A photo taken at one household's visit: checked and stripped of its location
    (cases.photos.clean_photo), then sealed on disk (core.sealed) under `path`, relative to the
    private photo folder; read back only through the task's scope-checked pages."""

    item = models.ForeignKey(TaskItem, on_delete=models.CASCADE, related_name="photos")
    path = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    # The phone's key for this upload: its offline queue may send the same photo twice.
    client_key = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "任务照片"
        verbose_name_plural = "任务照片"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "client_key"], name="command_photo_once"),
        ]

    def __str__(self) -> str:
        return f"照片 {self.pk}"


class Broadcast(models.Model):
    """紧急通知: one urgent notice to every staff member and resident account of a subtree."""

    title = models.CharField("标题", max_length=60)
    body = models.TextField("内容", max_length=500)
    place = models.ForeignKey("places.Place", verbose_name="范围", on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "紧急通知"
        verbose_name_plural = "紧急通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["place_path", "created_at"], name="command_broadcast_place")]

    def __str__(self) -> str:
        return self.title


class BroadcastRecipient(models.Model):
    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The building the person lives or works in; empty for staff of a grid, community or street.
    building = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.CharField(max_length=120)
    notification = models.ForeignKey(
        "notifications.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["broadcast", "group"], name="command_broadcast_group")]

    def __str__(self) -> str:
        return f"{self.broadcast} → {self.group}"


# The assessment's measures, each a share between 0 and 1 (see command.assessment).
MEASURES: dict[str, str] = {
    "cases_on_time": "事件按时办结率",
    "satisfaction": "群众满意率",
    "patrol_reports": "巡查上报事件（对比月度目标）",
    "tasks_on_time": "下发任务按期完成率",
    "patrol_coverage": "入户走访覆盖率",
}
DEFAULT_WEIGHTS: dict[str, int] = {
    "cases_on_time": 30,
    "satisfaction": 25,
    "patrol_reports": 15,
    "tasks_on_time": 15,
    "patrol_coverage": 15,
}
# (lowest score, label), best first.
DEFAULT_BANDS: list[list[Any]] = [[90, "优秀"], [75, "良好"], [60, "合格"], [0, "待改进"]]


class AssessmentRule(models.Model):
    """网格员考核: the weights of the measures and the scoring bands; one row, set by an administrator."""

    weights = models.JSONField("权重", default=dict)
    bands = models.JSONField("评分档次", default=list)
    patrol_target = models.PositiveSmallIntegerField("每月巡查上报目标（件）", default=10)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "网格员考核规则"
        verbose_name_plural = "网格员考核规则"

    def __str__(self) -> str:
        return "网格员考核规则"
