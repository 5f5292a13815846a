"""Volunteers: registration, the community's approval, and the append-only hours ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, has_capability_at, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.services.models import HoursEntry, HoursKind, Order, Volunteer, VolunteerStatus
from gridgov.services.services._common import clean_text, tell

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.people.models import Resident

SKILL_MAX = 20
SKILLS_MAX = 12
POINTS_PER_HOUR = 10


def clean_skills(skills: Any) -> list[str]:
    if skills is None:
        return []
    if isinstance(skills, str):
        skills = [part for part in skills.replace("，", ",").replace("、", ",").split(",")]
    cleaned: list[str] = []
    for raw in skills:
        skill = clean_text(raw, "skills", "技能", max_length=SKILL_MAX)
        if skill and skill not in cleaned:
            cleaned.append(skill)
    if len(cleaned) > SKILLS_MAX:
        raise field_error("skills", f"技能最多填写{SKILLS_MAX}项")
    return cleaned


def clean_availability(value: Any) -> dict[str, list[list[int]]]:
    """{weekday "0"–"6": [[start hour, end hour], …]}, hours 0–24, start < end."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise field_error("availability", "每周可服务时间格式无效")
    cleaned: dict[str, list[list[int]]] = {}
    for day, spans in value.items():
        if str(day) not in {str(d) for d in range(7)} or not isinstance(spans, list) or len(spans) > 4:
            raise field_error("availability", "每周可服务时间须按周一到周日填写，每天最多4段")
        day_spans = []
        for span in spans:
            if (
                not isinstance(span, list | tuple)
                or len(span) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in span)
                or not 0 <= span[0] < span[1] <= 24
            ):
                raise field_error("availability", "每段可服务时间须为0到24点之间的开始和结束整点")
            day_spans.append([span[0], span[1]])
        if day_spans:
            cleaned[str(day)] = day_spans
    return cleaned


@transaction.atomic
def volunteer_register(
    *, by: Actor, resident: Resident, skills: Any = (), availability: Any = None
) -> Volunteer:
    """Register `resident` as a volunteer (themselves, or staff with services.manage over their home);
    it waits for the community's approval."""
    require_actor(by)
    home = resident.place
    if home is None:
        raise field_error("resident", "该居民没有登记住址，不能注册志愿者")
    self_service = getattr(by, "resident_id", None) == resident.pk
    if not self_service and not has_capability_at(by, caps.SERVICES_MANAGE, home.path):
        raise NotFound()
    if Volunteer.objects.filter(resident=resident).exists():
        raise field_error("resident", f"{resident.name}已注册为志愿者")
    volunteer = Volunteer.objects.create(
        resident=resident,
        place=home,
        skills=clean_skills(skills),
        availability=clean_availability(availability),
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=volunteer,
        target_label=f"志愿者注册：{resident.name}",
        place_path=home.path,
        changes={"status": [None, VolunteerStatus.PENDING]},
    )
    from gridgov.accounts.scope import holders

    tell(
        holders(caps.SERVICES_MANAGE, home, nearest=True),
        title="新的志愿者注册待审核",
        body=f"{resident.name}：{'、'.join(volunteer.skills) or '未填技能'}",
        link="/services/volunteers/",
    )
    return volunteer


@transaction.atomic
def volunteer_update(
    *, by: Actor, volunteer: Volunteer, skills: Any = None, availability: Any = None
) -> Volunteer:
    """The volunteer (or staff managing them) updates skills and weekly availability."""
    volunteer = Volunteer.objects.select_for_update().select_related("place", "resident").get(pk=volunteer.pk)
    self_service = getattr(by, "resident_id", None) == volunteer.resident_id
    if not self_service and not has_capability_at(by, caps.SERVICES_MANAGE, volunteer.place.path):
        raise NotFound()
    before = {"skills": volunteer.skills, "availability": volunteer.availability}
    if skills is not None:
        volunteer.skills = clean_skills(skills)
    if availability is not None:
        volunteer.availability = clean_availability(availability)
    volunteer.save(update_fields=["skills", "availability"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=volunteer,
        place_path=volunteer.place.path,
        changes={key: [before[key], getattr(volunteer, key)] for key in before},
    )
    return volunteer


@transaction.atomic
def volunteer_decide(*, by: Actor, volunteer: Volunteer, approve: bool, note: str = "") -> Volunteer:
    """The community approves (or turns down) a pending registration."""
    volunteer = Volunteer.objects.select_for_update().select_related("place", "resident").get(pk=volunteer.pk)
    if not has_capability_at(by, caps.SERVICES_MANAGE, volunteer.place.path):
        if has_capability_at(by, caps.SERVICES_VIEW, volunteer.place.path):
            raise Forbidden("您无权审核志愿者")
        raise NotFound()
    note = clean_text(note, "note", "审核意见", max_length=200, required=not approve)
    if volunteer.status != VolunteerStatus.PENDING:
        raise field_error("status", f"该志愿者{volunteer.get_status_display()}，无需再审核")
    volunteer.status = VolunteerStatus.APPROVED if approve else VolunteerStatus.REJECTED
    volunteer.decided_by = as_user(by)
    volunteer.decided_at = clock.now()
    volunteer.decision_note = note
    volunteer.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=volunteer,
        place_path=volunteer.place.path,
        changes={"status": [VolunteerStatus.PENDING, volunteer.status]},
    )
    from gridgov.accounts.models import User

    tell(
        User.objects.filter(resident_id=volunteer.resident_id),
        title=f"志愿者注册{volunteer.get_status_display()}",
        body=note,
        link="/services/my/",
    )
    return volunteer


