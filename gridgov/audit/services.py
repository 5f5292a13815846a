from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from gridgov.accounts.scope import actor_label, as_user
from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.core.inserts import insert_new
from gridgov.core.masking import mask_value

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor

SENSITIVE_FIELDS = frozenset({"id_number", "phone"})


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    return value


def audit_diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, sensitive: Iterable[str] = SENSITIVE_FIELDS
) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that changed, sensitive values masked."""
    sensitive = set(sensitive)
    changes: dict[str, list[Any]] = {}
    for field in sorted(set(before) | set(after)):
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if old == new:
            continue
        if field in sensitive:
            old, new = mask_value(old or ""), mask_value(new or "")
        changes[field] = [old, new]
    return changes


def audit_record(**fields: Any) -> AuditEntry:
    """Write one audit row now, in the caller's transaction; takes the keywords of `audit_entry`
    (actor, action, target or target_type/target_id/target_label, place_path, changes, purpose, ip)."""
    # Every write of every app makes one: the INSERT is built once per process (core.inserts).
    return insert_new(audit_entry(**fields))


__all__ = ["AuditAction", "audit_diff", "audit_record"]


# --- bulk imports: unsaved rows, inserted in batches by the importer ---------------------


def audit_entry(
    *,
    actor: Actor,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_label: str = "",
    place_path: str = "",
    changes: Mapping[str, Any] | None = None,
    purpose: str = "",
    ip: str | None = None,
) -> AuditEntry:
    """An unsaved audit row naming who acted (a user, the anonymous public or scope.SYSTEM, never
    None); `audit_record` saves one at once, and writers that insert thousands
    at once (gridgov.transfer) batch them inside the transaction of the registry writes."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        target_label = target_label or str(target)
    return AuditEntry(
        actor=as_user(actor),
        actor_label=actor_label(actor)[:80],
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=target_label[:200],
        place_path=place_path,
        changes=dict(changes or {}),
        purpose=purpose[:200],
        ip=ip,
    )
