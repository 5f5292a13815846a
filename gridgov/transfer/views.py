"""Import/export pages: thin; reads through transfer.selectors, writes through transfer.services."""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import require_page
from gridgov.accounts.scope import has_capability
from gridgov.accounts.services import client_ip
from gridgov.core.errors import Forbidden, error_items
from gridgov.core.http import AuthedHttpRequest
from gridgov.core.sheets import xlsx_row
from gridgov.people.models import ResidenceStatus
from gridgov.people.selectors import active_tags
from gridgov.transfer import columns, selectors, services
from gridgov.transfer.models import ImportKind

ERRORS_ON_PAGE = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _require_transfer_user(request: HttpRequest) -> None:
    require_page(request.user, "transfer:index")


def _index(
    request: AuthedHttpRequest,
    *,
    upload_errors: list[dict[str, str]] | None = None,
    export_errors: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_import = selectors.can_import(user)
    can_export = selectors.can_export(user)
    can_geo = has_capability(user, caps.PLACES_MANAGE)
    context = {
        "can_import": can_import,
        "can_export": can_export,
        "can_geo": can_geo,
        "can_unmask": selectors.can_export_unmasked(user),
        "import_places": selectors.place_choices(user, caps.REGISTRY_IMPORT) if can_import else [],
        "export_places": selectors.place_choices(user, caps.REGISTRY_EXPORT) if can_export else [],
        "jobs": selectors.import_jobs_for(user)[:20] if can_import else [],
        "kinds": ImportKind.choices,
        "tags": active_tags(),
        "statuses": ResidenceStatus.choices,
        "columns": columns.COLUMNS,
        "required": set(columns.REQUIRED[ImportKind.RESIDENTS]),
        "upload_errors": upload_errors or [],
        "export_errors": export_errors or [],
        "form": request.POST if request.method == "POST" else request.GET,
        "max_mb": f"{settings.GRIDGOV_UPLOAD_MAX_BYTES // (1024 * 1024)} MB",
    }
    return render(request, "transfer/index.html", context, status=status)


@login_required
@require_GET
def index(request: AuthedHttpRequest) -> HttpResponse:
    _require_transfer_user(request)
    return _index(request)


@login_required
@require_GET
def template_download(request: AuthedHttpRequest) -> HttpResponse | FileResponse:
    _require_transfer_user(request)
    kind = request.GET.get("kind", ImportKind.RESIDENTS)
    if kind not in ImportKind.values:
        kind = ImportKind.RESIDENTS
    label = "居民导入模板" if kind == ImportKind.RESIDENTS else "楼栋和户导入模板"
    if request.GET.get("format") == "csv":
        content, filename, content_type = (
            columns.template_csv(kind),
            f"{label}.csv",
            "text/csv; charset=utf-8",
        )
    else:
        content, filename, content_type = columns.template_xlsx(kind), f"{label}.xlsx", XLSX
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type)


@login_required
@require_POST
def upload(request: AuthedHttpRequest) -> HttpResponse:
    place_id = _int(request.POST.get("place"))
    if place_id is None:
        return _index(
            request, upload_errors=[{"field": "place", "message": "请选择导入到哪个地点"}], status=400
        )
    place = selectors.import_place_for(request.user, place_id)
    try:
        job = services.import_upload(
            by=request.user,
            place=place,
            kind=request.POST.get("kind", ImportKind.RESIDENTS),
            uploaded=request.FILES.get("file"),
        )
    except ValidationError as exc:
        return _index(request, upload_errors=error_items(exc), status=400)
    return redirect("transfer:job", job.pk)


def _job_context(request: AuthedHttpRequest, job_id: int) -> dict[str, Any]:
    job = selectors.import_job_for(request.user, job_id)
    errors = selectors.job_errors(job)
    return {
        "job": job,
        "errors": errors[:ERRORS_ON_PAGE],
        "error_count": errors.count() if not job.is_active else 0,
        "errors_shown": ERRORS_ON_PAGE,
    }


