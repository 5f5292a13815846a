"""Reads of the triage configuration and of the corrections staff made.

Rules and corrections are global (not tied to a place), so the scope here is the role: only rule
editors (administrators) see them; everyone else gets nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet

from gridgov.core.errors import NotFound
from gridgov.triage.categories import CATEGORY_NAMES
from gridgov.triage.models import Correction, TriageModel, TriageRule
from gridgov.triage.services import may_edit_rules

if TYPE_CHECKING:
    import datetime as dt

    from gridgov.accounts.models import User


def rule_list(
    user: User | None, *, target: str | None = None, active_only: bool = False
) -> QuerySet[TriageRule]:
    if user is None or not may_edit_rules(user):
        return TriageRule.objects.none()
    rules = TriageRule.objects.all()
    if target:
        rules = rules.filter(target=target)
    if active_only:
        rules = rules.filter(is_active=True)
    return rules


def rule_for(user: User | None, rule_id: int) -> TriageRule:
    rule = rule_list(user).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    return rule


def correction_list(
    user: User | None, *, since: dt.datetime | None = None, changed_only: bool = False
) -> QuerySet[Correction]:
    """The labelled examples for training a model (administrators only)."""
    if user is None or not may_edit_rules(user):
        return Correction.objects.none()
    corrections = Correction.objects.all()
    if since is not None:
        corrections = corrections.filter(created_at__gte=since)
    if changed_only:
        corrections = corrections.filter(
            ~Q(category=F("suggested_category")) | ~Q(urgency=F("suggested_urgency"))
        )
    return corrections


def correction_agreement(user: User | None) -> list[dict[str, Any]]:
    """Per suggested category: how often staff kept it — where the rules need work."""
    rows = (
        correction_list(user)
        .values("suggested_category")
        .annotate(total=Count("id"), kept=Count("id", filter=Q(category=F("suggested_category"))))
        .order_by("suggested_category")
    )
    return [
        {
            "category": row["suggested_category"],
            "name": CATEGORY_NAMES.get(row["suggested_category"], row["suggested_category"]),
            "total": row["total"],
            "kept": row["kept"],
            "rate": round(row["kept"] / row["total"], 3) if row["total"] else 0.0,
        }
        for row in rows
    ]


def model_list(user: User | None) -> QuerySet[TriageModel]:
    """Trained models, newest first, without their (large) parameters (administrators only)."""
    if user is None or not may_edit_rules(user):
        return TriageModel.objects.none()
    return TriageModel.objects.defer("parameters")
