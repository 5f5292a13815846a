"""Pages: residents find, join and check in on the phone; staff organise and count on the PC."""

from __future__ import annotations

import datetime as dt

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import scope_q
from gridgov.activities import policy, selectors, services
from gridgov.activities.forms import ActivityForm, CheckinForm, GroupForm, ReportForm, SeriesForm
from gridgov.activities.models import ActivityPhoto, SignupState
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.core.forms import apply_service_errors
from gridgov.core.http import AuthedHttpRequest
from gridgov.places.models import Place

SHANGHAI = services.SHANGHAI


def _month(request: AuthedHttpRequest) -> tuple[dt.datetime, dt.datetime, dt.date]:
    today = clock.now().astimezone(SHANGHAI).date()
    raw = request.GET.get("month", "")
    try:
        first = dt.date.fromisoformat(raw + "-01") if raw else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=SHANGHAI)
    return start, dt.datetime.combine(following, dt.time(), tzinfo=SHANGHAI), first


def _months(first: dt.date) -> dict[str, str]:
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return {"prev_month": previous.strftime("%Y-%m"), "next_month": following.strftime("%Y-%m")}


def _by_day(rows: list) -> list[tuple[dt.date, list]]:
    days: dict[dt.date, list] = {}
    for activity in rows:
        days.setdefault(activity.starts_at.astimezone(SHANGHAI).date(), []).append(activity)
    return list(days.items())


# --- residents --------------------------------------------------------------------------


@page_access("activities:index")
@require_GET
def index(request: AuthedHttpRequest) -> HttpResponse:
    if not request.user.resident_id and selectors.is_staff(request.user):
        return redirect("activities:staff")
    mine = request.GET.get("view") == "mine"
    start, end, first = _month(request)
    rows = list(selectors.activities_for(request.user, start=start, end=end, mine=mine)[:300])
    return render(
        request,
        "activities/index.html",
        {
            "days": _by_day(rows),
            "mine": mine,
            "month": first,
            **_months(first),
        },
    )


@page_access("activities:index")
@require_GET
def groups(request: AuthedHttpRequest) -> HttpResponse:
    rows = list(selectors.groups_for(request.user)[:300])
    template = "activities/groups_mobile.html" if request.user.resident_id else "activities/groups_staff.html"
    return render(request, template, {"groups": rows, "can_manage": policy.manages_anywhere(request.user)})


@page_access("activities:index")
def group(request: AuthedHttpRequest, group_id: int) -> HttpResponse:
    item = selectors.group_for(request.user, group_id)
    if request.method == "POST":
        try:
            action = request.POST.get("action", "")
            if action == "join":
                services.group_join(by=request.user, group=item, note=request.POST.get("note", "")[:200])
                messages.success(request, "申请已提交，等待团队负责人审核")
            elif action in ("approve", "reject") and request.POST.get("member", "").isdigit():
                member = selectors.member_for(request.user, int(request.POST["member"]))
                if member.group_id != item.pk:
                    raise NotFound()
                services.group_decide(by=request.user, member=member, approve=action == "approve")
                messages.success(request, "已通过" if action == "approve" else "已拒绝")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect("activities:group", group_id=item.pk)
    actions = policy.allowed(request.user, item)
    context = {
        "group": item,
        "actions": actions,
        "members": list(selectors.group_members(item)),
        "pending": list(selectors.group_members(item, state="pending")) if "decide" in actions else [],
        "mine": selectors.my_membership(request.user, item),
        "children": list(item.children.all()),
        "upcoming": list(selectors.activities_for(request.user, group=item, start=clock.now())[:20]),
    }
    template = "activities/group_mobile.html" if request.user.resident_id else "activities/group_staff.html"
    return render(request, template, context)


