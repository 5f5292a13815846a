"""The audit search page. Diffs are shown as recorded: sensitive values were masked when written."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.audit.selectors import audit_entries_for, audit_target_types
from gridgov.core.bounds import date_range_validators
from gridgov.core.forms import SafeForm
from gridgov.core.http import AuthedHttpRequest

PER_PAGE = 50

FIELD_LABELS = {
    "name": "名称",
    "kind": "类型",
    "code": "编码",
    "parent": "上级",
    "latitude": "纬度",
    "longitude": "经度",
    "households_min": "户数下限",
    "households_max": "户数上限",
    "boundary": "边界",
    "room": "房号",
    "residence_kind": "居住类型",
    "landlord": "房东",
    "area_sqm": "面积",
    "notes": "备注",
    "id_number": "身份证号",
    "phone": "手机号",
    "gender": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "residence_status": "户籍状态",
    "political_status": "政治面貌",
    "employment": "工作单位",
    "tags": "标签",
    "role": "角色",
    "capabilities": "权限",
    "members": "成员",
    "places": "服务范围",
    "leader": "负责人",
    "username": "用户名",
    "household": "户",
    "relation": "与户主关系",
    "moved_in": "迁入日期",
    "moved_out": "迁出日期",
    "is_active": "有效",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "address": "地址",
    "description": "简介",
    "place": "地点",
}


class AuditFilterForm(SafeForm):
    actor = forms.CharField(label="操作人", required=False, max_length=80)
    action = forms.ChoiceField(
        label="操作",
        required=False,
        choices=[("", "全部"), *AuditAction.choices],
        error_messages={"invalid_choice": "操作类型无效"},
    )
    target_type = forms.CharField(label="对象类型", required=False, max_length=40)
    target_id = forms.CharField(label="对象编号", required=False, max_length=40)
    since = forms.DateField(
        label="起始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=date_range_validators(),
        error_messages={"invalid": "日期格式应为YYYY-MM-DD"},
    )
    until = forms.DateField(
        label="截止日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=date_range_validators(),
        error_messages={"invalid": "日期格式应为YYYY-MM-DD"},
    )
    q = forms.CharField(label="关键词", required=False, max_length=100)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "截止日期不能早于起始日期")
        return data


def _choice_labels() -> dict[tuple[str, str], dict[str, str]]:
    # Coded values read as words; keyed by (target type, field) because codes repeat across
    # models ("unit" is a 单元 for a place and a 驻区单位 for an organisation).
    from gridgov.orgs.models import OrgKind, PartyLevel
    from gridgov.people.models import Gender, PoliticalStatus, Relation, ResidenceStatus
    from gridgov.places.models import PlaceKind, ResidenceKind

    return {
        ("places.place", "kind"): dict(PlaceKind.choices),
        ("places.household", "residence_kind"): dict(ResidenceKind.choices),
        ("orgs.organisation", "kind"): dict(OrgKind.choices),
        ("orgs.organisation", "party_level"): dict(PartyLevel.choices),
        ("people.resident", "gender"): dict(Gender.choices),
        ("people.resident", "political_status"): dict(PoliticalStatus.choices),
        ("people.resident", "residence_status"): dict(ResidenceStatus.choices),
        ("people.resident", "relation"): dict(Relation.choices),
        ("places.household", "relation"): dict(Relation.choices),
    }


def _show(field: str, value: Any, labels: dict[str, str] | None = None) -> str:
    if value is None or value == "" or value == []:
        return "（空）"
    if labels and isinstance(value, str) and value in labels:
        return str(labels[value])
    if isinstance(value, list):
        if field == "capabilities":
            return "、".join(caps.LABELS.get(str(item), str(item)) for item in value) or "（空）"
        return "、".join(str(item) for item in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "（GeoJSON）" if "type" in value else str(value)
    return str(value)


def diff_rows(entry: AuditEntry) -> list[dict[str, str]]:
    choice_labels = _choice_labels()
    rows = []
    for field, pair in (entry.changes or {}).items():
        labels = choice_labels.get((entry.target_type, field))
        before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        rows.append(
            {
                "field": FIELD_LABELS.get(field, field),
                "before": _show(field, before, labels),
                "after": _show(field, after, labels),
            }
        )
    return rows


@page_access("audit:search")
@require_GET
def search(request: AuthedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
    entries = audit_entries_for(request.user, **filters) if not form.errors else AuditEntry.objects.none()
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"entry": entry, "diff": diff_rows(entry)} for entry in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/search.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "querystring": query.urlencode(),
            "target_types": audit_target_types(request.user),
        },
        status=400 if form.errors else 200,
    )