def _overlaps(volunteer: Volunteer, start: dt.datetime, end: dt.datetime) -> HoursEntry | None:
    return (
        HoursEntry.objects.filter(volunteer=volunteer, started_at__lt=end, ended_at__gt=start)
        .exclude(kind=HoursKind.CORRECTION)
        .order_by("started_at")
        .first()
    )


def _append(
    volunteer: Volunteer,
    *,
    by: Actor,
    kind: str,
    hours: Decimal,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    order: Order | None = None,
    corrects: HoursEntry | None = None,
    reason: str = "",
) -> HoursEntry:
    points = int(hours * POINTS_PER_HOUR)
    entry = HoursEntry(
        volunteer=volunteer,
        kind=kind,
        order=order,
        corrects=corrects,
        started_at=start,
        ended_at=end,
        hours=hours,
        points=points,
        reason=reason,
        team_id=order.team_id if order is not None else (corrects.team_id if corrects is not None else None),
        place_path=order.place_path if order is not None else volunteer.place.path,
        created_by=as_user(by),
        created_at=clock.now(),
    )
    entry.save(force_insert=True)
    Volunteer.objects.filter(pk=volunteer.pk).update(
        hours_total=F("hours_total") + hours, points=F("points") + points
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=entry,
        target_label=f"服务时长：{volunteer}（{hours}小时）",
        place_path=volunteer.place.path,
        changes={"hours": [None, str(hours)], "reason": [None, reason]},
    )
    return entry


def credit_service_hours(*, by: Actor, order: Order, hours: Decimal) -> HoursEntry | None:
    """Credit a confirmed order's hours to its volunteer; an overlapping span is not counted twice."""
    assert order.provider is not None
    volunteer = Volunteer.objects.select_for_update().select_related("place").get(pk=order.provider.pk)
    end = order.done_at or clock.now()
    start = end - dt.timedelta(hours=float(hours))
    clash = _overlaps(volunteer, start, end)
    if clash is not None:
        from gridgov.services.services._common import event

        event(
            order,
            by=by,
            kind="hours",
            note=f"服务时段与{clash.started_at:%m-%d %H:%M}的记录重叠，时长未重复计入",
        )
        return None
    return _append(
        volunteer,
        by=by,
        kind=HoursKind.SERVICE,
        hours=hours,
        start=start,
        end=end,
        order=order,
        reason=f"{order.item.name}（订单{order.pk}）",
    )


def _manager(by: Actor, volunteer: Volunteer) -> None:
    if not has_capability_at(by, caps.SERVICES_MANAGE, volunteer.place.path):
        if has_capability_at(by, caps.SERVICES_VIEW, volunteer.place.path):
            raise Forbidden("您无权登记服务时长")
        raise NotFound()


@transaction.atomic
def hours_add(*, by: Actor, volunteer: Volunteer, started_at: Any, ended_at: Any, reason: str) -> HoursEntry:
    """补录: staff record hours served outside an order; refused when they overlap another entry."""
    volunteer = Volunteer.objects.select_for_update().select_related("place").get(pk=volunteer.pk)
    _manager(by, volunteer)
    if volunteer.status != VolunteerStatus.APPROVED:
        raise field_error("volunteer", "该志愿者尚未通过审核")
    if not isinstance(started_at, dt.datetime) or started_at.tzinfo is None:
        raise field_error("started_at", "请填写开始时间")
    if not isinstance(ended_at, dt.datetime) or ended_at.tzinfo is None:
        raise field_error("ended_at", "请填写结束时间")
    if ended_at <= started_at:
        raise field_error("ended_at", "结束时间须晚于开始时间")
    if ended_at > clock.now() + dt.timedelta(minutes=5):
        raise field_error("ended_at", "不能登记未来的服务时长")
    if ended_at - started_at > dt.timedelta(hours=12):
        raise field_error("ended_at", "一次服务时长不能超过12小时")
    reason = clean_text(reason, "reason", "服务内容", max_length=200, required=True)
    clash = _overlaps(volunteer, started_at, ended_at)
    if clash is not None:
        from django.utils import timezone

        raise field_error(
            "started_at",
            f"与已有记录重叠（{timezone.localtime(clash.started_at):%m-%d %H:%M}–"
            f"{timezone.localtime(clash.ended_at):%H:%M} {clash.reason}）",
        )
    hours = (Decimal((ended_at - started_at).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))
    return _append(
        volunteer, by=by, kind=HoursKind.MANUAL, hours=hours, start=started_at, end=ended_at, reason=reason
    )


@transaction.atomic
def hours_correct(*, by: Actor, entry: HoursEntry, hours: Any, reason: str) -> HoursEntry:
    """更正: a new row adding (or, negative, taking away) hours from an entry, with its reason."""
    volunteer = Volunteer.objects.select_for_update().select_related("place").get(pk=entry.volunteer_id)
    _manager(by, volunteer)
    if entry.kind == HoursKind.CORRECTION:
        raise field_error("entry", "请更正原始记录，而不是更正记录")
    try:
        delta = Decimal(str(hours)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise field_error("hours", "更正时长须为数字（小时，可为负数）") from None
    if delta == 0 or abs(delta) > 24:
        raise field_error("hours", "更正时长须在-24到24小时之间且不为0")
    corrected = entry.hours + sum((c.hours for c in entry.corrections.all()), Decimal(0))
    if corrected + delta < 0:
        raise field_error("hours", f"更正后时长不能为负数（当前{corrected}小时）")
    reason = clean_text(reason, "reason", "更正原因", max_length=200, required=True)
    return _append(volunteer, by=by, kind=HoursKind.CORRECTION, hours=delta, corrects=entry, reason=reason)
