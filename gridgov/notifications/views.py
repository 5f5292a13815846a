"""Pages: the notification centre (PC for staff, phone for residents) and the robot settings page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.scope import capabilities_anywhere
from gridgov.core.errors import NotFound
from gridgov.core.http import AuthedHttpRequest
from gridgov.notifications import selectors, services
from gridgov.notifications.forms import RobotCreateForm, RobotEditForm
from gridgov.places.models import PlaceKind
from gridgov.places.selectors import places_for

PER_PAGE = 20
ROBOT_PLACE_KINDS = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID)


def _mobile(request: AuthedHttpRequest) -> bool:
    # Residents and volunteers have no PC workbench (as core.home decides); anyone may ask for
    # the phone layout explicitly.
    if request.GET.get("m") in {"0", "1"}:
        return request.GET["m"] == "1"
    return not capabilities_anywhere(request.user)


@login_required
@require_GET
def inbox(request: AuthedHttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notifications_for(request.user, unread_only=unread_only)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    mobile = _mobile(request)
    context = {
        "page": page,
        "unread_only": unread_only,
        "unread": selectors.unread_count(request.user),
        "mobile": mobile,
    }
    return render(
        request, "notifications/inbox_mobile.html" if mobile else "notifications/inbox.html", context
    )


@login_required
@require_GET
def badge(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "notifications/_badge.html")


@login_required
@require_GET
def open_notification(request: AuthedHttpRequest, notification_id: int) -> HttpResponse:
    """Opening a notification reads it, like opening a letter, then follows its link."""
    notification = services.notification_mark_read(by=request.user, notification_id=notification_id)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    if link:
        # Absolute links to elsewhere (a department's system) are shown, not followed blindly.
        messages.info(request, f"该通知的链接指向站外地址：{link}")
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request: AuthedHttpRequest, notification_id: int) -> HttpResponse:
    notification = services.notification_mark_read(by=request.user, notification_id=notification_id)
    if request.headers.get("HX-Request"):
        response = render(
            request,
            "notifications/_item.html",
            {
                "n": notification,
                "mobile": request.POST.get("m") == "1",
                # Out-of-band: the page's unread counter follows without a reload.
                "oob_unread": selectors.unread_count(request.user),
            },
        )
        # The top-bar badge listens for this and refreshes its count.
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request: AuthedHttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(by=request.user)
    messages.success(request, f"已将{count}条通知标为已读" if count else "没有未读通知")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "notifications:inbox"


# --- Robot settings --------------------------------------------------------------------------


def _robot_places(request: AuthedHttpRequest):
    return places_for(request.user, selectors.ROBOTS_CAPABILITY).filter(kind__in=ROBOT_PLACE_KINDS)


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)


def _robots_page(request: AuthedHttpRequest, form: RobotCreateForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "notifications/robots.html",
        {
            "robots": selectors.robots_for(request.user),
            "form": form,
            "log": selectors.robot_messages_for(request.user),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def robots(request: AuthedHttpRequest) -> HttpResponse:
    if not selectors.can_manage_robots(request.user):
        raise NotFound()
    if request.method == "GET":
        return _robots_page(request, RobotCreateForm(places=_robot_places(request)))
    form = RobotCreateForm(request.POST, places=_robot_places(request))
    if form.is_valid():
        try:
            robot = services.robot_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"已添加群机器人“{robot.name}”")
            return redirect("notifications:robots")
    return _robots_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def robot_edit(request: AuthedHttpRequest, robot_id: int) -> HttpResponse:
    robot = selectors.robot_for(request.user, robot_id)
    if request.method == "GET":
        form = RobotEditForm(
            initial={"name": robot.name, "channel": robot.channel, "is_active": robot.is_active},
            masked=robot.webhook_masked,
        )
        return render(request, "notifications/robot_edit.html", {"robot": robot, "form": form})
    form = RobotEditForm(request.POST, masked=robot.webhook_masked)
    if form.is_valid():
        data = dict(form.cleaned_data)
        # An empty secret field means "unchanged"; the clear box removes it on purpose.
        data["secret"] = "" if request.POST.get("clear_secret") else (data["secret"] or None)
        try:
            services.robot_update(by=request.user, robot=robot, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("notifications:robots")
    return render(request, "notifications/robot_edit.html", {"robot": robot, "form": form}, status=400)


@login_required
@require_POST
def robot_test(request: AuthedHttpRequest, robot_id: int) -> HttpResponse:
    robot = selectors.robot_for(request.user, robot_id)
    message = services.robot_send_test(by=request.user, robot=robot)
    message.refresh_from_db()
    if message.status == "sent":
        messages.success(request, f"测试消息已发送到“{robot.name}”")
    elif message.status == "failed":
        messages.error(request, f"测试消息发送失败：{message.last_error}")
    else:
        messages.info(request, f"测试消息已排队，稍后由后台发送（{message.last_error or '等待发送'}）")
    return redirect("notifications:robots")


@login_required
@require_POST
def message_resend(request: AuthedHttpRequest, message_id: int) -> HttpResponse:
    message = selectors.robot_message_for(request.user, message_id)
    try:
        services.outbound_resend(by=request.user, message=message)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "已重新排队发送")
    return redirect("notifications:robots")
