"""吹哨 on its own page: the form with its errors at the top and beside each field, posted with
redirect-after-post so the address bar always shows a page that can be reloaded or shared.

The case page's 吹哨 form posts here too (it is routed before the generic action URL): a mistake
there lands on this page, not on a POST-only URL with the message below twenty checkboxes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from gridgov.accounts.pages import page_access
from gridgov.cases import forms, selectors, services
from gridgov.cases.models import Case
from gridgov.cases.services import CaseConflict
from gridgov.cases.views._common import _organisations
from gridgov.core.errors import Forbidden
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest

# The posted values of a failed attempt, kept for the one GET that shows them again.
_RETRY_KEY = "cases.whistle.retry.{pk}"
_FIELDS = ("organisations", "deadline", "note")


def _form(user: Any, case: Case, data: Any = None) -> forms.WhistleForm:
    return forms.WhistleForm(data, organisations=_organisations(user), auto_id="whistle_%s")


def _render(request: AuthedHttpRequest, case: Case, form: forms.WhistleForm, status: int = 200) -> HttpResponse:
    errors = [str(e) for e in form.non_field_errors()] + [
        f"{form.fields[name].label}：{error}" for name, field_errors in form.errors.items() if name != "__all__"
        for error in field_errors
    ]
    return render(
        request,
        "cases/staff/whistle.html",
        {"case": case, "form": form, "errors": errors, "first_error": next(iter(form.errors), "")},
        status=status,
    )


@never_cache
@page_access("cases:workbench")
@require_http_methods(["GET", "POST"])
def whistle(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """GET: the form (with the last failed attempt's values and errors); POST: 吹哨, then back to
    the case, or back here (303) with the errors."""
    user = request.user
    case = selectors.case_for(user, pk, for_write=True)
    if "whistle" not in selectors.allowed_actions(user, case):
        raise Forbidden("您不能对该事件吹哨")
    key = _RETRY_KEY.format(pk=case.pk)
    if request.method == "GET":
        retry = request.session.pop(key, None)
        if retry is None:
            return _render(request, case, _form(user, case))
        data = QueryDict(mutable=True)
        for name, values in retry["data"].items():
            data.setlist(name, values)
        form = _form(user, case, data)
        form.is_valid()
        # What the service refused (a deadline already past …) is not in the form's own checks.
        for name, field_messages in retry.get("errors", {}).items():
            for message in field_messages:
                if message not in form.errors.get(name, []):
                    form.add_error(name if name in form.fields else None, message)
        return _render(request, case, form, status=200)
    form = _form(user, case, request.POST)
    service_errors: dict[str, list[str]] = {}
    if form.is_valid():
        try:
            services.case_whistle(
                by=user,
                case=case,
                organisations=list(form.cleaned_data["organisations"]),
                deadline=form.cleaned_data["deadline"],
                note=form.cleaned_data["note"],
            )
        except CaseConflict as exc:
            service_errors = {"__all__": [str(m) for m in exc.message_dict.get("state", [])]}
        except ValidationError as exc:
            apply_service_errors(form, exc)
            service_errors = {name: [str(m) for m in messages_] for name, messages_ in form.errors.items()}
        else:
            messages.success(request, f"{case.tracking_code}：已吹哨呼叫部门")
            return redirect("cases:detail", case.pk)
    request.session[key] = {
        "data": {name: request.POST.getlist(name) for name in _FIELDS},
        "errors": service_errors,
    }
    response = HttpResponseRedirect(reverse("cases:whistle", args=[case.pk]))
    response.status_code = 303  # "see other": the browser GETs the form page, never re-POSTs
    return response
