"""Cases over JSON: queues and lists, the case with its timeline, every transition, intake
from logged-in users and from external systems (API key), tracking by code, statistics.

Thin: each endpoint fetches through `cases.selectors` (NotFound alike for missing and out of
scope) and acts through `cases.services`, which hold every rule. Reports and handling notes
take photos as multipart/form-data, or JSON without photos.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import APIKeyHeader

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import SYSTEM
from gridgov.cases import policy, selectors, services
from gridgov.cases.models import ApiKey, Case, Channel
from gridgov.cases.photos import MAX_PHOTOS
from gridgov.cases.schemas import (
    ActionResultOut,
    CallOut,
    CallReportIn,
    CaseDetailOut,
    CaseFilter,
    CaseOut,
    CategoryOut,
    ClassifyIn,
    DispatchIn,
    DuplicateOut,
    EscalateIn,
    IntakeIn,
    MergeIn,
    NoteIn,
    PublishedOut,
    PublishIn,
    PurposeIn,
    RateIn,
    ReasonIn,
    ResolveIn,
    RevealOut,
    StartIn,
    StatsFilter,
    StatsOut,
    SubmitIn,
    SubmittedOut,
    SuperviseIn,
    TrackOut,
    TrackRateIn,
    WhistleIn,
    case_out_items,
)
from gridgov.core import clock
from gridgov.core.errors import NotFound, field_error
from gridgov.core.http import api_user
from gridgov.core.paging import MAX_PAGE_SIZE, PAGE_SIZE, paged
from gridgov.triage.categories import CATEGORY_NAMES

router = Router(tags=["事件"])
S = TypeVar("S", bound=Schema)


class ExternalKey(APIKeyHeader):
    """External systems (cameras, the 12345 hotline, AI detection) send `X-Api-Key`; each call
    counts against the key's per-minute limit (403 invalid or revoked, 429 over the limit)."""

    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey:
        return services.apikey_use(key)


# --- bodies that may carry photos ---------------------------------------------------------------


def _body(request: HttpRequest, schema: type[S], *, photos: bool = True) -> tuple[S, list[Any]]:
    """The payload as JSON, or as multipart/form-data with up to 9 `photos` files."""
    files: list[Any] = []
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # An empty form field means "not given", as it would be left out of JSON.
        data: Any = {key: value for key, value in request.POST.items() if value != ""}
        if photos:
            files = request.FILES.getlist("photos")
        elif request.FILES:
            raise field_error("photos", "此操作不能上传照片")
    else:
        raw = request.body
        try:
            data = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, "请求体不是有效的JSON") from None
        if not isinstance(data, dict):
            raise HttpError(400, "请求体须为JSON对象")
    try:
        return schema.model_validate(data), files
    except pydantic.ValidationError as exc:
        raise SchemaValidationError([dict(error) for error in exc.errors(include_url=False)]) from None


def _body_doc(schema: type[Schema], *, photos: bool = True) -> dict[str, Any]:
    """OpenAPI for `_body`: the same fields as JSON and as a form, the form with photos."""
    json_schema = schema.model_json_schema()
    content: dict[str, Any] = {"application/json": {"schema": json_schema}}
    if photos:
        form = copy.deepcopy(json_schema)
        form.setdefault("properties", {})["photos"] = {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "maxItems": MAX_PHOTOS,
            "description": f"照片（JPG/PNG/WebP，最多{MAX_PHOTOS}张）",
        }
        content["multipart/form-data"] = {"schema": form}
    return {"requestBody": {"required": True, "content": content}}


# --- building the answers -----------------------------------------------------------------------


def _with_actions(request: HttpRequest, case: Case) -> Case:
    case.api_actions = sorted(selectors.allowed_actions(api_user(request), case))
    return case


def _staff_timeline(request: HttpRequest, case: Case) -> list[dict[str, Any]]:
    return [
        {
            "at": event.at,
            "kind": event.kind,
            "label": event.get_kind_display(),
            "text": event.note,
            "actor": str(event.actor) if event.actor_id else "系统",
            "from_state": event.from_state,
            "to_state": event.to_state,
            "from_level": event.from_level,
            "to_level": event.to_level,
            "public": event.public,
        }
        for event in selectors.case_timeline(api_user(request), case)
    ]


