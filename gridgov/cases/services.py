"""Every write to a case. Each transition locks the row, checks who may do it, changes the
state, appends its `CaseEvent` and its audit row in the same transaction, and tells the people
who must act next (in-app notifications are stored in the same transaction; outbound channels
are sent after commit by the notifications app)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, is_unrestricted, require
from gridgov.audit.models import AuditAction
from gridgov.audit.services import audit_record
from gridgov.cases import policy
from gridgov.cases.models import (
    OPEN_STATES,
    PUBLIC_CHANNELS,
    SLA,
    STAFF_CHANNELS,
    ApiKey,
    ApiKeyMinute,
    AttachmentKind,
    Case,
    CaseAttachment,
    CaseCall,
    CaseEvent,
    Category,
    Channel,
    EventKind,
    Level,
    Priority,
    RoutingRule,
    SlaUnit,
    State,
)
from gridgov.cases.photos import CleanPhoto, clean_photos
from gridgov.cases.routing import KIND_LEVEL, due_times, level_rank, next_level, owner_at, route
from gridgov.core import crypto
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.core.validation import normalize_phone
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.people.models import Resident

logger = logging.getLogger(__name__)

TEXT_MAX = 2000
NOTE_MAX = 2000
REASON_MAX = 500
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10
CLIENT_KEY_RE = re.compile(r"^[\w.:\-]{1,64}$")
# Organisations that can be called in (吹哨) or be routed cases.
HANDLING_ORG_KINDS = (OrgKind.DEPARTMENT, OrgKind.PROPERTY, OrgKind.UNIT, OrgKind.SOCIAL)


class CaseConflict(ValidationError):
    """The case moved on under the user (someone else accepted it, it was closed …)."""

    def __init__(self, message: str) -> None:
        super().__init__({"state": [message]})


class ApiKeyInvalid(Forbidden):
    def __init__(self) -> None:
        super().__init__("接入密钥无效或已吊销")


class RateLimited(Exception):
    def __init__(self, limit: int, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(f"请求过于频繁：每分钟最多{limit}次，请{retry_after}秒后再试")


# ---------------------------------------------------------------------------------------------
# helpers


def phone_hash(phone: str) -> str:
    return crypto.blind_index(phone, kind="case-phone")


def case_link(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return f"/cases/{case.pk}/"


def _text(value: Any, field: str, label: str, *, required: bool = True, max_length: int = NOTE_MAX) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise field_error(field, f"请填写{label}")
    if len(text) > max_length:
        raise field_error(field, f"{label}不能超过{max_length}个字，当前{len(text)}个字")
    return text


def _new_tracking_code() -> str:
    while True:
        code = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
        if not Case.objects.filter(tracking_code=code).exists():
            return code


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "subcategory", "place", "level_place", "handler_org")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _visible_or_404(by: User | None, case: Case) -> None:
    if by is None:
        return
    if not (policy.is_staff_viewer(by, case) or policy.is_reporter(by, case)):
        raise NotFound()


def _staff_or_404(by: User | None, case: Case) -> None:
    if by is None:
        return
    if not policy.is_staff_viewer(by, case):
        raise NotFound()


def _event(
    case: Case,
    *,
    by: User | None,
    kind: str,
    at: dt.datetime | None = None,
    from_state: str | None = None,
    from_level: str | None = None,
    note: str = "",
    public: bool = False,
) -> CaseEvent:
    """Append one timeline row; `from_*` given means the state/level changed to the case's now."""
    return CaseEvent.objects.create(
        case=case,
        at=at or timezone.now(),
        actor=by if by is not None and by.pk else None,
        kind=kind,
        from_state=from_state or "",
        to_state=case.state if from_state is not None else "",
        from_level=from_level or "",
        to_level=case.level if from_level is not None else "",
        handler_user_id=case.handler_user_id,
        handler_org_id=case.handler_org_id,
        note=note,
        public=public,
    )


def _audit(case: Case, *, by: User | None, event: str, changes: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=by,
        action=AuditAction.CREATE if event == EventKind.SUBMITTED else AuditAction.UPDATE,
        target=case,
        target_label=f"事件{case.tracking_code}",
        place_path=case.place_path,
        changes={"event": [None, event], **(changes or {})},
    )


def _attach(
    case: Case,
    photos: Sequence[CleanPhoto],
    *,
    by: User | None,
    kind: str,
    event: CaseEvent | None,
    public: bool = True,
) -> list[CaseAttachment]:
    stored = []
    existing = CaseAttachment.objects.filter(case=case).count()
    for index, photo in enumerate(photos, start=existing + 1):
        attachment = CaseAttachment(
            case=case,
            event=event,
            kind=kind,
            content_type=photo.content_type,
            size=len(photo.content),
            original_name=photo.original_name,
            uploaded_by=by if by is not None and by.pk else None,
            public=public,
        )
        attachment.file.save(
            f"{case.tracking_code}-{index}.{photo.extension}", ContentFile(photo.content), save=False
        )
        attachment.save()
        stored.append(attachment)
    return stored


# --- who to tell ------------------------------------------------------------------------------


def _assignments_on(paths: Iterable[str]):
    from gridgov.accounts.models import RoleAssignment

    return RoleAssignment.objects.filter(place__path__in=list(paths), user__is_active=True).select_related(
        "role", "place", "user"
    )


def level_handlers(case: Case) -> list[User]:
    """The people responsible for a case nobody holds yet, at its current level."""
    if case.handler_user_id:
        return [case.handler_user]
    if case.handler_org_id:
        return org_staff(case.handler_org_id)
    chain = case.level_place.ancestor_paths() if case.level_place_id else []
    matching = [
        a
        for a in _assignments_on(chain)
        if caps.CASES_HANDLE in (a.role.capabilities or []) and KIND_LEVEL.get(a.place.kind) == case.level
    ]
    if not matching:
        # No one at exactly this rung (a community without grid staff): the nearest above.
        handlers = [a for a in _assignments_on(chain) if caps.CASES_HANDLE in (a.role.capabilities or [])]
        if handlers:
            deepest = max(len(a.place.path) for a in handlers)
            matching = [a for a in handlers if len(a.place.path) == deepest]
    return list({a.user_id: a.user for a in matching}.values())


def supervisors_above(place: Place | None) -> list[User]:
    """The nearest superiors of whoever works at `place`: supervisors strictly above it."""
    if place is None:
        return []
    above = place.ancestor_paths()[:-1]
    found = [a for a in _assignments_on(above) if caps.CASES_SUPERVISE in (a.role.capabilities or [])]
    if not found:
        found = [
            a for a in _assignments_on([place.path]) if caps.CASES_SUPERVISE in (a.role.capabilities or [])
        ]
    if not found:
        return []
    deepest = max(len(a.place.path) for a in found)
    return list({a.user_id: a.user for a in found if len(a.place.path) == deepest}.values())


def dispatchers_for(case: Case) -> list[User]:
    if case.dispatcher_id:
        return [case.dispatcher]
    chain = case.level_place.ancestor_paths()
    found = [a for a in _assignments_on(chain) if caps.CASES_DISPATCH in (a.role.capabilities or [])]
    if not found:
        return []
    deepest = max(len(a.place.path) for a in found)
    return list({a.user_id: a.user for a in found if len(a.place.path) == deepest}.values())


