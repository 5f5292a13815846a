from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import CharField, Count, F, Func, Q, QuerySet, Value
from django.db.models.functions import Length, Substr

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import below_q, has_capability, is_unrestricted, paths_with, place_q, scope_q
from gridgov.core.errors import NotFound
from gridgov.places.models import Household, Place, PlaceKind

if TYPE_CHECKING:
    from gridgov.accounts.models import User


# Natural room order inside a building: "0001" < "101" < "102" < "1001" (floor, then room), by
# sorting on the number's length without leading zeros before its text; done by the database
# (LTRIM with characters exists in SQLite and PostgreSQL), so pagination stays correct.
_ROOM_DIGITS = Func(F("room"), Value("0"), function="LTRIM", output_field=CharField())
ROOM_ORDER = ("place__path", Length(_ROOM_DIGITS), _ROOM_DIGITS, "room")


def places_for(user: User, capability: str = caps.REGISTRY_VIEW) -> QuerySet[Place]:
    return Place.objects.filter(scope_q(user, capability, field="path"))


def place_for(user: User, place_id: int, capability: str = caps.REGISTRY_VIEW) -> Place:
    place = places_for(user, capability).filter(pk=place_id).first()
    if place is None:
        raise NotFound()
    return place


def scope_roots(user: User, capability: str = caps.REGISTRY_VIEW) -> QuerySet[Place]:
    """The top places of the user's visible forest: where a tree page starts."""
    if is_unrestricted(user):
        return Place.objects.filter(parent__isnull=True)
    return Place.objects.filter(path__in=paths_with(user, capability))


def place_breadcrumbs(place: Place) -> list[Place]:
    return list(Place.objects.filter(path__in=place.ancestor_paths()).order_by("depth"))


@dataclass(frozen=True)
class Crumb:
    place: Place
    linked: bool  # inside the user's scope: a link; above it: plain text (its page would 404)


def visible_breadcrumbs(user: User, place: Place, *, include_self: bool = False) -> list[Crumb]:
    """The places above `place` (and itself with include_self), each marked whether the user may
    open its page (registry view there)."""
    chain = place_breadcrumbs(place)
    if not include_self:
        chain = chain[:-1]
    if not chain:
        return []
    open_ids = set(
        places_for(user).filter(pk__in=[p.pk for p in chain]).values_list("pk", flat=True)
    )
    return [Crumb(place=p, linked=p.pk in open_ids) for p in chain]


def households_for(user: User, capability: str = caps.REGISTRY_VIEW) -> QuerySet[Household]:
    condition = scope_q(user, capability, field="place__path")
    resident = getattr(user, "resident", None) if user.is_authenticated else None
    if resident is not None and not is_unrestricted(user):
        # A resident always sees the household they live in, whatever their roles.
        condition |= Q(memberships__resident=resident, memberships__moved_out__isnull=True)
    return (
        Household.objects.filter(condition).distinct()
        if resident is not None
        else Household.objects.filter(condition)
    )


def household_for(user: User, household_id: int, *, for_write: bool = False) -> Household:
    capability = caps.REGISTRY_EDIT if for_write else caps.REGISTRY_VIEW
    household = (
        households_for(user, capability).select_related("place", "landlord").filter(pk=household_id).first()
    )
    if household is None:
        raise NotFound()
    return household


@dataclass
class PlaceCounts:
    place: Place
    households: int
    residents: int
    children: int


