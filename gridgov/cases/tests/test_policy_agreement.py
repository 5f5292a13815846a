"""Buttons and services cannot disagree: for personas × cases in many states, every action that
`policy.allowed()` offers succeeds through its service, and every other action is refused by the
service with NotFound, Forbidden or CaseConflict (never a half-done write, never a field error
standing in for a permission)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.scope import SYSTEM
from gridgov.cases import policy
from gridgov.cases import services as cs
from gridgov.cases.models import OPEN_STATES, Case, CaseCall, Channel, Level
from gridgov.core.errors import Forbidden, NotFound

REFUSALS = (Forbidden, NotFound, policy.CaseConflict)


class _Rollback(Exception):
    pass


def _report(cw, **extra) -> Case:
    fields = {
        "by": cw.erin,
        "text": "1栋门口的垃圾好几天没人清运，味道很大",
        "channel": Channel.RESIDENT_WEB,
        "place": cw.building1,
        "reporter_phone": "13700001234",
        "category": "sanitation",
    }
    fields.update(extra)
    return cs.case_submit(**fields)


def _scenarios(cw) -> dict[str, Case]:
    """Cases in the states the loop passes through, each built through the real services."""
    made: dict[str, Case] = {}
    made["new"] = _report(cw)
    made["accepted"] = cs.case_accept(by=cw.alice, case=_report(cw))
    made["in_progress"] = cs.case_start(by=cw.alice, case=cs.case_accept(by=cw.alice, case=_report(cw)))
    resolved = cs.case_resolve(by=cw.alice, case=cs.case_accept(by=cw.alice, case=_report(cw)), result="已清运")
    made["resolved"] = resolved
    made["closed"] = cs.case_rate(
        by=cw.erin,
        case=cs.case_resolve(by=cw.alice, case=cs.case_accept(by=cw.alice, case=_report(cw)), result="已清运"),
        rating=5,
    )
    made["reopened"] = cs.case_rate(
        by=cw.erin,
        case=cs.case_resolve(by=cw.alice, case=cs.case_accept(by=cw.alice, case=_report(cw)), result="已清运"),
        rating=1,
    )
    made["rejected"] = cs.case_reject(by=cw.carol, case=_report(cw), reason="重复反映")
    community = cs.case_escalate(by=cw.alice, case=_report(cw), reason="网格解决不了")
    made["community"] = community
    called = cs.case_escalate(by=cw.alice, case=_report(cw), reason="需要部门")
    cs.case_whistle(
        by=cw.carol,
        case=called,
        organisations=[cw.market],
        deadline=timezone.now() + dt.timedelta(days=1),
    )
    made["whistled"] = Case.objects.get(pk=called.pk)
    street = cs.case_escalate(by=cw.carol, case=cs.case_escalate(by=cw.alice, case=_report(cw), reason="上报"), reason="上报街道")
    made["street"] = street
    made["department"] = cs.case_escalate(
        by=cw.sam,
        case=cs.case_escalate(by=cw.carol, case=cs.case_escalate(by=cw.alice, case=_report(cw), reason="上报"), reason="上报街道"),
        reason="城管执法",
        organisation=cw.chengguan,
    )
    made["property"] = _report(cw, category="lift", text="1栋电梯坏了，困人了", place=cw.building1)
    made["anonymous"] = _report(cw, by=AnonymousUser())
    made["merged"] = cs.case_merge(by=cw.carol, case=_report(cw), into=_report(cw))
    return made


def _attempt(action: str, by: Any, case: Case, cw, spare: Case) -> Callable[[], Any] | None:
    """The service call for `action` with arguments that are valid whenever the action is allowed."""
    level = Level.COMMUNITY if case.level == Level.GRID else Level.GRID
    called = {c.organisation_id for c in CaseCall.objects.filter(case=case)}
    organisation = next(o for o in (cw.market, cw.police, cw.chengguan) if o.pk not in called)
    calls: dict[str, Callable[[], Any]] = {
        "accept": lambda: cs.case_accept(by=by, case=case),
        "start": lambda: cs.case_start(by=by, case=case),
        "accept_start": lambda: cs.case_accept_start(by=by, case=case),
        "urge": lambda: cs.case_urge(by=by, case=case, note="请尽快处理"),
        "note": lambda: cs.case_note(by=by, case=case, note="已到现场查看"),
        "resolve": lambda: cs.case_resolve(by=by, case=case, result="已处理完毕"),
        "return": lambda: cs.case_return(by=by, case=case, reason="不属于本级"),
        "classify": lambda: cs.case_classify(by=by, case=case, category="facility"),
        "escalate": lambda: cs.case_escalate(
            by=by,
            case=case,
            reason="需要上级协调",
            organisation=cw.chengguan if case.level == Level.STREET else None,
        ),
        "dispatch": lambda: cs.case_dispatch(by=by, case=case, level=level),
        "merge": lambda: cs.case_merge(by=by, case=case, into=spare),
        "reject": lambda: cs.case_reject(by=by, case=case, reason="不属实"),
        "whistle": lambda: cs.case_whistle(
            by=by, case=case, organisations=[organisation], deadline=timezone.now() + dt.timedelta(days=1)
        ),
        "supervise": lambda: cs.case_supervise(by=by, case=case, note="请加快办理"),
        "rate": lambda: cs.case_rate(by=by, case=case, rating=5),
        "reveal_reporter": lambda: cs.case_reveal_reporter_phone(by=by, case=case, purpose="回访核实"),
        "publish": lambda: cs.case_publish_summary(by=by, case=case, summary="已安排清运，请居民放心"),
    }
    if action == "call_report":
        org_id = policy.org_handles(by) if by is not SYSTEM else None
        pending = CaseCall.objects.filter(case=case, reported_at__isnull=True)
        own = pending.filter(organisation_id=org_id).first() if org_id is not None else None
        call = own or pending.first() or CaseCall.objects.filter(case=case).first()
        if call is None:
            return None  # nothing to report on: no button, and no way to call the service
        return lambda: cs.case_call_report(by=by, call=call, note="已到场处置")
    return calls[action]


def test_allowed_actions_are_exactly_what_the_services_let_through(cw):
    made = _scenarios(cw)
    spare = _report(cw, text="1栋门口垃圾堆了好几天，臭味很重")
    personas = {
        "alice": cw.alice,
        "bob": cw.bob,
        "carol": cw.carol,
        "cora": cw.cora,
        "dave": cw.dave,
        "bea": cw.bea,
        "sam": cw.sam,
        "pete": cw.pete,
        "zhi": cw.zhi,
        "chen": cw.chen,
        "erin": cw.erin,
        "admin": cw.admin,
        "public": AnonymousUser(),
        "system": SYSTEM,
    }
    disagreements: list[str] = []
    offered = 0
    for state, built in made.items():
        for who, user in personas.items():
            case = Case.objects.get(pk=built.pk)
            allowed = policy.allowed(user, case)
            for action in policy.ACTIONS:
                case = Case.objects.get(pk=built.pk)
                attempt = _attempt(action, user, case, cw, spare)
                if attempt is None:
                    if action in allowed:
                        disagreements.append(f"{state}/{who}/{action}: offered without a call to report on")
                    continue
                outcome = "ok"
                try:
                    with transaction.atomic():
                        attempt()
                        raise _Rollback
                except _Rollback:
                    pass
                except REFUSALS as exc:
                    outcome = f"refused: {type(exc).__name__} {exc}"
                except ValidationError as exc:
                    outcome = f"field error: {exc}"
                if action in allowed:
                    offered += 1
                    if outcome != "ok":
                        disagreements.append(f"{state}/{who}/{action}: offered but {outcome}")
                elif not outcome.startswith("refused"):
                    disagreements.append(f"{state}/{who}/{action}: not offered but {outcome}")
    assert not disagreements, "\n".join(disagreements)
    assert offered > 100  # the matrix exercises the loop, not just refusals


def test_check_gives_the_reason_and_the_right_kind_of_refusal(cw):
    case = _report(cw)
    with pytest.raises(NotFound):
        policy.check("accept", cw.bob, case)  # grid 2's worker cannot see a grid 1 case at all
    with pytest.raises(Forbidden) as refused:
        policy.check("resolve", cw.carol, case)
    assert str(refused.value) == "只有承办人可以办结"
    case = cs.case_accept(by=cw.alice, case=case)
    with pytest.raises(policy.CaseConflict) as conflict:
        policy.check("accept", cw.alice, case)
    assert conflict.value.message_dict == {"state": ["您已受理该事件"]}
    # A superuser is not the handler: resolving someone else's case is refused like anyone's.
    assert "resolve" not in policy.allowed(cw.admin, case)
    with pytest.raises(Forbidden):
        cs.case_resolve(by=cw.admin, case=case, result="已处理")
    assert {"start", "resolve", "note", "return"} <= policy.allowed(cw.alice, case)
    assert case.state in OPEN_STATES
