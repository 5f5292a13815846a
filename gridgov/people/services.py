from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import as_user, has_capability, require
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_diff, audit_record
from gridgov.core import clock, crypto
from gridgov.core.errors import NotFound, field_error
from gridgov.core.text import pinyin_full, pinyin_initials
from gridgov.core.validation import normalize_phone, parse_id_number
from gridgov.people.models import (
    FloatingReason,
    FloatingRegistration,
    Gender,
    Membership,
    PoliticalStatus,
    Relation,
    ResidenceStatus,
    Resident,
    ResidentTag,
    Tag,
)
from gridgov.places.models import HOUSEHOLD_PLACE_KINDS, Household, Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor

CARD_QR_SALT = "gridgov.service-card"
EDITABLE_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "id_number",
    "phone",
    "residence_status",
    "political_status",
    "employment",
    "notes",
    "is_deceased",
)


def id_hash(number: str) -> str:
    return crypto.blind_index(number, kind="id")


def phone_hash(phone: str) -> str:
    return crypto.blind_index(phone, kind="phone")


def new_card_no() -> str:
    # 12 digits, random rather than sequential so a card number reveals nothing about order.
    while True:
        card_no = f"{secrets.randbelow(10**12):012d}"
        if not Resident.objects.filter(card_no=card_no).exists():
            return card_no


def card_qr_payload(resident: Resident) -> str:
    """What the service-card QR code holds: signed, so a scanner can trust the card number."""
    return "GG1:" + signing.dumps({"c": resident.card_no}, salt=CARD_QR_SALT, compress=True)


def card_no_from_qr(payload: str) -> str:
    if not payload.startswith("GG1:"):
        raise ValidationError("不是网格治理服务卡二维码")
    try:
        return signing.loads(payload[4:], salt=CARD_QR_SALT)["c"]
    except signing.BadSignature:
        raise ValidationError("服务卡二维码无效或被篡改") from None


