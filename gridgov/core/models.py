"""Shared tables: the working-day calendar (the State Council's holiday schedule) and the version
tokens that tell every process when a cached configuration changed."""

from __future__ import annotations

from django.db import models


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "放假"
    WORKDAY = "workday", "调休上班"


class CalendarDay(models.Model):
    """One exception to the Monday–Friday week: a holiday on a weekday, or a weekend day worked
    in exchange (调休上班). Weekends without a row rest and weekdays without a row work, so a
    year counts as entered once it has any row."""

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=8, choices=DayKind.choices)
    name = models.CharField("节日", max_length=40, help_text="如“春节”；调休上班日填它补的节日")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}{self.get_kind_display()}"

    @property
    def is_workday(self) -> bool:
        return self.kind == DayKind.WORKDAY


class ConfigVersion(models.Model):
    """A random token per cached configuration (e.g. "cases.config": categories, SLAs, routing
    rules), replaced in the same transaction as every write to it (`gridgov.core.versions`).

    Each process keeps the configuration in memory with the token it read first and compares one
    indexed row per use, so a change takes effect at once in every process. Random rather than a
    counter: a rolled-back write restores the old token, and no cache built inside it can match."""

    name = models.CharField(max_length=40, unique=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.name}@{self.token}"
