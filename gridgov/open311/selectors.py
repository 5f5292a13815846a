"""Reads behind GeoReport v2: categories as services, cases as public service requests, and
the mapping of a client's location (lat/long, address text, place id) to one of our places.

GET requests needs no key, so a service request shows only what the community publishes:
- `service_request_id` is the case's random `public_id`: the tracking code is a secret (with
  the last four digits of a phone it opens the case and its rating) and is never written here;
- `description` is the summary staff published (`case_publish_summary`), or empty: the
  reporter's own words (names, rooms, phone numbers, neighbours' doings) are never shown;
- `status_notes` is the state in plain words, not the staff's result or reasons;
- `address` stops at the estate or lane (小区/街巷), never the building, unit or room, and
  `address_id` is that place; `lat`/`long` are that place's, or else the case's, rounded to
  three decimals (about 100 m), so a report cannot be traced to a door;
- `media_url` is left out: a photo may show people, and nobody has chosen to publish it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import F, Q, QuerySet, Value
from django.utils import timezone

from gridgov.accounts.scope import place_q, within
from gridgov.cases.models import OPEN_STATES, Case, Category, Level, State
from gridgov.cases.selectors import categories, key_place, key_places, public_cases
from gridgov.core import clock
from gridgov.core.errors import NotFound, field_error
from gridgov.core.masking import mask_numbers_in_text
from gridgov.places.models import Household, Place, PlaceKind

if TYPE_CHECKING:
    from gridgov.cases.models import ApiKey

DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
MAX_IDS = 200
# Place kinds a public address is made of (the grid is an office notion, not an address; a
# building of a few dozen households, with a category and a date, can point to one family).
ADDRESS_KINDS = (PlaceKind.COMMUNITY, PlaceKind.ESTATE, PlaceKind.LANE)
# Never named, even where the tree has nothing of the kinds above.
PRIVATE_KINDS = (PlaceKind.GROUP, PlaceKind.BUILDING, PlaceKind.UNIT)
COORDINATE_DECIMALS = 3
PUBLIC_ID_LENGTH = 16
# Public words for a state: never the staff's result, reason or the other case's code.
_STATUS_NOTES: dict[str, str] = {
    State.MERGED: "已与同类反映合并处理",
    State.REJECTED: "不予受理",
    State.CLOSED: "已办结",  # "已评价" would tell the world the reporter has rated it
}

# Kept for callers of the old name: masking lives with the other masks now.
redact = mask_numbers_in_text


# --- services -----------------------------------------------------------------------------------


def services() -> list[dict[str, Any]]:
    """Every active category as a GeoReport service; subcategories are grouped under their parent."""
    active = list(categories())
    children: dict[int, list[Category]] = {}
    for category in active:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    rows = []
    for category in active:
        if category.parent_id and category.parent_id not in {c.pk for c in active if not c.parent_id}:
            continue  # a subcategory whose parent is switched off
        subs = children.get(category.pk, [])
        parent = category.parent if category.parent_id else None
        rows.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": (
                    f"{parent.name}：{category.name}"
                    if parent
                    else f"{category.name}类问题"
                    + (f"，包括{'、'.join(s.name for s in subs)}" if subs else "")
                ),
                "metadata": False,
                "type": "realtime",
                "keywords": ", ".join([category.name, *(s.name for s in subs)]),
                "group": parent.name if parent else category.name,
            }
        )
    return rows


def service_for(code: str) -> Category:
    category = categories().filter(code=(code or "").strip()).first()
    if category is None or (category.parent is not None and not category.parent.is_active):
        raise NotFound()
    return category


# --- where a request is -------------------------------------------------------------------------


def _metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    rlat1, rlat2 = math.radians(lat1), math.radians(lat2)
    dlat, dlng = rlat2 - rlat1, math.radians(lng2 - lng1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rlat1) * math.cos(rlat2) * math.sin(dlng / 2) ** 2
    return 2 * 6371000 * math.asin(min(1.0, math.sqrt(a)))


def nearest_place(api_key: ApiKey, latitude: float, longitude: float) -> Place:
    """The closest place with coordinates in the key's scope, within the configured distance."""
    limit = settings.GRIDGOV_OPEN311_MAX_DISTANCE_M
    # A bounding box first, so only nearby rows come back from the database.
    dlat = limit / 111_000
    dlng = limit / (111_000 * max(math.cos(math.radians(latitude)), 0.01))
    candidates = key_places(api_key).filter(
        latitude__range=(latitude - dlat, latitude + dlat),
        longitude__range=(longitude - dlng, longitude + dlng),
    )
    best: tuple[float, int, int] | None = None
    for pk, depth, lat, lng in candidates.values_list("pk", "depth", "latitude", "longitude"):
        # The nearest wins; at the same spot the deeper (a building rather than its estate).
        assert lat is not None and lng is not None  # the range filters leave out null
        key = (_metres(latitude, longitude, lat, lng), -depth, pk)
        if best is None or key < best:
            best = key
    if best is None or best[0] > limit:
        raise field_error("lat", f"该位置附近{limit}米内没有本平台服务的地点")
    return Place.objects.get(pk=best[2])


