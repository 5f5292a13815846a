"""Requests as the type checker sees them once someone is signed in.

Django types `request.user` as `User | AnonymousUser`; behind `login_required` (or
`accounts.pages.page_access`) it is always a `User`. Views there annotate their request as
`AuthedHttpRequest` (django-stubs' recommended way); API endpoints behind the default auth of
`gridgov.api` (session or bearer token) take their user from `api_user(request)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from ninja.errors import AuthenticationError

if TYPE_CHECKING:
    from gridgov.accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """An annotation only (Django builds the request): a request whose `user` signed in."""

    user: User


def api_user(request: HttpRequest) -> User:
    """The user an API endpoint acts for: `gridgov.api`'s ActiveSession and BearerToken both put
    the signed-in, active `User` in `request.auth`. 401 without one (the auth has refused already)."""
    from gridgov.accounts.models import User

    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user
