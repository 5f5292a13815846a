"""Every write to mediation records: one transaction each, checked by `policy`, audited."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, has_capability_at, holders, is_unrestricted, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.core import clock
from gridgov.core.errors import Forbidden, field_error
from gridgov.core.text import checked_text as _text
from gridgov.mediation import policy
from gridgov.mediation.models import (
    AGREEMENT_OUTCOMES,
    Agreement,
    Arrival,
    Assignment,
    Dispute,
    DisputeType,
    Exclusion,
    FollowUp,
    Mediator,
    MediatorKind,
    Outcome,
    Party,
    PartyKind,
    Referral,
    Session,
    Side,
    Status,
)

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.places.models import Place




def _audit(by: Actor, action: str, dispute: Dispute, changes: dict[str, list[Any]]) -> None:
    audit_record(
        actor=by,
        action=action,
        target=dispute,
        target_label=f"调解案件：{dispute.title}",
        place_path=dispute.place.path,
        changes=changes,
    )


def _lock(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update().select_related("place").get(pk=dispute.pk)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _community_of(place: Place) -> Place:
    from gridgov.places.models import PlaceKind

    node: Place | None = place
    while node is not None and node.kind != PlaceKind.COMMUNITY:
        node = node.parent
    return node or place


def mediator_create(
    *,
    by: Actor,
    place: Place,
    name: str,
    kind: str,
    specialities: Iterable[str] = (),
    serves: Iterable[Place] = (),
    available: bool = True,
    user: Any = None,
) -> Mediator:
    """Add a mediator to the pool at `place` (mediation.handle there)."""
    require_actor(by)
    if not (is_unrestricted(by) or has_capability_at(by, caps.MEDIATION_HANDLE, place.path)):
        raise Forbidden("您无权在此地点管理调解专家库")
    name = _text(name, "name", "姓名", max_length=50)
    if kind not in MediatorKind.values:
        raise field_error("kind", "调解员类别无效")
    chosen = sorted(set(specialities))
    if any(item not in DisputeType.values for item in chosen):
        raise field_error("specialities", "擅长类型无效")
    with transaction.atomic():
        mediator = Mediator.objects.create(
            place=place, name=name, kind=kind, specialities=chosen, available=available, user=user
        )
        mediator.serves.set(list(serves) or [place])
        audit_record(
            actor=by,
            action=AuditAction.CREATE,
            target=mediator,
            target_label=f"调解员：{name}",
            place_path=place.path,
            changes={"kind": ["", mediator.get_kind_display()]},
        )
    return mediator


def dispute_create(
    *,
    by: Actor,
    place: Place,
    title: str,
    dispute_type: str,
    summary: str = "",
    arrival: str = Arrival.DESK,
    arrival_ref: str = "",
    urgent: bool = False,
    parties: Iterable[dict[str, Any]] = (),
) -> Dispute:
    """Register a dispute (mediation.handle at `place`). `parties` are dicts with side, name and
    optionally kind/resident/household/organisation. Urgent ones notify the community at once."""
    require_actor(by)
    if not (is_unrestricted(by) or has_capability_at(by, caps.MEDIATION_HANDLE, place.path)):
        raise Forbidden("您无权在此地点受理调解案件")
    title = _text(title, "title", "案由", max_length=100)
    summary = _text(summary, "summary", "纠纷简况", max_length=3000, required=False, multiline=True)
    arrival_ref = _text(arrival_ref, "arrival_ref", "来源编号", max_length=60, required=False)
    if dispute_type not in DisputeType.values:
        raise field_error("dispute_type", "纠纷类型无效")
    if arrival not in Arrival.values:
        raise field_error("arrival", "来源无效")
    cleaned = []
    for item in parties:
        side = item.get("side", Side.APPLICANT)
        if side not in Side.values:
            raise field_error("parties", "当事人身份无效")
        resident, household, organisation = (
            item.get("resident"),
            item.get("household"),
            item.get("organisation"),
        )
        name = item.get("name") or str(resident or organisation or household or "")
        kind = (
            PartyKind.ORGANISATION
            if organisation
            else PartyKind.HOUSEHOLD
            if household and not resident
            else PartyKind.RESIDENT
        )
        cleaned.append(
            Party(
                side=side,
                kind=kind,
                resident=resident,
                household=household,
                organisation=organisation,
                name=_text(name, "parties", "当事人名称", max_length=100),
            )
        )
    if not any(p.side == Side.APPLICANT for p in cleaned):
        raise field_error("parties", "请至少登记一名申请人")
    with transaction.atomic():
        dispute = Dispute.objects.create(
            place=place,
            title=title,
            summary=summary,
            dispute_type=dispute_type,
            arrival=arrival,
            arrival_ref=arrival_ref,
            urgent=urgent,
            received_on=clock.today(),
            created_by=as_user(by),
        )
        for party in cleaned:
            party.dispute = dispute
        Party.objects.bulk_create(cleaned)
        _audit(
            by,
            AuditAction.CREATE,
            dispute,
            {"title": ["", title], "urgent": ["", "有激化风险" if urgent else "一般"]},
        )
        if urgent:
            _alarm(dispute)
    return dispute


def _alarm(dispute: Dispute) -> None:
    from gridgov.notifications.services import notify

    community = _community_of(dispute.place)
    notify(
        recipients=list(holders(caps.MEDIATION_HANDLE, community)),
        title=f"【紧急】矛盾纠纷有激化风险：{dispute.place.name}",
        body=f"{dispute.get_dispute_type_display()}纠纷“{dispute.title}”有激化为暴力的风险，请立即安排调解并视情联系派出所。",
        link=f"/mediation/{dispute.pk}/",
        kind="mediation_urgent",
        channels=("inapp", "sms"),
    )


def mediator_assign(*, by: Actor, dispute: Dispute, mediator: Mediator) -> Assignment:
    """Assign a pool mediator; one with a declared conflict or a party's objection is refused."""
    with transaction.atomic():
        dispute = _lock(dispute)
        policy.check("assign", by, dispute)
        exclusion = Exclusion.objects.filter(dispute=dispute, mediator=mediator).first()
        if exclusion is not None:
            if exclusion.reason == Exclusion.Reason.CONFLICT:
                raise field_error("mediator", f"{mediator.name}已申报与本案存在利益冲突，不能指派")
            raise field_error("mediator", f"当事人已申请{mediator.name}回避，不能指派")
        if not mediator.available:
            raise field_error("mediator", f"{mediator.name}暂不接案")
        if dispute.assignments.filter(active=True, mediator=mediator).exists():
            raise field_error("mediator", f"{mediator.name}已在本案中")
        assignment = Assignment.objects.create(dispute=dispute, mediator=mediator, assigned_at=clock.now())
        if dispute.status == Status.OPEN:
            dispute.status = Status.MEDIATING
            dispute.save(update_fields=["status"])
        _audit(by, AuditAction.UPDATE, dispute, {"mediator": ["", str(mediator)]})
        if mediator.user is not None:
            from gridgov.notifications.services import notify

            notify(
                recipients=[mediator.user],
                title="您被指派调解一起纠纷",
                body=dispute.title,
                link=f"/mediation/{dispute.pk}/",
                kind="mediation_assigned",
            )
    return assignment