def _detail(request: HttpRequest, case_id: int) -> Case:
    user = api_user(request)
    case = selectors.case_for(user, case_id)
    staff = policy.is_staff_viewer(user, case)
    case.api_view = "staff" if staff else "reporter"
    _with_actions(request, case)
    if staff:
        case.api_timeline = _staff_timeline(request, case)
        case.api_reporter = selectors.reporter_for_staff(case)
        case.api_calls = list(selectors.case_calls(case))
        case.api_suggestion = (
            {
                "category": case.suggested_category,
                "category_name": CATEGORY_NAMES.get(case.suggested_category, case.suggested_category),
                "urgency": case.suggested_urgency,
                "confidence": case.suggested_confidence,
                "matched": [word for word in case.suggested_matched.split("、") if word],
            }
            if case.suggested_category
            else None
        )
    else:
        case.api_timeline = [
            {"at": e.at, "kind": e.kind, "label": e.label, "text": e.text}
            for e in selectors.public_timeline(case)
        ]
        case.api_reporter = None
        case.api_calls = []
        case.api_suggestion = None
    case.api_attachments = [
        {
            "id": a.pk,
            "kind": a.kind,
            "content_type": a.content_type,
            "size": a.size,
            "public": a.public,
            "url": reverse("api:case_attachment", args=[a.pk]),
        }
        for a in selectors.case_attachments(user, case)
    ]
    return case


def _after(request: HttpRequest, case: Case) -> Case:
    """The case as the actor sees it right after acting (they may no longer hold it)."""
    return _with_actions(request, case)


def _aware(moment: dt.datetime, field: str) -> dt.datetime:
    if not 1970 <= moment.year <= 9000:  # far-off years overflow when shifted to UTC
        raise field_error(field, "时间须在1970年到9000年之间")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


# --- reference data and lists -------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], summary="事件分类（含子分类）")
def category_list(request: HttpRequest):
    return list(selectors.categories())


# What ninja's JSON renderer answers with.
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def _queue_from_rows(view: Callable[..., Any]) -> Callable[..., Any]:
    """`queue=mine`, the request a grid worker's phone repeats all day, answered from plain rows
    (`selectors.my_queue_rows`, `schemas.case_out_items`): the page and its count in one query and
    the body rendered without a model instance or a validation pass per row. The declared
    answer (the paged `CaseOut` list) and the permissions are the same as every other queue's."""

    @functools.wraps(view)
    def answer(request: HttpRequest, **kwargs: Any) -> Any:
        filters, pages = kwargs.get("filters"), kwargs.get("ninja_pagination")
        if filters is None or filters.queue != "mine" or pages is None:
            return view(request, **kwargs)
        user = api_user(request)
        size = min(pages.page_size or PAGE_SIZE, MAX_PAGE_SIZE)
        offset, now = (pages.page - 1) * size, clock.now()
        built = selectors.my_queue_json(user, offset=offset, limit=size, now=now)
        if built is not None:  # PostgreSQL wrote the items: the answer is put around them
            items, count = built
            return HttpResponse(f'{{"items": {items}, "count": {count}}}', content_type=JSON_CONTENT_TYPE)
        page = selectors.my_queue_rows(user, offset=offset, limit=size)
        body = {"items": case_out_items(page, now), "count": page.count}
        from gridgov.api import api  # the one NinjaAPI, which mounts this router

        return api.create_response(request, body, status=200)

    return answer


@router.get("/cases", response=list[CaseOut], summary="事件列表与队列")
@_queue_from_rows
@paged
def case_list(request: HttpRequest, filters: Query[CaseFilter]):
    """`queue` gives a work queue (mine: what I should work on; dispatch: waiting to be
    classified and dispatched; overdue: past a deadline; reported: what I reported) and
    ignores the other filters; without it the filters select from every case in scope."""
    user = api_user(request)
    if filters.queue == "mine":
        return selectors.my_queue(user)
    if filters.queue == "dispatch":
        return selectors.dispatch_queue(user)
    if filters.queue == "overdue":
        return selectors.overdue(user)
    if filters.queue == "reported":
        return selectors.my_reports(user)
    return selectors.cases_for(
        user,
        state=[s.strip() for s in filters.state.split(",") if s.strip()] if filters.state else None,
        category=filters.category,
        place=filters.place,
        channel=filters.channel,
        level=filters.level,
        since=filters.since,
        until=filters.until,
        supervised=filters.supervised,
        overdue_only=filters.overdue,
        q=filters.q,
    )


@router.get("/cases/stats", response=StatsOut, summary="事件统计（受理、办结、超时、满意度）")
def case_statistics(request: HttpRequest, filters: Query[StatsFilter]):
    from gridgov.places.selectors import place_for

    place = place_for(api_user(request), filters.place, caps.CASES_STATS) if filters.place else None
    return selectors.case_stats(api_user(request), place, filters.since, filters.until)


