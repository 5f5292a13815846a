"""Bulk intake of a property company's daily problem list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts import capabilities as caps
from gridgov.cases import bulk, forms
from gridgov.cases.views._common import (
    _require,
)
from gridgov.core.forms import apply_service_errors


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
