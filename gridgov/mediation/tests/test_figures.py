"""`dispute_figures`, the mediation figures of the command centre's dashboards: disputes
received in the period and where they stand (成功/未成功/进行中), counts only, nothing audited."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.audit.models import AuditEntry
from gridgov.core import clock
from gridgov.mediation import selectors, services
from gridgov.mediation.tests.conftest import noise

pytestmark = pytest.mark.django_db


def test_disputes_opened_and_their_outcomes(pool, django_assert_num_queries):
    won = noise(pool)
    services.mediator_assign(by=pool.carol, dispute=won, mediator=pool.elder)
    services.session_record(
        by=pool.carol,
        dispute=won,
        held_at=clock.now(),
        location="谈心室",
        attendance="双方",
        record="达成一致",
    )
    services.dispute_close(by=pool.carol, dispute=won, outcome="success")
    services.dispute_close(by=pool.carol, dispute=noise(pool), outcome="litigation")
    noise(pool)  # still being mediated
    now = clock.now()
    span = {"since": now - dt.timedelta(days=1), "until": now + dt.timedelta(minutes=1)}
    children = [pool.grid1, pool.grid2]
    audited = AuditEntry.objects.count()
    found = selectors.dispute_figures(user=pool.carol, place=pool.community, children=children, **span)
    assert found is not None
    total = found.total
    assert (total.opened, total.success, total.failed, total.ongoing) == (3, 1, 1, 1)
    assert total.success_rate == 0.5
    assert found.children[pool.grid1.pk].opened == 3 and found.children[pool.grid2.pk].opened == 0
    assert AuditEntry.objects.count() == audited
    # Grid workers do not handle mediation: not even the counts.
    assert selectors.dispute_figures(user=pool.alice, place=pool.grid1, **span) is None
    with django_assert_num_queries(1):
        selectors.dispute_figures(user=pool.carol, place=pool.community, children=children, **span)