@router.get(
    "/cases/track/{code}",
    response=TrackOut,
    auth=None,
    summary="凭查询码和手机号后四位查看办理进度（无需登录）",
)
def case_track(request: HttpRequest, code: str, phone_last4: str = ""):
    """A wrong or unknown code and wrong digits are 404, a locked code 429 (with Retry-After),
    both with the same message; failures count together with the tracking pages'."""
    return _track_body(_proven(request, code, phone_last4))


def _proven(request: HttpRequest, code: str, phone_last4: str) -> Case:
    try:
        return services.case_track_proof(
            by=request.user, code=code, phone_last4=phone_last4, ip=request.META.get("REMOTE_ADDR", "")
        )
    except services.TrackingRefused:
        # Not the generic "记录不存在" of other 404s: the page and the API refuse in one voice.
        raise HttpError(404, services.TRACK_REFUSED) from None


def _track_body(case: Case) -> dict[str, Any]:
    status, notes = selectors.public_status(case)
    return {
        "tracking_code": case.tracking_code,
        "state": case.state,
        "state_label": case.get_state_display(),
        "status": status,
        "status_notes": notes,
        "category": str(case.subcategory or case.category),
        "place": case.place.name,
        "created_at": case.created_at,
        "result": case.result,
        "reject_reason": case.reject_reason,
        "rating": case.rating,
        "can_rate": case.state == "resolved",
        "timeline": selectors.public_timeline(case),
    }


@router.post(
    "/cases/track/{code}/rate",
    response=TrackOut,
    auth=None,
    summary="凭查询码和手机号后四位评价办理结果（无需登录）",
)
def case_track_rate(request: HttpRequest, code: str, payload: TrackRateIn):
    case = _proven(request, code, payload.phone_last4)
    case = services.case_rate(
        by=request.user,
        case=case,
        rating=payload.rating,
        comment=payload.comment,
        phone_last4=payload.phone_last4,
        ip=request.META.get("REMOTE_ADDR", ""),
    )
    rated = selectors.case_with_tracking_code(case.tracking_code)
    assert rated is not None  # the case just rated, under its own code
    return _track_body(rated)


@router.get(
    "/cases/attachments/{attachment_id}",
    url_name="case_attachment",
    summary="下载事件照片（已去除位置信息）",
    response={200: None},
)
def case_attachment(request: HttpRequest, attachment_id: int):
    attachment = selectors.attachment_for(api_user(request), attachment_id)
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="事件详情（时间线、可执行操作、吹哨报到）")
def case_detail(request: HttpRequest, case_id: int):
    return _detail(request, case_id)


@router.get("/cases/{case_id}/duplicates", response=list[DuplicateOut], summary="疑似重复事件（供合并）")
def case_duplicates(request: HttpRequest, case_id: int):
    case = selectors.case_for(api_user(request), case_id, for_write=True)
    return [
        {"case": other, "similarity": score}
        for other, score in selectors.possible_duplicates(api_user(request), case)
    ]


# --- intake -------------------------------------------------------------------------------------


def _submit(payload: SubmitIn | IntakeIn, photos: list[Any], **who: Any) -> Status:
    """Hand the report fields both intake bodies share to the service; `who` says who reports,
    where, and through which channel. 201 for a new case, 200 for a repeated client_key."""
    result = services.case_submit_result(
        text=payload.text,
        category=payload.category,
        subcategory=payload.subcategory,
        priority=payload.priority,
        address_detail=payload.address_detail,
        latitude=payload.latitude,
        longitude=payload.longitude,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        photos=photos,
        client_key=payload.client_key,
        **who,
    )
    case = result.case
    case.created = result.created
    return Status(201 if result.created else 200, case)


@router.post(
    "/cases",
    response={200: SubmittedOut, 201: SubmittedOut},
    summary="上报事件（居民或工作人员代登记；可带照片；client_key 幂等）",
    openapi_extra=_body_doc(SubmitIn),
)
def case_submit(request: HttpRequest):
    payload, photos = _body(request, SubmitIn)
    user = api_user(request)
    place = None
    if payload.household is not None:
        from gridgov.places.selectors import household_for

        try:
            place = household_for(user, payload.household).place
        except NotFound:
            raise field_error("household", "户不存在或无权访问") from None
    elif payload.place is not None:
        try:
            place = selectors.report_place(payload.place)
        except NotFound:
            raise field_error("place", "地点不存在") from None
    resident = None
    if payload.reporter_resident is not None:
        from gridgov.people.selectors import resident_for

        try:
            resident = resident_for(user, payload.reporter_resident)
        except NotFound:
            raise field_error("reporter_resident", "居民不存在或无权访问") from None
    return _submit(payload, photos, by=user, channel=payload.channel, place=place, reporter_resident=resident)


