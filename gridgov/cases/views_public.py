"""The resident side of cases, on a phone inside WeChat's browser: report (also from a building's
QR poster), track with the tracking code, see my reports, rate the outcome; and the printable QR
posters for staff. Plain forms that work without JavaScript; htmx only swaps the place picker.

Anonymous reporters are remembered in their session (tracking code → the last four digits they
proved), so the browser that filed a report can follow it without typing the digits again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import below_q, has_capability, is_below, within
from gridgov.cases import emergency, selectors
from gridgov.cases import photos as drafts
from gridgov.cases.forms_public import LookupForm, RateForm, ReportForm, new_client_key
from gridgov.cases.models import Case, Channel, Priority, State
from gridgov.cases.photos import MAX_PHOTOS, max_bytes
from gridgov.cases.services import (
    TEXT_MAX,
    TRACK_REFUSED,
    CaseConflict,
    TrackingLocked,
    TrackingRefused,
    case_rate,
    case_submit_result,
    case_track_proof,
)
from gridgov.cases.services.reporter import case_track_link_proof
from gridgov.core.errors import NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.places.models import KIND_LEVEL, Place, PlaceKind
from gridgov.places.selectors import (
    POSTER_PLACE_KINDS,
    community_of,
    households_for,
    place_for,
    place_full_name,
    places_for,
    public_communities,
    public_report_place,
    public_report_tree,
    scope_roots,
)

if TYPE_CHECKING:
    from gridgov.accounts.models import User

# One message for a wrong code, wrong digits and a locked code (the API says the same).
NOT_FOUND_TEXT = TRACK_REFUSED
SESSION_KEY = "gg_tracked"
SESSION_KEEP = 20
POSTER_SALT = "gridgov.cases.poster"

# What a resident reads for each state: plain words, no jargon.
STATE_WORDS: dict[str, str] = {
    State.NEW: "已收到您的反映，正在等待工作人员受理",
    State.ACCEPTED: "工作人员已受理，正在安排处理",
    State.IN_PROGRESS: "工作人员正在处理",
    State.RESOLVED: "问题已处理完毕，请您评价办理结果",
    State.CLOSED: "已办结并评价，感谢您的反馈",
    State.REJECTED: "不予受理",
    State.MERGED: "与其他居民的相同反映合并处理",
}
STATE_TONE: dict[str, str] = {
    State.NEW: "wait",
    State.ACCEPTED: "busy",
    State.IN_PROGRESS: "busy",
    State.RESOLVED: "done",
    State.CLOSED: "done",
    State.REJECTED: "stop",
    State.MERGED: "busy",
}


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if user.is_authenticated else None


def _not_found(request: HttpRequest, message: str = NOT_FOUND_TEXT, *, status: int = 404) -> HttpResponse:
    # Residents get the phone layout, not the staff 404 page.
    return render(request, "cases/public/not_found.html", {"message": message}, status=status)


def _refused_when_locked(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page behind a tracking code answers 429 while the code (or this address) is locked,
    even to a browser that proved the digits before the lock."""

    @wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except TrackingLocked:
            return _not_found(request, TRACK_REFUSED, status=429)

    return run


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _hotline() -> str:
    return settings.GRIDGOV_REPORT_HOTLINE


# --- session memory of tracked reports --------------------------------------------------------


def _remember(request: HttpRequest, code: str, last4: str) -> None:
    tracked: dict[str, str] = dict(request.session.get(SESSION_KEY) or {})
    tracked.pop(code, None)
    tracked[code] = last4
    while len(tracked) > SESSION_KEEP:
        tracked.pop(next(iter(tracked)))
    request.session[SESSION_KEY] = tracked


def _remembered_last4(request: HttpRequest, code: str) -> str:
    key = selectors.normalize_tracking_code(code)
    return str((request.session.get(SESSION_KEY) or {}).get(key, ""))


def _tracked_case(request: HttpRequest, code: str) -> Case | None:
    """The case behind `code` if this visitor reported it (logged in) or proved its digits;
    through the shared failure counter, so TrackingLocked propagates (see _refused_when_locked)."""
    try:
        return case_track_proof(
            by=request.user,
            code=code,
            phone_last4=_remembered_last4(request, code),
            ip=_client_ip(request),
        )
    except TrackingRefused:
        return None


# --- spam control for anonymous reports -------------------------------------------------------


