"""Pages of the command centre: dashboards, the wall screen, the map, tasks sent down."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.pages import can_open, page_access
from gridgov.cases.selectors import top_categories
from gridgov.command import assessment, periods, policy, reports, selectors, services
from gridgov.command import photos as task_photos
from gridgov.command.models import CHECKLIST_MAX, MEASURES, PHOTOS_PER_ITEM, Outcome, TaskUnit
from gridgov.core.errors import NotFound, error_items
from gridgov.core.forms import SafeForm, apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.core.sheets import xlsx_row
from gridgov.places.models import Place, PlaceKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The wall shows the other apps' charts in two cards that take turns, this long each.
WALL_ROTATE_SECONDS = 12
WALL_ROTATIONS = (("services", "care", "patrol"), ("activities", "consult", "mediation"))


def _period(request: AuthedHttpRequest) -> tuple[periods.Period, dict[str, list[str]]]:
    """The period the query asks for, or (when its from/to are wrong) the default with the
    reasons, so the page can say what was wrong next to the date fields."""
    today = timezone.localdate()
    try:
        return periods.from_query(request.GET, today), {}
    except ValidationError as exc:
        return periods.preset(periods.DEFAULT_DAYS, today), exc.message_dict


def _xlsx(filename: str, sheets: list[tuple[str, list[str], list[list[Any]]]]) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append(xlsx_row(sheet, columns))
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


# --- dashboards -----------------------------------------------------------------------------


@page_access("command:dashboard")
@require_GET
def dashboard_home(request: AuthedHttpRequest) -> HttpResponse:
    place = selectors.home_place(request.user)
    if place is None:
        raise NotFound()
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return redirect(reverse("command:place", args=[place.pk]) + query)


@page_access("command:dashboard")
@require_GET
def dashboard(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    user = request.user
    place = selectors.dashboard_place_for(user, place_id)
    wall = request.GET.get("wall") == "1"
    period, errors = _period(request)
    data = selectors.dashboard(user, place, period=period)
    context = {
        "d": data,
        "place": place,
        "crumbs": selectors.breadcrumbs(user, place),
        "children": selectors.drill_children(place),
        "periods": selectors.PERIODS,
        "period": period,
        "period_errors": errors,
        # Breadcrumbs back up keep the period (and the wall), like drilling down does.
        "crumb_keep": f"?wall=1&{period.query}" if wall else f"?{period.query}",
        "asked": {"from": request.GET.get("from", "")[:20], "to": request.GET.get("to", "")[:20]},
        "charts_json": [chart.as_dict() for chart in data["charts"]],
        "partners": [] if wall else selectors.partners(user, place, since=data["since"], until=data["until"]),
        "wall": wall,
        "wall_rotations": [[c for c in data["charts"] if c.name in names] for names in WALL_ROTATIONS],
        "rotate": WALL_ROTATE_SECONDS,
        "refresh": settings.GRIDGOV_WALL_REFRESH_SECONDS,
        "map_url": reverse("command:map_geo", args=[place.pk]) + ("?wall=1" if wall else ""),
        "tile_url": settings.GRIDGOV_MAP_TILE_URL,
    }
    return render(
        request,
        "command/wall.html" if wall else "command/dashboard.html",
        context,
        status=400 if errors else 200,
    )


@page_access("command:dashboard")
@require_GET
def chart_xlsx(request: AuthedHttpRequest, place_id: int, name: str) -> HttpResponse:
    """One chart's numbers as Excel; `all` gives every chart, one sheet each (the period report)."""
    user = request.user
    place = selectors.dashboard_place_for(user, place_id)
    period, errors = _period(request)
    if errors:
        # A download of the wrong period would be worse than none: say what is wrong instead.
        return HttpResponseBadRequest(
            "；".join(m for messages_ in errors.values() for m in messages_),
            content_type="text/plain; charset=utf-8",
        )
    data = selectors.dashboard(user, place, period=period)
    charts = data["charts"] if name == "all" else [c for c in data["charts"] if c.name == name]
    if not charts:
        raise NotFound()
    sheets = [(chart.title.split("（")[0], chart.columns, chart.rows) for chart in charts]
    if name == "all":
        c = data["cases"]
        r = data["registry"]
        summary = [
            ["人口", r["population"]],
            ["户数", r["households"]],
            ["在册流动人口", r["floating"]],
            [f"{r['floating_label']}流入", r["floating_in"]],
            [f"{r['floating_label']}流出", r["floating_out"]],
            ["受理事件", c["received"]],
            ["办结", c["resolved"]],
            ["超时", c["overdue"]],
            ["按时受理率", c["accept_on_time_rate"]],
            ["按时办结率", c["resolve_on_time_rate"]],
            ["平均受理天数", c["avg_accept_days"]],
            ["平均办结天数", c["avg_resolve_days"]],
            ["满意率", c["satisfaction_rate"]],
            *selectors.app_summary(data["apps"]),
        ]
        sheets.insert(0, ("概况", ["指标", data["period"]], summary))
    label = "报表" if name == "all" else charts[0].title.split("（")[0]
    return _xlsx(f"{place.name}_{label}_{data['period']}.xlsx", sheets)


