from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

NOT_FOUND_MESSAGE = "记录不存在或无权访问"
FORBIDDEN_MESSAGE = "您没有执行此操作的权限"


class NotFound(Http404):
    """Raised alike for a missing row and a row outside the user's scope, so scope leaks nothing."""

    def __init__(self, message: str = NOT_FOUND_MESSAGE) -> None:
        super().__init__(message)


class Forbidden(PermissionDenied):
    def __init__(self, message: str = FORBIDDEN_MESSAGE) -> None:
        super().__init__(message)


def field_error(field: str, message: str, code: str | None = None) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def error_items(exc: ValidationError) -> list[dict[str, str]]:
    """Flatten a ValidationError to [{field, message}] for JSON responses and import reports."""
    if hasattr(exc, "error_dict"):
        return [
            {"field": field, "message": str(message)}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": "__all__", "message": str(message)} for message in exc.messages]
