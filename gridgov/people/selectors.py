from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, is_unrestricted, place_q, scope_q
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.people.models import FloatingRegistration, Membership, Resident, ResidentTag, Tag
from gridgov.people.services import id_hash, phone_hash

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.places.models import Household, Place

_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
_PHONE_LIKE = re.compile(r"^1\d{10}$")
_LAST4 = re.compile(r"^\d{3}[\dXx]$")
_LATIN = re.compile(r"^[A-Za-z]+$")


def residents_for(user: User, capability: str = caps.REGISTRY_VIEW) -> QuerySet[Resident]:
    """Residents in the user's scope; a resident also finds their own card (never a relative's:
    the rest of their household they see by name and relation, through `household_view`)."""
    condition = scope_q(user, capability, field="place__path")
    resident_id = getattr(user, "resident_id", None) if user.is_authenticated else None
    if resident_id and not is_unrestricted(user):
        condition |= Q(pk=resident_id)
    return Resident.objects.filter(condition)


def sees_internal(user: User, resident: Resident) -> bool:
    """Whether `user` sees `resident` as staff do: tags (矫正对象 …), notes, floating registrations.
    Only registry view at the resident's place gives that; one's own card does not."""
    if is_unrestricted(user):
        return True
    return resident.place is not None and has_capability(user, caps.REGISTRY_VIEW, resident.place)


def household_view(user: User, household: Household) -> tuple[list[Membership], bool]:
    """The memberships `user` may see of a household fetched through household_for(), and whether
    they see it as staff. Staff get every stay with tags attached (`with_listing_details`); a
    resident of the household gets the current members, each reduced to name and relation (an
    unsaved copy holding only the primary key and name), except their own record, untagged."""
    memberships = list(household_members(household.pk))
    if has_capability(user, caps.REGISTRY_VIEW, household.place):
        with_listing_details([m.resident for m in memberships])
        return memberships, True
    own_id = getattr(user, "resident_id", None)
    current = [m for m in memberships if m.moved_out is None]
    for membership in current:
        if membership.resident_id != own_id:
            membership.resident = Resident(pk=membership.resident_id, name=membership.resident.name)
        membership.resident.tag_list = []
        membership.names_only = membership.resident_id != own_id
    return current, False


def resident_for(user: User, resident_id: int, *, for_write: bool = False) -> Resident:
    capability = caps.REGISTRY_EDIT if for_write else caps.REGISTRY_VIEW
    resident = residents_for(user, capability).select_related("place").filter(pk=resident_id).first()
    if resident is None:
        raise NotFound()
    return resident


