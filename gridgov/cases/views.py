"""Staff pages of the case loop: workbench, case page with its actions, quick entry, patrol,
bulk intake, statistics and configuration. Thin: selectors read, services write and decide who
may do what; a view only turns their answers into pages and status codes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import capabilities_anywhere, paths_with, subtree_q
from gridgov.cases import bulk, forms, selectors, services
from gridgov.cases import routing as routing_defaults
from gridgov.cases.models import (
    OPEN_STATES,
    Case,
    CaseAttachment,
    Category,
    Channel,
    Level,
    Priority,
    SlaUnit,
)
from gridgov.cases.services import HANDLING_ORG_KINDS, CaseConflict
from gridgov.cases.templatetags.cases_staff import due_info
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.core.forms import apply_service_errors
from gridgov.places.models import Place, PlaceKind
from gridgov.places.selectors import AREA_KINDS, place_breadcrumbs, places_for

PAGE_SIZE = 20
# Anyone who works on cases in any way may open the workbench and the case pages.
WORKBENCH_CAPS = (
    caps.CASES_VIEW,
    caps.CASES_ORG_HANDLE,
    caps.CASES_HANDLE,
    caps.CASES_DISPATCH,
    caps.CASES_SUPERVISE,
)
INTAKE_KINDS = (
    PlaceKind.COMMUNITY,
    PlaceKind.GRID,
    PlaceKind.ESTATE,
    PlaceKind.LANE,
    PlaceKind.GROUP,
    PlaceKind.BUILDING,
    PlaceKind.UNIT,
)
MAX_PLACE_OPTIONS = 800


def _require(request: HttpRequest, *capabilities: str) -> None:
    """Staff pages are for staff: a resident or volunteer without any of these gets 403."""
    if not capabilities_anywhere(request.user) & set(capabilities):
        raise Forbidden("您的岗位不能使用事件工作台")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _organisations(user: Any) -> Any:
    from gridgov.orgs.selectors import organisations_for

    return (
        organisations_for(user).filter(is_active=True, kind__in=HANDLING_ORG_KINDS).order_by("kind", "name")
    )


def _indented(places: Any) -> list[Place]:
    return list(places.order_by("path")[:MAX_PLACE_OPTIONS])


def _options(places: list[Place]) -> list[dict[str, Any]]:
    """A place list for a <select>, indented by depth below the shallowest one."""
    top = min((p.depth for p in places), default=0)
    return [
        {"pk": p.pk, "name": p.name, "label": f"{'　' * (p.depth - top)}{p.name}（{p.get_kind_display()}）"}
        for p in places
    ]


def _place_trails(places: list[Place], *, with_grid: bool = False) -> dict[int, str]:
    """ "聚江苑 1栋 1单元" for each place: its ancestors below the grid, in one query."""
    paths = {path for place in places for path in place.ancestor_paths()}
    by_path = {p.path: p for p in Place.objects.filter(path__in=paths).only("path", "name", "kind")}
    above = {PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY}
    if not with_grid:
        above.add(PlaceKind.GRID)
    trails = {}
    for place in places:
        chain = [by_path[path] for path in place.ancestor_paths() if path in by_path]
        names = [p.name for p in chain if p.kind not in above] or [place.name]
        trails[place.pk] = " ".join(names)
    return trails


# --- workbench --------------------------------------------------------------------------------

TABS = [
    ("my", "我的待办", "1"),
    ("dispatch", "待分派", "2"),
    ("overdue", "已超时", "3"),
    ("all", "全部", "4"),
]


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    _require(request, *WORKBENCH_CAPS)
    user = request.user
    held = capabilities_anywhere(user)
    tabs = [t for t in TABS if t[0] != "dispatch" or caps.CASES_DISPATCH in held]
    tab = request.GET.get("tab") or "my"
    if tab not in {t[0] for t in tabs}:
        tab = "my"
    places = places_for(user, caps.CASES_VIEW).filter(kind__in=AREA_KINDS)
    form = forms.FilterForm(request.GET, places=places.order_by("path"), categories=selectors.categories())
    if tab == "my":
        cases = selectors.my_queue(user)
    elif tab == "dispatch":
        cases = selectors.dispatch_queue(user)
    elif tab == "overdue":
        cases = selectors.overdue(user)
    elif form.is_valid():
        data = form.cleaned_data
        cases = selectors.cases_for(
            user,
            state=data["state"] or None,
            category=data["category"] or None,
            place=data["place"],
            channel=data["channel"] or None,
            level=data["level"] or None,
            since=data["since"],
            until=data["until"],
            supervised=True if data["supervised"] else None,
            q=data["q"],
        )
    else:
        cases = Case.objects.none()
    counts = {
        "my": selectors.my_queue(user).count(),
        "dispatch": selectors.dispatch_queue(user).count() if caps.CASES_DISPATCH in held else 0,
        "overdue": selectors.overdue(user).count(),
    }
    tab_items = [
        {"code": code, "label": label, "key": key, "count": counts.get(code)} for code, label, key in tabs
    ]
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    cases_on_page = list(page.object_list)
    trails = _place_trails([case.place for case in cases_on_page])
    rows = [(case, due_info(case, now), trails.get(case.place_id, "")) for case in cases_on_page]
    context = {
        "tabs": tab_items,
        "tab": tab,
        "form": form,
        "page": page,
        "rows": rows,
        "counts": counts,
        "can_intake": caps.CASES_INTAKE in held,
        "filtered": tab == "all" and any(v for k, v in request.GET.items() if k not in ("tab", "page")),
    }
    target = request.headers.get("HX-Target", "") if _is_htmx(request) else ""
    if target == "wb-list":
        return render(request, "cases/staff/_case_list.html", context)
    if target == "wb-panel":
        return render(request, "cases/staff/_workbench_panel.html", context)
    return render(request, "cases/staff/workbench.html", context)


# --- the case page and its actions ------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    label: str
    key: str  # single-key shortcut on the case page
    form: Callable[..., Any]
    perform: Callable[[Any, Case, dict[str, Any]], Any]
    done: str


def _may_send_to_department(user: Any, case: Case) -> bool:
    """Whether to offer "部门" in the dispatch form: only to those who dispatch where a
    department-level case is owned (the street); a community calls departments in by 吹哨."""
    from gridgov.accounts.scope import has_capability

    _level, owner = routing_defaults.owner_at(case.place, Level.DEPARTMENT)
    return has_capability(user, caps.CASES_DISPATCH, owner)


def _merge(by: Any, case: Case, data: dict[str, Any]) -> Case:
    code = data["into"].strip().upper().replace(" ", "").replace("-", "")
    into = selectors.staff_cases(by).filter(tracking_code=code).first()
    if into is None:
        raise field_error("into", "目标事件不存在或无权访问")
    return services.case_merge(by=by, case=case, into=into, note=data["note"])


def _call_report(by: Any, case: Case, data: dict[str, Any]) -> Any:
    call = selectors.pending_calls(by).filter(case=case).first()
    if call is None:
        raise CaseConflict("本单位已报到，或未被呼叫")
    return services.case_call_report(by=by, call=call, note=data["note"])


def _simple(form_class: type) -> Callable[..., Any]:
    return lambda user, case, *args, **kwargs: form_class(*args, **kwargs)


ACTIONS: dict[str, Action] = {
    "accept": Action(
        "受理",
        "a",
        _simple(forms.AcceptForm),
        lambda by, case, d: services.case_accept(by=by, case=case),
        "已受理",
    ),
    "start": Action(
        "开始处置",
        "s",
        _simple(forms.StartForm),
        lambda by, case, d: services.case_start(by=by, case=case, note=d["note"]),
        "已开始处置",
    ),
    "classify": Action(
        "确认分类",
        "c",
        _simple(forms.ClassifyForm),
        lambda by, case, d: services.case_classify(
            by=by,
            case=case,
            category=d["category"],
            subcategory=d["subcategory"],
            priority=d["priority"],
            note=d["note"],
        ),
        "分类已确认",
    ),
    "dispatch": Action(
        "交办",
        "d",
        lambda user, case, *args, **kw: forms.DispatchForm(
            *args,
            targets=selectors.dispatch_targets(user, case),
            department=_may_send_to_department(user, case),
            **kw,
        ),
        lambda by, case, d: services.case_dispatch(
            by=by,
            case=case,
            level=d["level"],
            handler_user=d["handler_user"],
            handler_org=d["handler_org"],
            note=d["note"],
        ),
        "已交办",
    ),
    "note": Action(
        "处置记录",
        "n",
        _simple(forms.NoteForm),
        lambda by, case, d: services.case_note(
            by=by,
            case=case,
            note=d["note"],
            photos=d["photos"],
            photo_kind=d["photo_kind"],
            public=d["public"],
        ),
        "已记录",
    ),
    "resolve": Action(
        "办结",
        "r",
        _simple(forms.ResolveForm),
        lambda by, case, d: services.case_resolve(by=by, case=case, result=d["result"], photos=d["photos"]),
        "已办结，已通知反映人评价",
    ),
    "reject": Action(
        "不予受理",
        "x",
        _simple(forms.RejectForm),
        lambda by, case, d: services.case_reject(by=by, case=case, reason=d["reason"]),
        "已作不予受理处理",
    ),
    "merge": Action("合并", "m", _simple(forms.MergeForm), _merge, "已合并"),
    "return": Action(
        "退回",
        "t",
        _simple(forms.ReturnForm),
        lambda by, case, d: services.case_return(by=by, case=case, reason=d["reason"]),
        "已退回派单人",
    ),
    "escalate": Action(
        "上报",
        "e",
        lambda user, case, *args, **kw: forms.EscalateForm(*args, organisations=_organisations(user), **kw),
        lambda by, case, d: services.case_escalate(
            by=by, case=case, reason=d["reason"], organisation=d["organisation"]
        ),
        "已上报上级",
    ),
    "whistle": Action(
        "吹哨",
        "w",
        lambda user, case, *args, **kw: forms.WhistleForm(*args, organisations=_organisations(user), **kw),
        lambda by, case, d: services.case_whistle(
            by=by, case=case, organisations=list(d["organisations"]), deadline=d["deadline"], note=d["note"]
        ),
        "已吹哨呼叫部门",
    ),
    "call_report": Action("报到", "b", _simple(forms.CallReportForm), _call_report, "已报到"),
    "supervise": Action(
        "督办",
        "u",
        _simple(forms.SuperviseForm),
        lambda by, case, d: services.case_supervise(by=by, case=case, note=d["note"]),
        "已督办",
    ),
    "reveal_reporter": Action(
        "显示电话",
        "p",
        _simple(forms.RevealForm),
        lambda by, case, d: services.case_reveal_reporter_phone(by=by, case=case, purpose=d["purpose"]),
        "",
    ),
}
ACTION_ORDER = [
    "accept",
    "start",
    "resolve",
    "note",
    "classify",
    "dispatch",
    "call_report",
    "escalate",
    "whistle",
    "return",
    "merge",
    "reject",
    "supervise",
]


def _detail_context(
    request: HttpRequest,
    case: Case,
    *,
    failed: str = "",
    failed_form: Any = None,
    revealed: str = "",
) -> dict[str, Any]:
    user = request.user
    allowed = selectors.allowed_actions(user, case)
    action_forms = []
    for name in ACTION_ORDER:
        if name not in allowed:
            continue
        spec = ACTIONS[name]
        form = failed_form if name == failed else spec.form(user, case, auto_id=f"{name}_%s")
        action_forms.append({"name": name, "spec": spec, "form": form, "open": name == failed})
    failed_elsewhere = bool(failed and failed_form is not None and failed not in allowed)
    events = selectors.case_timeline(user, case).prefetch_related(
        Prefetch("attachments", queryset=CaseAttachment.objects.order_by("id"))
    )
    duplicates = selectors.possible_duplicates(user, case) if case.state in OPEN_STATES else []
    suggested = None
    if case.suggested_category:
        from gridgov.triage.categories import CATEGORY_NAMES, URGENCY_NAMES

        suggested = {
            "category": CATEGORY_NAMES.get(case.suggested_category, case.suggested_category),
            "urgency": URGENCY_NAMES.get(case.suggested_urgency, ""),
            "confidence": case.suggested_confidence,
            "matched": [w for w in case.suggested_matched.split("、") if w],
        }
    reveal_form = failed_form if failed == "reveal_reporter" else forms.RevealForm(auto_id="reveal_%s")
    return {
        "case": case,
        "due": due_info(case),
        "breadcrumbs": place_breadcrumbs(case.place),
        "reporter": selectors.reporter_for_staff(case),
        "attachments": list(selectors.case_attachments(user, case)),
        "events": list(events),
        "calls": list(selectors.case_calls(case)),
        "duplicates": duplicates,
        "suggested": suggested,
        "allowed": allowed,
        "action_forms": action_forms,
        "failed": failed,
        "failed_label": ACTIONS[failed].label if failed in ACTIONS else "",
        "failed_form": failed_form if failed_elsewhere else None,
        "can_reveal": "reveal_reporter" in allowed,
        "reveal_form": reveal_form,
        "revealed": revealed,
        "merged_cases": list(case.merged_cases.only("pk", "tracking_code", "state")),
    }


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, *WORKBENCH_CAPS)
    case = selectors.case_for(request.user, pk, for_write=True)
    return render(request, "cases/staff/detail.html", _detail_context(request, case))


@never_cache
@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on a case. Failure re-renders the case page with the Chinese message next to
    the form: 400 for bad input, 403 for the wrong person, 409 when the case moved on."""
    _require(request, *WORKBENCH_CAPS)
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotFound()
    user = request.user
    case = selectors.case_for(user, pk, for_write=True)
    auto_id = "reveal_%s" if action == "reveal_reporter" else f"{action}_%s"
    form = spec.form(user, case, request.POST, request.FILES, auto_id=auto_id)
    status = 400
    if form.is_valid():
        try:
            result = spec.perform(user, case, form.cleaned_data)
        except CaseConflict as exc:
            form.add_error(None, exc.message_dict["state"][0])
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            if action == "reveal_reporter":
                context = _detail_context(request, case, revealed=result)
                return render(request, "cases/staff/detail.html", context)
            messages.success(request, f"{case.tracking_code}：{spec.done}")
            if not selectors.staff_cases(user).filter(pk=case.pk).exists():
                # Handed back out of this user's reach (an organisation returning a case …).
                return redirect("cases:workbench")
            return redirect(reverse("cases:detail", args=[case.pk]) + "#timeline")
    case = selectors.case_for(user, pk, for_write=True)
    context = _detail_context(request, case, failed=action, failed_form=form)
    return render(request, "cases/staff/detail.html", context, status=status)


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A case photo, only for those who may see it (attachment_for checks the case's scope)."""
    item = selectors.attachment_for(request.user, pk)
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound() from None
    response = FileResponse(handle, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


# --- quick entry (hotline, walk-in desks, group chats) and patrol --------------------------------


def _intake_places(user: Any) -> Any:
    return places_for(user, caps.CASES_INTAKE).filter(kind__in=INTAKE_KINDS)


def _patrol_places(user: Any) -> list[Place]:
    """The grid worker's own grid first, then the rest of what they may report on."""
    places = _indented(_intake_places(user))
    own = paths_with(user, caps.CASES_HANDLE)

    def mine(place: Place) -> bool:
        return any(place.path == root or place.path.startswith(root + ".") for root in own)

    return [p for p in places if mine(p)] + [p for p in places if not mine(p)]


def _intake(request: HttpRequest, *, patrol: bool) -> HttpResponse:
    _require(request, caps.CASES_INTAKE)
    user = request.user
    channels = [(Channel.PATROL, Channel.PATROL.label)] if patrol else None
    places = _intake_places(user)
    template = "cases/staff/patrol.html" if patrol else "cases/staff/intake.html"
    status = 200
    if request.method == "POST":
        form = forms.IntakeForm(request.POST, request.FILES, user=user, places=places, channels=channels)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.case_submit_result(
                    by=user,
                    text=data["text"],
                    channel=data["channel"],
                    place=data["place"],
                    category=data["category"] or None,
                    priority=data["priority"] or None,
                    address_detail=data["address_detail"],
                    reporter_resident=data["resident"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    photos=data["photos"],
                    client_key=data["client_key"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            except Forbidden as exc:
                form.add_error(None, str(exc))
                status = 403
            else:
                case = result.case
                request.session["cases_intake_last"] = {
                    "pk": case.pk,
                    "code": case.tracking_code,
                    "created": result.created,
                    "place": case.place.name,
                    "category": str(case.subcategory or case.category),
                    "level": case.get_level_display(),
                    "handler": case.handler_org.name if case.handler_org_id else "",
                }
                target = reverse("cases:patrol" if patrol else "cases:intake")
                return redirect(f"{target}?channel={data['channel']}" if not patrol else target)
        else:
            status = 400
    else:
        channel = request.GET.get("channel")
        form = forms.IntakeForm(
            user=user,
            places=places,
            channels=channels,
            initial={
                "channel": Channel.PATROL
                if patrol
                else (channel if channel in Channel.values else Channel.HOTLINE),
                "client_key": uuid.uuid4().hex,
            },
        )
    last = request.session.pop("cases_intake_last", None) if request.method == "GET" else None
    if last:
        last["visible"] = selectors.staff_cases(user).filter(pk=last["pk"]).exists()
    chosen_place = None
    if form.is_bound and form.data.get("place", "").isdigit():
        chosen_place = places.filter(pk=int(form.data["place"])).first()
    chosen_resident = None
    if form.is_bound and form.data.get("resident", "").isdigit():
        from gridgov.people.selectors import resident_for

        try:
            chosen_resident = resident_for(user, int(form.data["resident"]))
        except NotFound:
            chosen_resident = None
    if form.is_bound and not form.data.get("client_key"):
        form.data = form.data.copy()
        form.data["client_key"] = uuid.uuid4().hex
    context = {
        "form": form,
        "last": last,
        "place_options": _options(_patrol_places(user) if patrol else _indented(places)),
        "chosen_place": chosen_place,
        "chosen_resident": chosen_resident,
        "patrol": patrol,
        "can_search_residents": caps.REGISTRY_VIEW in capabilities_anywhere(user),
    }
    return render(request, template, context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    return _intake(request, patrol=False)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def patrol(request: HttpRequest) -> HttpResponse:
    return _intake(request, patrol=True)


@login_required
@require_GET
def intake_places(request: HttpRequest) -> HttpResponse:
    """Places and households (address or room) inside the user's intake scope matching `q`."""
    _require(request, caps.CASES_INTAKE)
    from gridgov.places.selectors import household_search

    user = request.user
    q = (request.GET.get("q") or request.GET.get("place_q") or "").strip()[:50]
    places: list[Place] = []
    households: list[Any] = []
    if q:
        scope = _intake_places(user)
        places = list(scope.filter(name__contains=q).order_by("path")[:10])
        roots = paths_with(user, caps.CASES_INTAKE)
        found = household_search(user, q=q)
        if not user.is_superuser:
            inside = Q(pk__in=[])
            for root in roots:
                inside |= Q(place__path=root) | Q(place__path__startswith=root + ".")
            found = found.filter(inside)
        households = list(found[:10])
    trails = _place_trails(places, with_grid=True)
    breadcrumbs = {p.pk: trails.get(p.pk, p.name) for p in places}
    return render(
        request,
        "cases/staff/_place_results.html",
        {"q": q, "places": [(p, breadcrumbs[p.pk]) for p in places], "households": households},
    )


@login_required
@require_GET
def intake_residents(request: HttpRequest) -> HttpResponse:
    """Residents inside the user's registry scope, by name, phone, last four digits or address."""
    _require(request, caps.CASES_INTAKE)
    from gridgov.people.selectors import resident_search

    q = (request.GET.get("q") or request.GET.get("resident_q") or "").strip()[:50]
    residents = list(resident_search(request.user, q=q)[:10]) if len(q) >= 1 else []
    return render(request, "cases/staff/_resident_results.html", {"q": q, "residents": residents})


@login_required
@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    """The live category/urgency suggestion shown while the text is typed."""
    _require(request, caps.CASES_INTAKE, *WORKBENCH_CAPS)
    from gridgov.triage.categories import CATEGORY_NAMES, URGENCY_NAMES
    from gridgov.triage.services import suggest

    text = (request.GET.get("text") or "").strip()[:2000]
    suggestion = suggest(text) if len(text) >= 4 else None
    context: dict[str, Any] = {"suggestion": None}
    if suggestion is not None:
        context["suggestion"] = {
            "code": suggestion.category,
            "category": CATEGORY_NAMES.get(suggestion.category, suggestion.category),
            "urgency": suggestion.urgency,
            "urgency_label": URGENCY_NAMES.get(suggestion.urgency, ""),
            "confidence": suggestion.confidence,
            "matched": list(suggestion.matched),
        }
    return render(request, "cases/staff/_triage.html", context)


# --- bulk intake ------------------------------------------------------------------------------


def _require_bulk(request: HttpRequest) -> None:
    # Property staff hold cases.intake for the estates they serve; departments do not file lists.
    _require(request, caps.CASES_INTAKE)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def bulk_upload(request: HttpRequest) -> HttpResponse:
    _require_bulk(request)
    result = None
    status = 200
    if request.method == "POST":
        form = forms.BulkForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = bulk.cases_bulk_submit(
                    by=request.user,
                    upload=form.cleaned_data["file"],
                    all_or_nothing=form.cleaned_data["mode"] == "all",
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            else:
                if result.errors:
                    status = 400 if not result.written else 200
        else:
            status = 400
    else:
        form = forms.BulkForm()
    labels = {
        "place": "地点/楼栋",
        "text": "问题描述",
        "address_detail": "具体位置",
        "category": "分类",
        "reporter_name": "反映人",
        "reporter_phone": "联系电话",
        "priority": "紧急程度",
    }
    context = {
        "form": form,
        "result": result,
        "error_rows": [
            {"row": e.row, "column": labels.get(e.field, e.field), "message": e.message}
            for e in (result.errors if result else [])
        ],
        "bad_row_count": len({e.row for e in result.errors}) if result else 0,
    }
    return render(request, "cases/staff/bulk.html", context, status=status)


@login_required
@require_GET
def bulk_template(request: HttpRequest) -> HttpResponse:
    _require_bulk(request)
    response = HttpResponse(
        bulk.template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E9%97%AE%E9%A2%98%E5%8F%8D%E9%A6%88%E6%B8%85%E5%8D%95.xlsx"
    )
    return response


# --- statistics -------------------------------------------------------------------------------


@login_required
@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    _require(request, caps.CASES_STATS)
    user = request.user
    roots = selectors.stats_places(user)
    places = Place.objects.filter(
        subtree_q([root.path for root in roots], "path"), kind__in=AREA_KINDS
    ).order_by("path")
    today = timezone.localdate()
    data = request.GET.copy()
    if not request.GET:
        data.update({"since": (today - dt.timedelta(days=29)).isoformat(), "until": today.isoformat()})
    form = forms.StatsForm(data, places=places)
    figures = None
    status = 200
    if form.is_valid():
        figures = selectors.case_stats(
            user, form.cleaned_data["place"], form.cleaned_data["since"], form.cleaned_data["until"]
        )
        top = max([row["received"] for row in figures["by_category"] + figures["by_channel"]] or [0])
        for row in figures["by_category"] + figures["by_channel"]:
            row["bar"] = round(100 * row["received"] / top) if top else 0
            row["bar_done"] = round(100 * row["resolved"] / top) if top else 0
        top_level = max(figures["open_by_level"].values() or [0])
        figures["levels"] = [
            {"label": Level(level).label, "n": n, "bar": round(100 * n / top_level) if top_level else 0}
            for level, n in figures["open_by_level"].items()
        ]
    else:
        status = 400
    return render(request, "cases/staff/stats.html", {"form": form, "s": figures}, status=status)


# --- configuration ----------------------------------------------------------------------------

CONFIG_TABS = [("categories", "分类"), ("sla", "办理时限"), ("rules", "分派规则"), ("keys", "接入密钥")]


def _config_places(user: Any) -> Any:
    return (
        places_for(user, caps.CASES_CONFIGURE)
        .filter(kind__in=(*AREA_KINDS, PlaceKind.BUILDING))
        .order_by("path")
    )


def _config_context(request: HttpRequest, tab: str, **bound: Any) -> dict[str, Any]:
    user = request.user
    organisations = _organisations(user)
    categories = list(Category.objects.select_related("parent").order_by("sort_order", "id"))
    tops = [c for c in categories if not c.parent_id]
    tree = [(top, [c for c in categories if c.parent_id == top.pk]) for top in tops]

    def category_form(category: Category) -> Any:
        if bound.get("category_update_id") == category.pk:
            return bound["category_update_form"]
        return forms.CategoryUpdateForm(
            prefix=f"c{category.pk}",
            initial={
                "name": category.name,
                "start_level": category.start_level,
                "is_active": category.is_active,
                "sort_order": category.sort_order,
            },
        )

    category_rows = [
        (category, category_form(category)) for top, children in tree for category in [top, *children]
    ]
    sla_rows = {(s.category_id, s.priority): s for s in selectors.slas()}
    sla_table = [
        (category, [sla_rows.get((category.pk, p)) for p in Priority.values])
        for top, children in tree
        for category in [top, *children]
    ]
    rules = list(selectors.routing_rules_for(user))

    def rule_form(rule: Any) -> Any:
        if bound.get("rule_update_id") == rule.pk:
            return bound["rule_update_form"]
        return forms.RuleUpdateForm(
            organisations=organisations,
            initial={"organisation": rule.organisation_id, "is_active": rule.is_active, "note": rule.note},
            prefix=f"r{rule.pk}",
        )

    return {
        "tabs": CONFIG_TABS,
        "tab": tab,
        "category_rows": category_rows,
        "sla_table": sla_table,
        "default_sla": {p: routing_defaults.DEFAULT_SLA[p] for p in Priority.values},
        "priorities": Priority.choices,
        "rules": [(rule, rule_form(rule)) for rule in rules],
        "keys": list(selectors.apikeys_for(user)),
        "category_form": bound.get("category_form") or forms.CategoryCreateForm(),
        "category_update_id": bound.get("category_update_id"),
        "category_update_form": bound.get("category_update_form"),
        "sla_form": bound.get("sla_form") or forms.SlaForm(initial={"unit": SlaUnit.HOURS}),
        "rule_form": bound.get("rule_form")
        or forms.RuleCreateForm(places=_config_places(user), organisations=organisations),
        "key_form": bound.get("key_form") or forms.ApiKeyCreateForm(places=_config_places(user)),
        "new_key": bound.get("new_key"),
        "error": bound.get("error", ""),
        "levels": Level.choices,
    }


@never_cache
@login_required
@require_GET
def config(request: HttpRequest) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    tab = request.GET.get("tab") or "categories"
    if tab not in dict(CONFIG_TABS):
        tab = "categories"
    return render(request, "cases/staff/config.html", _config_context(request, tab))


def _config_write(
    request: HttpRequest,
    tab: str,
    form: Any,
    write: Callable[[dict[str, Any]], Any],
    done: str,
    form_key: str,
    **extra: Any,
) -> HttpResponse:
    """Validate, call the service, and either redirect back to the tab or show the errors."""
    status = 400
    if form.is_valid():
        try:
            result = write(form.cleaned_data)
        except CaseConflict as exc:
            form.add_error(None, exc.message_dict["state"][0])
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            if tab == "keys" and isinstance(result, tuple):
                key, raw = result
                context = _config_context(request, tab, new_key={"key": key, "raw": raw})
                return render(request, "cases/staff/config.html", context)
            messages.success(request, done)
            return redirect(reverse("cases:config") + f"?tab={tab}")
    context = _config_context(request, tab, **{form_key: form}, **extra)
    return render(request, "cases/staff/config.html", context, status=status)


@never_cache
@login_required
@require_POST
def config_category_create(request: HttpRequest) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    return _config_write(
        request,
        "categories",
        forms.CategoryCreateForm(request.POST),
        lambda d: services.category_create(
            by=request.user,
            name=d["name"],
            code=d["code"],
            parent=d["parent"],
            start_level=d["start_level"],
            sort_order=d["sort_order"] if d["sort_order"] is not None else 100,
        ),
        "分类已添加",
        "category_form",
    )


@never_cache
@login_required
@require_POST
def config_category_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise NotFound()
    form = forms.CategoryUpdateForm(request.POST, prefix=f"c{pk}")
    return _config_write(
        request,
        "categories",
        form,
        lambda d: services.category_update(
            by=request.user,
            category=category,
            name=d["name"],
            start_level=d["start_level"],
            is_active=d["is_active"],
            sort_order=d["sort_order"],
        ),
        f"已保存“{category.name}”",
        "category_update_form",
        category_update_id=category.pk,
    )


@never_cache
@login_required
@require_POST
def config_sla(request: HttpRequest) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    return _config_write(
        request,
        "sla",
        forms.SlaForm(request.POST),
        lambda d: services.sla_set(
            by=request.user,
            category=d["category"],
            priority=d["priority"],
            accept_within=d["accept_within"],
            resolve_within=d["resolve_within"],
            unit=d["unit"],
        ),
        "办理时限已保存",
        "sla_form",
    )


@never_cache
@login_required
@require_POST
def config_rule_create(request: HttpRequest) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    user = request.user
    form = forms.RuleCreateForm(request.POST, places=_config_places(user), organisations=_organisations(user))
    return _config_write(
        request,
        "rules",
        form,
        lambda d: services.routing_rule_create(
            by=user,
            category=d["category"],
            level=d["level"],
            place=d["place"],
            organisation=d["organisation"],
            note=d["note"],
        ),
        "分派规则已添加，之后登记的事件按新规则分派",
        "rule_form",
    )


@never_cache
@login_required
@require_POST
def config_rule_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    user = request.user
    rule = selectors.routing_rule_for(user, pk)
    form = forms.RuleUpdateForm(request.POST, organisations=_organisations(user), prefix=f"r{pk}")
    return _config_write(
        request,
        "rules",
        form,
        lambda d: services.routing_rule_update(
            by=user, rule=rule, organisation=d["organisation"], is_active=d["is_active"], note=d["note"]
        ),
        "分派规则已保存",
        "rule_update_form",
        rule_update_id=rule.pk,
    )


@never_cache
@login_required
@require_POST
def config_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    rule = selectors.routing_rule_for(request.user, pk)
    try:
        services.routing_rule_delete(by=request.user, rule=rule)
    except Forbidden as exc:
        context = _config_context(request, "rules", error=str(exc))
        return render(request, "cases/staff/config.html", context, status=403)
    messages.success(request, "分派规则已删除")
    return redirect(reverse("cases:config") + "?tab=rules")


@never_cache
@login_required
@require_POST
def config_key_create(request: HttpRequest) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    user = request.user
    return _config_write(
        request,
        "keys",
        forms.ApiKeyCreateForm(request.POST, places=_config_places(user)),
        lambda d: services.apikey_create(
            by=user, name=d["name"], rate_per_minute=d["rate_per_minute"], place=d["place"]
        ),
        "接入密钥已创建",
        "key_form",
    )


@never_cache
@login_required
@require_POST
def config_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, caps.CASES_CONFIGURE)
    key = selectors.apikey_for(request.user, pk)
    try:
        services.apikey_revoke(by=request.user, key=key)
    except CaseConflict as exc:
        messages.error(request, exc.message_dict["state"][0])
    except Forbidden as exc:
        context = _config_context(request, "keys", error=str(exc))
        return render(request, "cases/staff/config.html", context, status=403)
    else:
        messages.success(request, f"接入密钥“{key.name}”已吊销，使用它的系统将无法再上报")
    return redirect(reverse("cases:config") + "?tab=keys")
