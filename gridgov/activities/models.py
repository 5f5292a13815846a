"""Groups (团队) with members and join requests; activities with sign-up, waiting list and check-in."""

from __future__ import annotations

from django.conf import settings
from django.db import models

NAME_MAX = 60
TEXT_MAX = 2000


class GroupKind(models.TextChoices):
    CULTURE = "culture", "文体团队"
    TROUPE = "troupe", "艺术团"
    SENIOR_CLASS = "senior_class", "老年大学班级"
    WEEKEND = "weekend", "周末课堂"
    BUILDING_CLASS = "building_class", "楼栋小课堂"


class Group(models.Model):
    name = models.CharField("名称", max_length=NAME_MAX)
    kind = models.CharField("类型", max_length=16, choices=GroupKind.choices)
    place = models.ForeignKey(
        "places.Place", verbose_name="所属地点", on_delete=models.PROTECT, related_name="+"
    )
    # An art troupe's teams (舞蹈队, 合唱队 …) are groups under it.
    parent = models.ForeignKey(
        "self",
        verbose_name="上级团队",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.CharField("简介", max_length=500, blank=True)
    is_open = models.BooleanField("接受入团申请", default=True)
    member_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "团队"
        verbose_name_plural = "团队"
        ordering = ["place__path", "parent_id", "name"]
        constraints = [models.UniqueConstraint(fields=["place", "name"], name="activities_group_unique_name")]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    LEADER = "leader", "负责人"
    MEMBER = "member", "成员"


class MemberState(models.TextChoices):
    PENDING = "pending", "待审核"
    ACTIVE = "active", "在团"
    REJECTED = "rejected", "未通过"
    LEFT = "left", "已退出"


class GroupMember(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="+")
    role = models.CharField("角色", max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    state = models.CharField("状态", max_length=10, choices=MemberState.choices, default=MemberState.PENDING)
    note = models.CharField("申请说明", max_length=200, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group_id", "-role", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "resident"], name="activities_member_unique")]

    def __str__(self) -> str:
        return f"{self.resident_id} @ {self.group_id}"


class Series(models.Model):
    """A recurrence rule: every week on `weekday` from `starts_on` to `ends_on`, minus `exceptions`."""

    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.PROTECT, related_name="series")
    title = models.CharField("名称", max_length=NAME_MAX)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField("星期")  # 0 = Monday
    start_time = models.TimeField("开始时间")
    duration_minutes = models.PositiveSmallIntegerField("时长(分钟)")
    starts_on = models.DateField("首次日期")
    ends_on = models.DateField("截止日期")
    exceptions = models.JSONField("停开日期", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "周期活动"
        verbose_name_plural = "周期活动"

    def __str__(self) -> str:
        return self.title


class ActivityState(models.TextChoices):
    PLANNED = "planned", "报名中"
    CANCELLED = "cancelled", "已取消"
    DONE = "done", "已结束"


class Activity(models.Model):
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences"
    )
    title = models.CharField("名称", max_length=NAME_MAX)
    description = models.TextField("介绍", max_length=TEXT_MAX, blank=True)
    # The audience's place: residents living under it may join (and staff over it manage it).
    place = models.ForeignKey(
        "places.Place", verbose_name="面向范围", on_delete=models.PROTECT, related_name="+"
    )
    location = models.CharField("地点", max_length=100)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("名额", default=0, help_text="0 表示不限")
    signup_required = models.BooleanField("需报名", default=True)
    min_age = models.PositiveSmallIntegerField("最小年龄", null=True, blank=True)
    max_age = models.PositiveSmallIntegerField("最大年龄", null=True, blank=True)
    tags = models.ManyToManyField("people.Tag", verbose_name="面向人群", blank=True, related_name="+")
    has_tags = models.BooleanField(default=False, editable=False)
    state = models.CharField(
        "状态", max_length=10, choices=ActivityState.choices, default=ActivityState.PLANNED
    )
    confirmed_count = models.PositiveIntegerField(default=0, editable=False)
    waiting_count = models.PositiveIntegerField(default=0, editable=False)
    attended_count = models.PositiveIntegerField(default=0, editable=False)
    report = models.TextField("活动小结", max_length=TEXT_MAX, blank=True)
    reminded = models.BooleanField(default=False, editable=False)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "活动"
        verbose_name_plural = "活动"
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["state", "starts_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_full(self) -> bool:
        return bool(self.capacity) and self.confirmed_count >= self.capacity


class SignupState(models.TextChoices):
    CONFIRMED = "confirmed", "已报名"
    WAITING = "waiting", "候补中"
    CANCELLED = "cancelled", "已取消"


class Signup(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="+")
    state = models.CharField("状态", max_length=10, choices=SignupState.choices)
    # First come, first moved up.
    queued_at = models.DateTimeField()
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["queued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "resident"], name="activities_signup_unique")
        ]
        indexes = [models.Index(fields=["activity", "state", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.resident_id} → {self.activity_id}"


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="activities/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name
