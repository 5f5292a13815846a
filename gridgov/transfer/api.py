"""Import and export over JSON: upload a file, poll the check, choose, download lists as .xlsx."""

from __future__ import annotations

import datetime as dt
import io
from typing import Literal

from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.accounts.services import client_ip
from gridgov.core.errors import Forbidden
from gridgov.core.http import api_user
from gridgov.transfer import columns, selectors, services
from gridgov.transfer.models import ImportJob
from gridgov.transfer.views import XLSX

router = Router(tags=["导入导出"])
ERRORS_IN_RESPONSE = 500


class RowErrorOut(Schema):
    row: int
    column: str
    message: str
    name: str


class ImportJobOut(Schema):
    id: int
    status: str
    status_label: str
    kind: str
    place: int
    place_name: str
    original_name: str
    total_rows: int
    checked_rows: int
    good_rows: int
    bad_rows: int
    processed_rows: int
    skipped_rows: int
    places_created: int
    households_created: int
    households_updated: int
    residents_created: int
    residents_updated: int
    residents_unchanged: int
    percent: int
    message: str
    warnings: list[str]
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error_count: int
    errors: list[RowErrorOut]


class ConfirmIn(Schema):
    mode: Literal["good_rows", "nothing"]


class ResidentExportFilter(Schema):
    place: int | None = None
    q: str = ""
    tag: str | None = None
    status: str | None = None


class HouseholdExportFilter(Schema):
    place: int | None = None


class FloatingExportFilter(Schema):
    place: int | None = None
    active: Literal["active", "inactive", "all"] = "active"


class Unmasking(Schema):
    # Only in a POST body: a full-number export in a URL would sit in logs and browser history,
    # and a link on any page could make a signed-in browser run one.
    unmasked: bool = False
    purpose: str = Field("", max_length=200, description="导出完整号码的用途（记入审计）")


class ResidentExportIn(ResidentExportFilter, Unmasking):
    pass


class HouseholdExportIn(HouseholdExportFilter, Unmasking):
    pass


class FloatingExportIn(FloatingExportFilter, Unmasking):
    pass


def _job_out(job: ImportJob, errors: tuple[int, list[dict[str, object]]] | None = None) -> dict:
    if errors is None:
        found = selectors.job_errors(job)
        first = found.values("row", "column", "message", "name")[:ERRORS_IN_RESPONSE]
        errors = (found.count(), [dict(row) for row in first])
    return {
        **{name: getattr(job, name) for name in ImportJobOut.model_fields if hasattr(job, name)},
        "status_label": job.get_status_display(),
        "place": job.place_id,
        "place_name": job.place.name,
        "error_count": errors[0],
        "errors": errors[1],
    }


@router.get("/imports/template", summary="下载导入模板（.xlsx 或 .csv）")
def import_template(
    request: HttpRequest,
    kind: Literal["residents", "buildings"] = "residents",
    format: Literal["xlsx", "csv"] = "xlsx",
):
    if not (selectors.can_import(api_user(request)) or selectors.can_export(api_user(request))):
        raise Forbidden("您没有导入人房数据的权限")
    if format == "csv":
        return FileResponse(
            io.BytesIO(columns.template_csv(kind)),
            as_attachment=True,
            filename=f"{kind}_template.csv",
            content_type="text/csv; charset=utf-8",
        )
    return FileResponse(
        io.BytesIO(columns.template_xlsx(kind)),
        as_attachment=True,
        filename=f"{kind}_template.xlsx",
        content_type=XLSX,
    )


@router.get("/imports", response=list[ImportJobOut], summary="最近的导入任务")
def import_list(request: HttpRequest):
    jobs = list(selectors.import_jobs_for(api_user(request))[:50])
    errors = selectors.jobs_errors(jobs, ERRORS_IN_RESPONSE)
    return [_job_out(job, errors[job.pk]) for job in jobs]


