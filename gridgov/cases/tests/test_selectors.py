from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from gridgov.cases.models import Case, EventKind, Level, State
from gridgov.cases.selectors import (
    allowed_actions,
    case_by_tracking_code,
    case_for,
    case_stats,
    case_timeline,
    cases_for,
    dispatch_queue,
    dispatch_targets,
    my_queue,
    my_reports,
    possible_duplicates,
    public_timeline,
    text_similarity,
)
from gridgov.cases.services import (
    case_accept,
    case_dispatch,
    case_escalate,
    case_note,
    case_rate,
    case_resolve,
    case_return,
)
from gridgov.core.errors import NotFound


def test_case_for_is_scoped_and_says_not_found_alike(cw, submit):
    case = submit()
    assert case_for(cw.alice, case.pk) == case
    assert case_for(cw.carol, case.pk) == case
    for outsider in (cw.bob, cw.erin, cw.pete, cw.chen):
        with pytest.raises(NotFound):
            case_for(outsider, case.pk)
    with pytest.raises(NotFound):
        case_for(cw.alice, 999999)
    with pytest.raises(NotFound):
        case_for(cw.alice, "abc")


def test_reporter_sees_own_report_read_only_and_the_public_timeline(cw, submit):
    case = submit(by=cw.erin, reporter_phone="", place=cw.building2)
    assert case_for(cw.erin, case.pk) == case
    with pytest.raises(NotFound):
        case_for(cw.erin, case.pk, for_write=True)
    assert list(my_reports(cw.erin)) == [case]
    case = case_dispatch(by=cw.carol, case=case, handler_user=cw.bob, note="内部：此户经常投诉")
    case_note(by=cw.bob, case=case, note="内部备注")
    case_note(by=cw.bob, case=case, note="已约好明天上门", public=True)
    staff = [e.kind for e in case_timeline(cw.bob, case)]
    mine = [e.kind for e in case_timeline(cw.erin, case)]
    assert staff.count(EventKind.NOTE) == 3 and mine.count(EventKind.NOTE) == 1
    texts = [entry.text for entry in public_timeline(case)]
    assert "已约好明天上门" in texts and not any("内部" in t or "bob" in t for t in texts)
    assert allowed_actions(cw.erin, case) == frozenset()
    with pytest.raises(NotFound):
        case_timeline(cw.alice, case)


def test_department_sees_only_what_is_routed_or_called_to_it(cw, submit):
    vendor = submit(text="门口流动摊贩", category="order")
    other = submit(text="垃圾没清")
    assert list(my_queue(cw.chen)) == [vendor]
    assert case_for(cw.chen, vendor.pk) == vendor
    with pytest.raises(NotFound):
        case_for(cw.chen, other.pk)
    assert list(cases_for(cw.chen)) == [vendor]


def test_queues(cw, submit):
    grid1 = submit(text="一号楼垃圾")
    grid2 = submit(place=cw.building2, text="八号楼垃圾")
    lift = submit(category="lift", text="电梯坏了")
    assert set(my_queue(cw.alice)) == {grid1}
    assert set(my_queue(cw.bob)) == {grid2}
    assert set(my_queue(cw.pete)) == {lift}
    assert set(my_queue(cw.carol)) == set()  # nothing at community level yet
    assert set(dispatch_queue(cw.carol)) == {grid1, grid2, lift}
    assert set(dispatch_queue(cw.alice)) == set()
    case_accept(by=cw.alice, case=grid1)
    assert set(my_queue(cw.frank)) == set()  # alice holds it now
    assert set(my_queue(cw.alice)) == {grid1}
    case_return(by=cw.alice, case=grid1, reason="不归我们")
    assert set(my_queue(cw.alice)) == set()
    assert dispatch_queue(cw.carol).first() == grid1  # returned cases first
    escalated = case_escalate(by=cw.bob, case=grid2, reason="社区处理")
    assert set(my_queue(cw.carol)) == {escalated}


