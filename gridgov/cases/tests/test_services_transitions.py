from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.scope import SYSTEM
from gridgov.audit.models import AuditEntry
from gridgov.cases.models import CaseEvent, EventKind, Level, State
from gridgov.cases.selectors import allowed_actions
from gridgov.cases.services import (
    CaseConflict,
    case_accept,
    case_classify,
    case_dispatch,
    case_escalate,
    case_note,
    case_reject,
    case_resolve,
    case_return,
    case_reveal_reporter_phone,
    case_start,
    case_supervise,
)
from gridgov.core.errors import Forbidden, NotFound
from gridgov.notifications.models import Notification
from gridgov.triage.models import Correction


def kinds(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("kind", flat=True))


def test_happy_path_accept_start_note_resolve_writes_the_timeline(cw, submit):
    case = submit()
    assert "accept" in allowed_actions(cw.alice, case)
    case = case_accept(by=cw.alice, case=case)
    assert (case.state, case.handler_user, case.accept_seconds is not None) == (
        State.ACCEPTED,
        cw.alice,
        True,
    )
    assert allowed_actions(cw.alice, case) >= {"start", "resolve", "note", "return", "escalate"}
    assert "accept" not in allowed_actions(cw.frank, case)
    case = case_start(by=cw.alice, case=case)
    case_note(by=cw.alice, case=case, note="已联系环卫所", public=False)
    case = case_resolve(by=cw.alice, case=case, result="垃圾已清运，已通知物业每日巡查")
    assert case.state == State.RESOLVED and case.resolved_at and case.resolve_seconds is not None
    assert kinds(case) == ["submitted", "accepted", "started", "note", "resolved"]
    last = CaseEvent.objects.filter(case=case).last()
    assert (last.from_state, last.to_state, last.public, last.actor) == (
        "in_progress",
        "resolved",
        True,
        cw.alice,
    )
    assert AuditEntry.objects.filter(target_type="cases.case", target_id=str(case.pk)).count() == 5


def test_who_may_not_accept(cw, submit):
    case = submit()
    with pytest.raises(NotFound):
        case_accept(by=cw.bob, case=case)  # grid 2 does not even see it
    with pytest.raises(NotFound):
        case_accept(by=cw.erin, case=case)
    with pytest.raises(Forbidden) as exc:
        case_accept(by=cw.dave, case=case)  # volunteer: sees, may not handle
    assert str(exc.value) == "您不负责该事件，不能受理"
    with pytest.raises(Forbidden):
        case_accept(by=cw.bea, case=case)  # building head: the case is at grid level


def test_second_accept_gets_a_clear_message(cw, submit):
    case = submit()
    case_accept(by=cw.alice, case=case)
    with pytest.raises(CaseConflict) as exc:
        case_accept(by=cw.frank, case=case)
    assert exc.value.message_dict == {"state": ["该事件已由alice受理，无需重复受理"]}
    with pytest.raises(CaseConflict) as exc:
        case_accept(by=cw.alice, case=case)
    assert exc.value.message_dict == {"state": ["您已受理该事件"]}


def test_only_the_handler_starts_and_resolves(cw, submit):
    case = case_accept(by=cw.alice, case=submit())
    with pytest.raises(Forbidden):
        case_start(by=cw.frank, case=case)
    with pytest.raises(Forbidden):
        case_resolve(by=cw.frank, case=case, result="好了")
    with pytest.raises(ValidationError) as exc:
        case_resolve(by=cw.alice, case=case, result=" ")
    assert exc.value.message_dict == {"result": ["请填写办理结果"]}
    resolved = case_resolve(by=cw.alice, case=case, result="已处理")
    with pytest.raises(CaseConflict):
        case_start(by=cw.alice, case=resolved)