def _clean_identity(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise the personal fields; fill birth date and gender from the ID number."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            errors.setdefault("name", []).append("请填写姓名")
        elif len(name) > 50:
            errors.setdefault("name", []).append("姓名不能超过50个字")
        cleaned["name"] = name
    if "gender" in data and data["gender"] not in ("", None, *Gender.values):
        errors.setdefault("gender", []).append("性别只能是男或女")
    if "residence_status" in data and data["residence_status"] not in ResidenceStatus.values:
        errors.setdefault("residence_status", []).append("户籍状态无效，可选：户籍、常住、流动")
    if "political_status" in data and data["political_status"] not in PoliticalStatus.values:
        errors.setdefault("political_status", []).append("政治面貌无效")
    birth_date = data.get("birth_date")
    if birth_date is not None and not isinstance(birth_date, dt.date):
        errors.setdefault("birth_date", []).append("出生日期格式应为YYYY-MM-DD")
        birth_date = None
    if birth_date and (birth_date > dt.date.today() or birth_date.year < 1900):
        errors.setdefault("birth_date", []).append("出生日期不合理")
    id_number = (data.get("id_number") or "").strip().upper()
    if "id_number" in data and id_number:
        try:
            info = parse_id_number(id_number)
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
        else:
            cleaned["id_number"] = info.number
            if birth_date and birth_date != info.birth_date:
                errors.setdefault("birth_date", []).append(
                    f"出生日期与身份证号不一致（身份证号为{info.birth_date:%Y-%m-%d}）"
                )
            if data.get("gender") and data["gender"] != info.gender:
                errors.setdefault("gender", []).append("性别与身份证号不一致")
            cleaned.setdefault("birth_date", info.birth_date)
            cleaned.setdefault("gender", info.gender)
    elif "id_number" in data:
        cleaned["id_number"] = ""
    if "phone" in data:
        raw_phone = (data.get("phone") or "").strip()
        if raw_phone:
            try:
                cleaned["phone"] = normalize_phone(raw_phone)
            except ValidationError as exc:
                errors.setdefault("phone", []).extend(exc.messages)
        else:
            cleaned["phone"] = ""
    if errors:
        raise ValidationError(errors)
    if birth_date and "birth_date" not in cleaned:
        cleaned["birth_date"] = birth_date
    for field in (
        "gender",
        "ethnicity",
        "residence_status",
        "political_status",
        "employment",
        "notes",
        "is_deceased",
    ):
        if field in data and field not in cleaned:
            cleaned[field] = data[field] if data[field] is not None else ""
    return cleaned


# --- an ID number someone else holds --------------------------------------------------------

# The answer when the holder is outside the caller's scope: it must not confirm that anyone
# holds the number (the same words as for any number that cannot be registered).
ID_UNAVAILABLE = "该身份证号无法登记，请联系社区或街道管理员核实"


class IdNumberUnavailable(ValidationError):
    """The ID number belongs to a resident outside the caller's scope. Carries what the staff
    who can see both records are told, written by `_reports_id_conflicts` once rolled back."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__({"id_number": [ValidationError(ID_UNAVAILABLE, code="id_unavailable")]})
        self.report = report


def _refuse_taken_id(
    *, by: Actor, number: str, place: Place, name: str, resident: Resident | None = None
) -> None:
    """Raise unless `number` is free (apart from `resident`, who is being edited).

    A holder the caller can see is named, as a desk needs to find them; any other holder gets
    ID_UNAVAILABLE and a report to whoever can see both the holder and `place`."""
    if not number:
        return
    same_number = Resident.objects.select_related("place").filter(id_number_hash=id_hash(number))
    if resident is not None:
        same_number = same_number.exclude(pk=resident.pk)
    holder = same_number.first()
    if holder is None:
        return
    if holder.place is not None and has_capability(by, caps.REGISTRY_VIEW, holder.place):
        raise field_error("id_number", f"该身份证号已登记：{holder.name}（{holder.place.name}），请先查找该居民")
    raise IdNumberUnavailable(
        {
            "actor": str(by),
            "holder_id": holder.pk,
            "holder_path": holder.place.path if holder.place is not None else "",
            "place_id": place.pk,
            "name": name,
            "resident_id": resident.pk if resident is not None else None,
        }
    )


def _common_path(first: str, second: str) -> str:
    shared: list[str] = []
    for a, b in zip(first.split("."), second.split("."), strict=False):
        if a != b:
            break
        shared.append(a)
    return ".".join(shared)


@transaction.atomic
def id_conflict_report(*, report: dict[str, Any]) -> list[Any]:
    """Tell the registry editors at the lowest place whose subtree holds both residents (the one
    registered and the one being registered or edited) that a number could not be registered.

    Precondition: outside the transaction that refused the number, which is rolled back."""
    from gridgov.accounts.scope import holders, unrestricted_users
    from gridgov.notifications.services import notify

    holder = Resident.objects.select_related("place").filter(pk=report["holder_id"]).first()
    place = Place.objects.filter(pk=report["place_id"]).first()
    if holder is None or place is None:
        return []
    common = _common_path(holder.place.path, place.path) if holder.place is not None else ""
    recipients = list(holders(caps.REGISTRY_EDIT, common, nearest=True)) if common else []
    if not recipients:
        # No editor's subtree holds both: only system administrators see them together.
        recipients = list(unrestricted_users())
    subject = (
        Resident.objects.filter(pk=report["resident_id"]).first() if report.get("resident_id") else None
    )
    attempt = f"把居民“{subject.name}”的身份证号改为" if subject else f"登记居民“{report['name']}”时填写的身份证号"
    body = (
        f"{report['actor']}在{place.name}{attempt}（尾号{holder.id_number_last4}）"
        f"已登记为{holder.place.name if holder.place else '未分配地点'}的居民“{holder.name}”，"
        f"系统未予登记。请核实是同一人（办理迁移）还是号码填错。"
    )
    return notify(
        recipients=recipients,
        title="身份证号登记冲突",
        body=body,
        link=reverse("people:detail", args=[holder.pk]),
        kind="id_conflict",
    )


_CONFLICT_DEPTH: ContextVar[int] = ContextVar("gridgov_people_conflict_depth", default=0)


def _reports_id_conflicts(func: Any) -> Any:
    """Write the report of an IdNumberUnavailable once the refused write has rolled back. Put
    outside `transaction.atomic`: the outermost decorated service (floating_register_newcomer
    around resident_create, say) writes it, after its own transaction is gone. A caller that
    wraps the service in a transaction of its own loses the report with its rollback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _CONFLICT_DEPTH.set(_CONFLICT_DEPTH.get() + 1)
        try:
            return func(*args, **kwargs)
        except IdNumberUnavailable as exc:
            if _CONFLICT_DEPTH.get() == 1:
                id_conflict_report(report=exc.report)
            raise
        finally:
            _CONFLICT_DEPTH.reset(token)

    return wrapper


def _apply_identity(resident: Resident, cleaned: dict[str, Any]) -> None:
    for field, value in cleaned.items():
        if field == "id_number":
            resident.id_number_enc = crypto.encrypt(value)
            resident.id_number_hash = id_hash(value) if value else None
            resident.id_number_last4 = value[-4:] if value else ""
        elif field == "phone":
            resident.phone_enc = crypto.encrypt(value)
            resident.phone_hash = phone_hash(value) if value else ""
            resident.phone_last4 = value[-4:] if value else ""
        else:
            setattr(resident, field, value)
    if "name" in cleaned:
        resident.name_pinyin = pinyin_full(resident.name)
        resident.name_initials = pinyin_initials(resident.name)


def _snapshot(resident: Resident) -> dict[str, Any]:
    snapshot = {field: getattr(resident, field) for field in EDITABLE_FIELDS if hasattr(resident, field)}
    snapshot["id_number"] = crypto.decrypt(resident.id_number_enc)
    snapshot["phone"] = crypto.decrypt(resident.phone_enc)
    snapshot["place"] = resident.place
    return snapshot


def _home_of(resident: Resident) -> Place:
    """The place that scopes `resident`: these services always set one (the column allows none,
    and `require` would read a missing place as "anywhere")."""
    if resident.place is None:
        raise NotFound()
    return resident.place


def _validate_residence_place(place: Place | None, household: Household | None) -> Place:
    if household is not None:
        return household.place
    if place is None:
        raise field_error("household", "请选择居民所在的户")
    if place.kind not in HOUSEHOLD_PLACE_KINDS:
        raise field_error("place", "居民须登记在楼栋或单元下")
    return place


@_reports_id_conflicts
@transaction.atomic
def resident_create(
    *,
    by: Actor,
    name: str,
    household: Household | None = None,
    place: Place | None = None,
    relation: str = Relation.HEAD,
    moved_in: dt.date | None = None,
    id_number: str = "",
    phone: str = "",
    gender: str = "",
    birth_date: dt.date | None = None,
    ethnicity: str = "汉族",
    residence_status: str = ResidenceStatus.REGISTERED,
    political_status: str = PoliticalStatus.MASSES,
    employment: str = "",
    notes: str = "",
    tags: Iterable[Tag] = (),
) -> Resident:
    home = _validate_residence_place(place, household)
    require(by, caps.REGISTRY_EDIT, home, visible_with=caps.REGISTRY_VIEW)
    if relation not in Relation.values:
        raise field_error("relation", "与户主关系无效")
    cleaned = _clean_identity(
        {
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "gender": gender,
            "birth_date": birth_date,
            "ethnicity": ethnicity,
            "residence_status": residence_status,
            "political_status": political_status,
            "employment": employment,
            "notes": notes,
        }
    )
    _refuse_taken_id(by=by, number=cleaned.get("id_number", ""), place=home, name=cleaned["name"])
    resident = Resident(place=home, card_no=new_card_no())
    _apply_identity(resident, cleaned)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:
        # Two desks registering the same ID number at once: the second loses cleanly, in words
        # that name nobody (the other desk's resident may lie outside this one's scope).
        raise field_error("id_number", ID_UNAVAILABLE) from None
    if household is not None:
        Membership.objects.create(
            household=household,
            resident=resident,
            relation=relation,
            moved_in=moved_in or clock.today(),
        )
    for tag in tags:
        ResidentTag.objects.create(resident=resident, tag=tag, added_by=as_user(by))
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=resident,
        place_path=home.path,
        changes=audit_diff({}, {**cleaned, "household": household, "tags": [tag.name for tag in tags]}),
    )
    return resident


