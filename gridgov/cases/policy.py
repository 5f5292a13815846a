"""Who may do what to a case: one predicate per action, shared by the services (which enforce
them) and `selectors.allowed_actions` (which decides the buttons a page shows)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, is_unrestricted, paths_with, scope_q
from gridgov.cases.models import OPEN_STATES, Case, CaseCall, Level, State

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def _active(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def org_handles(user: User | None) -> int | None:
    """The organisation whose routed cases `user` handles, if any."""
    if not _active(user) or not user.organisation_id:
        return None
    return user.organisation_id if has_capability(user, caps.CASES_ORG_HANDLE) else None


def staff_q(user: User) -> Q:
    """Cases a staff member may see: their place scope, their organisation's cases, their own."""
    if is_unrestricted(user):
        return Q()
    condition = scope_q(user, caps.CASES_VIEW, field="place_path") | Q(handler_user_id=user.pk)
    org_id = org_handles(user)
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


def is_reporter(user: User | None, case: Case) -> bool:
    if not _active(user):
        return False
    if case.reporter_user_id and case.reporter_user_id == user.pk:
        return True
    return bool(case.reporter_resident_id and case.reporter_resident_id == getattr(user, "resident_id", None))


def _has_at(user: User, capability: str, path: str) -> bool:
    if is_unrestricted(user):
        return True
    return any(path == root or path.startswith(root + ".") for root in paths_with(user, capability))


def is_staff_viewer(user: User | None, case: Case) -> bool:
    if not _active(user):
        return False
    if (
        is_unrestricted(user)
        or case.handler_user_id == user.pk
        or _has_at(user, caps.CASES_VIEW, case.place_path)
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


def is_excluded_reviewer(user: User, case: Case) -> bool:
    return bool(case.reopen_count and user.pk in (case.excluded_reviewers or []))


def can_handle(user: User | None, case: Case) -> bool:
    """The current handler, or — while nobody holds the case — anyone responsible at its level."""
    if not _active(user) or is_excluded_reviewer(user, case):
        return False
    if case.handler_user_id:
        return case.handler_user_id == user.pk or is_unrestricted(user)
    if case.handler_org_id:
        return org_handles(user) == case.handler_org_id or is_unrestricted(user)
    if case.level == Level.DEPARTMENT:
        return is_unrestricted(user)
    return _has_at(user, caps.CASES_HANDLE, case.level_path)


def is_current_handler(user: User | None, case: Case) -> bool:
    if not _active(user):
        return False
    if case.handler_user_id:
        return case.handler_user_id == user.pk
    return bool(case.handler_org_id and org_handles(user) == case.handler_org_id)


def can_dispatch(user: User | None, case: Case) -> bool:
    if not _active(user) or is_excluded_reviewer(user, case):
        return False
    return _has_at(user, caps.CASES_DISPATCH, case.level_path)


def can_supervise(user: User | None, case: Case) -> bool:
    return _active(user) and _has_at(user, caps.CASES_SUPERVISE, case.level_path)


def called_org_pending(user: User | None, case: Case) -> CaseCall | None:
    org_id = org_handles(user)
    if not org_id:
        return None
    return CaseCall.objects.filter(case=case, organisation_id=org_id, reported_at__isnull=True).first()


def is_called(user: User | None, case: Case) -> bool:
    org_id = org_handles(user)
    return bool(org_id and CaseCall.objects.filter(case=case, organisation_id=org_id).exists())


def allowed(user: User | None, case: Case) -> frozenset[str]:
    """Every action `user` may take on `case` now (the services check the same predicates)."""
    actions: set[str] = set()
    if not _active(user):
        return frozenset()
    is_open = case.state in OPEN_STATES
    handle = can_handle(user, case)
    dispatch = can_dispatch(user, case)
    supervise = can_supervise(user, case)
    if is_open:
        if handle or dispatch:
            actions |= {"classify", "escalate"}
        if case.state == State.NEW and handle:
            actions.add("accept")
        if dispatch:
            actions |= {"dispatch", "merge"}
        if case.state == State.NEW and dispatch:
            actions.add("reject")
        if case.state == State.ACCEPTED and case.handler_user_id == user.pk:
            actions.add("start")
        if case.state in (State.ACCEPTED, State.IN_PROGRESS) and case.handler_user_id == user.pk:
            actions.add("resolve")
        if is_current_handler(user, case) or (case.state == State.NEW and handle and not case.needs_dispatch):
            actions.add("return")
        if handle or dispatch or supervise or is_called(user, case) or is_current_handler(user, case):
            actions.add("note")
        if case.level in (Level.COMMUNITY, Level.STREET) and dispatch:
            actions.add("whistle")
        if supervise:
            actions.add("supervise")
        if called_org_pending(user, case) is not None:
            actions.add("call_report")
        if case.level == Level.DEPARTMENT:
            actions.discard("escalate")
    if case.state == State.RESOLVED and is_reporter(user, case):
        actions.add("rate")
    if case.reporter_phone_enc and (handle or dispatch or is_current_handler(user, case)):
        actions.add("reveal_reporter")
    return frozenset(actions)
