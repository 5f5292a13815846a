"""/favicon.ico: browsers ask for it at the site root whatever the page says, so it is served from
the app's own static file at that pinned path (no CDN, no 404 in every page's log)."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

FAVICON = Path(__file__).resolve().parent / "static" / "gridgov" / "favicon.ico"


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response
