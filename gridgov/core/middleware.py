"""Response headers every response carries: the Content-Security-Policy and, for anything
dynamic, `Cache-Control: no-store`."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def content_security_policy(nonce: str) -> str:
    """Scripts and styles from this site only, or inline blocks carrying this response's nonce.
    Style attributes stay allowed (style-src-attr): the pages colour tags and draw bars with
    them, and they cannot run code; event-handler attributes (onclick …) are script and are
    refused. Images may be data: URLs (QR codes)."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """First in MIDDLEWARE, so it sees every response, static files included.

    `request.csp_nonce` is fresh per request; templates put it on their inline blocks. Pages,
    API answers and downloads (every dynamic response may carry personal data) are no-store;
    static files keep the caching WhiteNoise gives them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)  # type: ignore[attr-defined]
        response = self.get_response(request)
        # Django's own debug pages (DEBUG only) are inline script and style without our nonce.
        technical = settings.DEBUG and response.status_code in (404, 500)
        if not technical:
            response["Content-Security-Policy"] = content_security_policy(request.csp_nonce)  # type: ignore[attr-defined]
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response
