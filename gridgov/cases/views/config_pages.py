"""Configuration: categories, SLAs, routing rules, duty contacts, API keys and the holiday calendar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.cases import forms, selectors, services
from gridgov.cases import routing as routing_defaults
from gridgov.cases.models import (
    Category,
    Level,
    Priority,
    SlaUnit,
)
from gridgov.cases.services import CaseConflict
from gridgov.cases.views._common import (
    _organisations,
)
from gridgov.core import calendar, clock
from gridgov.core import selectors as core_selectors
from gridgov.core import services as core_services
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.core.models import DayKind
from gridgov.places.models import PlaceKind
from gridgov.places.selectors import AREA_KINDS, places_for

CONFIG_TABS = [
    ("categories", "分类"),
    ("sla", "办理时限"),
    ("rules", "分派规则"),
    ("duty", "值班电话"),
    ("keys", "接入密钥"),
    ("holidays", "节假日"),
]
FIRST_CALENDAR_YEAR = 2004  # the first year of the seeded schedules


def _config_places(user: Any) -> Any:
    return (
        places_for(user, caps.CASES_CONFIGURE)
        .filter(kind__in=(*AREA_KINDS, PlaceKind.BUILDING))
        .order_by("path")
    )


def _duty_places(user: Any) -> Any:
    # Duty is kept where people answer for an area: a street, a community, a grid.
    return places_for(user, caps.CASES_CONFIGURE).filter(kind__in=AREA_KINDS).order_by("path")


def _duty_form(user: Any, data: Any = None) -> forms.DutyForm:
    return forms.DutyForm(data, places=_duty_places(user), users=selectors.duty_candidates(user))


def _duty_context(user: Any, bound: dict[str, Any]) -> dict[str, Any]:
    return {
        "duties": list(selectors.duty_contacts_for(user)),
        "duty_form": bound.get("duty_form") or _duty_form(user),
    }


def _config_context(request: AuthedHttpRequest, tab: str, **bound: Any) -> dict[str, Any]:
    user = request.user
    organisations = _organisations(user)
    categories = list(Category.objects.select_related("parent").order_by("sort_order", "id"))
    tops = [c for c in categories if not c.parent_id]
    tree = [(top, [c for c in categories if c.parent_id == top.pk]) for top in tops]

    def category_form(category: Category) -> Any:
        if bound.get("category_update_id") == category.pk:
            return bound["category_update_form"]
        return forms.CategoryUpdateForm(
            prefix=f"c{category.pk}",
            initial={
                "name": category.name,
                "start_level": category.start_level,
                "is_active": category.is_active,
                "sort_order": category.sort_order,
            },
        )

    def in_row(category: Category) -> Any:
        # Each input sits in its own column, tied to the row's form by the form attribute: one
        # form cannot span table cells, and a colspan left the columns under the wrong headings.
        form = category_form(category)
        for field in form.fields.values():
            field.widget.attrs["form"] = f"catform-{category.pk}"
        return form

    category_rows = [(category, in_row(category)) for top, children in tree for category in [top, *children]]
    sla_rows = {(s.category_id, s.priority): s for s in selectors.slas()}
    sla_table = [
        (category, [sla_rows.get((category.pk, p)) for p in Priority.values])
        for top, children in tree
        for category in [top, *children]
    ]
    rules = list(selectors.routing_rules_for(user))

    def rule_form(rule: Any) -> Any:
        if bound.get("rule_update_id") == rule.pk:
            return bound["rule_update_form"]
        return forms.RuleUpdateForm(
            organisations=organisations,
            initial={"organisation": rule.organisation_id, "is_active": rule.is_active, "note": rule.note},
            prefix=f"r{rule.pk}",
        )

    return {
        "tabs": CONFIG_TABS,
        "tab": tab,
        "category_rows": category_rows,
        "sla_table": sla_table,
        "default_sla": {p: routing_defaults.DEFAULT_SLA[p] for p in Priority.values},
        "priorities": Priority.choices,
        "rules": [(rule, rule_form(rule)) for rule in rules],
        "keys": list(selectors.apikeys_for(user)),
        "category_form": bound.get("category_form") or forms.CategoryCreateForm(),
        "category_update_id": bound.get("category_update_id"),
        "category_update_form": bound.get("category_update_form"),
        "sla_form": bound.get("sla_form") or forms.SlaForm(initial={"unit": SlaUnit.HOURS}),
        "rule_form": bound.get("rule_form")
        or forms.RuleCreateForm(places=_config_places(user), organisations=organisations),
        "key_form": bound.get("key_form") or forms.ApiKeyCreateForm(places=_config_places(user)),
        **(_duty_context(user, bound) if tab == "duty" else {}),
        "new_key": bound.get("new_key"),
        "error": bound.get("error", ""),
        "levels": Level.choices,
        # On every tab: working-day time limits of a year without a schedule count Mon–Fri only.
        "calendar_missing": calendar.missing_years(),
        **(_calendar_context(user, bound) if tab == "holidays" else {}),
    }


def _calendar_year(request: HttpRequest) -> int:
    raw = request.POST.get("year") or request.GET.get("year") or ""
    today = clock.today()
    if raw.isdigit() and FIRST_CALENDAR_YEAR <= int(raw) <= today.year + 5:
        return int(raw)
    missing = calendar.missing_years(today)
    return missing[0] if missing else today.year


def _calendar_context(user: Any, bound: dict[str, Any]) -> dict[str, Any]:
    this_year = clock.today().year
    year = bound.get("calendar_year") or this_year
    years = sorted({*range(this_year - 2, this_year + 2), year})
    counts = core_selectors.calendar_year_counts(user, years)
    return {
        "calendar_year": year,
        "calendar_years": [(y, counts[y]["holiday"], counts[y]["workday"]) for y in years],
        "calendar_days": [
            (day, core_services.WEEKDAYS[day.date.weekday()]) for day in core_selectors.calendar_days(user, year)
        ],
        "period_form": bound.get("period_form") or forms.HolidayPeriodForm(),
        "workday_form": bound.get("workday_form") or forms.MakeupWorkdayForm(),
    }


@never_cache
@page_access("cases:config")
@require_GET
def config(request: AuthedHttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") or "categories"
    if tab not in dict(CONFIG_TABS):
        tab = "categories"
    context = _config_context(request, tab, calendar_year=_calendar_year(request))
    return render(request, "cases/staff/config.html", context)


def _config_write(
    request: AuthedHttpRequest,
    tab: str,
    form: Any,
    write: Callable[[dict[str, Any]], Any],
    done: str,
    form_key: str,
    **extra: Any,
) -> HttpResponse:
    """Validate, call the service, and either redirect back to the tab or show the errors."""
    status = 400
    if form.is_valid():
        try:
            result = write(form.cleaned_data)
        except CaseConflict as exc:
            form.add_error(None, exc.message_dict["state"][0])
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            if tab == "keys" and isinstance(result, tuple):
                key, raw = result
                context = _config_context(request, tab, new_key={"key": key, "raw": raw})
                return render(request, "cases/staff/config.html", context)
            messages.success(request, done)
            return redirect(reverse("cases:config") + f"?tab={tab}")
    context = _config_context(request, tab, **{form_key: form}, **extra)
    return render(request, "cases/staff/config.html", context, status=status)


@never_cache
@page_access("cases:config")
@require_POST
def config_category_create(request: AuthedHttpRequest) -> HttpResponse:
    return _config_write(
        request,
        "categories",
        forms.CategoryCreateForm(request.POST),
        lambda d: services.category_create(
            by=request.user,
            name=d["name"],
            code=d["code"],
            parent=d["parent"],
            start_level=d["start_level"],
            sort_order=d["sort_order"] if d["sort_order"] is not None else 100,
        ),
        "分类已添加",
        "category_form",
    )


@never_cache
@page_access("cases:config")
@require_POST
def config_category_update(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise NotFound()
    form = forms.CategoryUpdateForm(request.POST, prefix=f"c{pk}")
    return _config_write(
        request,
        "categories",
        form,
        lambda d: services.category_update(
            by=request.user,
            category=category,
            name=d["name"],
            start_level=d["start_level"],
            is_active=d["is_active"],
            sort_order=d["sort_order"],
        ),
        f"已保存“{category.name}”",
        "category_update_form",
        category_update_id=category.pk,
    )


@never_cache
@page_access("cases:config")
@require_POST
def config_sla(request: AuthedHttpRequest) -> HttpResponse:
    return _config_write(
        request,
        "sla",
        forms.SlaForm(request.POST),
        lambda d: services.sla_set(
            by=request.user,
            category=d["category"],
            priority=d["priority"],
            accept_within=d["accept_within"],
            resolve_within=d["resolve_within"],
            unit=d["unit"],
        ),
        "办理时限已保存",
        "sla_form",
    )


@never_cache
@page_access("cases:config")
@require_POST
def config_rule_create(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    form = forms.RuleCreateForm(request.POST, places=_config_places(user), organisations=_organisations(user))
    return _config_write(
        request,
        "rules",
        form,
        lambda d: services.routing_rule_create(
            by=user,
            category=d["category"],
            level=d["level"],
            place=d["place"],
            organisation=d["organisation"],
            note=d["note"],
        ),
        "分派规则已添加，之后登记的事件按新规则分派",
        "rule_form",
    )


@never_cache
@page_access("cases:config")
@require_POST
def config_rule_update(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    rule = selectors.routing_rule_for(user, pk)
    form = forms.RuleUpdateForm(request.POST, organisations=_organisations(user), prefix=f"r{pk}")
    return _config_write(
        request,
        "rules",
        form,
        lambda d: services.routing_rule_update(
            by=user, rule=rule, organisation=d["organisation"], is_active=d["is_active"], note=d["note"]
        ),
        "分派规则已保存",
        "rule_update_form",
        rule_update_id=rule.pk,
    )


@never_cache
@page_access("cases:config")
@require_POST
def config_rule_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = selectors.routing_rule_for(request.user, pk)
    try:
        services.routing_rule_delete(by=request.user, rule=rule)
    except Forbidden as exc:
        context = _config_context(request, "rules", error=str(exc))
        return render(request, "cases/staff/config.html", context, status=403)
    messages.success(request, "分派规则已删除")
    return redirect(reverse("cases:config") + "?tab=rules")


@never_cache
@page_access("cases:config")
@require_POST
def config_key_create(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    return _config_write(
        request,
        "keys",
        forms.ApiKeyCreateForm(request.POST, places=_config_places(user)),
        lambda d: services.apikey_create(
            by=user, name=d["name"], rate_per_minute=d["rate_per_minute"], place=d["place"]
        ),
        "接入密钥已创建",
        "key_form",
    )


@never_cache
@page_access("cases:config")
@require_POST
def config_key_revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    key = selectors.apikey_for(request.user, pk)
    try:
        services.apikey_revoke(by=request.user, key=key)
    except CaseConflict as exc:
        messages.error(request, exc.message_dict["state"][0])
    except Forbidden as exc:
        context = _config_context(request, "keys", error=str(exc))
        return render(request, "cases/staff/config.html", context, status=403)
    else:
        messages.success(request, f"接入密钥“{key.name}”已吊销，使用它的系统将无法再上报")
    return redirect(reverse("cases:config") + "?tab=keys")


@never_cache
@page_access("cases:config")
@require_POST
def config_duty_set(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    return _config_write(
        request,
        "duty",
        _duty_form(user, request.POST),
        lambda d: services.duty_set(
            by=user,
            place=d["place"],
            phone=d["phone"] or None,
            users=d["users"],
            note=d["note"],
            is_active=d["is_active"],
        ),
        "值班电话已保存，之后的紧急事件会立即通知",
        "duty_form",
    )


@never_cache
@page_access("cases:config")
@require_POST
def config_duty_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    duty = selectors.duty_contact_for(request.user, pk)
    try:
        services.duty_delete(by=request.user, duty=duty)
    except Forbidden as exc:
        context = _config_context(request, "duty", error=str(exc))
        return render(request, "cases/staff/config.html", context, status=403)
    messages.success(request, f"已删除{duty.place.name}的值班电话")
    return redirect(reverse("cases:config") + "?tab=duty")


# --- the holiday calendar -----------------------------------------------------------------------


def _calendar_write(
    request: AuthedHttpRequest, form: Any, form_key: str, write: Callable[[dict[str, Any]], str]
) -> HttpResponse:
    """Validate, call the calendar service, and go back to the year's list or show the errors."""
    year = _calendar_year(request)
    status = 400
    if form.is_valid():
        try:
            done = write(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, done)
            return redirect(reverse("cases:config") + f"?tab=holidays&year={year}")
    context = _config_context(request, "holidays", calendar_year=year, **{form_key: form})
    return render(request, "cases/staff/config.html", context, status=status)


