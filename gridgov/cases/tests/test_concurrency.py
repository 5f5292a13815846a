"""Races that only a real row lock settles: run on PostgreSQL (DATABASE_URL=postgres://…).

SQLite takes one database-wide write lock per transaction (settings use IMMEDIATE mode), so two
writers never interleave there and these races cannot even be staged; the same code paths are
covered single-threaded by the other tests.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, connections

from gridgov.cases.models import Case, CaseEvent, EventKind, State
from gridgov.cases.services import CaseConflict, case_accept, case_submit_result, sla_sweep
from gridgov.cases.tests.factories import at

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks: SQLite serialises all writers, so the race cannot happen",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(*calls):
    """Run the callables at the same instant in threads; return their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_concurrent_accepts_exactly_one_wins(cw, submit):
    for _ in range(3):
        case = submit()
        results = race(
            lambda c=case: case_accept(by=cw.alice, case=c), lambda c=case: case_accept(by=cw.frank, case=c)
        )
        winners = [r for r in results if isinstance(r, Case)]
        losers = [r for r in results if isinstance(r, CaseConflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        winner = winners[0].handler_user.username
        assert losers[0].message_dict == {"state": [f"该事件已由{winner}受理，无需重复受理"]}
        case.refresh_from_db()
        assert case.state == State.ACCEPTED and case.handler_user.username == winner
        assert CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPTED).count() == 1


def test_two_concurrent_sweeps_escalate_each_case_once(cw, submit):
    cases = [submit(now=at(2026, 9, 24, 10), text=f"第{i}件垃圾问题") for i in range(6)]
    now = at(2026, 9, 28, 11)
    results = race(lambda: sla_sweep(now=now), lambda: sla_sweep(now=now), lambda: sla_sweep(now=now))
    assert sum(r.escalated for r in results) == len(cases), results
    for case in cases:
        assert CaseEvent.objects.filter(case=case, kind=EventKind.AUTO_ESCALATED).count() == 1
        case.refresh_from_db()
        assert case.level == "community"


def test_concurrent_retries_with_one_client_key_make_one_case(cw):
    def attempt():
        return case_submit_result(
            by=AnonymousUser(),
            text="路灯坏了",
            channel="resident_web",
            place=cw.building1,
            reporter_phone="13700001234",
            client_key="retry-1",
        )

    results = race(attempt, attempt, attempt)
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.case.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Case.objects.filter(client_key="retry-1").count() == 1
