"""The baselines `bench/load.py` measures the real endpoints against, on the same server in the
same run: the least a Django view can do to write one row and to list twenty; and two floors that
say how much of an endpoint's budget its unavoidable part takes: a signed-in page that shows
nothing (the session and its user read, as on every page), and one INSERT after triaging the
report's text (what every intake runs before it writes anything).

Mounted only with `GRIDGOV_BENCH_BASELINES` on (see gridgov/urls.py); they pass the same
middleware as every page, so what the real endpoints cost beyond them is their own work.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from gridgov.cases.models import Case


@csrf_exempt
@require_POST
def insert_one(request: HttpRequest) -> JsonResponse:
    """One ORM INSERT in its own transaction: an already expired session row, which
    `clearsessions` removes and no login can ever use."""
    row = Session.objects.create(
        session_key="bench" + secrets.token_hex(16),
        session_data="",
        expire_date=timezone.now() - dt.timedelta(days=1),
    )
    return JsonResponse({"id": row.session_key}, status=201)


@require_GET
def list_twenty(request: HttpRequest) -> JsonResponse:
    """Twenty rows of the case table through the ORM, newest first (the primary key serves the order)."""
    rows = list(
        Case.objects.order_by("-pk").values("id", "tracking_code", "state", "level", "created_at")[:20]
    )
    return JsonResponse({"items": rows})


@require_GET
def signed_in_page(request: HttpRequest) -> HttpResponse:
    """A page for a signed-in user with nothing on it: what every page costs before its content."""
    if not request.user.is_authenticated:
        return HttpResponse("请先登录", status=403)
    return HttpResponse(f"<!doctype html><title>{request.user.pk}</title>")


@csrf_exempt
@require_POST
def insert_triaged(request: HttpRequest) -> JsonResponse:
    """`insert_one` after the triage engine has read the text of a report, as an intake does."""
    from gridgov.triage.services import suggest

    suggestion = suggest(f"楼道消防通道被电动车堵住（{secrets.randbelow(10**6)}）")
    row = Session.objects.create(
        session_key="bench" + secrets.token_hex(16),
        session_data=suggestion.category or "",
        expire_date=timezone.now() - dt.timedelta(days=1),
    )
    return JsonResponse({"id": row.session_key}, status=201)
