"""分类交办: confirming the category and handing a case to a person, organisation or level."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, has_capability
from gridgov.cases import policy, rollups
from gridgov.cases.models import (
    Case,
    Category,
    EventKind,
    Level,
    Priority,
    State,
)
from gridgov.cases.routing import due_times, owner_at, route
from gridgov.core import clock
from gridgov.core.errors import Forbidden, field_error
from gridgov.orgs.models import Organisation
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User


from gridgov.cases.services._common import (
    _audit,
    _event,
    _lock,
    _notify,
    _snippet,
    _text,
    level_handlers,
)
from gridgov.cases.services.handling import _confirm_category
from gridgov.cases.services.intake import _category_from
from gridgov.cases.services.urgent import _alarm_urgent


@transaction.atomic
def case_classify(
    *,
    by: User,
    case: Case,
    category: Category | str | int,
    subcategory: Category | str | int | None = None,
    priority: str | None = None,
    note: str = "",
) -> Case:
    """Staff confirm or correct the category and urgency; a correction teaches the triage rules."""
    case = _lock(case)
    policy.check("classify", by, case)
    chosen = _category_from(category, "category")
    if chosen is None:
        raise field_error("category", "请选择分类")
    chosen_sub = _category_from(subcategory, "subcategory")
    if chosen.parent is not None:
        chosen, chosen_sub = chosen.parent, chosen_sub or chosen
    if chosen_sub is not None and chosen_sub.parent_id != chosen.pk:
        raise field_error("subcategory", "子分类不属于所选分类")
    priority = priority or case.priority
    if priority not in Priority.values:
        raise field_error("priority", "优先级只能是一般或紧急")
    note = _text(note, "note", "说明", required=False)
    before = {
        "category": case.subcategory.code if case.subcategory is not None else case.category.code,
        "priority": case.priority,
    }
    effective = chosen_sub or chosen
    changed = (case.category_id, case.subcategory_id, case.priority) != (
        chosen.pk,
        chosen_sub.pk if chosen_sub else None,
        priority,
    )
    case.category, case.subcategory, case.priority = chosen, chosen_sub, priority
    case.category_confirmed = True
    from_level = case.level
    if changed:
        case.due_accept_at, case.due_resolve_at = due_times(effective, priority, case.created_at)
        # Not yet in anyone's hands: send it where the corrected category belongs.
        if case.state == State.NEW and not case.handler_user_id and not case.dispatcher_id:
            routed = route(effective, case.place)
            case.level, case.level_place, case.level_path = (
                routed.level,
                routed.level_place,
                routed.level_place.path,
            )
            case.handler_org_id = routed.organisation_id
    case.save()
    rollups.record(case)
    label = f"{effective}·{Priority(priority).label}"
    _event(
        case,
        by=by,
        kind=EventKind.CLASSIFIED,
        from_level=from_level if case.level != from_level else None,
        note=f"{label}{'；' + note if note else ''}",
    )
    _audit(
        case,
        by=by,
        event=EventKind.CLASSIFIED,
        changes={
            "category": [before["category"], effective.code],
            "priority": [before["priority"], priority],
        },
    )
    if case.suggested_category:
        # Agreements are stored too: they are the positive labels a learned model needs.
        from gridgov.triage.services import Suggestion, record_correction

        record_correction(
            text=case.text,
            suggested=Suggestion(
                category=case.suggested_category,
                urgency=case.suggested_urgency or Priority.NORMAL,
                confidence=case.suggested_confidence or 0.0,
                matched=tuple(filter(None, case.suggested_matched.split("、"))),
                subcategory=case.suggested_subcategory or None,
            ),
            category=chosen.code,
            urgency=priority,
            by=by,
            case_id=case.pk,
        )
    if priority == Priority.URGENT and before["priority"] != Priority.URGENT and case.is_open:
        # Found urgent only now: the same alarm as an urgent report, to whoever holds it now.
        _alarm_urgent(case, by=by)
    elif case.level != from_level:
        _notify(
            level_handlers(case), by=by, case=case, title="新事件待受理", body=_snippet(case), kind="case.new"
        )
    return case


def _check_handler_for(user: User, level_place: Place, organisation: Organisation | None) -> None:
    if not user.is_active:
        raise field_error("handler_user", "该账号已停用")
    if organisation is not None:
        if user.organisation_id != organisation.pk or not has_capability(user, caps.CASES_ORG_HANDLE):
            raise field_error("handler_user", f"{user}不是{organisation.name}的办理人员")
        return
    if not has_capability(user, caps.CASES_HANDLE, level_place):
        raise field_error("handler_user", f"{user}不负责{level_place.name}的事件")


def _check_org(by: User, organisation: Organisation, field: str) -> None:
    from gridgov.orgs.selectors import organisations_for

    # Out of reach reads as not found before anything is said about the unit itself.
    if not organisations_for(by).filter(pk=organisation.pk).exists():
        raise field_error(field, "单位不存在或不在您的辖区")
    policy.refuse_unless_takes_cases(organisation, field)


@transaction.atomic
def case_dispatch(
    *,
    by: User,
    case: Case,
    level: str | None = None,
    handler_user: User | None = None,
    handler_org: Organisation | None = None,
    note: str = "",
) -> Case:
    """分类交办: hand the case to a person or an organisation, at a level of the ladder."""
    case = _lock(case)
    policy.check("dispatch", by, case)
    level = level or case.level
    if level not in Level.values:
        raise field_error("level", "层级无效")
    if handler_user is None and handler_org is None and level == case.level:
        raise field_error("handler_user", "请选择承办人、承办单位或层级")
    if level == Level.DEPARTMENT and handler_org is None:
        raise field_error("handler_org", "交办到部门须选择承办部门")
    note = _text(note, "note", "交办说明", required=False)
    new_level, new_place = owner_at(case.place, level)
    if not has_capability(by, caps.CASES_DISPATCH, new_place):
        raise Forbidden(f"您无权交办到{new_place.name}")
    if handler_org is not None:
        _check_org(by, handler_org, "handler_org")
    if handler_user is not None:
        _check_handler_for(handler_user, new_place, handler_org)
    from_state, from_level = case.state, case.level
    now = clock.now()
    if new_level != case.level:
        effective = case.subcategory or case.category
        case.due_accept_at, case.due_resolve_at = due_times(effective, case.priority, now)
        case.sla_flagged_at = None
    case.level, case.level_place, case.level_path = new_level, new_place, new_place.path
    case.handler_user, case.handler_org = handler_user, handler_org
    case.dispatcher = as_user(by)
    case.state = State.NEW
    case.needs_dispatch = False
    # 交办 is acting on the case like 受理 or 办结: the dispatcher accepts the category it carries.
    confirmed = _confirm_category(case)
    case.save()
    rollups.record(case)
    target = handler_org.name if handler_org else f"{new_place.name}{Level(new_level).label}"
    if handler_user is not None:
        target = f"{target}（{handler_user}）" if handler_org else str(handler_user)
    _event(
        case,
        by=by,
        kind=EventKind.DISPATCHED,
        from_state=from_state,
        from_level=from_level,
        note=f"交办至{target}",
        public=True,
        public_note=f"已交办{handler_org.name if handler_org is not None else Level(new_level).label}处理",
    )
    if note:
        _event(case, by=by, kind=EventKind.NOTE, note=note)
    _audit(
        case,
        by=by,
        event=EventKind.DISPATCHED,
        changes={"level": [from_level, new_level], "handler": [None, target], **confirmed},
    )
    _notify(
        level_handlers(case),
        by=by,
        case=case,
        title=f"事件交办：{case.category.name}",
        body=f"{_snippet(case)}{'（' + note + '）' if note else ''}",
        kind="case.dispatched",
    )
    return case
