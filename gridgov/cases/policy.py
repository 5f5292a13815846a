"""Who may do what to a case: one rule per action, in one table.

`check(action, user, case)` is what every case service calls after locking the row; `allowed(user,
case)` is the set of actions whose rule passes, which is what the pages and the API offer. Both
read the same `RULES`, so a button and its service cannot disagree.

Order of refusals: a case the user cannot see at all is `NotFound` (alike for a missing one); a
case they can see but may not act on is `Forbidden` with the reason; an action that is theirs
but not possible in the case's state is `CaseConflict`."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, TypeGuard

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import (
    has_capability,
    has_capability_at,
    is_system,
    is_unrestricted,
    paths_with,
    require_actor,
    subtree_q,
)
from gridgov.cases.models import OPEN_STATES, Case, CaseCall, Level, State
from gridgov.core.errors import Forbidden, NotFound, field_error

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor, SystemActor
    from gridgov.orgs.models import Organisation


class CaseConflict(ValidationError):
    """The case moved on under the user (someone else accepted it, it was closed …)."""

    def __init__(self, message: str) -> None:
        super().__init__({"state": [message]})


def _active(user: Actor | None) -> TypeGuard[User | SystemActor]:
    # The anonymous public is never active staff: what is left is a user or the system actor.
    return bool(user is not None and user.is_authenticated and user.is_active)


def org_handles(user: Actor | None) -> int | None:
    """The organisation whose routed cases `user` handles, if any."""
    if not _active(user) or not user.organisation_id:
        return None
    return user.organisation_id if has_capability(user, caps.CASES_ORG_HANDLE) else None


def staff_q(user: User) -> Q:
    """Cases a staff member may see: their place scope, their organisation's cases, their own."""
    if is_unrestricted(user):
        return Q()
    return staff_q_of(paths_with(user, caps.CASES_VIEW), user.pk, org_handles(user))


def staff_q_of(paths: list[str], user_id: int, org_id: int | None) -> Q:
    """`staff_q` of a user known by their scope's paths, id and organisation (a restricted user)."""
    condition = subtree_q(paths, "place_path") | Q(handler_user_id=user_id)
    if org_id:
        condition |= Q(handler_org_id=org_id) | Q(
            pk__in=CaseCall.objects.filter(organisation_id=org_id).values("case_id")
        )
    return condition


def reporter_q(user: User) -> Q:
    condition = Q(reporter_user_id=user.pk)
    if getattr(user, "resident_id", None):
        condition |= Q(reporter_resident_id=user.resident_id)
    return condition


def visible_q(user: User) -> Q:
    if is_unrestricted(user):
        return Q()  # `Q() | q` is just `q`: the empty "everything" would vanish in the OR
    return staff_q(user) | reporter_q(user)


def takes_cases(organisation: Organisation) -> bool:
    """Whether a case may be handed to the organisation (交办, 吹哨, 上报, routing rules):
    departments and property companies always, units and social organisations only when flagged
    承办事件 — the same rule as the forms' choices (`orgs.selectors.case_handling_organisations`),
    so a forged request cannot give a case to a school."""
    from gridgov.orgs.models import CASE_HANDLING_KINDS, CASE_HANDLING_OPT_IN_KINDS

    if not organisation.is_active:
        return False
    return organisation.kind in CASE_HANDLING_KINDS or (
        organisation.kind in CASE_HANDLING_OPT_IN_KINDS and organisation.handles_cases
    )


def refuse_unless_takes_cases(organisation: Organisation, field: str) -> None:
    if not takes_cases(organisation):
        raise field_error(field, f"{organisation.name}不承办事件，请选择部门、物业公司或已设为承办事件的单位")


def is_reporter(user: Actor | None, case: Case) -> bool:
    if not _active(user):
        return False
    if case.reporter_user_id and case.reporter_user_id == user.pk:
        return True
    return bool(case.reporter_resident_id and case.reporter_resident_id == getattr(user, "resident_id", None))


