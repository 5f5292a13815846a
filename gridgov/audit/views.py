"""The audit search page. Diffs are shown as recorded: sensitive values were masked when written."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
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
    # Keys that are no model field: what the services write beside the columns.
    "event": "事件动作",
    "reported": "已报到",
    "called": "呼叫部门",
    "merged_into": "合并到",
    "rule": "分派规则",
    "sla": "办理时限",
    "reason": "原因",
    "origin": "来源地",
    "expected_until": "预计居住至",
    "registered_on": "登记日期",
    "deregistered_on": "注销日期",
    "employer": "工作单位",
    "landlord_name": "房东姓名",
    "has_health_file": "健康档案",
    "case_id": "事件编号",
    "grids": "网格",
    "estates": "小区",
    "buildings": "楼栋",
    "units": "单元",
    "households": "户",
    "residents": "居民",
    "floating": "流动人口登记",
    "floating_active": "在册流动人口",
    "resident_tags": "居民标签",
    "organisations": "组织",
    "cases": "事件",
    "party_orgs": "党组织",
    "org_members": "组织成员",
    "users": "账号",
    "hotline": "服务热线",
    "handles_cases": "承办事件",
}
# Record kinds whose model has no Chinese verbose_name of its own (or no model at all).
TYPE_LABELS = {
    "accounts.user": "账号",
    "auth.user": "账号",
    "accounts.session": "登录",
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


@lru_cache(maxsize=256)
def _model(target_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def type_label(target_type: str) -> str:
    """"居民" for people.resident: the model's verbose_name, else the table, else the code."""
    if target_type in TYPE_LABELS:
        return TYPE_LABELS[target_type]
    model = _model(target_type)
    if model is not None:
        name = str(model._meta.verbose_name)
        if name != model._meta.model_name and not name.isascii():
            return name
    return target_type


def _model_field(target_type: str, field: str) -> Any:
    model = _model(target_type)
    if model is None:
        return None
    try:
        return model._meta.get_field(field)
    except FieldDoesNotExist:
        return None


def field_label(target_type: str, field: str) -> str:
    """A recorded key in words: the table first (it says what the services meant), then the
    model field's verbose_name when it is Chinese."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    model_field = _model_field(target_type, field)
    name = str(getattr(model_field, "verbose_name", "") or "")
    return name if name and not name.isascii() else field


def _value_labels(target_type: str, field: str) -> dict[str, str] | None:
    labels = _choice_labels().get((target_type, field))
    if labels is not None:
        return labels
    if target_type == "cases.case" and field == "event":
        from gridgov.cases.models import EventKind

        return {str(k): str(v) for k, v in EventKind.choices}
    model_field = _model_field(target_type, field)
    if model_field is not None and getattr(model_field, "choices", None):
        return {str(k): str(v) for k, v in model_field.flatchoices}
    return None


# Keys whose values are case category codes ("lift"): shown by the category's name.
CATEGORY_KEYS = {("cases.case", "category"), ("cases.case", "subcategory"), ("triage.correction", "category")}


def category_names() -> dict[str, str]:
    """Code → name of every case category (a small table: one query per page)."""
    from gridgov.cases.models import Category

    return {str(code): str(name) for code, name in Category.objects.values_list("code", "name")}


def diff_rows(entry: AuditEntry, categories: dict[str, str] | None = None) -> list[dict[str, str]]:
    rows = []
    for field, pair in (entry.changes or {}).items():
        labels = _value_labels(entry.target_type, field)
        if (entry.target_type, field) in CATEGORY_KEYS and categories:
            labels = {**categories, **(labels or {})}
        before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        if field == "event" and before is None:
            # An action on a case: say what happened, not "（空） → resolved".
            rows.append({"field": "动作", "before": "", "after": _show(field, after, labels), "single": "1"})
            continue
        rows.append(
            {
                "field": field_label(entry.target_type, field),
                "before": _show(field, before, labels),
                "after": _show(field, after, labels),
            }
        )
    return rows


def target_names(entries: list[AuditEntry]) -> dict[int, str]:
    """The object of each entry by name: the label stored with the row, or (for old rows written
    without one) the record's current name, one query per record kind."""
    missing: dict[str, set[str]] = {}
    for entry in entries:
        if not entry.target_label and entry.target_id:
            missing.setdefault(entry.target_type, set()).add(entry.target_id)
    found: dict[tuple[str, str], str] = {}
    for target_type, ids in missing.items():
        model = _model(target_type)
        if model is None:
            continue
        keys = [int(i) for i in ids if i.isdigit()]
        for pk, obj in model._default_manager.in_bulk(keys).items():
            found[(target_type, str(pk))] = str(obj)
    names = {}
    for entry in entries:
        name = entry.target_label or found.get((entry.target_type, entry.target_id), "")
        names[entry.pk] = name or (f"编号{entry.target_id}" if entry.target_id else "")
    return names


@page_access("audit:search")
@require_GET
def search(request: AuthedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
    entries = audit_entries_for(request.user, **filters) if not form.errors else AuditEntry.objects.none()
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    entries_on_page = list(page)
    names = target_names(entries_on_page)
    categories = category_names() if entries_on_page else {}
    rows = []
    for entry in entries_on_page:
        kind, name = type_label(entry.target_type), names[entry.pk]
        rows.append(
            {
                "entry": entry,
                "diff": diff_rows(entry, categories),
                # "事件GRJ37C3XGH" already says what it is.
                "type_label": "" if name.startswith(kind) else kind,
                "target_name": name,
            }
        )
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
            "target_types": [(t, type_label(t)) for t in audit_target_types(request.user)],
        },
        status=400 if form.errors else 200,
    )
