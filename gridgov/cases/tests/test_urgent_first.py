"""Open urgent cases lead every queue and list (issue 8): the workbench tabs, the selectors, the
JSON list and the resident's own list; a closed urgent case goes back among the others; query
counts stay the same however many cases there are."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.accounts.tests.apiclient import as_, ids
from gridgov.cases import selectors
from gridgov.cases.models import Case
from gridgov.cases.services import case_accept, case_resolve
from gridgov.core import clock


def _three(submit):
    """An older urgent case between two normal ones, and a newer urgent one already resolved."""
    now = clock.now()
    old = submit(text="1栋门口垃圾没人清运", now=now - dt.timedelta(hours=3))
    urgent = submit(text="1栋楼道有股烧焦味", priority="urgent", now=now - dt.timedelta(hours=2))
    new = submit(text="1栋楼下路灯不亮", priority="normal", now=now - dt.timedelta(hours=1))
    return old, urgent, new


def test_a_stored_column_says_which_cases_are_open_and_urgent(cw, submit):
    old, urgent, _new = _three(submit)
    assert list(Case.objects.filter(urgent_open=True)) == [urgent]
    case = case_accept(by=cw.alice, case=urgent)
    assert Case.objects.get(pk=case.pk).urgent_open  # accepted is still open
    case_resolve(by=cw.alice, case=case, result="已处理")
    assert not Case.objects.filter(urgent_open=True).exists()
    assert not Case.objects.get(pk=old.pk).urgent_open


def test_every_queue_starts_with_its_open_urgent_cases(cw, submit):
    old, urgent, new = _three(submit)
    assert selectors.my_queue(cw.alice).first() == urgent
    assert selectors.dispatch_queue(cw.carol).first() == urgent
    assert list(selectors.cases_for(cw.carol)) == [urgent, new, old]
    assert list(selectors.cases_for(cw.carol, state="open")) == [urgent, new, old]
    late = clock.now() + dt.timedelta(days=30)
    assert selectors.overdue(cw.alice, now=late).first() == urgent


def test_supervised_normal_cases_come_after_urgent_ones(cw, submit):
    from gridgov.cases.services import case_supervise

    old, urgent, _new = _three(submit)
    case_supervise(by=cw.carol, case=old, note="尽快")
    assert [c.pk for c in selectors.my_queue(cw.alice)][:2] == [urgent.pk, old.pk]


def test_a_resolved_urgent_case_is_listed_by_date_again(cw, submit):
    old, urgent, new = _three(submit)
    urgent = case_accept(by=cw.alice, case=urgent)
    case_resolve(by=cw.alice, case=urgent, result="已处理")
    assert list(selectors.cases_for(cw.carol)) == [new, urgent, old]


def test_the_residents_own_list_shows_an_open_urgent_report_first(cw, submit):
    now = clock.now()
    urgent = submit(by=cw.erin, reporter_phone="", place=cw.building2, priority="urgent", text="8栋有人晕倒",
                    now=now - dt.timedelta(hours=2))
    newer = submit(by=cw.erin, reporter_phone="", place=cw.building2, text="8栋路灯坏了", now=now)
    assert list(selectors.my_reports(cw.erin)) == [urgent, newer]


def test_api_list_and_its_queues_put_urgent_first(cw, submit):
    old, urgent, new = _three(submit)
    client = as_(cw, "carol")
    assert ids(client.get("/api/v1/cases")) == [urgent.pk, new.pk, old.pk]
    assert ids(client.get("/api/v1/cases", {"queue": "dispatch"}))[0] == urgent.pk
    assert ids(as_(cw, "alice").get("/api/v1/cases", {"queue": "mine"}))[0] == urgent.pk
    # Out of scope stays out of scope, urgent or not.
    assert ids(as_(cw, "bob").get("/api/v1/cases")) == []


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = callable_()
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_api_list_query_count_does_not_grow_with_the_cases(cw, submit):
    client = as_(cw, "carol")
    _three(submit)
    few = _queries(lambda: client.get("/api/v1/cases"))
    for index in range(6):
        submit(text=f"1栋第{index}处垃圾没人清运", priority="urgent" if index % 2 else "normal")
    assert _queries(lambda: client.get("/api/v1/cases")) == few
    assert ids(client.get("/api/v1/cases"))[:4] == [
        c.pk for c in Case.objects.filter(urgent_open=True).order_by("-created_at", "-pk")
    ]


def _workbench(client, tab: str):
    return client.get(reverse("cases:workbench"), {"tab": tab})


def test_workbench_tabs_show_urgent_first_with_flat_query_counts(client, cw, submit):
    old, urgent, new = _three(submit)
    tabs = [(cw.alice, "my"), (cw.alice, "all"), (cw.carol, "dispatch"), (cw.carol, "all")]
    counts = {}
    for user, tab in tabs:
        client.force_login(user)
        page = _workbench(client, tab).text
        where = [page.index(c.tracking_code) for c in (urgent, new, old)]
        # Urgent first; then queues go by due time (the older first), the all-cases list by date.
        assert where[0] == min(where), (user, tab)
        if tab == "all":
            assert where == sorted(where)
        counts[(user.pk, tab)] = _queries(lambda tab=tab: _workbench(client, tab))
    for index in range(6):
        submit(text=f"1栋第{index}处垃圾没人清运", priority="urgent" if index % 2 else "normal")
    for user, tab in tabs:
        client.force_login(user)
        assert _queries(lambda tab=tab: _workbench(client, tab)) == counts[(user.pk, tab)], (user, tab)