def place_by_address(api_key: ApiKey, address: str) -> Place:
    """A household's exact address, or the place whose name chain the text spells best
    (e.g. "聚江苑1栋" → 1栋 under 聚江苑, not another estate's 1栋)."""
    text = (address or "").strip()[:200]
    if not text:
        raise field_error("address_string", "地址为空")
    scope = key_places(api_key)
    scope_paths = Q()
    if api_key.place is not None:
        root = api_key.place.path
        scope_paths = place_q(root)
    household = (
        Household.objects.filter(scope_paths, address__iexact=text)
        .select_related("place")
        .order_by("pk")
        .first()
    )
    if household is not None:
        return household.place
    matches = list(
        scope.annotate(_address=Value(text))
        .filter(_address__contains=F("name"))
        .exclude(name="")
        .values_list("pk", "path", "depth")[:500]
    )
    if not matches:
        raise field_error("address_string", f"无法识别地址“{text}”，请写明小区/街巷和楼栋")
    paths = [path for _pk, path, _depth in matches]

    def spelled(path: str) -> int:
        return sum(1 for other in paths if within(path, [other]))

    ranked = sorted(((spelled(path), depth, pk) for pk, path, depth in matches), reverse=True)
    if len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]:
        raise field_error("address_string", f"地址“{text}”对应多个地点，请写得更具体")
    return Place.objects.get(pk=ranked[0][2])


@dataclass(frozen=True)
class Location:
    place: Place
    latitude: float | None
    longitude: float | None


def locate(
    api_key: ApiKey,
    *,
    latitude: str = "",
    longitude: str = "",
    address_string: str = "",
    address_id: str = "",
) -> Location:
    """The place of a new request: `address_id` (our place id), else lat/long, else the text."""
    if address_id:
        try:
            return Location(key_place(api_key, place_id=int(address_id)), None, None)
        except (ValueError, NotFound):
            raise field_error("address_id", "地点不存在或不在接入密钥的上报范围内") from None
    if latitude or longitude:
        try:
            lat, lng = float(latitude), float(longitude)
        except ValueError:
            raise field_error("lat", "lat和long须同时提供，且为数字") from None
        if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
            raise field_error("lat", "经纬度超出范围")
        return Location(nearest_place(api_key, lat, lng), lat, lng)
    if address_string:
        return Location(place_by_address(api_key, address_string), None, None)
    raise field_error("lat", "请提供位置：lat和long、address_string 或 address_id 之一")


# --- service requests ---------------------------------------------------------------------------


def _public_id(value: str) -> str:
    return (value or "").strip().lower()


