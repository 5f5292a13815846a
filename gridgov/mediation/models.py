"""矛盾纠纷调解: disputes, their parties, the expert pool, sessions, agreements, follow-ups."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DisputeType(models.TextChoices):
    NEIGHBOUR = "neighbour", "相邻关系"
    PROPERTY = "property", "物业纠纷"
    FAMILY = "family", "婚姻家庭"
    TENANCY = "tenancy", "租赁"
    LABOUR = "labour", "劳资"
    CONSUMER = "consumer", "消费"
    OTHER = "other", "其他"


class Arrival(models.TextChoices):
    DESK = "desk", "接待窗口来访"
    CASE = "case", "事件转入"
    FORUM = "forum", "议事话题转入"
    POLICE = "police", "派出所移交"
    COURT = "court", "法院委派"
    OTHER = "other", "其他"


class Status(models.TextChoices):
    OPEN = "open", "待调解"
    MEDIATING = "mediating", "调解中"
    CLOSED = "closed", "已结案"


class Outcome(models.TextChoices):
    SUCCESS = "success", "调解成功"
    PARTIAL = "partial", "部分成功"
    FAILED = "failed", "调解不成功"
    LITIGATION = "litigation", "转诉讼"
    ARBITRATION = "arbitration", "转仲裁"
    PETITION = "petition", "转信访"


AGREEMENT_OUTCOMES = (Outcome.SUCCESS, Outcome.PARTIAL)


class MediatorKind(models.TextChoices):
    PEOPLES = "peoples", "人民调解员"
    LAWYER = "lawyer", "律师"
    ELDER = "elder", "五老"
    PARTY_REP = "party_rep", "党代表"
    NPC = "npc", "人大代表"
    CPPCC = "cppcc", "政协委员"
    SAFETY = "safety", "平安志愿者"


class PartyKind(models.TextChoices):
    RESIDENT = "resident", "居民"
    HOUSEHOLD = "household", "住户"
    ORGANISATION = "organisation", "单位"


class Side(models.TextChoices):
    APPLICANT = "applicant", "申请人"
    RESPONDENT = "respondent", "被申请人"


class Mediator(models.Model):
    place = models.ForeignKey(
        "places.Place", verbose_name="登记地点", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("姓名", max_length=50)
    kind = models.CharField("类别", max_length=12, choices=MediatorKind.choices)
    specialities = models.JSONField("擅长类型", default=list, blank=True)
    serves = models.ManyToManyField("places.Place", verbose_name="服务范围", related_name="+", blank=True)
    available = models.BooleanField("可接案", default=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="系统账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "调解员"
        verbose_name_plural = "调解专家库"
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class Dispute(models.Model):
    place = models.ForeignKey(
        "places.Place", verbose_name="发生地点", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("案由", max_length=100)
    summary = models.TextField("纠纷简况", max_length=3000, blank=True)
    dispute_type = models.CharField("纠纷类型", max_length=12, choices=DisputeType.choices)
    arrival = models.CharField("来源", max_length=10, choices=Arrival.choices, default=Arrival.DESK)
    arrival_ref = models.CharField("来源编号", max_length=60, blank=True)
    urgent = models.BooleanField("有激化风险", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField("调解结果", max_length=12, choices=Outcome.choices, blank=True)
    received_on = models.DateField("受理日期")
    closed_on = models.DateField("结案日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "纠纷调解案件"
        verbose_name_plural = "纠纷调解案件"
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["received_on", "dispute_type"])]

    def __str__(self) -> str:
        return self.title


class Party(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField("身份", max_length=12, choices=Side.choices)
    kind = models.CharField("类别", max_length=12, choices=PartyKind.choices, default=PartyKind.RESIDENT)
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "places.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("名称", max_length=100)

    class Meta:
        ordering = ["side", "id"]

    def __str__(self) -> str:
        return f"{self.get_side_display()}：{self.name}"


class Assignment(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="assignments")
    mediator = models.ForeignKey(Mediator, on_delete=models.PROTECT, related_name="assignments")
    active = models.BooleanField(default=True)
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "mediator"],
                condition=models.Q(active=True),
                name="mediation_one_active_assignment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.mediator} → {self.dispute}"


class Exclusion(models.Model):
    """A mediator kept off a dispute: a declared conflict of interest or a party's objection."""

    class Reason(models.TextChoices):
        CONFLICT = "conflict", "申报利益冲突"
        OBJECTION = "objection", "当事人申请回避"

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="exclusions")
    mediator = models.ForeignKey(Mediator, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_reason_display()}：{self.mediator}"


class Session(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField("时间")
    location = models.CharField("地点", max_length=100)
    attendance = models.CharField("到场人员", max_length=300)
    record = models.TextField("调解记录", max_length=5000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.dispute}：{self.held_at:%Y-%m-%d}"


class Agreement(models.Model):
    """人民调解协议书: its terms and which parties have signed (on paper, marked here)."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    terms = models.TextField("协议内容", max_length=5000)
    signed_parties = models.ManyToManyField(Party, related_name="+", blank=True)
    made_on = models.DateField("签订日期")

    def __str__(self) -> str:
        return f"调解协议书：{self.dispute}"


class FollowUp(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="followups")
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    kept = models.BooleanField(null=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.months}个月回访：{self.dispute}"


class Referral(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="referrals")
    to_body = models.CharField("移交单位", max_length=100)
    letter = models.TextField("移交函", max_length=3000)
    created_on = models.DateField()

    def __str__(self) -> str:
        return f"移交{self.to_body}"
