from __future__ import annotations

from django.db.models import QuerySet

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import ApiToken, RoleAssignment, User
from gridgov.accounts.scope import capabilities_anywhere, is_unrestricted, scope_q


def assignments_of(user: User) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user).select_related("role", "place").order_by("place__path")


def users_for(user: User) -> QuerySet[User]:
    """Accounts holding a role somewhere inside the places where `user` manages roles."""
    return User.objects.filter(
        pk__in=RoleAssignment.objects.filter(scope_q(user, caps.ROLES_MANAGE, field="place__path")).values(
            "user_id"
        )
    ).order_by("username")


# --- account pages -----------------------------------------------------------------------------


def user_for(user: User, user_id: int) -> User:
    """An account the acting user manages; missing and out-of-scope look alike."""
    found = users_for(user).filter(pk=user_id).first()
    if found is None:
        from gridgov.core.errors import NotFound

        raise NotFound()
    return found


def assignment_for(user: User, assignment_id: int) -> RoleAssignment:
    """A role assignment at a place inside the acting user's ROLES_MANAGE scope."""
    assignment = (
        RoleAssignment.objects.filter(scope_q(user, caps.ROLES_MANAGE, field="place__path"), pk=assignment_id)
        .select_related("user", "role", "place")
        .first()
    )
    if assignment is None:
        from gridgov.core.errors import NotFound

        raise NotFound()
    return assignment


def grantable_roles(user: User):
    """Roles the acting user may hand out somewhere: those whose every capability they hold
    (the service checks it again at the chosen place); only a system administrator hands out
    ROLES_MANAGE itself."""
    from gridgov.accounts.models import Role

    roles = list(Role.objects.all())
    if is_unrestricted(user):
        return roles
    held = capabilities_anywhere(user)
    return [
        role
        for role in roles
        if caps.ROLES_MANAGE not in (role.capabilities or []) and set(role.capabilities or []) <= held
    ]


# --- API: the caller's own tokens, and staff working inside the caller's scope -------------


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_for(user: User, token_id: int) -> ApiToken:
    """One of the caller's own tokens; anyone else's is "not found", like a missing one."""
    from gridgov.core.errors import NotFound

    token = api_tokens_of(user).filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    return token


def staff_for(user: User, capability: str = caps.ORGS_VIEW) -> QuerySet[User]:
    """Active accounts holding a role somewhere inside the places where `user` has `capability`."""
    return User.objects.filter(
        is_active=True,
        pk__in=RoleAssignment.objects.filter(scope_q(user, capability, field="place__path")).values(
            "user_id"
        ),
    )


def staff_member_for(user: User, staff_id: int, capability: str = caps.ORGS_VIEW) -> User:
    from gridgov.core.errors import NotFound

    found = staff_for(user, capability).filter(pk=staff_id).first()
    if found is None:
        raise NotFound()
    return found