def _ip_bucket(request: HttpRequest) -> str:
    return f"gg:report:ip:{_client_ip(request)}:{timezone.now():%Y%m%d%H}"


def _throttle_message(request: HttpRequest, phone: str, client_key: str) -> str:
    """Why an anonymous report is refused now, or "" if it may go in."""
    per_phone = settings.GRIDGOV_REPORT_PHONE_PER_HOUR
    since = timezone.now() - dt.timedelta(hours=1)
    if selectors.anonymous_reports_since(phone, since, exclude_client_key=client_key) >= per_phone:
        return f"提交过于频繁：同一手机号每小时最多匿名反映{per_phone}次，请稍后再试，或登录后反映"
    per_ip = settings.GRIDGOV_REPORT_IP_PER_HOUR
    if (cache.get(_ip_bucket(request)) or 0) >= per_ip:
        return f"提交过于频繁：同一网络每小时最多匿名反映{per_ip}次，请稍后再试，或登录后反映"
    return ""


def _count_ip(request: HttpRequest) -> None:
    key = _ip_bucket(request)
    if not cache.add(key, 1, timeout=3600):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=3600)


# --- the place picker -------------------------------------------------------------------------


def _home_places(user: User | None) -> list[Place]:
    """The buildings of the households a logged-in resident currently lives in."""
    resident = getattr(user, "resident", None) if user is not None else None
    if user is None or resident is None:
        return []
    households = (
        households_for(user)
        .filter(memberships__resident=resident, memberships__moved_out__isnull=True)
        .select_related("place", "place__parent")
    )
    places: list[Place] = []
    for household in households:
        place = household.place
        if place.kind == PlaceKind.UNIT and place.parent and place.parent.kind == PlaceKind.BUILDING:
            place = place.parent
        if place not in places:
            places.append(place)
    return places


def _choose_community(request: HttpRequest, home: list[Place]) -> tuple[Place | None, list[Place]]:
    """(the community the picker shows, the communities one may switch to)."""
    communities = list(public_communities())
    wanted = request.POST.get("community") or request.GET.get("community") or ""
    chosen = next((c for c in communities if str(c.pk) == wanted.strip()), None)
    if chosen is None and home:
        chosen = community_of(home[0])
    if chosen is None and len(communities) == 1:
        chosen = communities[0]
    return chosen, communities


def _place_choices(community: Place | None, home: list[Place]) -> tuple[list[Any], int | None]:
    """Grouped <select> choices (estate → buildings) and the default (the resident's building)."""
    if community is None:
        return [], None
    choices: list[Any] = []
    mine = [p for p in home if is_below(p.path, community.path)]
    if mine:
        choices.append(
            ("我家", [(p.pk, f"我家楼栋：{place_full_name(p, below=PlaceKind.ESTATE)}") for p in mine])
        )
    for group, buildings in public_report_tree(community):
        if not buildings:
            choices.append(
                (group.pk, group.name if group.kind != PlaceKind.LANE else f"{group.name}（街巷）")
            )
            continue
        area = "小区公共区域（大门、道路、绿化等）" if group.kind == PlaceKind.ESTATE else "公共区域"
        options = [(group.pk, f"{group.name} {area}")] + [(b.pk, f"{group.name} {b.name}") for b in buildings]
        choices.append((group.name, options))
    return choices, (mine[0].pk if mine else None)


def _picker_place(place_id: int, community: Place | None, home: list[Place]) -> Place:
    if any(p.pk == place_id for p in home):
        return next(p for p in home if p.pk == place_id)
    if community is None:
        raise NotFound()
    return public_report_place(place_id, within=community)


# --- photo drafts -----------------------------------------------------------------------------

DRAFTS_KEY = "gg_report_drafts"
DRAFTS_KEEP = 5
DRAFT_UPLOADS_PER_HOUR = 60


def _start_draft(request: HttpRequest) -> str:
    token = drafts.new_draft_token()
    owned = [t for t in request.session.get(DRAFTS_KEY) or [] if t != token][-(DRAFTS_KEEP - 1) :]
    request.session[DRAFTS_KEY] = [*owned, token]
    return token


def _owned_draft(request: HttpRequest, token: str) -> str:
    """`token` if this browser's session started that draft, else ""."""
    return token if token and token in (request.session.get(DRAFTS_KEY) or []) else ""


def _draft_context(token: str) -> list[dict[str, str]]:
    return [
        {"id": p.id, "url": reverse("report:draft_photo", args=[token, p.id])}
        for p in drafts.draft_photos(token)
    ]


