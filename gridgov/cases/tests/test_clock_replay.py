"""The case services read `gridgov.core.clock`, so a replay (the demo's sixty days) needs no mock."""

from __future__ import annotations

import datetime as dt

from gridgov.cases.models import CaseEvent, EventKind, Level
from gridgov.cases.services import case_accept, sla_sweep
from gridgov.cases.tests.factories import at
from gridgov.core import clock

REPORTED = at(2026, 9, 24, 10)  # Thursday; accept due the next working day, 28 September


def test_services_stamp_the_replayed_moment(cw, submit):
    with clock.frozen_at(REPORTED) as replay:
        case = submit()
        replay.advance(dt.timedelta(hours=2))
        case = case_accept(by=cw.alice, case=case)
    case.refresh_from_db()
    assert case.created_at == REPORTED and case.due_accept_at == at(2026, 9, 28, 10)
    assert case.accepted_at == REPORTED + dt.timedelta(hours=2)
    assert list(CaseEvent.objects.filter(case=case).order_by("id").values_list("at", flat=True)) == [
        REPORTED,
        REPORTED + dt.timedelta(hours=2),
    ]


def test_the_sweep_runs_at_the_replayed_moment(cw, submit):
    with clock.frozen_at(REPORTED) as replay:
        case = submit()
        replay.move_to(at(2026, 9, 28, 9, 59))
        assert sla_sweep().escalated == 0
        replay.move_to(at(2026, 9, 28, 11))
        assert case.is_overdue
        assert sla_sweep().escalated == 1
    case.refresh_from_db()
    assert case.level == Level.COMMUNITY
    escalated = CaseEvent.objects.get(case=case, kind=EventKind.AUTO_ESCALATED)
    assert escalated.at == at(2026, 9, 28, 11)
