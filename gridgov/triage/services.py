"""Triage: suggest a category and urgency for a report, let administrators edit the rules,
and keep what staff finally chose."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from gridgov.audit.services import AuditAction, audit_record
from gridgov.core.errors import Forbidden, field_error
from gridgov.triage import engine
from gridgov.triage.categories import CATEGORY_NAMES, URGENCY_CODES
from gridgov.triage.engine import Suggestion
from gridgov.triage.models import Correction, RuleKind, TriageRule, normalize

if TYPE_CHECKING:
    from gridgov.accounts.models import User

__all__ = [
    "Suggestion",
    "record_correction",
    "rule_create",
    "rule_delete",
    "rule_update",
    "suggest",
    "tokens",
]

TEXT_LIMIT = 5000
_CODE = re.compile(r"[-a-zA-Z0-9_]{1,40}")
RULE_FIELDS = ("target", "kind", "text", "weight", "is_active", "note")


def suggest(text: str) -> Suggestion:
    """Category and urgency for a resident's report, from the administrators' rules."""
    return engine.suggest(text)


def tokens(text: str) -> list[str]:
    """jieba tokens of a report, with the domain dictionary (e.g. for similar-text checks)."""
    return engine.tokens(text)


def may_edit_rules(user: User | None) -> bool:
    """Rules are global configuration: superusers and staff granted the model permissions in the admin."""
    if user is None:
        return True
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or (user.is_staff and user.has_perm("triage.change_triagerule")))
    )


def _require_rule_editor(user: User | None) -> None:
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
    by: User | None,
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
        created_by=by if by is not None and by.pk else None,
    )
    _save_rule(rule)
    audit_record(actor=by, action=AuditAction.CREATE, target=rule, changes={"after": _rule_state(rule)})
    engine.invalidate()
    return rule


@transaction.atomic
def rule_update(*, by: User | None, rule: TriageRule, **changes: Any) -> TriageRule:
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
def rule_delete(*, by: User | None, rule: TriageRule) -> None:
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
    by: User | None,
    case_id: int | None = None,
) -> Correction:
    """Store what staff chose for a report next to what was suggested (agreeing or not).

    The caller — the cases service that confirms or re-classifies a case — has already checked
    that `by` may dispatch that case; this only refuses anonymous actors and bad values.
    """
    if by is not None and not (by.is_authenticated and by.is_active):
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
    correction = Correction.objects.create(
        text=text[:TEXT_LIMIT],
        suggested_category=suggested.category,
        suggested_urgency=suggested.urgency,
        suggested_confidence=suggested.confidence,
        matched=list(suggested.matched),
        category=category,
        urgency=urgency,
        by=by if by is not None and by.pk else None,
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
    return correction