def is_staff_viewer(user: Actor | None, case: Case) -> bool:
    if not _active(user):
        return False
    if (
        is_unrestricted(user)
        or case.handler_user_id == user.pk
        or has_capability_at(user, caps.CASES_VIEW, case.place_path)
    ):
        return True
    org_id = org_handles(user)
    return bool(
        org_id
        and (
            case.handler_org_id == org_id
            or CaseCall.objects.filter(case=case, organisation_id=org_id).exists()
        )
    )


def is_excluded_reviewer(user: Actor, case: Case) -> bool:
    return bool(case.reopen_count and user.pk in (case.excluded_reviewers or []))


def can_handle(user: Actor | None, case: Case) -> bool:
    """The current handler, or — while nobody holds the case — anyone responsible at its level."""
    if not _active(user) or is_excluded_reviewer(user, case):
        return False
    if case.handler_user_id:
        return case.handler_user_id == user.pk or is_unrestricted(user)
    if case.handler_org_id:
        return org_handles(user) == case.handler_org_id or is_unrestricted(user)
    if case.level == Level.DEPARTMENT:
        return is_unrestricted(user)
    return has_capability_at(user, caps.CASES_HANDLE, case.level_path)


def is_current_handler(user: Actor | None, case: Case) -> bool:
    if not _active(user):
        return False
    if case.handler_user_id:
        return case.handler_user_id == user.pk
    return bool(case.handler_org_id and org_handles(user) == case.handler_org_id)


def can_dispatch(user: Actor | None, case: Case) -> bool:
    if not _active(user) or is_excluded_reviewer(user, case):
        return False
    return has_capability_at(user, caps.CASES_DISPATCH, case.level_path)


def can_supervise(user: Actor | None, case: Case) -> bool:
    return _active(user) and has_capability_at(user, caps.CASES_SUPERVISE, case.level_path)


def can_publish(user: Actor | None, case: Case) -> bool:
    """公开摘要: what the community publishes about a case is decided by those who dispatch or
    supervise where it happened (a grid worker or a department does not speak for it)."""
    if is_system(user):
        return True
    if not _active(user):
        return False
    return has_capability_at(user, caps.CASES_DISPATCH, case.place_path) or has_capability_at(
        user, caps.CASES_SUPERVISE, case.place_path
    )


def called_org_pending(user: Actor | None, case: Case) -> CaseCall | None:
    org_id = org_handles(user)
    if not org_id:
        return None
    return CaseCall.objects.filter(case=case, organisation_id=org_id, reported_at__isnull=True).first()


def is_called(user: Actor | None, case: Case) -> bool:
    org_id = org_handles(user)
    return bool(org_id and CaseCall.objects.filter(case=case, organisation_id=org_id).exists())


class _Facts:
    """What the rules ask about one user and one case, each computed at most once."""

    def __init__(self, user: Actor, case: Case, phone_last4: str = "") -> None:
        self.user, self.case, self.phone_last4 = user, case, phone_last4
        self.system = is_system(user)

    @cached_property
    def reporter(self) -> bool:
        return is_reporter(self.user, self.case)

    @cached_property
    def proven_by_code(self) -> bool:
        """The anonymous reporter, proven by the last four digits of the phone they left."""
        last4 = self.case.reporter_phone_last4
        return (
            len(self.phone_last4) == 4 and len(last4) == 4 and constant_time_compare(self.phone_last4, last4)
        )

    @cached_property
    def visible(self) -> bool:
        return self.system or self.reporter or self.proven_by_code or is_staff_viewer(self.user, self.case)

    @cached_property
    def handle(self) -> bool:
        return can_handle(self.user, self.case)

    @cached_property
    def dispatch(self) -> bool:
        return can_dispatch(self.user, self.case)

    @cached_property
    def supervise(self) -> bool:
        return can_supervise(self.user, self.case)

    @cached_property
    def current(self) -> bool:
        return self.system or is_current_handler(self.user, self.case)

    @cached_property
    def holds_it(self) -> bool:
        """The person the case is in the hands of (start and resolve are theirs alone)."""
        return bool(self.case.handler_user_id and self.case.handler_user_id == self.user.pk)

    @cached_property
    def calls(self) -> list[CaseCall]:
        """The calls (吹哨) this user may report on: their organisation's (a system administrator
        does not report for a department); any, for the system."""
        if self.system:
            return list(CaseCall.objects.filter(case=self.case).select_related("organisation"))
        org_id = org_handles(self.user)
        if not org_id:
            return []
        return list(
            CaseCall.objects.filter(case=self.case, organisation_id=org_id).select_related("organisation")
        )

    @property
    def is_open(self) -> bool:
        return self.case.state in OPEN_STATES

    def conflict(self, verb: str) -> CaseConflict:
        return CaseConflict(f"事件{self.case.get_state_display()}，{verb}")


