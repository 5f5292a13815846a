"""The JSON API: one NinjaAPI, routers from each app, errors always JSON with a Chinese message."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import HttpBearer, SessionAuth

from gridgov.accounts.services import api_token_user
from gridgov.core.errors import FORBIDDEN_MESSAGE, NOT_FOUND_MESSAGE, error_items


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class ActiveSession(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api = NinjaAPI(
    title="GridGov 网格治理 API",
    version="1",
    description="街道、社区、网格的人房信息与治理数据。所有读取按当前用户的权限范围过滤。",
    auth=[ActiveSession(), BearerToken()],
    urls_namespace="api",
    docs_url="/docs",
)


def _error(
    request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "请先登录或提供有效的API令牌")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, NOT_FOUND_MESSAGE)


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or FORBIDDEN_MESSAGE)


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    items = error_items(exc)
    return _error(request, 400, items[0]["message"] if items else "输入有误", items)


_PYDANTIC_MESSAGES = {
    "missing": "必填",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "date_from_datetime_parsing": "日期格式应为YYYY-MM-DD",
    "date_parsing": "日期格式应为YYYY-MM-DD",
    "date_type": "日期格式应为YYYY-MM-DD",
    "string_too_long": "内容过长",
    "string_type": "须为文本",
    "bool_parsing": "须为true或false",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "json_invalid": "请求体不是有效的JSON",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
}


@api.exception_handler(SchemaValidationError)
def on_schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    items = []
    for error in exc.errors:
        location = [
            str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")
        ]
        field = location[-1] if location else "__all__"
        message = _PYDANTIC_MESSAGES.get(error.get("type", ""), "取值无效")
        items.append({"field": field, "message": f"{field}：{message}"})
    return _error(
        request, 400 if request.method != "GET" else 422, items[0]["message"] if items else "输入有误", items
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


def register_routers() -> None:
    """Each app contributes a router from its api.py; imported here so ordering is explicit."""
    from gridgov.audit.api import router as audit_router
    from gridgov.cases.api import router as cases_router
    from gridgov.notifications.api import router as notifications_router
    from gridgov.orgs.api import router as orgs_router
    from gridgov.people.api import router as people_router
    from gridgov.places.api import router as places_router
    from gridgov.transfer.api import router as transfer_router

    api.add_router("/v1/", places_router)
    api.add_router("/v1/", people_router)
    api.add_router("/v1/", orgs_router)
    api.add_router("/v1/", audit_router)
    api.add_router("/v1/", transfer_router)
    api.add_router("/v1/", notifications_router)
    api.add_router("/v1/", cases_router)


register_routers()
__all__ = ["api"]
