"""生活快车 pages: thin over selectors and services. Phone pages for residents and providers,
PC pages for staff; every button comes from `policy.allowed`."""

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

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import capabilities_anywhere, is_unrestricted
from gridgov.core import clock
from gridgov.core.errors import NotFound, field_error
from gridgov.core.forms import SafeForm, apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.core.storage import photo_response
from gridgov.orgs.models import Organisation
from gridgov.people.selectors import resident_for
from gridgov.services import policy, selectors, services
from gridgov.services.models import OrderChannel, OrderState, ServiceItem

DURATIONS = [(1, "1小时内"), (2, "2小时内"), (4, "半天"), (8, "一天")]


class OrderForm(SafeForm):
    window_start = forms.DateTimeField(
        label="期望服务时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
        error_messages={"required": "请选择期望服务时间", "invalid": "期望服务时间格式无效"},
    )
    span = forms.TypedChoiceField(label="时间段", choices=DURATIONS, coerce=int, initial=2)
    note = forms.CharField(
        label="需求说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    channel = forms.ChoiceField(
        label="代办方式",
        required=False,
        choices=[(OrderChannel.PHONE, "电话代办"), (OrderChannel.DESK, "窗口代办")],
    )


class TextForm(SafeForm):
    text = forms.CharField(
        label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RateForm(SafeForm):
    rating = forms.TypedChoiceField(
        label="评分", choices=[(i, f"{i}星") for i in range(5, 0, -1)], coerce=int
    )
    comment = forms.CharField(label="评价", max_length=300, required=False)


def _aware(moment: dt.datetime) -> dt.datetime:
    # Form datetimes arrive in the current (Asia/Shanghai) time zone, aware when USE_TZ is on.
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _phone(request: AuthedHttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, f"services/{template}", context)


@page_access("services:catalogue")
def catalogue(request: AuthedHttpRequest) -> HttpResponse:
    """The menu of services, each marked with whether the signed-in resident may order it."""
    resident = request.user.resident
    items = selectors.eligible_items(resident) if resident else [(i, None) for i in selectors.catalogue()]
    return _phone(request, "catalogue.html", {"items": items, "is_resident": resident is not None})


@page_access("services:order")
@require_http_methods(["GET", "POST"])
def order_new(request: AuthedHttpRequest, item_id: int) -> HttpResponse:
    """点单 for oneself, or 帮代办 when staff name a resident (`?resident=`)."""
    item = selectors.item_for(item_id)
    resident_id = request.GET.get("resident") or request.POST.get("resident")
    if resident_id:
        try:
            resident = resident_for(request.user, int(resident_id))
        except ValueError:
            raise NotFound() from None
        on_behalf = resident.pk != request.user.resident_id
    elif request.user.resident is not None:
        resident, on_behalf = request.user.resident, False
    else:
        raise NotFound()
    problem = services.eligibility_problem(item, resident)
    merchants = list(selectors.merchants_offering(item, clock.today()))
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start = _aware(form.cleaned_data["window_start"])
        merchant = next((m for m in merchants if str(m.pk) == request.POST.get("merchant")), None)
        try:
            if request.POST.get("merchant") and merchant is None:
                raise field_error("merchant", "该商户没有有效的便民服务协议")
            order = services.order_place(
                by=request.user,
                resident=resident,
                item=item,
                window_start=start,
                window_end=start + dt.timedelta(hours=form.cleaned_data["span"]),
                note=form.cleaned_data["note"],
                channel=form.cleaned_data.get("channel") or OrderChannel.PHONE
                if on_behalf
                else OrderChannel.APP,
                merchant=merchant,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已下单：{item.name}，等待服务队接单")
            return redirect("services:order_detail", order_id=order.pk)
    return _phone(
        request,
        "order_new.html",
        {
            "item": item,
            "resident": resident,
            "on_behalf": on_behalf,
            "form": form,
            "problem": problem,
            "merchants": merchants,
        },
    )


@page_access("services:mine")
def mine(request: AuthedHttpRequest) -> HttpResponse:
    orders = list(selectors.resident_orders(request.user)[:50])
    return _phone(request, "mine.html", {"orders": orders})


def _act(request: AuthedHttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_for(request.user, order_id)
    action = request.POST.get("action", "")
    text = TextForm(request.POST)
    if not text.is_valid():
        for errors in text.errors.values():
            messages.error(request, f"说明：{errors[0]}")
        return redirect("services:order_detail", order_id=order.pk)
    note = text.cleaned_data["text"]
    user = request.user
    try:
        if action == "grab":
            services.order_grab(by=user, order=order)
        elif action == "dispatch":
            volunteer = next(
                (
                    v
                    for v in services.dispatch_candidates(order)
                    if str(v.pk) == request.POST.get("volunteer")
                ),
                None,
            )
            if volunteer is None:
                raise field_error("volunteer", "请选择本服务队的队员")
            services.order_dispatch(by=user, order=order, volunteer=volunteer)
        elif action == "arrive":
            services.order_arrive(by=user, order=order, note=note)
        elif action == "complete":
            services.order_complete(by=user, order=order, note=note, photos=request.FILES.getlist("photos"))
        elif action == "rate":
            rate = RateForm(request.POST)
            if not rate.is_valid():
                raise field_error("rating", "请选择1到5星")
            services.order_rate(
                by=user, order=order, rating=rate.cleaned_data["rating"], comment=rate.cleaned_data["comment"]
            )
        elif action == "cancel":
            services.order_cancel(by=user, order=order, reason=note)
        elif action == "release":
            services.order_release(by=user, order=order, reason=note)
        elif action in ("resident_no_show", "provider_no_show"):
            side = "provider" if action == "resident_no_show" else "resident"
            services.order_no_show(by=user, order=order, reason=note, side=side)
        elif action == "raise_case":
            services.order_raise_case(by=user, order=order, text=note)
        else:
            raise field_error("action", "未知操作")
    except ValidationError as exc:
        for field, errors in getattr(exc, "message_dict", {"": exc.messages}).items():
            label = {
                "text": "说明",
                "reason": "原因",
                "done_note": "服务记录",
                "note": "说明",
                "state": "状态",
                "rating": "评分",
                "volunteer": "队员",
                "photos": "照片",
            }.get(field, field)
            messages.error(request, f"{label}：{errors[0]}" if label else errors[0])
    else:
        messages.success(request, "已提交")
    return redirect("services:order_detail", order_id=order.pk)


@page_access("services:order_detail")
@require_http_methods(["GET", "POST"])
def order_detail(request: AuthedHttpRequest, order_id: int) -> HttpResponse:
    if request.method == "POST":
        return _act(request, order_id)
    order = selectors.order_for(request.user, order_id)
    allowed = policy.allowed(request.user, order)
    proposals = services.dispatch_proposals(order) if "dispatch" in allowed else []
    return _phone(
        request,
        "order_detail.html",
        {
            "order": order,
            "allowed": allowed,
            "events": selectors.order_timeline(order),
            "proposals": proposals,
            "photos": list(order.photos.all()),
            "rate_form": RateForm(),
        },
    )


@login_required
@require_GET
def order_photo(request: AuthedHttpRequest, order_id: int, photo_id: int) -> FileResponse:
    """A photo the provider took at the order, to whoever may see the order (else not found)."""
    order = selectors.order_for(request.user, order_id)
    item = order.photos.filter(pk=photo_id).first()
    if item is None:
        raise NotFound()
    return photo_response(item.file, item.content_type)


@page_access("services:provider")
def provider(request: AuthedHttpRequest) -> HttpResponse:
    """The provider's phone: my team's open orders, my orders, and a link to my due care duties."""
    from gridgov.care.selectors import my_due_duties

    volunteer = selectors.own_volunteer(request.user)
    return _phone(
        request,
        "provider.html",
        {
            "open_orders": list(selectors.team_open_orders(request.user)[:50]),
            "my_orders": list(
                selectors.provider_orders(request.user).exclude(
                    state__in=(OrderState.CANCELLED, OrderState.NO_SHOW)
                )[:50]
            ),
            "volunteer": volunteer,
            "due_count": my_due_duties(request.user).count(),
            "led": bool(policy.led_team_ids(request.user)),
        },
    )


class RegisterForm(SafeForm):
    skills = forms.CharField(label="技能（用顿号或逗号分隔）", max_length=200, required=False)
    weekdays = forms.MultipleChoiceField(
        label="可服务的日子",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(str(i), d) for i, d in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"))],
    )
    start_hour = forms.IntegerField(label="从几点", min_value=0, max_value=23, initial=9)
    end_hour = forms.IntegerField(label="到几点", min_value=1, max_value=24, initial=17)


@page_access("services:register")
@require_http_methods(["GET", "POST"])
def register(request: AuthedHttpRequest) -> HttpResponse:
    """A resident registers as a volunteer (the community approves)."""
    resident = request.user.resident
    volunteer = selectors.own_volunteer(request.user)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and resident is not None and volunteer is None and form.is_valid():
        data = form.cleaned_data
        availability = {day: [[data["start_hour"], data["end_hour"]]] for day in data["weekdays"]}
        try:
            services.volunteer_register(
                by=request.user,
                resident=resident,
                skills=data["skills"],
                availability=availability if data["start_hour"] < data["end_hour"] else {},
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已提交志愿者注册，等待社区审核")
            return redirect("services:register")
    return _phone(request, "register.html", {"form": form, "volunteer": volunteer, "resident": resident})


# --- staff pages (PC) -----------------------------------------------------------------------


def _month(request: AuthedHttpRequest) -> dt.date:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        today = clock.today()
        return today.replace(day=1)


@page_access("services:board")
def board(request: AuthedHttpRequest) -> HttpResponse:
    """派单台: orders waiting for a provider, overdue first, with the best matches for each."""
    state = request.GET.get("state", OrderState.OPEN)
    orders = list(selectors.dispatch_board(request.user, state=state)[:100])
    rows = [
        (o, services.dispatch_proposals(o, limit=3) if o.state == OrderState.OPEN else [])
        for o in orders[:30]
    ]
    rows += [(o, []) for o in orders[30:]]
    return render(
        request, "services/board.html", {"rows": rows, "state": state, "states": OrderState.choices}
    )


@page_access("services:manage")
def manage(request: AuthedHttpRequest) -> HttpResponse:
    """The catalogue and the providers (teams with their sub-teams and offers, merchants)."""
    return render(
        request,
        "services/manage.html",
        {
            "items": list(selectors.catalogue()),
            "teams": list(selectors.teams_for(request.user)),
            "merchants": list(selectors.merchants_for(request.user)),
        },
    )


class AgreementForm(SafeForm):
    merchant: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="爱心商户", queryset=Organisation.objects.none(), empty_label="请选择"
    )
    starts_on = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    items: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label="协议服务", queryset=ServiceItem.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    discount_percent = forms.IntegerField(
        label="折扣（百分比，100为不打折）", min_value=10, max_value=100, initial=90
    )
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    terms = forms.CharField(
        label="协议要点", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@page_access("services:agreements")
@require_http_methods(["GET", "POST"])
def agreements(request: AuthedHttpRequest) -> HttpResponse:
    """便民服务协议: who, how long, what, what discount; expired ones marked."""
    can_manage = is_unrestricted(request.user) or caps.SERVICES_MANAGE in capabilities_anywhere(request.user)
    form = AgreementForm(request.POST or None)
    form.model_choice_field("merchant").queryset = selectors.merchants_for(request.user)
    items_field = form.fields["items"]
    assert isinstance(items_field, forms.ModelMultipleChoiceField)
    items_field.queryset = selectors.catalogue()
    if request.method == "POST" and can_manage and form.is_valid():
        data = form.cleaned_data
        try:
            services.agreement_create(
                by=request.user,
                merchant=data["merchant"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                items=list(data["items"]),
                discount_percent=data["discount_percent"],
                contact_name=data["contact_name"],
                terms=data["terms"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已签订便民服务协议")
            return redirect("services:agreements")
    return render(
        request,
        "services/agreements.html",
        {
            "agreements": list(selectors.agreements_for(request.user)[:200]),
            "today": clock.today(),
            "form": form,
            "can_manage": can_manage,
        },
    )


@page_access("services:volunteers")
@require_http_methods(["GET", "POST"])
def volunteers(request: AuthedHttpRequest) -> HttpResponse:
    """志愿者审核 and the roster with hours and points."""
    if request.method == "POST":
        volunteer = selectors.volunteer_for(request.user, int(request.POST.get("volunteer") or 0))
        text = TextForm(request.POST)
        note = text.cleaned_data["text"] if text.is_valid() else ""
        try:
            services.volunteer_decide(
                by=request.user,
                volunteer=volunteer,
                approve=request.POST.get("decision") == "approve",
                note=note,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                messages.error(request, f"{'审核意见' if field == 'note' else field}：{errors[0]}")
        else:
            messages.success(request, f"已审核：{volunteer}")
        return redirect("services:volunteers")
    status = request.GET.get("status", "")
    return render(
        request,
        "services/volunteers.html",
        {
            "volunteers": list(selectors.volunteers_for(request.user, status=status)[:200]),
            "status": status,
        },
    )


class HoursForm(SafeForm):
    started_at = forms.DateTimeField(
        label="开始",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    ended_at = forms.DateTimeField(
        label="结束",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    reason = forms.CharField(label="服务内容", max_length=200)


class CorrectForm(SafeForm):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    hours = forms.DecimalField(label="更正时长（小时，可为负）", max_digits=5, decimal_places=2)
    reason = forms.CharField(label="更正原因", max_length=200)


@page_access("services:hours")
@require_http_methods(["GET", "POST"])
def hours(request: AuthedHttpRequest, volunteer_id: int) -> HttpResponse:
    """A volunteer's ledger: credited services, 补录 and 更正 (new rows with reasons)."""
    volunteer = selectors.volunteer_for(request.user, volunteer_id)
    add = HoursForm(request.POST if request.POST.get("form") == "add" else None)
    fix = CorrectForm(request.POST if request.POST.get("form") == "correct" else None)
    try:
        if add.is_bound and add.is_valid():
            services.hours_add(
                by=request.user,
                volunteer=volunteer,
                started_at=_aware(add.cleaned_data["started_at"]),
                ended_at=_aware(add.cleaned_data["ended_at"]),
                reason=add.cleaned_data["reason"],
            )
            messages.success(request, "已补录服务时长")
            return redirect("services:hours", volunteer_id=volunteer.pk)
        if fix.is_bound and fix.is_valid():
            entry = selectors.hours_entry_for(request.user, fix.cleaned_data["entry"])
            services.hours_correct(
                by=request.user,
                entry=entry,
                hours=fix.cleaned_data["hours"],
                reason=fix.cleaned_data["reason"],
            )
            messages.success(request, "已追加更正记录")
            return redirect("services:hours", volunteer_id=volunteer.pk)
    except ValidationError as exc:
        apply_service_errors(add if add.is_bound else fix, exc)
    volunteer.refresh_from_db()
    return render(
        request,
        "services/hours.html",
        {
            "volunteer": volunteer,
            "entries": list(selectors.hours_ledger(volunteer)),
            "add": add,
            "fix": fix,
        },
    )


@page_access("services:certificate")
def certificate(request: AuthedHttpRequest, volunteer_id: int) -> HttpResponse:
    """A printable certificate of hours (志愿服务时长证明)."""
    volunteer = selectors.volunteer_for(request.user, volunteer_id)
    entries = list(selectors.hours_ledger(volunteer))
    return render(
        request,
        "services/certificate.html",
        {
            "volunteer": volunteer,
            "entries": entries,
            "today": clock.today(),
            "services": sum(1 for e in entries if e.kind == "service"),
        },
    )


@page_access("services:figures")
def figures(request: AuthedHttpRequest) -> HttpResponse:
    """Monthly figures per team and per grid: orders done, hours, residents served."""
    month = _month(request)
    return render(
        request,
        "services/figures.html",
        {
            "month": month,
            "teams": selectors.monthly_by_team(request.user, month),
            "grids": selectors.monthly_by_grid(request.user, month),
        },
    )


class CardForm(SafeForm):
    payload = forms.CharField(
        label="服务卡二维码内容", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    item = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label="服务记录", max_length=500, required=False)


@page_access("services:scan")
@require_http_methods(["GET", "POST"])
def scan(request: AuthedHttpRequest) -> HttpResponse:
    """扫服务卡: the merchant or volunteer reads the card, sees what they may provide, records a service."""
    form = CardForm(request.POST or None)
    view = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["item"]:
                order = services.card_record(
                    by=request.user,
                    payload=data["payload"],
                    item=selectors.item_for(data["item"]),
                    note=data["note"],
                )
                messages.success(request, f"已登记服务：{order.item.name}，等待居民确认评价")
                return redirect("services:order_detail", order_id=order.pk)
            view = services.card_scan(by=request.user, payload=data["payload"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
            if "item" in getattr(exc, "message_dict", {}):
                view = services.card_scan(by=request.user, payload=data["payload"])
    return _phone(request, "scan.html", {"form": form, "view": view})