Refusal = Exception | None
Rule = Callable[[_Facts], Refusal]


def _accept(f: _Facts) -> Refusal:
    case = f.case
    if f.system:
        # Accepting makes the actor the handler: that takes a person (the system passes the
        # other checks, but holds no case).
        return Forbidden("受理须由具体的工作人员办理")
    if case.state != State.NEW:
        if case.state in OPEN_STATES and case.handler_user_id:
            if case.handler_user_id == f.user.pk:
                return CaseConflict("您已受理该事件")
            return CaseConflict(f"该事件已由{case.handler_user}受理，无需重复受理")
        return f.conflict("不能受理")
    if not f.handle:
        if is_excluded_reviewer(f.user, case):
            return Forbidden("重办事件须由原派单人和原承办人以外的人员复核")
        if case.handler_user_id:
            return Forbidden(f"该事件已交办给{case.handler_user}")
        return Forbidden("您不负责该事件，不能受理")
    return None


def _accept_start(f: _Facts) -> Refusal:
    # 受理并处置: whoever may accept becomes the holder, and the holder may start.
    return _accept(f)


def _start(f: _Facts) -> Refusal:
    if not f.holds_it:
        return Forbidden("只有承办人可以开始处置")
    if f.case.state != State.ACCEPTED:
        return f.conflict("不能开始处置")
    return None


def _resolve(f: _Facts) -> Refusal:
    if not f.holds_it:
        return Forbidden("只有承办人可以办结")
    if f.case.state not in (State.ACCEPTED, State.IN_PROGRESS):
        return f.conflict("不能办结")
    return None


def _note(f: _Facts) -> Refusal:
    if not f.is_open:
        return f.conflict("不能再记录")
    if not (f.handle or f.dispatch or f.supervise or f.current or f.calls):
        return Forbidden("您无权在该事件上记录处置情况")
    return None


def _return(f: _Facts) -> Refusal:
    if not f.is_open:
        return f.conflict("不能退回")
    unclaimed_here = f.case.state == State.NEW and f.handle and not f.case.needs_dispatch
    if not (f.current or unclaimed_here):
        return Forbidden("只有当前承办人可以退回")
    return None


def _classify(f: _Facts) -> Refusal:
    if not (f.dispatch or f.handle):
        return Forbidden("您无权调整该事件的分类")
    if not f.is_open:
        return CaseConflict("事件已结束，不能再调整分类")
    return None


def _escalate(f: _Facts) -> Refusal:
    if not (f.handle or f.dispatch or f.current):
        return Forbidden("您无权上报该事件")
    if not f.is_open:
        return f.conflict("不能上报")
    if f.case.level == Level.DEPARTMENT:
        return CaseConflict("已是最高层级，不能再上报")
    return None


def _dispatch(f: _Facts) -> Refusal:
    if not f.dispatch:
        if is_excluded_reviewer(f.user, f.case):
            return Forbidden("重办事件须由原派单人以外的人员复核交办")
        return Forbidden("您无权交办该事件")
    if not f.is_open:
        return f.conflict("不能再交办")
    return None


def _merge(f: _Facts) -> Refusal:
    if not f.dispatch:
        return Forbidden("您无权合并该事件")
    if not f.is_open:
        return f.conflict("不能合并")
    return None


def _reject(f: _Facts) -> Refusal:
    if not f.dispatch:
        return Forbidden("您无权作不予受理处理")
    if f.case.state != State.NEW:
        return f.conflict("不能作不予受理处理")
    return None


def _whistle(f: _Facts) -> Refusal:
    if f.case.level not in (Level.COMMUNITY, Level.STREET):
        return Forbidden("只有社区或街道层级的事件可以吹哨")
    if not f.dispatch:
        return Forbidden("您无权吹哨呼叫部门")
    if not f.is_open:
        return f.conflict("不能吹哨")
    return None