def mediator_exclude(
    *,
    by: Actor,
    dispute: Dispute,
    mediator: Mediator,
    reason: str,
    party: Party | None = None,
    note: str = "",
) -> Exclusion:
    """Record a conflict of interest (declared) or a party's objection; it ends any assignment."""
    note = _text(note, "note", "说明", max_length=200, required=False)
    if reason not in Exclusion.Reason.values:
        raise field_error("reason", "回避原因无效")
    if reason == Exclusion.Reason.OBJECTION and (party is None or party.dispute_id != dispute.pk):
        raise field_error("party", "请选择提出回避申请的当事人")
    with transaction.atomic():
        dispute = _lock(dispute)
        policy.check("exclude", by, dispute)
        exclusion = Exclusion.objects.create(
            dispute=dispute, mediator=mediator, reason=reason, party=party, note=note
        )
        dispute.assignments.filter(mediator=mediator, active=True).update(active=False)
        _audit(
            by,
            AuditAction.UPDATE,
            dispute,
            {"exclusion": ["", f"{exclusion.get_reason_display()}：{mediator.name}"]},
        )
    return exclusion


def session_record(
    *, by: Actor, dispute: Dispute, held_at: dt.datetime, location: str, attendance: str, record: str
) -> Session:
    """A mediation session: when, where, who came, what was said."""
    location = _text(location, "location", "调解地点", max_length=100)
    attendance = _text(attendance, "attendance", "到场人员", max_length=300)
    record = _text(record, "record", "调解记录", max_length=5000, multiline=True)
    with transaction.atomic():
        dispute = _lock(dispute)
        policy.check("session", by, dispute)
        if not dispute.assignments.filter(active=True).exists():
            raise field_error("mediator", "请先指派调解员")
        session = Session.objects.create(
            dispute=dispute,
            held_at=held_at,
            location=location,
            attendance=attendance,
            record=record,
            recorded_by=as_user(by),
        )
        _audit(by, AuditAction.CREATE, dispute, {"session": ["", f"{location} {held_at:%Y-%m-%d}"]})
    return session


