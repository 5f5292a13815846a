"""Read-only figures for the home pages; every number goes through the scoped selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count

from gridgov.accounts.selectors import assignments_of
from gridgov.core import clock
from gridgov.people.models import ResidentTag
from gridgov.people.selectors import (
    floating_due,
    floating_expired,
    floating_expiring,
    floating_for,
    household_view,
    residents_for,
)
from gridgov.places.selectors import households_for

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def summary_for(user: User) -> dict[str, Any]:
    residents = residents_for(user)
    tag_counts = (
        ResidentTag.objects.filter(resident__in=residents.values("pk"))
        .values("tag__name", "tag__code")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return {
        "assignments": list(assignments_of(user)),
        "households": households_for(user).count(),
        "residents": residents.count(),
        "floating": floating_for(user).count(),
        # Ended stays first: they need a renewal or a deregistration now.
        "expiring": list(floating_due(user)[:10]),
        "expiring_count": floating_expiring(user).count(),
        "expired_count": floating_expired(user).count(),
        "today": clock.today(),
        "tags": list(tag_counts),
    }


def me_for(user: User) -> dict[str, Any]:
    resident = getattr(user, "resident", None)
    households = (
        list(households_for(user).filter(memberships__resident=resident, memberships__moved_out__isnull=True))
        if resident
        else []
    )
    return {
        "resident": resident,
        # Names and relations of the other members only (people.selectors.household_view).
        "households": [
            (household, [m for m in household_view(user, household)[0] if m.moved_out is None])
            for household in households
        ],
        "assignments": list(assignments_of(user)),
    }