@never_cache
@require_POST
def draft_photo_upload(request: HttpRequest) -> JsonResponse:
    """One photo of a report being written, uploaded as soon as it is chosen."""
    token = _owned_draft(request, (request.POST.get("draft") or "").strip())
    upload = request.FILES.get("photo")
    if not token:
        return JsonResponse({"error": "页面已过期，请刷新后重新选择照片"}, status=404)
    if upload is None:
        return JsonResponse({"error": "请选择照片"}, status=400)
    # New sessions are free to make, so the disk is bounded per address too.
    bucket = f"gg:report-photo:ip:{_client_ip(request)}:{timezone.now():%Y%m%d%H}"
    if not cache.add(bucket, 1, timeout=3600):
        try:
            used = cache.incr(bucket)
        except ValueError:  # expired between add and incr
            cache.add(bucket, 1, timeout=3600)
            used = 1
        if used > DRAFT_UPLOADS_PER_HOUR:
            return JsonResponse({"error": "上传过于频繁，请稍后再试"}, status=429)
    try:
        photo = drafts.draft_add(token, upload)
    except ValidationError as exc:
        return JsonResponse({"error": exc.message_dict.get("photos", exc.messages)[0]}, status=400)
    if len(drafts.draft_photos(token)) == 1:
        drafts.drafts_prune()  # once per draft is often enough to keep the folder small
    return JsonResponse(
        {"id": photo.id, "url": reverse("report:draft_photo", args=[token, photo.id])}, status=201
    )


@never_cache
@require_GET
def draft_photo(request: HttpRequest, token: str, photo_id: str) -> HttpResponse:
    read = drafts.draft_read(_owned_draft(request, token), photo_id) if _owned_draft(request, token) else None
    if read is None:
        return _not_found(request, "照片不存在")
    response = HttpResponse(read[0], content_type=read[1])
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_POST
def draft_photo_remove(request: HttpRequest, token: str, photo_id: str) -> JsonResponse:
    owned = _owned_draft(request, token)
    if not owned or not drafts.draft_remove(owned, photo_id):
        return JsonResponse({"error": "照片不存在"}, status=404)
    return JsonResponse({"removed": photo_id})


# --- report -----------------------------------------------------------------------------------


def _report(request: HttpRequest, *, fixed_place: Place | None = None, token: str = "") -> HttpResponse:
    user = _user(request)
    anonymous = user is None
    home = _home_places(user)
    communities: list[Place]
    choices: list[Any]
    if fixed_place is not None:
        community, communities = community_of(fixed_place), []
        choices, default_place = [], None
    else:
        community, communities = _choose_community(request, home)
        choices, default_place = _place_choices(community, home)
    status = 200
    form_kwargs: dict[str, Any] = {
        "place_choices": choices,
        "anonymous": anonymous,
        "fixed_place": fixed_place is not None,
    }
    draft = ""
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, **form_kwargs)
        if community is None and fixed_place is None:
            form.add_error(None, "请先选择您所在的社区")
        draft = _owned_draft(request, (request.POST.get("draft") or "").strip())
        if form.is_valid():
            data = form.cleaned_data
            chosen_photos = [*drafts.draft_uploads(draft), *data["photos"]] if draft else data["photos"]
            if len(chosen_photos) > MAX_PHOTOS:
                form.add_error("photos", f"最多上传{MAX_PHOTOS}张照片，当前{len(chosen_photos)}张")
        if form.is_valid():
            try:
                place = fixed_place or _picker_place(data["place"], community, home)
            except NotFound:
                form.add_error("place", "请从列表中选择地点")
            else:
                refused = (
                    _throttle_message(request, data["reporter_phone"], data["client_key"])
                    if anonymous
                    else ""
                )
                if refused:
                    form.add_error(None, refused)
                    status = 429
                else:
                    try:
                        result = case_submit_result(
                            by=request.user,
                            text=data["text"],
                            channel=Channel.QR_POSTER if fixed_place is not None else Channel.RESIDENT_WEB,
                            place=place,
                            address_detail=data["address_detail"],
                            latitude=data["latitude"],
                            longitude=data["longitude"],
                            reporter_name=data.get("reporter_name", ""),
                            reporter_phone=data.get("reporter_phone", ""),
                            photos=chosen_photos,
                            client_key=data["client_key"],
                        )
                    except ValidationError as exc:
                        apply_service_errors(form, exc, hidden_on_top=True)
                    else:
                        case = result.case
                        if anonymous and result.created:
                            _count_ip(request)
                        _remember(request, case.tracking_code, case.reporter_phone_last4)
                        if not result.created:
                            messages.info(request, "这条反映已经提交过了，无需重复提交")
                        if draft:
                            drafts.draft_discard(draft)
                        return redirect("report:done", case.tracking_code)
        if form.errors and request.FILES and "photos" not in form.errors:
            # Without JavaScript the photos came with the form, and browsers never refill a file
            # input: say so, or they silently go missing. (With it they wait in the draft.)
            form.add_error("photos", "页面有错误，照片需要重新选择")
        if form.errors and status == 200:
            status = 400
        if not draft:
            draft = _start_draft(request)
    else:
        draft = _start_draft(request)
        form = ReportForm(
            initial={"client_key": new_client_key(), "place": default_place, "draft": draft}, **form_kwargs
        )
    context = {
        "form": form,
        "anonymous": anonymous,
        "fixed_place": fixed_place,
        "fixed_place_name": place_full_name(fixed_place) if fixed_place else "",
        "token": token,
        "community": community,
        "communities": communities,
        "has_home": bool(home),
        "text_max": TEXT_MAX,
        "max_photos": MAX_PHOTOS,
        "draft": draft,
        "draft_photos": _draft_context(draft),
        "error_summary": _error_summary(form),
        "max_mb": max_bytes() // (1024 * 1024),
        "login_url": f"{reverse('accounts:login')}?next={request.get_full_path()}",
        "emergency_calls": emergency.calls(),
    }
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "cases/public/_place_field.html", context)
    return render(request, "cases/public/report.html", context, status=status)


