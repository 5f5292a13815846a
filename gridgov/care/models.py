"""结对帮扶 care plans with recurring duties, their visit log, and grid patrol door-to-door visits."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

# The tags whose residents must each have a plan or be listed as uncovered.
COVERED_TAGS = ("living-alone-elderly", "empty-nest-elderly", "disabled", "left-behind-child")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    YEARLY = "yearly", "每年"


class DutyKind(models.TextChoices):
    VISIT = "visit", "上门看望"
    HOUSEWORK = "housework", "做一次家务"
    PROBLEM = "problem", "解决一个实际问题"
    BIRTHDAY = "birthday", "过一次生日"


# 周末好儿女 (seed 002): every week a visit, every month housework, every quarter one problem
# solved, every year a birthday.
PRESETS: dict[str, list[tuple[str, str]]] = {
    "weekend_children": [
        (DutyKind.VISIT, Frequency.WEEKLY),
        (DutyKind.HOUSEWORK, Frequency.MONTHLY),
        (DutyKind.PROBLEM, Frequency.QUARTERLY),
        (DutyKind.BIRTHDAY, Frequency.YEARLY),
    ],
    "weekly_visit": [(DutyKind.VISIT, Frequency.WEEKLY)],
    "monthly_visit": [(DutyKind.VISIT, Frequency.MONTHLY)],
}
PRESET_LABELS = {"weekend_children": "周末好儿女", "weekly_visit": "每周走访", "monthly_visit": "每月走访"}


def next_due(frequency: str, after: dt.date) -> dt.date:
    """The next due date one period after `after`."""
    if frequency == Frequency.WEEKLY:
        return after + dt.timedelta(days=7)
    months = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}[Frequency(frequency)]
    month = after.month - 1 + months
    year = after.year + month // 12
    month = month % 12 + 1
    day = min(
        after.day,
        [
            31,
            29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][month - 1],
    )
    return dt.date(year, month, day)


class CarePlan(models.Model):
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="care_plans")
    household = models.ForeignKey(
        "places.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="care_plans"
    )
    # The resident's home when the plan was made: what scopes it.
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=255, db_index=True)
    preset = models.CharField("模板", max_length=20, blank=True)
    title = models.CharField("名称", max_length=60)
    is_active = models.BooleanField("有效", default=True)
    starts_on = models.DateField("开始日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "结对帮扶计划"
        verbose_name_plural = "结对帮扶计划"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title}（{self.resident}）"


class CarerKind(models.TextChoices):
    VOLUNTEER = "volunteer", "志愿者"
    PARTY = "party", "党员"
    GRID_WORKER = "grid_worker", "网格员"


class Carer(models.Model):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="carers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_roles")
    kind = models.CharField("身份", max_length=12, choices=CarerKind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "user"], name="carer_once_per_plan")]

    def __str__(self) -> str:
        return f"{self.user}（{self.get_kind_display()}）"


class Duty(models.Model):
    """One recurring obligation of a plan: the rule and where it stands now."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="duties")
    kind = models.CharField("事项", max_length=12, choices=DutyKind.choices)
    frequency = models.CharField("频次", max_length=12, choices=Frequency.choices)
    due_on = models.DateField("应完成日期")
    # 0 on time or not yet due; 1 told the grid worker; 2 told the community.
    escalation = models.PositiveSmallIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    on_time_count = models.PositiveIntegerField(default=0)
    missed_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on", "escalation"])]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()}{self.get_kind_display()}"


class Condition(models.TextChoices):
    GOOD = "good", "良好"
    ATTENTION = "attention", "需关注"
    PROBLEM = "problem", "有问题"


class Visit(models.Model):
    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="visits")
    duty = models.ForeignKey(Duty, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")
    carer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField("走访时间")
    minutes = models.PositiveIntegerField("时长（分钟）")
    done = models.CharField("做了什么", max_length=500)
    health = models.CharField("身体", max_length=10, choices=Condition.choices, default=Condition.GOOD)
    mood = models.CharField("情绪", max_length=10, choices=Condition.choices, default=Condition.GOOD)
    home_safety = models.CharField(
        "居家安全", max_length=10, choices=Condition.choices, default=Condition.GOOD
    )
    needs = models.CharField("需求", max_length=300, blank=True)
    on_time = models.BooleanField(default=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey(
        "services.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.resident}：{self.visited_at:%Y-%m-%d}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="care/%Y/%m/")
    content_type = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"照片 {self.pk}"


class PatrolResult(models.TextChoices):
    HOME = "home", "在家"
    AWAY = "away", "不在家"
    REFUSED = "refused", "拒访"


class PatrolVisit(models.Model):
    """网格巡查走访: a grid worker at a household's door."""

    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="patrol_visits")
    grid = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=255, db_index=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField("走访时间")
    result = models.CharField("结果", max_length=10, choices=PatrolResult.choices)
    note = models.CharField("情况记录", max_length=500, blank=True)
    registry_changes = models.CharField("信息更新", max_length=300, blank=True)
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "入户走访"
        verbose_name_plural = "入户走访"
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["grid", "visited_at"]), models.Index(fields=["worker", "visited_at"])]

    def __str__(self) -> str:
        return f"{self.household}：{self.get_result_display()}"