@page_access("activities:index")
@require_GET
def detail(request: AuthedHttpRequest, activity_id: int) -> HttpResponse:
    if not request.user.resident_id and selectors.is_staff(request.user):
        return redirect("activities:staff_activity", activity_id=activity_id)
    activity = selectors.activity_for(request.user, activity_id)
    signup = selectors.my_signup(request.user, activity)
    return render(
        request,
        "activities/detail.html",
        {
            "activity": activity,
            "signup": signup,
            "actions": policy.allowed(request.user, activity),
            "position": selectors.waiting_position(signup)
            if signup and signup.state == SignupState.WAITING
            else None,
            "photos": list(activity.photos.all()),
        },
    )


@page_access("activities:index")
@require_POST
def signup(request: AuthedHttpRequest, activity_id: int) -> HttpResponse:
    activity = selectors.activity_for(request.user, activity_id)
    try:
        row = services.signup_create(by=request.user, activity=activity)
        if row.state == SignupState.WAITING:
            messages.warning(
                request,
                f"名额已满，您已进入候补名单第{selectors.waiting_position(row)}位，有人取消时自动转为报名成功",
            )
        else:
            messages.success(request, "报名成功")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("activities:detail", activity_id=activity.pk)


@page_access("activities:index")
@require_POST
def cancel(request: AuthedHttpRequest, activity_id: int) -> HttpResponse:
    activity = selectors.activity_for(request.user, activity_id)
    row = selectors.my_signup(request.user, activity)
    if row is None:
        raise NotFound()
    try:
        services.signup_cancel(by=request.user, signup=row)
        messages.success(request, "已取消报名")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("activities:detail", activity_id=activity.pk)


@page_access("activities:index")
def checkin(request: AuthedHttpRequest, token: str) -> HttpResponse:
    try:
        activity_id = services.activity_from_token(token)
        activity = selectors.activity_for(request.user, activity_id)
    except ValidationError:
        raise NotFound("签到二维码无效") from None
    if request.method == "POST":
        try:
            services.checkin_self(by=request.user, token=token)
            messages.success(request, "签到成功，欢迎参加！")
            return redirect("activities:detail", activity_id=activity.pk)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    return render(request, "activities/checkin.html", {"activity": activity})


@login_required
@require_GET
def photo(request: AuthedHttpRequest, photo_id: int) -> FileResponse:
    item = ActivityPhoto.objects.filter(pk=photo_id).first()
    if item is None:
        raise NotFound()
    selectors.activity_for(request.user, item.activity_id)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- staff ------------------------------------------------------------------------------


@page_access("activities:staff")
@require_GET
def staff(request: AuthedHttpRequest) -> HttpResponse:
    start, end, first = _month(request)
    rows = list(selectors.activities_for(request.user, start=start, end=end)[:500])
    return render(
        request,
        "activities/staff.html",
        {
            "days": _by_day(rows),
            "month": first,
            **_months(first),
            "can_manage": policy.manages_anywhere(request.user),
        },
    )


def _places(request: AuthedHttpRequest):
    return Place.objects.filter(
        scope_q(request.user, caps.ACTIVITIES_MANAGE, "path"),
        kind__in=["street", "community", "grid", "estate", "building"],
    ).order_by("path")


def _groups(request: AuthedHttpRequest):
    return selectors.groups_for(request.user)