def _error_summary(form: ReportForm) -> list[dict[str, str]]:
    """Every field error, for the summary at the top of the form (each links to its field)."""
    return [
        {
            "id": form[name].id_for_label if name in form.fields else "",
            "label": str(form.fields[name].label or ""),
            "error": str(error),
        }
        for name, errors in form.errors.items()
        if name != "__all__" and name in form.fields
        for error in errors
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    return _report(request)


def _check_bucket(request: HttpRequest) -> str:
    return f"gg:report-check:ip:{_client_ip(request)}:{timezone.now():%Y%m%d%H%M}"


@never_cache
@require_POST
def report_check(request: HttpRequest) -> HttpResponse:
    """As the resident types: does the text read like an emergency, and which of 110 / 119 / 120
    to offer first. Advice only: it never blocks or changes the report itself."""
    from gridgov.core.text import text_problem

    key = _check_bucket(request)
    if not cache.add(key, 1, timeout=60):
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=60)
            count = 1
        limit = settings.GRIDGOV_REPORT_CHECK_PER_MINUTE
        if count > limit:
            response = JsonResponse({"error": f"请求过于频繁：每分钟最多{limit}次，请稍后再试"}, status=429)
            response["Retry-After"] = "60"
            return response
    text = request.POST.get("text")
    if text is None:
        return JsonResponse({"error": "text：请提交反映内容"}, status=400)
    if len(text) > TEXT_MAX:
        return JsonResponse(
            {"error": f"text：反映内容不能超过{TEXT_MAX}个字，当前{len(text)}个字"}, status=400
        )
    problem = text_problem(text, "反映内容", multiline=True)
    if problem:
        return JsonResponse({"error": f"text：{problem}"}, status=400)
    return JsonResponse(emergency.advice_for(text).as_json())


def _poster_signature(value: str) -> str:
    # 16 base64 characters = 96 bits of HMAC: unforgeable in practice, and half the printed
    # URL and a sparser QR code than Django's full 43-character signature.
    return signing.Signer(salt=POSTER_SALT).signature(value)[:16]


def poster_token(place: Place) -> str:
    """The signed, never-expiring token on a place's poster (it only says which place)."""
    return f"{place.pk}.{_poster_signature(str(place.pk))}"


def place_from_token(token: str) -> Place:
    value, _, signature = (token or "").partition(".")
    if not value.isdigit() or not constant_time_compare(signature, _poster_signature(value)):
        raise NotFound()
    return public_report_place(value)


@never_cache
@require_http_methods(["GET", "POST"])
def report_from_poster(request: HttpRequest, token: str) -> HttpResponse:
    try:
        place = place_from_token(token)
    except NotFound:
        return _not_found(request, "二维码无效或已停用，请改用“我要反映”页面，或拨打社区热线")
    return _report(request, fixed_place=place, token=token)


