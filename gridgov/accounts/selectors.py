from __future__ import annotations

from django.db.models import QuerySet

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.scope import scope_q


def assignments_of(user: User) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user).select_related("role", "place").order_by("place__path")


def users_for(user: User) -> QuerySet[User]:
    """Accounts holding a role somewhere inside the places where `user` manages roles."""
    return User.objects.filter(
        pk__in=RoleAssignment.objects.filter(scope_q(user, caps.ROLES_MANAGE, field="place__path")).values(
            "user_id"
        )
    ).order_by("username")
