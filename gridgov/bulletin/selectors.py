"""Every read of notices, scoped to the acting user: residents by their place and tags, staff by scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import is_unrestricted, paths_with, scope_q, subtree_q
from gridgov.bulletin.models import Column, Notice, NoticeFile, NoticeReceipt, NoticeState, NoticeTarget
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.people.models import Membership, Resident
from gridgov.places.models import Household, Place, PlaceKind

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def columns(*, active_only: bool = True) -> QuerySet[Column]:
    qs = Column.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def column_for(column_id: int) -> Column:
    column = Column.objects.filter(pk=column_id).first()
    if column is None:
        raise NotFound()
    return column


def _resident(user: User) -> Resident | None:
    if not getattr(user, "resident_id", None):
        return None
    return Resident.objects.select_related("place").filter(pk=user.resident_id or 0).first()


def live_q(now=None) -> Q:
    """Published (or scheduled and due: the sweep may not have run yet) and not expired."""
    now = now or clock.now()
    return Q(state__in=[NoticeState.PUBLISHED, NoticeState.SCHEDULED], publish_at__lte=now) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def addressed_q(resident: Resident) -> Q:
    """Notices addressed to the resident's building (or any place above it) and, when tagged, to
    one of the resident's tags."""
    if resident.place is None:
        return Q(pk__in=[])
    to_place = Exists(
        NoticeTarget.objects.filter(notice=OuterRef("pk"), path__in=resident.place.ancestor_paths())
    )
    tag_ids = list(resident.resident_tags.values_list("tag_id", flat=True))
    to_tags = Q(has_tags=False) | Q(
        pk__in=Notice.target_tags.through.objects.filter(tag_id__in=tag_ids).values("notice_id")
    )
    return Q(to_place) & to_tags


def staff_q(user: User, capability: str = caps.BULLETIN_VIEW) -> Q:
    """Notices a staff member sees: owned by a place in their scope, or addressed to a place that
    covers or lies in their scope (a community's notice reaches its grid workers)."""
    if is_unrestricted(user):
        return Q()
    roots = paths_with(user, capability)
    if not roots:
        return Q(pk__in=[])
    covering: set[str] = set()
    for root in roots:
        parts = root.split(".")
        covering.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    targets = NoticeTarget.objects.filter(subtree_q(roots, "path") | Q(path__in=covering)).values("notice_id")
    return scope_q(user, capability, "place__path") | Q(pk__in=targets)


def is_staff_reader(user: User) -> bool:
    return is_unrestricted(user) or bool(paths_with(user, caps.BULLETIN_VIEW))


def _with_lists(qs: QuerySet[Notice]) -> QuerySet[Notice]:
    return qs.select_related("column", "place").prefetch_related("target_tags")


def notices_for_resident(user: User, *, column: Column | None = None) -> QuerySet[Notice]:
    """What a resident may read now: live and addressed to them."""
    resident = _resident(user)
    if resident is None:
        return Notice.objects.none()
    qs = Notice.objects.filter(live_q()).filter(addressed_q(resident))
    if column is not None:
        qs = qs.filter(column=column)
    confirmed = NoticeReceipt.objects.filter(notice=OuterRef("pk"), resident_id=resident.pk)
    return _with_lists(qs).annotate(confirmed=Exists(confirmed)).order_by("-pinned", "-publish_at", "-id")


def notices_for_staff(user: User, *, column: Column | None = None, state: str = "") -> QuerySet[Notice]:
    """Notices in the staff member's scope, every state."""
    qs = Notice.objects.filter(staff_q(user))
    if column is not None:
        qs = qs.filter(column=column)
    if state:
        qs = qs.filter(state=state)
    return _with_lists(qs).order_by("-pinned", "-created_at", "-id")