@never_cache
@require_GET
@_refused_when_locked
def report_done(request: HttpRequest, code: str) -> HttpResponse:
    case = _tracked_case(request, code)
    if case is None:
        return redirect("report:lookup")
    urgent = case.priority == Priority.URGENT and case.is_open
    kind = emergency.emergency_kind(case.suggested_matched.split("、")) if urgent else None
    return render(
        request,
        "cases/public/done.html",
        {
            "case": case,
            "place_name": place_full_name(case.place, below=PlaceKind.ESTATE),
            "anonymous": _user(request) is None or not case.reporter_user_id,
            "urgent": urgent,
            "emergency_calls": emergency.calls(
                emergency.FIRST_NUMBERS.get(kind or "", emergency.EMERGENCY_NUMBERS)
            ),
        },
    )


# --- tracking ---------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest, code: str = "") -> HttpResponse:
    """查询进度: tracking code + the last four digits of the phone left with the report; failures
    count per code in the database together with the API's (`case_track_proof`)."""
    user = _user(request)
    status = 200
    if request.method == "POST":
        form = LookupForm(request.POST, need_last4=user is None)
        if form.is_valid():
            code, last4 = form.cleaned_data["code"], form.cleaned_data["last4"]
            try:
                case = case_track_proof(by=request.user, code=code, phone_last4=last4, ip=_client_ip(request))
            except (TrackingRefused, TrackingLocked) as exc:
                form.add_error(None, TRACK_REFUSED)
                status = 429 if isinstance(exc, TrackingLocked) else 404
            else:
                _remember(request, case.tracking_code, last4 or case.reporter_phone_last4)
                return redirect("report:track", case.tracking_code)
        elif status == 200:
            status = 400
    else:
        form = LookupForm(initial={"code": code}, need_last4=user is None)
    return render(request, "cases/public/lookup.html", {"form": form, "code": code}, status=status)


def _state_context(case: Case) -> dict[str, Any]:
    words = STATE_WORDS.get(case.state, case.get_state_display())
    if case.state == State.REJECTED and case.reject_reason:
        words = f"不予受理：{case.reject_reason}"
    elif case.state == State.MERGED:
        words = selectors.public_status(case)[1]
    elif case.state == State.NEW and case.reopen_count:
        words = "您不满意，已转上级重新办理，请耐心等待"
    return {"state_words": words, "state_tone": STATE_TONE.get(case.state, "wait")}


def _follow_link(request: HttpRequest, code: str, name: str) -> HttpResponse | None:
    """A one-tap link from a text message (`?k=`): prove it (counted like a typed code), remember
    the case in this browser, and continue without the token in the address bar."""
    token = request.GET.get("k")
    if token is None:
        return None
    try:
        case = case_track_link_proof(code=code, token=token, ip=_client_ip(request))
    except TrackingRefused:
        return _not_found(request, "链接无效或已过期，请用查询码和手机号后四位查询")
    _remember(request, case.tracking_code, case.reporter_phone_last4)
    return redirect(name, case.tracking_code)


@never_cache
@require_GET
@_refused_when_locked
def track(request: HttpRequest, code: str) -> HttpResponse:
    followed = _follow_link(request, code, "report:track")
    if followed is not None:
        return followed
    case = _tracked_case(request, code)
    if case is None:
        # Not proven yet: ask for the digits (a wrong code and wrong digits look the same).
        return lookup(request, code=code.strip().upper())
    user = _user(request)
    proven_by_code = bool(_remembered_last4(request, case.tracking_code))
    can_rate = case.state == State.RESOLVED and (
        "rate" in selectors.allowed_actions(user, case) or proven_by_code
    )
    attachments = [a for a in selectors.case_attachments(None, case) if a.content_type.startswith("image/")]
    return render(
        request,
        "cases/public/track.html",
        {
            "case": case,
            "timeline": list(reversed(selectors.public_timeline(case))),
            "place_name": place_full_name(case.place),
            "attachments": attachments,
            "photo_groups": _photo_groups(attachments),
            "can_rate": can_rate,
            **_state_context(case),
        },
    )


# Whose photo is whose: the resident's own, then what staff saw before and after.
PHOTO_GROUPS = (
    ("report", "您提交的照片"),
    ("before", "处置前"),
    ("after", "处置后"),
    ("evidence", "佐证材料"),
)


