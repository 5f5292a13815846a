"""Intake from every channel: one submit path that validates, routes and records a new case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import SYSTEM, as_user, has_capability, is_unrestricted, require_actor, within
from gridgov.cases import policy, rollups
from gridgov.cases.models import (
    PUBLIC_CHANNELS,
    STAFF_CHANNELS,
    ApiKey,
    AttachmentKind,
    Case,
    Category,
    Channel,
    EventKind,
    Priority,
    State,
)
from gridgov.cases.photos import clean_photos
from gridgov.cases.routing import Config, ancestors, config, due_times, route
from gridgov.core import clock, crypto
from gridgov.core.errors import Forbidden, field_error
from gridgov.core.inserts import insert_new, insert_only
from gridgov.core.pipeline import atomic_pipelined
from gridgov.core.validation import normalize_phone
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor
    from gridgov.people.models import Resident


from gridgov.cases.services._common import (
    CLIENT_KEY_RE,
    TEXT_MAX,
    ApiKeyInvalid,
    _attach,
    _audit,
    _event_row,
    _notify,
    _random_tracking_code,
    _snippet,
    _text,
    level_handlers,
    phone_hash,
)
from gridgov.cases.services.urgent import alarm_after_commit


@dataclass(frozen=True)
class SubmitResult:
    case: Case
    created: bool


def _category_from(
    value: Category | str | int | None, field: str, cfg: Config | None = None
) -> Category | None:
    if value in (None, ""):
        return None
    category: Category | None
    if isinstance(value, Category):
        category = value
    else:
        cfg = cfg or config()
        category = cfg.category(value) if isinstance(value, int) else cfg.category(code=str(value).strip())
    if category is None or not category.is_active:
        raise field_error(field, "分类不存在或已停用")
    return category


def _coordinates(latitude: Any, longitude: Any) -> tuple[float | None, float | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise field_error("latitude", "经纬度须为数字，且须同时填写") from None
    if not -90 <= lat <= 90:
        raise field_error("latitude", "纬度须在-90到90之间")
    if not -180 <= lng <= 180:
        raise field_error("longitude", "经度须在-180到180之间")
    return lat, lng


def _suggest(text: str):
    from gridgov.triage.services import suggest

    return suggest(text)


def _active_categories() -> list[Category]:
    """Every active category (a few dozen, kept per process): an intake looks up to four of them."""
    return config().active()


def _suggested_subcategory(
    code: str | None, parent: Category, active: list[Category] | None = None
) -> Category | None:
    """The administrators' subcategory of `parent` that the engine's code names, if they made one
    (matched by code, else by the engine's name for it: 电梯故障 …)."""
    if not code:
        return None
    children = [
        c for c in (active if active is not None else _active_categories()) if c.parent_id == parent.pk
    ]
    found = next((c for c in children if c.code == code), None)
    if found is None:
        try:
            from gridgov.triage.concepts import SUBCATEGORY_NAMES
        except ImportError:  # the engine keeps its names elsewhere: codes alone must match
            return None
        name = SUBCATEGORY_NAMES.get(code)
        if name:
            found = next((c for c in children if c.name == name), None)
    return found


def case_submit(**fields: Any) -> Case:
    """Take a report from any channel; takes the keywords of `case_submit_result`, which also
    says whether the report was new."""
    return case_submit_result(**fields).case


def _source(by: Actor, api_key: ApiKey | None, phone_digest: str) -> str:
    if api_key is not None:
        return f"key:{api_key.pk}"
    if as_user(by) is not None:
        return f"user:{by.pk}"
    return f"phone:{phone_digest[:32]}" if phone_digest else "anon"


def case_submit_result(
    *,
    by: Actor,
    text: str,
    channel: str,
    place: Place | None,
    category: Category | str | int | None = None,
    subcategory: Category | str | int | None = None,
    priority: str | None = None,
    address_detail: str = "",
    latitude: float | str | None = None,
    longitude: float | str | None = None,
    reporter_resident: Resident | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Iterable[Any] = (),
    client_key: str = "",
    api_key: ApiKey | None = None,
    now: dt.datetime | None = None,
) -> SubmitResult:
    """One report from any channel. `by` is the reporter or the staff member entering it,
    AnonymousUser for an anonymous public report, scope.SYSTEM for external systems (the key
    authorises them); never None."""
    require_actor(by)
    anonymous = not by.is_authenticated
    now = now or clock.now()
    text = _text(text, "text", "反映内容", max_length=TEXT_MAX)
    if channel not in Channel.values:
        raise field_error("channel", "来源渠道无效")
    if place is None:
        raise field_error("place", "请选择事件发生的地点")
    address_detail = _text(address_detail, "address_detail", "具体位置", required=False, max_length=200)
    reporter_name = _text(reporter_name, "reporter_name", "反映人姓名", required=False, max_length=50)
    latitude, longitude = _coordinates(latitude, longitude)
    client_key = str(client_key or "").strip()
    if client_key and not CLIENT_KEY_RE.match(client_key):
        raise field_error("client_key", "请求标识只能包含字母、数字和 _ . : -，最长64个字符")
    phone = ""
    if reporter_phone:
        try:
            phone = normalize_phone(reporter_phone)
        except ValidationError as exc:
            raise field_error("reporter_phone", exc.messages[0]) from None
    phone_digest = phone_hash(phone) if phone else ""
    if priority not in (None, "", *Priority.values):
        raise field_error("priority", "优先级只能是一般或紧急")

    # Who may report through which channel.
    reporter_user = None
    if channel in PUBLIC_CHANNELS:
        if anonymous and not phone:
            raise field_error("reporter_phone", "匿名反映请留下手机号，便于回访")
        reporter_user = as_user(by)
        if reporter_user is not None and reporter_resident is None:
            reporter_resident = getattr(by, "resident", None)
    elif channel in STAFF_CHANNELS:
        if anonymous:
            raise Forbidden("请先登录")
        if not has_capability(by, caps.CASES_INTAKE, place):
            org_id = policy.org_handles(by)
            serves = (
                org_id
                and channel == Channel.PROPERTY_BULK
                and Place.objects.filter(served_by=org_id, path__in=place.ancestor_paths()).exists()
            )
            if not serves:
                # Naming a place the user cannot see would confirm it exists: refuse like a missing one.
                if not (
                    has_capability(by, caps.CASES_VIEW, place)
                    or has_capability(by, caps.REGISTRY_VIEW, place)
                ):
                    raise field_error("place", "地点不存在")
                raise Forbidden(f"您无权登记“{place.name}”的事件")
        if channel == Channel.PATROL:
            reporter_user = as_user(by)
        if reporter_resident is not None and not (
            has_capability(by, caps.REGISTRY_VIEW, reporter_resident.place)
            if reporter_resident.place_id
            else is_unrestricted(by)
        ):
            raise field_error("reporter_resident", "无权关联该居民")
    else:  # external systems and Open311 clients
        if api_key is None or not api_key.is_active:
            raise ApiKeyInvalid()
        if api_key.place is not None and not within(place.path, [api_key.place.path]):
            raise field_error("place", "该地点不在接入密钥的上报范围内")
        # The key, not whoever relays it, is the reporter: recorded as the system.
        by = SYSTEM

    source = _source(by, api_key, phone_digest)
    # No look-up of client_key first: the unique (source, client_key) index refuses the second
    # insert, and the IntegrityError branch below returns the first case (a retry is rare, every
    # submission would pay for the look-up).
    cleaned_photos = clean_photos(photos)
    cfg = config()
    chosen = _category_from(category, "category", cfg)
    chosen_sub = _category_from(subcategory, "subcategory", cfg)
    if chosen is not None and chosen.parent_id:
        chosen, chosen_sub = chosen.parent, chosen_sub or chosen
    if chosen_sub is not None:
        if chosen_sub.parent_id is None:
            raise field_error("subcategory", "请选择子分类")
        if chosen is not None and chosen_sub.parent_id != chosen.pk:
            raise field_error("subcategory", "子分类不属于所选分类")
        chosen = chosen or chosen_sub.parent

    suggestion = _suggest(text)
    staff_decided = chosen is not None and not anonymous and channel in STAFF_CHANNELS
    suggested_code = suggestion.subcategory or ""
    # One round trip for the suggested category and subcategory instead of up to four.
    active = cfg.active() if chosen is None or (chosen_sub is None and suggested_code) else []
    if chosen is None:
        tops = {c.code: c for c in active if c.parent_id is None}
        chosen = tops.get(suggestion.category or "") or tops.get("other")
        if chosen is None:
            # "other" is the fallback even when switched off, as before.
            chosen = cfg.category(code="other")
        if chosen is None:
            raise field_error("category", "请先配置事件分类")
    if chosen_sub is None:
        # So that a rule on a subcategory (电梯故障 → the estate's property company) applies at
        # intake, not only once someone classifies the case; staff still confirm or correct it.
        chosen_sub = _suggested_subcategory(suggested_code, chosen, active)
    effective = chosen_sub or chosen
    priority = priority or (suggestion.urgency if suggestion.urgency in Priority.values else Priority.NORMAL)
    # The place and its ancestors once, for the route and the statistics row.
    chain = ancestors(place)
    routed = route(effective, place, chain=chain, cfg=cfg)
    due_accept, due_resolve = due_times(effective, priority, now, cfg)

    columns: dict[str, Any] = {
        "text": text,
        "address_detail": address_detail,
        "category": chosen,
        "subcategory": chosen_sub,
        "priority": priority,
        "category_confirmed": staff_decided,
        "state": State.NEW,
        "level": routed.level,
        "place": place,
        "place_path": place.path,
        "level_place": routed.level_place,
        "level_path": routed.level_place.path,
        "latitude": latitude,
        "longitude": longitude,
        "channel": channel,
        "reporter_user": reporter_user,
        "reporter_resident": reporter_resident,
        "reporter_name": reporter_name,
        "reporter_phone_enc": crypto.encrypt(phone) if phone else "",
        "reporter_phone_hash": phone_digest,
        "reporter_phone_last4": phone[-4:] if phone else "",
        "created_by": as_user(by),
        "api_key": api_key,
        "handler_org_id": routed.organisation_id,
        "created_at": now,
        "due_accept_at": due_accept,
        "due_resolve_at": due_resolve,
        "suggested_category": suggestion.category or "",
        "suggested_urgency": suggestion.urgency or "",
        "suggested_confidence": suggestion.confidence,
        "suggested_matched": "、".join(suggestion.matched)[:200],
        "suggested_subcategory": suggested_code[:40],
        "source": source,
        "client_key": client_key,
    }
    # Read before the transaction begins: who is told of the new case (nobody holds it yet).
    to_tell = [] if priority == Priority.URGENT else level_handlers(Case(**columns))
    for attempt in range(TRACKING_ATTEMPTS):
        try:
            # Five rows and the commit in two round trips on PostgreSQL (core.pipeline).
            with atomic_pipelined():
                case = _insert_case(
                    columns, by=by, chain=chain, effective=effective, photos=cleaned_photos, to_tell=to_tell
                )
        except IntegrityError:
            if client_key:
                # A retry (or a concurrent twin) with the same key got there first: it is the case.
                existing = Case.objects.filter(source=source, client_key=client_key).first()
                if existing is not None:
                    return SubmitResult(case=existing, created=False)
            if attempt == TRACKING_ATTEMPTS - 1:
                raise
            # Else a tracking code drawn twice (one in ~10^9 at a million cases): draw again.
            continue
        return SubmitResult(case=case, created=True)
    raise AssertionError("unreachable")


# A fresh tracking code per attempt; the unique index, not a look-up, finds the rare collision.
TRACKING_ATTEMPTS = 3


def _insert_case(
    columns: dict[str, Any],
    *,
    by: Actor,
    chain: list[Place],
    effective: Category,
    photos: list[Any],
    to_tell: list[User],
) -> Case:
    """The new case with its timeline row, statistics, audit row and notices (to `to_tell`, unless
    it is urgent) in the caller's transaction; the look-ups were all made before it began, and only
    the case's own key is read back (the attachments' rows also need the timeline row's)."""
    # Built once per process, not compiled per report (see core.inserts).
    case = insert_new(Case(tracking_code=_random_tracking_code(), **columns))
    channel, priority, place = case.channel, case.priority, case.place
    event = _event_row(
        case,
        by=by,
        kind=EventKind.SUBMITTED,
        at=case.created_at,
        from_state="",
        from_level="",
        note=Channel(channel).label,
        public=True,
        public_note="已收到您的反映",
    )
    if photos:
        _attach(case, photos, by=by, kind=AttachmentKind.REPORT, event=insert_new(event))
    else:
        insert_only([event])
    _audit(
        case,
        by=by,
        event=EventKind.SUBMITTED,
        changes={
            "channel": [None, channel],
            "category": [None, effective.code],
            "priority": [None, priority],
            "level": [None, case.level],
            "place": [None, place.name],
        },
    )
    if channel in PUBLIC_CHANNELS:
        from gridgov.cases.services.reporter import tell_reporter_received

        tell_reporter_received(case, by=by)
    if priority == Priority.URGENT:
        alarm_after_commit(case, by=by)
    else:
        _notify(
            to_tell,
            by=by,
            case=case,
            title=f"新事件待受理：{effective.name}",
            body=f"{place.name}：{_snippet(case)}",
            kind="case.new",
        )
    # Last: the upsert locks the day's and the month's statistics row, which every report of
    # the same place, category and channel adds to, until the commit; the shorter that is, the
    # less concurrent reports queue behind each other.
    rollups.record(case, created=True, chain=chain)
    return case