def resident_search(
    user: User,
    *,
    q: str = "",
    place: Place | None = None,
    tag: str | None = None,
    status: str | None = None,
) -> QuerySet[Resident]:
    """Search by name, pinyin or initials, phone, ID number (exact, through the hash), last four
    digits, or address — always inside the user's scope."""
    qs = residents_for(user)
    if place is not None:
        qs = qs.filter(place_q(place))
    if tag:
        qs = qs.filter(resident_tags__tag__code=tag)
    if status:
        qs = qs.filter(residence_status=status)
    q = (q or "").strip()
    # Best matches first: "dj" puts 杜洁 (initials exactly dj) before 杜家明 (initials start with dj),
    # and a name typed in full before names that only contain it.
    rank: Any = Value(0)
    if q:
        compact = q.replace(" ", "")
        if _ID_LIKE.match(compact):
            qs = qs.filter(id_number_hash=id_hash(compact.upper()))
        elif _PHONE_LIKE.match(compact):
            qs = qs.filter(phone_hash=phone_hash(compact))
        elif _LAST4.match(compact):
            qs = qs.filter(Q(phone_last4=compact) | Q(id_number_last4=compact.upper()))
        elif _LATIN.match(compact):
            lowered = compact.lower()
            qs = qs.filter(Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered))
            rank = Case(
                When(Q(name_initials=lowered) | Q(name_pinyin=lowered), then=Value(0)),
                When(name_pinyin__startswith=lowered, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        else:
            current = Membership.objects.filter(moved_out__isnull=True, household__address__icontains=q)
            qs = qs.filter(Q(name__contains=q) | Q(pk__in=current.values("resident_id")))
            rank = Case(
                When(name=q, then=Value(0)),
                When(name__startswith=q, then=Value(1)),
                When(name__contains=q, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
    return qs.select_related("place").annotate(search_rank=rank).order_by("search_rank", "id")


def resident_detail(user: User, resident_id: int) -> Resident:
    resident = resident_for(user, resident_id)
    return (
        Resident.objects.select_related("place")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("household").order_by("-moved_in", "-id"),
            ),
            Prefetch("resident_tags", queryset=ResidentTag.objects.select_related("tag")),
            Prefetch("floating_registrations", queryset=FloatingRegistration.objects.select_related("place")),
        )
        .get(pk=resident.pk)
    )


def household_members(household_id: int, *, current_only: bool = False) -> QuerySet[Membership]:
    """Members of a household the caller has already fetched through household_for()."""
    qs = Membership.objects.filter(household_id=household_id).select_related("resident")
    if current_only:
        qs = qs.filter(moved_out__isnull=True)
    return qs.order_by("moved_out", "relation", "id")


def floating_for(
    user: User, *, active: bool | None = True, expiring_within_days: int | None = None
) -> QuerySet[FloatingRegistration]:
    qs = FloatingRegistration.objects.filter(scope_q(user, caps.REGISTRY_VIEW, field="place__path"))
    if active is True:
        qs = qs.filter(deregistered_on__isnull=True)
    elif active is False:
        qs = qs.filter(deregistered_on__isnull=False)
    if expiring_within_days is not None:
        until = clock.today() + dt.timedelta(days=expiring_within_days)
        qs = qs.filter(deregistered_on__isnull=True, expected_until__isnull=False, expected_until__lte=until)
    return qs.select_related("resident", "place", "household")


def floating_due(user: User) -> QuerySet[FloatingRegistration]:
    """Active registrations whose expected stay ends within the reminder window or has ended."""
    return floating_for(user, expiring_within_days=settings.GRIDGOV_FLOATING_REMIND_DAYS).order_by(
        "expected_until"
    )


def floating_expiring(user: User) -> QuerySet[FloatingRegistration]:
    """Active registrations whose expected stay ends today or within the reminder window (即将到期)."""
    return floating_due(user).filter(expected_until__gte=clock.today())


def floating_expired(user: User) -> QuerySet[FloatingRegistration]:
    """Active registrations whose expected stay has already ended (已到期: renew or deregister)."""
    return floating_due(user).filter(expected_until__lt=clock.today())


def floating_registration_for(user: User, registration_id: int) -> FloatingRegistration:
    registration = floating_for(user, active=None).filter(pk=registration_id).first()
    if registration is None:
        raise NotFound()
    return registration


def active_tags() -> QuerySet[Tag]:
    return Tag.objects.filter(is_active=True)


def resident_by_card(user: User, card_no: str) -> Resident:
    resident = residents_for(user).filter(card_no=card_no).first()
    if resident is None:
        raise NotFound()
    return resident


# --- pages: household lookup for search, and the service card ----------------------------


def resident_card_for(user: User, resident_id: int) -> Resident:
    """Staff see the cards of residents in their scope; a resident sees their own card only,
    not those of the rest of the household (a card is what a merchant scans to serve someone)."""
    if user.is_authenticated and getattr(user, "resident_id", None) == resident_id:
        resident = Resident.objects.select_related("place").filter(pk=resident_id).first()
    else:
        resident = (
            Resident.objects.filter(scope_q(user, caps.REGISTRY_VIEW, field="place__path"))
            .select_related("place")
            .filter(pk=resident_id)
            .first()
        )
    if resident is None:
        raise NotFound()
    return resident


# --- API: memberships and tags by code ---------------------------------------------------


def membership_for(user: User, membership_id: int) -> Membership:
    """A household membership whose household the user may see; NotFound alike otherwise."""
    from gridgov.places.selectors import households_for

    membership = (
        Membership.objects.select_related("household__place", "resident")
        .filter(pk=membership_id, household__in=households_for(user))
        .first()
    )
    if membership is None:
        raise NotFound()
    return membership


def tags_by_codes(codes: list[str]) -> list[Tag]:
    """Active tags for the given codes; an unknown code is bad input on the `tags` field."""
    from gridgov.core.errors import field_error

    wanted = list(dict.fromkeys(code.strip() for code in codes if code and code.strip()))
    found = {tag.code: tag for tag in active_tags().filter(code__in=wanted)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise field_error("tags", f"未知的人群标签：{'、'.join(unknown)}")
    return [found[code] for code in wanted]


def with_listing_details(residents: list[Resident]) -> list[Resident]:
    """Attach `current_memberships` (with household) and `tag_list` to residents already fetched
    through a scoped selector, for list pages: two queries for the whole page."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        residents,
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(moved_out__isnull=True).select_related("household"),
            to_attr="current_memberships",
        ),
        Prefetch("resident_tags", queryset=ResidentTag.objects.select_related("tag"), to_attr="tag_list"),
    )
    return residents
