"""The case page, its timeline, and one POST endpoint per action the policy allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.cases import forms, selectors, services
from gridgov.cases import routing as routing_defaults
from gridgov.cases.models import (
    OPEN_STATES,
    Case,
    CaseAttachment,
    Level,
)
from gridgov.cases.services import CaseConflict
from gridgov.cases.services.reporter import reach_words
from gridgov.cases.templatetags.cases_staff import due_info
from gridgov.cases.views._common import (
    _organisations,
)
from gridgov.core.errors import Forbidden, NotFound, field_error
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.places.selectors import place_breadcrumbs


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
    "accept_start": Action(
        "受理并处置",
        "",
        _simple(forms.StartForm),
        lambda by, case, d: services.case_accept_start(by=by, case=case, note=d["note"]),
        "已受理并开始处置",
    ),
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
    "urge": Action(
        "催办",
        "",
        _simple(forms.StartForm),
        lambda by, case, d: services.case_urge(by=by, case=case, note=d["note"]),
        "已催办，已通知承办人及其上级",
    ),
    "supervise": Action(
        "督办",
        "u",
        _simple(forms.SuperviseForm),
        lambda by, case, d: services.case_supervise(by=by, case=case, note=d["note"]),
        "已督办",
    ),
    "publish": Action(
        "公开摘要",
        "g",
        lambda user, case, *args, **kw: forms.PublishForm(
            *args, initial={"summary": case.public_summary}, **kw
        ),
        lambda by, case, d: services.case_publish_summary(by=by, case=case, summary=d["summary"]),
        "公开摘要已更新",
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
    "accept_start",
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
    "urge",
    "publish",
]


def _detail_context(
    request: AuthedHttpRequest,
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


@page_access("cases:workbench")
@require_GET
def detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for(request.user, pk, for_write=True)
    return render(request, "cases/staff/detail.html", _detail_context(request, case))


@never_cache
@page_access("cases:workbench")
@require_POST
def act(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on a case. Failure re-renders the case page with the Chinese message next to
    the form: 400 for bad input, 403 for the wrong person, 409 when the case moved on."""
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
            done = spec.done
            if action in ("resolve", "reject"):
                # Say what was actually sent, not what we hoped: an anonymous reporter without a
                # phone number hears nothing.
                done = (
                    f"{'已办结' if action == 'resolve' else '已作不予受理处理'}，{reach_words(case, by=user)}"
                )
            messages.success(request, f"{case.tracking_code}：{done}")
            if action == "urge" and request.POST.get("back") == "overdue":
                # 催办 from the overdue list: back to the list, where the next late case is.
                return redirect(f"{reverse('cases:workbench')}?tab=overdue")
            if not selectors.staff_cases(user).filter(pk=case.pk).exists():
                # Handed back out of this user's reach (an organisation returning a case …).
                return redirect("cases:workbench")
            # Back to the top, where the success message is (the timeline is one scroll away).
            return redirect(reverse("cases:detail", args=[case.pk]))
    case = selectors.case_for(user, pk, for_write=True)
    context = _detail_context(request, case, failed=action, failed_form=form)
    return render(request, "cases/staff/detail.html", context, status=status)


@login_required
@require_GET
def attachment(request: AuthedHttpRequest, pk: int) -> FileResponse:
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
