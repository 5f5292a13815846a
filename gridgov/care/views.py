"""Care pages: the carer's phone (due duties, log a visit), the grid worker's patrol page,
and the staff's coverage pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.models import User
from gridgov.accounts.pages import page_access
from gridgov.care import policy, selectors, services
from gridgov.care.models import PRESET_LABELS, CarerKind, Condition, PatrolResult
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.core.forms import SafeForm, apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.core.storage import photo_response


class VisitForm(SafeForm):
    minutes = forms.IntegerField(
        label="走访时长（分钟）",
        min_value=1,
        max_value=600,
        initial=30,
        error_messages={"required": "请填写走访时长"},
    )
    done = forms.CharField(
        label="做了什么",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写做了什么"},
    )
    health = forms.ChoiceField(label="身体", choices=Condition.choices, initial=Condition.GOOD)
    mood = forms.ChoiceField(label="情绪", choices=Condition.choices, initial=Condition.GOOD)
    home_safety = forms.ChoiceField(label="居家安全", choices=Condition.choices, initial=Condition.GOOD)
    needs = forms.CharField(label="需求", max_length=300, required=False)
    problem = forms.CharField(
        label="发现的问题（填写后一键转为事件）",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@page_access("care:my")
def my(request: AuthedHttpRequest) -> HttpResponse:
    """The carer's phone: duties due (and overdue), and the people they are paired with."""
    return render(
        request,
        "care/my.html",
        {
            "duties": list(selectors.my_due_duties(request.user)),
            "plans": list(selectors.my_plans(request.user)),
            "today": clock.today(),
        },
    )


@page_access("care:plan")
def plan(request: AuthedHttpRequest, plan_id: int) -> HttpResponse:
    care_plan = selectors.plan_for(request.user, plan_id)
    return render(
        request,
        "care/plan.html",
        {
            "plan": care_plan,
            "visits": list(selectors.plan_visits(care_plan)[:50]),
            "allowed": policy.allowed(request.user, care_plan),
            "today": clock.today(),
        },
    )


@login_required
@require_GET
def visit_photo(request: AuthedHttpRequest, plan_id: int, photo_id: int) -> FileResponse:
    """A photo taken at one of the plan's visits, to whoever may see the plan (else not found)."""
    from gridgov.care.models import VisitPhoto

    care_plan = selectors.plan_for(request.user, plan_id)
    item = VisitPhoto.objects.filter(pk=photo_id, visit__plan=care_plan).first()
    if item is None:
        raise NotFound()
    return photo_response(item.file, item.content_type)


