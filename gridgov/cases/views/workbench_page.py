"""The workbench: my queue, dispatch, overdue and all cases, filtered and paged; and the
alarm it polls for urgent cases."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from gridgov.accounts import capabilities as caps
from gridgov.accounts.pages import page_access
from gridgov.accounts.scope import capabilities_anywhere
from gridgov.cases import forms, policy, selectors
from gridgov.cases.models import (
    Case,
    CaseCall,
)
from gridgov.cases.templatetags.cases_rows import render_case_list, render_panel, row_of_case, row_of_values
from gridgov.cases.templatetags.cases_staff import _span, due_info, due_of
from gridgov.cases.views._common import (
    PAGE_SIZE,
    _is_htmx,
    _path_trails,
    _place_trails,
)
from gridgov.core import clock
from gridgov.core.frames import frame_key, render_framed
from gridgov.core.http import AuthedHttpRequest
from gridgov.notifications.selectors import unread_count
from gridgov.notifications.templatetags.notifications_tags import badge_html
from gridgov.places.selectors import AREA_KINDS, places_for

if TYPE_CHECKING:
    from gridgov.accounts.models import User

# A case id no real case has, reversed once per page to give every row's link.
_PK_STAND_IN = 987654321987
_MAX_PAGE = 2**62 // PAGE_SIZE


def _my_page(user: User, number: str | None, now: dt.datetime) -> tuple[Page, selectors.WorkbenchPage | None]:
    """The "my" tab's page of `selectors.my_queue_rows` as `Paginator.get_page` would choose it: a
    page that is not a number is the first, one past either end the last. With it, where the
    database gave them in the same statement, the rows' trails and the two badges' counts."""
    try:
        wanted = int(number) if number is not None else 1
    except (TypeError, ValueError):
        wanted = 1
    # No queue is longer than a 64-bit OFFSET: a page beyond that is past the end, the last page.
    fetched = min(max(wanted, 1), _MAX_PAGE)
    offset = (fetched - 1) * PAGE_SIZE
    combined = selectors.my_workbench_page(user, offset=offset, limit=PAGE_SIZE, now=now)
    found = (
        selectors.QueueRows(rows=combined.rows, count=combined.count)
        if combined is not None
        else selectors.my_queue_rows(user, offset=offset, limit=PAGE_SIZE)
    )
    # The window count came with the rows (or a COUNT, for a page past the end).
    paginator = Paginator(range(found.count), PAGE_SIZE)
    if not 1 <= wanted <= paginator.num_pages:
        wanted = paginator.num_pages
    if wanted != fetched:
        combined = None
        found = selectors.my_queue_rows(user, offset=(wanted - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return Page(found.rows, wanted, paginator), combined


TABS = [
    ("my", "我的待办", "1"),
    ("dispatch", "待分派", "2"),
    ("overdue", "已超时", "3"),
    ("all", "全部", "4"),
]


def _pending_calls(user: User, case_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For a called department: its own 报到 deadline on each case it has not reported on yet,
    which is what it must meet first (one query for the page)."""
    org_id = policy.org_handles(user)
    if not org_id or not case_ids:
        return {}
    now = timezone.now()
    found: dict[int, dict[str, Any]] = {}
    calls = CaseCall.objects.filter(
        case_id__in=case_ids, organisation_id=org_id, reported_at__isnull=True
    ).order_by("deadline")
    for call in calls:
        if call.case_id in found:
            continue
        left = (call.deadline - now).total_seconds()
        found[call.case_id] = {
            "at": call.deadline,
            "text": f"报到超时{_span(left)}" if left < 0 else f"报到剩{_span(left)}",
            "overdue": left < 0,
            "soon": 0 <= left < 3600,
            "kind": "报到",
            "call": True,
        }
    return found


