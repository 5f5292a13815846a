from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from gridgov.triage.categories import CATEGORIES, RULE_TARGETS, URGENCIES

TEXT_MAX = 40
WEIGHT_LIMIT = 10.0


def normalize(text: str) -> str:
    """The form both rules and reports are compared in: NFKC (full-width → half-width), lower case,
    no whitespace — residents type "１２号楼 电梯" as often as "12号楼电梯"."""
    return "".join(unicodedata.normalize("NFKC", text or "").lower().split())


class RuleKind(models.TextChoices):
    PHRASE = "phrase", "短语（原文包含即命中）"
    KEYWORD = "keyword", "关键词（分词后完全相同才命中）"


class TriageRule(models.Model):
    target = models.CharField("目标", max_length=16, choices=RULE_TARGETS, db_index=True)
    kind = models.CharField("匹配方式", max_length=8, choices=RuleKind.choices, default=RuleKind.PHRASE)
    text = models.CharField("短语/关键词", max_length=TEXT_MAX)
    # Negative weights are counter-evidence (e.g. 不着急 lowers urgency).
    weight = models.FloatField("权重", default=2.0)
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "分类规则"
        verbose_name_plural = "分类规则"
        ordering = ["target", "-weight", "text"]
        constraints = [
            models.UniqueConstraint(fields=["target", "kind", "text"], name="triage_rule_unique_text"),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}：{self.text}（{self.weight:g}）"

    def clean(self) -> None:
        self.text = normalize(self.text)
        errors: dict[str, str] = {}
        if not self.text:
            errors["text"] = "短语/关键词不能为空"
        elif len(self.text) > TEXT_MAX:
            errors["text"] = f"短语/关键词最多 {TEXT_MAX} 个字"
        if self.target not in dict(RULE_TARGETS):
            errors["target"] = "目标必须是一个分类或“紧急”"
        if self.kind not in RuleKind.values:
            errors["kind"] = "匹配方式必须是短语或关键词"
        if self.weight is None or not (-WEIGHT_LIMIT <= float(self.weight) <= WEIGHT_LIMIT):
            errors["weight"] = f"权重必须在 -{WEIGHT_LIMIT:g} 到 {WEIGHT_LIMIT:g} 之间"
        elif float(self.weight) == 0:
            errors["weight"] = "权重不能为 0（不想用时请停用该规则）"
        if errors:
            raise ValidationError(errors)


class Correction(models.Model):
    """What the system suggested and what staff chose: the training data for a learned model."""

    text = models.TextField("原文")
    # 40 like the cases app's category codes: administrators may add categories the rules do not know.
    suggested_category = models.CharField("建议分类", max_length=40, choices=CATEGORIES)
    suggested_urgency = models.CharField("建议紧急程度", max_length=8, choices=URGENCIES)
    suggested_confidence = models.FloatField("建议置信度")
    matched = models.JSONField("命中规则", default=list, blank=True)
    category = models.CharField("确定分类", max_length=40, choices=CATEGORIES, db_index=True)
    # The subcategory staff chose, when the caller passes it (cases' codes, e.g. "lift").
    subcategory = models.CharField("确定子分类", max_length=40, blank=True, default="")
    urgency = models.CharField("确定紧急程度", max_length=8, choices=URGENCIES)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A plain id, not a foreign key: the triage app must not depend on cases (cases depends on it).
    case_id = models.PositiveBigIntegerField("事件编号", null=True, blank=True, db_index=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "分类确认记录"
        verbose_name_plural = "分类确认记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_suggested_category_display()} → {self.get_category_display()}"

    @property
    def changed(self) -> bool:
        return self.category != self.suggested_category or self.urgency != self.suggested_urgency


class TriageModel(models.Model):
    """One trained text classifier; the highest version is the one every worker uses.

    Stored in the database rather than on disk so that all app servers and task workers load the
    very same parameters, and so that each training run keeps its measured accuracy next to it.
    """

    version = models.PositiveIntegerField("版本", unique=True)
    trained_at = models.DateTimeField("训练时间", default=timezone.now, db_index=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="训练人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dev_samples = models.PositiveIntegerField("评测集训练样本数", default=0)
    correction_samples = models.PositiveIntegerField("确认记录样本数", default=0)
    rule_samples = models.PositiveIntegerField("规则短语样本数", default=0)
    # Corrections up to this id were available to the training run; newer ones count towards the next.
    last_correction_id = models.PositiveBigIntegerField("最后一条确认记录编号", default=0)
    holdout_samples = models.PositiveIntegerField("留出集样本数", default=0)
    rules_category_accuracy = models.FloatField("仅规则·分类准确率（留出集）", null=True, blank=True)
    rules_urgency_accuracy = models.FloatField("仅规则·紧急程度准确率（留出集）", null=True, blank=True)
    category_accuracy = models.FloatField("规则+模型·分类准确率（留出集）", null=True, blank=True)
    urgency_accuracy = models.FloatField("规则+模型·紧急程度准确率（留出集）", null=True, blank=True)
    training_seconds = models.FloatField("训练耗时（秒）", default=0.0)
    parameters = models.JSONField("模型参数")
    metrics = models.JSONField("评测详情", default=dict, blank=True)

    class Meta:
        verbose_name = "分类模型"
        verbose_name_plural = "分类模型"
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"分类模型 v{self.version}"
