"""Every read of 生活快车, scoped to the acting user (see services.policy for who sees an order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import holds_within, is_unrestricted, place_q, scope_q
from gridgov.core.areas import split_by_children
from gridgov.core.errors import NotFound
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.places.models import Place, PlaceKind
from gridgov.services import policy
from gridgov.services.models import (
    OPEN_ORDER_STATES,
    Agreement,
    HoursEntry,
    Order,
    OrderState,
    ServiceItem,
    Volunteer,
    VolunteerStatus,
)

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.people.models import Resident

ORDER_RELATED = ("item", "resident", "team", "merchant", "provider__resident", "place")


def catalogue() -> QuerySet[ServiceItem]:
    """Active items, by category (public to every signed-in user: a menu, not personal data)."""
    return ServiceItem.objects.filter(is_active=True).select_related("category")


def item_for(item_id: int) -> ServiceItem:
    item = catalogue().filter(pk=item_id).first()
    if item is None:
        raise NotFound()
    return item


def orders_for(user: User) -> QuerySet[Order]:
    """Orders the user may see at all (their own, their teams', their scope's, their merchant's)."""
    return Order.objects.filter(policy.visible_q(user)).select_related(*ORDER_RELATED)


def order_for(user: User, order_id: int) -> Order:
    """One order the user may see; NotFound alike for a missing one and one out of scope."""
    order = orders_for(user).filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    return order


def order_timeline(order: Order) -> list:
    return list(order.events.all())


def resident_orders(user: User) -> QuerySet[Order]:
    """The signed-in resident's own orders."""
    if not user.resident_id:
        return Order.objects.none()
    return Order.objects.filter(resident_id=user.resident_id).select_related(*ORDER_RELATED)


def team_open_orders(user: User) -> QuerySet[Order]:
    """Open orders of the teams the user serves in (and their merchant's): what they may grab."""
    condition = Q(team_id__in=policy.team_ids(user))
    merchant = policy.merchant_of(user)
    if merchant:
        condition |= Q(merchant_id=merchant)
    return (
        Order.objects.filter(condition, state=OrderState.OPEN)
        .select_related(*ORDER_RELATED)
        .order_by("window_start", "pk")
    )


def provider_orders(user: User) -> QuerySet[Order]:
    """Orders the user has taken."""
    return (
        Order.objects.filter(provider_user_id=user.pk).select_related(*ORDER_RELATED).order_by("-created_at")
    )


def dispatch_board(user: User, *, state: str = "") -> QuerySet[Order]:
    """Orders waiting for a provider that the user may dispatch: their scope's (services.dispatch)
    and those of the teams they lead; overdue first."""
    condition = scope_q(user, caps.SERVICES_DISPATCH, field="place_path")
    led = policy.led_team_ids(user)
    if led:
        condition |= Q(team_id__in=led)
    if not is_unrestricted(user) and condition == Q(pk__in=[]) and not led:
        return Order.objects.none()
    states = [state] if state in OrderState.values else list(OPEN_ORDER_STATES)
    return (
        Order.objects.filter(condition, state__in=states)
        .select_related(*ORDER_RELATED)
        .order_by("-escalation", "window_start", "pk")
    )


def can_use_board(user: User) -> bool:
    return (
        is_unrestricted(user)
        or bool(policy.led_team_ids(user))
        or bool(scope_q(user, caps.SERVICES_DISPATCH) != Q(pk__in=[]))
    )


def volunteers_for(user: User, *, status: str = "") -> QuerySet[Volunteer]:
    """Volunteers registered in the user's services.view scope."""
    qs = Volunteer.objects.filter(scope_q(user, caps.SERVICES_VIEW, field="place__path")).select_related(
        "resident", "place"
    )
    if status in VolunteerStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("status", "pk")


def volunteer_for(user: User, volunteer_id: int) -> Volunteer:
    """A volunteer the user may see as staff, or the user's own volunteer record."""
    own = Q(resident_id=user.resident_id) if user.resident_id else Q(pk__in=[])
    volunteer = (
        Volunteer.objects.filter(scope_q(user, caps.SERVICES_VIEW, field="place__path") | own)
        .select_related("resident", "place")
        .filter(pk=volunteer_id)
        .first()
    )
    if volunteer is None:
        raise NotFound()
    return volunteer


def own_volunteer(user: User) -> Volunteer | None:
    return policy.volunteer_of(user)


def hours_ledger(volunteer: Volunteer) -> QuerySet[HoursEntry]:
    return (
        HoursEntry.objects.filter(volunteer=volunteer)
        .select_related("order__item", "team")
        .order_by("created_at", "pk")
    )


def hours_entry_for(user: User, entry_id: int) -> HoursEntry:
    entry = (
        HoursEntry.objects.filter(scope_q(user, caps.SERVICES_VIEW, field="volunteer__place__path"))
        .select_related("volunteer__place")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        raise NotFound()
    return entry


def agreements_for(user: User) -> QuerySet[Agreement]:
    """Agreements of merchants registered in the user's scope (and the merchant's own)."""
    condition = scope_q(user, caps.SERVICES_VIEW, field="merchant__place__path")
    merchant = policy.merchant_of(user)
    if merchant:
        condition |= Q(merchant_id=merchant)
    return (
        Agreement.objects.filter(condition)
        .select_related("merchant")
        .prefetch_related("items")
        .order_by("-ends_on", "pk")
    )


def merchants_for(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        scope_q(user, caps.SERVICES_VIEW, field="place__path"), kind=OrgKind.MERCHANT, is_active=True
    ).order_by("name")


def merchants_offering(item: ServiceItem, on: dt.date) -> QuerySet[Organisation]:
    """Merchants whose agreement covers `item` today: the resident may pick one of them."""
    return (
        Organisation.objects.filter(
            kind=OrgKind.MERCHANT,
            is_active=True,
            agreements__items=item,
            agreements__starts_on__lte=on,
            agreements__ends_on__gte=on,
        )
        .distinct()
        .order_by("name")
    )


def teams_for(user: User) -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(scope_q(user, caps.SERVICES_VIEW, field="place__path"), kind=OrgKind.TEAM)
        .select_related("parent", "place", "service_profile__serves")
        .prefetch_related("service_profile__items")
        .order_by("parent_id", "pk")
    )


@dataclass
class Figures:
    label: str
    orders_done: int
    hours: Decimal
    residents_served: int


def _month_range(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime(month.year, month.month, 1))
    nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, timezone.make_aware(dt.datetime(nxt.year, nxt.month, 1))


DONE_STATES = (OrderState.DONE, OrderState.CONFIRMED)


def monthly_by_team(user: User, month: dt.date) -> list[Figures]:
    """Orders done, hours and residents served in `month`, per team the user may see (or leads)."""
    start, end = _month_range(month)
    teams = list(teams_for(user)) or list(
        Organisation.objects.filter(pk__in=policy.team_ids(user)).order_by("parent_id", "pk")
    )
    ids = [t.pk for t in teams]
    orders = (
        Order.objects.filter(team_id__in=ids, state__in=DONE_STATES, done_at__gte=start, done_at__lt=end)
        .values("team_id")
        .annotate(n=Count("pk"), people=Count("resident_id", distinct=True))
    )
    by_team = {row["team_id"]: row for row in orders}
    hours = dict(
        HoursEntry.objects.filter(team_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values_list("team_id")
        .annotate(total=Sum("hours"))
        .values_list("team_id", "total")
    )
    return [
        Figures(
            label=(f"{t.parent.name} · " if t.parent_id and t.parent else "") + t.name,
            orders_done=by_team.get(t.pk, {}).get("n", 0),
            hours=hours.get(t.pk) or Decimal(0),
            residents_served=by_team.get(t.pk, {}).get("people", 0),
        )
        for t in teams
    ]


def monthly_by_grid(user: User, month: dt.date) -> list[Figures]:
    """The same figures per grid in the user's services.view scope."""
    start, end = _month_range(month)
    grids = list(Place.objects.filter(scope_q(user, caps.SERVICES_VIEW, field="path"), kind=PlaceKind.GRID))
    if not grids and not is_unrestricted(user):
        grids = []
    result = []
    for grid in grids:
        orders = Order.objects.filter(
            place_q(grid, "place_path"), state__in=DONE_STATES, done_at__gte=start, done_at__lt=end
        ).aggregate(n=Count("pk"), people=Count("resident_id", distinct=True))
        hours = HoursEntry.objects.filter(
            place_q(grid, "place_path"), created_at__gte=start, created_at__lt=end
        ).aggregate(total=Sum("hours"))["total"]
        result.append(
            Figures(
                label=grid.name,
                orders_done=orders["n"],
                hours=hours or Decimal(0),
                residents_served=orders["people"],
            )
        )
    return result


def eligible_items(resident: Resident) -> list[tuple[ServiceItem, str | None]]:
    """Every active item with why the resident may not order it (None = they may)."""
    from gridgov.people.models import Tag
    from gridgov.services.services import eligibility_problem

    codes = set(resident.tags.values_list("code", flat=True))
    names = dict(Tag.objects.values_list("code", "name"))
    return [(item, eligibility_problem(item, resident, codes=codes, names=names)) for item in catalogue()]


@dataclass
class OrderFigures:
    """生活快车 over a period for a dashboard: orders received, completed and rated (of which
    satisfied, 4–5 stars), and the volunteers' hours logged."""

    received: int = 0
    completed: int = 0
    rated: int = 0
    satisfied: int = 0
    hours: Decimal = Decimal(0)

    @property
    def satisfaction_rate(self) -> float | None:
        return round(self.satisfied / self.rated, 3) if self.rated else None


@dataclass
class AreaOrderFigures:
    total: OrderFigures
    children: dict[int, OrderFigures]


def order_figures(
    *,
    user: User,
    place: Place,
    since: dt.datetime,
    until: dt.datetime,
    children: Sequence[Place] = (),
) -> AreaOrderFigures | None:
    """Orders received (ordered in [since, until)), completed (done in it), rated and satisfied
    (confirmed in it), and hours logged in it, under `place` within the user's services.view
    scope — in total and per child place; None when that scope holds nothing of `place`.
    Two grouped queries whatever the number of orders."""
    if not holds_within(user, caps.SERVICES_VIEW, place):
        return None
    scope = scope_q(user, caps.SERVICES_VIEW, field="place_path") & place_q(place, "place_path")
    orders = split_by_children(
        Order.objects.filter(scope).filter(
            Q(created_at__gte=since, created_at__lt=until)
            | Q(done_at__gte=since, done_at__lt=until)
            | Q(confirmed_at__gte=since, confirmed_at__lt=until)
        ),
        "place_path",
        place,
        children,
        received=Count("pk", filter=Q(created_at__gte=since, created_at__lt=until)),
        completed=Count("pk", filter=Q(state__in=DONE_STATES, done_at__gte=since, done_at__lt=until)),
        rated=Count("pk", filter=Q(rating__isnull=False, confirmed_at__gte=since, confirmed_at__lt=until)),
        satisfied=Count("pk", filter=Q(rating__gte=4, confirmed_at__gte=since, confirmed_at__lt=until)),
    )
    hours = split_by_children(
        HoursEntry.objects.filter(scope, created_at__gte=since, created_at__lt=until),
        "place_path",
        place,
        children,
        hours=Sum("hours"),
    )

    def make(counts: dict[str, int], summed: dict[str, Decimal]) -> OrderFigures:
        return OrderFigures(**counts, hours=Decimal(summed["hours"] or 0))

    return AreaOrderFigures(
        total=make(orders.total, hours.total),
        children={pk: make(orders.children[pk], hours.children[pk]) for pk in orders.children},
    )