@never_cache
@page_access("cases:config")
@require_POST
def config_holidays(request: AuthedHttpRequest) -> HttpResponse:

    def write(d: dict[str, Any]) -> str:
        touched = core_services.calendar_holidays_set(
            by=request.user, first=d["first"], last=d["last"], name=d["name"]
        )
        span = f"{d['first']:%m月%d日}至{d['last']:%m月%d日}"
        if not touched:
            return f"{d['name']}（{span}）已是这样登记的，没有改动"
        return f"已登记{d['name']}放假：{span}，工作日时限立即按新安排计算"

    return _calendar_write(request, forms.HolidayPeriodForm(request.POST), "period_form", write)


@never_cache
@page_access("cases:config")
@require_POST
def config_workday(request: AuthedHttpRequest) -> HttpResponse:

    def write(d: dict[str, Any]) -> str:
        core_services.calendar_day_set(by=request.user, day=d["day"], kind=DayKind.WORKDAY, name=d["name"])
        return f"已登记{d['day']:%Y年%m月%d日}调休上班（{d['name']}）"

    return _calendar_write(request, forms.MakeupWorkdayForm(request.POST), "workday_form", write)


@never_cache
@page_access("cases:config")
@require_POST
def config_calendar_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    day = core_selectors.calendar_day_for(request.user, pk)
    try:
        core_services.calendar_day_delete(by=request.user, day=day)
    except Forbidden as exc:
        context = _config_context(request, "holidays", calendar_year=day.date.year, error=str(exc))
        return render(request, "cases/staff/config.html", context, status=403)
    messages.success(request, f"已删除{day.date:%Y年%m月%d日}的{day.get_kind_display()}登记，这一天按周一至周五计算")
    return redirect(reverse("cases:config") + f"?tab=holidays&year={day.date.year}")
