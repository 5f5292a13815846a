"""Why a text got its category and urgency, and what a proposed rule change would do to the
user's past cases, tried without saving anything (holders of triage.configure)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from gridgov.accounts.models import User
from gridgov.accounts.pages import page_access
from gridgov.cases import forms, selectors
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.triage import engine
from gridgov.triage.categories import CATEGORY_NAMES, RULE_TARGETS
from gridgov.triage.concepts import SUBCATEGORY_NAMES
from gridgov.triage.preview import RulePreview, preview_rule_change

PREVIEW_CASE_CAP = 20_000  # the newest cases of the period, at most
PREVIEW_LIST_MAX = 200  # reclassified cases listed on the page
SNIPPET = 60
TOP_PROBABILITIES = 5
URGENCY_NAMES = {"urgent": "紧急", "normal": "一般"}
TARGET_NAMES = dict(RULE_TARGETS)


def months_ago(now: dt.datetime, months: int) -> dt.datetime:
    """The same local day and time `months` calendar months earlier (clamped to the month's end)."""
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def _explained(explanation: engine.Explanation) -> dict[str, Any]:
    suggestion = explanation.suggestion
    probabilities = sorted(explanation.model_probabilities.items(), key=lambda item: -item[1])
    return {
        "x": explanation,
        "category": CATEGORY_NAMES.get(suggestion.category, suggestion.category),
        "subcategory": SUBCATEGORY_NAMES.get(suggestion.subcategory or "", suggestion.subcategory or ""),
        "urgency": URGENCY_NAMES.get(suggestion.urgency, suggestion.urgency),
        "rules": [
            {"target": TARGET_NAMES.get(hit.target, hit.target), "phrase": hit.phrase, "weight": hit.weight}
            for hit in explanation.rules
        ],
        "concepts": [
            {"hit": hit, "category": CATEGORY_NAMES.get(hit.category, hit.category)} for hit in explanation.concepts
        ],
        "cues": [(name, words) for name, words in explanation.cues.items() if words],
        "probabilities": [
            (CATEGORY_NAMES.get(code, code), p) for code, p in probabilities[:TOP_PROBABILITIES]
        ],
    }


def _preview(user: User, form: forms.RulePreviewForm) -> tuple[RulePreview, list[dict[str, Any]], dt.datetime]:
    """Run the change over the user's own cases of the last N months (newest first, capped)."""
    since = months_ago(timezone.localtime(), form.cleaned_data["months"])
    rows = (
        selectors.cases_visible(user)
        .filter(created_at__gte=since)
        .order_by("-created_at", "-pk")
        .values_list("text", "category__code", "pk", "tracking_code")[:PREVIEW_CASE_CAP]
    )
    meta: list[tuple[int, str]] = []

    def pairs() -> Iterator[tuple[str, str]]:
        for text, code, pk, tracking_code in rows.iterator(chunk_size=1000):
            meta.append((pk, tracking_code))
            yield text, code or ""

    result = preview_rule_change(pairs(), form.change())
    listed = []
    for item in result.changed[:PREVIEW_LIST_MAX]:
        pk, tracking_code = meta[item.index]
        listed.append(
            {
                "pk": pk,
                "tracking_code": tracking_code,
                "snippet": item.text if len(item.text) <= SNIPPET else item.text[:SNIPPET] + "…",
                "current": CATEGORY_NAMES.get(item.current, item.current),
                "before": CATEGORY_NAMES.get(item.before, item.before),
                "after": CATEGORY_NAMES.get(item.after, item.after),
                "category_changed": item.before != item.after,
                "urgency_before": URGENCY_NAMES.get(item.urgency_before, item.urgency_before),
                "urgency_after": URGENCY_NAMES.get(item.urgency_after, item.urgency_after),
                "urgency_changed": item.urgency_before != item.urgency_after,
                "now_agrees": item.now_agrees,
                "now_disagrees": item.now_disagrees,
            }
        )
    return result, listed, since


@page_access("cases:triage_explain")
@require_http_methods(["GET", "POST"])
def triage_explain(request: AuthedHttpRequest) -> HttpResponse:
    """GET ?text=… (or ?case=<id>) explains; POST tries a rule change on past cases, saving nothing."""
    user = request.user
    status = 200
    context: dict[str, Any] = {"case": None, "explained": None, "preview": None, "cap": PREVIEW_CASE_CAP}
    if request.method == "POST":
        explain_form = forms.ExplainForm()
        preview_form = forms.RulePreviewForm(request.POST)
        if preview_form.is_valid():
            try:
                result, listed, since = _preview(user, preview_form)
            except ValidationError as exc:  # e.g. "no such rule" for an update or delete
                apply_service_errors(preview_form, exc)
            else:
                context.update(
                    preview=result, listed=listed, since=since, more=max(0, len(result.changed) - len(listed))
                )
        if preview_form.errors:
            status = 400
    else:
        preview_form = forms.RulePreviewForm(
            initial={"months": forms.PREVIEW_MONTHS_DEFAULT, "weight": 2.0, "action": "add"}
        )
        text = ""
        if "case" in request.GET:
            case = selectors.case_for(user, request.GET["case"])
            context["case"] = case
            explain_form = forms.ExplainForm(initial={"text": case.text})
            text = case.text
        elif "text" in request.GET:
            explain_form = forms.ExplainForm(request.GET)
            if explain_form.is_valid():
                text = explain_form.cleaned_data["text"]
            else:
                status = 400
        else:
            explain_form = forms.ExplainForm()
        if text:
            context["explained"] = _explained(engine.explain(text))
    context.update(explain_form=explain_form, preview_form=preview_form)
    return render(request, "cases/staff/triage_explain.html", context, status=status)
