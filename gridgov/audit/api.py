"""GET /api/v1/audit: the same scoped search as the audit page, as paginated JSON."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gridgov.audit.models import AuditAction
from gridgov.audit.selectors import audit_entries_for, can_view_audit
from gridgov.core.bounds import DbId, FilterDate
from gridgov.core.errors import Forbidden
from gridgov.core.http import api_user
from gridgov.core.paging import paged

router = Router(tags=["审计"])


class AuditFilters(Schema):
    actor: str | None = Field(None, max_length=80, description="操作人姓名或用户名（包含即可）")
    actor_id: DbId | None = Field(None, description="操作人账号ID")
    action: AuditAction | None = Field(None, description="操作类型")
    target_type: str | None = Field(None, max_length=40, description="对象类型，如 people.resident")
    target_id: str | None = Field(None, max_length=40)
    since: FilterDate | None = Field(None, description="起始日期（含）")
    until: FilterDate | None = Field(None, description="截止日期（含）")
    q: str | None = Field(None, max_length=100, description="对象名称、操作人或事由中的关键词")


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    action_label: str
    target_type: str
    target_id: str
    target_label: str
    place_path: str
    changes: dict
    purpose: str

    @staticmethod
    def resolve_action_label(obj) -> str:
        return obj.get_action_display()


@router.get("/audit", response=list[AuditEntryOut], summary="查询审计记录")
@paged
def audit_search(request: HttpRequest, filters: Query[AuditFilters]):
    """Entries inside the caller's AUDIT_VIEW scope, newest first. Sensitive values in `changes`
    were masked when recorded."""
    user = api_user(request)
    if not can_view_audit(user):
        raise Forbidden("您没有查看审计日志的权限")
    data = filters.dict()
    actor_id = data.pop("actor_id")
    if actor_id is not None:
        data["actor"] = actor_id
    return audit_entries_for(user, **{key: value for key, value in data.items() if value is not None})
