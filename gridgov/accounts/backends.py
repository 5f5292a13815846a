from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from gridgov.accounts import login as guard
from gridgov.accounts.models import User
from gridgov.accounts.services import client_ip, find_user_for_login, session_user


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with a username or a phone number; repeated failures block the (account, address)
    pair and, past a higher limit, the address (see gridgov.accounts.login)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ):
        if not username or password is None:
            return None
        ip = client_ip(request)
        user = find_user_for_login(username)
        blocked = guard.login_blocked(login=username, user=user, ip=ip)
        if user is None or blocked:
            # The hasher runs on every attempt, so an unknown or blocked name costs the same time.
            guard.burn_password_hash(password)
            valid = False
        else:
            valid = user.check_password(password) and self.user_can_authenticate(user)
        if valid and user is not None:
            guard.login_succeeded(login=username, user=user, ip=ip)
            return user
        if not blocked:
            blocked = guard.login_failed(login=username, user=user, ip=ip)
        if blocked and request is not None:
            request.gridgov_login_blocked = blocked  # type: ignore[attr-defined]
        return None

    def get_user(self, user_id: Any) -> User | None:
        # The session's user on every page: with their roles in the same query, which the page's
        # access check and the navigation read next (ModelBackend's get() reads the user alone).
        try:
            user = session_user(int(user_id))
        except (TypeError, ValueError, OverflowError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None