def children_with_counts(user: User, parent: Place | None) -> list[PlaceCounts]:
    """Children of `parent` (or the user's scope roots) with household and resident totals.

    Sibling paths have equal length, so each level is counted with one GROUP BY on a prefix.
    """
    from gridgov.people.models import Resident

    if parent is None:
        children = list(scope_roots(user))
    else:
        children = list(places_for(user).filter(parent=parent))
    if not children:
        return []
    by_length: dict[int, list[Place]] = {}
    for child in children:
        by_length.setdefault(len(child.path), []).append(child)
    household_totals: dict[str, int] = {}
    resident_totals: dict[str, int] = {}
    child_totals: dict[int | None, int] = dict(
        Place.objects.filter(parent__in=children)
        .values("parent")
        .annotate(n=Count("id"))
        .values_list("parent", "n")
    )
    for length, group in by_length.items():
        condition = Q()
        for child in group:
            condition |= place_q(child)
        for model, totals in ((Household, household_totals), (Resident, resident_totals)):
            rows = (
                model.objects.filter(condition)
                .annotate(prefix=Substr("place__path", 1, length))
                .values("prefix")
                .annotate(n=Count("id"))
                .values_list("prefix", "n")
            )
            totals.update(dict(rows))
    return [
        PlaceCounts(
            place=child,
            households=household_totals.get(child.path, 0),
            residents=resident_totals.get(child.path, 0),
            children=child_totals.get(child.pk, 0),
        )
        for child in children
    ]


@dataclass
class GridBalance:
    grid: Place
    households: int
    minimum: int
    maximum: int

    @property
    def status(self) -> str:
        if self.households < self.minimum:
            return "under"
        if self.households > self.maximum:
            return "over"
        return "ok"

    @property
    def status_label(self) -> str:
        return {"under": "户数偏少", "over": "户数过多", "ok": "合理"}[self.status]


def grid_balance(user: User) -> list[GridBalance]:
    grids = list(places_for(user).filter(kind=PlaceKind.GRID).order_by("path"))
    if not grids:
        return []
    length = len(grids[0].path)
    same_length = all(len(grid.path) == length for grid in grids)
    totals: dict[str, int] = {}
    if same_length:
        condition = Q()
        for grid in grids:
            condition |= below_q(grid)
        totals = dict(
            Household.objects.filter(condition)
            .annotate(prefix=Substr("place__path", 1, length))
            .values("prefix")
            .annotate(n=Count("id"))
            .values_list("prefix", "n")
        )
    else:
        totals = {
            grid.path: Household.objects.filter(below_q(grid)).count()
            for grid in grids
        }
    return [
        GridBalance(
            grid=grid,
            households=totals.get(grid.path, 0),
            minimum=grid.households_min or settings.GRIDGOV_GRID_HOUSEHOLDS_MIN,
            maximum=grid.households_max or settings.GRIDGOV_GRID_HOUSEHOLDS_MAX,
        )
        for grid in grids
    ]


def can_manage_place(user: User, place: Place) -> bool:
    return has_capability(user, caps.PLACES_MANAGE, place)


# --- pages: households of a subtree, with their current member counts -------------------


def households_in(user: User, place: Place) -> QuerySet[Household]:
    """Households at or below `place`, inside the user's scope, with `member_count` (current members)."""
    return (
        households_for(user)
        .filter(place_q(place))
        .select_related("place")
        .annotate(member_count=Count("memberships", filter=Q(memberships__moved_out__isnull=True)))
        .order_by(*ROOM_ORDER)
    )


def child_kinds(place: Place) -> list[tuple[str, str]]:
    """Kinds that may be created under `place` (levels may be skipped, never climbed)."""
    from gridgov.places.models import KIND_LEVEL

    return [(kind, label) for kind, label in PlaceKind.choices if KIND_LEVEL[kind] > KIND_LEVEL[place.kind]]


# --- API: filtered place lists and household search -------------------------------------


def place_search(
    user: User, *, parent: Place | None = None, kind: str | None = None, within: Place | None = None
) -> QuerySet[Place]:
    """Places in the user's scope, optionally the children of `parent`, of one kind, or inside
    the subtree of `within` (the fetched places are already known to be visible)."""
    qs = places_for(user)
    if parent is not None:
        qs = qs.filter(parent=parent)
    if kind:
        qs = qs.filter(kind=kind)
    if within is not None:
        qs = qs.filter(place_q(within, "path"))
    return qs.order_by("path")


