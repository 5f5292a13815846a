from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import is_unrestricted, place_q, require, require_actor
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_diff, audit_record
from gridgov.core.errors import field_error
from gridgov.places.models import (
    HOUSEHOLD_PLACE_KINDS,
    KIND_LEVEL,
    SEGMENT_ALPHABET,
    SEGMENT_WIDTH,
    Household,
    Place,
    PlaceKind,
    ResidenceKind,
)

if TYPE_CHECKING:
    from gridgov.accounts.scope import Actor
    from gridgov.people.models import Resident

ADDRESS_KINDS = {PlaceKind.ESTATE, PlaceKind.LANE, PlaceKind.GROUP, PlaceKind.BUILDING, PlaceKind.UNIT}


def encode_segment(number: int) -> str:
    if number < 0 or number >= len(SEGMENT_ALPHABET) ** SEGMENT_WIDTH:
        raise ValueError("too many places under one parent")
    digits = []
    for _ in range(SEGMENT_WIDTH):
        number, rest = divmod(number, len(SEGMENT_ALPHABET))
        digits.append(SEGMENT_ALPHABET[rest])
    return "".join(reversed(digits))


def decode_segment(segment: str) -> int:
    number = 0
    for char in segment:
        number = number * len(SEGMENT_ALPHABET) + SEGMENT_ALPHABET.index(char)
    return number


def child_path(parent_path: str | None, index: int) -> str:
    segment = encode_segment(index)
    return f"{parent_path}.{segment}" if parent_path else segment


def _next_path(parent: Place | None) -> str:
    siblings = Place.objects.filter(parent=parent) if parent else Place.objects.filter(parent__isnull=True)
    last = siblings.aggregate(last=Max("path"))["last"]
    index = decode_segment(last.rsplit(".", 1)[-1]) + 1 if last else 1
    return child_path(parent.path if parent else None, index)


def validate_parent_kind(parent: Place | None, kind: str) -> None:
    if kind not in KIND_LEVEL:
        raise field_error("kind", "地点类型无效")
    if parent is not None and KIND_LEVEL[kind] <= KIND_LEVEL[parent.kind]:
        raise field_error(
            "parent", f"{PlaceKind(kind).label}不能建在{PlaceKind(parent.kind).label}“{parent.name}”之下"
        )


