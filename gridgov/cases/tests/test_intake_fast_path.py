"""The external intake's fast path (issue 6): configuration kept per process yet changed at once,
a bounded number of queries with none on the configuration tables once warm, the API key's limit
claimed in slices shared by every process, a drawn-twice tracking code drawn again, and the
server warming the triage engine before it forks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.cases import routing
from gridgov.cases.models import ApiKeyMinute, Case, Level, RoutingRule
from gridgov.cases.services import (
    RateLimited,
    apikey_create,
    apikey_use,
    category_update,
    routing_rule_create,
    routing_rule_update,
    sla_set,
)
from gridgov.cases.services import apikeys as apikeys_module
from gridgov.core import versions


@pytest.fixture
def intake(cw):
    _key, raw = apikey_create(by=SYSTEM, name="摄像头-快", rate_per_minute=1000)
    client = Client()
    counter = iter(range(1, 10**6))

    def post(place=None, text="摄像头识别：1栋门口垃圾满溢", **extra):
        body = {
            "text": text,
            "place": (place or cw.building1).pk,
            "client_key": f"cam-{next(counter)}",
            **extra,
        }
        answer = client.post(
            "/api/v1/intake", body, content_type="application/json", headers={"X-Api-Key": raw}
        )
        assert answer.status_code == 201, answer.content
        return Case.objects.get(pk=answer.json()["id"])

    return post


def test_a_new_routing_rule_applies_to_the_very_next_case(cw, intake):
    first = intake(category="sanitation")
    assert (first.level, first.handler_org) == (Level.GRID, None)  # warm: the rules are cached now
    rule = routing_rule_create(
        by=SYSTEM, category=cw.sanitation, place=cw.estate1, level=Level.GRID, organisation=cw.property_co
    )
    assert intake(category="sanitation").handler_org == cw.property_co
    assert intake(category="sanitation", place=cw.building2).handler_org is None  # outside its scope
    routing_rule_update(by=SYSTEM, rule=rule, is_active=False)
    assert intake(category="sanitation").handler_org is None


def test_a_changed_sla_and_a_switched_off_category_apply_at_once(cw, intake):
    before = intake(category="sanitation", priority="normal")
    sla_set(
        by=SYSTEM, category=cw.sanitation, priority="normal", accept_within=3, resolve_within=7, unit="hours"
    )
    after = intake(category="sanitation", priority="normal")
    assert before.due_accept_at - before.created_at != dt.timedelta(hours=3)
    assert after.due_accept_at - after.created_at == dt.timedelta(hours=3)
    category_update(by=SYSTEM, category=cw.sanitation, is_active=False)
    client = Client()
    _key, raw = apikey_create(by=SYSTEM, name="热线-停用", rate_per_minute=10)
    answer = client.post(
        "/api/v1/intake",
        {"text": "8栋垃圾", "place": cw.building2.pk, "category": "sanitation"},
        content_type="application/json",
        headers={"X-Api-Key": raw},
    )
    assert (answer.status_code, answer.json()["detail"]) == (400, "分类不存在或已停用")


def test_another_process_change_is_seen_through_the_token(cw, intake):
    intake(category="sanitation")
    # As another process would: the row and the new token commit together, this process's
    # cache is not told, yet the next case follows the rule.
    RoutingRule.objects.create(category=cw.sanitation, place=None, level=Level.COMMUNITY)
    cached = routing.config()
    assert not any(r.category_id == cw.sanitation.pk for r in cached.rules)
    versions.bump(routing.CONFIG_VERSION)
    case = intake(category="sanitation")
    assert (case.level, case.level_place) == (Level.COMMUNITY, cw.community)


def test_a_warm_intake_makes_few_queries_and_none_on_the_configuration(cw, intake):
    intake()
    with CaptureQueriesContext(connection) as captured:
        intake(text="1栋门口的垃圾好几天没人清运")
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    for table in ("cases_routingrule", "cases_sla", "cases_category", "cases_apikeyminute"):
        assert table not in tables, table
    # The INSERTs of case, statistics, timeline, audit and the new-case notice, the key, the
    # place and its ancestors, the configuration token and the grid's staff; the refetch
    # `intake` itself makes is one more.
    assert len(captured.captured_queries) <= 16, [q["sql"][:80] for q in captured.captured_queries]


def test_the_limit_is_claimed_in_slices_and_never_exceeded_by_several_processes(cw, monkeypatch):
    _key, raw = apikey_create(by=SYSTEM, name="AI识别-切片", rate_per_minute=300)
    now = timezone.now().replace(second=5)
    minute = now.replace(second=0, microsecond=0)
    apikey_use(raw, now=now)  # claims a slice of 300 // 100 = 3
    with CaptureQueriesContext(connection) as captured:
        apikey_use(raw, now=now)
        apikey_use(raw, now=now)
    assert not [q for q in captured.captured_queries if "cases_apikeyminute" in q["sql"]]
    assert ApiKeyMinute.objects.get(minute=minute).count == 3
    # Three processes, each with its own slices, share the minute: together never over 300,
    # and short of it by at most what each still holds unspent.
    processes: list[dict] = [apikeys_module._leases, {}, {}]
    allowed = 3
    for turn in range(400):
        monkeypatch.setattr(apikeys_module, "_leases", processes[turn % 3])
        try:
            apikey_use(raw, now=now)
            allowed += 1
        except RateLimited:
            pass
    assert ApiKeyMinute.objects.get(minute=minute).count == 300
    assert 300 - 3 * 2 <= allowed <= 300
    with pytest.raises(RateLimited):
        apikey_use(raw, now=now)


def test_a_minute_another_process_opens_meanwhile_is_not_taken_for_full(cw, monkeypatch):
    key, raw = apikey_create(by=SYSTEM, name="AI识别-抢先", rate_per_minute=100)
    now = timezone.now().replace(second=5)
    minute = now.replace(second=0, microsecond=0)
    real_take = apikeys_module._take
    calls: list[int] = []

    def racing(rows, limit, size):
        taken = real_take(rows, limit, size)
        if not calls:  # no row yet; before we look again, another process opens the minute
            ApiKeyMinute.objects.create(api_key=key, minute=minute, count=1)
        calls.append(taken)
        return taken

    monkeypatch.setattr(apikeys_module, "_take", racing)
    apikey_use(raw, now=now)  # answered "full" before: 429 for the first requests of a busy minute
    assert calls == [0, 1]
    assert ApiKeyMinute.objects.get(minute=minute).count == 2


def test_a_tracking_code_drawn_twice_is_drawn_again(cw, submit, monkeypatch):
    first = submit()
    codes = iter([first.tracking_code, "ZZZZ2345ZZ"])
    monkeypatch.setattr("gridgov.cases.services.intake._random_tracking_code", lambda: next(codes))
    second = submit(text="8栋门口的垃圾好几天没人清运", place=cw.building2)
    assert second.tracking_code == "ZZZZ2345ZZ"
    assert Case.objects.count() == 2


def test_serve_warms_the_triage_engine_before_the_workers_fork(monkeypatch):
    from gunicorn.app.base import BaseApplication

    from gridgov.core.management.commands import serve

    calls: list[str] = []
    monkeypatch.setattr("gridgov.triage.engine.warm_up", lambda: calls.append("triage"))
    monkeypatch.setattr(routing, "config", lambda: calls.append("config"))
    monkeypatch.setattr(BaseApplication, "run", lambda self: calls.append("run"))
    # Not frozen for real: in the test process a frozen collector would keep every dropped
    # database connection open until the end (PostgreSQL then refuses to drop the test database).
    monkeypatch.setattr(serve.gc, "freeze", lambda: calls.append("freeze"))
    serve.Command().handle(bind="127.0.0.1:0", workers=1, threads=1)
    assert calls == ["triage", "config", "freeze", "run"]
