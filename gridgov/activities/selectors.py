"""Every read of groups and activities, scoped: staff by place scope, residents by where they live."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import holds_within, is_unrestricted, paths_with, place_q, scope_q
from gridgov.activities.models import (
    Activity,
    ActivityState,
    Group,
    GroupMember,
    MemberState,
    Signup,
    SignupState,
)
from gridgov.core import clock
from gridgov.core.areas import split_by_children
from gridgov.core.errors import NotFound
from gridgov.people.models import Resident

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.places.models import Place


def is_staff(user: User) -> bool:
    return is_unrestricted(user) or bool(paths_with(user, caps.ACTIVITIES_VIEW))


def _resident(user: User) -> Resident | None:
    if not getattr(user, "resident_id", None):
        return None
    return Resident.objects.select_related("place").filter(pk=user.resident_id or 0).first()


def _resident_q(resident: Resident | None, field: str = "place__path") -> Q:
    """Rows whose place covers where the resident lives."""
    if resident is None or resident.place is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": resident.place.ancestor_paths()})


def groups_for(user: User) -> QuerySet[Group]:
    """Staff: groups in scope; residents: groups open to where they live."""
    if is_staff(user):
        qs = Group.objects.filter(scope_q(user, caps.ACTIVITIES_VIEW, "place__path"))
    else:
        qs = Group.objects.filter(_resident_q(_resident(user)))
    return qs.select_related("place", "parent").order_by("place__path", "parent_id", "name")


def group_for(user: User, group_id: int) -> Group:
    group = groups_for(user).filter(pk=group_id).first()
    if group is None:
        raise NotFound()
    return group


def group_members(group: Group, *, state: str = MemberState.ACTIVE) -> QuerySet[GroupMember]:
    return group.members.filter(state=state).select_related("resident").order_by("-role", "id")


def member_for(user: User, member_id: int) -> GroupMember:
    member = GroupMember.objects.select_related("group__place", "resident").filter(pk=member_id).first()
    if member is None:
        raise NotFound()
    group_for(user, member.group_id)
    return member


def my_membership(user: User, group: Group) -> GroupMember | None:
    if not getattr(user, "resident_id", None):
        return None
    return GroupMember.objects.filter(group=group, resident_id=user.resident_id or 0).first()


def _annotated(qs: QuerySet[Activity], user: User) -> QuerySet[Activity]:
    qs = qs.select_related("place", "group")
    if getattr(user, "resident_id", None):
        mine = Signup.objects.filter(activity=OuterRef("pk"), resident_id=user.resident_id or 0)
        qs = qs.annotate(
            my_state=Subquery(mine.values("state")[:1]),
            my_checked_in=Subquery(mine.values("checked_in_at")[:1]),
        )
    return qs


def activities_for(
    user: User,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    group: Group | None = None,
    mine: bool = False,
) -> QuerySet[Activity]:
    """Staff: every activity in scope; residents: those addressed to where they live (tags and
    age are checked at sign-up, with a message), or only theirs with `mine`."""
    if is_staff(user) and not mine:
        qs = Activity.objects.filter(scope_q(user, caps.ACTIVITIES_VIEW, "place__path"))
    else:
        resident = _resident(user)
        if resident is None:
            return Activity.objects.none()
        signed = Signup.objects.filter(resident_id=resident.pk).exclude(state=SignupState.CANCELLED)
        if mine:
            qs = Activity.objects.filter(Exists(signed.filter(activity=OuterRef("pk"))))
        else:
            qs = Activity.objects.filter(_resident_q(resident)).exclude(state=ActivityState.CANCELLED)
    if start is not None:
        qs = qs.filter(starts_at__gte=start)
    if end is not None:
        qs = qs.filter(starts_at__lt=end)
    if group is not None:
        qs = qs.filter(group=group)
    return _annotated(qs, user).order_by("starts_at", "id")


def activity_for(user: User, activity_id: int) -> Activity:
    """The activity if staff see it in scope or it is addressed to (or joined by) the resident."""
    if is_staff(user):
        qs = Activity.objects.filter(scope_q(user, caps.ACTIVITIES_VIEW, "place__path"))
    else:
        resident = _resident(user)
        qs = Activity.objects.filter(_resident_q(resident)) if resident else Activity.objects.none()
    activity = _annotated(qs, user).filter(pk=activity_id).first()
    if activity is None:
        raise NotFound()
    return activity


def my_signup(user: User, activity: Activity) -> Signup | None:
    if not getattr(user, "resident_id", None):
        return None
    return Signup.objects.filter(activity=activity, resident_id=user.resident_id or 0).first()


def signup_for(user: User, signup_id: int) -> Signup:
    signup = Signup.objects.filter(pk=signup_id).first()
    if signup is None:
        raise NotFound()
    if signup.resident_id != getattr(user, "resident_id", None):
        activity_for(user, signup.activity_id)
        if not is_staff(user):
            raise NotFound()
    return signup


def roster(activity: Activity) -> QuerySet[Signup]:
    return (
        activity.signups.exclude(state=SignupState.CANCELLED)
        .select_related("resident")
        .order_by("state", "queued_at", "id")
    )


def waiting_position(signup: Signup) -> int:
    return (
        Signup.objects.filter(activity_id=signup.activity_id, state=SignupState.WAITING)
        .filter(Q(queued_at__lt=signup.queued_at) | Q(queued_at=signup.queued_at, pk__lt=signup.pk))
        .count()
        + 1
    )


@dataclass
class MonthFigures:
    group: Group | None
    month: dt.date
    held: int
    signups: int
    attended: int
    reached: int

    @property
    def attendance_rate(self) -> int:
        return round(100 * self.attended / self.signups) if self.signups else 0


def figures(user: User, *, year: int) -> list[MonthFigures]:
    """Per group and month of `year`: activities held, sign-ups, attendance, distinct residents reached."""
    scope = scope_q(user, caps.ACTIVITIES_VIEW, "activity__place__path")
    base = Signup.objects.filter(scope, activity__starts_at__year=year).exclude(
        activity__state=ActivityState.CANCELLED
    )
    per = (
        base.annotate(month=TruncMonth("activity__starts_at"))
        .values("activity__group_id", "month")
        .annotate(
            signups=Count("pk", filter=~Q(state=SignupState.CANCELLED)),
            attended=Count("pk", filter=Q(checked_in_at__isnull=False)),
            reached=Count("resident_id", filter=Q(checked_in_at__isnull=False), distinct=True),
        )
    )
    held = (
        Activity.objects.filter(scope_q(user, caps.ACTIVITIES_VIEW, "place__path"), starts_at__year=year)
        .exclude(state=ActivityState.CANCELLED)
        .annotate(month=TruncMonth("starts_at"))
        .values("group_id", "month")
        .annotate(n=Count("pk"))
    )
    held_map = {(row["group_id"], row["month"]): row["n"] for row in held}
    groups = {g.pk: g for g in Group.objects.filter(pk__in={key[0] for key in held_map if key[0]})}
    rows: dict[tuple, MonthFigures] = {}
    for (group_id, month), n in held_map.items():
        day = month.date() if isinstance(month, dt.datetime) else month
        rows[(group_id, month)] = MonthFigures(groups.get(group_id), day, n, 0, 0, 0)
    for row in per:
        key = (row["activity__group_id"], row["month"])
        if key in rows:
            rows[key].signups, rows[key].attended, rows[key].reached = (
                row["signups"],
                row["attended"],
                row["reached"],
            )
    return sorted(rows.values(), key=lambda r: (r.month, r.group.name if r.group else ""))


@dataclass
class ActivityFigures:
    """Activities held over a period (started in it, by now, not cancelled) and their people:
    sign-ups confirmed and residents checked in."""

    held: int = 0
    signups: int = 0
    attended: int = 0


@dataclass
class AreaActivityFigures:
    total: ActivityFigures
    children: dict[int, ActivityFigures]


def activity_figures(
    *,
    user: User,
    place: Place,
    since: dt.datetime,
    until: dt.datetime,
    children: Sequence[Place] = (),
) -> AreaActivityFigures | None:
    """`ActivityFigures` for activities aimed at `place` or below, within the user's
    activities.view scope, in total and per child (an activity for the whole community counts in
    the community's total only); None when that scope holds nothing of `place`. One grouped
    query over the activities' own counters."""
    if not holds_within(user, caps.ACTIVITIES_VIEW, place):
        return None
    split = split_by_children(
        Activity.objects.filter(
            scope_q(user, caps.ACTIVITIES_VIEW, "place__path"),
            place_q(place, "place__path"),
            starts_at__gte=since,
            starts_at__lt=min(until, clock.now()),
        ).exclude(state=ActivityState.CANCELLED),
        "place__path",
        place,
        children,
        held=Count("pk"),
        signups=Sum("confirmed_count"),
        attended=Sum("attended_count"),
    )
    return AreaActivityFigures(
        total=ActivityFigures(**split.total),
        children={pk: ActivityFigures(**row) for pk, row in split.children.items()},
    )