def test_dispatch_to_a_person_and_to_an_organisation(cw, submit):
    case = submit()
    with pytest.raises(Forbidden):
        case_dispatch(by=cw.alice, case=case, handler_user=cw.frank)  # grid workers do not dispatch
    with pytest.raises(ValidationError) as exc:
        case_dispatch(by=cw.carol, case=case, handler_user=cw.bob)
    assert exc.value.message_dict == {"handler_user": ["bob不负责第一网格的事件"]}
    case = case_dispatch(by=cw.carol, case=case, handler_user=cw.frank, note="请今天处理")
    assert (case.handler_user, case.dispatcher, case.state) == (cw.frank, cw.carol, State.NEW)
    assert "accept" not in allowed_actions(cw.alice, case) and "accept" in allowed_actions(cw.frank, case)
    with pytest.raises(Forbidden) as exc:
        case_accept(by=cw.alice, case=case)
    assert str(exc.value) == "该事件已交办给frank"
    assert Notification.objects.filter(recipient=cw.frank, kind="case.dispatched").exists()

    case = case_dispatch(by=cw.carol, case=case, handler_org=cw.property_co, handler_user=None)
    assert case.handler_org == cw.property_co and case.handler_user is None
    case = case_accept(by=cw.pete, case=case)
    assert case.handler_user == cw.pete
    with pytest.raises(ValidationError) as exc:
        case_dispatch(by=cw.carol, case=case, level=Level.DEPARTMENT)
    assert exc.value.message_dict == {"handler_org": ["交办到部门须选择承办部门"]}
    with pytest.raises(Forbidden) as exc:
        case_dispatch(by=cw.carol, case=case, level=Level.STREET)
    assert str(exc.value) == "您无权交办到芙蓉北路街道"
    events = list(
        CaseEvent.objects.filter(case=case, kind=EventKind.DISPATCHED).values_list("note", flat=True)
    )
    assert events == ["交办至frank", "交办至聚江苑物业"]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.NOTE, note="请今天处理", public=False).exists()


def test_building_level_case_goes_to_the_building_head(cw, submit):
    from gridgov.cases.services import category_update

    category_update(by=SYSTEM, category=cw.sanitation, start_level=Level.BUILDING)
    case = submit()
    assert case.level == Level.BUILDING and case.level_place == cw.building1
    assert set(
        Notification.objects.filter(kind="case.new").values_list("recipient__username", flat=True)
    ) == {"bea"}
    case = case_accept(by=cw.bea, case=case)
    case = case_escalate(by=cw.bea, case=case, reason="需要网格协调")
    assert (case.level, case.level_place, case.state, case.handler_user) == (
        Level.GRID,
        cw.grid1,
        State.NEW,
        None,
    )
    ev = CaseEvent.objects.filter(case=case).last()
    assert (ev.kind, ev.from_level, ev.to_level, ev.public) == (EventKind.ESCALATED, "building", "grid", True)
    with pytest.raises(Forbidden):
        case_accept(by=cw.bea, case=case)
    case_accept(by=cw.alice, case=case)


def test_reject_with_reason_told_to_the_reporter(cw, submit):
    case = submit(by=cw.erin, place=cw.building2, reporter_phone="")
    with pytest.raises(Forbidden):
        case_reject(by=cw.bob, case=case, reason="不属于我们")
    with pytest.raises(ValidationError) as exc:
        case_reject(by=cw.carol, case=case, reason="")
    assert exc.value.message_dict == {"reason": ["请填写不予受理的原因"]}
    case = case_reject(by=cw.carol, case=case, reason="属于私人合同纠纷，请通过法律途径解决")
    assert case.state == State.REJECTED and case.reject_reason.startswith("属于私人")
    assert Notification.objects.filter(recipient=cw.erin, kind="case.rejected").exists()
    with pytest.raises(CaseConflict):
        case_accept(by=cw.bob, case=case)


