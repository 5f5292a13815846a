"""生活快车: the catalogue, the providers' profiles, orders and the volunteers' hours ledger.

Teams (志愿服务队 and their grid sub-teams) and partner merchants are `orgs.Organisation` rows
(kinds TEAM and MERCHANT, sub-teams through `parent`); their people are `orgs.OrgMember` rows.
What this app adds is what only 生活快车 needs: which items a team offers, the merchant's 便民服务协议,
the volunteer's skills and weekly availability, and the orders themselves.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models


class Pricing(models.TextChoices):
    FREE = "free", "免费"
    DISCOUNTED = "discounted", "优惠"
    PAID = "paid", "收费"


class ServiceCategory(models.Model):
    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = "服务类别"
        verbose_name_plural = "服务类别"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class ServiceItem(models.Model):
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="items")
    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    description = models.CharField("说明", max_length=200, blank=True)
    pricing = models.CharField("收费方式", max_length=12, choices=Pricing.choices, default=Pricing.FREE)
    price = models.DecimalField("价格（元）", max_digits=8, decimal_places=2, null=True, blank=True)
    # Skill tags a provider must have (any one of them); empty = anyone in the team.
    skills = models.JSONField("所需技能", default=list, blank=True)
    duration_minutes = models.PositiveIntegerField("预计时长（分钟）", default=60)
    # Codes of people.Tag; empty = every resident may order it.
    eligible_tags = models.JSONField("限定人群（标签代码）", default=list, blank=True)
    home_visit = models.BooleanField("需上门", default=True)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = "服务项目"
        verbose_name_plural = "服务项目"
        ordering = ["category__sort_order", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def price_label(self) -> str:
        if self.pricing == Pricing.FREE:
            return "免费"
        amount = f"{self.price:g}元" if self.price is not None else "面议"
        return f"{self.get_pricing_display()} {amount}"


class TeamProfile(models.Model):
    """What a volunteer team (or sub-team) offers in 生活快车."""

    team = models.OneToOneField("orgs.Organisation", on_delete=models.CASCADE, related_name="service_profile")
    items = models.ManyToManyField(ServiceItem, blank=True, related_name="teams")
    # The grid this (sub-)team serves: orders from residents under it come to this team.
    serves = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "服务队设置"
        verbose_name_plural = "服务队设置"

    def __str__(self) -> str:
        return str(self.team)


class Agreement(models.Model):
    """便民服务协议 with a partner merchant (爱心商户): an expired one takes no new orders."""

    merchant = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="agreements")
    starts_on = models.DateField("生效日期")
    ends_on = models.DateField("截止日期")
    items = models.ManyToManyField(ServiceItem, related_name="agreements", verbose_name="协议服务")
    discount_percent = models.PositiveSmallIntegerField("优惠（折扣百分比）", default=100)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    terms = models.CharField("协议要点", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "便民服务协议"
        verbose_name_plural = "便民服务协议"
        ordering = ["-ends_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="agreement_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant}便民服务协议"

    def in_force(self, on: dt.date) -> bool:
        return self.starts_on <= on <= self.ends_on

    @property
    def discount_label(self) -> str:
        return "无折扣" if self.discount_percent >= 100 else f"{self.discount_percent / 10:g}折"


class VolunteerStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"


WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class Volunteer(models.Model):
    """A registered volunteer (志愿者/党员): always a resident of the registry."""

    resident = models.OneToOneField("people.Resident", on_delete=models.PROTECT, related_name="volunteer")
    # The resident's home when registering: the community that approves them is above it.
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    skills = models.JSONField("技能", default=list, blank=True)
    # {"0": [[8, 12], [14, 18]], …}: hours of the day per weekday (0 = Monday), Asia/Shanghai.
    availability = models.JSONField("每周可服务时间", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=VolunteerStatus.choices, default=VolunteerStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审核意见", max_length=200, blank=True)
    # Running totals kept with F() in the same transaction as each ledger row.
    hours_total = models.DecimalField("累计服务时长", max_digits=9, decimal_places=2, default=Decimal(0))
    points = models.IntegerField("积分", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "志愿者"
        verbose_name_plural = "志愿者"
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.resident)

    def available_at(self, moment: dt.datetime) -> bool:
        from django.utils import timezone

        local = timezone.localtime(moment)
        spans: list[Any] = (self.availability or {}).get(str(local.weekday()), [])
        return any(int(start) <= local.hour < int(end) for start, end in spans)

    @property
    def availability_label(self) -> str:
        parts = []
        for day in range(7):
            spans = (self.availability or {}).get(str(day), [])
            if spans:
                parts.append(WEEKDAYS[day] + "、".join(f"{s}-{e}时" for s, e in spans))
        return "；".join(parts) or "未填写"


class OrderState(models.TextChoices):
    OPEN = "open", "待接单"
    ASSIGNED = "assigned", "已接单"
    ARRIVED = "arrived", "服务中"
    DONE = "done", "待确认"
    CONFIRMED = "confirmed", "已评价"
    CANCELLED = "cancelled", "已取消"
    NO_SHOW = "no_show", "爽约"


OPEN_ORDER_STATES = (OrderState.OPEN, OrderState.ASSIGNED, OrderState.ARRIVED)


class OrderChannel(models.TextChoices):
    APP = "app", "居民点单"
    PHONE = "phone", "电话代办"
    DESK = "desk", "窗口代办"
    CARD = "card", "扫服务卡"
    CARE = "care", "走访转办"


class Escalation(models.IntegerChoices):
    NONE = 0, "未超时"
    LEADER = 1, "已提醒队长"
    COMMUNITY = 2, "已转社区"


class Order(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="orders")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="service_orders")
    # The resident's home at ordering time: what scopes the order for staff.
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=255, db_index=True)
    team = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="team_orders"
    )
    merchant = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="merchant_orders"
    )
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    provider = models.ForeignKey(
        Volunteer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    provider_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("状态", max_length=12, choices=OrderState.choices, default=OrderState.OPEN)
    channel = models.CharField("来源", max_length=8, choices=OrderChannel.choices, default=OrderChannel.APP)
    window_start = models.DateTimeField("期望开始")
    window_end = models.DateTimeField("期望结束")
    note = models.CharField("需求说明", max_length=500, blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation = models.PositiveSmallIntegerField(choices=Escalation.choices, default=Escalation.NONE)
    assigned_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.CharField("服务记录", max_length=500, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    rating_comment = models.CharField("评价", max_length=300, blank=True)
    hours = models.DecimalField("服务时长", max_digits=6, decimal_places=2, null=True, blank=True)
    ended_reason = models.CharField("取消/爽约原因", max_length=200, blank=True)
    ended_side = models.CharField("责任方", max_length=10, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "服务订单"
        verbose_name_plural = "服务订单"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "window_end"]),
            models.Index(fields=["team", "state", "window_start"]),
            models.Index(fields=["resident", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="order_rating",
            ),
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")), name="order_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}（{self.resident}）"

    @property
    def provider_label(self) -> str:
        if self.provider_id:
            return str(self.provider)
        if self.merchant_id:
            return str(self.merchant)
        return "待接单"


class OrderEvent(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=60)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}：{self.note}"


class OrderPhoto(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="services/%Y/%m/")
    content_type = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"照片 {self.pk}"


class HoursKind(models.TextChoices):
    SERVICE = "service", "服务记时"
    MANUAL = "manual", "补录"
    CORRECTION = "correction", "更正"


class HoursEntry(models.Model):
    """One line of the append-only hours ledger: never updated, never deleted; a correction is
    a new row (with its reason) pointing at the row it corrects."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="hours_entries")
    kind = models.CharField(max_length=12, choices=HoursKind.choices)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="hours_entries"
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    points = models.IntegerField(default=0)
    reason = models.CharField("说明", max_length=200, blank=True)
    # The team the hours count for (monthly figures per team).
    team = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_path = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "服务时长记录"
        verbose_name_plural = "服务时长记录"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["volunteer", "started_at"])]

    def __str__(self) -> str:
        return f"{self.volunteer}：{self.hours}小时"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("服务时长记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("服务时长记录只能追加，不能删除")
