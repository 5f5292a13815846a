"""Rating (回访), reopening once, merging duplicates, and 吹哨/报到."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.cases.models import CaseCall, CaseEvent, EventKind, Level, State
from gridgov.cases.selectors import allowed_actions, case_calls, public_status, public_timeline
from gridgov.cases.services import (
    CaseConflict,
    case_accept,
    case_call_report,
    case_dispatch,
    case_escalate,
    case_merge,
    case_note,
    case_rate,
    case_resolve,
    case_whistle,
)
from gridgov.core.errors import Forbidden, NotFound
from gridgov.notifications.models import Notification


def resolved_case(cw, submit, **fields):
    case = submit(by=cw.erin, reporter_phone="", place=cw.building2, **fields)
    case = case_dispatch(by=cw.carol, case=case, handler_user=cw.bob)
    case = case_accept(by=cw.bob, case=case)
    return case_resolve(by=cw.bob, case=case, result="已修好")


def test_satisfied_rating_closes(cw, submit):
    case = resolved_case(cw, submit)
    assert "rate" in allowed_actions(cw.erin, case)
    with pytest.raises(NotFound):
        case_rate(by=cw.alice, case=case, rating=5)
    with pytest.raises(ValidationError) as exc:
        case_rate(by=cw.erin, case=case, rating=6)
    assert exc.value.message_dict == {"rating": ["评价须为1到5分"]}
    case = case_rate(by=cw.erin, case=case, rating=4, comment="很及时")
    assert (case.state, case.rating, case.rating_comment) == (State.CLOSED, 4, "很及时")
    with pytest.raises(CaseConflict):
        case_rate(by=cw.erin, case=case, rating=5)


def test_unsatisfied_reopens_once_to_the_supervisor_not_the_dispatcher(cw, submit):
    case = resolved_case(cw, submit)
    Notification.objects.all().delete()
    case = case_rate(by=cw.erin, case=case, rating=2, comment="根本没修")
    assert (case.state, case.reopen_count, case.level, case.handler_user) == (
        State.NEW,
        1,
        Level.COMMUNITY,
        None,
    )
    assert set(case.excluded_reviewers) == {cw.carol.pk, cw.bob.pk}
    assert "carol" in set(
        Notification.objects.filter(kind="case.reopened").values_list("recipient__username", flat=True)
    )
    # carol dispatched it: she may not review it; her colleague cora may.
    with pytest.raises(Forbidden) as exc:
        case_accept(by=cw.carol, case=case)
    assert str(exc.value) == "重办事件须由原派单人和原承办人以外的人员复核"
    assert "accept" not in allowed_actions(cw.carol, case)
    case = case_accept(by=cw.cora, case=case)
    case = case_resolve(by=cw.cora, case=case, result="已更换配件并复查")
    # A second unsatisfied rating closes: the reopen happens once.
    case = case_rate(by=cw.erin, case=case, rating=1)
    assert (case.state, case.reopen_count, case.rating) == (State.CLOSED, 1, 1)
    kinds = list(
        CaseEvent.objects.filter(case=case, kind__in=[EventKind.RATED, EventKind.REOPENED]).values_list(
            "kind", flat=True
        )
    )
    assert kinds == ["rated", "reopened", "rated"]


def test_anonymous_reporter_rates_with_the_phone_digits(cw, submit):
    case = case_accept(by=cw.alice, case=submit())
    case = case_resolve(by=cw.alice, case=case, result="已清运")
    with pytest.raises(NotFound):
        case_rate(by=AnonymousUser(), case=case, rating=5, phone_last4="0000")
    case = case_rate(by=AnonymousUser(), case=case, rating=5, phone_last4="1234")
    assert case.state == State.CLOSED


def test_merge_duplicates_and_every_reporter_gets_the_outcome(cw, submit):
    main = submit(by=cw.erin, reporter_phone="", place=cw.building2, text="8栋门口污水外溢")
    dup = submit(place=cw.building2, text="8栋门口下水道堵了污水外溢", reporter_phone="13600005555")
    with pytest.raises(Forbidden):
        case_merge(by=cw.bob, case=dup, into=main)
    with pytest.raises(ValidationError) as exc:
        case_merge(by=cw.carol, case=dup, into=dup)
    assert exc.value.message_dict == {"into": ["不能合并到自身"]}
    dup = case_merge(by=cw.carol, case=dup, into=main)
    assert (dup.state, dup.merged_into) == (State.MERGED, main)
    assert public_status(dup) == ("open", f"已与{main.tracking_code}合并处理")
    main = case_accept(by=cw.bob, case=main)
    case_resolve(by=cw.bob, case=main, result="已疏通下水道")
    dup.refresh_from_db()
    assert dup.result == "已疏通下水道" and dup.state == State.MERGED
    assert public_status(dup) == ("closed", "已疏通下水道")
    texts = [entry.text for entry in public_timeline(dup)]
    assert texts[0] == "已收到您的反映" and texts[-1] == "已疏通下水道"
    assert Notification.objects.filter(recipient=cw.erin, kind="case.resolved").exists()
    with pytest.raises(ValidationError) as exc:
        case_merge(by=cw.carol, case=submit(place=cw.building2), into=main)
    assert exc.value.message_dict == {"into": ["目标事件已办结，只能合并到未办结的事件"]}


def test_whistle_calls_departments_who_report_back(cw, submit):
    case = submit()
    deadline = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(Forbidden) as exc:
        case_whistle(by=cw.carol, case=case, organisations=[cw.market], deadline=deadline)
    assert str(exc.value) == "只有社区或街道层级的事件可以吹哨"
    case = case_escalate(by=cw.alice, case=case, reason="需要部门")
    with pytest.raises(Forbidden):
        case_whistle(by=cw.alice, case=case, organisations=[cw.market], deadline=deadline)
    with pytest.raises(ValidationError) as exc:
        case_whistle(
            by=cw.carol, case=case, organisations=[cw.market], deadline=timezone.now() - dt.timedelta(hours=1)
        )
    assert exc.value.message_dict == {"deadline": ["报到期限须晚于当前时间"]}
    calls = case_whistle(
        by=cw.carol,
        case=case,
        organisations=[cw.market, cw.chengguan],
        deadline=deadline,
        note="电梯维保不到位",
    )
    assert len(calls) == 2
    assert Notification.objects.filter(recipient=cw.zhi, kind="case.whistle").exists()
    with pytest.raises(ValidationError) as exc:
        case_whistle(by=cw.carol, case=case, organisations=[cw.market], deadline=deadline)
    assert exc.value.message_dict == {"organisations": ["已呼叫过市场监管所"]}

    # The called department now sees the case and may report and add notes, not take it over.
    market_call = CaseCall.objects.get(case=case, organisation=cw.market)
    assert allowed_actions(cw.zhi, case) >= {"call_report", "note"}
    assert "accept" not in allowed_actions(cw.zhi, case)
    with pytest.raises(Forbidden) as exc:
        case_call_report(by=cw.chen, call=market_call, note="我们去了")
    assert str(exc.value) == "只有市场监管所可以报到"
    with pytest.raises(NotFound):
        case_call_report(by=cw.wang, call=market_call, note="?")
    case_call_report(by=cw.zhi, call=market_call, note="已到场检查，责令维保单位整改")
    case_note(by=cw.zhi, case=case, note="整改通知书已送达")
    with pytest.raises(CaseConflict):
        case_call_report(by=cw.zhi, call=market_call, note="再报一次")
    reported = {c.organisation.name: c.reported_at is not None for c in case_calls(case)}
    assert reported == {"市场监管所": True, "城管执法中队": False}
    assert Notification.objects.filter(recipient=cw.carol, kind="case.call_report").exists()
    case = case_accept(by=cw.carol, case=case)
    case = case_resolve(by=cw.carol, case=case, result="维保单位已整改，电梯恢复运行")
    texts = [e.text for e in public_timeline(case)]
    assert "呼叫市场监管所、城管执法中队协同处置" in texts
    assert "市场监管所已报到" in texts