@router.post(
    "/intake",
    response={200: SubmittedOut, 201: SubmittedOut},
    auth=ExternalKey(),
    summary="外部系统上报（摄像头、12345热线、AI识别），X-Api-Key 认证并限流",
    openapi_extra=_body_doc(IntakeIn),
)
def external_intake(request: HttpRequest):
    api_key = getattr(request, "auth", None)  # what ExternalKey.authenticate returned
    assert isinstance(api_key, ApiKey)
    payload, photos = _body(request, IntakeIn)
    if payload.place is None and not payload.place_path and not payload.place_code:
        raise field_error("place", "请提供地点：place（ID）、place_path 或 place_code")
    try:
        place = selectors.key_place(
            api_key, place_id=payload.place, path=payload.place_path, code=payload.place_code
        )
    except NotFound:
        raise field_error("place", "地点不存在或不在接入密钥的上报范围内") from None
    return _submit(payload, photos, by=SYSTEM, channel=Channel.EXTERNAL_API, place=place, api_key=api_key)


# --- transitions --------------------------------------------------------------------------------


def _staff_case(request: HttpRequest, case_id: int) -> Case:
    return selectors.case_for(api_user(request), case_id, for_write=True)


def _organisation(request: HttpRequest, organisation_id: int | None, field: str):
    from gridgov.orgs.selectors import organisation_for

    if organisation_id is None:
        return None
    try:
        return organisation_for(api_user(request), organisation_id)
    except NotFound:
        raise field_error(field, "单位不存在或不在您的辖区") from None


@router.post("/cases/{case_id}/classify", response=ActionResultOut, summary="确认或更正分类和紧急程度")
def case_classify(request: HttpRequest, case_id: int, payload: ClassifyIn):
    case = services.case_classify(
        by=api_user(request),
        case=_staff_case(request, case_id),
        category=payload.category,
        subcategory=payload.subcategory,
        priority=payload.priority,
        note=payload.note,
    )
    return _after(request, case)


@router.post(
    "/cases/{case_id}/dispatch", response=ActionResultOut, summary="分类交办（到人、到单位或到层级）"
)
def case_dispatch(request: HttpRequest, case_id: int, payload: DispatchIn):
    case = _staff_case(request, case_id)
    organisation = _organisation(request, payload.handler_org, "handler_org")
    handler = None
    if payload.handler_user is not None:
        try:
            handler = selectors.dispatch_handler(api_user(request), case, payload.handler_user, organisation)
        except NotFound:
            if "dispatch" in selectors.allowed_actions(api_user(request), case):
                raise field_error("handler_user", "承办人不存在或不在可交办范围内") from None
            # Not a dispatcher at all: the service refuses that first, with its own message.
    case = services.case_dispatch(
        by=api_user(request),
        case=case,
        level=payload.level,
        handler_user=handler,
        handler_org=organisation,
        note=payload.note,
    )
    return _after(request, case)


@router.post("/cases/{case_id}/accept", response=ActionResultOut, summary="受理")
def case_accept(request: HttpRequest, case_id: int):
    case = services.case_accept(by=api_user(request), case=_staff_case(request, case_id))
    return _after(request, case)


@router.post("/cases/{case_id}/start", response=ActionResultOut, summary="开始处置")
def case_start(request: HttpRequest, case_id: int, payload: StartIn):
    case = services.case_start(by=api_user(request), case=_staff_case(request, case_id), note=payload.note)
    return _after(request, case)


@router.post(
    "/cases/{case_id}/note",
    response=ActionResultOut,
    summary="处置记录（可带处置前/后照片）",
    openapi_extra=_body_doc(NoteIn),
)
def case_note(request: HttpRequest, case_id: int):
    case = _staff_case(request, case_id)
    payload, photos = _body(request, NoteIn)
    services.case_note(
        by=api_user(request),
        case=case,
        note=payload.note,
        photos=photos,
        photo_kind=payload.photo_kind,
        public=payload.public,
    )
    return _after(request, selectors.case_for(api_user(request), case_id))


