"""Bulk intake of a property company's daily problem list: upload, then a job page that polls
while the worker reads and files the list (nothing is parsed in the request)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.pages import page_access
from gridgov.cases import bulk, forms
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.transfer.selectors import case_list_job_for, case_list_jobs_for

RECENT_JOBS = 10


# Property staff hold cases.intake for the estates they serve; departments do not file lists.
@never_cache
@page_access("cases:intake")
@require_http_methods(["GET", "POST"])
def bulk_upload(request: AuthedHttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = forms.BulkForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = bulk.bulk_upload(
                    by=request.user,
                    uploaded=form.cleaned_data["file"],
                    all_or_nothing=form.cleaned_data["mode"] == "all",
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            else:
                return redirect("cases:bulk_job", job.pk)
        else:
            status = 400
    else:
        form = forms.BulkForm()
    context = {"form": form, "jobs": case_list_jobs_for(request.user)[:RECENT_JOBS]}
    return render(request, "cases/staff/bulk.html", context, status=status)


def _job_context(request: AuthedHttpRequest, job_id: int) -> dict[str, Any]:
    job = case_list_job_for(request.user, job_id)
    errors = job.errors or []
    return {
        "job": job,
        "created": bulk.job_cases(job.created_ids or []),
        "existing_count": len(job.existing_ids or []),
        "error_rows": [
            {
                "row": e["row"],
                "column": bulk.FIELD_LABELS.get(e["field"], e["field"]),
                "message": e["message"],
            }
            for e in errors
        ],
        "bad_row_count": len({e["row"] for e in errors}),
    }


@never_cache
@page_access("cases:intake")
@require_GET
def bulk_job(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    context = _job_context(request, job_id)
    job = context["job"]
    # A finished list with bad rows and nothing written answers 400, as the upload page did.
    status = 400 if job.status == "done" and context["error_rows"] and not job.written else 200
    return render(request, "cases/staff/bulk_job.html", context, status=status)


@never_cache
@page_access("cases:intake")
@require_GET
def bulk_job_status(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    """The polled part of the job page (htmx): progress while it runs, the report after."""
    return render(request, "cases/staff/_bulk_job_status.html", _job_context(request, job_id))


@page_access("cases:intake")
@require_GET
def bulk_template(request: AuthedHttpRequest) -> HttpResponse:
    response = HttpResponse(
        bulk.template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E9%97%AE%E9%A2%98%E5%8F%8D%E9%A6%88%E6%B8%85%E5%8D%95.xlsx"
    )
    return response
