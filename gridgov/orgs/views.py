"""Staff pages for organisations: thin, reads through orgs.selectors, writes through orgs.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import has_capability
from gridgov.accounts.services import client_ip
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.orgs import selectors, services
from gridgov.orgs.forms import MemberAddForm, MemberRemoveForm, OrganisationCreateForm, OrganisationEditForm
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.people.selectors import resident_for, resident_search
from gridgov.places.models import PlaceKind
from gridgov.places.selectors import places_for

PER_PAGE = 50
SEARCH_RESULTS = 20


def _manageable_places(user):
    # Units are too fine-grained to register or serve an organisation; leaving them out keeps the
    # pickers short on a real community.
    return places_for(user, caps.ORGS_MANAGE).exclude(kind=PlaceKind.UNIT).order_by("path")


def _require_manage(user, organisation: Organisation) -> None:
    if not has_capability(user, caps.ORGS_MANAGE, organisation.place):
        raise Forbidden()


@page_access("orgs:list")
@require_GET
def organisation_list(request: AuthedHttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in OrgKind.values:
        kind = ""
    q = request.GET.get("q", "").strip()[:50]
    page = Paginator(selectors.organisation_search(request.user, kind=kind, q=q), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "orgs/list.html",
        {
            "page": page,
            "kind": kind,
            "q": q,
            "kinds": OrgKind.choices,
            "can_create": has_capability(request.user, caps.ORGS_MANAGE),
        },
    )


def _detail(
    request: AuthedHttpRequest,
    organisation: Organisation,
    *,
    revealed: str | None = None,
    reveal_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    members = list(selectors.organisation_members(organisation, current_only=False).order_by("left_on", "id"))
    return render(
        request,
        "orgs/detail.html",
        {
            "org": organisation,
            "served": list(organisation.places.order_by("path")),
            "children": list(selectors.organisations_for(request.user).filter(parent=organisation)),
            "current": [m for m in members if m.left_on is None],
            "former": [m for m in members if m.left_on is not None],
            "can_manage": has_capability(request.user, caps.ORGS_MANAGE, organisation.place),
            # The full number is one audited click away for whoever may see personal numbers here.
            "can_reveal": bool(organisation.contact_phone_last4)
            and has_capability(request.user, caps.REGISTRY_PII, organisation.place),
            "revealed": revealed,
            "reveal_errors": reveal_errors or [],
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_GET
def organisation_detail(request: AuthedHttpRequest, org_id: int) -> HttpResponse:
    return _detail(request, selectors.organisation_for(request.user, org_id))


@login_required
@require_POST
def organisation_reveal(request: AuthedHttpRequest, org_id: int) -> HttpResponse:
    """The full contact number, after the user states why (audited)."""
    organisation = selectors.organisation_for(request.user, org_id)
    try:
        phone = services.organisation_reveal_contact(
            by=request.user,
            organisation=organisation,
            purpose=request.POST.get("purpose", ""),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        return _detail(request, organisation, reveal_errors=exc.messages, status=400)
    return _detail(request, organisation, revealed=phone)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: AuthedHttpRequest) -> HttpResponse:
    if not has_capability(request.user, caps.ORGS_MANAGE):
        raise Forbidden()
    places = _manageable_places(request.user)
    parents = selectors.organisations_for(request.user).order_by("kind", "name")
    form = OrganisationCreateForm(
        request.POST or None,
        places=places,
        parents=parents,
        initial={"kind": request.GET.get("kind", ""), "parent": request.GET.get("parent")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已新建组织“{organisation.name}”")
            return redirect("orgs:detail", organisation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/form.html", {"form": form, "org": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: AuthedHttpRequest, org_id: int) -> HttpResponse:
    organisation = selectors.organisation_for(request.user, org_id)
    _require_manage(request.user, organisation)
    initial = {
        "name": organisation.name,
        "places": list(organisation.places.all()),
        "leader": organisation.leader_id,
        "contact_name": organisation.contact_name,
        "address": organisation.address,
        "description": organisation.description,
        "is_active": organisation.is_active,
        "handles_cases": organisation.handles_cases,
    }
    form = OrganisationEditForm(
        request.POST or None,
        initial=initial,
        places=_manageable_places(request.user),
        leaders=selectors.leader_choices(organisation),
    )
    if organisation.contact_phone_last4:
        form.fields["contact_phone"].help_text = f"当前为{organisation.contact_phone_masked}；留空则不修改"
    if request.method == "POST" and form.is_valid():
        try:
            fields = dict(form.cleaned_data)
            if not fields.get("contact_phone"):
                # The form never shows the stored number; left empty, it stays as it is.
                fields.pop("contact_phone", None)
            services.organisation_update(by=request.user, organisation=organisation, **fields)
        except ValidationError as exc:
            organisation.refresh_from_db()
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("orgs:detail", organisation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/form.html", {"form": form, "org": organisation}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request: AuthedHttpRequest, org_id: int) -> HttpResponse:
    organisation = selectors.organisation_for(request.user, org_id)
    _require_manage(request.user, organisation)
    q = request.GET.get("q", "").strip()[:50]
    results = list(resident_search(request.user, q=q)[:SEARCH_RESULTS]) if q else []
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = resident_for(request.user, form.cleaned_data["resident"])
        except NotFound:
            form.add_error("resident", "所选居民不存在或不在您的范围内")
        else:
            try:
                services.organisation_add_member(
                    by=request.user,
                    organisation=organisation,
                    resident=resident,
                    role=form.cleaned_data["role"],
                    joined_on=form.cleaned_data["joined_on"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已添加成员{resident.name}")
                return redirect("orgs:detail", organisation.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "orgs/member_add.html",
        {"org": organisation, "form": form, "q": q, "results": results},
        status=status,
    )


@login_required
@require_POST
def member_remove(request: AuthedHttpRequest, org_id: int, member_id: int) -> HttpResponse:
    organisation = selectors.organisation_for(request.user, org_id)
    _require_manage(request.user, organisation)
    member = selectors.organisation_member_for(organisation, member_id)
    form = MemberRemoveForm(request.POST, joined_on=member.joined_on)
    if form.is_valid():
        try:
            services.organisation_remove_member(
                by=request.user, member=member, left_on=form.cleaned_data["left_on"]
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"{member.resident or member.user}已退出")
    else:
        messages.error(request, "；".join(f"退出日期：{e}" for e in form.errors.get("left_on", [])))
    return redirect("orgs:detail", organisation.pk)


@login_required
@require_GET
def party_tree(request: AuthedHttpRequest) -> HttpResponse:
    from gridgov.places.selectors import places_for

    roots = selectors.party_tree(request.user)
    linked: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        linked.update(p.pk for p in node.places)
        stack.extend(node.children)
    # A department or property user sees the party tree but not the registry: the places it
    # is linked to are then plain text, not links to pages that would answer 404.
    open_place_ids = set(places_for(request.user).filter(pk__in=linked).values_list("pk", flat=True))
    return render(request, "orgs/party_tree.html", {"roots": roots, "open_place_ids": open_place_ids})
