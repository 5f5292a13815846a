"""The grid worker's queue over JSON is answered from plain rows (`selectors.queue_rows`,
`schemas.case_out_items`) instead of model instances validated through `CaseOut`: the answer must
be exactly what `CaseOut` gives for the same cases, page by page, for every shape of case, and
it must follow the user's roles as they are at the moment of the request."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from ninja.responses import NinjaJSONEncoder

from gridgov.accounts.models import Role, RoleAssignment
from gridgov.accounts.scope import SYSTEM
from gridgov.accounts.services import api_token_create, role_grant, role_revoke, user_create
from gridgov.cases import selectors
from gridgov.cases.models import Case, Level, Priority, State
from gridgov.cases.schemas import CaseOut, case_out_items
from gridgov.cases.services import case_accept
from gridgov.core import clock

pytestmark = pytest.mark.django_db


def _as_schema(cases) -> list[dict]:
    """What ninja answers for these cases through `CaseOut` (resolvers and validation)."""
    return json.loads(
        json.dumps([CaseOut.model_validate(c).model_dump() for c in cases], cls=NinjaJSONEncoder)
    )


def _as_rows(user, queue, *, offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
    page = selectors.queue_rows(user, queue, offset=offset, limit=limit)
    items = json.loads(json.dumps(case_out_items(page, clock.now()), cls=NinjaJSONEncoder))
    return items, page.count


def _varied(cw, submit) -> list[Case]:
    """Cases of every shape a row can take: pool, held by the reader, held by someone else with
    and without a display name, routed to an organisation, subcategory, urgent, supervised,
    returned, overdue to accept, overdue to resolve, without deadlines, at other levels."""
    nameless = user_create(by=SYSTEM, username="nameless", password=cw.password, validate=False)
    now = clock.now()
    made = [submit(text=f"1栋门口的垃圾好几天没人清运（第{n}件）") for n in range(12)]
    held = made[1]
    case_accept(by=cw.alice, case=held)
    Case.objects.filter(pk=made[2].pk).update(handler_user=cw.bob, state=State.ACCEPTED)
    Case.objects.filter(pk=made[3].pk).update(handler_user=nameless, state=State.IN_PROGRESS)
    Case.objects.filter(pk=made[4].pk).update(handler_org=cw.property_co, level=Level.GRID)
    Case.objects.filter(pk=made[5].pk).update(subcategory=cw.lift, category=cw.facility)
    Case.objects.filter(pk=made[6].pk).update(priority=Priority.URGENT, supervised=True)
    Case.objects.filter(pk=made[7].pk).update(needs_dispatch=True, category_confirmed=True)
    Case.objects.filter(pk=made[8].pk).update(due_accept_at=now - dt.timedelta(hours=2))
    Case.objects.filter(pk=made[9].pk).update(
        handler_user=cw.alice, state=State.IN_PROGRESS, due_resolve_at=now - dt.timedelta(minutes=5)
    )
    Case.objects.filter(pk=made[10].pk).update(due_accept_at=None, due_resolve_at=None)
    Case.objects.filter(pk=made[11].pk).update(
        level=Level.COMMUNITY, level_place=cw.community, level_path=cw.community.path, state=State.RESOLVED
    )
    return made


def test_rows_read_exactly_as_the_case_schema_for_every_shape_of_case(cw, submit):
    _varied(cw, submit)
    queue = selectors.cases_for(cw.sam)
    items, count = _as_rows(cw.sam, queue)
    assert count == queue.count() == 12
    assert items == _as_schema(queue)
    handlers = {item["handler"] for item in items}
    assert {"alice", "bob", "nameless", "聚江苑物业", "第一网格网格", "金泰路社区社区"} <= handlers
    assert {item["overdue"] for item in items} == {True, False}
    assert any(item["subcategory"] == {"code": "lift", "name": "电梯故障"} for item in items)


def test_rows_page_like_the_paginator(cw, submit):
    _varied(cw, submit)
    queue = selectors.cases_for(cw.sam)
    everything = _as_schema(queue)
    assert _as_rows(cw.sam, queue, offset=5, limit=5) == (everything[5:10], 12)
    assert _as_rows(cw.sam, queue, offset=10, limit=5) == (everything[10:], 12)
    # Past the end: no rows, and the count still says how many there are.
    assert _as_rows(cw.sam, queue, offset=20, limit=5) == ([], 12)
    assert _as_rows(cw.erin, selectors.my_queue(cw.erin)) == ([], 0)


def test_queue_endpoint_answers_what_the_schema_answers(cw, submit, client):
    _varied(cw, submit)
    _, token = api_token_create(user=cw.alice, name="手机")
    headers = {"Authorization": f"Bearer {token}"}
    mine = selectors.my_queue(cw.alice)
    expected = _as_schema(mine)
    assert len(expected) == 7
    for query, part in [("", expected), ("&page=2&page_size=3", expected[3:6]), ("&page=9&page_size=3", [])]:
        response = client.get(f"/api/v1/cases?queue=mine{query}", headers=headers)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json() == {"items": part, "count": len(expected)}
    # The held cases are alice's own, the rest wait in grid 1's pool; nobody else's case shows.
    assert {item["handler"] for item in expected} == {"alice", "第一网格网格"}


def test_queue_endpoint_refuses_bad_paging_and_strangers(cw, submit, client):
    submit()
    assert client.get("/api/v1/cases?queue=mine").status_code == 401
    _, token = api_token_create(user=cw.alice, name="手机")
    headers = {"Authorization": f"Bearer {token}"}
    for query in ("page=0", "page=abc", "page_size=0", "page=100001"):
        assert client.get(f"/api/v1/cases?queue=mine&{query}", headers=headers).status_code == 422, query
    big = client.get("/api/v1/cases?queue=mine&page_size=100000", headers=headers)
    assert big.status_code == 200 and big.json()["count"] == 1
    # Grid 2's worker does not see grid 1's pool.
    _, other = api_token_create(user=cw.bob, name="手机")
    assert client.get("/api/v1/cases?queue=mine", headers={"Authorization": f"Bearer {other}"}).json() == {
        "items": [],
        "count": 0,
    }


def test_a_removed_role_empties_the_queue_at_the_next_request(cw, submit, client):
    case = submit()
    _, token = api_token_create(user=cw.alice, name="手机")
    headers = {"Authorization": f"Bearer {token}"}
    assert [i["id"] for i in client.get("/api/v1/cases?queue=mine", headers=headers).json()["items"]] == [
        case.pk
    ]
    role_revoke(by=SYSTEM, assignment=RoleAssignment.objects.get(user=cw.alice, place=cw.grid1))
    assert client.get("/api/v1/cases?queue=mine", headers=headers).json() == {"items": [], "count": 0}
    # Granted again (at grid 1) the pool is back, in the same process.
    role_grant(by=SYSTEM, user=cw.alice, role=Role.objects.get(code="grid_worker"), place=cw.grid1)
    assert client.get("/api/v1/cases?queue=mine", headers=headers).json()["count"] == 1


@pytest.mark.parametrize("rows", [5, 50])
def test_queue_endpoint_with_a_token_costs_two_queries_for_5_and_50_cases(
    cw, submit, client, rows, django_assert_max_num_queries
):
    for index in range(rows):
        case = submit(text=f"1栋门口的垃圾好几天没人清运（第{index}件）")
        if index % 2:
            case_accept(by=cw.alice, case=case)
    _, token = api_token_create(user=cw.alice, name="手机")
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/api/v1/cases?queue=mine", headers=headers)  # the first use stamps the token
    # The token with its owner's roles, then the page with its count and names; no write.
    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/cases?queue=mine", headers=headers)
    assert response.status_code == 200
    assert response.json()["count"] == rows


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's; SQLite plans differ"
)
def test_the_page_query_and_its_names_stay_on_indexes_over_a_long_history(cw, submit):
    from gridgov.cases.tests.test_queue_perf import _history, _plan

    for index in range(6):
        case = submit(text=f"1栋门口的垃圾好几天没人清运（第{index}件）")
        if index % 2:
            case_accept(by=cw.alice, case=case)
    _history(20000, cw.alice.pk)
    plan = _plan(selectors.queue_page(selectors.my_queue(cw.alice))[:50])
    assert "Seq Scan on cases_case" not in plan, plan
    assert selectors.queue_rows(cw.alice, selectors.my_queue(cw.alice), offset=0, limit=50).count == 6


def test_the_compiled_queue_answers_what_the_orm_queue_answers_for_every_shape_of_roles(cw, submit):
    """`my_queue_rows` runs `my_queue`'s SQL compiled once per shape of roles with the user's own
    values put in: each user (pool at one level, two levels, an organisation, none) gets exactly
    their `my_queue`, page by page, also on the second and third use of a compiled shape."""
    _varied(cw, submit)
    submit(category="order", text="门口流动摊贩")  # routed to chen's department
    submit(category="lift", text="电梯坏了")  # routed to pete's property company
    submit(place=cw.building2, text="八号楼垃圾")  # grid 2's pool
    # Alice also at grid 2: two pool levels, one query.
    role_grant(by=SYSTEM, user=cw.alice, role=Role.objects.get(code="grid_worker"), place=cw.grid2)
    now = clock.now()
    seen = set()
    for _ in range(3):
        for user in (cw.alice, cw.bob, cw.chen, cw.pete, cw.carol, cw.erin, cw.sam):
            for offset, limit in ((0, 50), (2, 3), (40, 5)):
                compiled = selectors.my_queue_rows(user, offset=offset, limit=limit)
                orm = selectors.queue_rows(user, selectors.my_queue(user), offset=offset, limit=limit)
                assert case_out_items(compiled, now) == case_out_items(orm, now), user
                assert compiled.count == orm.count == selectors.my_queue(user).count(), user
                seen.add((user.username, compiled.count))
    counts = dict(seen)
    assert counts["alice"] > counts["bob"] > 0  # grid 1's and grid 2's pools
    assert counts["chen"] == 1 and counts["pete"] >= 1 and counts["erin"] == 0


def test_the_compiled_queue_follows_a_granted_organisation_at_the_next_request(cw, submit):
    vendor = submit(category="order", text="门口流动摊贩")
    assert selectors.my_queue_rows(cw.sam, offset=0, limit=50).count == 0
    cw.sam.organisation = cw.chengguan
    cw.sam.save(update_fields=["organisation"])
    role_grant(by=SYSTEM, user=cw.sam, role=Role.objects.get(code="department_staff"), place=cw.street)
    page = selectors.my_queue_rows(cw.sam, offset=0, limit=50)
    assert [row["id"] for row in page.rows] == [vendor.pk] and page.count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the queue's JSON is written by PostgreSQL")
def test_the_json_the_database_writes_is_what_the_rows_give(cw, submit):
    """`my_queue_json` (PostgreSQL builds each item) answers exactly what `case_out_items` gives
    from the same rows: for every shape of case, page by page, and for times on the second, with
    a fraction below a millisecond, and just under the next second (cut to .999, not rounded)."""
    made = _varied(cw, submit)
    moments = [
        dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 4, 5, 6, 7, 400, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 4, 5, 6, 7, 500000, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 4, 5, 6, 7, 999999, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, 120000, tzinfo=dt.UTC),
    ]
    # Cases in alice's queue: the pool's, her own, overdue, without deadlines.
    for case, moment in zip([made[0], made[1], made[8], made[9], made[10]], moments, strict=True):
        Case.objects.filter(pk=case.pk).update(created_at=moment)
    now = clock.now()
    for user in (cw.alice, cw.bob, cw.sam):
        for offset, limit in ((0, 20), (2, 3), (40, 5)):
            built = selectors.my_queue_json(user, offset=offset, limit=limit, now=now)
            assert built is not None
            rows = selectors.my_queue_rows(user, offset=offset, limit=limit)
            expected = json.loads(json.dumps(case_out_items(rows, now), cls=NinjaJSONEncoder))
            assert json.loads(built[0]) == expected and built[1] == rows.count, user
    shown = {
        item["created_at"]
        for item in json.loads(selectors.my_queue_json(cw.alice, offset=0, limit=50, now=now)[0])
    }
    assert {"2026-03-04T05:06:07Z", "2026-03-04T05:06:07.000Z", "2026-03-04T05:06:07.999Z"} <= shown