@_reports_id_conflicts
@transaction.atomic
def resident_update(*, by: Actor, resident: Resident, **fields: Any) -> Resident:
    require(by, caps.REGISTRY_EDIT, _home_of(resident), visible_with=caps.REGISTRY_VIEW)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    before = _snapshot(resident)
    if "birth_date" in fields and "id_number" not in fields and resident.id_number_enc:
        fields = {**fields, "id_number": before["id_number"]}
    cleaned = _clean_identity(fields)
    if cleaned.get("id_number") and cleaned["id_number"] != before["id_number"]:
        _refuse_taken_id(
            by=by, number=cleaned["id_number"], place=_home_of(resident), name=resident.name, resident=resident
        )
    _apply_identity(resident, cleaned)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:
        raise field_error("id_number", ID_UNAVAILABLE) from None
    after = _snapshot(resident)
    changes = audit_diff(before, after)
    if changes:
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            target=resident,
            place_path=_home_of(resident).path,
            changes=changes,
        )
    return resident


def _sync_resident_place(resident: Resident) -> None:
    current = (
        Membership.objects.filter(resident=resident, moved_out__isnull=True)
        .select_related("household__place")
        .order_by("-moved_in", "-id")
        .first()
    )
    if current is not None and resident.place_id != current.household.place_id:
        resident.place = current.household.place
        resident.save(update_fields=["place", "updated_at"])


