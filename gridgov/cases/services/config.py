"""Configuration: categories, SLAs and routing rules."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, is_unrestricted, require, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases import policy
from gridgov.cases.models import (
    SLA,
    Category,
    Level,
    Priority,
    RoutingRule,
    SlaUnit,
)
from gridgov.cases.routing import config_changed
from gridgov.core.errors import Forbidden, field_error
from gridgov.orgs.models import Organisation
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


from gridgov.cases.services._common import (
    _text,
)


def _require_configure(by: Actor, place: Place | None = None) -> None:
    require_actor(by)
    if is_unrestricted(by):
        return
    if place is not None:
        require(by, caps.CASES_CONFIGURE, place, visible_with=caps.CASES_VIEW)
        return
    if not has_capability(by, caps.CASES_CONFIGURE):
        raise Forbidden("您无权配置事件分类和时限")


@transaction.atomic
def category_create(
    *,
    by: Actor,
    name: str,
    code: str,
    parent: Category | None = None,
    start_level: str = "",
    sort_order: int = 100,
) -> Category:
    _require_configure(by)
    name = _text(name, "name", "分类名称", max_length=40)
    code = (code or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_\-.]{1,39}", code):
        raise field_error("code", "代码须为2–40位小写字母、数字、下划线或点，以字母开头")
    if Category.objects.filter(code=code).exists():
        raise field_error("code", f"代码“{code}”已存在")
    if parent is not None and parent.parent_id:
        raise field_error("parent", "子分类下不能再建子分类")
    if Category.objects.filter(parent=parent, name=name).exists():
        raise field_error("name", f"“{name}”已存在")
    start_level = start_level or (parent.start_level if parent else Level.GRID)
    if start_level not in Level.values:
        raise field_error("start_level", "起始层级无效")
    category = Category.objects.create(
        code=code, name=name, parent=parent, start_level=start_level, sort_order=sort_order
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=category,
        changes={"name": [None, name], "code": [None, code]},
    )
    config_changed()
    return category


@transaction.atomic
def category_update(
    *,
    by: Actor,
    category: Category,
    name: str | None = None,
    start_level: str | None = None,
    is_active: bool | None = None,
    sort_order: int | None = None,
) -> Category:
    _require_configure(by)
    changes: dict[str, list[Any]] = {}
    if name is not None:
        name = _text(name, "name", "分类名称", max_length=40)
        if Category.objects.filter(parent=category.parent, name=name).exclude(pk=category.pk).exists():
            raise field_error("name", f"“{name}”已存在")
        changes["name"] = [category.name, name]
        category.name = name
    if start_level is not None:
        if start_level not in Level.values:
            raise field_error("start_level", "起始层级无效")
        changes["start_level"] = [category.start_level, start_level]
        category.start_level = start_level
    if is_active is not None:
        if not is_active and category.code == "other":
            raise field_error("is_active", "“其他”分类是兜底分类，不能停用")
        changes["is_active"] = [category.is_active, is_active]
        category.is_active = is_active
    if sort_order is not None:
        category.sort_order = sort_order
    category.save()
    audit_record(actor=by, action=AuditAction.UPDATE, target=category, changes=changes)
    config_changed()
    return category


@transaction.atomic
def sla_set(
    *, by: Actor, category: Category, priority: str, accept_within: int, resolve_within: int, unit: str
) -> SLA:
    _require_configure(by)
    if priority not in Priority.values:
        raise field_error("priority", "优先级只能是一般或紧急")
    if unit not in SlaUnit.values:
        raise field_error("unit", "时限单位只能是小时或工作日")
    for field, value, label in (
        ("accept_within", accept_within, "受理时限"),
        ("resolve_within", resolve_within, "办结时限"),
    ):
        if not isinstance(value, int) or value < 1 or value > 10000:
            raise field_error(field, f"{label}须为1到10000之间的整数")
    if resolve_within < accept_within:
        raise field_error("resolve_within", "办结时限不能短于受理时限")
    sla, _ = SLA.objects.update_or_create(
        category=category,
        priority=priority,
        defaults={"accept_within": accept_within, "resolve_within": resolve_within, "unit": unit},
    )
    audit_record(actor=by, action=AuditAction.UPDATE, target=sla, changes={"sla": [None, str(sla)]})
    config_changed()
    return sla


@transaction.atomic
def routing_rule_create(
    *,
    by: Actor,
    category: Category,
    level: str,
    place: Place | None = None,
    organisation: Organisation | None = None,
    note: str = "",
) -> RoutingRule:
    _require_configure(by, place)
    if place is None and not is_unrestricted(by):
        raise field_error("place", "全局分派规则只能由系统管理员设置，请选择适用范围")
    if level not in Level.values:
        raise field_error("level", "处置层级无效")
    if level == Level.DEPARTMENT and organisation is None:
        raise field_error("organisation", "部门层级须选择承办单位")
    if organisation is not None:
        policy.refuse_unless_takes_cases(organisation, "organisation")
    if RoutingRule.objects.filter(category=category, place=place, level=level).exists():
        raise field_error("level", "同一分类、范围和层级的规则已存在")
    note = _text(note, "note", "说明", required=False, max_length=200)
    rule = RoutingRule.objects.create(
        category=category, place=place, level=level, organisation=organisation, note=note
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=rule,
        place_path=place.path if place else "",
        changes={"rule": [None, str(rule)]},
    )
    config_changed()
    return rule


@transaction.atomic
def routing_rule_update(
    *,
    by: Actor,
    rule: RoutingRule,
    organisation: Organisation | str | None = "keep",
    is_active: bool | None = None,
    note: str | None = None,
) -> RoutingRule:
    _require_configure(by, rule.place)
    before = str(rule)
    if not isinstance(organisation, str):  # "keep"
        if organisation is not None:
            policy.refuse_unless_takes_cases(organisation, "organisation")
        if organisation is None and rule.level == Level.DEPARTMENT:
            raise field_error("organisation", "部门层级须选择承办单位")
        rule.organisation = organisation
    if is_active is not None:
        rule.is_active = is_active
    if note is not None:
        rule.note = _text(note, "note", "说明", required=False, max_length=200)
    rule.save()
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=rule,
        place_path=rule.place.path if rule.place is not None else "",
        changes={"rule": [before, str(rule)], "is_active": [None, rule.is_active]},
    )
    config_changed()
    return rule


@transaction.atomic
def routing_rule_delete(*, by: Actor, rule: RoutingRule) -> None:
    _require_configure(by, rule.place)
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        target=rule,
        place_path=rule.place.path if rule.place is not None else "",
        changes={"rule": [str(rule), None]},
    )
    rule.delete()
    config_changed()
