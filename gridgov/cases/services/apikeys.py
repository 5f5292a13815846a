"""API keys for external systems, with a per-minute limit shared by every process."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F

from gridgov.accounts.scope import as_user, is_unrestricted, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases.models import (
    ApiKey,
    ApiKeyMinute,
)
from gridgov.core import clock
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


def apikey_authenticate(raw: str | None) -> ApiKey | None:
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    return ApiKey.objects.filter(key_hash=apikey_hash(raw), is_active=True).select_related("place").first()


def apikey_hit(key: ApiKey, *, now: dt.datetime | None = None) -> bool:
    """Count one request against the key's per-minute limit; False when the limit is reached.

    The counter row is shared by every process (a conditional UPDATE … SET count = count + 1
    WHERE count < limit), so N workers together still allow at most `rate_per_minute`.
    """
    now = now or clock.now()
    minute = now.replace(second=0, microsecond=0)
    limit = key.rate_per_minute
    with transaction.atomic():
        bumped = ApiKeyMinute.objects.filter(api_key=key, minute=minute, count__lt=limit).update(
            count=F("count") + 1
        )
        if bumped:
            return True
        if ApiKeyMinute.objects.filter(api_key=key, minute=minute).exists():
            return False
        try:
            with transaction.atomic():
                ApiKeyMinute.objects.create(api_key=key, minute=minute, count=1)
        except IntegrityError:
            return bool(
                ApiKeyMinute.objects.filter(api_key=key, minute=minute, count__lt=limit).update(
                    count=F("count") + 1
                )
            )
        # First request of this minute: a cheap moment to note the key is in use.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return limit >= 1


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
