"""The JSON API: one NinjaAPI, routers from each app, errors always JSON with a Chinese message."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from gridgov.accounts.services import api_token_user
from gridgov.core.errors import FORBIDDEN_MESSAGE, NOT_FOUND_MESSAGE, error_items
from gridgov.core.openapi import declare_error_responses
from gridgov.core.text import text_problem


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class ActiveSession(SessionAuth):
    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF guards a browser's cookie. A request bringing a bearer token, or no session
        # cookie at all, rides on no cookie: skip the check so the token (or the 401) decides,
        # instead of refusing every scripted write with "CSRF check failed".
        if request.headers.get("Authorization", "").lower().startswith("bearer ") or (
            self.param_name not in request.COOKIES
        ):
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF校验失败：请刷新页面后重试，脚本调用请使用API令牌")
        return request.COOKIES[self.param_name]

    def authenticate(self, request: HttpRequest, key: str | None):
        if key is None:
            return None
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


# Fields holding multi-line text (notes, reports, reasons): tabs and line breaks are allowed there.
# Every other string of a request is one line: a name, a room, a phone, a code, a search.
MULTILINE_FIELDS = frozenset(
    {
        "text",
        "note",
        "notes",
        "description",
        "result",
        "reason",
        "comment",
        "move_out_reason",
        "deregistration_reason",
    }
)


def _check_strings(request: HttpRequest, data: object, field: str = "__all__") -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            problems += _check_strings(request, value, str(key))
    elif isinstance(data, list):
        for item in data:
            problems += _check_strings(request, item, field)
    elif isinstance(data, str):
        problem = text_problem(data, field_label(request, field), multiline=field in MULTILINE_FIELDS)
        if problem:
            problems.append({"field": field, "message": problem})
    return problems


class SafeTextParser(Parser):
    """Every string of a JSON body, a query and a form passes `core.text.text_problem` before any
    schema sees it, so no endpoint can forget a field. Refused with 400 and the field named."""

    def _refuse(self, request: HttpRequest, data: object) -> None:
        problems = _check_strings(request, data)
        if problems:
            errors: dict[str, list[str]] = {}
            for item in problems:
                errors.setdefault(item["field"], []).append(item["message"])
            raise ValidationError(errors)

    def parse_body(self, request: HttpRequest):
        data = super().parse_body(request)
        # Every JSON body of the API is an object. ninja's Schema reads fields off any value, so
        # a body of `[]` or `5` would otherwise pass as "nothing given" (a PATCH answered 200).
        if not isinstance(data, dict):
            raise ValidationError({"__all__": ["请求体须为JSON对象"]})
        # Raised inside ninja's body reader, this reaches on_http_error as the HttpError's cause.
        self._refuse(request, data)
        return data

    def parse_querydict(self, data, list_fields, request: HttpRequest):
        result = super().parse_querydict(data, list_fields, request)
        self._refuse(request, result)
        return result


class GridGovAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI schema also declares the error answers (`gridgov.core.openapi`)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return declare_error_responses(schema, extra=_particular_errors)


api = GridGovAPI(
    title="GridGov 网格治理 API",
    version="1",
    description="街道、社区、网格的人房信息与治理数据。所有读取按当前用户的权限范围过滤。",
    auth=[ActiveSession(), BearerToken()],
    urls_namespace="api",
    docs_url="/docs",
    parser=SafeTextParser(),
)


def _error(
    request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from gridgov.core.views import too_big_message

    return _error(request, 413, too_big_message())


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
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "decimal_parsing": "须为数字",
    "decimal_type": "须为数字",
    "decimal_max_digits": "位数过多",
    "decimal_max_places": "小数位数过多",
    "int_from_float": "须为整数",
    "list_type": "须为列表",
    "dict_type": "须为JSON对象",
    "model_attributes_type": "须为JSON对象",
    "model_type": "须为JSON对象",
    "too_long": "条目过多",
}

# Chinese names of the fields the API takes, so an error reads "出生日期：日期不存在" rather
# than naming a code; `field` in the error item stays the code for programs.
FIELD_LABELS = {
    "address": "地址",
    "area_sqm": "面积",
    "birth_date": "出生日期",
    "boundary": "边界",
    "code": "编码",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "deregistered_on": "注销日期",
    "description": "简介",
    "employer": "工作单位",
    "employment": "工作单位/职业",
    "ethnicity": "民族",
    "expected_until": "预计居住至",
    "gender": "性别",
    "has_health_file": "已建健康档案",
    "household": "户",
    "households_max": "网格户数上限",
    "households_min": "网格户数下限",
    "id_number": "身份证号",
    "is_active": "有效",
    "is_deceased": "已故",
    "joined_on": "加入日期",
    "kind": "类型",
    "landlord": "房东",
    "landlord_name": "房东姓名",
    "latitude": "纬度",
    "leader": "负责人",
    "longitude": "经度",
    "move_out": "同时迁出",
    "moved_in": "迁入日期",
    "moved_out": "迁出日期",
    "name": "名称",
    "notes": "备注",
    "origin": "户籍地/来源地",
    "page": "页码",
    "page_size": "每页条数",
    "parent": "上级",
    "party_level": "党组织层级",
    "phone": "手机号",
    "place": "地点",
    "places": "服务范围",
    "political_status": "政治面貌",
    "purpose": "查看用途",
    "reason": "原因",
    "registered_on": "登记日期",
    "relation": "与户主关系",
    "residence_kind": "居住类型",
    "residence_status": "户籍状态",
    "resident": "居民",
    "role": "职务",
    "room": "房号",
    "status": "户籍状态",
    "tags": "人群标签",
    "user": "账号",
    "within": "地点范围",
    # query parameters of the lists
    "since": "起始日期",
    "until": "截止日期",
    "actor_id": "操作人账号ID",
    "offset": "起始位置",
    "limit": "条数",
}


# Where a field name means something more precise than FIELD_LABELS says: a resident's "name".
_PATH_LABELS = {
    "/api/v1/residents": {"name": "姓名"},
    "/api/v1/floating": {"name": "姓名"},
}


def field_label(request: HttpRequest | None, field: str) -> str:
    """The Chinese name of a request field, as error messages show it."""
    if request is not None:
        for prefix, labels in _PATH_LABELS.items():
            if request.path.startswith(prefix) and field in labels:
                return labels[field]
    return FIELD_LABELS.get(field, "请求内容" if field == "__all__" else field)


def _is_date(bound: object) -> bool:
    # pydantic puts a date bound into the error's context as its ISO text.
    try:
        dt.date.fromisoformat(str(bound))
    except ValueError:
        return False
    return True


def _schema_error_message(field: str, error: dict) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    message = _PYDANTIC_MESSAGES.get(kind, "取值无效")
    if kind.startswith("date") and "outside expected range" in str(context.get("error", "")):
        message = "日期不存在，请核对年月日"
    elif kind in ("enum", "literal_error") and context.get("expected"):
        message = f"取值无效，可选：{str(context['expected']).replace(' or ', ', ')}"
    elif kind == "string_too_long" and context.get("max_length"):
        message = f"不能超过{context['max_length']}个字"
    elif kind == "greater_than_equal" and _is_date(context.get("ge")):
        message = f"不能早于{context['ge']}"
    elif kind == "less_than_equal" and _is_date(context.get("le")):
        message = f"不能晚于{context['le']}"
    elif kind == "greater_than_equal" and "ge" in context:
        message = f"不能小于{context['ge']}"
    elif kind == "less_than_equal" and "le" in context:
        message = f"不能大于{context['le']}"
    return f"{FIELD_LABELS.get(field, field)}：{message}"


@api.exception_handler(SchemaValidationError)
def on_schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    items = []
    for error in exc.errors:
        location = [
            part
            for part in error.get("loc", ())
            if isinstance(part, str) and part not in ("body", "query", "path", "payload", "filters")
        ]
        field = location[-1] if location else "__all__"
        items.append({"field": field, "message": _schema_error_message(field, error)})
    return _error(
        request, 400 if request.method != "GET" else 422, items[0]["message"] if items else "输入有误", items
    )


# Messages ninja itself raises, in the users' language.
_HTTP_ERROR_MESSAGES = {
    "Cannot parse request body": "请求体不是有效的JSON",
    "CSRF check Failed": "CSRF校验失败：请刷新页面后重试，脚本调用请使用API令牌",
}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ValidationError):  # SafeTextParser refused the body
        return on_invalid(request, exc.__cause__)
    return _error(request, exc.status_code, _HTTP_ERROR_MESSAGES.get(str(exc), str(exc)))


def register_routers() -> None:
    """Each app contributes a router from its api.py; imported here so ordering is explicit."""
    from gridgov.accounts.api import router as accounts_router
    from gridgov.activities.api import router as activities_router
    from gridgov.audit.api import router as audit_router
    from gridgov.bulletin.api import router as bulletin_router
    from gridgov.care.api import router as care_router
    from gridgov.cases.api import router as cases_router
    from gridgov.cases.api_duty import router as duty_router
    from gridgov.command.api import router as command_router
    from gridgov.consult.api import router as consult_router
    from gridgov.desks.api import router as desks_router
    from gridgov.forum.api import router as forum_router
    from gridgov.mediation.api import router as mediation_router
    from gridgov.notifications.api import router as notifications_router
    from gridgov.orgs.api import router as orgs_router
    from gridgov.people.api import router as people_router
    from gridgov.places.api import router as places_router
    from gridgov.services.api import router as services_router
    from gridgov.transfer.api import router as transfer_router

    api.add_router("/v1/", places_router)
    api.add_router("/v1/", accounts_router)
    api.add_router("/v1/", people_router)
    api.add_router("/v1/", orgs_router)
    api.add_router("/v1/", audit_router)
    api.add_router("/v1/", transfer_router)
    api.add_router("/v1/", notifications_router)
    api.add_router("/v1/", cases_router)
    api.add_router("/v1/", duty_router)
    api.add_router("/v1/", services_router)
    api.add_router("/v1/", care_router)
    api.add_router("/v1/", bulletin_router)
    api.add_router("/v1/", forum_router)
    api.add_router("/v1/", activities_router)
    api.add_router("/v1/", consult_router)
    api.add_router("/v1/", mediation_router)
    api.add_router("/v1/", desks_router)
    api.add_router("/v1/", command_router)


register_routers()
__all__ = ["api"]


# --- cases: a conflict is 409, an API key over its per-minute limit is 429 with Retry-After ------

from gridgov.cases.services import CaseConflict, RateLimited  # noqa: E402


@api.exception_handler(CaseConflict)
def on_case_conflict(request: HttpRequest, exc: CaseConflict) -> HttpResponse:
    items = error_items(exc)
    return _error(request, 409, items[0]["message"] if items else "事件状态已变化，请刷新", items)


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = _error(request, 429, str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


# The transitions of a case, a department's report and a tracked rating check the case's state
# under a row lock (409); an API key counts its calls and a tracking code its failed tries (429).
_CONFLICTS = re.compile(
    r"/v1/(cases/\{case_id\}/(?!reveal-reporter$)[a-z-]+|calls/\{call_id\}/report|cases/track/\{code\}/rate)$"
)
_RATE_LIMITED = re.compile(r"/v1/(intake|cases/track/\{code\}(/rate)?)$")


def _particular_errors(method: str, path: str) -> set[int]:
    codes = set()
    if method == "post" and _CONFLICTS.search(path):
        codes.add(409)
    if _RATE_LIMITED.search(path):
        codes.add(429)
    return codes


FIELD_LABELS.update(
    {
        "text": "反映内容",
        "channel": "来源渠道",
        "category": "分类",
        "subcategory": "子分类",
        "priority": "优先级",
        "address_detail": "具体位置",
        "reporter_name": "反映人姓名",
        "reporter_phone": "反映人手机号",
        "reporter_resident": "反映人",
        "client_key": "请求标识",
        "place_path": "地点路径",
        "place_code": "地点编码",
        "handler_user": "承办人",
        "handler_org": "承办单位",
        "organisation": "承办部门",
        "organisations": "被呼叫部门",
        "deadline": "报到期限",
        "into": "主件事件",
        "result": "办理结果",
        "rating": "评价",
        "comment": "评价意见",
        "phone_last4": "手机号后四位",
        "photo_kind": "照片类型",
        "photos": "照片",
        "public": "公开",
        "note": "说明",
        "queue": "队列",
        "supervised": "督办",
        "overdue": "超时",
        "level": "层级",
    }
)
