"""Triage: suggest a category and urgency for a report, let administrators edit the rules,
keep what staff finally chose, and learn from it (train, store and retrain the model)."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import SYSTEM, as_user, has_capability, require_actor
from gridgov.audit.services import AuditAction, audit_record
from gridgov.core.errors import Forbidden, field_error
from gridgov.triage import engine, learning
from gridgov.triage.categories import CATEGORY_NAMES, URGENCY_CODES
from gridgov.triage.engine import Suggestion
from gridgov.triage.evaluation import Evaluation, score
from gridgov.triage.models import Correction, RuleKind, TriageModel, TriageRule, normalize

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

logger = logging.getLogger(__name__)

__all__ = [
    "Suggestion",
    "maybe_retrain",
    "record_correction",
    "retrain_if_due",
    "rule_create",
    "rule_delete",
    "rule_update",
    "suggest",
    "tokens",
    "train_model",
]

TEXT_LIMIT = 5000
_CODE = re.compile(r"[-a-zA-Z0-9_]{1,40}")
RULE_FIELDS = ("target", "kind", "text", "weight", "is_active", "note")


def suggest(text: str) -> Suggestion:
    """Category and urgency for a resident's report: the administrators' rules where they are
    clear, the learned model where they are silent or split."""
    return engine.suggest(text)


def tokens(text: str) -> list[str]:
    """jieba tokens of a report, with the domain dictionary (e.g. for similar-text checks)."""
    return engine.tokens(text)


def may_edit_rules(user: Actor | None) -> bool:
    """Rules and the model are global configuration: holders of TRIAGE_CONFIGURE (anywhere),
    system administrators and the system actor."""
    return user is not None and has_capability(user, caps.TRIAGE_CONFIGURE)


def _require_rule_editor(user: Actor) -> None:
    require_actor(user)
    if not may_edit_rules(user):
        raise Forbidden("只有系统管理员可以修改分类规则")


def _rule_state(rule: TriageRule) -> dict[str, Any]:
    return {field: getattr(rule, field) for field in RULE_FIELDS}


def _save_rule(rule: TriageRule) -> None:
    rule.full_clean(exclude=["created_by"], validate_unique=False, validate_constraints=False)
    duplicate = TriageRule.objects.filter(target=rule.target, kind=rule.kind, text=rule.text).exclude(
        pk=rule.pk
    )
    if duplicate.exists():
        raise field_error("text", f"“{rule.text}”已经是这个目标的规则了，请直接修改那一条")
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:  # a concurrent twin slipped in between the check and the save
        raise field_error("text", f"“{rule.text}”已经是这个目标的规则了") from exc


@transaction.atomic
def rule_create(
    *,
    by: Actor,
    target: str,
    text: str,
    weight: float = 2.0,
    kind: str = RuleKind.PHRASE,
    is_active: bool = True,
    note: str = "",
) -> TriageRule:
    _require_rule_editor(by)
    rule = TriageRule(
        target=target,
        kind=kind,
        text=normalize(text),
        weight=weight,
        is_active=is_active,
        note=note,
        created_by=as_user(by),
    )
    _save_rule(rule)
    audit_record(actor=by, action=AuditAction.CREATE, target=rule, changes={"after": _rule_state(rule)})
    engine.invalidate()
    return rule


@transaction.atomic
def rule_update(*, by: Actor, rule: TriageRule, **changes: Any) -> TriageRule:
    _require_rule_editor(by)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改这些字段：{', '.join(sorted(unknown))}")
    locked = TriageRule.objects.select_for_update().get(pk=rule.pk)
    before = _rule_state(locked)
    for field, value in changes.items():
        setattr(locked, field, normalize(value) if field == "text" else value)
    _save_rule(locked)
    diff = {
        field: [before[field], value]
        for field, value in _rule_state(locked).items()
        if before[field] != value
    }
    if diff:
        audit_record(actor=by, action=AuditAction.UPDATE, target=locked, changes=diff)
    engine.invalidate()
    for field in RULE_FIELDS:
        setattr(rule, field, getattr(locked, field))
    rule.updated_at = locked.updated_at
    return locked


@transaction.atomic
def rule_delete(*, by: Actor, rule: TriageRule) -> None:
    _require_rule_editor(by)
    state = _rule_state(rule)
    audit_record(actor=by, action=AuditAction.DELETE, target=rule, changes={"before": state})
    TriageRule.objects.filter(pk=rule.pk).delete()
    engine.invalidate()


@transaction.atomic
def record_correction(
    *,
    text: str,
    suggested: Suggestion,
    category: str,
    urgency: str,
    by: Actor,
    case_id: int | None = None,
    subcategory: str | None = None,
) -> Correction:
    """Store what staff chose for a report next to what was suggested (agreeing or not); every
    one is training data for the next model (see `learning.assemble` for how much each counts).

    The caller — the cases service that confirms or re-classifies a case — has already checked
    that `by` may dispatch that case; this only refuses anonymous actors and bad values. Every
    TRIAGE_RETRAIN_AFTER (20) corrections it enqueues a retraining, after commit.
    """
    require_actor(by)
    if not (by.is_authenticated and by.is_active):
        raise Forbidden()
    text = (text or "").strip()
    if not text:
        raise field_error("text", "原文不能为空")
    # Not limited to CATEGORY_CODES: a category an administrator added in the cases app is a
    # perfectly good label for a future model, and refusing it would break the confirmation.
    if not isinstance(category, str) or not _CODE.fullmatch(category):
        raise field_error("category", f"分类代码“{category}”无效（应为不超过 40 个字符的英文代码）")
    if urgency not in URGENCY_CODES:
        raise field_error("urgency", "紧急程度只能是一般（normal）或紧急（urgent）")
    if subcategory and (not isinstance(subcategory, str) or not _CODE.fullmatch(subcategory)):
        raise field_error("subcategory", f"子分类代码“{subcategory}”无效（应为不超过 40 个字符的英文代码）")
    correction = Correction.objects.create(
        text=text[:TEXT_LIMIT],
        suggested_category=suggested.category,
        suggested_urgency=suggested.urgency,
        suggested_confidence=suggested.confidence,
        matched=list(suggested.matched),
        category=category,
        subcategory=subcategory or "",
        urgency=urgency,
        by=as_user(by),
        case_id=case_id,
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=correction,
        target_label=f"分类确认：{CATEGORY_NAMES.get(category, category)}",
        changes={
            "category": [suggested.category, category],
            "urgency": [suggested.urgency, urgency],
            "case_id": case_id,
        },
    )
    maybe_retrain(min_new_corrections=retrain_after())
    return correction


# the learned model


# Older models keep their row (version, data, accuracy: the history of how triage learned) but
# their parameters are emptied, so the table does not grow by a model per retraining for ever.
KEEP_PARAMETERS = 5


def retrain_after() -> int:
    return max(1, settings.TRIAGE_RETRAIN_AFTER)


def _new_corrections() -> int:
    since = TriageModel.objects.order_by("-version").values_list("last_correction_id", flat=True).first()
    return Correction.objects.filter(pk__gt=since or 0).count()


def maybe_retrain(*, min_new_corrections: int = 20) -> bool:
    """Enqueue a retraining once every `min_new_corrections` corrections since the latest model.

    Enqueued only when the count reaches a multiple of the step, not on every correction past it:
    with no worker running, corrections would otherwise pile up one queued task each. The task
    checks again before training, so a duplicate from a race costs one query.
    """
    if min_new_corrections < 1:
        raise ValueError("min_new_corrections must be at least 1")
    new = _new_corrections()
    if new == 0 or new % min_new_corrections:
        return False
    transaction.on_commit(partial(_enqueue_retrain, min_new_corrections), robust=True)
    return True


def _enqueue_retrain(min_new_corrections: int) -> None:
    from gridgov.triage.tasks import retrain_model

    retrain_model.enqueue(min_new_corrections)


def retrain_if_due(*, min_new_corrections: int = 0) -> TriageModel | None:
    """The task's body: train when there are enough new corrections (0 = always)."""
    if min_new_corrections and _new_corrections() < min_new_corrections:
        return None
    return train_model(by=SYSTEM, skip_if_current=True).model


