"""Urgent cases (issue 8): the alarm sent the moment a case is or becomes urgent, and the duty
contacts (值班电话/值班人员) that hear it on top of the staff responsible for the case."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, has_capability
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases.emergency import URGENT_KIND
from gridgov.cases.models import Case, DutyContact
from gridgov.cases.services._common import _snippet, _text, case_link, level_handlers
from gridgov.cases.services.config import _require_configure
from gridgov.core import crypto
from gridgov.core.errors import field_error
from gridgov.core.masking import mask_phone
from gridgov.core.validation import normalize_phone
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor

DUTY_USERS_MAX = 20


def duty_contacts_above(place: Place) -> list[DutyContact]:
    """Active duty contacts at `place` or above it: every level that set one wants to hear."""
    return list(
        DutyContact.objects.filter(is_active=True, place__path__in=place.ancestor_paths())
        .select_related("place")
        .prefetch_related("users")
        .order_by("place__path")
    )


def _alarm_urgent(case: Case, *, by: Actor) -> None:
    """Tell at once, through every channel there is, who must act on an urgent case: the staff
    responsible at its level and the duty users above it (in-app, which sounds the workbench
    alarm, and SMS), the duty phones (SMS) and the group robots of its place and above. Called in
    the case's transaction (or, for a new report, by the `alarm_urgent` task after it commits);
    `notify` sends nothing before that transaction commits."""
    from gridgov.notifications.selectors import robot_names_for_place
    from gridgov.notifications.services import notify

    duties = duty_contacts_above(case.place)
    people: dict[int, User] = {user.pk: user for user in level_handlers(case) if user is not None}
    for duty in duties:
        for user in duty.users.all():
            people.setdefault(user.pk, user)
    # Whoever marked it urgent knows already; the duty phones and the groups still hear of it.
    if by.pk is not None:
        people.pop(by.pk, None)
    effective = case.subcategory or case.category
    notify(
        recipients=list(people.values()),
        title=f"紧急事件：{effective.name}",
        body=f"{case.place.name}：{_snippet(case, 60)}",
        link=case_link(case),
        kind=URGENT_KIND,
        channels=("inapp", "sms"),
        group_targets=robot_names_for_place(case.place),
        phones=[(duty.phone_enc, duty.phone_last4) for duty in duties if duty.phone_enc],
    )


def alarm_after_commit(case: Case, *, by: Actor) -> None:
    """The alarm for a case just reported urgent, by a task enqueued once the report commits:
    working out its recipients (duty contacts, staff, robots) and storing its messages is a dozen
    round trips that the report's own request need not wait for."""
    from gridgov.cases.services._common import enqueue_after_commit
    from gridgov.cases.tasks import alarm_urgent

    reporter = as_user(by)
    enqueue_after_commit(alarm_urgent, case.pk, reporter.pk if reporter is not None else None)


def _duty_state(duty: DutyContact) -> dict[str, Any]:
    return {
        "phone": mask_phone(duty.phone_last4),
        "users": sorted(str(user) for user in duty.users.all()),
        "note": duty.note,
        "is_active": duty.is_active,
    }


@transaction.atomic
def duty_set(
    *,
    by: Actor,
    place: Place,
    phone: str | None = None,
    users: Iterable[User] = (),
    note: str = "",
    is_active: bool = True,
) -> DutyContact:
    """Set a place's 值班电话/值班人员; `phone=None` (or "") keeps the stored number."""
    _require_configure(by, place)
    duty = DutyContact.objects.select_for_update().filter(place=place).first()
    phone = (phone or "").strip()
    number = ""
    if phone:
        try:
            number = normalize_phone(phone)
        except ValidationError as exc:
            raise field_error("phone", f"值班电话：{exc.messages[0]}") from None
        if not number.startswith("1"):
            raise field_error("phone", "值班电话须为手机号（用于接收紧急事件短信）")
    chosen = list({user.pk: user for user in users}.values())
    if len(chosen) > DUTY_USERS_MAX:
        raise field_error("users", f"值班人员最多{DUTY_USERS_MAX}人")
    for user in chosen:
        # A duty user is told of every urgent case below the place: they must be able to open it.
        if not user.is_active or not has_capability(user, caps.CASES_VIEW, place):
            raise field_error("users", f"{user}看不到{place.name}的全部事件，不能担任这里的值班人员")
    note = _text(note, "note", "说明", required=False, max_length=100)
    if not number and not (duty and duty.phone_enc) and not chosen:
        raise field_error("phone", "请填写值班电话或选择值班人员")
    before = _duty_state(duty) if duty is not None else {}
    if duty is None:
        duty = DutyContact(place=place)
    if number:
        duty.phone_enc, duty.phone_last4 = crypto.encrypt(number), number[-4:]
    duty.note, duty.is_active, duty.updated_by = note, is_active, as_user(by)
    duty.save()
    duty.users.set(chosen)
    after = _duty_state(duty)
    changes = {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
    audit_record(
        actor=by,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        target=duty,
        target_label=f"{place.name}值班联系",
        place_path=place.path,
        changes=changes,
    )
    return duty


@transaction.atomic
def duty_delete(*, by: Actor, duty: DutyContact) -> None:
    """Remove a place's duty contact: its urgent cases then reach the responsible staff only."""
    duty = DutyContact.objects.select_for_update().select_related("place").get(pk=duty.pk)
    _require_configure(by, duty.place)
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        target=duty,
        target_label=f"{duty.place.name}值班联系",
        place_path=duty.place.path,
        changes={key: [value, None] for key, value in _duty_state(duty).items()},
    )
    duty.delete()
