from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts import selectors as accounts_selectors
from gridgov.accounts import services as accounts_services
from gridgov.accounts.forms import AccountCreateForm, LoginForm, RoleGrantForm
from gridgov.accounts.models import Role, RoleAssignment, User
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import has_capability, scope_q
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.places.models import PlaceKind
from gridgov.places.selectors import places_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


# --- account and role pages ----------------------------------------------------------------------


def _grant_places(user):
    # Units are below any post a role is given for; leaving them out keeps the picker short.
    return places_for(user, caps.ROLES_MANAGE).exclude(kind=PlaceKind.UNIT).order_by("path")


@page_access("accounts:roles")
@require_http_methods(["GET", "POST"])
def role_matrix(request: AuthedHttpRequest) -> HttpResponse:
    """Which role has which capability: superusers only (role_set_capabilities checks it too)."""
    roles = list(Role.objects.all())
    errors: list[str] = []
    if request.method == "POST":
        wanted = {role.pk: request.POST.getlist(f"role-{role.pk}") for role in roles}
        try:
            # All roles or none: one bad value leaves every role as it was.
            with transaction.atomic():
                changed = 0
                for role in roles:
                    before = sorted(role.capabilities or [])
                    accounts_services.role_set_capabilities(
                        by=request.user, role=role, capabilities=wanted[role.pk]
                    )
                    changed += before != sorted(role.capabilities or [])
        except ValidationError as exc:
            errors = [f"权限：{message}" for message in exc.messages]
            roles = list(Role.objects.all())
        else:
            messages.success(request, f"已保存，{changed}个角色的权限有变化" if changed else "没有变化")
            return redirect("accounts:roles")
    rows = [
        {
            "role": role,
            "cells": [(code, code in (role.capabilities or [])) for code in caps.ALL],
        }
        for role in roles
    ]
    return render(
        request,
        "accounts/role_matrix.html",
        {"rows": rows, "capabilities": caps.CHOICES, "errors": errors},
        status=400 if errors else 200,
    )


def _users_page(request: AuthedHttpRequest, form: AccountCreateForm, status: int = 200) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:50]
    users = accounts_selectors.users_for(request.user).prefetch_related(
        Prefetch(
            "assignments",
            queryset=RoleAssignment.objects.filter(
                scope_q(request.user, caps.ROLES_MANAGE, field="place__path")
            ).select_related("role", "place"),
            to_attr="visible_assignments",
        )
    )
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"page": page, "q": q, "form": form}, status=status)


@page_access("accounts:users")
@require_GET
def user_list(request: AuthedHttpRequest) -> HttpResponse:
    form = AccountCreateForm(
        roles=accounts_selectors.grantable_roles(request.user), places=_grant_places(request.user)
    )
    return _users_page(request, form)


@page_access("accounts:users")
@require_POST
def user_create(request: AuthedHttpRequest) -> HttpResponse:
    form = AccountCreateForm(
        request.POST,
        roles=accounts_selectors.grantable_roles(request.user),
        places=_grant_places(request.user),
    )
    if form.is_valid():
        try:
            created = accounts_services.account_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已创建账号“{created.username}”")
            return redirect("accounts:user_detail", created.pk)
    return _users_page(request, form, status=400)


def _user_page(
    request: AuthedHttpRequest, account: User, form: RoleGrantForm, status: int = 200
) -> HttpResponse:
    # Posts outside the manager's scope are only counted: where else someone works is not theirs to see.
    assignments = list(accounts_selectors.assignments_of(account))
    visible = [a for a in assignments if has_capability(request.user, caps.ROLES_MANAGE, a.place)]
    return render(
        request,
        "accounts/user_detail.html",
        {
            "account": account,
            "assignments": visible,
            "hidden_count": len(assignments) - len(visible),
            "form": form,
        },
        status=status,
    )


@login_required
@require_GET
def user_detail(request: AuthedHttpRequest, user_id: int) -> HttpResponse:
    account = accounts_selectors.user_for(request.user, user_id)
    form = RoleGrantForm(
        roles=accounts_selectors.grantable_roles(request.user), places=_grant_places(request.user)
    )
    return _user_page(request, account, form)


@login_required
@require_POST
def role_grant(request: AuthedHttpRequest, user_id: int) -> HttpResponse:
    account = accounts_selectors.user_for(request.user, user_id)
    form = RoleGrantForm(
        request.POST,
        roles=accounts_selectors.grantable_roles(request.user),
        places=_grant_places(request.user),
    )
    if form.is_valid():
        try:
            accounts_services.role_grant(by=request.user, user=account, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, f"已授予{form.cleaned_data['role'].name}（{form.cleaned_data['place'].name}）"
            )
            return redirect("accounts:user_detail", account.pk)
    return _user_page(request, account, form, status=400)


@login_required
@require_POST
def role_revoke(request: AuthedHttpRequest, assignment_id: int) -> HttpResponse:
    assignment = accounts_selectors.assignment_for(request.user, assignment_id)
    account = assignment.user
    accounts_services.role_revoke(by=request.user, assignment=assignment)
    messages.success(request, f"已撤销{assignment.role.name}（{assignment.place.name}）")
    if accounts_selectors.users_for(request.user).filter(pk=account.pk).exists():
        return redirect("accounts:user_detail", account.pk)
    # The last role in the manager's scope is gone, so the account is out of their sight now.
    return redirect("accounts:users")
