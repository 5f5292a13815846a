"""Regression guards for the queues at scale, without timings: the number of queries does not
grow with the rows shown, and on PostgreSQL the queue's query stays on an index when the closed
history is large (no sequential scan of the case table)."""

from __future__ import annotations

import pytest
from django.db import connection

from gridgov.cases import selectors
from gridgov.cases.models import Case
from gridgov.cases.services import case_accept

pytestmark = pytest.mark.django_db


def _fill(cw, submit, rows: int) -> None:
    """`rows` open cases in alice's queue: half unclaimed in grid 1's pool, half held by her."""
    for index in range(rows):
        case = submit(text=f"1栋门口的垃圾好几天没人清运（第{index}件）")
        if index % 2:
            case_accept(by=cw.alice, case=case)
    assert selectors.my_queue(cw.alice).count() == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_queue_endpoint_costs_the_same_queries_for_5_and_50_cases(
    cw, submit, client, rows, django_assert_max_num_queries
):
    _fill(cw, submit, rows)
    client.force_login(cw.alice)
    with django_assert_max_num_queries(10):
        response = client.get("/api/v1/cases?queue=mine&page_size=50")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == rows
    assert {item["state"] for item in body["items"]} == {"new", "accepted"}
    # Held cases name their handler (prefetched, not joined), pool cases their grid.
    assert {item["handler"] for item in body["items"]} == {str(cw.alice), f"{cw.grid1.name}网格"}


@pytest.mark.parametrize("rows", [5, 50])
def test_workbench_costs_the_same_queries_for_5_and_50_cases(
    cw, submit, client, rows, django_assert_max_num_queries
):
    _fill(cw, submit, rows)
    client.force_login(cw.alice)
    client.get("/cases/")  # the first page view of a session stores what later views reuse
    with django_assert_max_num_queries(30):
        response = client.get("/cases/")
    assert response.status_code == 200
    from gridgov.cases.views._common import PAGE_SIZE

    page = response.content.decode()
    shown = [case for case in selectors.my_queue(cw.alice) if f"/cases/{case.pk}/" in page]
    assert len(shown) == min(rows, PAGE_SIZE)


def test_dispatch_queue_puts_the_least_time_left_first_after_urgency(cw, submit):
    """Issue 9: an urgent case leads; then the case closest to its accept deadline, even when
    another one waits only for its category to be confirmed."""
    import datetime as dt

    later = submit(text="1栋门口的垃圾好几天没人清运")
    sooner = submit(text="2栋楼道的灯坏了")
    Case.objects.filter(pk=later.pk).update(due_accept_at=sooner.due_accept_at + dt.timedelta(hours=3))
    Case.objects.filter(pk=sooner.pk).update(category_confirmed=True)
    urgent = submit(text="1栋楼道冒烟，闻到烧焦味", priority="urgent")
    order = [case.pk for case in selectors.dispatch_queue(cw.carol)]
    assert order.index(urgent.pk) < order.index(sooner.pk) < order.index(later.pk)


def _history(rows: int, handler_id: int) -> None:
    """`rows` closed cases copied from an existing one, in one INSERT … SELECT, every other one
    once held by `handler_id` (a grid worker's years of finished work)."""
    columns = [
        f.column
        for f in Case._meta.concrete_fields
        if f.column not in ("id", "tracking_code", "public_id", "state", "urgent_open", "handler_user_id")
    ]
    template = Case.objects.order_by("pk").first()
    assert template is not None
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO cases_case (tracking_code, public_id, state, handler_user_id, {names}) "
            f"SELECT 'H' || lpad(n::text, 9, '0'), lpad(to_hex(n), 16, '0'), 'closed', "
            f"CASE WHEN n %% 2 = 0 THEN %s::bigint ELSE NULL END, {names} "
            f"FROM cases_case, generate_series(1, %s) AS n WHERE cases_case.id = %s",
            [handler_id, rows, template.pk],
        )
        cursor.execute("ANALYZE cases_case")


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's; SQLite plans differ"
)
def test_queues_stay_on_an_index_over_a_long_history(cw, submit):
    for index in range(6):
        case = submit(text=f"1栋门口的垃圾好几天没人清运（第{index}件）")
        if index % 2:
            case_accept(by=cw.alice, case=case)
    _history(20000, cw.alice.pk)
    for name, queryset in [
        ("my_queue", selectors.my_queue(cw.alice)[:50]),
        ("my_queue count", selectors.my_queue(cw.alice).values("pk")),
        ("dispatch_queue", selectors.dispatch_queue(cw.carol)[:50]),
        ("overdue", selectors.overdue(cw.carol)[:50]),
    ]:
        plan = _plan(queryset)
        assert "Seq Scan on cases_case" not in plan, f"{name}:\n{plan}"
