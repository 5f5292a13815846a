from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from gridgov.accounts.scope import capabilities_anywhere
from gridgov.core import dashboard


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not capabilities_anywhere(request.user):
        # Residents and volunteers have no staff workbench: their home is the phone page.
        return redirect("core:me")
    return render(request, "core/home.html", {"summary": dashboard.summary_for(request.user)})


@login_required
def me(request: HttpRequest) -> HttpResponse:
    return render(request, "core/me.html", dashboard.me_for(request.user))


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
