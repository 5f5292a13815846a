from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from gridgov.core.masking import mask_id_number, mask_phone


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class ResidenceStatus(models.TextChoices):
    REGISTERED = "registered", "户籍"
    PERMANENT = "permanent", "常住"
    FLOATING = "floating", "流动"


class PoliticalStatus(models.TextChoices):
    MASSES = "masses", "群众"
    PARTY_MEMBER = "party_member", "中共党员"
    PROBATIONARY = "probationary", "预备党员"
    LEAGUE_MEMBER = "league_member", "共青团员"
    DEMOCRATIC_PARTY = "democratic_party", "民主党派"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDCHILD = "grandchild", "孙子女"
    GRANDPARENT = "grandparent", "祖父母"
    SIBLING = "sibling", "兄弟姐妹"
    TENANT = "tenant", "租户"
    OTHER = "other", "其他"


class Resident(models.Model):
    """一人一卡片. ID and phone are stored encrypted; *_hash finds them, *_last4 shows them masked."""

    name = models.CharField("姓名", max_length=50)
    name_pinyin = models.CharField(max_length=200, blank=True, db_index=True)
    name_initials = models.CharField(max_length=50, blank=True, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    ethnicity = models.CharField("民族", max_length=20, blank=True, default="汉族")
    id_number_enc = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_number_last4 = models.CharField(max_length=4, blank=True)
    phone_enc = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True)
    residence_status = models.CharField(
        "户籍状态", max_length=12, choices=ResidenceStatus.choices, default=ResidenceStatus.REGISTERED
    )
    political_status = models.CharField(
        "政治面貌", max_length=20, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    employment = models.CharField("工作单位/职业", max_length=100, blank=True)
    notes = models.TextField("备注", blank=True)
    # Where the resident lives now (building or unit): what scopes them. Kept in step with
    # their current household membership by people.services.
    place = models.ForeignKey(
        "places.Place",
        verbose_name="所在楼栋",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
    )
    card_no = models.CharField("服务卡号", max_length=16, unique=True)
    is_deceased = models.BooleanField("已故", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    tags: models.ManyToManyField[Tag, ResidentTag] = models.ManyToManyField(
        "Tag", through="ResidentTag", related_name="residents", blank=True
    )

    # Not columns: set by people.selectors (a prefetch to_attr) and people.api.
    tag_list: list[ResidentTag]
    can_reveal: bool

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering = ["id"]
        indexes = [models.Index(fields=["place", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number_last4)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone_last4)

    def age(self, today: dt.date | None = None) -> int | None:
        if not self.birth_date:
            return None
        today = today or dt.date.today()
        return (
            today.year
            - self.birth_date.year
            - ((today.month, today.day) < (self.birth_date.month, self.birth_date.day))
        )


class Membership(models.Model):
    """A resident's stay in a household; never deleted, closed with moved_out (history)."""

    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="memberships")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField("与户主关系", max_length=12, choices=Relation.choices, default=Relation.HEAD)
    moved_in = models.DateField("迁入日期", null=True, blank=True)
    moved_out = models.DateField("迁出日期", null=True, blank=True)
    move_out_reason = models.CharField("迁出原因", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Not a column: set by people.selectors.household_view for a resident looking at their own.
    names_only: bool

    class Meta:
        verbose_name = "户成员"
        verbose_name_plural = "户成员"
        ordering = ["household_id", "moved_out", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "resident"],
                condition=models.Q(moved_out__isnull=True),
                name="membership_one_open_stay",
            )
        ]

    @property
    def is_current(self) -> bool:
        return self.moved_out is None

    def __str__(self) -> str:
        return f"{self.resident} @ {self.household}"


class Tag(models.Model):
    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    description = models.CharField("说明", max_length=200, blank=True)
    color = models.CharField("颜色", max_length=16, default="#b45309")
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = "人群标签"
        verbose_name_plural = "人群标签"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class ResidentTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="resident_tags")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="resident_tags")
    note = models.CharField("备注", max_length=200, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_unique")]

    def __str__(self) -> str:
        return f"{self.resident}：{self.tag}"


class FloatingReason(models.TextChoices):
    WORK = "work", "务工"
    BUSINESS = "business", "经商"
    STUDY = "study", "就学"
    FAMILY = "family", "投亲靠友"
    MEDICAL = "medical", "就医"
    OTHER = "other", "其他"


class FloatingRegistration(models.Model):
    """流动人口登记: one stay of a non-local resident, from registration to deregistration."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="floating_registrations")
    place = models.ForeignKey(
        "places.Place", verbose_name="居住地", on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "places.Household",
        verbose_name="居住户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    origin = models.CharField("户籍地/来源地", max_length=100)
    reason = models.CharField(
        "来此事由", max_length=12, choices=FloatingReason.choices, default=FloatingReason.WORK
    )
    landlord = models.ForeignKey(
        Resident, verbose_name="房东", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    landlord_name = models.CharField("房东姓名", max_length=50, blank=True)
    employer = models.CharField("工作单位", max_length=100, blank=True)
    registered_on = models.DateField("登记日期")
    expected_until = models.DateField("预计居住至", null=True, blank=True)
    has_health_file = models.BooleanField("已建健康档案", default=False)
    deregistered_on = models.DateField("注销日期", null=True, blank=True)
    deregistration_reason = models.CharField("注销原因", max_length=100, blank=True)
    # The expected_until date staff were last reminded about, so a reminder goes out once per
    # date (an extended stay gets a fresh reminder when it nears its new end).
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "流动人口登记"
        verbose_name_plural = "流动人口登记"
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=models.Q(deregistered_on__isnull=True),
                name="floating_one_active_registration",
            )
        ]

    @property
    def is_active(self) -> bool:
        return self.deregistered_on is None

    def __str__(self) -> str:
        return f"流动人口登记：{self.resident}"