@page_access("care:visit")
@require_http_methods(["GET", "POST"])
def visit(request: AuthedHttpRequest, plan_id: int) -> HttpResponse:
    """Log a visit for one of the carer's own plans; a problem found becomes a case."""
    try:
        care_plan = selectors.plan_for_visit(request.user, plan_id)
    except ValidationError:
        raise NotFound() from None
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            logged = services.visit_log(
                by=request.user,
                plan=care_plan,
                visited_at=clock.now(),
                minutes=data["minutes"],
                done=data["done"],
                health=data["health"],
                mood=data["mood"],
                home_safety=data["home_safety"],
                needs=data["needs"],
                problem=data["problem"],
                photos=request.FILES.getlist("photos"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            note = "，发现的问题已转为事件" if logged.case_id else ""
            messages.success(request, f"已登记走访{note}")
            return redirect("care:plan", plan_id=care_plan.pk)
    return render(request, "care/visit.html", {"plan": care_plan, "form": form})


@page_access("care:coverage")
def coverage(request: AuthedHttpRequest) -> HttpResponse:
    """Every tagged resident covered or listed as uncovered; duties on time by grid."""
    rows = selectors.coverage(request.user)
    covered = sum(1 for r in rows if r.covered)
    return render(
        request,
        "care/coverage.html",
        {
            "rows": rows,
            "covered": covered,
            "total": len(rows),
            "uncovered": len(rows) - covered,
            "grids": selectors.duties_by_grid(request.user),
        },
    )


class PlanForm(SafeForm):
    preset = forms.ChoiceField(label="帮扶模板", choices=list(PRESET_LABELS.items()))
    carer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="结对帮扶人", queryset=User.objects.none(), empty_label="请选择"
    )
    kind = forms.ChoiceField(label="帮扶人身份", choices=CarerKind.choices)


@page_access("care:plan_new")
@require_http_methods(["GET", "POST"])
def plan_new(request: AuthedHttpRequest, resident_id: int) -> HttpResponse:
    """建立结对: pair a carer (a volunteer, party member or grid worker with an account) with a resident."""
    from gridgov.accounts.models import User
    from gridgov.people.selectors import resident_for

    resident = resident_for(request.user, resident_id)
    form = PlanForm(request.POST or None)
    # Carers with an account: the resident's grid's volunteers and staff (by the linked resident's home).
    from gridgov.accounts import capabilities as caps
    from gridgov.accounts.scope import scope_q

    form.model_choice_field("carer").queryset = (
        User.objects.filter(is_active=True)
        .filter(
            scope_q(request.user, caps.CARE_MANAGE, field="resident__place__path")
            | scope_q(request.user, caps.CARE_MANAGE, field="assignments__place__path")
        )
        .distinct()
        .order_by("pk")
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_create(
                by=request.user,
                resident=resident,
                preset=form.cleaned_data["preset"],
                carers=[(form.cleaned_data["carer"], form.cleaned_data["kind"])],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已为{resident.name}建立结对帮扶")
            return redirect("care:coverage")
    return render(request, "care/plan_new.html", {"resident": resident, "form": form})


class PatrolForm(SafeForm):
    result = forms.ChoiceField(label="走访结果", choices=PatrolResult.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="情况记录", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    problem = forms.CharField(
        label="发现的问题（填写后转为事件）",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@page_access("care:patrol")
@require_http_methods(["GET", "POST"])
def patrol(request: AuthedHttpRequest) -> HttpResponse:
    """网格巡查走访 on the phone: find the household, record 在家/不在家/拒访, note, raise a case;
    a member found moved away can be marked on the spot (people.services)."""
    q = (request.GET.get("q") or "").strip()[:30]
    household = None
    if request.GET.get("household") or request.POST.get("household"):
        try:
            household = selectors.patrol_household_for(
                request.user, int(request.GET.get("household") or request.POST.get("household") or 0)
            )
        except ValueError:
            raise NotFound() from None
    form = PatrolForm(request.POST or None)
    members = []
    if household is not None:
        from gridgov.people.selectors import household_members

        members = list(household_members(household.pk, current_only=True).select_related("resident"))
    if request.method == "POST" and household is not None and form.is_valid():
        moved = [m for m in members if str(m.pk) in request.POST.getlist("moved_out")]
        try:
            services.patrol_record(
                by=request.user,
                household=household,
                result=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
                problem=form.cleaned_data["problem"],
                moved_out=moved,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已记录走访：{household}")
            return redirect("care:patrol")
    households = list(selectors.patrol_households(request.user, q)[:20]) if q else []
    recent = list(selectors.patrols_for(request.user).filter(worker_id=request.user.pk)[:10])
    return render(
        request,
        "care/patrol.html",
        {
            "q": q,
            "households": households,
            "household": household,
            "members": members,
            "form": form,
            "recent": recent,
        },
    )


@page_access("care:patrol_coverage")
def patrol_coverage(request: AuthedHttpRequest) -> HttpResponse:
    """Households visited this month / households in the grid, per grid worker."""
    raw = request.GET.get("month", "")
    try:
        year, month_no = (int(x) for x in raw.split("-"))
        month = dt.date(year, month_no, 1)
    except ValueError:
        month = timezone.localdate().replace(day=1)
    return render(
        request,
        "care/patrol_coverage.html",
        {
            "month": month,
            "rows": selectors.patrol_coverage(request.user, month),
        },
    )
