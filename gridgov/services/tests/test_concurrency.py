"""抢单 is exclusive: two members tapping at once, exactly one wins (PostgreSQL row locks).

SQLite serialises every writer, so the race cannot be staged there; run with DATABASE_URL=postgres://…"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from gridgov.services import services
from gridgov.services.models import Order, OrderEvent
from gridgov.services.policy import OrderConflict

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(*calls):
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


def test_two_members_grab_at_once_exactly_one_wins(sw, place_order):
    for _ in range(3):
        order = place_order()
        results = race(
            lambda o=order: services.order_grab(by=sw.wu, order=o),
            lambda o=order: services.order_grab(by=sw.xu, order=o),
        )
        winners = [r for r in results if isinstance(r, Order)]
        losers = [r for r in results if isinstance(r, OrderConflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert "已被其他人接单" in losers[0].message_dict["state"][0]
        order.refresh_from_db()
        assert order.provider_user_id == winners[0].provider_user_id
        assert OrderEvent.objects.filter(order=order, kind="grabbed").count() == 1