def requests_for(
    *,
    codes: list[str] | None = None,
    service_code: str = "",
    statuses: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> QuerySet[Case]:
    """GET requests: by public ids (the other filters are then ignored, as the spec says),
    or by service, status and date range — the last 90 days by default, 1000 at most."""
    if codes:
        cleaned = [_public_id(c) for c in codes if c.strip()][:MAX_IDS]
        qs = public_cases().filter(public_id__in=cleaned)
    else:
        if start is None:
            start = (end or clock.now()) - dt.timedelta(days=DEFAULT_DAYS)
        wanted = set(statuses or ())
        status = None if not wanted or wanted >= {"open", "closed"} else next(iter(wanted))
        qs = public_cases(category=service_code or None, status=status, since=start, until=end)
    return qs.select_related("level_place", "handler_org", "merged_into")[:MAX_REQUESTS]


def request_for(public_id: str) -> Case:
    """One case by its Open311 id (`Case.public_id`, never the tracking code)."""
    public_id = _public_id(public_id)
    case = (
        public_cases()
        .filter(public_id=public_id)
        .select_related("level_place", "handler_org", "merged_into")
        .first()
        if public_id and len(public_id) <= PUBLIC_ID_LENGTH
        else None
    )
    if case is None:
        raise NotFound()
    return case


def _when(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _agency(case: Case) -> str:
    if case.handler_org is not None:
        return case.handler_org.name
    name = case.level_place.name
    return f"{name}楼栋长" if case.level == Level.BUILDING else name


def _status(case: Case) -> tuple[str, str]:
    """("open" | "closed", the state in public words)."""
    state = case.state
    if state == State.MERGED and case.merged_into is not None:
        state = case.merged_into.state
    status = "open" if state in OPEN_STATES else "closed"
    return status, _STATUS_NOTES.get(case.state, case.get_state_display())


def _rounded(lat: float | None, lng: float | None) -> tuple[float | None, float | None]:
    if lat is None or lng is None:
        return None, None
    return round(lat, COORDINATE_DECIMALS), round(lng, COORDINATE_DECIMALS)


def _located(place: Place | None) -> bool:
    return place is not None and place.latitude is not None and place.longitude is not None


def request_rows(cases: list[Case]) -> list[dict[str, Any]]:
    """Public GeoReport fields for `cases` (see the module docstring for what is left out),
    with the places looked up in bulk."""
    wanted = {path for case in cases for path in case.place.ancestor_paths()}
    chain = {
        p.path: p
        for p in Place.objects.filter(path__in=wanted).only(
            "pk", "path", "name", "kind", "latitude", "longitude"
        )
    }
    rows = []
    for case in cases:
        places = [chain[p] for p in case.place.ancestor_paths() if p in chain]
        public_places = [p for p in places if p.kind in ADDRESS_KINDS]
        shown = (
            public_places[-1]
            if public_places
            # The tree root is always in `places`: a case's own place is in its ancestor paths.
            else next((p for p in reversed(places) if p.kind not in PRIVATE_KINDS), places[0])
        )
        address = "".join(p.name for p in public_places) or shown.name
        if _located(shown):
            lat, lng = shown.latitude, shown.longitude
        elif case.latitude is not None and case.longitude is not None:
            lat, lng = case.latitude, case.longitude
        else:
            nearest = next((p for p in reversed(places) if _located(p)), None)
            lat, lng = (nearest.latitude, nearest.longitude) if nearest else (None, None)
        lat, lng = _rounded(lat, lng)
        status, notes = _status(case)
        category = case.subcategory or case.category
        rows.append(
            {
                "service_request_id": case.public_id,
                "status": status,
                "status_notes": notes,
                "service_name": category.name,
                "service_code": category.code,
                "description": mask_numbers_in_text(case.public_summary),
                "agency_responsible": _agency(case),
                "service_notice": (
                    f"预计{timezone.localtime(case.due_resolve_at):%Y-%m-%d %H:%M}前办结"
                    if case.state in OPEN_STATES and case.due_resolve_at
                    else ""
                ),
                "requested_datetime": _when(case.created_at),
                "updated_datetime": _when(case.updated_at),
                "expected_datetime": _when(case.due_resolve_at) if case.state in OPEN_STATES else None,
                "address": address,
                "address_id": shown.pk,
                "zipcode": None,
                "lat": lat,
                "long": lng,
                "media_url": None,
            }
        )
    return rows


def token_for(token: str) -> Case:
    """Requests are filed synchronously, so a token is the request's public id itself."""
    return request_for(token)


def parse_datetime(value: str, field: str) -> dt.datetime:
    """ISO 8601 as GeoReport sends it (2026-01-05T10:00:00+08:00, …Z, or a bare date)."""
    text = (value or "").strip()
    try:
        moment = dt.datetime.fromisoformat(
            text.replace("Z", "+00:00").replace(" ", "+", 1) if "T" in text else text
        )
    except ValueError:
        raise field_error(field, "须为ISO 8601时间，如2026-01-05T10:00:00+08:00") from None
    # Far-off years would overflow when shifted to UTC or back by the default 90 days.
    if not 1970 <= moment.year <= 9000:
        raise field_error(field, "须在1970年到9000年之间")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