@dataclass
class TrainingReport:
    model: TriageModel
    data: learning.TrainingData
    holdout_rules: Evaluation  # the rules alone
    holdout_before: Evaluation  # rules + the model in use before this training
    holdout_after: Evaluation  # rules + the new model
    urgency_without_model: Evaluation  # the new model with its urgency part switched off
    seconds: float
    stored: bool  # False when another worker had just stored a model from the same data


def train_model(*, by: Actor, skip_if_current: bool = False) -> TrainingReport:
    """Train a model on the development data of the evaluation set, the corrections and the rules;
    score it on the held-out files present (`learning.holdout_files`; none between one author's set
    and the next); store it as the next version, which every process then loads.

    Corrections count as `learning.assemble` says: a label one person gave counts half, one that
    contradicts a decisive rule or the evaluation data waits for a second person. Everything the
    training decides (weights, temperature, urgency threshold) is chosen by cross-validation on the
    training data; the held-out file is only scored, never used to choose, and never reaches the
    training data, not even through a correction.

    The training itself runs outside any transaction (it takes seconds); only storing the result is
    atomic.
    """
    _require_rule_editor(by)
    started = time.perf_counter()
    engine.warm_up()
    previous = engine.current_model()
    corrections = Correction.objects.order_by("created_at", "id").values_list(
        "id", "text", "category", "urgency", "by_id"
    )
    holdout_rows = learning.eval_rows("holdout")
    data = learning.assemble(
        dev_rows=learning.eval_rows("dev"),
        holdout_texts=[row["text"] for row in holdout_rows],
        corrections=corrections.iterator(chunk_size=2000),
        rules=engine._rule_documents(),
        rules_decide=engine.rules_decide,
    )
    model = engine.fit_model(data)
    holdout_rules = score(holdout_rows, model=None)
    holdout_before = score(holdout_rows, model=previous) if previous is not None else holdout_rules
    after = score(holdout_rows, model=model)
    # For the record only: what the model's own urgency calls add on the held-out file.
    threshold, model.urgency_threshold = model.urgency_threshold, None
    without = score(holdout_rows, model=model) if threshold is not None else after
    model.urgency_threshold = threshold
    model.info["urgency_model_used"] = threshold is not None
    seconds = time.perf_counter() - started
    row, stored = _store_model(
        by=by,
        model=model,
        data=data,
        holdout_rules=holdout_rules,
        holdout_before=holdout_before,
        holdout_after=after,
        urgency_without_model=without,
        seconds=seconds,
        skip_if_current=skip_if_current,
    )
    if stored:
        engine.invalidate_model()
    return TrainingReport(
        model=row,
        data=data,
        holdout_rules=holdout_rules,
        holdout_before=holdout_before,
        holdout_after=after,
        urgency_without_model=without,
        seconds=seconds,
        stored=stored,
    )