# --- the map --------------------------------------------------------------------------------


@page_access("command:map")
@require_GET
def map_home(request: AuthedHttpRequest) -> HttpResponse:
    place = selectors.home_place(request.user)
    if place is None:
        raise NotFound()
    return redirect("command:map_place", place.pk)


@page_access("command:map")
@require_GET
def map_page(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    user = request.user
    place = selectors.dashboard_place_for(user, place_id)
    return render(
        request,
        "command/map.html",
        {
            "place": place,
            "crumbs": selectors.breadcrumbs(user, place),
            "categories": top_categories(),
            "map_url": reverse("command:map_geo", args=[place.pk]),
            "tile_url": settings.GRIDGOV_MAP_TILE_URL,
            "can_edit": policy.allowed("boundary_edit", user, place),
        },
    )


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@page_access("command:map")
@require_GET
def map_geo(request: AuthedHttpRequest, place_id: int) -> JsonResponse:
    place = selectors.dashboard_place_for(request.user, place_id)
    layers = selectors.map_layers(
        request.user,
        place,
        category=request.GET.get("category", "")[:40],
        since=_date(request.GET.get("since", "")),
        until=_date(request.GET.get("until", "")),
        wall=request.GET.get("wall") == "1",
    )
    return JsonResponse(layers, json_dumps_params={"ensure_ascii": False})


# --- tasks sent down ------------------------------------------------------------------------


class TaskForm(SafeForm):
    title = forms.CharField(
        label="任务名称", max_length=services.TITLE_MAX, error_messages={"required": "请填写任务名称"}
    )
    place = forms.ModelChoiceField(
        label="下发范围",
        queryset=Place.objects.none(),
        error_messages={"required": "请选择下发范围", "invalid_choice": "请选择下发范围"},
    )
    unit = forms.ChoiceField(label="走访单位", choices=TaskUnit.choices, initial=TaskUnit.HOUSEHOLD)
    checklist = forms.CharField(
        label="检查项（每行一项）",
        required=False,
        max_length=CHECKLIST_MAX * 50,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    deadline = forms.DateTimeField(
        label="完成期限",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": "请填写完成期限", "invalid": "完成期限格式不对"},
    )
    description = forms.CharField(
        label="任务说明",
        required=False,
        max_length=services.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo_asked = forms.BooleanField(label="入户（在家）须拍照", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = selectors.send_target_places(user)


@page_access("command:tasks")
@require_http_methods(["GET", "POST"])
def tasks(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    form = TaskForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.task_send(
                    by=user,
                    place=data["place"],
                    title=data["title"],
                    description=data["description"],
                    unit=data["unit"],
                    checklist=data["checklist"].splitlines(),
                    deadline=data["deadline"],
                    photo_asked=data["photo_asked"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            else:
                messages.success(request, f"已下发“{task.title}”，共{task.item_count}户（栋）")
                return redirect("command:task", task.pk)
        else:
            status = 400
    sent = list(selectors.tasks_sent(user)[:50])
    return render(request, "command/tasks.html", {"form": form, "sent": sent}, status=status)


def _task_context(request: AuthedHttpRequest, task_id: int) -> dict[str, Any]:
    task = selectors.task_for(request.user, task_id)
    progress = selectors.task_progress(task)
    total = sum(g.total for g in progress)
    done = sum(g.done for g in progress)
    return {
        "task": task,
        "progress": progress,
        "total": total,
        "done": done,
        "percent": round(done * 100 / total) if total else 0,
        "poll": settings.GRIDGOV_TASK_POLL_SECONDS,
        "can_remind": policy.allowed("task_remind", request.user, task) and done < total,
        "photos": task_photos.task_photos(task) if task.photo_asked else None,
    }


@page_access("command:tasks")
@require_GET
def task(request: AuthedHttpRequest, task_id: int) -> HttpResponse:
    return render(request, "command/task.html", _task_context(request, task_id))


@page_access("command:tasks")
@require_GET
def task_progress(request: AuthedHttpRequest, task_id: int) -> HttpResponse:
    return render(request, "command/_task_progress.html", _task_context(request, task_id))


@page_access("command:tasks")
@require_POST
def task_remind(request: AuthedHttpRequest, task_id: int) -> HttpResponse:
    task = selectors.task_for(request.user, task_id)
    grids = services.task_remind(by=request.user, task=task)
    messages.success(request, f"已提醒{grids}个网格" if grids else "各网格都已完成，无需催办")
    return redirect("command:task", task.pk)


@page_access("command:tasks")
@require_GET
def task_export(request: AuthedHttpRequest, task_id: int) -> HttpResponse:
    task = selectors.task_for(request.user, task_id)
    checklist = list(task.checklist or [])
    items = list(selectors.task_items(task))
    photo_counts = task_photos.counts(items) if task.photo_asked else {}
    rows = []
    for item in items:
        checks = list(item.checks or [])
        rows.append(
            [
                item.grid.name,
                item.label,
                item.get_outcome_display(),
                *[("是" if checks[i] else "否") if i < len(checks) else "" for i in range(len(checklist))],
                item.note,
                *([photo_counts.get(item.pk, 0)] if task.photo_asked else []),
                timezone.localtime(item.done_at).strftime("%Y-%m-%d %H:%M") if item.done_at else "",
                str(item.done_by or ""),
            ]
        )
    photo_column = ["照片（张）"] if task.photo_asked else []
    columns = ["网格", "户/楼栋", "走访结果", *checklist, "备注", *photo_column, "登记时间", "登记人"]
    return _xlsx(f"{task.title}_走访结果.xlsx", [("走访结果", columns, rows)])


# --- the grid worker's part, on the phone ---------------------------------------------------


@page_access("command:my_tasks")
@require_GET
def my_tasks(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "command/my_tasks.html", {"tasks": selectors.my_tasks(request.user)})


@page_access("command:my_tasks")
@require_GET
def my_task(request: AuthedHttpRequest, task_id: int) -> HttpResponse:
    task = selectors.my_task_for(request.user, task_id)
    items = list(selectors.my_items(request.user, task))
    if task.photo_asked:
        photo_counts = task_photos.counts(items)
        for item in items:
            item.photo_count = photo_counts.get(item.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "command/my_task.html",
        {
            "task": task,
            "photos_max": PHOTOS_PER_ITEM,
            "items": items,
            "done": sum(1 for i in items if i.done_at),
            "outcomes": [(v, label) for v, label in Outcome.choices if v != Outcome.PENDING],
        },
    )


@page_access("command:my_tasks")
@require_POST
def item_tick(request: AuthedHttpRequest, item_id: int) -> JsonResponse:
    """The phone's tick (JSON body, sent now or later from the offline queue)."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"detail": "请求内容无法解析", "errors": []}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"detail": "请求内容无法解析", "errors": []}, status=400)
    checks = body.get("checks") or []
    if not isinstance(checks, list) or len(checks) > CHECKLIST_MAX:
        return JsonResponse({"detail": "检查项格式不对", "errors": []}, status=400)
    try:
        item, changed = services.task_tick(
            by=request.user,
            item_id=item_id,
            outcome=str(body.get("outcome", ""))[:20],
            checks=[bool(v) for v in checks],
            note=str(body.get("note", ""))[: services.NOTE_MAX + 1],
            client_key=str(body.get("client_key", ""))[: services.CLIENT_KEY_MAX + 1],
        )
    except ValidationError as exc:
        items = error_items(exc)
        return JsonResponse(
            {"detail": items[0]["message"], "errors": items},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse(
        {"id": item.pk, "outcome": item.outcome, "label": item.get_outcome_display(), "changed": changed},
        json_dumps_params={"ensure_ascii": False},
    )


@page_access("command:my_tasks")
@require_POST
def item_photo(request: AuthedHttpRequest, item_id: int) -> JsonResponse:
    """One photo of a household's visit (multipart: photo, client_key), from the offline queue."""
    try:
        photo, created = services.task_photo_add(
            by=request.user,
            item_id=item_id,
            upload=request.FILES.get("photo"),
            client_key=str(request.POST.get("client_key", ""))[: services.CLIENT_KEY_MAX + 1],
        )
    except ValidationError as exc:
        items = error_items(exc)
        return JsonResponse(
            {"detail": items[0]["message"], "errors": items},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse({"id": photo.pk, "created": created}, json_dumps_params={"ensure_ascii": False})


@login_required
@require_GET
def photo(request: AuthedHttpRequest, photo_id: int) -> HttpResponse:
    """A visit photo, for the task's sender and the grid's workers only (sealed on disk)."""
    found = task_photos.photo_for(request.user, photo_id)
    response = HttpResponse(task_photos.read(found), content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


# --- emergency broadcasts -------------------------------------------------------------------


class BroadcastForm(SafeForm):
    title = forms.CharField(
        label="标题", max_length=services.BROADCAST_TITLE_MAX, error_messages={"required": "请填写标题"}
    )
    body = forms.CharField(
        label="内容",
        max_length=services.BROADCAST_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写内容"},
    )
    place = forms.ModelChoiceField(
        label="范围",
        queryset=Place.objects.none(),
        error_messages={"required": "请选择范围", "invalid_choice": "请选择范围"},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_choice_field("place").queryset = selectors.send_target_places(user)


@page_access("command:emergency")
@require_http_methods(["GET", "POST"])
def emergency(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    form = BroadcastForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sent = services.broadcast_send(
                    by=user,
                    place=form.cleaned_data["place"],
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            else:
                messages.success(request, f"已向{sent.recipient_count}人发出紧急通知")
                return redirect("command:broadcast", sent.pk)
        else:
            status = 400
    return render(
        request,
        "command/emergency.html",
        {"form": form, "sent": list(selectors.broadcasts_sent(user)[:50])},
        status=status,
    )


@page_access("command:emergency")
@require_GET
def broadcast(request: AuthedHttpRequest, broadcast_id: int) -> HttpResponse:
    found = selectors.broadcast_for(request.user, broadcast_id)
    groups = selectors.broadcast_status(found)
    return render(
        request,
        "command/broadcast.html",
        {
            "b": found,
            "groups": groups,
            "poll": settings.GRIDGOV_TASK_POLL_SECONDS,
            "read": sum(g.read for g in groups),
            "total": sum(g.total for g in groups),
        },
    )


# --- the boundary editor --------------------------------------------------------------------


@page_access("command:boundaries")
@require_GET
def boundaries(request: AuthedHttpRequest, place_id: int) -> HttpResponse:
    user = request.user
    place = selectors.dashboard_place_for(user, place_id)
    return render(
        request,
        "command/boundaries.html",
        {
            "place": place,
            "crumbs": selectors.breadcrumbs(user, place),
            "areas": selectors.editable_areas(user, place),
            "warnings": selectors.boundary_warnings(place),
            "map_url": reverse("command:map_geo", args=[place.pk]),
            "tile_url": settings.GRIDGOV_MAP_TILE_URL,
            "crs": settings.GRIDGOV_MAP_TILE_CRS,
        },
    )


@page_access("command:boundaries")
@require_POST
def boundary_save(request: AuthedHttpRequest, place_id: int) -> JsonResponse:
    """Save one redrawn outline (JSON {"ring": [[lng, lat], …]} in the tiles' system)."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("ring"), list):
        return JsonResponse(
            {"detail": "请求内容无法解析", "errors": []},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    area = Place.objects.filter(pk=place_id, kind__in=(PlaceKind.GRID, PlaceKind.ESTATE)).first()
    if area is None:
        raise NotFound()
    try:
        saved = services.boundary_save(
            by=request.user,
            place=area,
            ring=body["ring"][: services.BOUNDARY_POINTS_MAX + 1],
            crs=settings.GRIDGOV_MAP_TILE_CRS,
        )
    except ValidationError as exc:
        items = error_items(exc)
        return JsonResponse(
            {"detail": items[0]["message"], "errors": items},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    warnings = [w.message for w in selectors.boundary_warnings(saved)]
    return JsonResponse(
        {"id": saved.pk, "name": saved.name, "warnings": warnings}, json_dumps_params={"ensure_ascii": False}
    )


# --- reports (工作月报) ------------------------------------------------------------------------


class ReportForm(SafeForm):
    period = forms.ChoiceField(
        label="统计期",
        choices=[("month", "按月"), ("custom", "自定义时段")],
        initial="month",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择统计期", "invalid_choice": "请选择按月或自定义时段"},
    )
    month = forms.CharField(
        label="月份", required=False, max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )
    since = forms.CharField(
        label="开始日期", required=False, max_length=10, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.CharField(
        label="结束日期", required=False, max_length=10, widget=forms.DateInput(attrs={"type": "date"})
    )
    focus = forms.CharField(
        label="下月工作重点",
        required=False,
        max_length=reports.FOCUS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"下月工作重点不能超过{reports.FOCUS_MAX}个字"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        try:
            if data.get("period") == "custom":
                data["report_period"] = reports.custom_period(
                    data.get("since", ""), data.get("until", ""), today=today
                )
            elif data.get("period") == "month":
                data["report_period"] = reports.month_period(data.get("month", ""), today=today)
            if "focus" in data:
                data["focus"] = reports.clean_focus(data["focus"])
        except ValidationError as exc:
            apply_service_errors(self, exc)
        return data


def _report_request(request: AuthedHttpRequest) -> tuple[ReportForm, Place | None, reports.Report | None]:
    """The form, the place and the report a report URL asks for; a place out of the user's
    scope (or missing, or not a number) is NotFound, a bad period leaves the report None."""
    if "place" not in request.GET:
        last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        return ReportForm(initial={"period": "month", "month": last_month}), None, None
    place = selectors.dashboard_place_for(request.user, request.GET.get("place", "")[:20])
    form = ReportForm(request.GET)
    if not form.is_valid():
        return form, place, None
    report = reports.build(
        request.user, place, form.cleaned_data["report_period"], focus=form.cleaned_data["focus"]
    )
    return form, place, report


def _report_page(
    request: AuthedHttpRequest, form: ReportForm, place: Place | None, report: reports.Report | None
) -> HttpResponse:
    home = selectors.home_place(request.user)
    return render(
        request,
        "command/reports.html",
        {
            "form": form,
            "places": reports.report_places(request.user),
            "chosen": place.pk if place is not None else (home.pk if home else None),
            "report": report,
            "query": request.GET.urlencode(),
        },
        status=400 if place is not None and report is None else 200,
    )


def _report_name(report: reports.Report, extension: str) -> str:
    kind = "月报" if report.period.month else "报表"
    return f"{report.place.name}_{report.period.slug}_{kind}.{extension}"


@page_access("command:reports")
@require_GET
def reports_page(request: AuthedHttpRequest) -> HttpResponse:
    form, place, report = _report_request(request)
    return _report_page(request, form, place, report)


@page_access("command:report_xlsx")
@require_GET
def report_xlsx(request: AuthedHttpRequest) -> HttpResponse:
    form, place, report = _report_request(request)
    if report is None:
        return _report_page(request, form, place, report)
    response = HttpResponse(reports.report_xlsx(report), content_type=XLSX)
    response["Content-Disposition"] = (
        content_disposition_header(True, _report_name(report, "xlsx")) or "attachment"
    )
    return response


@page_access("command:report_pdf")
@require_GET
def report_pdf(request: AuthedHttpRequest) -> HttpResponse:
    form, place, report = _report_request(request)
    if report is None:
        return _report_page(request, form, place, report)
    try:
        content = reports.report_pdf(report)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _report_page(request, form, place, None)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(True, _report_name(report, "pdf")) or "attachment"
    )
    return response


# --- assessment -----------------------------------------------------------------------------


def _month(request: AuthedHttpRequest) -> dt.date:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


@page_access("command:assessment")
@require_GET
def assessment_page(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    month = _month(request)
    place = selectors.home_place(user) if policy_views(user) else None
    ranking = assessment.worker_scores(user, place, month=month) if place is not None else []
    communities: dict[str, list[assessment.WorkerScore]] = {}
    for worker in ranking:
        communities.setdefault(worker.community, []).append(worker)
    return render(
        request,
        "command/assessment.html",
        {
            "month": month,
            "place": place,
            "communities": sorted(communities.items()),
            "mine": assessment.my_scores(user, month=month),
            "rule": assessment.current_rule(),
            "can_configure": can_open(user, "command:assessment_rules"),
        },
    )


def policy_views(user: Any) -> bool:
    return bool(selectors.dashboard_roots(user))


class RuleForm(SafeForm):
    patrol_target = forms.IntegerField(
        label="每月巡查上报目标（件）",
        min_value=1,
        max_value=1000,
        error_messages={
            "required": "请填写每月巡查上报目标",
            "invalid": "请填写整数",
            "min_value": "目标至少1件",
            "max_value": "目标最多1000件",
        },
    )
    bands = forms.CharField(
        label="评分档次（每行“分数线 名称”，如“90 优秀”）",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写评分档次"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in MEASURES.items():
            self.fields[f"w_{code}"] = forms.IntegerField(
                label=f"权重：{label}",
                min_value=0,
                max_value=100,
                error_messages={
                    "required": f"请填写“{label}”的权重",
                    "invalid": "请填写整数",
                    "min_value": "权重不能小于0",
                    "max_value": "权重不能大于100",
                },
            )

    def parsed_bands(self) -> list[tuple[int, str]]:
        bands = []
        for line in self.cleaned_data["bands"].splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[0].isdigit():
                raise ValidationError({"bands": [f"看不懂这一行：“{line.strip()}”，应写成“90 优秀”"]})
            bands.append((int(parts[0]), parts[1]))
        return bands


@page_access("command:assessment_rules")
@require_http_methods(["GET", "POST"])
def assessment_rules(request: AuthedHttpRequest) -> HttpResponse:
    rule = assessment.current_rule()
    initial: dict[str, Any] = {
        "patrol_target": rule.patrol_target,
        "bands": "\n".join(f"{floor} {label}" for floor, label in rule.bands),
        **{f"w_{code}": (rule.weights or {}).get(code, 0) for code in MEASURES},
    }
    form = RuleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.assessment_configure(
                    by=request.user,
                    weights={code: form.cleaned_data[f"w_{code}"] for code in MEASURES},
                    bands=form.parsed_bands(),
                    patrol_target=form.cleaned_data["patrol_target"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            else:
                messages.success(request, "考核规则已保存")
                return redirect("command:assessment")
        else:
            status = 400
    return render(request, "command/assessment_rules.html", {"form": form}, status=status)
