"""Registry pages (一人一卡片, 一户一档, 流动人口, 服务卡). Thin: selectors read, services write."""

from __future__ import annotations

import re
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access, require_page
from gridgov.accounts.scope import has_capability
from gridgov.core import clock
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.people import selectors, services
from gridgov.people.forms import (
    DeregisterForm,
    FloatingExistingForm,
    FloatingNewcomerForm,
    HouseholdEditForm,
    MoveInForm,
    MoveOutForm,
    RegisterMemberForm,
    ResidentEditForm,
    RevealForm,
    ScanForm,
    SearchForm,
    TagsForm,
)
from gridgov.people.models import Relation, ResidenceStatus, Resident
from gridgov.places.models import Household
from gridgov.places.selectors import (
    AREA_KINDS,
    household_for,
    household_search,
    places_for,
    visible_breadcrumbs,
)
from gridgov.places.services import build_address, household_update

PAGE_SIZE = 20
_CARD_NO = re.compile(r"^\d{12}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")


def _tag_choices() -> list[tuple[str, str]]:
    return [(tag.code, tag.name) for tag in selectors.active_tags()]


def _require_staff(request: HttpRequest) -> None:
    # Staff tools (floating register, scanner) are no business of residents and volunteers.
    require_page(request.user, "people:floating")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _error_messages(form: Any) -> list[str]:
    """Form errors as "字段：原因" lines, for actions that answer with a redirect and a message."""
    lines: list[str] = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        lines.extend(f"{label}：{error}" if label else str(error) for error in errors)
    return lines


def _flash_errors(request: HttpRequest, form: Any) -> None:
    for line in _error_messages(form):
        messages.error(request, line)


# --- resident search ------------------------------------------------------------------------


def _households_matching(user: Any, q: str, *, limit: int) -> list[Household]:
    """The registry pages list households by address (a field worker finds "101" by typing it)."""
    return list(household_search(user, q=q).order_by("address")[:limit]) if q else []


