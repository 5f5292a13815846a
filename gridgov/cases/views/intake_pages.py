"""Quick entry for hotline, walk-in desks and group chats; the grid worker's patrol report."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import capabilities_anywhere, paths_with, scope_q, within
from gridgov.cases import forms, selectors, services
from gridgov.cases.models import (
    Channel,
)
from gridgov.cases.views._common import (
    INTAKE_KINDS,
    _indented,
    _options,
    _place_trails,
)
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.places.models import Place
from gridgov.places.selectors import places_for


def _intake_places(user: Any) -> Any:
    return places_for(user, caps.CASES_INTAKE).filter(kind__in=INTAKE_KINDS)


def _patrol_places(user: Any) -> list[Place]:
    """The grid worker's own grid first, then the rest of what they may report on."""
    places = _indented(_intake_places(user))
    own = paths_with(user, caps.CASES_HANDLE)

    def mine(place: Place) -> bool:
        return within(place.path, own)

    return [p for p in places if mine(p)] + [p for p in places if not mine(p)]


def _intake(request: AuthedHttpRequest, *, patrol: bool) -> HttpResponse:
    user = request.user
    channels = [(Channel.PATROL, Channel.PATROL.label)] if patrol else None
    places = _intake_places(user)
    template = "cases/staff/patrol.html" if patrol else "cases/staff/intake.html"
    status = 200
    if request.method == "POST":
        form = forms.IntakeForm(request.POST, request.FILES, user=user, places=places, channels=channels)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.case_submit_result(
                    by=user,
                    text=data["text"],
                    channel=data["channel"],
                    place=data["place"],
                    category=data["category"] or None,
                    priority=data["priority"] or None,
                    address_detail=data["address_detail"],
                    reporter_resident=data["resident"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    photos=data["photos"],
                    client_key=data["client_key"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            except Forbidden as exc:
                form.add_error(None, str(exc))
                status = 403
            else:
                case = result.case
                request.session["cases_intake_last"] = {
                    "pk": case.pk,
                    "code": case.tracking_code,
                    "created": result.created,
                    "place": case.place.name,
                    "category": str(case.subcategory or case.category),
                    "level": case.get_level_display(),
                    "handler": case.handler_org.name if case.handler_org is not None else "",
                }
                target = reverse("cases:patrol" if patrol else "cases:intake")
                return redirect(f"{target}?channel={data['channel']}" if not patrol else target)
        else:
            status = 400
    else:
        channel = request.GET.get("channel")
        form = forms.IntakeForm(
            user=user,
            places=places,
            channels=channels,
            initial={
                "channel": Channel.PATROL
                if patrol
                else (channel if channel in Channel.values else Channel.HOTLINE),
                "client_key": uuid.uuid4().hex,
            },
        )
    last = request.session.pop("cases_intake_last", None) if request.method == "GET" else None
    if last:
        last["visible"] = selectors.staff_cases(user).filter(pk=last["pk"]).exists()
    chosen_place = None
    if form.is_bound and form.data.get("place", "").isdigit():
        chosen_place = places.filter(pk=int(form.data["place"])).first()
    chosen_resident = None
    if form.is_bound and form.data.get("resident", "").isdigit():
        from gridgov.people.selectors import resident_for

        try:
            chosen_resident = resident_for(user, int(form.data["resident"]))
        except NotFound:
            chosen_resident = None
    if form.is_bound and not form.data.get("client_key"):
        data = cast(QueryDict, form.data).copy()  # the form is bound to request.POST
        data["client_key"] = uuid.uuid4().hex
        form.data = data
    context = {
        "form": form,
        "last": last,
        "place_options": _options(_patrol_places(user) if patrol else _indented(places)),
        "chosen_place": chosen_place,
        "chosen_resident": chosen_resident,
        "patrol": patrol,
        "can_search_residents": caps.REGISTRY_VIEW in capabilities_anywhere(user),
    }
    return render(request, template, context, status=status)


@never_cache
@page_access("cases:intake")
@require_http_methods(["GET", "POST"])
def intake(request: AuthedHttpRequest) -> HttpResponse:
    return _intake(request, patrol=False)


@never_cache
@page_access("cases:intake")
@require_http_methods(["GET", "POST"])
def patrol(request: AuthedHttpRequest) -> HttpResponse:
    return _intake(request, patrol=True)


@page_access("cases:intake")
@require_GET
def intake_places(request: AuthedHttpRequest) -> HttpResponse:
    """Places and households (address or room) inside the user's intake scope matching `q`."""
    from gridgov.places.selectors import household_search

    user = request.user
    q = (request.GET.get("q") or request.GET.get("place_q") or "").strip()[:50]
    places: list[Place] = []
    households: list[Any] = []
    if q:
        scope = _intake_places(user)
        places = list(scope.filter(name__contains=q).order_by("path")[:10])
        found = household_search(user, q=q).filter(scope_q(user, caps.CASES_INTAKE))
        households = list(found[:10])
    trails = _place_trails(places, with_grid=True)
    breadcrumbs = {p.pk: trails.get(p.pk, p.name) for p in places}
    return render(
        request,
        "cases/staff/_place_results.html",
        {"q": q, "places": [(p, breadcrumbs[p.pk]) for p in places], "households": households},
    )


@page_access("cases:intake")
@require_GET
def intake_residents(request: AuthedHttpRequest) -> HttpResponse:
    """Residents inside the user's registry scope, by name, phone, last four digits or address."""
    from gridgov.people.selectors import resident_search

    q = (request.GET.get("q") or request.GET.get("resident_q") or "").strip()[:50]
    residents = list(resident_search(request.user, q=q)[:10]) if len(q) >= 1 else []
    return render(request, "cases/staff/_resident_results.html", {"q": q, "residents": residents})


@page_access("cases:triage")
@require_GET
def triage(request: AuthedHttpRequest) -> HttpResponse:
    """The live category/urgency suggestion shown while the text is typed."""
    from gridgov.triage.categories import CATEGORY_NAMES, URGENCY_NAMES
    from gridgov.triage.services import suggest

    text = (request.GET.get("text") or "").strip()[:2000]
    suggestion = suggest(text) if len(text) >= 4 else None
    context: dict[str, Any] = {"suggestion": None}
    if suggestion is not None:
        context["suggestion"] = {
            "code": suggestion.category,
            "category": CATEGORY_NAMES.get(suggestion.category, suggestion.category),
            "urgency": suggestion.urgency,
            "urgency_label": URGENCY_NAMES.get(suggestion.urgency, ""),
            "confidence": suggestion.confidence,
            "matched": list(suggestion.matched),
        }
    return render(request, "cases/staff/_triage.html", context)
