"""Reception desks (党员谈心室, 民情反馈站, 解忧亭 …), who sits there when, and the walk-in log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DeskKind(models.TextChoices):
    TALK_ROOM = "talk_room", "党员谈心室"
    FEEDBACK = "feedback", "民情反馈站"
    KIOSK = "kiosk", "小巷解忧亭"
    HOUSE = "house", "小巷解忧屋"
    SHOP = "shop", "小巷解忧铺"
    GRID_STATION = "grid_station", "网格工作站"


WEEKDAYS = [(0, "周一"), (1, "周二"), (2, "周三"), (3, "周四"), (4, "周五"), (5, "周六"), (6, "周日")]


class Desk(models.Model):
    place = models.ForeignKey(
        "places.Place", verbose_name="所在地点", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("类型", max_length=16, choices=DeskKind.choices)
    name = models.CharField("名称", max_length=60)
    address = models.CharField("位置", max_length=120, blank=True)
    hours = models.CharField("开放时间", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "接待点"
        verbose_name_plural = "接待点"
        ordering = ["place__path", "name", "id"]

    def __str__(self) -> str:
        return self.name


class DutySlot(models.Model):
    """A weekly turn: who sits at the desk on this weekday, from when to when."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField("星期", choices=WEEKDAYS)
    starts = models.TimeField("开始")
    ends = models.TimeField("结束")
    person = models.CharField("值班人", max_length=50)
    role_note = models.CharField("身份", max_length=50, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["weekday", "starts", "id"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.person}"


class DutyChange(models.Model):
    """One day's exception to a turn: a swap (someone else sits) or an absence (nobody)."""

    slot = models.ForeignKey(DutySlot, on_delete=models.CASCADE, related_name="changes")
    on = models.DateField("日期")
    substitute = models.CharField("替班人", max_length=50, blank=True)
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slot", "on"], name="desks_one_change_per_day")]

    def __str__(self) -> str:
        return f"{self.on} {self.substitute or '缺席'}"


class Topic(models.TextChoices):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    SUGGESTION = "suggestion", "建议"
    DISPUTE = "dispute", "矛盾纠纷"


class Handling(models.TextChoices):
    ON_SPOT = "on_spot", "当场答复"
    PASSED = "passed", "转交办理"


class WalkIn(models.Model):
    desk = models.ForeignKey(Desk, on_delete=models.PROTECT, related_name="walkins")
    at = models.DateTimeField("来访时间")
    visitor = models.CharField("来访人", max_length=50)
    topic = models.CharField("事由", max_length=12, choices=Topic.choices)
    summary = models.CharField("内容", max_length=500)
    handling = models.CharField("办理", max_length=10, choices=Handling.choices, default=Handling.ON_SPOT)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dispute = models.ForeignKey(
        "mediation.Dispute", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "来访登记"
        verbose_name_plural = "来访登记"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["desk", "at"])]

    def __str__(self) -> str:
        return f"{self.visitor}：{self.get_topic_display()}"