def test_cases_for_filters(cw, submit):
    a = submit(text="一号楼垃圾")
    b = submit(
        place=cw.building2,
        text="八号楼电梯坏了",
        category="facility",
        by=cw.bob,
        channel="patrol",
        reporter_phone="",
    )
    Case.objects.filter(pk=a.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    assert set(cases_for(cw.carol)) == {a, b}
    assert list(cases_for(cw.carol, category="facility")) == [b]
    assert list(cases_for(cw.carol, place=cw.grid1)) == [a]
    assert list(cases_for(cw.carol, channel="patrol")) == [b]
    assert list(cases_for(cw.carol, since=timezone.localdate() - dt.timedelta(days=2))) == [b]
    assert list(cases_for(cw.carol, until=timezone.localdate() - dt.timedelta(days=5))) == [a]
    assert list(cases_for(cw.carol, state="open", level=Level.GRID, q=b.tracking_code)) == [b]
    assert list(cases_for(cw.carol, q="电梯")) == [b]
    assert list(cases_for(cw.carol, category="nope")) == []
    assert list(cases_for(cw.alice, place=cw.grid2)) == []


def test_anonymous_tracking_needs_code_and_phone_digits(cw, submit):
    case = submit()
    assert case_by_tracking_code(case.tracking_code.lower(), phone_last4="1234") == case
    for code, last4 in ((case.tracking_code, "9999"), (case.tracking_code, ""), ("NOPE", "1234"), ("", "")):
        with pytest.raises(NotFound):
            case_by_tracking_code(code, phone_last4=last4)
    mine = submit(by=cw.erin, reporter_phone="", place=cw.building2)
    assert case_by_tracking_code(mine.tracking_code, user=cw.erin) == mine
    with pytest.raises(NotFound):
        case_by_tracking_code(mine.tracking_code, user=cw.bob)


def test_possible_duplicates_same_category_same_building_similar_text(cw, submit):
    first = submit(text="1栋楼下垃圾桶满了好几天没人清运")
    submit(text="1栋楼下垃圾桶满了好几天没人清运", place=cw.building2)  # other building
    submit(text="楼顶有人乱搭建", category="sanitation")  # same place, different text
    new = submit(text="1栋楼下的垃圾桶满了，好几天没清运")
    found = possible_duplicates(cw.carol, new)
    assert [case for case, _score in found] == [first]
    assert found[0][1] >= 0.5
    assert possible_duplicates(cw.bob, new) == []
    assert text_similarity("", "abc") == 0.0


def test_dispatch_targets_offer_levels_people_and_organisations(cw, submit):
    targets = dispatch_targets(cw.carol, submit())
    assert [level for level, _place in targets["levels"]] == [Level.BUILDING, Level.GRID, Level.COMMUNITY]
    assert {u.username for u in targets["people"][Level.GRID]} == {"alice", "frank"}
    assert {u.username for u in targets["people"][Level.BUILDING]} == {"bea"}
    assert {o.name for o in targets["organisations"]} >= {"聚江苑物业", "城管执法中队", "市场监管所"}


def test_stats_per_place_subtree(cw, submit):
    a = submit(text="一号楼垃圾")
    b = submit(text="电梯坏了", category="lift")
    c = submit(place=cw.building2, text="八号楼垃圾", by=cw.bob, channel="patrol", reporter_phone="")
    a = case_accept(by=cw.alice, case=a)
    a = case_resolve(by=cw.alice, case=a, result="已清运")
    case_rate(by=AnonymousUser(), case=a, rating=5, phone_last4="1234")
    Case.objects.filter(pk=b.pk).update(due_accept_at=timezone.now() - dt.timedelta(hours=1))

    whole = case_stats(cw.carol)
    assert (whole["received"], whole["resolved"], whole["overdue"], whole["open"]) == (3, 1, 1, 2)
    assert whole["satisfaction_rate"] == 1.0 and whole["avg_rating"] == 5
    assert whole["avg_accept_hours"] is not None and whole["avg_resolve_hours"] is not None
    by_category = {row["code"]: row["received"] for row in whole["by_category"]}
    assert by_category == {"facility": 1, "sanitation": 2}
    by_channel = {row["code"]: row["received"] for row in whole["by_channel"]}
    assert by_channel == {"resident_web": 2, "patrol": 1}
    assert case_stats(cw.carol, place=cw.grid2)["received"] == 1
    assert case_stats(cw.frank)["received"] == 2  # grid head: grid 1 only
    assert case_stats(cw.carol, since=timezone.localdate() + dt.timedelta(days=1))["received"] == 0
    with pytest.raises(NotFound):
        case_stats(cw.frank, place=cw.grid2)
    with pytest.raises(NotFound):
        case_stats(cw.alice)  # grid workers have no statistics capability
    assert c.state == State.NEW


def test_one_case_joins_four_relations_and_fetches_the_rest_once(cw, submit, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = case_accept(by=cw.alice, case=submit())
    with CaptureQueriesContext(connection) as read:
        found = case_for(cw.alice, case.pk)
    # Planning doubles with each join past four on PostgreSQL (10 ms with eight on a million cases).
    assert read.captured_queries[0]["sql"].count(" JOIN ") <= 4
    # The holder came with it; the empty relations cost nothing either.
    assert len(read.captured_queries) == 2
    with django_assert_num_queries(0):
        assert found.handler_user == cw.alice
        assert (found.handler_org, found.dispatcher, found.merged_into) == (None, None, None)
        assert found.category.code and found.place == cw.building1
