"""API keys for external systems, with a per-minute limit shared by every process."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import F, QuerySet

from gridgov.accounts.scope import as_user, is_unrestricted, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases.models import (
    ApiKey,
    ApiKeyMinute,
)
from gridgov.core import clock
from gridgov.core.compiled import CompiledQuery
from gridgov.core.errors import Forbidden, field_error
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor


from gridgov.cases.services._common import (
    ApiKeyInvalid,
    CaseConflict,
    RateLimited,
    _text,
)
from gridgov.cases.services.config import _require_configure

KEY_PREFIX = "ggk_"


def apikey_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def apikey_create(
    *, by: Actor, name: str, rate_per_minute: int = 60, place: Place | None = None
) -> tuple[ApiKey, str]:
    """A new key; the raw key is returned once and never stored."""
    require_actor(by)
    if place is None:
        if not is_unrestricted(by):
            raise field_error("place", "不限范围的接入密钥只能由系统管理员创建，请选择可上报范围")
    else:
        _require_configure(by, place)
    name = _text(name, "name", "密钥名称", max_length=60)
    if ApiKey.objects.filter(name=name).exists():
        raise field_error("name", f"名称“{name}”已存在")
    if not isinstance(rate_per_minute, int) or not 1 <= rate_per_minute <= 100000:
        raise field_error("rate_per_minute", "每分钟限额须为1到100000之间的整数")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        key_hash=apikey_hash(raw),
        prefix=raw[: len(KEY_PREFIX) + 6],
        rate_per_minute=rate_per_minute,
        place=place,
        created_by=as_user(by),
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=key,
        place_path=place.path if place else "",
        changes={"name": [None, name], "rate_per_minute": [None, rate_per_minute]},
    )
    return key, raw


@transaction.atomic
def apikey_revoke(*, by: Actor, key: ApiKey) -> ApiKey:
    require_actor(by)
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.place_id:
        _require_configure(by, key.place)
    elif not is_unrestricted(by):
        raise Forbidden("只有系统管理员可以吊销不限范围的接入密钥")
    if not key.is_active:
        raise CaseConflict(f"密钥“{key.name}”已吊销")
    key.is_active = False
    key.revoked_at = clock.now()
    key.save(update_fields=["is_active", "revoked_at"])
    audit_record(actor=by, action=AuditAction.UPDATE, target=key, changes={"is_active": [True, False]})
    return key


# The key's columns and its place's as `from_db` takes them; the place's boundary (a polygon no
# request through a key reads) is left deferred.
_KEY_COLUMNS = tuple(field.attname for field in ApiKey._meta.concrete_fields)
_KEY_PLACE_COLUMNS = tuple(field.attname for field in Place._meta.concrete_fields if field.name != "boundary")


def _key_lookup(key_hash: str) -> QuerySet[ApiKey, tuple[Any, ...]]:
    return (
        ApiKey.objects.filter(key_hash=key_hash, is_active=True)
        .order_by()
        .values_list(*_KEY_COLUMNS, *(f"place__{column}" for column in _KEY_PLACE_COLUMNS))
    )


# Every external request runs it: compiled once per connection. Not cached across requests: a
# revoked key must fail on its very next request in every process.
_KEY_LOOKUP = CompiledQuery(_key_lookup, kinds=(str,))


def apikey_authenticate(raw: str | None) -> ApiKey | None:
    """The active key `raw` names, its place attached; None otherwise."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    rows = _KEY_LOOKUP.rows(apikey_hash(raw))
    if not rows:
        return None
    split = len(_KEY_COLUMNS)
    key = ApiKey.from_db(DEFAULT_DB_ALIAS, _KEY_COLUMNS, rows[0][:split])
    key.place = (
        Place.from_db(DEFAULT_DB_ALIAS, _KEY_PLACE_COLUMNS, rows[0][split:])
        if key.place_id is not None
        else None
    )
    return key


# Each process claims a slice of a key's minute from the shared counter and spends it locally:
# one UPDATE per slice instead of one write transaction per request. The counter holds what
# was claimed, so all processes together still never exceed the limit; a process's unspent
# slice lapses with its minute, so together they may stop up to one slice each short of it.
LEASE_PARTS = 100
_leases: dict[tuple[str, dt.datetime], int] = {}
_leases_lock = threading.Lock()


def _lease_size(limit: int) -> int:
    return max(1, limit // LEASE_PARTS)


def _take(rows: QuerySet[ApiKeyMinute], limit: int, size: int) -> int:
    """A conditional UPDATE … SET count = count + n WHERE count <= limit - n (atomic in every
    process): a slice if that much is left, else one, else none."""
    for want in (size, 1) if size > 1 else (1,):
        if rows.filter(count__lte=limit - want).update(count=F("count") + want):
            return want
    return 0


def _claim(key: ApiKey, minute: dt.datetime, now: dt.datetime) -> int:
    """Take up to a slice of this minute from the shared counter; how many were taken (0: none left)."""
    limit = key.rate_per_minute
    size = _lease_size(limit)
    rows = ApiKeyMinute.objects.filter(api_key=key, minute=minute)
    taken = _take(rows, limit, size)
    if taken or limit < 1:
        return taken
    if rows.exists():
        # Full, or opened by another request since the UPDATE above found no row: ask again
        # (answering "full" here would refuse the first requests of every busy minute).
        return _take(rows, limit, size)
    try:
        with transaction.atomic():
            ApiKeyMinute.objects.create(api_key=key, minute=minute, count=size)
    except IntegrityError:  # another request opened the minute first
        return _take(rows, limit, size)
    # First request of this minute: a cheap moment to note the key is in use.
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return size


def apikey_hit(key: ApiKey, *, now: dt.datetime | None = None) -> bool:
    """Count one request against the key's per-minute limit; False when the limit is reached.

    The counter row is shared by every process (see LEASE_PARTS), so N workers together still
    allow at most `rate_per_minute`. A successful request writes nothing most of the time.
    """
    now = now or clock.now()
    minute = now.replace(second=0, microsecond=0)
    # The hash, not the id: a test's rolled-back key may hand its id to the next one.
    slot = (key.key_hash, minute)
    with _leases_lock:
        left = _leases.get(slot, 0)
        if left > 0:
            _leases[slot] = left - 1
            return True
    taken = _claim(key, minute, now)
    if not taken:
        return False
    with _leases_lock:
        for stale in [s for s in _leases if s[1] < minute]:
            del _leases[stale]
        _leases[slot] = _leases.get(slot, 0) + taken - 1
    return True


def apikey_use(raw: str | None, *, now: dt.datetime | None = None) -> ApiKey:
    """Authenticate and count one request; raises ApiKeyInvalid or RateLimited."""
    key = apikey_authenticate(raw)
    if key is None:
        raise ApiKeyInvalid()
    now = now or clock.now()
    if not apikey_hit(key, now=now):
        raise RateLimited(key.rate_per_minute, retry_after=60 - now.second)
    return key


def apikey_prune(*, now: dt.datetime | None = None, keep_minutes: int = 60) -> int:
    now = now or clock.now()
    deleted, _ = ApiKeyMinute.objects.filter(minute__lt=now - dt.timedelta(minutes=keep_minutes)).delete()
    return deleted
