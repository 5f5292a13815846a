"""Open311 GeoReport v2 endpoints (http://wiki.open311.org/GeoReport_v2).

    GET  discovery.{fmt}                  GET  services.{fmt}
    GET  services/{service_code}.{fmt}    GET  requests.{fmt}      POST requests.{fmt}
    GET  requests/{service_request_id}.{fmt}                       GET  tokens/{token_id}.{fmt}

`fmt` is xml or json. Writes need an `api_key` (a case API key: same scope and per-minute
limit as the intake API). Errors come back as `{code, description}` items with the HTTP status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt

from gridgov.cases.services import ApiKeyInvalid, RateLimited, apikey_use
from gridgov.core.errors import error_items
from gridgov.core.text import text_problem
from gridgov.open311 import selectors, services
from gridgov.open311.render import FORMATS, errors, respond

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this adapter's behaviour last changed (discovery's changeset).
CHANGESET = "2026-01-15T00:00:00+08:00"

# Our field names → the GeoReport parameter a client sent.
_PARAM = {
    "text": "description",
    "reporter_phone": "phone",
    "reporter_name": "last_name",
    "latitude": "lat",
    "longitude": "long",
    "place": "address_id",
    "address_detail": "address_string",
    "category": "service_code",
    "subcategory": "service_code",
    "photos": "media",
    "__all__": "request",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        self.status = status
        self.description = description
        super().__init__(description)


def endpoint(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Format check, jurisdiction check and the error format around one endpoint."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def run(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in FORMATS:
                return errors("xml", 400, [f"不支持的格式“{fmt[:20]}”，请使用 .xml 或 .json"])
            if request.method not in methods:
                response = errors(fmt, 405, [f"此地址只支持{'、'.join(methods)}请求"])
                response["Allow"] = ", ".join(methods)
                return response
            try:
                params = _params(request)
                _check_jurisdiction(params.get("jurisdiction_id", ""))
                return view(request, params, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return errors(fmt, exc.status, [exc.description])
            except RateLimited as exc:
                response = errors(fmt, 429, [str(exc)])
                response["Retry-After"] = str(exc.retry_after)
                return response
            except ApiKeyInvalid as exc:
                return errors(fmt, 403, [str(exc)])
            except PermissionDenied as exc:
                return errors(fmt, 403, [str(exc) or "无权访问"])
            except Http404:
                return errors(fmt, 404, ["记录不存在"])
            except ValidationError as exc:
                return errors(
                    fmt,
                    400,
                    [
                        f"{_PARAM.get(item['field'], item['field'])}：{item['message']}"
                        for item in error_items(exc)
                    ],
                )

        return run

    return wrap


def _params(request: HttpRequest) -> dict[str, str]:
    """GET query, or a POST form (urlencoded / multipart) or JSON object, as plain strings, each
    refused (400, naming the parameter) if it carries control, bidi or zero-width characters."""
    if request.method == "GET":
        return _checked(request.GET.dict())
    if (request.content_type or "") == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Open311Error(400, "请求体不是有效的JSON") from None
        if not isinstance(data, dict):
            raise Open311Error(400, "请求体须为JSON对象")
        return _checked({str(k): "" if v is None else str(v) for k, v in data.items()})
    merged = request.GET.dict()
    merged.update(request.POST.dict())
    return _checked(merged)


def _checked(params: dict[str, str]) -> dict[str, str]:
    for key, value in params.items():
        # The description is free text (line breaks allowed); every other parameter is one line.
        problem = text_problem(value, key, multiline=key == "description")
        if problem:
            raise Open311Error(400, problem)
    return params


def _check_jurisdiction(value: str) -> None:
    expected = settings.GRIDGOV_OPEN311_JURISDICTION
    if value and expected and value != expected:
        raise Open311Error(404, f"jurisdiction_id“{value[:50]}”不存在，本平台为“{expected}”")


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("discovery.xml")


@endpoint("GET")
def discovery(request: HttpRequest, params: dict[str, str], *, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(request.path.rsplit("/", 1)[0])
    public = settings.GRIDGOV_PUBLIC_URL.rstrip("/")
    data = {
        "changeset": CHANGESET,
        "contact": f"网格治理平台管理员{('（' + public + '）') if public else ''}",
        "key_service": "接入密钥由街道或系统管理员创建（管理页面“接入密钥”，或命令 gridgov apikey create 名称）",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, data, root="discovery")


@endpoint("GET")
def service_list(request: HttpRequest, params: dict[str, str], *, fmt: str) -> HttpResponse:
    return respond(fmt, selectors.services(), root="services", item="service")


@endpoint("GET")
def service_definition(
    request: HttpRequest, params: dict[str, str], service_code: str, *, fmt: str
) -> HttpResponse:
    try:
        category = selectors.service_for(service_code)
    except Http404:
        raise Open311Error(404, f"service_code“{service_code[:40]}”不存在") from None
    # No service has extra attributes (metadata is false): the definition lists none.
    return respond(fmt, {"service_code": category.code, "attributes": []}, root="service_definition")


@endpoint("GET", "POST")
def requests(request: HttpRequest, params: dict[str, str], *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, params, fmt)
    codes = [code for code in params.get("service_request_id", "").split(",") if code.strip()]
    statuses = [s.strip().lower() for s in params.get("status", "").split(",") if s.strip()]
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, "status只能是open或closed")
    start = selectors.parse_datetime(params["start_date"], "start_date") if params.get("start_date") else None
    end = selectors.parse_datetime(params["end_date"], "end_date") if params.get("end_date") else None
    if start and end and start > end:
        raise Open311Error(400, "start_date不能晚于end_date")
    cases = list(
        selectors.requests_for(
            codes=codes,
            service_code=params.get("service_code", "").strip(),
            statuses=statuses,
            start=start,
            end=end,
        )
    )
    return respond(fmt, selectors.request_rows(cases), root="service_requests", item="request")


def _create(request: HttpRequest, params: dict[str, str], fmt: str) -> HttpResponse:
    api_key = apikey_use(params.get("api_key") or None)
    code = params.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code：必填")
    try:
        service = selectors.service_for(code)
    except Http404:
        raise Open311Error(404, f"service_code“{code[:40]}”不存在") from None
    location = selectors.locate(
        api_key,
        latitude=params.get("lat", "").strip(),
        longitude=params.get("long", "").strip(),
        address_string=params.get("address_string", "").strip(),
        address_id=params.get("address_id", "").strip(),
    )
    result = services.request_submit(
        api_key=api_key,
        service=service,
        place=location.place,
        description=params.get("description", ""),
        latitude=location.latitude,
        longitude=location.longitude,
        address_string=params.get("address_string", ""),
        first_name=params.get("first_name", ""),
        last_name=params.get("last_name", ""),
        phone=params.get("phone", ""),
        email=params.get("email", ""),
        media_url=params.get("media_url", ""),
        device_id=params.get("device_id", ""),
        account_id=params.get("account_id", ""),
        media=request.FILES.getlist("media") if request.method == "POST" and request.FILES else (),
        client_key=params.get("client_key", ""),
    )
    row = selectors.request_rows([selectors.request_for(result.case.public_id)])[0]
    body = [
        {
            # The public id: the tracking code is the reporter's secret, even towards the client.
            "service_request_id": result.case.public_id,
            "service_notice": row["service_notice"],
            "account_id": params.get("account_id") or None,
        }
    ]
    return respond(fmt, body, root="service_requests", item="request", status=201 if result.created else 200)


@endpoint("GET")
def request_detail(
    request: HttpRequest, params: dict[str, str], service_request_id: str, *, fmt: str
) -> HttpResponse:
    case = selectors.request_for(service_request_id)
    return respond(fmt, selectors.request_rows([case]), root="service_requests", item="request")


@endpoint("GET")
def token(request: HttpRequest, params: dict[str, str], token_id: str, *, fmt: str) -> HttpResponse:
    case = selectors.token_for(token_id)
    body = [{"service_request_id": case.public_id, "token": token_id}]
    return respond(fmt, body, root="service_requests", item="request")
