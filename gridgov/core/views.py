from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.views import defaults

from gridgov.command.home import home_for
from gridgov.core import dashboard
from gridgov.core.errors import NOT_FOUND_MESSAGE
from gridgov.core.http import AuthedHttpRequest


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    # Each role's first page (gridgov.command.home): a grid worker's urgent and overdue cases, a
    # secretary's intake and decisions, a department's calls, a resident's reports and notices.
    template, context = home_for(request.user)
    return render(request, template, context)


@login_required
def me(request: AuthedHttpRequest) -> HttpResponse:
    """我的: the account, the household, my latest reports, and logging out (not the home page)."""
    from gridgov.cases.selectors import my_reports

    reports = my_reports(request.user)
    context = {
        **dashboard.me_for(request.user),
        "reports": list(reports.select_related("category")[:3]),
        "report_count": reports.count(),
    }
    return render(request, "core/me.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# --- error pages: Chinese pages for people, JSON for the API, whatever went wrong ------------

SERVER_ERROR_MESSAGE = "服务器内部错误，请稍后重试；问题持续请联系系统管理员"
BAD_REQUEST_MESSAGE = "请求有误：无法解析请求内容"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


def too_big_message() -> str:
    """Names the limit a request body (without its files) may not exceed."""
    return f"请求内容过大：不能超过{_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}"


def _json_error(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "errors": []}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400. Rendered without the request: what made it bad may make the menu fail too."""
    too_big = isinstance(exception, RequestDataTooBig)
    if _is_api(request):
        return _json_error(413, too_big_message()) if too_big else _json_error(400, BAD_REQUEST_MESSAGE)
    page = loader.get_template("400.html").render(
        {"too_big": too_big, "limit": _size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
    )
    return HttpResponseBadRequest(page)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: the API's unknown paths answer like its missing rows."""
    if _is_api(request):
        return _json_error(404, NOT_FOUND_MESSAGE)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. Context-free, as Django's own: the failure may lie in the session or the menu."""
    if _is_api(request):
        return _json_error(500, SERVER_ERROR_MESSAGE)
    return HttpResponseServerError(loader.get_template("500.html").render())