def _supervise(f: _Facts) -> Refusal:
    if not f.supervise:
        return Forbidden("您无权督办该事件")
    if not f.is_open:
        return f.conflict("无需督办")
    return None


def _urge(f: _Facts) -> Refusal:
    # 催办: those who dispatch or supervise where a case happened may remind whoever holds it
    # now (a department, a street) without being able to act on it themselves.
    place = f.case.place_path
    if not (
        f.dispatch
        or f.supervise
        or has_capability_at(f.user, caps.CASES_DISPATCH, place)
        or has_capability_at(f.user, caps.CASES_SUPERVISE, place)
    ):
        return Forbidden("您无权催办该事件")
    if not f.is_open:
        return f.conflict("无需催办")
    if f.system or f.holds_it or f.handle:
        return Forbidden("事件在您手中，请直接办理")
    return None


def _call_report(f: _Facts) -> Refusal:
    if not f.calls:
        return Forbidden("只有被呼叫的单位可以报到")
    if not f.is_open:
        return f.conflict("不能再报到")
    if all(call.reported_at is not None for call in f.calls):
        call = f.calls[0]
        return CaseConflict(
            f"{call.organisation.name}已于{timezone.localtime(call.reported_at):%m-%d %H:%M}报到"
        )
    return None


def _rate(f: _Facts) -> Refusal:
    if not (f.reporter or f.proven_by_code):
        return Forbidden("只有反映人可以评价")
    if f.case.state != State.RESOLVED:
        return f.conflict("不能评价")
    return None


def _reveal_reporter(f: _Facts) -> Refusal:
    if not (f.handle or f.dispatch or f.current):
        return Forbidden("只有承办人和派单人可以查看反映人完整电话")
    if not f.case.reporter_phone_enc:
        return Forbidden("反映人没有留电话")
    return None


def _publish(f: _Facts) -> Refusal:
    if not can_publish(f.user, f.case):
        return Forbidden("只有事件所在社区或街道的派单、督办人员可以公开事件摘要")
    return None


# action → rule; the rule returns the refusal (to raise) or None (allowed).
RULES: dict[str, Rule] = {
    "accept": _accept,
    "accept_start": _accept_start,
    "start": _start,
    "note": _note,
    "resolve": _resolve,
    "return": _return,
    "classify": _classify,
    "escalate": _escalate,
    "dispatch": _dispatch,
    "merge": _merge,
    "reject": _reject,
    "whistle": _whistle,
    "supervise": _supervise,
    "urge": _urge,
    "call_report": _call_report,
    "rate": _rate,
    "reveal_reporter": _reveal_reporter,
    "publish": _publish,
}
ACTIONS: tuple[str, ...] = tuple(RULES)


def check(action: str, user: Actor, case: Case, *, phone_last4: str = "") -> None:
    """Raise unless `user` may take `action` on `case` now; call it after locking the row.

    NotFound when the user cannot see the case at all, Forbidden (with the reason) when they can
    but the action is not theirs, CaseConflict when it is theirs but not in this state.
    `phone_last4` is the anonymous reporter's proof for "rate" (tracking by code)."""
    require_actor(user)
    rule = RULES[action]
    facts = _Facts(user, case, phone_last4)
    if not facts.visible:
        raise NotFound()
    refusal = rule(facts)
    if refusal is not None:
        raise refusal


def may(action: str, user: Actor, case: Case) -> bool:
    """Whether `check` would let `action` through: one rule's facts only, for a button in a list
    (催办 on the overdue tab) where computing every action per row would cost too much."""
    try:
        check(action, user, case)
    except (NotFound, Forbidden, ValidationError):
        return False
    return True


def allowed(user: Actor | None, case: Case, *, phone_last4: str = "") -> frozenset[str]:
    """Every action `user` may take on `case` now: exactly those `check` lets through."""
    if user is None:
        return frozenset()
    facts = _Facts(user, case, phone_last4)
    if not facts.visible:
        return frozenset()
    return frozenset(action for action, rule in RULES.items() if rule(facts) is None)
