from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportKind(models.TextChoices):
    RESIDENTS = "residents", "居民（同时建立楼栋和户）"
    BUILDINGS = "buildings", "楼栋和户（不含居民）"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "等待检查"
    VALIDATING = "validating", "正在检查"
    READY = "ready", "检查完成，待确认"
    IMPORTING = "importing", "正在导入"
    DONE = "done", "导入完成"
    CANCELLED = "cancelled", "已取消，未导入"
    FAILED = "failed", "失败"


ACTIVE_STATUSES = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class ImportJob(models.Model):
    """One uploaded file: checked in full first, then imported (or not) as the user chooses."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    place = models.ForeignKey(
        "places.Place", verbose_name="导入到", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("导入内容", max_length=12, choices=ImportKind.choices)
    status = models.CharField(
        "状态", max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    original_name = models.CharField("文件名", max_length=255)
    file_path = models.CharField(max_length=500, blank=True)
    file_format = models.CharField(max_length=8, blank=True)  # xlsx / csv, found by the worker
    encoding = models.CharField(max_length=16, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    # Filled by the check; `processed_rows` and the result counters move during the import.
    total_rows = models.PositiveIntegerField(default=0)
    bad_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0)
    places_created = models.PositiveIntegerField(default=0)
    households_created = models.PositiveIntegerField(default=0)
    households_updated = models.PositiveIntegerField(default=0)
    residents_created = models.PositiveIntegerField(default=0)
    residents_updated = models.PositiveIntegerField(default=0)
    residents_unchanged = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    # The template columns the file had, in its order: the error report gives the bad rows back
    # under the same headings, so the user corrects them and uploads the same file again.
    source_columns = models.JSONField(default=list, blank=True)
    message = models.TextField("说明", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"导入 {self.original_name}"

    @property
    def good_rows(self) -> int:
        return max(self.total_rows - self.bad_rows, 0)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.VALIDATING:
            # The row count is unknown while checking a CSV; show movement, not a lie.
            return 0 if not self.total_rows else min(100, self.checked_rows * 100 // self.total_rows)
        if self.status == ImportStatus.IMPORTING:
            goal = self.good_rows or 1
            return min(100, self.processed_rows * 100 // goal)
        return 100 if self.status == ImportStatus.DONE else 0


class ImportRowError(models.Model):
    """One problem in one row of an import file: 第N行, which column, why (in Chinese)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField("行号")
    column = models.CharField("列", max_length=40)
    message = models.CharField("原因", max_length=300)
    name = models.CharField("姓名", max_length=50, blank=True)
    # The row's cells as uploaded (JSON list, encrypted: they hold ID numbers and phones), on the
    # first error of each row only.
    cells_enc = models.TextField(blank=True)

    class Meta:
        verbose_name = "导入错误"
        verbose_name_plural = "导入错误"
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"])]

    def __str__(self) -> str:
        return f"第{self.row}行 {self.column}：{self.message}"


class CaseListStatus(models.TextChoices):
    PENDING = "pending", "等待处理"
    RUNNING = "running", "正在检查和导入"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class CaseListJob(models.Model):
    """One uploaded problem list (物业问题清单) for cases bulk intake, read and filed by the worker.

    It lives here with the other spreadsheet jobs; the rows become cases through
    gridgov.cases.bulk, which keeps what it filed as case ids (no foreign key into cases)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=12, choices=CaseListStatus.choices, default=CaseListStatus.PENDING
    )
    original_name = models.CharField("文件名", max_length=255)
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    all_or_nothing = models.BooleanField("有错误行时全部不导入", default=True)
    # The day of the upload (Asia/Shanghai): part of each row's idempotency key, so a list
    # uploaded twice the same day files nothing twice, and next month's same item is a new case.
    upload_date = models.DateField("上传日期")
    total_rows = models.PositiveIntegerField(default=0)
    created_ids = models.JSONField(default=list, blank=True)
    existing_ids = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "field", "message"}]
    written = models.BooleanField(default=False)
    message = models.TextField("说明", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "问题清单导入"
        verbose_name_plural = "问题清单导入"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"问题清单 {self.original_name}"

    @property
    def is_active(self) -> bool:
        return self.status in (CaseListStatus.PENDING, CaseListStatus.RUNNING)