def org_staff(organisation_id: int) -> list[User]:
    from gridgov.accounts.models import User

    staff = list(User.objects.filter(organisation_id=organisation_id, is_active=True))
    return [user for user in staff if has_capability(user, caps.CASES_ORG_HANDLE)]


def reporters_of(case: Case) -> list[User]:
    users: list[User] = []
    if case.reporter_user_id:
        users.append(case.reporter_user)
    if case.reporter_resident_id:
        from gridgov.accounts.models import User

        users.extend(User.objects.filter(resident_id=case.reporter_resident_id, is_active=True))
    return users


def _notify(
    recipients: Iterable[User | None], *, by: User | None, case: Case, title: str, body: str, kind: str
) -> None:
    unique = {u.pk: u for u in recipients if u is not None and u.pk and (by is None or u.pk != by.pk)}
    if not unique:
        return
    from gridgov.notifications.services import notify

    notify(recipients=list(unique.values()), title=title, body=body, link=case_link(case), kind=kind)


def _snippet(case: Case, length: int = 40) -> str:
    text = case.text.replace("\n", " ")
    return text if len(text) <= length else text[:length] + "…"


# ---------------------------------------------------------------------------------------------
# intake


@dataclass(frozen=True)
class SubmitResult:
    case: Case
    created: bool


def _category_from(value: Category | str | int | None, field: str) -> Category | None:
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        category = value
    else:
        lookup = {"pk": value} if isinstance(value, int) else {"code": str(value).strip()}
        category = Category.objects.filter(**lookup).select_related("parent").first()
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


def case_submit(**fields: Any) -> Case:
    """Take a report from any channel; takes the keywords of `case_submit_result`, which also
    says whether the report was new."""
    return case_submit_result(**fields).case


def _source(by: User | None, api_key: ApiKey | None, phone_digest: str) -> str:
    if api_key is not None:
        return f"key:{api_key.pk}"
    if by is not None and by.is_authenticated:
        return f"user:{by.pk}"
    return f"phone:{phone_digest[:32]}" if phone_digest else "anon"


