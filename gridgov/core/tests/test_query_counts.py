"""List endpoints and list pages: the number of queries does not grow with the number of rows.

Each list is read with 5 rows and again with 50, under the same bound (the count measured with
5 rows): a per-row query (an N+1) makes the 50-row read fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.tests.apiclient import ApiClient
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.places.models import PlaceKind


def _audit_rows(world: Any, start: int, stop: int) -> None:
    for i in range(start, stop):
        audit_record(
            actor=world.alice,
            action=AuditAction.UPDATE,
            target_type="places.place",
            target_id=world.grid1.pk,
            target_label=f"地点{i}",
            place_path=world.grid1.path,
            changes={"name": [f"旧{i}", f"新{i}"]},
        )


def _notification_rows(world: Any, start: int, stop: int) -> None:
    from gridgov.notifications.services import notify

    for i in range(start, stop):
        notify(
            recipients=[world.admin], title=f"第{i}条通知", body="请及时处理", link="/cases/", kind="case.new"
        )


def _place_rows(world: Any, start: int, stop: int) -> None:
    from gridgov.places.services import place_create

    for i in range(start, stop):
        place_create(by=SYSTEM, parent=world.grid1, kind=PlaceKind.ESTATE, name=f"测试小区{i}")


def _org_rows(world: Any, start: int, stop: int) -> None:
    from gridgov.orgs.models import OrgKind
    from gridgov.orgs.services import organisation_create

    for i in range(start, stop):
        organisation_create(by=SYSTEM, kind=OrgKind.UNIT, name=f"测试单位{i}", place=world.community)


def _case_rows(world: Any, start: int, stop: int) -> None:
    from django.contrib.auth.models import AnonymousUser

    from gridgov.cases.services import case_submit

    for i in range(start, stop):
        case_submit(
            by=AnonymousUser(),
            text=f"第{i}件：楼道灯坏了",
            channel="resident_web",
            place=world.building1,
            reporter_phone=f"1370001{i:04d}",
        )


LISTS: list[tuple[str, str, Callable[[Any, int, int], None], str]] = [
    ("api", "/api/v1/audit", _audit_rows, "admin"),
    ("page", "/audit/", _audit_rows, "admin"),
    ("api", "/api/v1/notifications", _notification_rows, "admin"),
    ("page", "/notifications/", _notification_rows, "admin"),
    ("api", "/api/v1/places", _place_rows, "admin"),
    ("api", "/api/v1/organisations", _org_rows, "admin"),
    ("page", "/orgs/", _org_rows, "admin"),
    ("api", "/api/v1/cases", _case_rows, "admin"),
    ("page", "/open311/v2/requests.json", _case_rows, "admin"),
    ("page", "/places/", _place_rows, "admin"),
    ("page", "/cases/stats/", _case_rows, "carol"),
]


def _read(kind: str, url: str, world: Any, who: str, client: Any) -> int:
    user = getattr(world, who)
    with CaptureQueriesContext(connection) as captured:
        if kind == "api":
            response = ApiClient(user).get(url)
        else:
            client.force_login(user)
            response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


@pytest.mark.parametrize(("kind", "url", "make", "who"), LISTS, ids=[f"{k}:{u}" for k, u, _, _ in LISTS])
def test_queries_do_not_grow_with_rows(world, client, django_assert_max_num_queries, kind, url, make, who):
    make(world, 0, 5)
    _read(kind, url, world, who, client)  # warm per-process caches (roles, settings rows)
    bound = _read(kind, url, world, who, client)
    with django_assert_max_num_queries(bound):
        _read(kind, url, world, who, client)
    make(world, 5, 50)
    with django_assert_max_num_queries(bound):
        _read(kind, url, world, who, client)
