"""Every read of care, scoped: staff by care.view over the place, carers to their own plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import holds_within, place_q, scope_q
from gridgov.care import policy
from gridgov.care.models import COVERED_TAGS, CarePlan, Duty, PatrolVisit, Visit
from gridgov.core import clock
from gridgov.core.areas import split_by_children
from gridgov.core.errors import NotFound, field_error
from gridgov.places.models import Household, Place, PlaceKind

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.people.models import Resident


def plans_for(user: User) -> QuerySet[CarePlan]:
    return (
        CarePlan.objects.filter(policy.visible_q(user))
        .select_related("resident", "household", "place")
        .prefetch_related("carers__user", "duties")
    )


def plan_for(user: User, plan_id: int) -> CarePlan:
    """A plan the user may see; NotFound alike for missing and out of scope."""
    plan = plans_for(user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound()
    return plan


def plan_for_visit(user: User, plan_id: int) -> CarePlan:
    """The plan a carer logs a visit for: only their own (or, for care.manage staff, their scope's);
    anything else, missing or not, is the same field error."""
    plan = plans_for(user).filter(pk=plan_id, is_active=True).first()
    if plan is None or "log_visit" not in policy.allowed(user, plan):
        raise field_error("plan", "只能为自己结对帮扶的对象登记走访")
    return plan


def my_plans(user: User) -> QuerySet[CarePlan]:
    return plans_for(user).filter(carers__user_id=user.pk, is_active=True).distinct()


def my_due_duties(user: User, *, ahead_days: int = 3) -> QuerySet[Duty]:
    """The carer's duties due within `ahead_days` or overdue, earliest first."""
    horizon = clock.today() + dt.timedelta(days=ahead_days)
    return (
        Duty.objects.filter(plan__carers__user_id=user.pk, plan__is_active=True, due_on__lte=horizon)
        .select_related("plan__resident", "plan__household")
        .order_by("due_on", "pk")
        .distinct()
    )


def plan_visits(plan: CarePlan) -> QuerySet[Visit]:
    return plan.visits.select_related("carer", "case", "order__item").prefetch_related("photos")


@dataclass
class CoverageRow:
    resident: Resident
    tags: list[str]
    covered: bool


@dataclass
class GridDuties:
    grid: Place
    plans: int
    done: int
    on_time: int
    missed: int

    @property
    def on_time_percent(self) -> int | None:
        total = self.done + self.missed
        return round(100 * self.on_time / total) if total else None


def coverage(user: User) -> list[CoverageRow]:
    """Every resident tagged 独居老人/空巢老人/残疾人/留守儿童 in the user's care.view scope, covered or not."""
    from gridgov.people.models import Resident, ResidentTag

    active = CarePlan.objects.filter(resident_id=OuterRef("pk"), is_active=True)
    residents = (
        Resident.objects.filter(
            scope_q(user, caps.CARE_VIEW, field="place__path"),
            resident_tags__tag__code__in=COVERED_TAGS,
            is_deceased=False,
        )
        .distinct()
        .annotate(covered=Exists(active))
        .select_related("place")
        .prefetch_related(
            Prefetch(
                "resident_tags",
                queryset=ResidentTag.objects.filter(tag__code__in=COVERED_TAGS).select_related("tag"),
                to_attr="covered_tags",
            )
        )
        .order_by("covered", "place__path", "pk")
    )
    return [
        CoverageRow(resident=r, tags=[t.tag.name for t in r.covered_tags], covered=r.covered)
        for r in residents
    ]


def _grids(user: User, capability: str) -> list[Place]:
    return list(
        Place.objects.filter(scope_q(user, capability, field="path"), kind=PlaceKind.GRID).order_by("path")
    )


def duties_by_grid(user: User) -> list[GridDuties]:
    """Duties done on time (%) per grid of the user's scope."""
    rows = []
    for grid in _grids(user, caps.CARE_VIEW):
        figures = Duty.objects.filter(place_q(grid, "plan__place_path"), plan__is_active=True).aggregate(
            plans=Count("plan_id", distinct=True),
            done=Sum("done_count"),
            on_time=Sum("on_time_count"),
            missed=Sum("missed_count"),
        )
        rows.append(
            GridDuties(
                grid=grid,
                plans=figures["plans"] or 0,
                done=figures["done"] or 0,
                on_time=figures["on_time"] or 0,
                missed=figures["missed"] or 0,
            )
        )
    return rows


@dataclass
class PatrolCoverage:
    grid: Place
    worker: str
    visited: int
    households: int

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.households) if self.households else 0


def patrol_coverage(user: User, month: dt.date) -> list[PatrolCoverage]:
    """Households visited in `month` / households in the grid, per grid worker."""
    from django.utils import timezone

    start = timezone.make_aware(dt.datetime(month.year, month.month, 1))
    nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    end = timezone.make_aware(dt.datetime(nxt.year, nxt.month, 1))
    rows = []
    for grid in _grids(user, caps.CARE_VIEW) or _grids(user, caps.CARE_PATROL):
        total = Household.objects.filter(place_q(grid)).count()
        per_worker = (
            PatrolVisit.objects.filter(grid=grid, visited_at__gte=start, visited_at__lt=end)
            .values("worker_id", "worker__display_name", "worker__username")
            .annotate(n=Count("household_id", distinct=True))
            .order_by("worker_id")
        )
        for row in per_worker:
            rows.append(
                PatrolCoverage(
                    grid=grid,
                    worker=row["worker__display_name"] or row["worker__username"],
                    visited=row["n"],
                    households=total,
                )
            )
        if not per_worker:
            rows.append(PatrolCoverage(grid=grid, worker="（本月无走访）", visited=0, households=total))
    return rows