def dispute_close(*, by: Actor, dispute: Dispute, outcome: str) -> Dispute:
    """Record the outcome and close; successes get follow-up visits at 1 and 3 months."""
    if outcome not in Outcome.values:
        raise field_error("outcome", "请选择调解结果")
    with transaction.atomic():
        dispute = _lock(dispute)
        policy.check("close", by, dispute)
        if not dispute.sessions.exists() and outcome in AGREEMENT_OUTCOMES:
            raise field_error("outcome", "尚无调解记录，不能记为调解成功")
        today = clock.today()
        dispute.outcome, dispute.status, dispute.closed_on = outcome, Status.CLOSED, today
        dispute.save(update_fields=["outcome", "status", "closed_on"])
        if outcome in AGREEMENT_OUTCOMES:
            FollowUp.objects.bulk_create(
                [FollowUp(dispute=dispute, months=m, due_on=add_months(today, m)) for m in (1, 3)]
            )
        _audit(by, AuditAction.UPDATE, dispute, {"outcome": ["", dispute.get_outcome_display()]})
    return dispute


def agreement_save(*, by: Actor, dispute: Dispute, terms: str, signed: Iterable[Party] = ()) -> Agreement:
    """The 人民调解协议书; only once the outcome is 调解成功 or 部分成功."""
    terms = _text(terms, "terms", "协议内容", max_length=5000, multiline=True)
    with transaction.atomic():
        dispute = _lock(dispute)
        policy.check("agreement", by, dispute)
        if dispute.outcome not in AGREEMENT_OUTCOMES:
            raise field_error("outcome", "请先记录调解结果（调解成功或部分成功），再制作调解协议书")
        signed = list(signed)
        if any(party.dispute_id != dispute.pk for party in signed):
            raise field_error("signed", "签字人不是本案当事人")
        agreement, _ = Agreement.objects.update_or_create(
            dispute=dispute, defaults={"terms": terms, "made_on": dispute.closed_on or clock.today()}
        )
        agreement.signed_parties.set(signed)
        _audit(by, AuditAction.UPDATE, dispute, {"agreement": ["", f"协议书（{len(signed)}方已签字）"]})
    return agreement


def followup_record(*, by: Actor, followup: FollowUp, kept: bool, note: str = "") -> FollowUp:
    note = _text(note, "note", "回访情况", max_length=300, required=False)
    with transaction.atomic():
        dispute = _lock(followup.dispute)
        policy.check("followup", by, dispute)
        followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if followup.done_on:
            raise field_error("followup", "该回访已记录")
        followup.done_on, followup.kept, followup.note = clock.today(), kept, note
        followup.save(update_fields=["done_on", "kept", "note"])
        _audit(
            by,
            AuditAction.UPDATE,
            dispute,
            {"followup": ["", f"{followup.months}个月回访：{'履行' if kept else '未履行'}"]},
        )
    return followup


def referral_create(*, by: Actor, dispute: Dispute, to_body: str, letter: str) -> Referral:
    """Refer the dispute to another body (court, arbitration, 信访) with a letter."""
    to_body = _text(to_body, "to_body", "移交单位", max_length=100)
    letter = _text(letter, "letter", "移交函", max_length=3000, multiline=True)
    with transaction.atomic():
        dispute = _lock(dispute)
        policy.check("refer", by, dispute)
        referral = Referral.objects.create(
            dispute=dispute, to_body=to_body, letter=letter, created_on=clock.today()
        )
        _audit(by, AuditAction.UPDATE, dispute, {"referral": ["", to_body]})
    return referral
