from __future__ import annotations

import datetime as dt

from gridgov.cases.models import Case, CaseEvent, EventKind, Level, State
from gridgov.cases.selectors import overdue
from gridgov.cases.services import case_accept, case_escalate, case_resolve, cases_close_unrated, sla_sweep
from gridgov.cases.tests.factories import at
from gridgov.notifications.models import Notification

REPORTED = at(2026, 9, 24, 10)  # Thursday; accept due the next working day, 28 September


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_sweep_escalates_an_unaccepted_case_once_and_tells_the_right_people(cw, submit):
    case = submit(now=REPORTED)
    assert case.due_accept_at == at(2026, 9, 28, 10)
    assert sla_sweep(now=at(2026, 9, 28, 9, 59)).escalated == 0
    Notification.objects.all().delete()

    result = sla_sweep(now=at(2026, 9, 28, 11))
    assert (result.escalated, result.flagged) == (1, 0)
    case.refresh_from_db()
    assert (case.level, case.level_place, case.state) == (Level.COMMUNITY, cw.community, State.NEW)
    assert case.supervised and case.was_overdue
    assert case.due_accept_at == at(2026, 9, 29, 11)  # a fresh window for the new level
    event = CaseEvent.objects.get(case=case, kind=EventKind.AUTO_ESCALATED)
    assert (event.from_level, event.to_level, event.actor, event.public) == ("grid", "community", None, True)
    assert told("case.escalated") == {"carol", "cora"}  # the community's handlers
    assert told("case.overdue") == {"carol"}  # the grid's superior

    # Running again at the same moment (a second worker, an overlapping cron) does nothing.
    assert sla_sweep(now=at(2026, 9, 28, 11)).escalated == 0
    assert CaseEvent.objects.filter(case=case, kind=EventKind.AUTO_ESCALATED).count() == 1


def test_property_company_missing_the_deadline_climbs_to_the_community(cw, submit):
    case = submit(text="电梯坏了", category="lift", now=REPORTED)
    case = case_accept(by=cw.pete, case=case)
    Case.objects.filter(pk=case.pk).update(due_resolve_at=at(2026, 9, 30, 10))
    Notification.objects.all().delete()
    assert sla_sweep(now=at(2026, 9, 30, 12)).escalated == 1
    case.refresh_from_db()
    assert (case.level, case.handler_user, case.handler_org, case.state) == (
        Level.COMMUNITY,
        None,
        None,
        State.NEW,
    )
    assert "pete" in told("case.overdue") and "carol" in told("case.overdue")
    assert CaseEvent.objects.get(case=case, kind=EventKind.AUTO_ESCALATED).from_state == State.ACCEPTED


def test_top_of_the_ladder_is_flagged_once(cw, submit):
    case = submit(now=REPORTED)
    case = case_escalate(by=cw.alice, case=case, reason="社区")
    case = case_escalate(by=cw.carol, case=case, reason="街道")
    assert case.level == Level.STREET
    late = case.due_accept_at.replace(year=2027)
    result = sla_sweep(now=late)
    assert (result.escalated, result.flagged) == (0, 1)
    case.refresh_from_db()
    assert case.level == Level.STREET and case.supervised and case.sla_flagged_at == late
    assert "sam" in told("case.overdue")
    assert sla_sweep(now=late).flagged == 0
    assert CaseEvent.objects.filter(case=case, kind=EventKind.OVERDUE).count() == 1
    # Someone accepting it clears the flag so a later resolve deadline is watched again.
    case = case_accept(by=cw.sam, case=case)
    assert case.sla_flagged_at is None


def test_overdue_selector_lists_what_the_sweep_would_take(cw, submit):
    case = submit(now=REPORTED)
    assert list(overdue(cw.alice, now=at(2026, 9, 28, 11))) == [case]
    assert list(overdue(cw.bob, now=at(2026, 9, 28, 11))) == []
    assert list(overdue(cw.alice, now=at(2026, 9, 26, 11))) == []


def test_resolved_cases_close_after_n_days_without_rating(cw, submit):
    case = case_accept(by=cw.alice, case=submit())
    case = case_resolve(by=cw.alice, case=case, result="已处理")
    assert (
        cases_close_unrated(days=7, now=case.resolved_at.replace(microsecond=0) + dt.timedelta(days=6)) == 0
    )
    closed = cases_close_unrated(days=7, now=case.resolved_at + dt.timedelta(days=8))
    assert closed == 1
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.rating is None
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CLOSED, public=True).exists()
    assert cases_close_unrated(days=7, now=case.resolved_at + dt.timedelta(days=9)) == 0


def test_sweep_command_and_task(cw, submit, capsys):
    from django.core.management import call_command

    from gridgov.cases.tasks import sla_sweep_task

    submit(now=at(2026, 1, 5, 10))
    call_command("cases_sweep")
    assert "超时上报 1 件" in capsys.readouterr().out
    result = sla_sweep_task.enqueue()
    assert result.return_value == {"escalated": 0, "flagged": 0}