@router.post(
    "/cases/{case_id}/resolve",
    response=ActionResultOut,
    summary="办结（办理结果反映人可见，可带处置后照片）",
    openapi_extra=_body_doc(ResolveIn),
)
def case_resolve(request: HttpRequest, case_id: int):
    case = _staff_case(request, case_id)
    payload, photos = _body(request, ResolveIn)
    case = services.case_resolve(by=api_user(request), case=case, result=payload.result, photos=photos)
    return _after(request, case)


@router.post("/cases/{case_id}/reject", response=ActionResultOut, summary="不予受理（原因反映人可见）")
def case_reject(request: HttpRequest, case_id: int, payload: ReasonIn):
    case = services.case_reject(
        by=api_user(request), case=_staff_case(request, case_id), reason=payload.reason
    )
    return _after(request, case)


@router.post("/cases/{case_id}/merge", response=ActionResultOut, summary="合并到另一件（重复事件）")
def case_merge(request: HttpRequest, case_id: int, payload: MergeIn):
    case = _staff_case(request, case_id)
    try:
        into = selectors.case_for(api_user(request), payload.into, for_write=True)
    except NotFound:
        raise field_error("into", "目标事件不存在或无权访问") from None
    case = services.case_merge(by=api_user(request), case=case, into=into, note=payload.note)
    return _after(request, case)


@router.post("/cases/{case_id}/return", response=ActionResultOut, summary="退回派单人")
def case_return(request: HttpRequest, case_id: int, payload: ReasonIn):
    case = services.case_return(
        by=api_user(request), case=_staff_case(request, case_id), reason=payload.reason
    )
    return _after(request, case)


@router.post("/cases/{case_id}/escalate", response=ActionResultOut, summary="上报上一层级")
def case_escalate(request: HttpRequest, case_id: int, payload: EscalateIn):
    case = _staff_case(request, case_id)
    organisation = _organisation(request, payload.organisation, "organisation")
    case = services.case_escalate(
        by=api_user(request), case=case, reason=payload.reason, organisation=organisation
    )
    return _after(request, case)


@router.post("/cases/{case_id}/whistle", response=ActionResultOut, summary="吹哨：呼叫部门限时报到")
def case_whistle(request: HttpRequest, case_id: int, payload: WhistleIn):
    case = _staff_case(request, case_id)
    organisations = [
        _organisation(request, pk, "organisations") for pk in dict.fromkeys(payload.organisations)
    ]
    services.case_whistle(
        by=api_user(request),
        case=case,
        organisations=organisations,
        deadline=_aware(payload.deadline, "deadline"),
        note=payload.note,
    )
    return _after(request, selectors.case_for(api_user(request), case_id))


@router.post("/cases/{case_id}/supervise", response=ActionResultOut, summary="督办")
def case_supervise(request: HttpRequest, case_id: int, payload: SuperviseIn):
    case = services.case_supervise(
        by=api_user(request), case=_staff_case(request, case_id), note=payload.note
    )
    return _after(request, case)


@router.post(
    "/cases/{case_id}/publish",
    response=PublishedOut,
    summary="公开摘要（Open311 对外显示的描述；空白则撤回）",
)
def case_publish(request: HttpRequest, case_id: int, payload: PublishIn):
    case = _staff_case(request, case_id)
    case = services.case_publish_summary(by=api_user(request), case=case, summary=payload.summary)
    return _after(request, case)


@router.post("/cases/{case_id}/rate", response=ActionResultOut, summary="反映人评价（1–2分不满意将重办一次）")
def case_rate(request: HttpRequest, case_id: int, payload: RateIn):
    case = selectors.case_for(api_user(request), case_id)
    case = services.case_rate(by=api_user(request), case=case, rating=payload.rating, comment=payload.comment)
    return _after(request, case)


@router.post(
    "/cases/{case_id}/reveal-reporter",
    response=RevealOut,
    summary="查看反映人完整手机号（须说明用途，记入审计）",
)
def case_reveal_reporter(request: HttpRequest, case_id: int, payload: PurposeIn):
    case = _staff_case(request, case_id)
    phone = services.case_reveal_reporter_phone(by=api_user(request), case=case, purpose=payload.purpose)
    return {"phone": phone}


@router.post("/calls/{call_id}/report", response=CallOut, summary="部门报到（吹哨后）")
def call_report(request: HttpRequest, call_id: int, payload: CallReportIn):
    call = selectors.call_for(api_user(request), call_id)
    return services.case_call_report(by=api_user(request), call=call, note=payload.note)