def _figure(result: Evaluation, value: float) -> float | None:
    return round(value, 4) if result.total else None


def _summary(result: Evaluation) -> dict[str, Any]:
    data = result.as_dict()
    return {
        key: data[key]
        for key in (
            "total",
            "category_accuracy",
            "urgency_accuracy",
            "urgent_recall",
            "false_urgent_rate",
            "per_category",
            "by_source",
        )
    }


@transaction.atomic
def _store_model(
    *,
    by: Actor,
    model: learning.LearnedModel,
    data: learning.TrainingData,
    holdout_rules: Evaluation,
    holdout_before: Evaluation,
    holdout_after: Evaluation,
    urgency_without_model: Evaluation,
    seconds: float,
    skip_if_current: bool,
) -> tuple[TriageModel, bool]:
    latest = TriageModel.objects.select_for_update().order_by("-version").first()
    if skip_if_current and latest is not None and latest.last_correction_id >= data.last_correction_id:
        return latest, False
    version = (latest.version if latest is not None else 0) + 1
    model.version = version
    row = TriageModel.objects.create(
        version=version,
        trained_by=as_user(by),
        dev_samples=data.dev,
        correction_samples=data.corrections,
        rule_samples=data.rules,
        last_correction_id=data.last_correction_id,
        holdout_samples=holdout_after.total,
        # No figure at all while no held-out file is present (between one author's set and the next).
        rules_category_accuracy=_figure(holdout_rules, holdout_rules.category_accuracy),
        rules_urgency_accuracy=_figure(holdout_rules, holdout_rules.urgency_accuracy),
        category_accuracy=_figure(holdout_after, holdout_after.category_accuracy),
        urgency_accuracy=_figure(holdout_after, holdout_after.urgency_accuracy),
        training_seconds=round(seconds, 3),
        parameters=model.to_params(),
        metrics={
            "previous_version": holdout_before.model_version,
            "holdout_rules": _summary(holdout_rules),
            "holdout_before": _summary(holdout_before),
            "holdout_after": _summary(holdout_after),
            "urgency_accuracy_without_model": round(urgency_without_model.urgency_accuracy, 4),
            "urgency_threshold": model.urgency_threshold,
            "data": {
                "superseded_corrections": data.superseded,
                "skipped_unknown_category": data.skipped_unknown_category,
                "skipped_holdout": data.skipped_holdout,
                "awaiting_agreement": data.awaiting_agreement,
                "lone_corrections": data.lone,
            },
            "holdout_urgent_recall": _figure(holdout_after, holdout_after.urgent_recall),
            "holdout_false_urgent_rate": _figure(holdout_after, holdout_after.false_urgent_rate),
            # Out of fold on the training data (one fold per author's set): what chose the threshold.
            "urgency_cross_validated": {
                key: model.info.get(key)
                for key in ("urgency_cv_recall", "urgency_cv_false_urgent", "urgency_cv_recall_without_model")
            },
            "weights": {
                "temperature": model.category.temperature,
                "rule_weight": model.rule_weight,
                "concept_weight": model.concept_weight,
            },
            "cv_category_accuracy": model.info.get("cv_category_accuracy"),
            "cv_combined_accuracy": model.info.get("cv_combined_accuracy"),
        },
    )
    stale = TriageModel.objects.filter(version__lte=version - KEEP_PARAMETERS).exclude(parameters={})
    stale.update(parameters={})
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=row,
        target_label=f"分类模型 v{version}",
        changes={
            "samples": {"dev": data.dev, "corrections": data.corrections, "rules": data.rules},
            "holdout_category_accuracy": [
                round(holdout_before.category_accuracy, 4),
                row.category_accuracy,
            ],
            "holdout_urgency_accuracy": [round(holdout_before.urgency_accuracy, 4), row.urgency_accuracy],
        },
    )
    return row, True
