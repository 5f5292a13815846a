from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import is_unrestricted, paths_with, scope_q
from gridgov.core.errors import NotFound
from gridgov.orgs.models import (
    CASE_HANDLING_KINDS,
    CASE_HANDLING_OPT_IN_KINDS,
    PARTY_LEVEL_RANK,
    Organisation,
    OrgKind,
    OrgMember,
    PartyLevel,
)

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


def case_handling_organisations(user: User) -> QuerySet[Organisation]:
    """Active organisations in the user's reach that take cases (dispatch, 吹哨, escalation,
    routing rules): departments, property companies and units flagged as handling cases."""
    return (
        organisations_for(user)
        .filter(
            Q(kind__in=CASE_HANDLING_KINDS) | Q(kind__in=CASE_HANDLING_OPT_IN_KINDS, handles_cases=True),
            is_active=True,
        )
        .order_by("kind", "name")
    )


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


# --- pages: search, the party tree, one member ---------------------------------------------


def organisation_search(user: User, *, kind: str = "", q: str = "") -> QuerySet[Organisation]:
    qs = organisations_for(user).select_related("place", "parent")
    if kind:
        qs = qs.filter(kind=kind)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(contact_name__icontains=q) | Q(address__icontains=q))
    return qs.order_by("kind", "place__path", "name")


@dataclass
class PartyNode:
    organisation: Organisation
    member_count: int
    places: list
    children: list[PartyNode] = field(default_factory=list)


def party_tree(user: User) -> list[PartyNode]:
    """Visible party organisations as a forest (党委 › 党总支 › 党支部 › 党小组), with the places each
    is linked to and its current member count. A node whose parent is out of sight becomes a root."""
    organisations = list(
        organisations_for(user)
        .filter(kind=OrgKind.PARTY)
        .select_related("place")
        .prefetch_related("places")
        .annotate(current_members=Count("members", filter=Q(members__left_on__isnull=True)))
    )
    nodes = {
        org.pk: PartyNode(organisation=org, member_count=org.current_members, places=list(org.places.all()))
        for org in organisations
    }
    roots: list[PartyNode] = []
    for org in organisations:
        parent = nodes.get(org.parent_id) if org.parent_id else None
        (parent.children if parent else roots).append(nodes[org.pk])

    def rank(node: PartyNode) -> tuple[int, str, str]:
        # Siblings follow the place tree (第一网格 before 第二网格), which name order would not.
        level = node.organisation.party_level
        org = node.organisation
        return (PARTY_LEVEL_RANK.get(PartyLevel(level), 9) if level else 9, org.place.path, org.name)

    def sort(level: list[PartyNode]) -> None:
        level.sort(key=rank)
        for node in level:
            sort(node.children)

    sort(roots)
    return roots


def organisation_member_for(organisation: Organisation, member_id: int) -> OrgMember:
    """A member of an organisation the caller already fetched through organisation_for()."""
    member = (
        OrgMember.objects.filter(organisation=organisation, pk=member_id)
        .select_related("resident", "user", "organisation__place")
        .first()
    )
    if member is None:
        raise NotFound()
    return member


def leader_choices(organisation: Organisation):
    """Residents who are current members: the leader is picked among them."""
    from gridgov.people.models import Resident

    return Resident.objects.filter(
        org_memberships__organisation=organisation, org_memberships__left_on__isnull=True
    ).distinct()
