"""有事好商量: consultations, their discussion, the eligibility roll and the two ballot stores.

Open votes keep who voted for what (`OpenVote`). Secret ballots keep who has voted
(`Participation`) apart from what was voted (`SecretBallot`) with nothing that joins them: a
ballot has a random UUID key, no time at all, no voter, and is re-inserted in random order with
fresh keys after every vote (see `services.ballots_reshuffle`), so neither row order nor the
physical position or transaction id of a live row follows the order in which people voted.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Stage(models.TextChoices):
    DRAFT = "draft", "草稿"
    DISCUSSION = "discussion", "讨论中"
    VOTING = "voting", "投票中"
    CLOSED = "closed", "已结束"


class BallotKind(models.TextChoices):
    SINGLE = "single", "单选"
    MULTIPLE = "multiple", "多选"
    APPROVE = "approve", "同意/反对"


class VoteUnit(models.TextChoices):
    HOUSEHOLD = "household", "每户一票"
    PERSON = "person", "每人一票"


class PassRule(models.TextChoices):
    SIMPLE = "simple", "参与率达到法定人数且得票过半"
    CIVIL_GENERAL = "civil_general", "双三分之二参与、双过半同意（民法典第278条一般事项）"
    CIVIL_MAJOR = "civil_major", "双三分之二参与、双四分之三同意（民法典第278条重大事项）"


class Channel(models.TextChoices):
    ONLINE = "online", "线上投票"
    PAPER = "paper", "纸质票（工作人员录入）"


class Consultation(models.Model):
    place = models.ForeignKey(
        "places.Place", verbose_name="所属地点", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("议题", max_length=100)
    background = models.TextField("背景说明", max_length=5000, blank=True)
    stage = models.CharField("阶段", max_length=12, choices=Stage.choices, default=Stage.DRAFT)
    ballot_kind = models.CharField(
        "表决方式", max_length=10, choices=BallotKind.choices, default=BallotKind.APPROVE
    )
    max_choices = models.PositiveSmallIntegerField("最多可选", default=1)
    unit = models.CharField("计票单位", max_length=10, choices=VoteUnit.choices, default=VoteUnit.HOUSEHOLD)
    adults_only = models.BooleanField("仅限成年人", default=True)
    secret = models.BooleanField("无记名投票", default=False)
    pass_rule = models.CharField("通过规则", max_length=16, choices=PassRule.choices, default=PassRule.SIMPLE)
    quorum_percent = models.PositiveSmallIntegerField("最低参与率(%)", default=50)
    places = models.ManyToManyField("places.Place", verbose_name="参与范围", related_name="+")
    voting_ends_at = models.DateTimeField("投票截止", null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "协商议题"
        verbose_name_plural = "协商议题"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stage", "created_at"])]

    def __str__(self) -> str:
        return self.title


class Option(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="options")
    label = models.CharField("选项", max_length=100)
    sort_order = models.PositiveSmallIntegerField(default=0)
    # The approve/reject ballot's "同意": what the pass rule counts.
    is_approve = models.BooleanField(default=False)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.label


class Comment(models.Model):
    """A resident's comment or proposal in the discussion period; proposals can be supported."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("内容", max_length=1000)
    is_proposal = models.BooleanField("建议方案", default=False)
    supporters = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["consultation", "created_at"])]

    def __str__(self) -> str:
        return self.text[:30]


class Support(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="consult_support_once")]

    def __str__(self) -> str:
        return f"支持#{self.comment_id}"


class RollEntry(models.Model):
    """One vote on the eligibility roll, snapshotted when voting opens (area as it was then)."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="roll")
    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    area_sqm = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "household"],
                condition=models.Q(resident__isnull=True),
                name="consult_roll_one_household",
            ),
            models.UniqueConstraint(
                fields=["consultation", "resident"],
                condition=models.Q(resident__isnull=False),
                name="consult_roll_one_person",
            ),
        ]

    def __str__(self) -> str:
        return f"表决名册#{self.pk}"


class Participation(models.Model):
    """Who has voted (never what): one per roll entry, so a household or person votes once."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="participations")
    entry = models.OneToOneField(RollEntry, on_delete=models.CASCADE, related_name="participation")
    voter = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A date, not a time: together with the ballots' lack of any time, nothing to join on.
    voted_on = models.DateField()

    def __str__(self) -> str:
        return f"已投票#{self.pk}"


class OpenVote(models.Model):
    """What an open (named) vote chose; secret ballots never have one."""

    participation = models.OneToOneField(Participation, on_delete=models.CASCADE, related_name="vote")
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="open_votes")
    choices = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"记名票#{self.pk}"


class SecretBallot(models.Model):
    """What was voted, with no voter, no time and a random key; `receipt_hash` is the SHA-256
    of the secret only the voter was shown, published with the tally."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="ballots")
    choices = models.JSONField(default=list)
    receipt_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        # Listed by the (random) receipt hash, never by anything that follows the voting order.
        ordering = ["receipt_hash"]

    def __str__(self) -> str:
        return f"选票 {self.receipt_hash[:8]}"
