from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.cases.models import ApiKey
from gridgov.cases.selectors import apikeys_for
from gridgov.cases.services import (
    ApiKeyInvalid,
    RateLimited,
    apikey_create,
    apikey_hash,
    apikey_prune,
    apikey_revoke,
    apikey_use,
)
from gridgov.core.errors import Forbidden


def test_key_is_shown_once_and_stored_hashed(cw):
    key, raw = apikey_create(by=cw.sam, name="12345热线", rate_per_minute=3, place=cw.street)
    assert raw.startswith("ggk_") and len(raw) > 40
    assert key.key_hash == apikey_hash(raw) and raw not in key.key_hash and raw.startswith(key.prefix)
    assert apikey_use(raw) == key
    with pytest.raises(ApiKeyInvalid):
        apikey_use(raw + "x")
    with pytest.raises(ApiKeyInvalid):
        apikey_use(None)
    assert list(apikeys_for(cw.sam)) == [key]
    assert list(apikeys_for(cw.carol)) == []


def test_who_may_create_and_revoke(cw):
    with pytest.raises(ValidationError) as exc:
        apikey_create(by=cw.sam, name="全区")
    assert exc.value.message_dict == {"place": ["不限范围的接入密钥只能由系统管理员创建，请选择可上报范围"]}
    with pytest.raises(Forbidden):
        apikey_create(by=cw.carol, name="社区摄像头", place=cw.community)
    key, _raw = apikey_create(by=cw.admin, name="全区")
    with pytest.raises(ValidationError) as exc:
        apikey_create(by=cw.admin, name="全区")
    assert exc.value.message_dict == {"name": ["名称“全区”已存在"]}
    with pytest.raises(Forbidden):
        apikey_revoke(by=cw.sam, key=key)
    apikey_revoke(by=cw.admin, key=key)
    key.refresh_from_db()
    assert not key.is_active and key.revoked_at


def test_rate_limit_per_key_per_minute(cw):
    key, raw = apikey_create(by=SYSTEM, name="AI识别", rate_per_minute=3)
    now = timezone.now().replace(second=5)
    for _ in range(3):
        apikey_use(raw, now=now)
    with pytest.raises(RateLimited) as exc:
        apikey_use(raw, now=now + dt.timedelta(seconds=10))
    assert str(exc.value) == "请求过于频繁：每分钟最多3次，请45秒后再试"
    apikey_use(raw, now=now + dt.timedelta(minutes=1))  # a new minute
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert apikey_prune(now=now + dt.timedelta(hours=2)) == 2


def test_apikey_command_prints_the_key_last_and_revokes(cw, capsys):
    call_command("apikey", "create", "摄像头-1", "--rate", "10", "--place", str(cw.grid1.pk))
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    key = ApiKey.objects.get(name="摄像头-1")
    assert (key.rate_per_minute, key.place) == (10, cw.grid1)
    assert apikey_use(raw) == key
    call_command("apikey", "revoke", "摄像头-1")
    with pytest.raises(ApiKeyInvalid):
        apikey_use(raw)
    with pytest.raises(CommandError, match="已吊销"):
        call_command("apikey", "revoke", "摄像头-1")
    with pytest.raises(CommandError, match="没有名为"):
        call_command("apikey", "revoke", "nobody")
    with pytest.raises(CommandError, match="地点ID 999999 不存在"):
        call_command("apikey", "create", "x", "--place", "999999")