def patrols_for(user: User) -> QuerySet[PatrolVisit]:
    condition = scope_q(user, caps.CARE_VIEW, field="place_path") | Q(worker_id=user.pk)
    return (
        PatrolVisit.objects.filter(condition)
        .select_related("household", "worker", "grid")
        .prefetch_related("cases")
    )


def patrol_households(user: User, q: str = "") -> QuerySet[Household]:
    """Households the user may visit on patrol (care.patrol scope), by room or address."""
    qs = Household.objects.filter(scope_q(user, caps.CARE_PATROL, field="place__path")).select_related(
        "place"
    )
    if q:
        qs = qs.filter(Q(room__contains=q) | Q(address__contains=q))
    return qs.order_by("place__path", "room")


def patrol_household_for(user: User, household_id: int) -> Household:
    household = patrol_households(user).filter(pk=household_id).first()
    if household is None:
        raise NotFound()
    return household


@dataclass
class DutyFigures:
    """Care duties over a period: those that fell due (fulfilled by a visit logged in the period,
    or past due now and still undone, their date in the period), those done on time, those
    overdue and undone now, and every visit logged in the period."""

    due: int = 0
    on_time: int = 0
    overdue: int = 0
    visits: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.due, 3) if self.due else None


@dataclass
class AreaDutyFigures:
    total: DutyFigures
    children: dict[int, DutyFigures]


def duty_figures(
    *,
    user: User,
    place: Place,
    since: dt.datetime,
    until: dt.datetime,
    children: Sequence[Place] = (),
) -> AreaDutyFigures | None:
    """`DutyFigures` under `place` within the user's care.view scope, in total and per child;
    None when that scope holds nothing of `place`. Two grouped queries."""
    if not holds_within(user, caps.CARE_VIEW, place):
        return None
    scope = scope_q(user, caps.CARE_VIEW, field="plan__place_path") & place_q(place, "plan__place_path")
    visits = split_by_children(
        Visit.objects.filter(scope, visited_at__gte=since, visited_at__lt=until),
        "plan__place_path",
        place,
        children,
        visits=Count("pk"),
        fulfilled=Count("pk", filter=Q(duty__isnull=False)),
        on_time=Count("pk", filter=Q(duty__isnull=False, on_time=True)),
    )
    first = timezone.localdate(since)
    # Undone duties keep their date until a visit moves it on: late now if that date has passed.
    last = min(timezone.localdate(until - dt.timedelta(microseconds=1)), clock.today() - dt.timedelta(days=1))
    late = split_by_children(
        Duty.objects.filter(scope, plan__is_active=True, due_on__gte=first, due_on__lte=last),
        "plan__place_path",
        place,
        children,
        overdue=Count("pk"),
    )

    def make(v: dict[str, int], d: dict[str, int]) -> DutyFigures:
        return DutyFigures(
            due=v["fulfilled"] + d["overdue"], on_time=v["on_time"], overdue=d["overdue"], visits=v["visits"]
        )

    return AreaDutyFigures(
        total=make(visits.total, late.total),
        children={pk: make(visits.children[pk], late.children[pk]) for pk in visits.children},
    )


@dataclass
class PatrolFigures:
    """Door-to-door patrols over a period: households visited at least once, of all households."""

    visited: int = 0
    households: int = 0
    visits: int = 0

    @property
    def coverage_rate(self) -> float | None:
        return round(self.visited / self.households, 3) if self.households else None


@dataclass
class AreaPatrolFigures:
    total: PatrolFigures
    children: dict[int, PatrolFigures]


def patrol_figures(
    *,
    user: User,
    place: Place,
    since: dt.datetime,
    until: dt.datetime,
    children: Sequence[Place] = (),
) -> AreaPatrolFigures | None:
    """Patrol coverage under `place` within the user's care.view scope: distinct households
    visited in [since, until) over the households there, in total and per child; None when that
    scope holds nothing of `place`. Two grouped queries."""
    if not holds_within(user, caps.CARE_VIEW, place):
        return None
    visited = split_by_children(
        PatrolVisit.objects.filter(
            scope_q(user, caps.CARE_VIEW, field="place_path"),
            place_q(place, "place_path"),
            visited_at__gte=since,
            visited_at__lt=until,
        ),
        "place_path",
        place,
        children,
        # A household lies under one child only, so distinct counts add up across children.
        visited=Count("household_id", distinct=True),
        visits=Count("pk"),
    )
    homes = split_by_children(
        Household.objects.filter(scope_q(user, caps.CARE_VIEW, field="place__path"), place_q(place)),
        "place__path",
        place,
        children,
        households=Count("pk"),
    )

    def make(v: dict[str, int], h: dict[str, int]) -> PatrolFigures:
        return PatrolFigures(visited=v["visited"], households=h["households"], visits=v["visits"])

    return AreaPatrolFigures(
        total=make(visited.total, homes.total),
        children={pk: make(visited.children[pk], homes.children[pk]) for pk in visited.children},
    )
