"""Every write of care: plans and their duties, the visit log, the missed-duty sweep, patrols."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import SYSTEM, as_user, has_capability_at, holders, is_system, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.care import policy
from gridgov.care.models import (
    PRESET_LABELS,
    PRESETS,
    CarePlan,
    Carer,
    CarerKind,
    Condition,
    Duty,
    DutyKind,
    Frequency,
    PatrolResult,
    PatrolVisit,
    Visit,
    VisitPhoto,
    next_due,
)
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.places.models import PlaceKind
from gridgov.services.services._common import clean_text, tell

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor
    from gridgov.cases.models import Case
    from gridgov.people.models import Resident
    from gridgov.places.models import Household, Place


def _first_due(kind: str, frequency: str, starts_on: dt.date, resident: Resident) -> dt.date:
    if kind == DutyKind.BIRTHDAY and resident.birth_date:
        birth = resident.birth_date
        for year in (starts_on.year, starts_on.year + 1):
            try:
                day = birth.replace(year=year)
            except ValueError:  # 29 February
                day = dt.date(year, 2, 28)
            if day >= starts_on:
                return day
    return next_due(frequency, starts_on) - dt.timedelta(days=1)


@transaction.atomic
def plan_create(
    *,
    by: Actor,
    resident: Resident,
    preset: str,
    carers: list[tuple[User, str]],
    starts_on: dt.date | None = None,
) -> CarePlan:
    """Pair carers with a resident (care.manage over their home), duties from a preset rule set."""
    require_actor(by)
    home = resident.place
    if home is None:
        raise field_error("resident", "该居民没有登记住址")
    if not has_capability_at(by, caps.CARE_MANAGE, home.path):
        raise NotFound()
    if preset not in PRESETS:
        raise field_error("preset", "请选择帮扶模板")
    if not carers:
        raise field_error("carers", "请至少选择一位结对帮扶人")
    for _user, kind in carers:
        if kind not in CarerKind.values:
            raise field_error("carers", "帮扶人身份无效")
    starts_on = starts_on or clock.today()
    household = None
    membership = resident.memberships.filter(moved_out__isnull=True).select_related("household").first()
    if membership is not None:
        household = membership.household
    plan = CarePlan.objects.create(
        resident=resident,
        household=household,
        place=home,
        place_path=home.path,
        preset=preset,
        title=f"{PRESET_LABELS[preset]}结对帮扶",
        starts_on=starts_on,
        created_by=as_user(by),
    )
    seen: set[int] = set()
    for user, kind in carers:
        if user.pk not in seen:
            Carer.objects.create(plan=plan, user=user, kind=kind)
            seen.add(user.pk)
    for kind, frequency in PRESETS[preset]:
        Duty.objects.create(
            plan=plan, kind=kind, frequency=frequency, due_on=_first_due(kind, frequency, starts_on, resident)
        )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=plan,
        place_path=plan.place_path,
        target_label=f"结对帮扶：{resident.name}",
        changes={
            "carers": [None, "、".join(str(u) for u, _ in carers)],
            "preset": [None, PRESET_LABELS[preset]],
        },
    )
    tell([u for u, _ in carers], title=f"您与{resident.name}结对帮扶", body=plan.title, link="/care/my/")
    return plan


@transaction.atomic
def plan_end(*, by: Actor, plan: CarePlan) -> CarePlan:
    """Close a plan (moved away, passed away …); its history stays."""
    plan = CarePlan.objects.select_for_update().get(pk=plan.pk)
    policy.check("manage", by, plan)
    plan.is_active = False
    plan.save(update_fields=["is_active"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=plan,
        place_path=plan.place_path,
        changes={"is_active": [True, False]},
    )
    return plan


def _condition(value: Any, field: str, label: str) -> str:
    value = value or Condition.GOOD
    if value not in Condition.values:
        raise field_error(field, f"{label}情况无效")
    return str(value)


def _file_case(by: Actor, plan: CarePlan, text: str) -> Case:
    from gridgov.cases import services as case_services
    from gridgov.cases.models import Channel

    if is_system(by) or has_capability_at(by, caps.CASES_INTAKE, plan.place_path):
        return case_services.case_submit(
            by=by, text=text, channel=Channel.PATROL, place=plan.place, reporter_resident=plan.resident
        )
    # Volunteers hold no intake role: filed as the system, the text says who found it.
    return case_services.case_submit(
        by=SYSTEM,
        text=f"{text}（{by}走访时发现）",
        channel=Channel.PATROL,
        place=plan.place,
        reporter_resident=plan.resident,
    )


@transaction.atomic
def visit_log(
    *,
    by: Actor,
    plan: CarePlan,
    visited_at: dt.datetime,
    minutes: int,
    done: str,
    duty: Duty | None = None,
    health: str = Condition.GOOD,
    mood: str = Condition.GOOD,
    home_safety: str = Condition.GOOD,
    needs: str = "",
    photos: Any = (),
    problem: str = "",
    problem_to: str = "case",
    order_item: Any = None,
) -> Visit:
    """A carer logs a visit: it fulfils the duty (the plan's weekly visit by default); a problem
    found becomes a case, or a service order for `order_item`, in the same step."""
    from gridgov.cases.photos import clean_photos

    plan = CarePlan.objects.select_for_update().select_related("resident", "place").get(pk=plan.pk)
    policy.check("log_visit", by, plan)
    now = clock.now()
    if not isinstance(visited_at, dt.datetime) or visited_at.tzinfo is None:
        raise field_error("visited_at", "请填写走访时间")
    if visited_at > now + dt.timedelta(minutes=10):
        raise field_error("visited_at", "走访时间不能晚于现在")
    if visited_at < now - dt.timedelta(days=30):
        raise field_error("visited_at", "只能补录30天以内的走访")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 600:
        raise field_error("minutes", "走访时长须在1到600分钟之间")
    done = clean_text(done, "done", "做了什么", max_length=500, required=True)
    needs = clean_text(needs, "needs", "需求", max_length=300)
    problem = clean_text(problem, "problem", "发现的问题", max_length=2000)
    if problem_to not in ("case", "order"):
        raise field_error("problem_to", "请选择转为事件还是服务订单")
    if duty is None:
        duty = plan.duties.filter(kind=DutyKind.VISIT).order_by("due_on").first()
    elif duty.plan_id != plan.pk:
        raise field_error("duty", "该事项不属于这个帮扶计划")
    cleaned = clean_photos(photos)
    # The system logs (the demo's history) in the name of the plan's first carer.
    carer = as_user(by) or next(c.user for c in plan.carers.select_related("user"))
    local_day = visited_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    on_time = duty is None or local_day <= duty.due_on
    visit = Visit.objects.create(
        plan=plan,
        duty=duty,
        carer=carer,
        visited_at=visited_at,
        minutes=minutes,
        done=done,
        health=_condition(health, "health", "身体"),
        mood=_condition(mood, "mood", "情绪"),
        home_safety=_condition(home_safety, "home_safety", "居家安全"),
        needs=needs,
        on_time=on_time,
    )
    for index, photo in enumerate(cleaned, start=1):
        row = VisitPhoto(visit=visit, content_type=photo.content_type)
        row.file.save(f"visit-{visit.pk}-{index}.{photo.extension}", ContentFile(photo.content), save=False)
        row.save()
    if duty is not None:
        Duty.objects.filter(pk=duty.pk).update(
            due_on=next_due(duty.frequency, max(local_day, duty.due_on) if on_time else local_day),
            escalation=0,
            done_count=F("done_count") + 1,
            on_time_count=F("on_time_count") + (1 if on_time else 0),
        )
    if problem:
        if problem_to == "case":
            visit.case = _file_case(by, plan, problem)
        else:
            from gridgov.services import services as order_services
            from gridgov.services.models import OrderChannel, ServiceItem

            if not isinstance(order_item, ServiceItem):
                raise field_error("order_item", "请选择要下单的服务项目")
            start = now + dt.timedelta(hours=1)
            visit.order = order_services.order_place(
                by=SYSTEM,
                resident=plan.resident,
                item=order_item,
                window_start=start,
                window_end=start + dt.timedelta(days=1),
                note=problem[:500],
                channel=OrderChannel.CARE,
            )
        visit.save(update_fields=["case", "order"])
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=visit,
        place_path=plan.place_path,
        target_label=f"走访：{plan.resident.name}",
        changes={"minutes": [None, minutes]},
    )
    return visit


@dataclass
class DutySweepResult:
    to_grid: int = 0
    to_community: int = 0


def duty_sweep(*, today: dt.date | None = None, limit: int = 5000) -> DutySweepResult:
    """A duty past its date goes to the grid worker; a week later still undone, to the community."""
    today = today or clock.today()
    result = DutySweepResult()
    pks = list(
        Duty.objects.filter(due_on__lt=today, escalation__lt=2, plan__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in pks:
        with transaction.atomic():
            duty = (
                Duty.objects.select_for_update()
                .select_related("plan__resident", "plan__place")
                .filter(pk=pk)
                .first()
            )
            if duty is None or duty.due_on >= today:
                continue
            plan = duty.plan
            body = f"{plan.resident.name}：{duty}（应于{duty.due_on:%m-%d}完成）"
            if duty.escalation == 0:
                Duty.objects.filter(pk=pk).update(escalation=1, missed_count=F("missed_count") + 1)
                grid = holders(caps.CARE_PATROL, plan.place, nearest=True, kinds=[PlaceKind.GRID])
                tell(
                    [*grid, *(c.user for c in plan.carers.select_related("user"))],
                    title="结对帮扶事项逾期未完成",
                    body=body,
                    link=f"/care/plans/{plan.pk}/",
                    kind="care.overdue",
                )
                result.to_grid += 1
            elif duty.due_on < today - dt.timedelta(days=7):
                Duty.objects.filter(pk=pk).update(escalation=2)
                community = holders(caps.CARE_MANAGE, plan.place, nearest=True, kinds=[PlaceKind.COMMUNITY])
                tell(
                    community,
                    title="结对帮扶事项逾期一周，请社区督促",
                    body=body,
                    link=f"/care/plans/{plan.pk}/",
                    kind="care.overdue",
                )
                result.to_community += 1
    return result


def _grid_of(place: Place) -> Place:
    from gridgov.places.models import Place as PlaceModel

    grid = (
        PlaceModel.objects.filter(path__in=place.ancestor_paths(), kind=PlaceKind.GRID)
        .order_by("-depth")
        .first()
    )
    if grid is None:
        raise field_error("household", "该户不在任何网格内")
    return grid


@transaction.atomic
def patrol_record(
    *,
    by: Actor,
    household: Household,
    result: str,
    note: str = "",
    visited_at: dt.datetime | None = None,
    problem: str = "",
    tag_updates: dict[Resident, list[Any]] | None = None,
    moved_out: list[Any] | None = None,
) -> PatrolVisit:
    """网格巡查走访: a grid worker at a household's door records 在家/不在家/拒访, may update the
    registry on the spot (tags, a member who moved out) through people.services, and may raise a case."""
    from gridgov.people import services as people_services

    require_actor(by)
    if not has_capability_at(by, caps.CARE_PATROL, household.place.path):
        raise NotFound()
    worker = as_user(by)
    if worker is None:
        raise Forbidden("入户走访须由具体的网格员登记")
    if result not in PatrolResult.values:
        raise field_error("result", "请选择走访结果：在家、不在家或拒访")
    note = clean_text(note, "note", "情况记录", max_length=500)
    problem = clean_text(problem, "problem", "发现的问题", max_length=2000)
    now = clock.now()
    visited_at = visited_at or now
    if visited_at > now + dt.timedelta(minutes=10):
        raise field_error("visited_at", "走访时间不能晚于现在")
    changes: list[str] = []
    for resident, tags in (tag_updates or {}).items():
        people_services.resident_set_tags(by=by, resident=resident, tags=tags)
        changes.append(f"{resident.name}标签：{'、'.join(t.name for t in tags) or '无'}")
    for membership in moved_out or []:
        people_services.resident_move_out(by=by, membership=membership, reason="入户走访核实已搬离")
        changes.append(f"{membership.resident.name}已搬离")
    visit = PatrolVisit.objects.create(
        household=household,
        worker=worker,
        grid=_grid_of(household.place),
        place_path=household.place.path,
        visited_at=visited_at,
        result=result,
        note=note,
        registry_changes="；".join(changes)[:300],
    )
    if problem:
        from gridgov.cases import services as case_services
        from gridgov.cases.models import Channel

        case = case_services.case_submit(by=by, text=problem, channel=Channel.PATROL, place=household.place)
        visit.cases.add(case)
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=visit,
        place_path=household.place.path,
        target_label=f"入户走访：{household}",
        changes={"result": [None, result]},
    )
    return visit


__all__ = ["Frequency", "duty_sweep", "patrol_record", "plan_create", "plan_end", "visit_log"]