@router.post("/imports", response={201: ImportJobOut}, summary="上传导入文件（先逐行检查，不写入）")
def import_create(
    request: HttpRequest,
    place: Form[int],
    file: File[UploadedFile],
    kind: Form[Literal["residents", "buildings"]] = "residents",
):
    target = selectors.import_place_for(api_user(request), place)
    job = services.import_upload(by=api_user(request), place=target, kind=kind, uploaded=file)
    return Status(201, _job_out(selectors.import_job_for(api_user(request), job.pk)))


@router.get("/imports/{job_id}", response=ImportJobOut, summary="导入任务的进度与检查报告")
def import_status(request: HttpRequest, job_id: int):
    return _job_out(selectors.import_job_for(api_user(request), job_id))


@router.post("/imports/{job_id}/confirm", response=ImportJobOut, summary="选择：只导入正确的行，或全部不导入")
def import_confirm(request: HttpRequest, job_id: int, payload: ConfirmIn):
    job = selectors.import_job_for(api_user(request), job_id)
    services.import_confirm(by=api_user(request), job=job, mode=payload.mode)
    return _job_out(selectors.import_job_for(api_user(request), job_id))


def _file(result: services.ExportFile) -> FileResponse:
    return FileResponse(result.handle, as_attachment=True, filename=result.filename, content_type=XLSX)


def _export_residents(request: HttpRequest, filters: ResidentExportFilter, unmasked: bool, purpose: str):
    place = selectors.export_place_for(api_user(request), filters.place) if filters.place else None
    return _file(
        services.export_residents(
            by=api_user(request),
            q=filters.q,
            place=place,
            tag=filters.tag,
            status=filters.status,
            unmasked=unmasked,
            purpose=purpose,
            ip=client_ip(request),
        )
    )


def _export_households(request: HttpRequest, filters: HouseholdExportFilter, unmasked: bool, purpose: str):
    place = selectors.export_place_for(api_user(request), filters.place) if filters.place else None
    return _file(
        services.export_households(
            by=api_user(request), place=place, unmasked=unmasked, purpose=purpose, ip=client_ip(request)
        )
    )


def _export_floating(request: HttpRequest, filters: FloatingExportFilter, unmasked: bool, purpose: str):
    place = selectors.export_place_for(api_user(request), filters.place) if filters.place else None
    active = {"active": True, "inactive": False, "all": None}[filters.active]
    return _file(
        services.export_floating(
            by=api_user(request),
            place=place,
            active=active,
            unmasked=unmasked,
            purpose=purpose,
            ip=client_ip(request),
        )
    )


@router.get("/exports/residents", summary="导出居民名单（.xlsx，脱敏）")
def export_residents(request: HttpRequest, filters: Query[ResidentExportFilter]):
    return _export_residents(request, filters, False, "")


@router.post("/exports/residents", summary="导出居民名单（.xlsx；unmasked 导出完整号码，须填用途）")
def export_residents_post(request: HttpRequest, payload: ResidentExportIn):
    return _export_residents(request, payload, payload.unmasked, payload.purpose)


@router.get("/exports/households", summary="导出户信息（.xlsx，脱敏）")
def export_households(request: HttpRequest, filters: Query[HouseholdExportFilter]):
    return _export_households(request, filters, False, "")


@router.post("/exports/households", summary="导出户信息（.xlsx；unmasked 导出户主完整手机号，须填用途）")
def export_households_post(request: HttpRequest, payload: HouseholdExportIn):
    return _export_households(request, payload, payload.unmasked, payload.purpose)


@router.get("/exports/floating", summary="导出流动人口（.xlsx，脱敏）")
def export_floating(request: HttpRequest, filters: Query[FloatingExportFilter]):
    return _export_floating(request, filters, False, "")


@router.post("/exports/floating", summary="导出流动人口（.xlsx；unmasked 导出完整号码，须填用途）")
def export_floating_post(request: HttpRequest, payload: FloatingExportIn):
    return _export_floating(request, payload, payload.unmasked, payload.purpose)
