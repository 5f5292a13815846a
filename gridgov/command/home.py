"""The first page each role sees (core:home): what that role acts on first, through the scoped
selectors of the apps it draws on. `home_for(user)` picks the page and gathers its figures."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import capabilities_anywhere, is_unrestricted, paths_with, scope_q, subtree_q
from gridgov.accounts.selectors import assignments_of
from gridgov.activities.selectors import activities_for
from gridgov.bulletin.selectors import notices_for_resident
from gridgov.care.selectors import my_due_duties
from gridgov.cases import selectors as case_selectors
from gridgov.cases.models import OPEN_STATES, Case, CaseCall, State
from gridgov.command import selectors
from gridgov.core import clock, dashboard
from gridgov.orgs.models import OrgKind
from gridgov.people.selectors import floating_expiring
from gridgov.places.models import PlaceKind
from gridgov.services.selectors import resident_orders

if TYPE_CHECKING:
    from gridgov.accounts.models import User

LEADER_KINDS = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY)


def home_kind(user: User) -> str:
    """Which home page: resident, department, property, leader (street/community) or grid."""
    held = capabilities_anywhere(user)
    if is_unrestricted(user):
        return "leader"
    if not held:
        return "resident"
    organisation = getattr(user, "organisation", None)
    if caps.CASES_ORG_HANDLE in held and organisation is not None:
        return "property" if organisation.kind == OrgKind.PROPERTY else "department"
    kinds = {a.place.kind for a in assignments_of(user)}
    if caps.COMMAND_VIEW in held and kinds & set(LEADER_KINDS):
        return "leader"
    return "grid"


def _day_start(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(selectors.SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def grid_home(user: User, now: dt.datetime) -> dict[str, Any]:
    """Urgent and overdue cases first, then the tasks sent down, then expiring registrations."""
    queue = case_selectors.my_queue(user)
    late = case_selectors.overdue_q(now)
    return {
        "queue": list(queue[:8]),
        "queue_count": queue.count(),
        "urgent_count": queue.filter(urgent_open=True).count(),
        "overdue_count": queue.filter(late).count(),
        "tasks": [t for t in selectors.my_tasks(user) if t.done < t.total][:6],
        "duties": list(my_due_duties(user)[:6]),
        "today": now.astimezone(selectors.SHANGHAI).date(),
        "expiring": list(floating_expiring(user)[:6]),
        "expiring_count": floating_expiring(user).count(),
    }


def leader_home(user: User, now: dt.datetime) -> dict[str, Any]:
    """Today's and this week's intake, overdue, satisfaction, a 30-day trend, a ranking of the
    places one level down and what waits for the user's decision."""
    place = selectors.home_place(user)
    if place is None:
        return {"place": None}
    today = _day_start(now)
    week = today - dt.timedelta(days=today.weekday())
    cases = Case.objects.filter(subtree_q([place.path], "place_path")).exclude(state=State.MERGED)
    intake = cases.aggregate(
        today=Count("pk", filter=Q(created_at__gte=today)),
        week=Count("pk", filter=Q(created_at__gte=week)),
        overdue=Count("pk", filter=case_selectors.overdue_q(now)),
    )
    figures = selectors.dashboard(user, place, days=30, now=now, apps=False)
    trend = next(c for c in figures["charts"] if c.name == "trend_day")
    ranking = next((c for c in figures["charts"] if c.name == "by_child"), None)
    ranked: list[dict[str, Any]] = []
    if ranking is not None:
        for row, link in zip(ranking.rows, ranking.links or [], strict=True):
            received, resolved = row[1], row[2]
            ranked.append(
                {
                    "name": row[0],
                    "id": link,
                    "received": received,
                    "resolved": resolved,
                    "overdue": row[3],
                    "satisfaction": row[4],
                    "rate": round(resolved * 100 / received, 1) if received else None,
                }
            )
        ranked.sort(key=lambda r: (-(r["rate"] or 0), r["overdue"], r["name"]))
    supervise_scope = scope_q(user, caps.CASES_SUPERVISE, "level_path")
    calls_scope = scope_q(user, caps.CASES_VIEW, "case__place_path")
    return {
        "place": place,
        "intake": intake,
        "figures": figures,
        "trend": trend,
        "trend_json": [trend.as_dict()],
        "ranking": ranked,
        "ranking_label": ranking.columns[0] if ranking else "",
        "dispatch_count": case_selectors.dispatch_queue(user).count(),
        "supervise": list(
            Case.objects.filter(supervise_scope, case_selectors.overdue_q(now), supervised=False)
            .select_related("place", "category")
            .order_by("due_resolve_at", "pk")[:6]
        )
        if paths_with(user, caps.CASES_SUPERVISE) or is_unrestricted(user)
        else [],
        "calls_late": list(
            CaseCall.objects.filter(
                calls_scope, reported_at__isnull=True, deadline__lt=now, case__state__in=OPEN_STATES
            )
            .select_related("case", "organisation")
            .order_by("deadline")[:6]
        ),
    }


def org_home(user: User, now: dt.datetime) -> dict[str, Any]:
    """A department's 待报到 calls with their deadlines and the cases routed to it; a property
    company's queue grouped by estate."""
    queue = list(case_selectors.my_queue(user)[:40])
    by_estate: dict[str, list[Case]] = {}
    for case in queue:
        by_estate.setdefault(case.place.parent.name if case.place.parent else case.place.name, []).append(
            case
        )
    return {
        "calls": list(case_selectors.pending_calls(user)[:20]),
        "queue": queue,
        "by_estate": sorted(by_estate.items()),
        "now": now,
    }


def resident_home(user: User, now: dt.datetime) -> dict[str, Any]:
    """My reports, my 生活快车 orders, the notices addressed to me and the coming activities
    addressed to where I live, each through its own app's selector."""
    return {
        "reports": list(case_selectors.my_reports(user)[:10]),
        "orders": list(resident_orders(user).order_by("-created_at", "-id")[:5]),
        "notices": list(notices_for_resident(user)[:6]),
        "activities": list(activities_for(user, start=now)[:5]),
    }


def home_for(user: User) -> tuple[str, dict[str, Any]]:
    """(template, context) of the user's home page."""
    now = clock.now()
    kind = home_kind(user)
    if kind == "resident":
        return "command/home/resident.html", {"kind": kind, **resident_home(user, now)}
    if kind in ("department", "property"):
        return "command/home/org.html", {"kind": kind, **org_home(user, now)}
    summary = dashboard.summary_for(user)
    if kind == "leader":
        return "command/home/leader.html", {
            "kind": kind,
            "now": now,
            "summary": summary,
            **leader_home(user, now),
        }
    return "command/home/grid.html", {"kind": kind, "now": now, "summary": summary, **grid_home(user, now)}
