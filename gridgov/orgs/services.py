from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import require
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_diff, audit_record
from gridgov.core import crypto
from gridgov.core.errors import field_error
from gridgov.core.masking import mask_value
from gridgov.core.validation import normalize_phone
from gridgov.orgs.models import (
    PARTY_LEVEL_RANK,
    Organisation,
    OrgKind,
    OrgMember,
    PartyLevel,
)
from gridgov.places.models import Place, PlaceKind

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor
    from gridgov.people.models import Resident


def _validate(
    kind: str, name: str, parent: Organisation | None, party_level: str, served: list[Place]
) -> None:
    if kind not in OrgKind.values:
        raise field_error("kind", "组织类型无效")
    if not (name or "").strip():
        raise field_error("name", "请填写组织名称")
    if kind == OrgKind.PARTY:
        if party_level not in PartyLevel.values:
            raise field_error("party_level", "党组织须选择层级：党委、党总支、党支部或党小组")
        if parent is not None:
            if parent.kind != OrgKind.PARTY:
                raise field_error("parent", "党组织的上级必须是党组织")
            if PARTY_LEVEL_RANK[PartyLevel(party_level)] <= PARTY_LEVEL_RANK[PartyLevel(parent.party_level)]:
                raise field_error(
                    "parent",
                    f"{PartyLevel(party_level).label}不能隶属于{PartyLevel(parent.party_level).label}",
                )
    elif party_level:
        raise field_error("party_level", "只有党组织才有层级")
    if kind == OrgKind.PROPERTY:
        wrong = [place.name for place in served if place.kind not in (PlaceKind.ESTATE, PlaceKind.BUILDING)]
        if wrong:
            raise field_error("places", f"物业公司只能绑定小区或楼栋：{'、'.join(wrong)}")


def contact_phone_columns(raw: str) -> dict[str, str]:
    """The stored form of a contact number: validated, encrypted, last four digits for display.
    Raises ValidationError on "contact_phone" for a number that is not one."""
    raw = (raw or "").strip()
    if not raw:
        return {"contact_phone_enc": "", "contact_phone_last4": ""}
    try:
        phone = normalize_phone(raw)
    except ValidationError as exc:
        raise field_error("contact_phone", f"联系电话：{exc.messages[0]}") from None
    return {"contact_phone_enc": crypto.encrypt(phone), "contact_phone_last4": phone[-4:]}


@transaction.atomic
def organisation_create(
    *,
    by: Actor,
    kind: str,
    name: str,
    place: Place,
    parent: Organisation | None = None,
    party_level: str = "",
    places: Iterable[Place] = (),
    leader: Resident | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    description: str = "",
    handles_cases: bool = False,
) -> Organisation:
    # A place named by id is "visible" only through the place tree (the registry): seeing the
    # street's organisations must not confirm which of its buildings exist.
    require(by, caps.ORGS_MANAGE, place, visible_with=caps.REGISTRY_VIEW)
    served = list(places)
    for served_place in served:
        require(by, caps.ORGS_MANAGE, served_place, visible_with=caps.REGISTRY_VIEW)
    _validate(kind, name, parent, party_level, served)
    name = name.strip()
    if Organisation.objects.filter(kind=kind, place=place, name=name).exists():
        raise field_error("name", f"“{name}”已存在")
    organisation = Organisation.objects.create(
        kind=kind,
        name=name,
        place=place,
        parent=parent,
        party_level=party_level,
        leader=leader,
        contact_name=contact_name,
        **contact_phone_columns(contact_phone),
        address=address,
        description=description,
        handles_cases=bool(handles_cases),
    )
    organisation.places.set(served)
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=organisation,
        place_path=place.path,
        changes=audit_diff(
            {},
            {
                "kind": kind,
                "name": name,
                "parent": parent,
                "places": [p.name for p in served],
                "contact_phone": organisation.contact_phone_masked or None,
            },
        ),
    )
    return organisation


