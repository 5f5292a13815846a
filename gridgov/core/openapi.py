"""The error answers of the JSON API, declared in its OpenAPI schema.

Every error leaves the API in one shape, `{"detail": "中文说明", "errors": [{"field", "message"}]}`,
from the exception handlers in `gridgov.api`, not from the endpoints; so the endpoints do not list
them, and this module adds them to each operation from what the operation takes: a client (and
the Schemathesis run in CI) can then rely on the schema for every status code it may receive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

ERROR_SCHEMA_NAME = "ErrorOut"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "required": ["detail", "errors"],
    "properties": {
        "detail": {"type": "string", "title": "中文说明"},
        "errors": {
            "type": "array",
            "title": "逐项说明",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "title": "字段（__all__ 表示整个请求）"},
                    "message": {"type": "string", "title": "中文说明"},
                },
            },
        },
    },
}

DESCRIPTIONS = {
    400: "请求有误：请求体不是JSON对象、含不允许的字符，或字段取值不符合规则（errors 逐项列出）",
    401: "未登录或API令牌（接入密钥）无效",
    403: "没有执行此操作的权限，或CSRF校验失败",
    404: "记录不存在或不在您的权限范围内",
    409: "与事件当前状态冲突（例如已被他人受理、已办结），请刷新后重试",
    422: "查询参数或路径参数不符合要求（类型、范围、取值）",
    429: "请求过于频繁，响应头 Retry-After 给出需要等待的秒数",
}

# Query parameters that page a list and name no record.
_PAGING = frozenset({"page", "page_size", "limit", "offset"})


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return components.get(ref.rsplit("/", 1)[-1], {})
    return schema


def _is_integer(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    schema = _resolve(schema, components)
    if schema.get("type") == "integer":
        return True
    if schema.get("type") == "array":
        return _is_integer(schema.get("items", {}), components)
    return any(_is_integer(option, components) for option in schema.get("anyOf", ()))


def _names_a_record(operation: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether the operation takes an id (a path parameter, an integer query filter or body
    field), which the scoped fetchers answer with 404 when it is missing or out of scope."""
    for parameter in operation.get("parameters", ()):
        if parameter["in"] == "path":
            return True
        if parameter["in"] == "query" and parameter["name"] not in _PAGING:
            if _is_integer(parameter.get("schema", {}), components):
                return True
    for media in operation.get("requestBody", {}).get("content", {}).values():
        body = _resolve(media.get("schema", {}), components)
        if any(_is_integer(field, components) for field in body.get("properties", {}).values()):
            return True
    return False


def error_codes(method: str, operation: dict[str, Any], components: dict[str, Any]) -> set[int]:
    """The error statuses the exception handlers can give this operation."""
    parameters = operation.get("parameters", ())
    has_query = any(p["in"] == "query" for p in parameters)
    has_path = any(p["in"] == "path" for p in parameters)
    has_body = "requestBody" in operation
    codes: set[int] = set()
    # Schema errors are 422 for a GET and 400 otherwise; a service's ValidationError and a body
    # or query refused for its characters are 400 for every method.
    if has_query or has_body or (method != "get" and has_path):
        codes.add(400)
    if method == "get" and (has_query or has_path):
        codes.add(422)
    if operation.get("security"):
        codes |= {401, 403}
    if operation.get("security") and _names_a_record(operation, components):
        codes.add(404)
    elif has_path:
        codes.add(404)
    return codes


def declare_error_responses(
    schema: dict[str, Any], extra: Callable[[str, str], Iterable[int]] = lambda method, path: ()
) -> dict[str, Any]:
    """Add the error responses to every operation of `schema` (in place, and returned).
    `extra(method, path)` names statuses particular endpoints give besides the common ones
    (a case's 409, a rate limit's 429)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in sorted(error_codes(method, operation, components) | set(extra(method, path))):
                responses.setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return schema
