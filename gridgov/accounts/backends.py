from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from gridgov.accounts.services import find_user_for_login, login_failed, login_succeeded, user_is_locked


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with a username or a phone number; lock the account after repeated failures."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ):
        if not username or password is None:
            return None
        user = find_user_for_login(username)
        if user is None:
            # Spend the same time as a real check so a timing probe cannot list accounts.
            get_user_model()().set_password(password)
            return None
        if user_is_locked(user):
            if request is not None:
                request.gridgov_locked_user = user  # type: ignore[attr-defined]
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            login_succeeded(user=user, request=request)
            return user
        login_failed(user=user, request=request)
        if request is not None and user_is_locked(user):
            request.gridgov_locked_user = user  # type: ignore[attr-defined]
        return None