def _photo_groups(attachments: list[Any]) -> list[dict[str, Any]]:
    groups = []
    for kind, label in PHOTO_GROUPS:
        items = [a for a in attachments if a.kind == kind]
        if items:
            groups.append({"kind": kind, "label": label, "items": items})
    return groups


@never_cache
@require_GET
@_refused_when_locked
def photo(request: HttpRequest, code: str, attachment_id: int) -> HttpResponse | FileResponse:
    case = _tracked_case(request, code)
    if case is None:
        return _not_found(request)
    try:
        attachment = selectors.attachment_for(
            _user(request), attachment_id, phone_last4=_remembered_last4(request, case.tracking_code)
        )
    except NotFound:
        return _not_found(request, "照片不存在")
    if attachment.case_id != case.pk or not attachment.public:
        return _not_found(request, "照片不存在")
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def mine(request: AuthedHttpRequest) -> HttpResponse:
    from gridgov.cases.views._common import _place_trails

    page = Paginator(selectors.my_reports(request.user), 20).get_page(request.GET.get("page"))
    cases = list(page)
    # "聚江苑 1栋 1单元", not just "1单元": every ancestor's name in one query for the page.
    addresses = _place_trails([case.place for case in cases])
    rows = [
        {
            "case": case,
            "words": STATE_WORDS.get(case.state, ""),
            "tone": STATE_TONE.get(case.state, "wait"),
            "address": addresses.get(case.place.pk, case.place.name),
        }
        for case in cases
    ]
    return render(request, "cases/public/mine.html", {"page": page, "rows": rows})


# --- rating -----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@_refused_when_locked
def rate(request: HttpRequest, code: str) -> HttpResponse:
    followed = _follow_link(request, code, "report:rate") if request.method == "GET" else None
    if followed is not None:
        return followed
    case = _tracked_case(request, code)
    if case is None:
        return _not_found(request)
    status = 200
    if request.method == "POST":
        form = RateForm(request.POST)
        if form.is_valid():
            try:
                case = case_rate(
                    by=request.user,
                    case=case,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    phone_last4=_remembered_last4(request, case.tracking_code),
                    ip=_client_ip(request),
                )
            except NotFound:
                return _not_found(request)
            except CaseConflict as exc:
                form.add_error(None, exc.message_dict["state"][0])
                status = 409
            except ValidationError as exc:
                apply_service_errors(form, exc, hidden_on_top=True)
                status = 400
            else:
                if case.state == State.NEW:
                    messages.warning(
                        request,
                        "很抱歉让您不满意。您的反映已转交上级负责人复核、重新办理（每件反映可重办一次），"
                        "办理结果会在这里更新。",
                    )
                elif case.rating is not None and case.rating <= 2:
                    messages.info(request, "已记录您的评价。该反映已重新办理过一次，您的意见已转告负责人。")
                else:
                    messages.success(request, "感谢您的评价！")
                return redirect("report:track", case.tracking_code)
        else:
            status = 400
    else:
        form = RateForm()
    return render(
        request,
        "cases/public/rate.html",
        {"case": case, "form": form, "can_rate": case.state == State.RESOLVED, **_state_context(case)},
        status=status,
    )


# --- QR posters (staff) -----------------------------------------------------------------------


def _poster_scope(user: User) -> Any:
    return places_for(user, caps.CASES_INTAKE) | places_for(user, caps.PLACES_MANAGE)


def _poster_place(user: User, place_id: int) -> Place:
    for capability in (caps.CASES_INTAKE, caps.PLACES_MANAGE):
        try:
            place = place_for(user, place_id, capability)
        except NotFound:
            continue
        if place.kind in POSTER_PLACE_KINDS:
            return place
    raise NotFound()


def _public_base(request: HttpRequest) -> str:
    configured = settings.GRIDGOV_PUBLIC_URL.strip().rstrip("/")
    return configured or request.build_absolute_uri("/").rstrip("/")