def case_submit_result(
    *,
    by: User | None,
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
    if by is not None and not by.is_authenticated:
        by = None  # AnonymousUser from a public page
    now = now or timezone.now()
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
        if by is None and not phone:
            raise field_error("reporter_phone", "匿名反映请留下手机号，便于回访")
        reporter_user = by
        if by is not None and reporter_resident is None:
            reporter_resident = getattr(by, "resident", None)
    elif channel in STAFF_CHANNELS:
        if by is None:
            raise Forbidden("请先登录")
        if not has_capability(by, caps.CASES_INTAKE, place):
            org_id = policy.org_handles(by)
            serves = (
                org_id
                and channel == Channel.PROPERTY_BULK
                and Place.objects.filter(served_by=org_id, path__in=place.ancestor_paths()).exists()
            )
            if not serves:
                raise Forbidden(f"您无权登记“{place.name}”的事件")
        if channel == Channel.PATROL:
            reporter_user = by
        if reporter_resident is not None and not (
            has_capability(by, caps.REGISTRY_VIEW, reporter_resident.place)
            if reporter_resident.place_id
            else is_unrestricted(by)
        ):
            raise field_error("reporter_resident", "无权关联该居民")
    else:  # external systems and Open311 clients
        if api_key is None or not api_key.is_active:
            raise ApiKeyInvalid()
        if api_key.place_id and not (
            place.pk == api_key.place_id or place.path.startswith(api_key.place.path + ".")
        ):
            raise field_error("place", "该地点不在接入密钥的上报范围内")
        by = None

    source = _source(by, api_key, phone_digest)
    if client_key:
        existing = Case.objects.filter(source=source, client_key=client_key).first()
        if existing is not None:
            return SubmitResult(case=existing, created=False)

    cleaned_photos = clean_photos(photos)
    chosen = _category_from(category, "category")
    chosen_sub = _category_from(subcategory, "subcategory")
    if chosen is not None and chosen.parent_id:
        chosen, chosen_sub = chosen.parent, chosen_sub or chosen
    if chosen_sub is not None:
        if chosen_sub.parent_id is None:
            raise field_error("subcategory", "请选择子分类")
        if chosen is not None and chosen_sub.parent_id != chosen.pk:
            raise field_error("subcategory", "子分类不属于所选分类")
        chosen = chosen or chosen_sub.parent

    suggestion = _suggest(text)
    staff_decided = chosen is not None and by is not None and channel in STAFF_CHANNELS
    if chosen is None:
        chosen = (
            Category.objects.filter(code=suggestion.category, parent__isnull=True, is_active=True).first()
            or Category.objects.filter(code="other").first()
        )
        if chosen is None:
            raise field_error("category", "请先配置事件分类")
    effective = chosen_sub or chosen
    priority = priority or (suggestion.urgency if suggestion.urgency in Priority.values else Priority.NORMAL)

    try:
        with transaction.atomic():
            routed = route(effective, place)
            due_accept, due_resolve = due_times(effective, priority, now)
            case = Case.objects.create(
                tracking_code=_new_tracking_code(),
                text=text,
                address_detail=address_detail,
                category=chosen,
                subcategory=chosen_sub,
                priority=priority,
                category_confirmed=staff_decided,
                state=State.NEW,
                level=routed.level,
                place=place,
                place_path=place.path,
                level_place=routed.level_place,
                level_path=routed.level_place.path,
                latitude=latitude,
                longitude=longitude,
                channel=channel,
                reporter_user=reporter_user,
                reporter_resident=reporter_resident,
                reporter_name=reporter_name,
                reporter_phone_enc=crypto.encrypt(phone) if phone else "",
                reporter_phone_hash=phone_digest,
                reporter_phone_last4=phone[-4:] if phone else "",
                created_by=by,
                api_key=api_key,
                handler_org_id=routed.organisation_id,
                created_at=now,
                due_accept_at=due_accept,
                due_resolve_at=due_resolve,
                suggested_category=suggestion.category or "",
                suggested_urgency=suggestion.urgency or "",
                suggested_confidence=suggestion.confidence,
                suggested_matched="、".join(suggestion.matched)[:200],
                source=source,
                client_key=client_key,
            )
            event = _event(
                case,
                by=by,
                kind=EventKind.SUBMITTED,
                at=now,
                from_state="",
                from_level="",
                note=Channel(channel).label,
                public=True,
            )
            _attach(case, cleaned_photos, by=by, kind=AttachmentKind.REPORT, event=event)
            _audit(
                case,
                by=by,
                event=EventKind.SUBMITTED,
                changes={
                    "channel": [None, channel],
                    "category": [None, effective.code],
                    "priority": [None, priority],
                    "level": [None, routed.level],
                    "place": [None, place.name],
                },
            )
            _notify(
                level_handlers(case),
                by=by,
                case=case,
                title=f"新事件待受理：{effective.name}",
                body=f"{place.name}：{_snippet(case)}",
                kind="case.new",
            )
    except IntegrityError:
        if not client_key:
            raise
        # A concurrent retry with the same key won the insert: it is the first case.
        existing = Case.objects.filter(source=source, client_key=client_key).first()
        if existing is None:
            raise
        return SubmitResult(case=existing, created=False)
    return SubmitResult(case=case, created=True)


# ---------------------------------------------------------------------------------------------
# classification and dispatch


@transaction.atomic
def case_classify(
    *,
    by: User,
    case: Case,
    category: Category | str | int,
    subcategory: Category | str | int | None = None,
    priority: str | None = None,
    note: str = "",
) -> Case:
    """Staff confirm or correct the category and urgency; a correction teaches the triage rules."""
    case = _lock(case)
    _staff_or_404(by, case)
    if not (policy.can_dispatch(by, case) or policy.can_handle(by, case)):
        raise Forbidden("您无权调整该事件的分类")
    if case.state not in OPEN_STATES:
        raise CaseConflict("事件已结束，不能再调整分类")
    chosen = _category_from(category, "category")
    if chosen is None:
        raise field_error("category", "请选择分类")
    chosen_sub = _category_from(subcategory, "subcategory")
    if chosen.parent_id:
        chosen, chosen_sub = chosen.parent, chosen_sub or chosen
    if chosen_sub is not None and chosen_sub.parent_id != chosen.pk:
        raise field_error("subcategory", "子分类不属于所选分类")
    priority = priority or case.priority
    if priority not in Priority.values:
        raise field_error("priority", "优先级只能是一般或紧急")
    note = _text(note, "note", "说明", required=False)
    before = {
        "category": case.subcategory.code if case.subcategory_id else case.category.code,
        "priority": case.priority,
    }
    effective = chosen_sub or chosen
    changed = (case.category_id, case.subcategory_id, case.priority) != (
        chosen.pk,
        chosen_sub.pk if chosen_sub else None,
        priority,
    )
    case.category, case.subcategory, case.priority = chosen, chosen_sub, priority
    case.category_confirmed = True
    from_level = case.level
    if changed:
        case.due_accept_at, case.due_resolve_at = due_times(effective, priority, case.created_at)
        # Not yet in anyone's hands: send it where the corrected category belongs.
        if case.state == State.NEW and not case.handler_user_id and not case.dispatcher_id:
            routed = route(effective, case.place)
            case.level, case.level_place, case.level_path = (
                routed.level,
                routed.level_place,
                routed.level_place.path,
            )
            case.handler_org_id = routed.organisation_id
    case.save()
    label = f"{effective}·{Priority(priority).label}"
    _event(
        case,
        by=by,
        kind=EventKind.CLASSIFIED,
        from_level=from_level if case.level != from_level else None,
        note=f"{label}{'；' + note if note else ''}",
    )
    _audit(
        case,
        by=by,
        event=EventKind.CLASSIFIED,
        changes={
            "category": [before["category"], effective.code],
            "priority": [before["priority"], priority],
        },
    )
    if case.suggested_category:
        # Agreements are stored too: they are the positive labels a learned model needs.
        from gridgov.triage.services import Suggestion, record_correction

        record_correction(
            text=case.text,
            suggested=Suggestion(
                category=case.suggested_category,
                urgency=case.suggested_urgency or Priority.NORMAL,
                confidence=case.suggested_confidence or 0.0,
                matched=tuple(filter(None, case.suggested_matched.split("、"))),
            ),
            category=chosen.code,
            urgency=priority,
            by=by,
            case_id=case.pk,
        )
    if case.level != from_level:
        _notify(
            level_handlers(case), by=by, case=case, title="新事件待受理", body=_snippet(case), kind="case.new"
        )
    return case


def _check_handler_for(user: User, level_place: Place, organisation: Organisation | None) -> None:
    if not user.is_active:
        raise field_error("handler_user", "该账号已停用")
    if organisation is not None:
        if user.organisation_id != organisation.pk or not has_capability(user, caps.CASES_ORG_HANDLE):
            raise field_error("handler_user", f"{user}不是{organisation.name}的办理人员")
        return
    if not has_capability(user, caps.CASES_HANDLE, level_place):
        raise field_error("handler_user", f"{user}不负责{level_place.name}的事件")


def _check_org(by: User, organisation: Organisation, field: str) -> None:
    from gridgov.orgs.selectors import organisations_for

    if not organisation.is_active or organisation.kind not in HANDLING_ORG_KINDS:
        raise field_error(field, f"{organisation.name}不能承办事件")
    if not organisations_for(by).filter(pk=organisation.pk).exists():
        raise field_error(field, "单位不存在或不在您的辖区")


@transaction.atomic
def case_dispatch(
    *,
    by: User,
    case: Case,
    level: str | None = None,
    handler_user: User | None = None,
    handler_org: Organisation | None = None,
    note: str = "",
) -> Case:
    """分类交办: hand the case to a person or an organisation, at a level of the ladder."""
    case = _lock(case)
    _staff_or_404(by, case)
    if not policy.can_dispatch(by, case):
        if policy.is_excluded_reviewer(by, case):
            raise Forbidden("重办事件须由原派单人以外的人员复核交办")
        raise Forbidden("您无权交办该事件")
    if case.state not in OPEN_STATES:
        raise CaseConflict(f"事件{case.get_state_display()}，不能再交办")
    level = level or case.level
    if level not in Level.values:
        raise field_error("level", "层级无效")
    if handler_user is None and handler_org is None and level == case.level:
        raise field_error("handler_user", "请选择承办人、承办单位或层级")
    if level == Level.DEPARTMENT and handler_org is None:
        raise field_error("handler_org", "交办到部门须选择承办部门")
    note = _text(note, "note", "交办说明", required=False)
    new_level, new_place = owner_at(case.place, level)
    if not is_unrestricted(by) and not has_capability(by, caps.CASES_DISPATCH, new_place):
        raise Forbidden(f"您无权交办到{new_place.name}")
    if handler_org is not None:
        _check_org(by, handler_org, "handler_org")
    if handler_user is not None:
        _check_handler_for(handler_user, new_place, handler_org)
    from_state, from_level = case.state, case.level
    now = timezone.now()
    if new_level != case.level:
        effective = case.subcategory or case.category
        case.due_accept_at, case.due_resolve_at = due_times(effective, case.priority, now)
        case.sla_flagged_at = None
    case.level, case.level_place, case.level_path = new_level, new_place, new_place.path
    case.handler_user, case.handler_org = handler_user, handler_org
    case.dispatcher = by
    case.state = State.NEW
    case.needs_dispatch = False
    case.save()
    target = handler_org.name if handler_org else f"{new_place.name}{Level(new_level).label}"
    if handler_user is not None:
        target = f"{target}（{handler_user}）" if handler_org else str(handler_user)
    _event(
        case,
        by=by,
        kind=EventKind.DISPATCHED,
        from_state=from_state,
        from_level=from_level,
        note=f"交办至{target}",
        public=True,
    )
    if note:
        _event(case, by=by, kind=EventKind.NOTE, note=note)
    _audit(
        case,
        by=by,
        event=EventKind.DISPATCHED,
        changes={"level": [from_level, new_level], "handler": [None, target]},
    )
    _notify(
        level_handlers(case),
        by=by,
        case=case,
        title=f"事件交办：{case.category.name}",
        body=f"{_snippet(case)}{'（' + note + '）' if note else ''}",
        kind="case.dispatched",
    )
    return case


# ---------------------------------------------------------------------------------------------
# handling


@transaction.atomic
def case_accept(*, by: User, case: Case) -> Case:
    """受理. Two people may press the button at once: the row lock lets exactly one win."""
    case = _lock(case)
    _staff_or_404(by, case)
    if case.state != State.NEW:
        if case.handler_user_id and case.handler_user_id != by.pk and case.state in OPEN_STATES:
            raise CaseConflict(f"该事件已由{case.handler_user}受理，无需重复受理")
        if case.handler_user_id == by.pk and case.state in OPEN_STATES:
            raise CaseConflict("您已受理该事件")
        raise CaseConflict(f"事件{case.get_state_display()}，不能受理")
    if not policy.can_handle(by, case):
        if policy.is_excluded_reviewer(by, case):
            raise Forbidden("重办事件须由原派单人和原承办人以外的人员复核")
        if case.handler_user_id:
            raise Forbidden(f"该事件已交办给{case.handler_user}")
        raise Forbidden("您不负责该事件，不能受理")
    now = timezone.now()
    case.state = State.ACCEPTED
    case.handler_user = by
    case.accepted_at = now
    if case.accept_seconds is None:
        case.accept_seconds = max(int((now - case.created_at).total_seconds()), 0)
    if case.due_accept_at and now > case.due_accept_at:
        case.was_overdue = True
    case.needs_dispatch = False
    case.sla_flagged_at = None
    case.save()
    _event(case, by=by, kind=EventKind.ACCEPTED, from_state=State.NEW, public=True)
    _audit(case, by=by, event=EventKind.ACCEPTED, changes={"state": [State.NEW, State.ACCEPTED]})
    _notify(
        reporters_of(case),
        by=by,
        case=case,
        title="您反映的问题已受理",
        body=_snippet(case),
        kind="case.accepted",
    )
    return case


@transaction.atomic
def case_start(*, by: User, case: Case, note: str = "") -> Case:
    case = _lock(case)
    _staff_or_404(by, case)
    if case.handler_user_id != by.pk:
        raise Forbidden("只有承办人可以开始处置")
    if case.state != State.ACCEPTED:
        raise CaseConflict(f"事件{case.get_state_display()}，不能开始处置")
    note = _text(note, "note", "说明", required=False)
    case.state = State.IN_PROGRESS
    case.save()
    _event(case, by=by, kind=EventKind.STARTED, from_state=State.ACCEPTED, note=note, public=True)
    _audit(case, by=by, event=EventKind.STARTED, changes={"state": [State.ACCEPTED, State.IN_PROGRESS]})
    return case


@transaction.atomic
def case_note(
    *,
    by: User,
    case: Case,
    note: str = "",
    photos: Iterable[Any] = (),
    photo_kind: str = AttachmentKind.BEFORE,
    public: bool = False,
) -> CaseEvent:
    """处置记录: what was done, with before/after photos; public notes reach the reporter."""
    case = _lock(case)
    _staff_or_404(by, case)
    if "note" not in policy.allowed(by, case):
        if case.state not in OPEN_STATES:
            raise CaseConflict(f"事件{case.get_state_display()}，不能再记录")
        raise Forbidden("您无权在该事件上记录处置情况")
    if photo_kind not in AttachmentKind.values:
        raise field_error("photo_kind", "照片类型无效")
    cleaned = clean_photos(photos)
    note = _text(note, "note", "处置记录", required=not cleaned)
    event = _event(case, by=by, kind=EventKind.NOTE, note=note, public=public)
    _attach(
        case,
        cleaned,
        by=by,
        kind=photo_kind,
        event=event,
        public=public or photo_kind == AttachmentKind.AFTER,
    )
    _audit(case, by=by, event=EventKind.NOTE, changes={"photos": [None, len(cleaned)]} if cleaned else None)
    return event


@transaction.atomic
def case_resolve(*, by: User, case: Case, result: str, photos: Iterable[Any] = ()) -> Case:
    """办结, with the result text the reporter (and every merged reporter) will read."""
    case = _lock(case)
    _staff_or_404(by, case)
    if case.handler_user_id != by.pk and not is_unrestricted(by):
        raise Forbidden("只有承办人可以办结")
    if case.state not in (State.ACCEPTED, State.IN_PROGRESS):
        raise CaseConflict(f"事件{case.get_state_display()}，不能办结")
    result = _text(result, "result", "办理结果")
    cleaned = clean_photos(photos)
    now = timezone.now()
    from_state = case.state
    case.state = State.RESOLVED
    case.result = result
    case.resolved_at = now
    case.resolve_seconds = max(int((now - case.created_at).total_seconds()), 0)
    if case.due_resolve_at and now > case.due_resolve_at:
        case.was_overdue = True
    case.save()
    event = _event(case, by=by, kind=EventKind.RESOLVED, from_state=from_state, note=result, public=True)
    _attach(case, cleaned, by=by, kind=AttachmentKind.AFTER, event=event)
    _audit(case, by=by, event=EventKind.RESOLVED, changes={"state": [from_state, State.RESOLVED]})
    reporters = reporters_of(case)
    for merged in Case.objects.filter(merged_into=case).select_related("reporter_user"):
        merged.result = result
        merged.resolved_at = now
        merged.save(update_fields=["result", "resolved_at", "updated_at"])
        _event(merged, by=by, kind=EventKind.OUTCOME, note=result, public=True)
        reporters.extend(reporters_of(merged))
    _notify(
        reporters,
        by=by,
        case=case,
        title="您反映的问题已办结，请评价",
        body=result[:80],
        kind="case.resolved",
    )
    return case


@transaction.atomic
def case_reject(*, by: User, case: Case, reason: str) -> Case:
    """不予受理, with a reason the reporter reads."""
    case = _lock(case)
    _staff_or_404(by, case)
    if not policy.can_dispatch(by, case):
        raise Forbidden("您无权作不予受理处理")
    if case.state != State.NEW:
        raise CaseConflict(f"事件{case.get_state_display()}，不能作不予受理处理")
    reason = _text(reason, "reason", "不予受理的原因", max_length=REASON_MAX)
    case.state = State.REJECTED
    case.reject_reason = reason
    case.closed_at = timezone.now()
    case.save()
    _event(case, by=by, kind=EventKind.REJECTED, from_state=State.NEW, note=reason, public=True)
    _audit(case, by=by, event=EventKind.REJECTED, changes={"state": [State.NEW, State.REJECTED]})
    _notify(
        reporters_of(case), by=by, case=case, title="您反映的问题不予受理", body=reason, kind="case.rejected"
    )
    return case


@transaction.atomic
def case_merge(*, by: User, case: Case, into: Case, note: str = "") -> Case:
    """Merge a duplicate into another open case; its reporter will get that case's outcome."""
    if case.pk == into.pk:
        raise field_error("into", "不能合并到自身")
    # Lock both in id order so two opposite merges cannot deadlock.
    first, second = sorted([case.pk, into.pk])
    locked = {first: _lock(first), second: _lock(second)}
    case, into = locked[case.pk], locked[into.pk]
    _staff_or_404(by, case)
    if not policy.is_staff_viewer(by, into):
        raise field_error("into", "目标事件不存在或无权访问")
    if not policy.can_dispatch(by, case):
        raise Forbidden("您无权合并该事件")
    if case.state not in OPEN_STATES:
        raise CaseConflict(f"事件{case.get_state_display()}，不能合并")
    if into.state not in OPEN_STATES:
        raise field_error("into", f"目标事件{into.get_state_display()}，只能合并到未办结的事件")
    note = _text(note, "note", "说明", required=False)
    from_state = case.state
    case.state = State.MERGED
    case.merged_into = into
    case.closed_at = timezone.now()
    case.save()
    Case.objects.filter(merged_into=case).update(merged_into=into)
    _event(
        case,
        by=by,
        kind=EventKind.MERGED,
        from_state=from_state,
        note=f"与{into.tracking_code}合并处理{'；' + note if note else ''}",
        public=True,
    )
    _event(into, by=by, kind=EventKind.MERGED_IN, note=f"并入{case.tracking_code}")
    _audit(
        case,
        by=by,
        event=EventKind.MERGED,
        changes={"state": [from_state, State.MERGED], "merged_into": [None, into.tracking_code]},
    )
    _notify(
        reporters_of(case),
        by=by,
        case=case,
        title="您反映的问题已与同类问题合并处理",
        body=_snippet(into),
        kind="case.merged",
    )
    return case


@transaction.atomic
def case_return(*, by: User, case: Case, reason: str) -> Case:
    """退回: the handler hands the case back to its dispatcher (wrong level, not theirs …)."""
    case = _lock(case)
    _staff_or_404(by, case)
    if "return" not in policy.allowed(by, case):
        if case.state not in OPEN_STATES:
            raise CaseConflict(f"事件{case.get_state_display()}，不能退回")
        raise Forbidden("只有当前承办人可以退回")
    reason = _text(reason, "reason", "退回原因", max_length=REASON_MAX)
    from_state = case.state
    case.state = State.NEW
    case.handler_user = None
    case.handler_org = None
    case.needs_dispatch = True
    case.save()
    _event(case, by=by, kind=EventKind.RETURNED, from_state=from_state, note=reason)
    _audit(case, by=by, event=EventKind.RETURNED, changes={"state": [from_state, State.NEW]})
    _notify(
        dispatchers_for(case),
        by=by,
        case=case,
        title="事件被退回，请重新交办",
        body=f"{_snippet(case)}（{reason}）",
        kind="case.returned",
    )
    return case


def _move_level(
    case: Case, *, level: str, level_place: Place, organisation_id: int | None, now: dt.datetime
) -> None:
    case.level, case.level_place, case.level_path = level, level_place, level_place.path
    case.handler_user = None
    case.handler_org_id = organisation_id
    case.state = State.NEW
    case.needs_dispatch = False
    case.sla_flagged_at = None
    effective = case.subcategory or case.category
    case.due_accept_at, case.due_resolve_at = due_times(effective, case.priority, now)


def _climb(case: Case, organisation: Organisation | None = None) -> tuple[str, Place, int | None] | None:
    """The next rung above the case's level, its owner place and organisation; None at the top."""
    target = next_level(case.level)
    if target is None:
        return None
    effective = case.subcategory or case.category
    routed = route(effective, case.place, level=target)
    org_id = organisation.pk if organisation is not None else routed.organisation_id
    if routed.level == Level.DEPARTMENT and not org_id:
        return None
    if level_rank(routed.level) <= level_rank(case.level):
        return None
    return routed.level, routed.level_place, org_id


@transaction.atomic
def case_escalate(*, by: User, case: Case, reason: str, organisation: Organisation | None = None) -> Case:
    """上报: send the case one rung up the ladder by hand."""
    case = _lock(case)
    _staff_or_404(by, case)
    if not (
        policy.can_handle(by, case) or policy.can_dispatch(by, case) or policy.is_current_handler(by, case)
    ):
        raise Forbidden("您无权上报该事件")
    if case.state not in OPEN_STATES:
        raise CaseConflict(f"事件{case.get_state_display()}，不能上报")
    reason = _text(reason, "reason", "上报原因", max_length=REASON_MAX)
    if organisation is not None:
        _check_org(by, organisation, "organisation")
    climb = _climb(case, organisation)
    if climb is None:
        if case.level == Level.STREET:
            raise field_error("organisation", "街道上报到部门须选择承办部门，或使用“吹哨”呼叫部门")
        raise CaseConflict("已是最高层级，不能再上报")
    now = timezone.now()
    from_state, from_level, old_place = case.state, case.level, case.level_place
    level, level_place, org_id = climb
    _move_level(case, level=level, level_place=level_place, organisation_id=org_id, now=now)
    case.save()
    _event(
        case,
        by=by,
        kind=EventKind.ESCALATED,
        at=now,
        from_state=from_state,
        from_level=from_level,
        note=reason,
        public=True,
    )
    _audit(case, by=by, event=EventKind.ESCALATED, changes={"level": [from_level, level]})
    _notify(
        [*level_handlers(case), *supervisors_above(old_place)],
        by=by,
        case=case,
        title=f"事件上报至{level_place.name}{Level(level).label}",
        body=f"{_snippet(case)}（{reason}）",
        kind="case.escalated",
    )
    return case


@transaction.atomic
def case_whistle(
    *,
    by: User,
    case: Case,
    organisations: Sequence[Organisation],
    deadline: dt.datetime,
    note: str = "",
) -> list[CaseCall]:
    """吹哨: the community or street calls one or several departments in; each must report."""
    case = _lock(case)
    _staff_or_404(by, case)
    if case.level not in (Level.COMMUNITY, Level.STREET):
        raise Forbidden("只有社区或街道层级的事件可以吹哨")
    if not policy.can_dispatch(by, case):
        raise Forbidden("您无权吹哨呼叫部门")
    if case.state not in OPEN_STATES:
        raise CaseConflict(f"事件{case.get_state_display()}，不能吹哨")
    organisations = list(dict.fromkeys(organisations))
    if not organisations:
        raise field_error("organisations", "请选择要呼叫的部门")
    now = timezone.now()
    if deadline is None or deadline <= now:
        raise field_error("deadline", "报到期限须晚于当前时间")
    note = _text(note, "note", "呼叫说明", required=False, max_length=REASON_MAX)
    already = set(CaseCall.objects.filter(case=case).values_list("organisation_id", flat=True))
    for organisation in organisations:
        _check_org(by, organisation, "organisations")
        if organisation.pk in already:
            raise field_error("organisations", f"已呼叫过{organisation.name}")
    calls = [
        CaseCall.objects.create(
            case=case, organisation=organisation, called_by=by, called_at=now, deadline=deadline, note=note
        )
        for organisation in organisations
    ]
    names = "、".join(o.name for o in organisations)
    _event(
        case,
        by=by,
        kind=EventKind.WHISTLE,
        at=now,
        note=f"呼叫{names}协同处置{'：' + note if note else ''}",
        public=True,
    )
    _audit(case, by=by, event=EventKind.WHISTLE, changes={"called": [None, names]})
    local_deadline = timezone.localtime(deadline)
    for organisation in organisations:
        _notify(
            org_staff(organisation.pk),
            by=by,
            case=case,
            title=f"吹哨报到：请于{local_deadline:%m月%d日 %H:%M}前报到",
            body=f"{case.place.name}：{_snippet(case)}{'（' + note + '）' if note else ''}",
            kind="case.whistle",
        )
    return calls


@transaction.atomic
def case_call_report(*, by: User, call: CaseCall, note: str) -> CaseCall:
    """报到: a called department reports what it did."""
    call = (
        CaseCall.objects.select_for_update(of=("self",))
        .select_related("case", "organisation")
        .get(pk=call.pk)
    )
    case = call.case
    if not (policy.org_handles(by) == call.organisation_id or is_unrestricted(by)):
        if policy.is_staff_viewer(by, case):
            raise Forbidden(f"只有{call.organisation.name}可以报到")
        raise NotFound()
    if call.reported_at is not None:
        raise CaseConflict(
            f"{call.organisation.name}已于{timezone.localtime(call.reported_at):%m-%d %H:%M}报到"
        )
    note = _text(note, "note", "报到情况")
    now = timezone.now()
    call.reported_at, call.reported_by, call.report_note = now, by, note
    call.save()
    late = "（逾期）" if now > call.deadline else ""
    _event(
        case,
        by=by,
        kind=EventKind.CALL_REPORT,
        at=now,
        note=f"{call.organisation.name}已报到{late}：{note}",
        public=True,
    )
    _audit(case, by=by, event=EventKind.CALL_REPORT, changes={"reported": [None, call.organisation.name]})
    _notify(
        [call.called_by, case.handler_user],
        by=by,
        case=case,
        title=f"{call.organisation.name}已报到{late}",
        body=note[:80],
        kind="case.call_report",
    )
    return call


@transaction.atomic
def case_supervise(*, by: User, case: Case, note: str) -> Case:
    """督办: a superior flags the case and tells its handlers."""
    case = _lock(case)
    _staff_or_404(by, case)
    if not policy.can_supervise(by, case):
        raise Forbidden("您无权督办该事件")
    if case.state not in OPEN_STATES:
        raise CaseConflict(f"事件{case.get_state_display()}，无需督办")
    note = _text(note, "note", "督办意见", max_length=REASON_MAX)
    case.supervised = True
    case.supervised_at = timezone.now()
    case.save()
    _event(case, by=by, kind=EventKind.SUPERVISED, note=note)
    _audit(case, by=by, event=EventKind.SUPERVISED, changes={"supervised": [False, True]})
    _notify(
        level_handlers(case),
        by=by,
        case=case,
        title="事件督办",
        body=f"{_snippet(case)}：{note}",
        kind="case.supervised",
    )
    return case


def _reporter_or_code(by: User | None, case: Case, phone_last4: str) -> None:
    if policy.is_reporter(by, case):
        return
    if phone_last4 and case.reporter_phone_last4 and phone_last4 == case.reporter_phone_last4:
        return
    raise NotFound()


@transaction.atomic
def case_rate(
    *, by: User | None, case: Case, rating: int | str, comment: str = "", phone_last4: str = ""
) -> Case:
    """回访评价. 1–2 (不满意) reopens the case once, one rung up, to someone who did not dispatch it."""
    case = _lock(case)
    if by is not None and not by.is_authenticated:
        by = None
    _reporter_or_code(by, case, (phone_last4 or "").strip())
    if case.state != State.RESOLVED:
        raise CaseConflict(f"事件{case.get_state_display()}，不能评价")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise field_error("rating", "评价须为1到5分") from None
    if not 1 <= rating <= 5:
        raise field_error("rating", "评价须为1到5分")
    comment = _text(comment, "comment", "评价意见", required=False, max_length=REASON_MAX)
    now = timezone.now()
    case.rating, case.rating_comment, case.rated_at = rating, comment, now
    _event_note = f"{rating}分{'：' + comment if comment else ''}"
    if rating <= 2 and case.reopen_count == 0:
        old_place = case.level_place
        excluded = [pk for pk in (case.dispatcher_id, case.handler_user_id) if pk]
        from_level = case.level
        climb = _climb(case)
        if climb is not None:
            level, level_place, org_id = climb
        else:
            level, level_place, org_id = case.level, case.level_place, None
        _move_level(case, level=level, level_place=level_place, organisation_id=org_id, now=now)
        case.reopen_count += 1
        case.excluded_reviewers = excluded
        case.resolved_at = None
        case.save()
        _event(case, by=by, kind=EventKind.RATED, at=now, note=_event_note, public=True)
        _event(
            case,
            by=by,
            kind=EventKind.REOPENED,
            at=now,
            from_state=State.RESOLVED,
            from_level=from_level,
            note=comment,
            public=True,
        )
        _audit(
            case,
            by=by,
            event=EventKind.REOPENED,
            changes={"rating": [None, rating], "state": [State.RESOLVED, State.NEW]},
        )
        _notify(
            [*supervisors_above(old_place), *level_handlers(case)],
            by=by,
            case=case,
            title="群众不满意，事件重办",
            body=f"{_snippet(case)}：{_event_note}",
            kind="case.reopened",
        )
        return case
    case.state = State.CLOSED
    case.closed_at = now
    case.save()
    _event(
        case, by=by, kind=EventKind.RATED, at=now, from_state=State.RESOLVED, note=_event_note, public=True
    )
    _audit(
        case,
        by=by,
        event=EventKind.RATED,
        changes={"rating": [None, rating], "state": [State.RESOLVED, State.CLOSED]},
    )
    if rating <= 2:
        _notify(
            [case.handler_user, *supervisors_above(case.level_place)],
            by=by,
            case=case,
            title="重办后群众仍不满意",
            body=f"{_snippet(case)}：{_event_note}",
            kind="case.unsatisfied",
        )
    return case


@transaction.atomic
def case_reveal_reporter_phone(*, by: User, case: Case, purpose: str) -> str:
    """The reporter's full phone number, for a call-back; every reveal is audited."""
    case = Case.objects.get(pk=case.pk)
    _staff_or_404(by, case)
    if "reveal_reporter" not in policy.allowed(by, case):
        raise Forbidden("只有承办人和派单人可以查看反映人完整电话")
    purpose = _text(purpose, "purpose", "查看原因", max_length=200)
    audit_record(
        actor=by,
        action=AuditAction.VIEW_PII,
        target=case,
        target_label=f"事件{case.tracking_code}反映人",
        place_path=case.place_path,
        purpose=purpose,
    )
    return crypto.decrypt(case.reporter_phone_enc)


# ---------------------------------------------------------------------------------------------
# the sweeps (run by tasks and `gridgov cases_sweep`)


@dataclass
class SweepResult:
    escalated: int = 0
    flagged: int = 0


def overdue_q(now: dt.datetime) -> Q:
    return Q(state=State.NEW, due_accept_at__lt=now) | Q(
        state__in=(State.ACCEPTED, State.IN_PROGRESS), due_resolve_at__lt=now
    )


def is_overdue_at(case: Case, now: dt.datetime) -> bool:
    if case.state == State.NEW:
        return bool(case.due_accept_at and case.due_accept_at < now)
    if case.state in (State.ACCEPTED, State.IN_PROGRESS):
        return bool(case.due_resolve_at and case.due_resolve_at < now)
    return False


def _lock_skipping(pk: int) -> Case | None:
    qs = Case.objects.filter(pk=pk).select_related(
        "category", "subcategory", "place", "level_place", "handler_user"
    )
    if connection.features.has_select_for_update_skip_locked:
        # Another worker holds it: it is handling this case right now, leave it to them.
        return qs.select_for_update(skip_locked=True, of=("self",)).first()
    return qs.select_for_update(of=("self",)).first()


def sla_sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> SweepResult:
    """Escalate every overdue case by one rung; at the top, flag it 督办 once.

    Each case is handled in its own short transaction under a row lock and re-checked after
    locking, so concurrent sweeps (several workers, cron overlap) never escalate a case twice:
    escalation resets the due times, and the flag excludes a case from the next run.
    """
    now = now or timezone.now()
    result = SweepResult()
    candidates = list(
        Case.objects.filter(overdue_q(now), sla_flagged_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in candidates:
        with transaction.atomic():
            case = _lock_skipping(pk)
            if case is None or case.sla_flagged_at is not None:
                continue
            if not is_overdue_at(case, now):
                continue
            kind = "受理" if case.state == State.NEW else "办结"
            old_place, old_handler, old_org = case.level_place, case.handler_user, case.handler_org_id
            climb = _climb(case)
            if climb is None:
                case.supervised = True
                case.supervised_at = case.supervised_at or now
                case.sla_flagged_at = now
                case.was_overdue = True
                case.save()
                _event(
                    case,
                    by=None,
                    kind=EventKind.OVERDUE,
                    at=now,
                    note=f"超过{kind}时限，已是最高层级，列入督办",
                )
                _audit(case, by=None, event=EventKind.OVERDUE, changes={"supervised": [False, True]})
                _notify(
                    [*level_handlers(case), *supervisors_above(case.level_place)],
                    by=None,
                    case=case,
                    title=f"事件超过{kind}时限（督办）",
                    body=_snippet(case),
                    kind="case.overdue",
                )
                result.flagged += 1
                continue
            from_state, from_level = case.state, case.level
            level, level_place, org_id = climb
            _move_level(case, level=level, level_place=level_place, organisation_id=org_id, now=now)
            case.was_overdue = True
            case.supervised = True
            case.supervised_at = now
            case.save()
            _event(
                case,
                by=None,
                kind=EventKind.AUTO_ESCALATED,
                at=now,
                from_state=from_state,
                from_level=from_level,
                note=f"超过{kind}时限，自动上报至{level_place.name}{Level(level).label}",
                public=True,
            )
            _audit(case, by=None, event=EventKind.AUTO_ESCALATED, changes={"level": [from_level, level]})
            _notify(
                level_handlers(case),
                by=None,
                case=case,
                title=f"超时事件转至{level_place.name}{Level(level).label}，请受理",
                body=_snippet(case),
                kind="case.escalated",
            )
            old_side = supervisors_above(old_place) + ([old_handler] if old_handler else [])
            if old_org:
                old_side += org_staff(old_org)
            _notify(
                old_side,
                by=None,
                case=case,
                title=f"事件超过{kind}时限，已自动上报（督办）",
                body=_snippet(case),
                kind="case.overdue",
            )
            result.escalated += 1
    return result


def cases_close_unrated(*, days: int = 7, now: dt.datetime | None = None) -> int:
    """Close cases resolved `days` ago that the reporter never rated."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    closed = 0
    for pk in Case.objects.filter(state=State.RESOLVED, resolved_at__lt=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            case = _lock_skipping(pk)
            if (
                case is None
                or case.state != State.RESOLVED
                or not case.resolved_at
                or case.resolved_at >= cutoff
            ):
                continue
            case.state = State.CLOSED
            case.closed_at = now
            case.save()
            _event(
                case,
                by=None,
                kind=EventKind.CLOSED,
                at=now,
                from_state=State.RESOLVED,
                note=f"办结后{days}天未评价，自动关闭",
                public=True,
            )
            _audit(case, by=None, event=EventKind.CLOSED, changes={"state": [State.RESOLVED, State.CLOSED]})
            closed += 1
    return closed


# ---------------------------------------------------------------------------------------------
# configuration: categories, SLAs, routing rules


def _require_configure(by: User | None, place: Place | None = None) -> None:
    if by is None or is_unrestricted(by):
        return
    if place is not None:
        require(by, caps.CASES_CONFIGURE, place, visible_with=caps.CASES_VIEW)
        return
    if not has_capability(by, caps.CASES_CONFIGURE):
        raise Forbidden("您无权配置事件分类和时限")


@transaction.atomic
def category_create(
    *,
    by: User | None,
    name: str,
    code: str,
    parent: Category | None = None,
    start_level: str = "",
    sort_order: int = 100,
) -> Category:
    _require_configure(by)
    name = _text(name, "name", "分类名称", max_length=40)
    code = (code or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_\-.]{1,39}", code):
        raise field_error("code", "代码须为2–40位小写字母、数字、下划线或点，以字母开头")
    if Category.objects.filter(code=code).exists():
        raise field_error("code", f"代码“{code}”已存在")
    if parent is not None and parent.parent_id:
        raise field_error("parent", "子分类下不能再建子分类")
    if Category.objects.filter(parent=parent, name=name).exists():
        raise field_error("name", f"“{name}”已存在")
    start_level = start_level or (parent.start_level if parent else Level.GRID)
    if start_level not in Level.values:
        raise field_error("start_level", "起始层级无效")
    category = Category.objects.create(
        code=code, name=name, parent=parent, start_level=start_level, sort_order=sort_order
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=category,
        changes={"name": [None, name], "code": [None, code]},
    )
    return category


@transaction.atomic
def category_update(
    *,
    by: User | None,
    category: Category,
    name: str | None = None,
    start_level: str | None = None,
    is_active: bool | None = None,
    sort_order: int | None = None,
) -> Category:
    _require_configure(by)
    changes: dict[str, list[Any]] = {}
    if name is not None:
        name = _text(name, "name", "分类名称", max_length=40)
        if Category.objects.filter(parent=category.parent, name=name).exclude(pk=category.pk).exists():
            raise field_error("name", f"“{name}”已存在")
        changes["name"] = [category.name, name]
        category.name = name
    if start_level is not None:
        if start_level not in Level.values:
            raise field_error("start_level", "起始层级无效")
        changes["start_level"] = [category.start_level, start_level]
        category.start_level = start_level
    if is_active is not None:
        if not is_active and category.code == "other":
            raise field_error("is_active", "“其他”分类是兜底分类，不能停用")
        changes["is_active"] = [category.is_active, is_active]
        category.is_active = is_active
    if sort_order is not None:
        category.sort_order = sort_order
    category.save()
    audit_record(actor=by, action=AuditAction.UPDATE, target=category, changes=changes)
    return category


@transaction.atomic
def sla_set(
    *, by: User | None, category: Category, priority: str, accept_within: int, resolve_within: int, unit: str
) -> SLA:
    _require_configure(by)
    if priority not in Priority.values:
        raise field_error("priority", "优先级只能是一般或紧急")
    if unit not in SlaUnit.values:
        raise field_error("unit", "时限单位只能是小时或工作日")
    for field, value, label in (
        ("accept_within", accept_within, "受理时限"),
        ("resolve_within", resolve_within, "办结时限"),
    ):
        if not isinstance(value, int) or value < 1 or value > 10000:
            raise field_error(field, f"{label}须为1到10000之间的整数")
    if resolve_within < accept_within:
        raise field_error("resolve_within", "办结时限不能短于受理时限")
    sla, _ = SLA.objects.update_or_create(
        category=category,
        priority=priority,
        defaults={"accept_within": accept_within, "resolve_within": resolve_within, "unit": unit},
    )
    audit_record(actor=by, action=AuditAction.UPDATE, target=sla, changes={"sla": [None, str(sla)]})
    return sla


@transaction.atomic
def routing_rule_create(
    *,
    by: User | None,
    category: Category,
    level: str,
    place: Place | None = None,
    organisation: Organisation | None = None,
    note: str = "",
) -> RoutingRule:
    _require_configure(by, place)
    if place is None and by is not None and not is_unrestricted(by):
        raise field_error("place", "全局分派规则只能由系统管理员设置，请选择适用范围")
    if level not in Level.values:
        raise field_error("level", "处置层级无效")
    if level == Level.DEPARTMENT and organisation is None:
        raise field_error("organisation", "部门层级须选择承办单位")
    if organisation is not None and (
        not organisation.is_active or organisation.kind not in HANDLING_ORG_KINDS
    ):
        raise field_error("organisation", f"{organisation.name}不能承办事件")
    if RoutingRule.objects.filter(category=category, place=place, level=level).exists():
        raise field_error("level", "同一分类、范围和层级的规则已存在")
    note = _text(note, "note", "说明", required=False, max_length=200)
    rule = RoutingRule.objects.create(
        category=category, place=place, level=level, organisation=organisation, note=note
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=rule,
        place_path=place.path if place else "",
        changes={"rule": [None, str(rule)]},
    )
    return rule


@transaction.atomic
def routing_rule_update(
    *,
    by: User | None,
    rule: RoutingRule,
    organisation: Organisation | str | None = "keep",
    is_active: bool | None = None,
    note: str | None = None,
) -> RoutingRule:
    _require_configure(by, rule.place)
    before = str(rule)
    if organisation != "keep":
        if organisation is not None and (
            not organisation.is_active or organisation.kind not in HANDLING_ORG_KINDS
        ):
            raise field_error("organisation", f"{organisation.name}不能承办事件")
        if organisation is None and rule.level == Level.DEPARTMENT:
            raise field_error("organisation", "部门层级须选择承办单位")
        rule.organisation = organisation
    if is_active is not None:
        rule.is_active = is_active
    if note is not None:
        rule.note = _text(note, "note", "说明", required=False, max_length=200)
    rule.save()
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        target=rule,
        place_path=rule.place.path if rule.place_id else "",
        changes={"rule": [before, str(rule)], "is_active": [None, rule.is_active]},
    )
    return rule


@transaction.atomic
def routing_rule_delete(*, by: User | None, rule: RoutingRule) -> None:
    _require_configure(by, rule.place)
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        target=rule,
        place_path=rule.place.path if rule.place_id else "",
        changes={"rule": [str(rule), None]},
    )
    rule.delete()


# ---------------------------------------------------------------------------------------------
# API keys for external systems


KEY_PREFIX = "ggk_"


def apikey_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def apikey_create(
    *, by: User | None, name: str, rate_per_minute: int = 60, place: Place | None = None
) -> tuple[ApiKey, str]:
    """A new key; the raw key is returned once and never stored."""
    if place is None:
        if by is not None and not is_unrestricted(by):
            raise field_error("place", "不限范围的接入密钥只能由系统管理员创建，请选择可上报范围")
    else:
        _require_configure(by, place)
    name = _text(name, "name", "密钥名称", max_length=60)
    if ApiKey.objects.filter(name=name).exists():
        raise field_error("name", f"名称“{name}”已存在")
    if not isinstance(rate_per_minute, int) or not 1 <= rate_per_minute <= 100000:
        raise field_error("rate_per_minute", "每分钟限额须为1到100000之间的整数")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        key_hash=apikey_hash(raw),
        prefix=raw[: len(KEY_PREFIX) + 6],
        rate_per_minute=rate_per_minute,
        place=place,
        created_by=by if by is not None and by.pk else None,
    )
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        target=key,
        place_path=place.path if place else "",
        changes={"name": [None, name], "rate_per_minute": [None, rate_per_minute]},
    )
    return key, raw


@transaction.atomic
def apikey_revoke(*, by: User | None, key: ApiKey) -> ApiKey:
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.place_id:
        _require_configure(by, key.place)
    elif by is not None and not is_unrestricted(by):
        raise Forbidden("只有系统管理员可以吊销不限范围的接入密钥")
    if not key.is_active:
        raise CaseConflict(f"密钥“{key.name}”已吊销")
    key.is_active = False
    key.revoked_at = timezone.now()
    key.save(update_fields=["is_active", "revoked_at"])
    audit_record(actor=by, action=AuditAction.UPDATE, target=key, changes={"is_active": [True, False]})
    return key


def apikey_authenticate(raw: str | None) -> ApiKey | None:
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    return ApiKey.objects.filter(key_hash=apikey_hash(raw), is_active=True).select_related("place").first()


def apikey_hit(key: ApiKey, *, now: dt.datetime | None = None) -> bool:
    """Count one request against the key's per-minute limit; False when the limit is reached.

    The counter row is shared by every process (a conditional UPDATE … SET count = count + 1
    WHERE count < limit), so N workers together still allow at most `rate_per_minute`.
    """
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    limit = key.rate_per_minute
    with transaction.atomic():
        bumped = ApiKeyMinute.objects.filter(api_key=key, minute=minute, count__lt=limit).update(
            count=F("count") + 1
        )
        if bumped:
            return True
        if ApiKeyMinute.objects.filter(api_key=key, minute=minute).exists():
            return False
        try:
            with transaction.atomic():
                ApiKeyMinute.objects.create(api_key=key, minute=minute, count=1)
        except IntegrityError:
            return bool(
                ApiKeyMinute.objects.filter(api_key=key, minute=minute, count__lt=limit).update(
                    count=F("count") + 1
                )
            )
        # First request of this minute: a cheap moment to note the key is in use.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return limit >= 1


def apikey_use(raw: str | None, *, now: dt.datetime | None = None) -> ApiKey:
    """Authenticate and count one request; raises ApiKeyInvalid or RateLimited."""
    key = apikey_authenticate(raw)
    if key is None:
        raise ApiKeyInvalid()
    now = now or timezone.now()
    if not apikey_hit(key, now=now):
        raise RateLimited(key.rate_per_minute, retry_after=60 - now.second)
    return key


def apikey_prune(*, now: dt.datetime | None = None, keep_minutes: int = 60) -> int:
    now = now or timezone.now()
    deleted, _ = ApiKeyMinute.objects.filter(minute__lt=now - dt.timedelta(minutes=keep_minutes)).delete()
    return deleted


def enqueue_after_commit(task, *args: Any, **kwargs: Any) -> None:
    """Enqueue a django_tasks task once the surrounding transaction has committed."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
