"""Case statistics for a place and a period."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import subtree_q
from gridgov.cases import forms, selectors
from gridgov.cases.models import (
    Level,
)
from gridgov.core.http import AuthedHttpRequest
from gridgov.places.models import Place
from gridgov.places.selectors import AREA_KINDS


@page_access("cases:stats")
@require_GET
def stats(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    roots = selectors.stats_places(user)
    places = Place.objects.filter(
        subtree_q([root.path for root in roots], "path"), kind__in=AREA_KINDS
    ).order_by("path")
    today = timezone.localdate()
    data = request.GET.copy()
    if not request.GET:
        data.update({"since": (today - dt.timedelta(days=29)).isoformat(), "until": today.isoformat()})
    form = forms.StatsForm(data, places=places)
    figures = None
    status = 200
    if form.is_valid():
        figures = selectors.case_stats(
            user, form.cleaned_data["place"], form.cleaned_data["since"], form.cleaned_data["until"]
        )
        top = max([row["received"] for row in figures["by_category"] + figures["by_channel"]] or [0])
        for row in figures["by_category"] + figures["by_channel"]:
            row["bar"] = round(100 * row["received"] / top) if top else 0
            row["bar_done"] = round(100 * row["resolved"] / top) if top else 0
        top_level = max(figures["open_by_level"].values() or [0])
        figures["levels"] = [
            {"label": Level(level).label, "n": n, "bar": round(100 * n / top_level) if top_level else 0}
            for level, n in figures["open_by_level"].items()
        ]
    else:
        status = 400
    return render(request, "cases/staff/stats.html", {"form": form, "s": figures}, status=status)
