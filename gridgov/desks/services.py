"""Every write to desks, rosters and the walk-in log; a walk-in becomes a case or a mediation
case through those apps' own services, and keeps the link."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, has_capability_at, is_unrestricted, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core import clock
from gridgov.core.errors import Forbidden, field_error
from gridgov.core.text import checked_text
from gridgov.desks.models import Desk, DeskKind, DutyChange, DutySlot, Handling, Topic, WalkIn

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.cases.models import Case
    from gridgov.places.models import Place

TYPE_FOR_TOPIC = {Topic.DISPUTE: "neighbour"}


def _text(value: str, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    # A desk's texts are notes taken while talking: line breaks are fine in all of them.
    return checked_text(value, field, label, max_length=max_length, required=required, multiline=True)


def _require(by: Actor, place: Place) -> None:
    require_actor(by)
    if not (is_unrestricted(by) or has_capability_at(by, caps.DESKS_MANAGE, place.path)):
        raise Forbidden("您无权管理此接待点")


def _audit(by: Actor, desk: Desk, label: str, changes: dict[str, list[Any]]) -> None:
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=desk,
        target_label=f"接待点：{desk.name}·{label}",
        place_path=desk.place.path,
        changes=changes,
    )


def desk_create(*, by: Actor, place: Place, kind: str, name: str, address: str = "", hours: str = "") -> Desk:
    """A desk at `place` (desks.manage there)."""
    _require(by, place)
    if kind not in DeskKind.values:
        raise field_error("kind", "接待点类型无效")
    with transaction.atomic():
        desk = Desk.objects.create(
            place=place,
            kind=kind,
            name=_text(name, "name", "名称", max_length=60),
            address=_text(address, "address", "位置", max_length=120, required=False),
            hours=_text(hours, "hours", "开放时间", max_length=100, required=False),
        )
        audit_record(
            actor=by,
            action=AuditAction.CREATE,
            target=desk,
            target_label=f"接待点：{desk.name}",
            place_path=place.path,
            changes={"name": ["", desk.name]},
        )
    return desk


def slot_add(
    *,
    by,
    desk: Desk,
    weekday: int,
    starts: dt.time,
    ends: dt.time,
    person: str,
    role_note: str = "",
    user=None,
) -> DutySlot:
    """A weekly duty turn."""
    _require(by, desk.place)
    if not 0 <= int(weekday) <= 6:
        raise field_error("weekday", "星期无效")
    if ends <= starts:
        raise field_error("ends", "结束时间应晚于开始时间")
    person = _text(person, "person", "值班人", max_length=50)
    with transaction.atomic():
        slot = DutySlot.objects.create(
            desk=desk,
            weekday=weekday,
            starts=starts,
            ends=ends,
            person=person,
            role_note=_text(role_note, "role_note", "身份", max_length=50, required=False),
            user=user,
        )
        _audit(by, desk, "值班表", {"slot": ["", str(slot)]})
    return slot


def duty_change(
    *, by: Actor, slot: DutySlot, on: dt.date, substitute: str = "", note: str = ""
) -> DutyChange:
    """A swap (substitute named) or an absence (none) for one date of a weekly turn."""
    _require(by, slot.desk.place)
    if on.weekday() != slot.weekday:
        raise field_error("on", f"该日期不是{slot.get_weekday_display()}")
    substitute = _text(substitute, "substitute", "替班人", max_length=50, required=False)
    with transaction.atomic():
        change, _ = DutyChange.objects.update_or_create(
            slot=slot,
            on=on,
            defaults={
                "substitute": substitute,
                "note": _text(note, "note", "说明", max_length=100, required=False),
            },
        )
        _audit(by, slot.desk, "调班", {"change": ["", f"{on} {substitute or '缺席'}"]})
    return change


def walkin_log(
    *,
    by,
    desk: Desk,
    visitor: str,
    topic: str,
    summary: str,
    handling: str = Handling.ON_SPOT,
    at: dt.datetime | None = None,
) -> WalkIn:
    """One visit, logged while talking."""
    _require(by, desk.place)
    if topic not in Topic.values:
        raise field_error("topic", "请选择来访事由")
    if handling not in Handling.values:
        raise field_error("handling", "办理方式无效")
    with transaction.atomic():
        walkin = WalkIn.objects.create(
            desk=desk,
            at=at or clock.now(),
            visitor=_text(visitor, "visitor", "来访人", max_length=50),
            topic=topic,
            summary=_text(summary, "summary", "来访内容", max_length=500),
            handling=handling,
            recorded_by=as_user(by),
        )
        _audit(by, desk, "来访", {"walkin": ["", f"{walkin.get_topic_display()}"]})
    return walkin


def _lock(walkin: WalkIn) -> WalkIn:
    return WalkIn.objects.select_for_update().select_related("desk__place").get(pk=walkin.pk)


def walkin_to_case(*, by: Actor, walkin: WalkIn) -> Case:
    """Turn the visit into a case (walk-in channel, staff intake), linked; once."""
    from gridgov.cases.models import Channel
    from gridgov.cases.services import case_submit

    with transaction.atomic():
        walkin = _lock(walkin)
        _require(by, walkin.desk.place)
        if walkin.case_id or walkin.dispute_id:
            raise field_error("walkin", "这条来访已转办，不能重复转办")
        case = case_submit(
            by=by,
            text=walkin.summary,
            channel=Channel.WALK_IN,
            place=walkin.desk.place,
            reporter_name=walkin.visitor,
            address_detail=walkin.desk.name,
        )
        walkin.case, walkin.handling = case, Handling.PASSED
        walkin.save(update_fields=["case", "handling"])
        _audit(by, walkin.desk, "转事件", {"case": ["", case.tracking_code]})
    return case


def walkin_to_dispute(
    *, by, walkin: WalkIn, dispute_type: str = "neighbour", respondent: str = "", urgent: bool = False
):
    """Turn the visit into a mediation case (arrival: desk), linked; once."""
    from gridgov.mediation.models import Arrival
    from gridgov.mediation.services import dispute_create

    with transaction.atomic():
        walkin = _lock(walkin)
        _require(by, walkin.desk.place)
        if walkin.case_id or walkin.dispute_id:
            raise field_error("walkin", "这条来访已转办，不能重复转办")
        parties = [{"side": "applicant", "name": walkin.visitor}]
        if respondent.strip():
            parties.append({"side": "respondent", "name": respondent.strip()[:100]})
        dispute = dispute_create(
            by=by,
            place=walkin.desk.place,
            title=walkin.summary[:100],
            summary=walkin.summary,
            dispute_type=dispute_type,
            arrival=Arrival.DESK,
            arrival_ref=f"{walkin.desk.name}#{walkin.pk}",
            urgent=urgent,
            parties=parties,
        )
        walkin.dispute, walkin.handling = dispute, Handling.PASSED
        walkin.save(update_fields=["dispute", "handling"])
        _audit(by, walkin.desk, "转调解", {"dispute": ["", dispute.pk]})
    return dispute