@transaction.atomic
def resident_move_in(
    *,
    by: Actor,
    resident: Resident,
    household: Household,
    relation: str,
    moved_in: dt.date | None = None,
) -> Membership:
    require(by, caps.REGISTRY_EDIT, household.place, visible_with=caps.REGISTRY_VIEW)
    if relation not in Relation.values:
        raise field_error("relation", "与户主关系无效")
    if Membership.objects.filter(household=household, resident=resident, moved_out__isnull=True).exists():
        raise field_error("household", f"{resident.name}已是该户成员")
    membership = Membership.objects.create(
        household=household, resident=resident, relation=relation, moved_in=moved_in or clock.today()
    )
    _sync_resident_place(resident)
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=resident,
        place_path=household.place.path,
        changes={"迁入": [None, f"{household.address}（{Relation(relation).label}）"]},
    )
    return membership


@transaction.atomic
def resident_move_out(
    *, by: Actor, membership: Membership, moved_out: dt.date | None = None, reason: str = ""
) -> Membership:
    household = membership.household
    require(by, caps.REGISTRY_EDIT, household.place, visible_with=caps.REGISTRY_VIEW)
    if membership.moved_out is not None:
        raise field_error("moved_out", "该成员已迁出")
    moved_out = moved_out or clock.today()
    if membership.moved_in and moved_out < membership.moved_in:
        raise field_error("moved_out", "迁出日期不能早于迁入日期")
    membership.moved_out = moved_out
    membership.move_out_reason = reason[:100]
    membership.save(update_fields=["moved_out", "move_out_reason"])
    _sync_resident_place(membership.resident)
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=membership.resident,
        place_path=household.place.path,
        changes={"迁出": [household.address, f"{moved_out:%Y-%m-%d} {reason}".strip()]},
    )
    return membership


