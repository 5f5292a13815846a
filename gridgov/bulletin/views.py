"""Pages: residents read and confirm on the phone; staff write, publish and follow receipts on the PC."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import has_capability
from gridgov.bulletin import policy, selectors, services
from gridgov.bulletin.forms import ColumnForm, NoticeForm, UploadForm
from gridgov.bulletin.models import Notice, NoticeState
from gridgov.core.errors import NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest

PAGE_SIZE = 20


@page_access("bulletin:index")
@require_GET
def index(request: AuthedHttpRequest) -> HttpResponse:
    if not request.user.resident_id and selectors.is_staff_reader(request.user):
        return redirect("bulletin:staff")
    column = None
    if request.GET.get("column", "").isdigit():
        try:
            column = selectors.column_for(int(request.GET["column"]))
        except NotFound:
            column = None
    page = Paginator(selectors.notices_for_resident(request.user, column=column), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "bulletin/index.html",
        {
            "page": page,
            "columns": list(selectors.columns()),
            "column": column,
        },
    )


@page_access("bulletin:index")
@require_GET
def detail(request: AuthedHttpRequest, notice_id: int) -> HttpResponse:
    if not request.user.resident_id and selectors.is_staff_reader(request.user):
        return redirect("bulletin:staff_detail", notice_id=notice_id)
    notice = selectors.notice_for(request.user, notice_id)
    return render(
        request,
        "bulletin/detail.html",
        {
            "notice": notice,
            "files": selectors.notice_files(notice),
            "confirmed": selectors.resident_confirmed(request.user, notice),
            "actions": policy.allowed(request.user, notice),
        },
    )


@page_access("bulletin:index")
@require_POST
def confirm(request: AuthedHttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.notice_for(request.user, notice_id)
    services.notice_confirm(by=request.user, notice=notice)
    messages.success(request, "已确认阅读，谢谢！")
    return redirect("bulletin:detail", notice_id=notice.pk)


@login_required
@require_GET
def file(request: AuthedHttpRequest, file_id: int) -> FileResponse:
    item = selectors.file_for(request.user, file_id)
    response = FileResponse(
        item.file.open("rb"),
        content_type=item.content_type,
        as_attachment=item.kind == "attachment",
        filename=item.original_name or "file",
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- staff ------------------------------------------------------------------------------


@page_access("bulletin:staff")
@require_GET
def staff(request: AuthedHttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in NoticeState.values:
        state = ""
    page = Paginator(selectors.notices_for_staff(request.user, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "bulletin/staff_list.html",
        {
            "page": page,
            "state": state,
            "states": NoticeState.choices,
            "can_write": policy.may_publish_somewhere(request.user),
            "can_columns": policy.may_manage_columns(request.user),
        },
    )


def _form_kwargs(notice: Notice) -> dict:
    return {
        "column": notice.column_id,
        "place": notice.place_id,
        "title": notice.title,
        "summary": notice.summary,
        "body_html": notice.body_html,
        "targets": [t.place_id for t in notice.targets.all()],
        "tags": list(notice.target_tags.values_list("pk", flat=True)),
        "pinned": notice.pinned,
        "needs_receipt": notice.needs_receipt,
        "publish_at": notice.publish_at,
        "expires_at": notice.expires_at,
    }


def _save(request: AuthedHttpRequest, form: NoticeForm, notice: Notice | None) -> Notice | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.notice_save(
            by=request.user,
            notice=notice,
            column=data["column"],
            place=data["place"],
            title=data["title"],
            summary=data["summary"],
            body_html=data["body_html"],
            targets=list(data["targets"]),
            tags=list(data["tags"]),
            pinned=data["pinned"],
            needs_receipt=data["needs_receipt"],
            publish_at=data["publish_at"],
            expires_at=data["expires_at"],
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None


@page_access("bulletin:compose")
def compose(request: AuthedHttpRequest) -> HttpResponse:
    places = selectors.target_choices(request.user)
    form = NoticeForm(request.POST or None, places=places)
    if request.method == "POST":
        notice = _save(request, form, None)
        if notice is not None:
            messages.success(request, "草稿已保存，可上传图片和附件后发布")
            return redirect("bulletin:staff_detail", notice_id=notice.pk)
    return render(request, "bulletin/compose.html", {"form": form, "notice": None})


@page_access("bulletin:compose")
def edit(request: AuthedHttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.notice_for(request.user, notice_id)
    policy.check("edit", request.user, notice)
    places = selectors.target_choices(request.user)
    form = NoticeForm(request.POST or None, initial=_form_kwargs(notice), places=places)
    if request.method == "POST":
        saved = _save(request, form, notice)
        if saved is not None:
            messages.success(request, "已保存")
            return redirect("bulletin:staff_detail", notice_id=notice.pk)
    return render(request, "bulletin/compose.html", {"form": form, "notice": notice})


@page_access("bulletin:staff")
def staff_detail(request: AuthedHttpRequest, notice_id: int) -> HttpResponse:
    notice = selectors.notice_for(request.user, notice_id)
    actions = policy.allowed(request.user, notice)
    upload = UploadForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "publish":
                notice = services.notice_publish(by=request.user, notice=notice)
                messages.success(
                    request, "已定时" if notice.state == NoticeState.SCHEDULED else "已发布，并推送到相关群"
                )
            elif action == "withdraw":
                services.notice_withdraw(by=request.user, notice=notice)
                messages.success(request, "已撤回")
            elif action == "remind":
                count = services.notice_remind_unread(by=request.user, notice=notice)
                messages.success(request, f"已提醒{count}位未读居民")
            elif action == "upload":
                upload = UploadForm(request.POST, request.FILES)
                if upload.is_valid():
                    services.notice_add_file(
                        by=request.user,
                        notice=notice,
                        upload=upload.cleaned_data["file"],
                        kind=upload.cleaned_data["kind"],
                    )
                    messages.success(request, "已上传")
                    return redirect("bulletin:staff_detail", notice_id=notice.pk)
            if action != "upload":
                return redirect("bulletin:staff_detail", notice_id=notice.pk)
        except ValidationError as exc:
            if action == "upload":
                apply_service_errors(upload, exc)
            else:
                messages.error(request, "；".join(exc.messages))
                return redirect("bulletin:staff_detail", notice_id=notice.pk)
    receipts = selectors.receipts_by_building(request.user, notice) if "receipts" in actions else []
    return render(
        request,
        "bulletin/staff_detail.html",
        {
            "notice": notice,
            "actions": actions,
            "files": selectors.notice_files(notice),
            "targets": selectors.notice_targets(notice),
            "tags": list(notice.target_tags.all()),
            "receipts": receipts,
            "upload": upload,
            "unread_total": sum(len(row.unread) for row in receipts),
            # Full numbers only through the registry's audited reveal, for those who may see them.
            "can_reveal": has_capability(request.user, caps.REGISTRY_PII),
        },
    )


@page_access("bulletin:columns")
def columns(request: AuthedHttpRequest) -> HttpResponse:
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = selectors.column_for(int(request.GET["edit"]))
    initial = (
        {
            "name": editing.name,
            "description": editing.description,
            "sort_order": editing.sort_order,
            "is_active": editing.is_active,
        }
        if editing
        else None
    )
    form = ColumnForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.column_save(by=request.user, column=editing, **form.cleaned_data)
            messages.success(request, "栏目已保存")
            return redirect("bulletin:columns")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(
        request,
        "bulletin/columns.html",
        {
            "form": form,
            "editing": editing,
            "columns": list(selectors.columns(active_only=False)),
        },
    )