@login_required
@require_GET
def job(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    return render(request, "transfer/job.html", _job_context(request, job_id))


@login_required
@require_GET
def job_status(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    """The polled part of the job page (htmx): progress while running, the report after."""
    return render(request, "transfer/_job_status.html", _job_context(request, job_id))


@login_required
@require_POST
def job_confirm(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_for(request.user, job_id)
    try:
        job = services.import_confirm(by=request.user, job=job, mode=request.POST.get("mode", ""))
    except ValidationError as exc:
        for item in error_items(exc):
            messages.error(request, item["message"])
    else:
        messages.success(request, "已开始导入" if job.status != "cancelled" else "已取消，没有导入任何数据")
    return redirect("transfer:job", job.pk)


@login_required
@require_GET
def job_errors(request: AuthedHttpRequest, job_id: int) -> HttpResponse | FileResponse:
    """Every bad row as a spreadsheet, for fixing the file in Excel."""
    from openpyxl import Workbook

    job = selectors.import_job_for(request.user, job_id)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误报告")
    if job.source_columns:
        # The bad rows as uploaded, under the same headings, the reasons in a last column: fix
        # them here and upload this very file again.
        sheet.append(xlsx_row(sheet, [*job.source_columns, "错误原因（改正后可删除此列再上传）"]))
        for row in selectors.job_error_rows(job):
            sheet.append(xlsx_row(sheet, [*row.cells, row.reasons]))
    else:
        # Checked before the rows were kept: row numbers and reasons only.
        sheet.append(xlsx_row(sheet, ["行号", "姓名", "列", "原因"]))
        for error in selectors.job_errors(job).iterator(chunk_size=2000):
            # The name and the message quote the uploaded cell: text, never a formula.
            sheet.append(xlsx_row(sheet, [error.row, error.name, error.column, error.message]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    stem = PurePath(job.original_name).stem or "导入文件"
    return FileResponse(buffer, as_attachment=True, filename=f"错误报告_{stem}.xlsx", content_type=XLSX)


def _flag(value: Any) -> bool:
    return str(value or "").lower() in {"1", "true", "on", "yes"}


@login_required
@require_http_methods(["GET", "POST"])
def export(request: AuthedHttpRequest, what: str) -> HttpResponse | FileResponse:
    """Download a registry list as .xlsx; masked unless the user may and asks (with a purpose),
    which only a POST from the page (CSRF-checked) can: a GET link is always masked."""
    params = request.POST if request.method == "POST" else request.GET
    unmasked = request.method == "POST" and _flag(params.get("unmasked"))
    place = None
    if params.get("place"):
        place_id = _int(params.get("place"))
        if place_id is None:
            return _index(request, export_errors=[{"field": "place", "message": "地点无效"}], status=400)
        place = selectors.export_place_for(request.user, place_id)
    common: dict[str, Any] = {
        "by": request.user,
        "place": place,
        "unmasked": unmasked,
        "purpose": params.get("purpose", "") if unmasked else "",
        "ip": client_ip(request),
    }
    try:
        if what == "residents":
            result = services.export_residents(
                q=params.get("q", ""),
                tag=params.get("tag") or None,
                status=params.get("status") or None,
                **common,
            )
        elif what == "households":
            result = services.export_households(**common)
        else:
            active = {"active": True, "inactive": False, "all": None}.get(
                params.get("active", "active"), True
            )
            result = services.export_floating(active=active, **common)
    except ValidationError as exc:
        return _index(request, export_errors=error_items(exc), status=400)
    except Forbidden as exc:
        if not selectors.can_export(request.user):
            raise
        return _index(request, export_errors=[{"field": "unmasked", "message": str(exc)}], status=403)
    return FileResponse(result.handle, as_attachment=True, filename=result.filename, content_type=XLSX)


def geojson_moved(request: HttpRequest) -> HttpResponse:
    """GeoJSON boundaries moved to the places app (/places/geojson/); 308 keeps a POST a POST,
    so an old bookmark or a script posting here still imports."""
    return redirect("places:geojson", permanent=True, preserve_request=True)
