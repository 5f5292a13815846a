"""Fixtures and the summary line for the Schemathesis run (marker `fuzz`, step of `.ci/run`).

The fuzz tests call the real WSGI application in-process, so the figures they gather live in
this module: every example adds to `TALLY`, and the terminal summary prints them once.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps caches in ./.hypothesis; the fuzz run keeps them in its scratch data folder
# instead, so the working tree stays clean (the example database is switched off anyway).
set_hypothesis_home_dir(Path(os.environ.get("GRIDGOV_DATA_DIR") or tempfile.gettempdir()) / "hypothesis")


@dataclass
class Tally:
    operations: set[str] = field(default_factory=set)
    identities: set[str] = field(default_factory=set)
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    violations: set[str] = field(default_factory=set)  # operation (per identity) answering off-schema


TALLY = Tally()


def pytest_ignore_collect(collection_path, config) -> bool | None:
    # Building the fuzz tests imports Schemathesis and the whole schema (seconds per xdist
    # worker); the normal run deselects them anyway (addopts `-m 'not fuzz'`), so skip the file.
    deselected = config.option.markexpr.replace(" ", "") == "notfuzz"
    if collection_path.name == "test_schemathesis.py" and deselected:
        return True
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not TALLY.examples:
        return
    # xdist workers each keep their own tally; the summary is only meaningful in-process (-n 0).
    codes = ", ".join(f"{code}×{count}" for code, count in sorted(TALLY.statuses.items()))
    terminalreporter.write_line(
        f"Schemathesis：{len(TALLY.operations)} 个操作 × {len(TALLY.identities)} 个身份，"
        f"{TALLY.examples} 个请求，服务器错误 {len(TALLY.server_errors)} 个，"
        f"与 schema 不符的操作 {len(TALLY.violations)} 个；状态码 {codes}"
    )
    for line in TALLY.server_errors[:20]:
        terminalreporter.write_line(f"  500: {line}")


@pytest.fixture
def wsgi_without_connection_reset():
    """Django's WSGI handler closes "old" connections at every request start and finish; inside a
    test's transaction that would drop the test database connection, so switch it off the way
    Django's own test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Community:
    world: object
    tokens: dict[str, str]
    token_ids: list[int]
    api_key: str
    api_key_id: int


@pytest.fixture
def community(world, wsgi_without_connection_reset) -> Community:
    """The shared two-grid world plus something behind every endpoint: cases in several states,
    an organisation with a member, a floating registration, a notification, an external key."""
    from django.contrib.auth.models import AnonymousUser

    from gridgov.accounts.scope import SYSTEM
    from gridgov.accounts.services import api_token_create
    from gridgov.cases.services import apikey_create, case_accept, case_submit
    from gridgov.notifications.services import notify
    from gridgov.orgs.models import OrgKind
    from gridgov.orgs.services import organisation_add_member, organisation_create
    from gridgov.people.services import floating_register

    w = world
    w.case1 = case_submit(
        by=AnonymousUser(),
        text="1栋门口的垃圾好几天没人清运，味道很大",
        channel="resident_web",
        place=w.building1,
        reporter_phone="13700001234",
    )
    w.case2 = case_submit(by=w.alice, text="3栋电梯卡在7楼，里面有人", channel="patrol", place=w.building1)
    case_accept(by=w.alice, case=w.case2)
    w.case3 = case_submit(
        by=AnonymousUser(),
        text="8栋楼道灯坏了",
        channel="resident_web",
        place=w.building2,
        reporter_phone="13700005678",
    )
    w.org = organisation_create(by=SYSTEM, kind=OrgKind.TEAM, name="雷锋侠志愿服务队", place=w.grid1)
    organisation_add_member(by=SYSTEM, organisation=w.org, resident=w.zhang, role="队员")
    floating_register(
        by=SYSTEM,
        resident=w.li,
        origin="湖南省邵阳市",
        household=w.household2,
        registered_on=dt.date(2026, 1, 5),
        expected_until=dt.date(2026, 12, 31),
    )
    notify(recipients=[w.alice, w.admin], title="新事件", body="第一网格有新事件", link="/cases/")
    tokens: dict[str, str] = {}
    token_ids: list[int] = []
    for persona in ("admin", "alice"):
        token, key = api_token_create(user=getattr(w, persona), name=f"fuzz-{persona}")
        tokens[persona] = key
        token_ids.append(token.pk)
    api_key, raw = apikey_create(by=SYSTEM, name="fuzz-12345", rate_per_minute=100000)
    return Community(world=w, tokens=tokens, token_ids=token_ids, api_key=raw, api_key_id=api_key.pk)