def test_return_to_dispatcher(cw, submit):
    case = case_dispatch(by=cw.carol, case=submit(), handler_user=cw.alice)
    case = case_accept(by=cw.alice, case=case)
    with pytest.raises(Forbidden):
        case_return(by=cw.frank, case=case, reason="x")
    case = case_return(by=cw.alice, case=case, reason="这是二网格的")
    assert (case.state, case.handler_user, case.needs_dispatch) == (State.NEW, None, True)
    assert Notification.objects.filter(recipient=cw.carol, kind="case.returned").exists()
    ev = CaseEvent.objects.filter(case=case).last()
    assert (ev.kind, ev.public, ev.note) == (EventKind.RETURNED, False, "这是二网格的")


def test_escalate_by_hand_up_the_ladder_and_street_needs_a_department(cw, submit):
    case = submit()
    case = case_escalate(by=cw.alice, case=case, reason="需要社区协调")
    assert (case.level, case.level_place) == (Level.COMMUNITY, cw.community)
    assert Notification.objects.filter(recipient=cw.carol, kind="case.escalated").exists()
    case = case_escalate(by=cw.carol, case=case, reason="涉及多个部门")
    assert case.level == Level.STREET
    with pytest.raises(ValidationError) as exc:
        case_escalate(by=cw.sam, case=case, reason="请部门处理")
    assert exc.value.message_dict == {"organisation": ["街道上报到部门须选择承办部门，或使用“吹哨”呼叫部门"]}
    case = case_escalate(by=cw.sam, case=case, reason="请城管处理", organisation=cw.chengguan)
    assert (case.level, case.handler_org) == (Level.DEPARTMENT, cw.chengguan)
    case = case_accept(by=cw.chen, case=case)
    assert case.handler_user == cw.chen
    with pytest.raises(CaseConflict):
        case_escalate(by=cw.chen, case=case, reason="再往上")


def test_classify_corrects_reroutes_and_records_the_correction(cw, submit):
    case = submit(text="小区里电梯不动了")
    assert case.level_place == cw.grid1
    with pytest.raises(Forbidden):
        case_classify(by=cw.dave, case=case, category="facility")
    case = case_classify(by=cw.carol, case=case, category="facility", subcategory="lift", priority="urgent")
    assert case.category_confirmed and case.subcategory == cw.lift and case.priority == "urgent"
    assert case.handler_org == cw.property_co  # the lift rule now applies
    correction = Correction.objects.get(case_id=case.pk)
    assert (correction.category, correction.urgency) == ("facility", "urgent")
    with pytest.raises(ValidationError) as exc:
        case_classify(by=cw.carol, case=case, category="sanitation", subcategory="lift")
    assert exc.value.message_dict == {"subcategory": ["子分类不属于所选分类"]}


def test_supervise_only_by_superiors(cw, submit):
    case = case_accept(by=cw.alice, case=submit())
    with pytest.raises(Forbidden):
        case_supervise(by=cw.frank, case=case, note="快点")
    case = case_supervise(by=cw.carol, case=case, note="请今天办结")
    assert case.supervised
    assert Notification.objects.filter(recipient=cw.alice, kind="case.supervised").exists()
    assert not CaseEvent.objects.get(case=case, kind=EventKind.SUPERVISED).public


def test_reporter_phone_reveal_is_audited_and_limited(cw, submit):
    from gridgov.audit.models import AuditAction

    case = submit()
    assert case_reveal_reporter_phone(by=cw.alice, case=case, purpose="回访") == "13700001234"
    assert AuditEntry.objects.filter(
        action=AuditAction.VIEW_PII, target_id=str(case.pk), purpose="回访"
    ).exists()
    with pytest.raises(Forbidden):
        case_reveal_reporter_phone(by=cw.dave, case=case, purpose="好奇")
    with pytest.raises(NotFound):
        case_reveal_reporter_phone(by=cw.bob, case=case, purpose="好奇")


def test_events_are_append_only(cw, submit):
    case = submit()
    event = CaseEvent.objects.get(case=case)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        CaseEvent.objects.filter(case=case).update(note="x")
    with pytest.raises(PermissionError):
        CaseEvent.objects.filter(case=case).delete()