def _poster(request: HttpRequest, place: Place) -> dict[str, Any]:
    url = _public_base(request) + reverse("report:poster_report", args=[poster_token(place)])
    community = community_of(place)
    if place.kind == PlaceKind.ESTATE:
        heading, where = f"{place.name}", "小区大门"
    elif place.kind == PlaceKind.LANE:
        heading, where = f"{place.name}", "街巷"
    else:
        parent = (
            place.parent.name
            if place.parent and place.parent.kind in (PlaceKind.ESTATE, PlaceKind.LANE)
            else ""
        )
        heading, where = f"{parent} {place.name}".strip(), "楼栋"
    qr = segno.make(url, error="m")
    return {
        "place": place,
        "heading": heading,
        "where": where,
        "community": community.name if community else "",
        "url": url,
        "qr_svg": qr.svg_inline(scale=8, border=2, dark="#111827", omitsize=True),
    }


def _poster_page(
    request: AuthedHttpRequest, place: Place, posters: list[dict[str, Any]], title: str
) -> HttpResponse:
    """The print page: the community's own hotline (a place setting, not a URL parameter) and a
    warning when the QR codes carry the address this page was opened with."""
    community = community_of(place)
    configured = bool(settings.GRIDGOV_PUBLIC_URL.strip())
    return render(
        request,
        "cases/public/poster_print.html",
        {
            "posters": posters,
            "hotline": (community.hotline if community else "") or _hotline(),
            "hotline_is_default": not (community and community.hotline),
            "community": community,
            "can_edit_hotline": community is not None
            and has_capability(request.user, caps.PLACES_MANAGE, community),
            "public_url_missing": not configured,
            "qr_base": _public_base(request),
            "title": title,
        },
    )


def _scoped_communities(user: User) -> list[Place]:
    """Communities the user can print posters in: those inside their scope roots, or above them."""
    roots = list(scope_roots(user, caps.CASES_INTAKE)) + list(scope_roots(user, caps.PLACES_MANAGE))
    found: dict[int, Place] = {}
    communities = list(public_communities())
    for root in roots:
        if KIND_LEVEL[root.kind] <= KIND_LEVEL[PlaceKind.COMMUNITY]:
            found.update({c.pk: c for c in communities if within(c.path, [root.path])})
        else:
            community = community_of(root)
            if community is not None:
                found[community.pk] = community
    return sorted(found.values(), key=lambda c: c.path)


@page_access("report:posters")
@require_GET
def posters(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    communities = _scoped_communities(user)
    wanted = request.GET.get("community", "")
    community = next((c for c in communities if str(c.pk) == wanted), communities[0] if communities else None)
    groups = []
    if community is not None:
        in_scope = set(
            _poster_scope(user)
            .filter(below_q(community, "path"), kind__in=POSTER_PLACE_KINDS)
            .values_list("pk", flat=True)
        )
        for group, buildings in public_report_tree(community):
            mine = [b for b in buildings if b.pk in in_scope]
            if group.kind in POSTER_PLACE_KINDS and (group.pk in in_scope or mine):
                groups.append({"place": group, "printable": group.pk in in_scope, "buildings": mine})
    return render(
        request,
        "cases/public/posters.html",
        {
            "communities": communities,
            "community": community,
            "groups": groups,
            "hotline": (community.hotline if community else "") or _hotline(),
            "can_edit_hotline": community is not None and has_capability(user, caps.PLACES_MANAGE, community),
        },
    )


@login_required
@require_GET
def poster(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    place = _poster_place(request.user, place_id)
    return _poster_page(request, place, [_poster(request, place)], f"{place.name}二维码海报")


@login_required
@require_GET
def poster_buildings(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    """Every building of an estate (or lane) in the user's scope: one A4 poster per page."""
    try:
        estate = _poster_place(request.user, place_id)
    except NotFound:
        # A building head holds buildings, not the estate above them: the estate's name is
        # public (it is on the posters), and only the buildings in the user's scope are printed.
        estate = public_report_place(place_id)
    if estate.kind not in (PlaceKind.ESTATE, PlaceKind.LANE, PlaceKind.GROUP):
        raise NotFound()
    buildings = list(
        _poster_scope(request.user)
        .filter(below_q(estate, "path"), kind=PlaceKind.BUILDING)
        .distinct()
        .order_by("path")
    )
    if not buildings and not _poster_scope(request.user).filter(pk=estate.pk).exists():
        raise NotFound()
    if not buildings:
        community = community_of(estate)
        messages.info(request, f"{estate.name}下没有楼栋")
        return redirect(f"{reverse('report:posters')}?community={community.pk if community else ''}")
    return _poster_page(
        request,
        estate,
        [_poster(request, b) for b in buildings],
        f"{estate.name}全部楼栋二维码海报（{len(buildings)}张）",
    )
