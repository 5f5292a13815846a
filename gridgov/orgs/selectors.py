from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import is_unrestricted, paths_with, scope_q
from gridgov.core.errors import NotFound
from gridgov.orgs.models import Organisation, OrgMember

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def organisations_for(user: User) -> QuerySet[Organisation]:
    """Organisations registered inside the user's scope, plus those registered above it
    (the street's departments serve every grid below, so a grid worker must find them)."""
    if is_unrestricted(user):
        return Organisation.objects.all()
    condition = scope_q(user, caps.ORGS_VIEW, field="place__path")
    ancestors: set[str] = set()
    for path in paths_with(user, caps.ORGS_VIEW):
        parts = path.split(".")
        ancestors.update(".".join(parts[:i]) for i in range(1, len(parts)))
    if ancestors:
        condition |= Q(place__path__in=ancestors)
    return Organisation.objects.filter(condition)


def organisation_for(user: User, organisation_id: int) -> Organisation:
    organisation = (
        organisations_for(user).select_related("place", "parent").filter(pk=organisation_id).first()
    )
    if organisation is None:
        raise NotFound()
    return organisation


def organisation_members(organisation: Organisation, *, current_only: bool = True) -> QuerySet[OrgMember]:
    qs = OrgMember.objects.filter(organisation=organisation).select_related("resident", "user")
    if current_only:
        qs = qs.filter(left_on__isnull=True)
    return qs