@transaction.atomic
def resident_set_tags(*, by: Actor, resident: Resident, tags: Iterable[Tag]) -> None:
    require(by, caps.REGISTRY_EDIT, _home_of(resident), visible_with=caps.REGISTRY_VIEW)
    wanted = {tag.pk: tag for tag in tags}
    current = {rt.tag_id: rt for rt in ResidentTag.objects.filter(resident=resident).select_related("tag")}
    removed = [current[pk].tag.name for pk in current.keys() - wanted.keys()]
    added = [wanted[pk].name for pk in wanted.keys() - current.keys()]
    ResidentTag.objects.filter(resident=resident, tag_id__in=current.keys() - wanted.keys()).delete()
    ResidentTag.objects.bulk_create(
        [
            ResidentTag(resident=resident, tag=wanted[pk], added_by=as_user(by))
            for pk in wanted.keys() - current.keys()
        ]
    )
    if added or removed:
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            target=resident,
            place_path=_home_of(resident).path,
            changes={
                "tags": [
                    sorted(current_tag.tag.name for current_tag in current.values()),
                    sorted(t.name for t in wanted.values()),
                ]
            },
        )


@transaction.atomic
def resident_reveal_pii(
    *, by: User, resident: Resident, purpose: str, ip: str | None = None
) -> dict[str, str]:
    """Plaintext ID and phone for one resident, for a stated purpose; always audited."""
    require(by, caps.REGISTRY_PII, _home_of(resident), visible_with=caps.REGISTRY_VIEW)
    purpose = (purpose or "").strip()
    if not purpose:
        raise field_error("purpose", "查看完整信息须填写用途")
    audit_record(
        actor=by,
        action=AuditAction.VIEW_PII,
        target=resident,
        place_path=_home_of(resident).path,
        purpose=purpose,
        ip=ip,
    )
    return {"id_number": crypto.decrypt(resident.id_number_enc), "phone": crypto.decrypt(resident.phone_enc)}


@transaction.atomic
def floating_register(
    *,
    by: Actor,
    resident: Resident,
    origin: str,
    reason: str = FloatingReason.WORK,
    household: Household | None = None,
    place: Place | None = None,
    landlord: Resident | None = None,
    landlord_name: str = "",
    employer: str = "",
    registered_on: dt.date | None = None,
    expected_until: dt.date | None = None,
    has_health_file: bool = False,
) -> FloatingRegistration:
    home = _validate_residence_place(place or resident.place, household)
    require(by, caps.FLOATING_MANAGE, home, visible_with=caps.REGISTRY_VIEW)
    errors: dict[str, list[str]] = {}
    if not (origin or "").strip():
        errors["origin"] = ["请填写户籍地或来源地"]
    if reason not in FloatingReason.values:
        errors["reason"] = ["来此事由无效"]
    registered_on = registered_on or clock.today()
    if registered_on > clock.today():
        errors["registered_on"] = ["登记日期不能晚于今天"]
    if expected_until and expected_until < registered_on:
        errors["expected_until"] = ["预计居住截止日期不能早于登记日期"]
    if FloatingRegistration.objects.filter(resident=resident, deregistered_on__isnull=True).exists():
        errors["resident"] = [f"{resident.name}已有未注销的流动人口登记"]
    if errors:
        raise ValidationError(errors)
    registration = FloatingRegistration.objects.create(
        resident=resident,
        place=home,
        household=household,
        origin=origin.strip(),
        reason=reason,
        landlord=landlord or (household.landlord if household else None),
        landlord_name=landlord_name,
        employer=employer,
        registered_on=registered_on,
        expected_until=expected_until,
        has_health_file=has_health_file,
        registered_by=as_user(by),
    )
    if resident.residence_status != ResidenceStatus.FLOATING:
        Resident.objects.filter(pk=resident.pk).update(residence_status=ResidenceStatus.FLOATING)
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=registration,
        target_label=f"流动人口登记：{resident.name}",
        place_path=home.path,
        changes=audit_diff(
            {},
            {
                "origin": origin,
                "reason": reason,
                "registered_on": registered_on,
                "expected_until": expected_until,
            },
        ),
    )
    return registration