@page_access("activities:staff")
def staff_activity(request: AuthedHttpRequest, activity_id: int) -> HttpResponse:
    activity = selectors.activity_for(request.user, activity_id)
    actions = policy.allowed(request.user, activity)
    checkin_form = CheckinForm()
    report_form = ReportForm(initial={"report": activity.report})
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "checkin":
                checkin_form = CheckinForm(request.POST)
                if checkin_form.is_valid():
                    row = services.checkin_by_card(
                        by=request.user, activity=activity, payload=checkin_form.cleaned_data["payload"]
                    )
                    messages.success(request, f"{row.resident.name} 签到成功")
                    return redirect("activities:staff_activity", activity_id=activity.pk)
            elif action == "report":
                report_form = ReportForm(request.POST)
                if report_form.is_valid():
                    services.activity_report(
                        by=request.user,
                        activity=activity,
                        report=report_form.cleaned_data["report"],
                        photos=request.FILES.getlist("photos"),
                    )
                    messages.success(request, "小结已保存")
                    return redirect("activities:staff_activity", activity_id=activity.pk)
            elif action == "cancel":
                services.activity_cancel(
                    by=request.user, activity=activity, reason=request.POST.get("reason", "")[:200]
                )
                messages.success(request, "活动已取消")
                return redirect("activities:staff_activity", activity_id=activity.pk)
            elif action == "skip" and activity.series_id:
                services.series_skip(
                    by=request.user,
                    series=activity.series,  # type: ignore[arg-type]
                    day=activity.starts_at.astimezone(SHANGHAI).date(),
                )
                messages.success(request, "本次已停开")
                return redirect("activities:staff_activity", activity_id=activity.pk)
        except ValidationError as exc:
            target = checkin_form if action == "checkin" else report_form
            apply_service_errors(target, exc) if hasattr(exc, "error_dict") else messages.error(
                request, "；".join(exc.messages)
            )
    token = services.checkin_token(activity)
    door = request.build_absolute_uri(reverse("activities:checkin", args=[token]))
    return render(
        request,
        "activities/staff_activity.html",
        {
            "activity": activity,
            "actions": actions,
            "roster": list(selectors.roster(activity)),
            "checkin_form": checkin_form,
            "report_form": report_form,
            "door_url": door,
            "door_svg": segno.make(door, error="m").svg_inline(scale=4, border=2, omitsize=True)
            if "checkin" in actions
            else "",
            "photos": list(activity.photos.all()),
        },
    )


@page_access("activities:new")
def activity_new(request: AuthedHttpRequest) -> HttpResponse:
    form = ActivityForm(request.POST or None, places=_places(request), groups=_groups(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        tags = data.pop("tags")
        try:
            activity = services.activity_create(by=request.user, tags=tags, **data)
            messages.success(request, "活动已发布")
            return redirect("activities:staff_activity", activity_id=activity.pk)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "activities/form.html", {"form": form, "heading": "新建活动"})


@page_access("activities:new")
def series_new(request: AuthedHttpRequest) -> HttpResponse:
    form = SeriesForm(request.POST or None, places=_places(request), groups=_groups(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            skip = [
                dt.date.fromisoformat(part.strip())
                for part in data.pop("exceptions").split(",")
                if part.strip()
            ]
        except ValueError:
            form.add_error("exceptions", "停开日期格式不对，应为 2026-10-03")
        else:
            try:
                series = services.series_create(by=request.user, exceptions=skip, **data)
                messages.success(request, f"已生成{series.occurrences.count()}次活动")
                return redirect("activities:staff")
            except ValidationError as exc:
                apply_service_errors(form, exc)
    return render(request, "activities/form.html", {"form": form, "heading": "新建每周活动"})


@page_access("activities:new")
def group_new(request: AuthedHttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None, places=_places(request), groups=_groups(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            item = services.group_create(by=request.user, parent=data.pop("group"), **data)
            messages.success(request, "团队已建立")
            return redirect("activities:group", group_id=item.pk)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "activities/form.html", {"form": form, "heading": "新建团队"})


@page_access("activities:figures")
@require_GET
def figures(request: AuthedHttpRequest) -> HttpResponse:
    year = (
        int(request.GET["year"])
        if request.GET.get("year", "").isdigit() and 2000 <= int(request.GET["year"]) <= 2100
        else clock.now().year
    )
    rows = selectors.figures(request.user, year=year)
    return render(
        request,
        "activities/figures.html",
        {
            "rows": rows,
            "year": year,
            "total_signups": sum(r.signups for r in rows),
            "total_attended": sum(r.attended for r in rows),
            "total_held": sum(r.held for r in rows),
        },
    )