def notice_for(user: User, notice_id: int, *, for_write: bool = False) -> Notice:
    """The notice if the user may see it (staff scope, or live and addressed to the resident);
    NotFound alike for missing and out of scope."""
    if is_staff_reader(user) or (for_write and not getattr(user, "resident_id", None)):
        qs = Notice.objects.filter(staff_q(user, caps.BULLETIN_PUBLISH if for_write else caps.BULLETIN_VIEW))
    else:
        resident = _resident(user)
        if resident is None:
            raise NotFound()
        qs = Notice.objects.filter(live_q()).filter(addressed_q(resident))
    if for_write:
        qs = qs.select_for_update(of=("self",))
    notice = qs.select_related("column", "place").filter(pk=notice_id).first()
    if notice is None:
        raise NotFound()
    return notice


def notice_targets(notice: Notice) -> list[NoticeTarget]:
    return list(notice.targets.select_related("place").order_by("path"))


def notice_files(notice: Notice) -> list[NoticeFile]:
    return list(notice.files.all())


def file_for(user: User, file_id: int) -> NoticeFile:
    item = NoticeFile.objects.filter(pk=file_id).first()
    if item is None:
        raise NotFound()
    notice_for(user, item.notice_id)
    return item


def resident_confirmed(user: User, notice: Notice) -> bool:
    return (
        bool(getattr(user, "resident_id", None))
        and NoticeReceipt.objects.filter(notice=notice, resident_id=user.resident_id or 0).exists()
    )


# --- read receipts per building -------------------------------------------------------------


@dataclass
class UnreadHousehold:
    household: Household
    people: list[Resident] = field(default_factory=list)


@dataclass
class BuildingReceipts:
    building: Place
    total: int = 0
    confirmed: int = 0
    unread: list[UnreadHousehold] = field(default_factory=list)

    @property
    def rate(self) -> int:
        return round(100 * self.confirmed / self.total) if self.total else 0


def _target_household_q(notice: Notice, user: User) -> Q:
    target_paths = list(notice.targets.values_list("path", flat=True))
    condition = subtree_q(target_paths, "place__path")
    if not is_unrestricted(user):
        condition &= subtree_q(paths_with(user, caps.BULLETIN_VIEW), "place__path")
    return condition


def receipts_by_building(user: User, notice: Notice) -> list[BuildingReceipts]:
    """Per building in both the notice's targets and the viewer's scope: households, how many
    confirmed (any member), and the unread ones with their current members (phones masked)."""
    households = Household.objects.filter(_target_household_q(notice, user)).filter(
        memberships__moved_out__isnull=True
    )
    if notice.has_tags:
        tag_ids = list(notice.target_tags.values_list("pk", flat=True))
        households = households.filter(memberships__resident__resident_tags__tag_id__in=tag_ids)
    confirmed_ids = set(
        NoticeReceipt.objects.filter(notice=notice, household__isnull=False).values_list(
            "household_id", flat=True
        )
    )
    members = Prefetch(
        "memberships",
        queryset=Membership.objects.filter(moved_out__isnull=True).select_related("resident").order_by("id"),
        to_attr="current_members",
    )
    rows: dict[int, BuildingReceipts] = {}
    for household in (
        households.distinct()
        .select_related("place")
        .prefetch_related(members)
        .order_by("place__path", "room")
    ):
        building = household.place
        row = rows.setdefault(building.pk, BuildingReceipts(building=building))
        row.total += 1
        if household.pk in confirmed_ids:
            row.confirmed += 1
        else:
            row.unread.append(
                UnreadHousehold(household=household, people=[m.resident for m in household.current_members])
            )
    return list(rows.values())


def unread_residents(user: User, notice: Notice) -> list[Resident]:
    return [
        person for row in receipts_by_building(user, notice) for item in row.unread for person in item.people
    ]


def target_choices(user: User) -> QuerySet[Place]:
    """Places a publisher may address: in their publishing scope, down to buildings."""
    kinds = [PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.ESTATE, PlaceKind.BUILDING]
    return Place.objects.filter(scope_q(user, caps.BULLETIN_PUBLISH, "path"), kind__in=kinds).order_by("path")


def due_scheduled_ids(now=None) -> list[int]:
    now = now or clock.now()
    return list(
        Notice.objects.filter(state=NoticeState.SCHEDULED, publish_at__lte=now).values_list("pk", flat=True)[
            :500
        ]
    )