@transaction.atomic
def floating_deregister(
    *,
    by: Actor,
    registration: FloatingRegistration,
    deregistered_on: dt.date | None = None,
    reason: str = "",
    move_out: bool = True,
) -> FloatingRegistration:
    require(by, caps.FLOATING_MANAGE, registration.place, visible_with=caps.REGISTRY_VIEW)
    registration = FloatingRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.deregistered_on is not None:
        raise field_error("deregistered_on", "该登记已注销")
    deregistered_on = deregistered_on or clock.today()
    if deregistered_on < registration.registered_on:
        raise field_error("deregistered_on", "注销日期不能早于登记日期")
    if not (reason or "").strip():
        raise field_error("reason", "请填写注销原因")
    registration.deregistered_on = deregistered_on
    registration.deregistration_reason = reason.strip()[:100]
    registration.save(update_fields=["deregistered_on", "deregistration_reason"])
    if move_out and registration.household_id:
        for membership in Membership.objects.filter(
            resident=registration.resident, household_id=registration.household_id, moved_out__isnull=True
        ):
            # The same person moves them out, under the same scope check and in their name.
            resident_move_out(
                by=by, membership=membership, moved_out=deregistered_on, reason="流动人口注销"
            )
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=registration,
        target_label=f"流动人口登记：{registration.resident.name}",
        place_path=registration.place.path,
        changes={"deregistered_on": [None, str(deregistered_on)], "reason": [None, reason.strip()]},
    )
    return registration


# --- pages: a newcomer registered as floating population in one step ---------------------


@_reports_id_conflicts
@transaction.atomic
def floating_register_newcomer(
    *,
    by: Actor,
    household: Household,
    person: dict[str, Any],
    relation: str = Relation.TENANT,
    registration: dict[str, Any],
) -> FloatingRegistration:
    """Create the resident (status 流动) in `household` and their floating registration together:
    a registration error rolls the new resident back, so the desk never leaves half a record."""
    resident = resident_create(
        by=by,
        household=household,
        relation=relation,
        residence_status=ResidenceStatus.FLOATING,
        **person,
    )
    return floating_register(by=by, resident=resident, household=household, **registration)


# --- bulk import support (used by gridgov.transfer) ------------------------------------


def resident_clean_for_import(data: dict[str, Any]) -> dict[str, Any]:
    """The registration form's rules and messages, minus the duplicate-ID check.

    An import matches an existing resident by ID number and updates them, so a known number
    is not an error there. Birth date and gender are derived from the number and cross-checked.
    """
    id_number = (data.get("id_number") or "").strip().upper().replace(" ", "")
    errors: dict[str, list[str]] = {}
    try:
        cleaned = _clean_identity({key: value for key, value in data.items() if key != "id_number"})
    except ValidationError as exc:
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
        cleaned = {}
    if id_number:
        try:
            info = parse_id_number(id_number)
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
        else:
            cleaned["id_number"] = info.number
            if data.get("gender") and data["gender"] != info.gender:
                errors.setdefault("gender", []).append("性别与身份证号不一致")
            cleaned["gender"] = info.gender
            cleaned["birth_date"] = info.birth_date
    if errors:
        raise ValidationError(errors)
    return cleaned


def resident_apply_identity(resident: Resident, cleaned: dict[str, Any]) -> None:
    """Set validated fields on an unsaved or locked resident (encrypts ID/phone, fills pinyin)."""
    _apply_identity(resident, cleaned)


def new_card_nos(count: int) -> list[str]:
    """`count` fresh service-card numbers with one lookup, for bulk creation."""
    chosen: set[str] = set()
    while len(chosen) < count:
        wanted = count - len(chosen)
        candidates = {f"{secrets.randbelow(10**12):012d}" for _ in range(wanted)} - chosen
        taken = set(Resident.objects.filter(card_no__in=candidates).values_list("card_no", flat=True))
        chosen |= candidates - taken
    return list(chosen)