@transaction.atomic
def place_create(
    *,
    by: Actor,
    parent: Place | None,
    kind: str,
    name: str,
    code: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Place:
    require_actor(by)
    name = (name or "").strip()
    if not name:
        raise field_error("name", "请填写名称")
    if parent is None:
        if not is_unrestricted(by):
            raise field_error("parent", "只有系统管理员可以创建顶级地点")
    else:
        require(by, caps.PLACES_MANAGE, parent, visible_with=caps.REGISTRY_VIEW)
        # Serialise sibling creation so two admins never compute the same path.
        Place.objects.select_for_update().filter(pk=parent.pk).first()
    validate_parent_kind(parent, kind)
    if Place.objects.filter(parent=parent, name=name).exists():
        raise field_error("name", f"“{name}”在同一上级下已存在")
    place = Place.objects.create(
        parent=parent,
        kind=kind,
        name=name,
        code=code,
        path=_next_path(parent),
        depth=(parent.depth + 1) if parent else 0,
        latitude=latitude,
        longitude=longitude,
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=place,
        place_path=place.path,
        changes=audit_diff({}, {"kind": kind, "name": name, "parent": parent}),
    )
    return place


# A number people dial: digits with optional spaces, "+" and "-" (e.g. "0731-84500000").
HOTLINE_RE = re.compile(r"^[0-9+\- ]{3,20}$")


@transaction.atomic
def place_update(*, by: Actor, place: Place, **fields: Any) -> Place:
    require(by, caps.PLACES_MANAGE, place, visible_with=caps.REGISTRY_VIEW)
    allowed = {"name", "code", "latitude", "longitude", "households_min", "households_max", "boundary", "hotline"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    if "hotline" in fields:
        fields["hotline"] = (fields["hotline"] or "").strip()
        if place.kind != PlaceKind.COMMUNITY and fields["hotline"]:
            raise field_error("hotline", "服务热线只能设置在社区上")
        if fields["hotline"] and not HOTLINE_RE.match(fields["hotline"]):
            raise field_error("hotline", "服务热线只能包含数字、空格、“+”和“-”，3到20位")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise field_error("name", "请填写名称")
        if Place.objects.filter(parent=place.parent, name=fields["name"]).exclude(pk=place.pk).exists():
            raise field_error("name", f"“{fields['name']}”在同一上级下已存在")
    before = {field: getattr(place, field) for field in fields}
    for field, value in fields.items():
        setattr(place, field, value)
    place.save()
    if "name" in fields and before["name"] != place.name:
        refresh_addresses(place)
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=place,
        place_path=place.path,
        changes=audit_diff(before, fields),
    )
    return place


def build_address(place: Place, room: str) -> str:
    names = list(
        Place.objects.filter(path__in=place.ancestor_paths(), kind__in=ADDRESS_KINDS)
        .order_by("depth")
        .values_list("name", flat=True)
    )
    return "".join([*names, room])


def refresh_addresses(place: Place) -> None:
    """After a rename, rewrite the stored addresses of the households below it."""
    for household in Household.objects.filter(place_q(place)).select_related("place"):
        address = build_address(household.place, household.room)
        if address != household.address:
            Household.objects.filter(pk=household.pk).update(address=address)


def _validate_household_fields(place: Place, room: str, residence_kind: str) -> str:
    if place.kind not in HOUSEHOLD_PLACE_KINDS:
        raise field_error("place", f"户只能登记在楼栋或单元下，“{place.name}”是{place.get_kind_display()}")
    room = (room or "").strip()
    if not room:
        raise field_error("room", "请填写房号")
    if len(room) > 20:
        raise field_error("room", "房号不能超过20个字符")
    if residence_kind not in ResidenceKind.values:
        raise field_error("residence_kind", "居住类型无效，可选：自住、出租、空置、商铺")
    return room


@transaction.atomic
def household_create(
    *,
    by: Actor,
    place: Place,
    room: str,
    residence_kind: str = ResidenceKind.OWNER,
    landlord: Resident | None = None,
    area_sqm: Decimal | None = None,
    notes: str = "",
) -> Household:
    require(by, caps.REGISTRY_EDIT, place, visible_with=caps.REGISTRY_VIEW)
    room = _validate_household_fields(place, room, residence_kind)
    if Household.objects.filter(place=place, room=room).exists():
        raise field_error("room", f"{place.name}已有房号{room}的户")
    household = Household.objects.create(
        place=place,
        room=room,
        residence_kind=residence_kind,
        landlord=landlord,
        area_sqm=area_sqm,
        notes=notes,
        address=build_address(place, room),
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=household,
        place_path=place.path,
        changes=audit_diff({}, {"room": room, "residence_kind": residence_kind, "landlord": landlord}),
    )
    return household


@transaction.atomic
def household_update(*, by: Actor, household: Household, **fields: Any) -> Household:
    require(by, caps.REGISTRY_EDIT, household.place, visible_with=caps.REGISTRY_VIEW)
    allowed = {"room", "residence_kind", "landlord", "area_sqm", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    room = _validate_household_fields(
        household.place,
        fields.get("room", household.room),
        fields.get("residence_kind", household.residence_kind),
    )
    if "room" in fields:
        fields["room"] = room
        if Household.objects.filter(place=household.place, room=room).exclude(pk=household.pk).exists():
            raise field_error("room", f"{household.place.name}已有房号{room}的户")
    before = {field: getattr(household, field) for field in fields}
    for field, value in fields.items():
        setattr(household, field, value)
    household.address = build_address(household.place, household.room)
    household.save()
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=household,
        place_path=household.place.path,
        changes=audit_diff(before, fields),
    )
    return household


# --- import support (used by gridgov.transfer) -----------------------------------------


@transaction.atomic
def place_ensure_child(*, by: Actor, parent: Place, kind: str, name: str) -> tuple[Place, bool]:
    """The child of `parent` called `name`, created (and audited) when missing.

    Importing a registry file may create its estates, buildings and units, so this needs
    `registry.import` at the parent rather than `places.manage`.
    """
    require(by, caps.REGISTRY_IMPORT, parent, visible_with=caps.REGISTRY_VIEW)
    name = (name or "").strip()
    existing = Place.objects.filter(parent=parent, name=name).first()
    if existing is not None:
        return existing, False
    if not name:
        raise field_error("name", "请填写名称")
    validate_parent_kind(parent, kind)
    Place.objects.select_for_update().filter(pk=parent.pk).first()
    place = Place.objects.create(
        parent=parent,
        kind=kind,
        name=name[:100],
        path=_next_path(parent),
        depth=parent.depth + 1,
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=place,
        place_path=place.path,
        changes=audit_diff({}, {"kind": kind, "name": name, "parent": parent, "来源": "导入"}),
    )
    return place, True