def household_search(user: User, *, place: Place | None = None, q: str = "") -> QuerySet[Household]:
    """Households in scope, inside `place`'s subtree, matching `q` on address or room, with
    `member_count` (current members). A subquery counts, so a resident's own-household
    join in households_for() cannot narrow the count."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from gridgov.people.models import Membership

    qs = households_for(user)
    if place is not None:
        qs = qs.filter(place_q(place))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(address__icontains=q) | Q(room__icontains=q))
    current = (
        Membership.objects.filter(household=OuterRef("pk"), moved_out__isnull=True)
        .order_by()
        .values("household")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        qs.select_related("place", "landlord")
        .annotate(member_count=Coalesce(Subquery(current, output_field=IntegerField()), 0))
        .order_by(*ROOM_ORDER, "id")
    )


# --- public place picker: the resident report page and the QR posters (cases) ----------------
# Place names are public (they are printed on the posters), so these reads take no user.

REPORT_PLACE_KINDS = (PlaceKind.ESTATE, PlaceKind.LANE, PlaceKind.GROUP, PlaceKind.BUILDING, PlaceKind.UNIT)
POSTER_PLACE_KINDS = (PlaceKind.ESTATE, PlaceKind.LANE, PlaceKind.BUILDING)


def public_communities() -> QuerySet[Place]:
    return Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("path")


def community_of(place: Place) -> Place | None:
    """The community above (or at) `place`, if the tree has one."""
    return (
        Place.objects.filter(path__in=place.ancestor_paths(), kind=PlaceKind.COMMUNITY)
        .order_by("-depth")
        .first()
    )


def public_report_tree(community: Place) -> list[tuple[Place, list[Place]]]:
    """(estate or lane, [its buildings]) under `community`, in tree order: what the picker lists."""
    rows = list(
        Place.objects.filter(
            below_q(community, "path"),
            kind__in=(PlaceKind.ESTATE, PlaceKind.LANE, PlaceKind.GROUP, PlaceKind.BUILDING),
        ).order_by("path")
    )
    groups: list[tuple[Place, list[Place]]] = []
    by_path: dict[str, list[Place]] = {}
    for place in rows:
        if place.kind == PlaceKind.BUILDING:
            # Under its nearest estate / lane / group; a building straight under a grid is its own group.
            owner = next((by_path[p] for p in reversed(place.ancestor_paths()[:-1]) if p in by_path), None)
            if owner is not None:
                owner.append(place)
                continue
        groups.append((place, []))
        by_path[place.path] = groups[-1][1]
    return groups


def public_report_place(place_id: int | str, *, within: Place | None = None) -> Place:
    """A place a resident may report at (an estate, lane, group, building or unit), optionally
    only inside `within`'s subtree; NotFound otherwise."""
    try:
        pk = int(place_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    qs = Place.objects.filter(pk=pk, kind__in=REPORT_PLACE_KINDS)
    if within is not None:
        qs = qs.filter(below_q(within, "path"))
    place = qs.first()
    if place is None:
        raise NotFound()
    return place


def place_full_name(place: Place, *, below: str = PlaceKind.COMMUNITY) -> str:
    """The place's names from `below`'s level down, e.g. "金泰路社区 聚江苑 1栋" (grids are left
    out: residents do not know them)."""
    from gridgov.places.models import KIND_LEVEL

    chain = place_breadcrumbs(place)
    return " ".join(
        p.name for p in chain if KIND_LEVEL[p.kind] >= KIND_LEVEL[below] and p.kind != PlaceKind.GRID
    )


# The kinds that are areas rather than buildings: what the staff pages offer as a place filter.
AREA_KINDS = (
    PlaceKind.DISTRICT,
    PlaceKind.STREET,
    PlaceKind.COMMUNITY,
    PlaceKind.GRID,
    PlaceKind.ESTATE,
    PlaceKind.LANE,
    PlaceKind.GROUP,
)


def geojson_roots(user: User) -> QuerySet[Place]:
    """Places the user may load GeoJSON under (places.manage), down to buildings."""
    kinds = (*AREA_KINDS, PlaceKind.BUILDING)
    return places_for(user, caps.PLACES_MANAGE).filter(kind__in=kinds).order_by("path")[:2000]