@transaction.atomic
def organisation_update(*, by: Actor, organisation: Organisation, **fields: Any) -> Organisation:
    require(by, caps.ORGS_MANAGE, organisation.place, visible_with=caps.ORGS_VIEW)
    served = fields.pop("places", None)
    phone = fields.pop("contact_phone", None)
    allowed = {"name", "leader", "contact_name", "address", "description", "is_active", "handles_cases"}
    unknown = set(fields) - allowed
    if unknown:
        raise field_error("__all__", f"不能修改字段：{', '.join(sorted(unknown))}")
    before: dict[str, Any] = {field: getattr(organisation, field) for field in fields}
    phone_diff: dict[str, Any] = {}
    if phone is not None:
        columns = contact_phone_columns(phone)
        new_plain = crypto.decrypt(columns["contact_phone_enc"])
        if new_plain != crypto.decrypt(organisation.contact_phone_enc):
            # The audit trail keeps masked numbers only.
            before["contact_phone"] = organisation.contact_phone_masked or None
            phone_diff["contact_phone"] = mask_value(new_plain) or None
            for name, value in columns.items():
                setattr(organisation, name, value)
    if served is not None:
        served = list(served)
        _validate(
            organisation.kind,
            fields.get("name", organisation.name),
            organisation.parent,
            organisation.party_level,
            served,
        )
        before["places"] = [p.name for p in organisation.places.all()]
        organisation.places.set(served)
        fields_for_diff = {**fields, "places": [p.name for p in served]}
    else:
        fields_for_diff = dict(fields)
    fields_for_diff.update(phone_diff)
    for field, value in fields.items():
        setattr(organisation, field, value)
    organisation.save()
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=organisation,
        place_path=organisation.place.path,
        changes=audit_diff(before, fields_for_diff),
    )
    return organisation


@transaction.atomic
def organisation_add_member(
    *,
    by: Actor,
    organisation: Organisation,
    resident: Resident | None = None,
    user: User | None = None,
    role: str = "成员",
    joined_on: dt.date | None = None,
) -> OrgMember:
    require(by, caps.ORGS_MANAGE, organisation.place, visible_with=caps.ORGS_VIEW)
    if resident is None and user is None:
        raise field_error("resident", "请选择成员")
    existing = OrgMember.objects.filter(organisation=organisation, left_on__isnull=True)
    if resident is not None and existing.filter(resident=resident).exists():
        raise field_error("resident", f"{resident.name}已是该组织成员")
    member = OrgMember.objects.create(
        organisation=organisation, resident=resident, user=user, role=role, joined_on=joined_on
    )
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=organisation,
        place_path=organisation.place.path,
        changes={"members": [None, f"{resident or user}（{role}）"]},
    )
    return member


@transaction.atomic
def organisation_remove_member(*, by: Actor, member: OrgMember, left_on: dt.date) -> OrgMember:
    organisation = member.organisation
    require(by, caps.ORGS_MANAGE, organisation.place, visible_with=caps.ORGS_VIEW)
    if member.left_on is not None:
        raise field_error("left_on", "该成员已退出")
    member.left_on = left_on
    member.save(update_fields=["left_on"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=organisation,
        place_path=organisation.place.path,
        changes={"members": [f"{member.resident or member.user}（{member.role}）", None]},
    )
    return member


@transaction.atomic
def organisation_reveal_contact(
    *, by: Actor, organisation: Organisation, purpose: str, ip: str | None = None
) -> str:
    """The organisation's full contact number, for a stated purpose; `by` must hold registry.pii
    at the organisation's place. Always audited, like a resident's reveal."""
    require(by, caps.REGISTRY_PII, organisation.place, visible_with=caps.ORGS_VIEW)
    purpose = (purpose or "").strip()
    if not purpose:
        raise field_error("purpose", "查看完整号码须填写用途")
    if len(purpose) > 200:
        raise field_error("purpose", "用途不能超过200个字")
    audit_record(
        actor=by,
        action=AuditAction.VIEW_PII,
        target=organisation,
        place_path=organisation.place.path,
        changes={"字段": "联系电话"},
        purpose=purpose,
        ip=ip,
    )
    return crypto.decrypt(organisation.contact_phone_enc)