@page_access("cases:workbench")
@require_GET
def workbench(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    held = capabilities_anywhere(user)
    tabs = [t for t in TABS if t[0] != "dispatch" or caps.CASES_DISPATCH in held]
    tab = request.GET.get("tab") or "my"
    if tab not in {t[0] for t in tabs}:
        tab = "my"
    # The filters belong to the "all" tab alone; the queues ignore them, so they build no form
    # (its category and place choices are two queries and a deep copy of every field).
    form = None
    if tab == "all":
        places = places_for(user, caps.CASES_VIEW).filter(kind__in=AREA_KINDS)
        form = forms.FilterForm(
            request.GET, places=places.order_by("path"), categories=selectors.categories()
        )
    # The "my" tab, the grid worker's usual page, reads its page, its length and the rows' names in
    # one query as plain values (`selectors.my_queue_rows`, the JSON queue's own); the other tabs
    # read model instances through the ORM.
    now = timezone.now()
    mine, combined = _my_page(user, request.GET.get("page"), now) if tab == "my" else (None, None)
    if mine is not None:
        cases = Case.objects.none()
    elif tab == "dispatch":
        cases = selectors.dispatch_queue(user)
    elif tab == "overdue":
        cases = selectors.overdue(user)
    elif form is not None and form.is_valid():
        data = form.cleaned_data
        cases = selectors.cases_for(
            user,
            state=data["state"] or None,
            category=data["category"] or None,
            place=data["place"],
            channel=data["channel"] or None,
            level=data["level"] or None,
            since=data["since"],
            until=data["until"],
            supervised=True if data["supervised"] else None,
            q=data["q"],
        )
    else:
        cases = Case.objects.none()
    counts = {
        "my": mine.paginator.count if mine is not None else selectors.my_queue(user).count(),
        "dispatch": selectors.dispatch_queue(user).count() if caps.CASES_DISPATCH in held else 0,
        "overdue": combined.overdue if combined is not None else selectors.overdue_count(user, now=now),
    }
    tab_items = [
        {"code": code, "label": label, "key": key, "count": counts.get(code)} for code, label, key in tabs
    ]
    # The rows' links from one reverse: the card and the table row both use each (three times).
    before, _, after = reverse("cases:detail", args=[_PK_STAND_IN]).partition(str(_PK_STAND_IN))
    if mine is not None:
        page = mine
        values = list(mine.object_list)
        cases_on_page: list[Case] = []
        if combined is not None:
            trails = {row["place_path"]: row["trail"] for row in values if row["trail"] is not None}
        else:
            trails = _path_trails([row["place_path"] for row in values])
        pending = _pending_calls(user, [row["id"] for row in values])
        rows = [
            row_of_values(
                row,
                pending.get(row["id"])
                or due_of(row["state"], row["due_accept_at"], row["due_resolve_at"], now),
                trails.get(row["place_path"], ""),
                f"{before}{row['id']}{after}",
            )
            for row in values
        ]
    else:
        paginator = Paginator(cases, PAGE_SIZE)
        if tab in counts:
            # The tab's own count was just taken: the paginator need not COUNT the same rows again.
            paginator.count = counts[tab]
        page = paginator.get_page(request.GET.get("page"))
        cases_on_page = list(page.object_list)
        place_trails = _place_trails([case.place for case in cases_on_page])
        pending = _pending_calls(user, [case.pk for case in cases_on_page])
        rows = [
            row_of_case(
                case,
                pending.get(case.pk) or due_info(case, now),
                place_trails.get(case.place_id, ""),
                f"{before}{case.pk}{after}",
            )
            for case in cases_on_page
        ]
    # 催办 from the overdue list itself: a secretary cannot act on a department's late case, but
    # may remind whoever holds it (the same service and rule as the case page's 催办).
    urgeable = (
        {case.pk for case in cases_on_page if policy.may("urge", user, case)} if tab == "overdue" else set()
    )
    filtered = tab == "all" and any(v for k, v in request.GET.items() if k not in ("tab", "page"))
    context = {
        "tabs": tab_items,
        "tab": tab,
        "form": form,
        "page": page,
        "rows": rows,
        "urgeable": urgeable,
        "counts": counts,
        "can_intake": caps.CASES_INTAKE in held,
        "alarm": {
            "url": reverse("cases:urgent_poll"),
            "interval": max(settings.GRIDGOV_URGENT_POLL_SECONDS, 1.0),
        },
        "filtered": filtered,
    }
    target = request.headers.get("HX-Target", "") if _is_htmx(request) else ""
    # One CSRF token for the page: the list's 催办 forms and the frame's (core.frames) alike.
    context["csrf_token"] = csrf_token = get_token(request)
    listing = render_case_list(
        rows=rows,
        page=page,
        tab=tab,
        filtered=filtered,
        form=form,
        urgeable=urgeable,
        csrf_token=csrf_token,
        query=request.GET,
    )
    if target == "wb-list":
        return HttpResponse(listing)
    filter_box = (
        render_to_string("cases/staff/_filter_box.html", context, request) if form is not None else ""
    )
    panel = render_panel(tabs=tab_items, tab=tab, filter_box=filter_box, listing=listing)
    if target == "wb-panel":
        return HttpResponse(panel)
    # The frame around the panel is the same for every request of this user on this tab.
    badge = badge_html(combined.unread if combined is not None else unread_count(user))
    return render_framed(
        request,
        "cases/staff/workbench.html",
        context,
        key=frame_key(request, "cases/staff/workbench.html", tab, caps.CASES_INTAKE in held),
        slots={"panel": panel, "badge": badge, "alarm_since": clock.now().isoformat()},
    )


@page_access("cases:workbench")
@require_GET
def urgent_poll(request: AuthedHttpRequest) -> HttpResponse:
    """New urgent cases for the open workbench: the user's own unread alarms since `since`
    (ISO 8601, as the previous answer's `now` gave it), and the `now` to ask from next time."""
    raw = (request.GET.get("since") or "").strip()
    try:
        since = dt.datetime.fromisoformat(raw) if 0 < len(raw) <= 40 else None
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        return JsonResponse({"error": "since：请给出带时区的时间（ISO 8601），如上次返回的 now"}, status=400)
    now = clock.now()
    if since > now + dt.timedelta(minutes=5):
        return JsonResponse({"error": "since：时间不能晚于现在"}, status=400)
    alarms = selectors.urgent_alarms(request.user, since, now=now)
    return JsonResponse(
        {
            "now": now.isoformat(),
            "items": [
                {
                    "id": n.pk,
                    "title": n.title,
                    "body": n.body,
                    # Opening it reads the notification, then follows its link to the case.
                    "url": reverse("notifications:open", args=[n.pk]),
                    "at": timezone.localtime(n.created_at).strftime("%H:%M"),
                }
                for n in alarms
            ],
        }
    )