@page_access("people:search")
@require_GET
def search(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    places = places_for(user).filter(kind__in=AREA_KINDS).order_by("path")
    form = SearchForm(request.GET, tags=_tag_choices(), places=places)
    households: list[Household] = []
    if form.is_valid():
        data = form.cleaned_data
        results = selectors.resident_search(
            user, q=data["q"], place=data["place"], tag=data["tag"] or None, status=data["status"] or None
        )
        households = _households_matching(user, data["q"], limit=10)
    else:
        results = Resident.objects.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.with_listing_details(list(page.object_list))
    return render(
        request,
        "people/search.html",
        {"form": form, "page": page, "rows": rows, "households": households, "searched": bool(request.GET)},
    )


# --- resident page (一人一卡片) ---------------------------------------------------------------


def _detail_context(request: AuthedHttpRequest, resident: Resident, **extra: Any) -> dict[str, Any]:
    user = request.user
    place = resident.place
    can_edit = place is not None and has_capability(user, caps.REGISTRY_EDIT, place)
    memberships = list(resident.memberships.all())
    # A resident reading their own card sees their basic data, not what staff record about them.
    internal = selectors.sees_internal(user, resident)
    registrations = list(resident.floating_registrations.all()) if internal else []
    tag_rows = list(resident.resident_tags.all()) if internal else []
    context = {
        "resident": resident,
        # "聚江苑3栋2单元" rather than a bare "2单元": the unit name alone is ambiguous.
        "place_label": build_address(place, "") if place is not None else "",
        "current_memberships": [m for m in memberships if m.moved_out is None],
        "past_memberships": [m for m in memberships if m.moved_out is not None],
        "registrations": registrations,
        "active_registration": next((r for r in registrations if r.deregistered_on is None), None),
        "tag_rows": tag_rows,
        "internal": internal,
        "can_edit": can_edit,
        "can_reveal": place is not None and has_capability(user, caps.REGISTRY_PII, place),
        "can_floating": place is not None and has_capability(user, caps.FLOATING_MANAGE, place),
        "reveal_form": RevealForm(),
        "deregister_form": DeregisterForm(),
        "tags_form": TagsForm(tags=_tag_choices(), initial={"tags": [row.tag.code for row in tag_rows]})
        if can_edit
        else None,
    }
    context.update(extra)
    return context


@login_required
@require_GET
def detail(request: AuthedHttpRequest, resident_id: int) -> HttpResponse:
    resident = selectors.resident_detail(request.user, resident_id)
    return render(request, "people/detail.html", _detail_context(request, resident))


@never_cache
@login_required
@require_POST
def reveal(request: AuthedHttpRequest, resident_id: int) -> HttpResponse:
    resident = selectors.resident_detail(request.user, resident_id)
    if resident.place is None or not has_capability(request.user, caps.REGISTRY_PII, resident.place):
        raise Forbidden()
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = services.resident_reveal_pii(
                by=request.user,
                resident=resident,
                purpose=form.cleaned_data["purpose"],
                ip=_client_ip(request),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if _is_htmx(request):
        return render(
            request,
            "people/_pii.html",
            {"resident": resident, "revealed": revealed, "reveal_form": form, "can_reveal": True},
        )
    return render(
        request, "people/detail.html", _detail_context(request, resident, revealed=revealed, reveal_form=form)
    )


@login_required
@require_POST
def set_tags(request: AuthedHttpRequest, resident_id: int) -> HttpResponse:
    resident = selectors.resident_for(request.user, resident_id)
    if not has_capability(request.user, caps.REGISTRY_EDIT, resident.place):
        raise Forbidden()
    form = TagsForm(request.POST, tags=_tag_choices())
    if form.is_valid():
        tags = list(selectors.active_tags().filter(code__in=form.cleaned_data["tags"]))
        services.resident_set_tags(by=request.user, resident=resident, tags=tags)
        messages.success(request, "人群标签已保存")
    else:
        _flash_errors(request, form)
    return redirect("people:detail", resident.pk)


@login_required
def edit(request: AuthedHttpRequest, resident_id: int) -> HttpResponse:
    resident = selectors.resident_for(request.user, resident_id)
    if not has_capability(request.user, caps.REGISTRY_EDIT, resident.place):
        raise Forbidden()
    initial = {
        "name": resident.name,
        "gender": resident.gender,
        "birth_date": resident.birth_date,
        "ethnicity": resident.ethnicity,
        "residence_status": resident.residence_status,
        "political_status": resident.political_status,
        "employment": resident.employment,
        "notes": resident.notes,
        "is_deceased": resident.is_deceased,
    }
    hints = {"id_hint": resident.id_number_masked, "phone_hint": resident.phone_masked}
    if request.method == "POST":
        form = ResidentEditForm(request.POST, initial=initial, **hints)
        if form.is_valid():
            try:
                services.resident_update(by=request.user, resident=resident, **form.changed_fields())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已保存{resident.name}的信息")
                return redirect("people:detail", resident.pk)
    else:
        form = ResidentEditForm(initial=initial, **hints)
    return render(request, "people/resident_form.html", {"resident": resident, "form": form})


# --- household page (一户一档) ---------------------------------------------------------------


def _household_context(request: AuthedHttpRequest, household: Household) -> dict[str, Any]:
    user = request.user
    memberships, is_staff_view = selectors.household_view(user, household)
    return {
        "household": household,
        "breadcrumbs": visible_breadcrumbs(user, household.place, include_self=True),
        "current": [m for m in memberships if m.moved_out is None],
        "past": [m for m in memberships if m.moved_out is not None],
        "is_staff_view": is_staff_view,
        "can_edit": has_capability(user, caps.REGISTRY_EDIT, household.place),
        "can_floating": has_capability(user, caps.FLOATING_MANAGE, household.place),
        "move_out_form": MoveOutForm(),
    }


@login_required
@require_GET
def household(request: AuthedHttpRequest, household_id: int) -> HttpResponse:
    found = household_for(request.user, household_id)
    return render(request, "people/household.html", _household_context(request, found))


def _household_for_edit(request: AuthedHttpRequest, household_id: int) -> Household:
    found = household_for(request.user, household_id)
    if not has_capability(request.user, caps.REGISTRY_EDIT, found.place):
        raise Forbidden()
    return found


@login_required
def household_register(request: AuthedHttpRequest, household_id: int) -> HttpResponse:
    found = _household_for_edit(request, household_id)
    tags = _tag_choices()
    if request.method == "POST":
        form = RegisterMemberForm(request.POST, tags=tags)
        if form.is_valid():
            try:
                resident = services.resident_create(
                    by=request.user,
                    household=found,
                    relation=form.cleaned_data["relation"],
                    moved_in=form.cleaned_data["moved_in"],
                    residence_status=form.cleaned_data["residence_status"],
                    tags=list(selectors.active_tags().filter(code__in=form.cleaned_data["tags"])),
                    **form.person_kwargs(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已登记{resident.name}为{found.address}的成员")
                return redirect("people:detail", resident.pk)
    else:
        has_head = (
            selectors.household_members(found.pk, current_only=True).filter(relation=Relation.HEAD).exists()
        )
        form = RegisterMemberForm(
            tags=tags,
            initial={
                "relation": Relation.OTHER if has_head else Relation.HEAD,
                "residence_status": ResidenceStatus.REGISTERED,
                "ethnicity": "汉族",
            },
        )
    return render(request, "people/household_register.html", {"household": found, "form": form})


@login_required
def household_move_in(request: AuthedHttpRequest, household_id: int) -> HttpResponse:
    found = _household_for_edit(request, household_id)
    form = MoveInForm(request.POST or None, initial={"relation": Relation.OTHER})
    if request.method == "POST":
        if form.is_valid():
            resident = selectors.resident_for(request.user, form.cleaned_data["resident"])
            try:
                services.resident_move_in(
                    by=request.user,
                    resident=resident,
                    household=found,
                    relation=form.cleaned_data["relation"],
                    moved_in=form.cleaned_data["moved_in"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"{resident.name}已迁入{found.address}")
                return redirect("people:household", found.pk)
        for line in _error_messages(form):
            messages.error(request, line)
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()
    candidates: list[Resident] = []
    if q:
        members = selectors.household_members(found.pk, current_only=True).values("resident_id")
        candidates = selectors.with_listing_details(
            list(selectors.resident_search(request.user, q=q).exclude(pk__in=members)[:20])
        )
    return render(
        request,
        "people/household_move_in.html",
        {"household": found, "q": q, "candidates": candidates, "form": form},
    )


@login_required
@require_POST
def household_move_out(request: AuthedHttpRequest, household_id: int, membership_id: int) -> HttpResponse:
    found = household_for(request.user, household_id)
    membership = selectors.household_members(found.pk).filter(pk=membership_id).first()
    if membership is None:
        raise NotFound()
    form = MoveOutForm(request.POST)
    if not has_capability(request.user, caps.REGISTRY_EDIT, found.place):
        raise Forbidden()
    if form.is_valid():
        try:
            services.resident_move_out(
                by=request.user,
                membership=membership,
                moved_out=form.cleaned_data["moved_out"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{membership.resident.name}已迁出")
            return redirect("people:household", found.pk)
    for line in _error_messages(form):
        messages.error(request, f"迁出{membership.resident.name}失败：{line}")
    return redirect(f"{reverse('people:household', args=[found.pk])}#member-{membership.pk}")


def _resolve_landlord(request: AuthedHttpRequest, ref: str) -> Resident:
    ref = ref.replace(" ", "").upper()
    if _ID_NUMBER.match(ref):
        landlord = selectors.resident_search(request.user, q=ref).first()
    elif _CARD_NO.match(ref):
        try:
            landlord = selectors.resident_by_card(request.user, ref)
        except NotFound:
            landlord = None
    else:
        raise ValidationError({"landlord_ref": ["请填写房东的18位身份证号或12位服务卡号"]})
    if landlord is None:
        raise ValidationError({"landlord_ref": ["未找到该房东，请核对号码，或先登记房东"]})
    return landlord


@login_required
def household_edit(request: AuthedHttpRequest, household_id: int) -> HttpResponse:
    found = _household_for_edit(request, household_id)
    initial = {
        "room": found.room,
        "residence_kind": found.residence_kind,
        "area_sqm": found.area_sqm,
        "notes": found.notes,
    }
    if request.method == "POST":
        form = HouseholdEditForm(request.POST, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            fields: dict[str, Any] = {
                "room": data["room"],
                "residence_kind": data["residence_kind"],
                "area_sqm": data["area_sqm"],
                "notes": data["notes"],
            }
            try:
                if data["clear_landlord"]:
                    fields["landlord"] = None
                elif data["landlord_ref"]:
                    fields["landlord"] = _resolve_landlord(request, data["landlord_ref"])
                household_update(by=request.user, household=found, **fields)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "户信息已保存")
                return redirect("people:household", found.pk)
    else:
        form = HouseholdEditForm(initial=initial)
    return render(request, "people/household_form.html", {"household": found, "form": form})


# --- floating population ---------------------------------------------------------------------

FLOATING_TABS = [("active", "在册"), ("expiring", "即将到期"), ("expired", "已到期"), ("deregistered", "已注销")]


@login_required
@require_GET
def floating(request: AuthedHttpRequest) -> HttpResponse:
    _require_staff(request)
    user = request.user
    tab = request.GET.get("tab", "active")
    if tab not in dict(FLOATING_TABS):
        tab = "active"
    querysets = {
        "active": selectors.floating_for(user, active=True).order_by(
            "expected_until", "-registered_on", "-id"
        ),
        "expiring": selectors.floating_expiring(user),
        "expired": selectors.floating_expired(user),
        "deregistered": selectors.floating_for(user, active=False).order_by("-deregistered_on", "-id"),
    }
    page = Paginator(querysets[tab], PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    due = dict(
        selectors.floating_due(user)
        .filter(pk__in=[row.pk for row in rows])
        .values_list("pk", "expected_until")
    )
    today = clock.today()
    # (floating_due takes only registrations with an end date)
    expiring_ids = {pk for pk, until in due.items() if until is not None and until >= today}
    expired_ids = {pk for pk, until in due.items() if until is not None and until < today}
    return render(
        request,
        "people/floating.html",
        {
            "tab": tab,
            "tabs": [(key, label, querysets[key].count()) for key, label in FLOATING_TABS],
            "page": page,
            "rows": rows,
            "expiring_ids": expiring_ids,
            "expired_ids": expired_ids,
            "can_manage": has_capability(user, caps.FLOATING_MANAGE),
            "deregister_form": DeregisterForm(),
        },
    )


@login_required
def floating_register(request: AuthedHttpRequest) -> HttpResponse:
    _require_staff(request)
    user = request.user
    if request.GET.get("household"):
        return _floating_register_newcomer(request, _int_param(request, "household"))
    if request.GET.get("resident"):
        return _floating_register_existing(request, _int_param(request, "resident"))
    q = (request.GET.get("q") or "").strip()
    households = _households_matching(user, q, limit=20)
    residents = selectors.with_listing_details(list(selectors.resident_search(user, q=q)[:20])) if q else []
    return render(
        request, "people/floating_choose.html", {"q": q, "households": households, "residents": residents}
    )


def _int_param(request: HttpRequest, name: str) -> int:
    try:
        return int(request.GET[name])
    except (KeyError, ValueError):
        raise NotFound() from None


def _floating_register_newcomer(request: AuthedHttpRequest, household_id: int) -> HttpResponse:
    found = household_for(request.user, household_id)
    if not has_capability(request.user, caps.FLOATING_MANAGE, found.place):
        raise Forbidden()
    if request.method == "POST":
        form = FloatingNewcomerForm(request.POST)
        if form.is_valid():
            try:
                registration = services.floating_register_newcomer(
                    by=request.user,
                    household=found,
                    person=form.person_kwargs(),
                    relation=form.cleaned_data["relation"],
                    registration=form.registration_kwargs(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已登记流动人口{registration.resident.name}")
                return redirect("people:detail", registration.resident_id)
    else:
        form = FloatingNewcomerForm(initial={"ethnicity": "汉族"})
    return render(request, "people/floating_form.html", {"household": found, "form": form, "newcomer": True})


def _floating_register_existing(request: AuthedHttpRequest, resident_id: int) -> HttpResponse:
    resident = selectors.resident_detail(request.user, resident_id)
    if resident.place is None or not has_capability(request.user, caps.FLOATING_MANAGE, resident.place):
        raise Forbidden()
    homes = {m.household_id: m.household for m in resident.memberships.all() if m.moved_out is None}
    choices = [(pk, household.address or household.room) for pk, household in homes.items()]
    if request.method == "POST":
        form = FloatingExistingForm(request.POST, households=choices)
        if form.is_valid():
            try:
                services.floating_register(
                    by=request.user,
                    resident=resident,
                    household=homes.get(form.cleaned_data["household"]),
                    **form.registration_kwargs(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已登记流动人口{resident.name}")
                return redirect("people:detail", resident.pk)
    else:
        form = FloatingExistingForm(households=choices)
    return render(
        request, "people/floating_form.html", {"resident": resident, "form": form, "newcomer": False}
    )


@login_required
@require_POST
def floating_deregister(request: AuthedHttpRequest, registration_id: int) -> HttpResponse:
    registration = selectors.floating_registration_for(request.user, registration_id)
    if not has_capability(request.user, caps.FLOATING_MANAGE, registration.place):
        raise Forbidden()
    form = DeregisterForm(request.POST)
    if form.is_valid():
        try:
            services.floating_deregister(
                by=request.user,
                registration=registration,
                deregistered_on=form.cleaned_data["deregistered_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已注销{registration.resident.name}的流动人口登记")
    for line in _error_messages(form):
        messages.error(request, f"注销{registration.resident.name}的登记失败：{line}")
    return redirect(_safe_next(request, reverse("people:floating")))


# --- service card and scanner ----------------------------------------------------------------


@login_required
@require_GET
def card(request: AuthedHttpRequest, resident_id: int) -> HttpResponse:
    resident = selectors.resident_card_for(request.user, resident_id)
    qr = segno.make(services.card_qr_payload(resident), error="m")
    return render(
        request,
        "people/card.html",
        {
            "resident": resident,
            "qr_svg": qr.svg_inline(scale=6, border=2, dark="#111827", omitsize=True),
            "is_staff_view": resident.place is not None
            and has_capability(request.user, caps.REGISTRY_VIEW, resident.place),
        },
    )


@login_required
@require_GET
def scan(request: AuthedHttpRequest) -> HttpResponse:
    _require_staff(request)
    form = ScanForm(request.GET or None)
    if form.is_valid():
        code = form.cleaned_data["code"].strip()
        compact = code.replace(" ", "")
        try:
            if code.startswith("GG1:"):
                card_no = services.card_no_from_qr(code)
            elif _CARD_NO.match(compact):
                card_no = compact
            else:
                raise ValidationError("请扫入服务卡二维码，或填写12位服务卡号")
            resident = selectors.resident_by_card(request.user, card_no)
        except ValidationError as exc:
            form.add_error("code", exc)
        except NotFound:
            form.add_error("code", "未找到该服务卡，或该居民不在您的管辖范围内")
        else:
            return redirect("people:detail", resident.pk)
    return render(request, "people/scan.html", {"form": form})
