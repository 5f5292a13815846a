"""Reads of the audit trail, scoped: a viewer sees the entries whose place lies inside the subtrees
where they hold AUDIT_VIEW. Entries tied to no place (logins, role edits) are for superusers only."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, is_unrestricted, scope_q
from gridgov.audit.models import AuditEntry

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def can_view_audit(user: User) -> bool:
    return has_capability(user, caps.AUDIT_VIEW)


def _start_of(day: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day if timezone.is_aware(day) else timezone.make_aware(day)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_entries_for(
    user: User,
    *,
    actor: User | int | str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    q: str | None = None,
) -> QuerySet[AuditEntry]:
    """Filtered entries, newest first.

    `actor` is a user, a user id, or text matched against the recorded actor name. A date for
    `until` includes that whole (local) day; a datetime is taken as is.
    """
    if is_unrestricted(user):
        qs = AuditEntry.objects.all()
    else:
        # scope_q matches no empty place_path, so entries without a place stay hidden here.
        qs = AuditEntry.objects.filter(scope_q(user, caps.AUDIT_VIEW, field="place_path"))
    if actor is not None and actor != "":
        if isinstance(actor, int) or hasattr(actor, "pk"):
            qs = qs.filter(actor_id=getattr(actor, "pk", actor))
        else:
            qs = qs.filter(actor_label__icontains=str(actor).strip())
    if action:
        qs = qs.filter(action=action)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id not in (None, ""):
        qs = qs.filter(target_id=str(target_id))
    if since is not None:
        qs = qs.filter(at__gte=_start_of(since))
    if until is not None:
        if isinstance(until, dt.datetime):
            qs = qs.filter(at__lte=_start_of(until))
        else:
            qs = qs.filter(at__lt=_start_of(until + dt.timedelta(days=1)))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(target_label__icontains=q) | Q(actor_label__icontains=q) | Q(purpose__icontains=q))
    return qs.order_by("-at", "-id")


def audit_target_types(user: User) -> list[str]:
    """The kinds of record present in the viewer's part of the trail, for a filter menu."""
    return sorted(set(audit_entries_for(user).order_by().values_list("target_type", flat=True).distinct()))
