"""Shared by every case service: locking, the timeline and audit rows, attachments, and who must be told."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, duty_holders, has_capability, holders
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_entry
from gridgov.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    EventKind,
)
from gridgov.cases.photos import CleanPhoto
from gridgov.cases.policy import CaseConflict  # noqa: F401  (re-exported: services.CaseConflict)
from gridgov.cases.routing import KIND_LEVEL
from gridgov.core import clock, crypto
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.core.inserts import insert_new, insert_only
from gridgov.orgs.models import OrgKind
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor


logger = logging.getLogger(__name__)

TEXT_MAX = 2000
NOTE_MAX = 2000
REASON_MAX = 500
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10
CLIENT_KEY_RE = re.compile(r"^[\w.:\-]{1,64}$")
# Organisations that can be called in (吹哨) or be routed cases.
HANDLING_ORG_KINDS = (OrgKind.DEPARTMENT, OrgKind.PROPERTY, OrgKind.UNIT, OrgKind.SOCIAL)


class ApiKeyInvalid(Forbidden):
    def __init__(self) -> None:
        super().__init__("接入密钥无效或已吊销")


class RateLimited(Exception):
    def __init__(self, limit: int, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(f"请求过于频繁：每分钟最多{limit}次，请{retry_after}秒后再试")


# ---------------------------------------------------------------------------------------------
# helpers


def phone_hash(phone: str) -> str:
    return crypto.blind_index(phone, kind="case-phone")


def case_link(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return f"/cases/{case.pk}/"


def _text(value: Any, field: str, label: str, *, required: bool = True, max_length: int = NOTE_MAX) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise field_error(field, f"请填写{label}")
    if len(text) > max_length:
        raise field_error(field, f"{label}不能超过{max_length}个字，当前{len(text)}个字")
    return text


def _random_tracking_code() -> str:
    """A code the unique index may still refuse (the caller draws again then)."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def _new_tracking_code() -> str:
    while True:
        code = _random_tracking_code()
        if not Case.objects.filter(tracking_code=code).exists():
            return code


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "subcategory", "place", "level_place", "handler_org")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _event(case: Case, **fields: Any) -> CaseEvent:
    """Append one timeline row (the keywords of `_event_row`) in the caller's transaction."""
    # Every transition writes one: the INSERT is built once per process (see core.inserts).
    return insert_new(_event_row(case, **fields))


def _event_row(
    case: Case,
    *,
    by: Actor,
    kind: str,
    at: dt.datetime | None = None,
    from_state: str | None = None,
    from_level: str | None = None,
    note: str = "",
    public: bool = False,
    public_note: str = "",
) -> CaseEvent:
    """One timeline row, unsaved; `from_*` given means the state/level changed to the case's now.

    `note` is for staff; `public_note` is what the reporter's timeline (and the track API)
    shows for a public event, given explicitly so no staff words leak by accident."""
    return CaseEvent(
        case=case,
        at=at or clock.now(),
        actor=as_user(by),
        kind=kind,
        from_state=from_state or "",
        to_state=case.state if from_state is not None else "",
        from_level=from_level or "",
        to_level=case.level if from_level is not None else "",
        handler_user_id=case.handler_user_id,
        handler_org_id=case.handler_org_id,
        note=note,
        public=public,
        public_note=public_note if public else "",
    )


def _audit(case: Case, *, by: Actor, event: str, changes: dict[str, Any] | None = None) -> None:
    # Nothing reads the audit row's key back: its INSERT waits for no answer in a pipeline.
    insert_only(
        [
            audit_entry(
                actor=by,
                action=AuditAction.CREATE if event == EventKind.SUBMITTED else AuditAction.UPDATE,
                target=case,
                target_label=f"事件{case.tracking_code}",
                place_path=case.place_path,
                changes={"event": [None, event], **(changes or {})},
            )
        ]
    )


def _attach(
    case: Case,
    photos: Sequence[CleanPhoto],
    *,
    by: Actor,
    kind: str,
    event: CaseEvent | None,
    public: bool = True,
) -> list[CaseAttachment]:
    stored = []
    existing = CaseAttachment.objects.filter(case=case).count()
    for index, photo in enumerate(photos, start=existing + 1):
        attachment = CaseAttachment(
            case=case,
            event=event,
            kind=kind,
            content_type=photo.content_type,
            size=len(photo.content),
            original_name=photo.original_name,
            uploaded_by=as_user(by),
            public=public,
        )
        attachment.file.save(
            f"{case.tracking_code}-{index}.{photo.extension}", ContentFile(photo.content), save=False
        )
        attachment.save()
        stored.append(attachment)
    return stored


# --- who to tell ------------------------------------------------------------------------------


def level_handlers(case: Case) -> list[User]:
    """The people responsible for a case nobody holds yet, at its current level."""
    if case.handler_user is not None:
        return [case.handler_user]
    if case.handler_org_id:
        return org_staff(case.handler_org_id)
    if not case.level_place_id:
        return []
    at_level = [kind for kind, level in KIND_LEVEL.items() if level == case.level]
    # Those at this rung; no one at exactly this rung (a community without grid staff): the
    # nearest above.
    return duty_holders(caps.CASES_HANDLE, case.level_place, kinds=at_level)


def supervisors_above(place: Place | None) -> list[User]:
    """The nearest superiors of whoever works at `place`: supervisors strictly above it."""
    if place is None:
        return []
    parent_path = place.path.rpartition(".")[0]
    found = list(holders(caps.CASES_SUPERVISE, parent_path, nearest=True)) if parent_path else []
    return found or list(holders(caps.CASES_SUPERVISE, place, at_or_above=False))


def dispatchers_for(case: Case) -> list[User]:
    """Who hands the case on again: its last dispatcher, else the nearest dispatchers above it."""
    if case.dispatcher is not None:
        return [case.dispatcher]
    return list(holders(caps.CASES_DISPATCH, case.level_place, nearest=True))


def org_staff(organisation_id: int) -> list[User]:
    from gridgov.accounts.models import User

    staff = list(User.objects.filter(organisation_id=organisation_id, is_active=True))
    return [user for user in staff if has_capability(user, caps.CASES_ORG_HANDLE)]


def reporters_of(case: Case) -> list[User]:
    users: list[User] = []
    if case.reporter_user is not None:
        users.append(case.reporter_user)
    if case.reporter_resident_id:
        from gridgov.accounts.models import User

        users.extend(User.objects.filter(resident_id=case.reporter_resident_id, is_active=True))
    return users


def _notify(
    recipients: Iterable[User | None], *, by: Actor, case: Case, title: str, body: str, kind: str
) -> None:
    # Nobody is told what they did themselves (the system and the public are nobody's inbox).
    unique = {u.pk: u for u in recipients if u is not None and u.pk and u.pk != by.pk}
    if not unique:
        return
    from gridgov.notifications.services import notify

    notify(
        recipients=list(unique.values()),
        title=title,
        body=body,
        link=case_link(case),
        kind=kind,
        read_back=False,
    )


def _snippet(case: Case, length: int = 40) -> str:
    text = case.text.replace("\n", " ")
    return text if len(text) <= length else text[:length] + "…"


def enqueue_after_commit(task, *args: Any, **kwargs: Any) -> None:
    """Enqueue a django_tasks task once the surrounding transaction has committed."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
