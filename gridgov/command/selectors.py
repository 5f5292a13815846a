"""Every read of the command centre, scoped to the acting user.

Dashboard figures come from `gridgov.cases.selectors.case_stats` (the totals, by category and by
channel) and `case_trend` (the daily and monthly rollups), plus one grouped, date-bounded query
per remaining chart on the indexed columns (`case_place_created`); the other apps' figures
(生活快车, care duties, patrols, activities, consultations, mediations) come from each app's own
scoped selector, one or two grouped queries each. A chart is a list of rows with named columns,
which the page draws and the Excel download writes — the same rows, so they cannot disagree.
Every figure covers one `periods.Period` (a preset or a custom range of days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import (
    has_capability,
    has_capability_at,
    is_unrestricted,
    paths_with,
    place_q,
    scope_q,
    subtree_q,
)
from gridgov.activities.selectors import activity_figures
from gridgov.care.selectors import duty_figures, patrol_figures
from gridgov.cases.models import DONE_STATES, OPEN_STATES, Case, CaseCall, State
from gridgov.cases.selectors import case_stats, case_trend, overdue_q
from gridgov.command import coords, periods
from gridgov.command.models import DONE_OUTCOMES, Broadcast, BroadcastRecipient, Outcome, Task, TaskItem
from gridgov.consult.selectors import consultation_figures
from gridgov.core import clock
from gridgov.core.errors import NotFound
from gridgov.mediation.selectors import dispute_figures
from gridgov.people.models import FloatingRegistration, Resident, ResidentTag
from gridgov.places.models import Household, Place, PlaceKind
from gridgov.services.selectors import order_figures

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.accounts.scope import Actor
    from gridgov.command.periods import Period

SHANGHAI = periods.SHANGHAI
PERIODS: dict[int, str] = periods.PRESETS
MAP_CASES_MAX = 3000
MAP_DEFAULT_DAYS = 30
DRILL_KINDS = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID)


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# --- places -----------------------------------------------------------------------------------


def dashboard_roots(user: User) -> list[Place]:
    """The places whose dashboards the user opens first: where they hold command.view."""
    if not _active(user):
        return []
    if is_unrestricted(user):
        return list(Place.objects.filter(parent__isnull=True).order_by("path"))
    return list(Place.objects.filter(path__in=paths_with(user, caps.COMMAND_VIEW)).order_by("path"))


def home_place(user: User) -> Place | None:
    """The dashboard a user lands on: their highest place, or the one street/community below a
    lone district, so a street administrator does not land on an empty district page."""
    roots = dashboard_roots(user)
    if not roots:
        return None
    place = roots[0]
    while place.kind in (PlaceKind.DISTRICT,):
        children = list(Place.objects.filter(parent=place, kind__in=DRILL_KINDS)[:2])
        if len(children) != 1:
            break
        place = children[0]
    return place


def dashboard_place_for(user: User, place_id: int | str) -> Place:
    """A street, community or grid the user may open a dashboard of; NotFound otherwise."""
    try:
        pk = int(place_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    place = Place.objects.filter(pk=pk, kind__in=DRILL_KINDS).first()
    if place is None or not _active(user) or not has_capability(user, caps.COMMAND_VIEW, place):
        raise NotFound()
    return place


@dataclass(frozen=True)
class Crumb:
    place: Place
    linked: bool


def breadcrumbs(user: User, place: Place) -> list[Crumb]:
    """Ancestors down to `place`; those above the user's scope are plain text, not links."""
    rows = {p.path: p for p in Place.objects.filter(path__in=place.ancestor_paths())}
    return [
        Crumb(rows[path], has_capability_at(user, caps.COMMAND_VIEW, path))
        for path in place.ancestor_paths()
        if path in rows
    ]


def drill_children(place: Place) -> list[Place]:
    """The places one level down that have dashboards of their own (communities, grids)."""
    return list(Place.objects.filter(parent=place, kind__in=DRILL_KINDS).order_by("path"))


# --- dashboard ------------------------------------------------------------------------------


@dataclass
class Chart:
    """One chart's numbers: the page draws `rows`, the download writes them."""

    name: str
    title: str
    kind: str  # line | bar | pie
    columns: list[str]
    rows: list[list[Any]]
    # place ids of the rows, for the charts one clicks to drill down (None elsewhere)
    links: list[int | None] | None = None
    # "cases" for the case and registry charts, "apps" for the other apps' (their own section)
    group: str = "cases"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "columns": self.columns,
            "rows": self.rows,
            "links": self.links,
            "group": self.group,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _cases(place: Place) -> QuerySet[Case]:
    return Case.objects.filter(place_q(place, "place_path")).exclude(state=State.MERGED)


def registry_figures(
    user: User, place: Place, *, today: dt.date, period: Period | None = None
) -> dict[str, Any]:
    """Population, households and special groups by tag (as they stand today) and floating
    registrations in/out this month — or, for a custom period, in that period."""
    first, last = (
        (period.first, period.last) if period is not None and period.custom else (today.replace(day=1), today)
    )
    residents = Resident.objects.filter(place_q(place), subtree_q(_registry_paths(user), "place__path"))
    floating = FloatingRegistration.objects.filter(
        place_q(place), subtree_q(_registry_paths(user), "place__path")
    )
    tags = list(
        ResidentTag.objects.filter(resident__in=residents.values("pk"))
        .values("tag__name")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__name")
    )
    return {
        "population": residents.count(),
        "households": Household.objects.filter(
            place_q(place), subtree_q(_registry_paths(user), "place__path")
        ).count(),
        "floating": floating.filter(deregistered_on__isnull=True).count(),
        "floating_in": floating.filter(registered_on__gte=first, registered_on__lte=last).count(),
        "floating_out": floating.filter(deregistered_on__gte=first, deregistered_on__lte=last).count(),
        "floating_label": "期内" if period is not None and period.custom else "本月",
        "tags": [(row["tag__name"], row["n"]) for row in tags],
    }


def _registry_paths(user: User) -> list[str]:
    if is_unrestricted(user):
        return [p for p in Place.objects.filter(parent__isnull=True).values_list("path", flat=True)]
    return paths_with(user, caps.REGISTRY_VIEW)


def _day_trend(user: User, place: Place, period: Period) -> Chart:
    # The daily rollups (gridgov.cases.rollups): per day of report, received and, of those, done.
    counts = {
        row["period"]: (row["received"] or 0, row["resolved"] or 0)
        for row in case_trend(user, place, period.first, period.last, by="day")
    }
    rows = []
    for offset in range(period.length):
        day = period.first + dt.timedelta(days=offset)
        received, done = counts.get(day, (0, 0))
        rows.append([day.isoformat(), received, done])
    return Chart(
        "trend_day", f"每日受理及其中已办结（{period.label}）", "line", ["日期", "受理", "其中已办结"], rows
    )


def _month_trend(user: User, place: Place, period: Period, day_trend: Chart, months: int = 12) -> Chart:
    if period.custom:
        # The period's own days, summed by month: a ragged first or last month counts only the
        # days chosen (the monthly rollups hold whole months).
        summed: dict[str, int] = {}
        for day, received, _done in day_trend.rows:
            summed[day[:7]] = summed.get(day[:7], 0) + received
        rows = [[month, n] for month, n in summed.items()]
        return Chart("trend_month", f"每月受理量（{period.label}）", "bar", ["月份", "受理"], rows)
    year, month = period.last.year, period.last.month
    keys: list[tuple[int, int]] = []
    for _ in range(months):
        keys.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    keys.reverse()
    start = dt.date(keys[0][0], keys[0][1], 1)
    # The monthly rollups: twelve rows per place, whatever the number of cases.
    counts: dict[tuple[int, int], int] = {}
    for row in case_trend(user, place, start, period.last, by="month"):
        key = (row["period"].year, row["period"].month)
        counts[key] = counts.get(key, 0) + (row["received"] or 0)
    rows = [[f"{y}-{m:02d}", counts.get((y, m), 0)] for y, m in keys]
    return Chart("trend_month", "每月受理量（近12个月）", "bar", ["月份", "受理"], rows)


def _in_period(period: Period, field: str = "created_at") -> Q:
    return Q(**{f"{field}__gte": period.since, f"{field}__lt": period.until})


def _by_state(place: Place, period: Period) -> Chart:
    counts = dict(
        _cases(place)
        .filter(_in_period(period))
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("state", "n")
    )
    rows = [[label, counts.get(value, 0)] for value, label in State.choices if value != State.MERGED]
    return Chart("by_state", "各状态事件数", "pie", ["状态", "件数"], rows)


def _child_label(children: list[Place]) -> str:
    labels: dict[str, str] = {PlaceKind.COMMUNITY: "社区", PlaceKind.GRID: "网格"}
    return labels.get(children[0].kind, "下级") if children else "地点"


def _by_child(place: Place, children: list[Place], period: Period, now: dt.datetime) -> Chart | None:
    if not children:
        return None
    # Children of one parent share one path length (fixed-width segments): one GROUP BY.
    width = len(children[0].path)
    rows_by_prefix = {
        row["prefix"]: row
        for row in _cases(place)
        .filter(below_prefix_q(place))
        .filter(_in_period(period))
        .annotate(prefix=Substr("place_path", 1, width))
        .values("prefix")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(state__in=DONE_STATES)),
            late=Count("pk", filter=Q(was_overdue=True) | overdue_q(now)),
            rated=Count("pk", filter=Q(rating__isnull=False)),
            happy=Count("pk", filter=Q(rating__gte=4)),
        )
        .order_by()
    }
    rows = []
    for child in children:
        row = rows_by_prefix.get(child.path, {})
        rows.append(
            [
                child.name,
                row.get("n", 0),
                row.get("done", 0),
                row.get("late", 0),
                _percent(_rate(row.get("happy", 0), row.get("rated", 0))),
            ]
        )
    label = _child_label(children)
    return Chart(
        "by_child",
        f"各{label}事件（点击进入）",
        "bar",
        [label, "受理", "办结", "超时", "满意率(%)"],
        rows,
        links=[child.pk for child in children],
    )


def below_prefix_q(place: Place) -> Q:
    return Q(place_path__startswith=place.path + ".")


def _calls(place: Place, period: Period) -> Chart:
    calls = CaseCall.objects.filter(
        Q(case__place_path=place.path) | Q(case__place_path__startswith=place.path + "."),
        _in_period(period, "called_at"),
    )
    rows = [
        [
            row["organisation__name"],
            row["n"],
            row["reported"],
            row["on_time"],
            round(row["on_time"] / row["n"] * 100, 1) if row["n"] else None,
        ]
        for row in calls.values("organisation__name")
        .annotate(
            n=Count("pk"),
            reported=Count("pk", filter=Q(reported_at__isnull=False)),
            on_time=Count("pk", filter=Q(reported_at__isnull=False, reported_at__lte=F("deadline"))),
        )
        .order_by("-n", "organisation__name")[:20]
    ]
    return Chart(
        "calls", "吹哨部门报到情况", "bar", ["部门", "呼叫", "已报到", "按时报到", "按时报到率(%)"], rows
    )


def _on_time(place: Place, period: Period) -> dict[str, Any]:
    row = (
        _cases(place)
        .filter(_in_period(period))
        .aggregate(
            accepted=Count("pk", filter=Q(accepted_at__isnull=False, due_accept_at__isnull=False)),
            accepted_on_time=Count(
                "pk", filter=Q(accepted_at__isnull=False, accepted_at__lte=F("due_accept_at"))
            ),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False, due_resolve_at__isnull=False)),
            resolved_on_time=Count(
                "pk", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("due_resolve_at"))
            ),
        )
    )
    return {
        "accept_on_time_rate": _rate(row["accepted_on_time"], row["accepted"]),
        "resolve_on_time_rate": _rate(row["resolved_on_time"], row["resolved"]),
    }


# --- the other apps' figures (each from the app's own scoped selector) -------------------------


def _percent(rate: float | None) -> float | None:
    return round(rate * 100, 1) if rate is not None else None


def _remainder(total: Any, parts: list[Any]) -> Any:
    """What of `total` lies at the place itself rather than under a child (an activity for the
    whole community, say): the same figures class, field by field."""
    values = {
        f.name: getattr(total, f.name)
        - sum((getattr(p, f.name) for p in parts), type(getattr(total, f.name))())
        for f in fields(total)
    }
    return type(total)(**values)


def _area_chart(
    name: str,
    title: str,
    kind: str,
    columns: list[str],
    found: Any,
    place: Place,
    children: list[Place],
    row_of: Callable[[Any], list[Any]],
) -> Chart | None:
    """One row per child (clickable) plus the place's own share when it has one; one row for the
    place itself at a grid. None when the app showed the user nothing here (`found` None)."""
    if found is None:
        return None
    if not children:
        label = "网格" if place.kind == PlaceKind.GRID else "地点"
        return Chart(
            name, title, kind, [label, *columns], [[place.name, *row_of(found.total)]], [None], "apps"
        )
    rows = [[child.name, *row_of(found.children[child.pk])] for child in children]
    links: list[int | None] = [child.pk for child in children]
    rest = _remainder(found.total, [found.children[child.pk] for child in children])
    if any(getattr(rest, f.name) for f in fields(rest)):
        rows.append([f"{place.name}（本级）", *row_of(rest)])
        links.append(None)
    return Chart(name, f"{title}（点击进入）", kind, [_child_label(children), *columns], rows, links, "apps")


def _hours(value: Decimal) -> float:
    return float(round(value, 1))


def app_figures(user: User, place: Place, children: list[Place], period: Period) -> dict[str, Any]:
    """生活快车, care duties, patrols, activities, consultations and mediations over the period,
    each from its app's scoped selector (None where the user's role sees nothing of that app)."""
    since, until = period.since, period.until
    return {
        "services": order_figures(user=user, place=place, since=since, until=until, children=children),
        "duties": duty_figures(user=user, place=place, since=since, until=until, children=children),
        "patrol": patrol_figures(user=user, place=place, since=since, until=until, children=children),
        "activities": activity_figures(user=user, place=place, since=since, until=until, children=children),
        "consult": consultation_figures(user=user, place=place, since=since, until=until, children=children),
        "mediation": dispute_figures(user=user, place=place, since=since, until=until, children=children),
    }


def _app_charts(place: Place, children: list[Place], apps: dict[str, Any]) -> list[Chart | None]:
    return [
        _area_chart(
            "services",
            "生活快车服务",
            "bar",
            ["受理订单", "已完成", "满意率(%)", "志愿服务时长(小时)"],
            apps["services"],
            place,
            children,
            lambda f: [f.received, f.completed, _percent(f.satisfaction_rate), _hours(f.hours)],
        ),
        _area_chart(
            "care",
            "结对帮扶事项",
            "bar",
            ["应完成", "按时完成", "按时率(%)", "逾期未完成", "走访记录"],
            apps["duties"],
            place,
            children,
            lambda f: [f.due, f.on_time, _percent(f.on_time_rate), f.overdue, f.visits],
        ),
        _area_chart(
            "patrol",
            "网格巡查覆盖",
            "bar",
            ["已走访户数", "总户数", "覆盖率(%)"],
            apps["patrol"],
            place,
            children,
            lambda f: [f.visited, f.households, _percent(f.coverage_rate)],
        ),
        _area_chart(
            "activities",
            "社区活动",
            "bar",
            ["举办活动", "报名人次", "签到人次"],
            apps["activities"],
            place,
            children,
            lambda f: [f.held, f.signups, f.attended],
        ),
        _area_chart(
            "consult",
            "协商议事",
            "bar",
            ["协商议题", "应参与", "已参与", "参与率(%)"],
            apps["consult"],
            place,
            children,
            lambda f: [f.held, f.eligible, f.voted, _percent(f.turnout_rate)],
        ),
        _area_chart(
            "mediation",
            "矛盾纠纷调解",
            "bar",
            ["受理", "成功", "未成功", "进行中"],
            apps["mediation"],
            place,
            children,
            lambda f: [f.opened, f.success, f.failed, f.ongoing],
        ),
    ]


def dashboard(
    user: User,
    place: Place,
    *,
    days: int = 30,
    period: Period | None = None,
    now: dt.datetime | None = None,
    apps: bool = True,
) -> dict[str, Any]:
    """Every figure and chart of `place`'s dashboard over `period` (default: the last `days`
    days); the caller got `place` from `dashboard_place_for` (command.view there). Case figures
    need cases.stats; the other apps' figures show where the user's role sees that app."""
    now = now or clock.now()
    today = now.astimezone(SHANGHAI).date()
    period = period or periods.preset(days, today)
    stats = case_stats(user, place, since=period.since, until=period.last, now=now)
    registry = registry_figures(user, place, today=today, period=period)
    children = drill_children(place)
    trend = _day_trend(user, place, period)
    charts: list[Chart] = [trend, _month_trend(user, place, period, trend)]
    child = _by_child(place, children, period, now)
    if child is not None:
        charts.append(child)
    charts.append(_by_state(place, period))
    charts.append(
        Chart(
            "by_category",
            "按分类",
            "bar",
            ["分类", "受理", "办结", "超时"],
            [[row["name"], row["received"], row["resolved"], row["overdue"]] for row in stats["by_category"]],
        )
    )
    charts.append(
        Chart(
            "by_channel",
            "按来源渠道",
            "pie",
            ["渠道", "件数"],
            [[row["name"], row["received"]] for row in stats["by_channel"]],
        )
    )
    charts.append(Chart("tags", "重点人群", "bar", ["标签", "人数"], [list(t) for t in registry["tags"]]))
    charts.append(_calls(place, period))
    figures = app_figures(user, place, children, period) if apps else {}
    if apps:
        charts.extend(chart for chart in _app_charts(place, children, figures) if chart is not None)

    def days_of(hours: float | None) -> float | None:
        return round(hours / 24, 1) if hours is not None else None

    return {
        "place": place,
        "days": period.days,
        "period": period.label,
        "range": period,
        "since": period.since,
        "until": period.until,
        "now": now,
        "registry": registry,
        "cases": {
            "received": stats["received"],
            "resolved": stats["resolved"],
            "open": stats["open"],
            "overdue": stats["overdue"],
            "overdue_open": stats["overdue_open"],
            "satisfaction_rate": stats["satisfaction_rate"],
            "resolve_rate": stats["resolve_rate"],
            "avg_accept_days": days_of(stats["avg_accept_hours"]),
            "avg_resolve_days": days_of(stats["avg_resolve_hours"]),
            **_on_time(place, period),
        },
        "apps": {name: (found.total if found is not None else None) for name, found in figures.items()},
        "apps_shown": any(found is not None for found in figures.values()),
        "charts": charts,
    }


def app_summary(apps: dict[str, Any]) -> list[list[Any]]:
    """The other apps' totals as (指标, 数值) rows: the 概况 sheet and the API share them."""
    rows: list[list[Any]] = []
    if (s := apps.get("services")) is not None:
        rows += [
            ["服务订单受理", s.received],
            ["服务订单完成", s.completed],
            ["服务满意率", s.satisfaction_rate],
            ["志愿服务时长（小时）", _hours(s.hours)],
        ]
    if (d := apps.get("duties")) is not None:
        rows += [
            ["帮扶事项应完成", d.due],
            ["帮扶事项按时完成", d.on_time],
            ["帮扶按时率", d.on_time_rate],
            ["帮扶走访记录", d.visits],
        ]
    if (p := apps.get("patrol")) is not None:
        rows += [["巡查走访户数", p.visited], ["总户数", p.households], ["巡查覆盖率", p.coverage_rate]]
    if (a := apps.get("activities")) is not None:
        rows += [["举办活动", a.held], ["活动报名人次", a.signups], ["活动签到人次", a.attended]]
    if (c := apps.get("consult")) is not None:
        rows += [
            ["协商议题", c.held],
            ["表决应参与", c.eligible],
            ["表决已参与", c.voted],
            ["参与率", c.turnout_rate],
        ]
    if (m := apps.get("mediation")) is not None:
        rows += [
            ["受理调解", m.opened],
            ["调解成功", m.success],
            ["调解未成功", m.failed],
            ["调解进行中", m.ongoing],
        ]
    return rows


def chart_for(user: User, place: Place, name: str, *, days: int = 30, period: Period | None = None) -> Chart:
    """One chart of the dashboard by name; NotFound for a name it does not have."""
    for chart in dashboard(user, place, days=days, period=period)["charts"]:
        if chart.name == name:
            return chart
    raise NotFound()


# --- the map --------------------------------------------------------------------------------


def _point(lng: float, lat: float) -> list[float]:
    x, y = coords.from_wgs84(lng, lat, settings.GRIDGOV_MAP_TILE_CRS)
    return [round(x, 7), round(y, 7)]


def _geometry(geometry: dict[str, Any]) -> dict[str, Any] | None:
    """A stored GeoJSON polygon with every vertex moved into the tiles' system."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    try:
        if kind == "Polygon":
            return {
                "type": kind,
                "coordinates": [[_point(*v[:2]) for v in ring] for ring in geometry["coordinates"]],
            }
        if kind == "MultiPolygon":
            return {
                "type": kind,
                "coordinates": [
                    [[_point(*v[:2]) for v in ring] for ring in polygon]
                    for polygon in geometry["coordinates"]
                ],
            }
    except (KeyError, TypeError, ValueError):
        return None
    return None


STATE_COLOURS: dict[str, str] = {
    State.NEW: "#d03b3b",
    State.ACCEPTED: "#e6a23c",
    State.IN_PROGRESS: "#e6a23c",
    State.RESOLVED: "#2f9e44",
    State.CLOSED: "#2f9e44",
    State.REJECTED: "#868e96",
}


def map_layers(
    user: User,
    place: Place,
    *,
    category: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    wall: bool = False,
) -> dict[str, Any]:
    """GeoJSON of `place`'s subtree for the map: grid and estate boundaries, buildings, cases
    (coloured by state, filtered by category and date) and — only for registry.view holders and
    never on the wall screen — the count of special-group households per building."""
    areas = []
    for area in Place.objects.filter(
        place_q(place, "path"),
        kind__in=(PlaceKind.GRID, PlaceKind.ESTATE, PlaceKind.COMMUNITY),
        boundary__isnull=False,
    ).order_by("path")[:500]:
        geometry = _geometry(area.boundary or {})
        if geometry is None:
            continue
        areas.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "id": area.pk,
                    "name": area.name,
                    "kind": area.kind,
                    "dashboard": area.kind in DRILL_KINDS,
                },
            }
        )
    buildings = []
    coords_of: dict[int, list[float]] = {}
    for building in Place.objects.filter(
        place_q(place, "path"), kind=PlaceKind.BUILDING, latitude__isnull=False, longitude__isnull=False
    ).order_by("path")[:3000]:
        point = _point(building.longitude, building.latitude)  # type: ignore[arg-type]
        coords_of[building.pk] = point
        buildings.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": point},
                "properties": {"id": building.pk, "name": building.name},
            }
        )
    cases_qs = _cases(place)
    if category:
        cases_qs = cases_qs.filter(category__code=category)
    # Without a start date the map shows the last 30 days: a bounded range of the created index.
    since = since or (clock.now().astimezone(SHANGHAI) - dt.timedelta(days=MAP_DEFAULT_DAYS)).date()
    cases_qs = cases_qs.filter(created_at__gte=dt.datetime.combine(since, dt.time(), SHANGHAI))
    if until:
        cases_qs = cases_qs.filter(
            created_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), SHANGHAI)
        )
    cases = []
    for case in cases_qs.select_related("place", "category").order_by("-created_at")[:MAP_CASES_MAX]:
        if case.longitude is not None and case.latitude is not None:
            point = _point(case.longitude, case.latitude)
        elif case.place.longitude is not None and case.place.latitude is not None:
            point = _point(case.place.longitude, case.place.latitude)
        elif case.place.parent_id in coords_of:
            point = coords_of[case.place.parent_id]  # a unit: its building's point
        else:
            continue
        cases.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": point},
                "properties": {
                    "state": case.get_state_display(),
                    "colour": STATE_COLOURS.get(case.state, "#868e96"),
                    "category": case.category.name,
                    "open": case.state in OPEN_STATES,
                },
            }
        )
    special = []
    if not wall and has_capability(user, caps.REGISTRY_VIEW, place):
        per_building: dict[int, int] = {}
        tagged = (
            Household.objects.filter(
                place_q(place), memberships__moved_out__isnull=True, memberships__resident__tags__isnull=False
            )
            .values("place_id", "place__parent_id")
            .annotate(n=Count("pk", distinct=True))
            .order_by()
        )
        for row in tagged:
            building_id = row["place_id"] if row["place_id"] in coords_of else row["place__parent_id"]
            if building_id in coords_of:
                per_building[building_id] = per_building.get(building_id, 0) + row["n"]
        special = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": coords_of[pk]},
                "properties": {"households": n},
            }
            for pk, n in sorted(per_building.items())
        ]
    return {
        "crs": settings.GRIDGOV_MAP_TILE_CRS,
        "areas": {"type": "FeatureCollection", "features": areas},
        "buildings": {"type": "FeatureCollection", "features": buildings},
        "cases": {"type": "FeatureCollection", "features": cases},
        "special": {"type": "FeatureCollection", "features": special},
    }


# --- tasks sent down --------------------------------------------------------------------------


def tasks_sent(user: User) -> QuerySet[Task]:
    """Tasks sent to places in the user's command.tasks scope, newest first."""
    if not _active(user):
        return Task.objects.none()
    scope = scope_q(user, caps.COMMAND_TASKS, "place_path")
    return Task.objects.filter(scope).select_related("place", "created_by").order_by("-created_at", "-id")


def task_for(user: User, task_id: int | str) -> Task:
    """A task the user sent or could have sent (command.tasks at its place); NotFound otherwise."""
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    task = tasks_sent(user).filter(pk=pk).first()
    if task is None:
        raise NotFound()
    return task


@dataclass
class GridProgress:
    grid_id: int
    name: str
    total: int
    done: int
    home: int
    away: int
    refused: int

    @property
    def percent(self) -> int:
        return round(self.done * 100 / self.total) if self.total else 0


def task_progress(task: Task) -> list[GridProgress]:
    """Per-grid progress of a task (one grouped query), laggards first."""
    rows = (
        TaskItem.objects.filter(task=task)
        .values("grid_id", "grid__name")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(outcome__in=DONE_OUTCOMES)),
            home=Count("pk", filter=Q(outcome=Outcome.HOME)),
            away=Count("pk", filter=Q(outcome=Outcome.AWAY)),
            refused=Count("pk", filter=Q(outcome=Outcome.REFUSED)),
        )
        .order_by("grid__path")
    )
    progress = [
        GridProgress(r["grid_id"], r["grid__name"], r["total"], r["done"], r["home"], r["away"], r["refused"])
        for r in rows
    ]
    return sorted(progress, key=lambda g: (g.percent, g.name))


def task_items(task: Task) -> QuerySet[TaskItem]:
    """Every item of a task the caller fetched through `task_for`, for the export."""
    return (
        TaskItem.objects.filter(task=task)
        .select_related("grid", "done_by")
        .order_by("grid_path", "label", "pk")
    )


def _worker_q(user: Actor) -> Q:
    if is_unrestricted(user):
        return Q()
    return subtree_q(paths_with(user, caps.COMMAND_TASK_DO), "grid_path")


@dataclass
class MyTask:
    task: Task
    total: int
    done: int

    @property
    def percent(self) -> int:
        return round(self.done * 100 / self.total) if self.total else 0


def my_tasks(user: User) -> list[MyTask]:
    """The tasks with a part in the user's grids, with that part's progress; open ones first."""
    if not _active(user) or not (is_unrestricted(user) or paths_with(user, caps.COMMAND_TASK_DO)):
        return []
    rows = (
        TaskItem.objects.filter(_worker_q(user))
        .values("task_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(outcome__in=DONE_OUTCOMES)))
        .order_by()
    )
    counts = {r["task_id"]: (r["total"], r["done"]) for r in rows}
    tasks = Task.objects.filter(pk__in=list(counts)).order_by("deadline", "pk")[:100]
    found = [MyTask(t, *counts[t.pk]) for t in tasks]
    return sorted(found, key=lambda m: (m.done >= m.total, m.task.deadline))


def my_task_for(user: User, task_id: int | str) -> Task:
    """A task with a part in the user's grids; NotFound otherwise."""
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not _active(user) or not TaskItem.objects.filter(_worker_q(user), task_id=pk).exists():
        raise NotFound()
    return Task.objects.get(pk=pk)


def my_items(user: User, task: Task) -> QuerySet[TaskItem]:
    """The user's part of `task` (their grids' items), pending first."""
    return (
        TaskItem.objects.filter(_worker_q(user), task=task)
        .select_related("grid")
        .order_by(F("done_at").asc(nulls_first=True), "label", "pk")
    )


def item_for(user: Actor, item_id: int | str, *, for_write: bool = False) -> TaskItem:
    """One item in the user's grids (locked for a tick when for_write); NotFound otherwise."""
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not _active(user) and not getattr(user, "is_system", False):
        raise NotFound()
    qs = TaskItem.objects.filter(_worker_q(user), pk=pk).select_related("task", "grid")
    if for_write:
        qs = qs.select_for_update(of=("self",))
    item = qs.first()
    if item is None:
        raise NotFound()
    return item


# --- emergency broadcasts -------------------------------------------------------------------


def broadcasts_sent(user: User) -> QuerySet[Broadcast]:
    """Urgent notices sent to places in the user's command.tasks scope, newest first."""
    if not _active(user):
        return Broadcast.objects.none()
    scope = scope_q(user, caps.COMMAND_TASKS, "place_path")
    return Broadcast.objects.filter(scope).select_related("place").order_by("-created_at", "-id")


def broadcast_for(user: User, broadcast_id: int | str) -> Broadcast:
    """One urgent notice in the user's scope; NotFound otherwise."""
    try:
        pk = int(broadcast_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = broadcasts_sent(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class GroupStatus:
    group: str
    total: int
    read: int
    sms_sent: int
    sms_failed: int


def broadcast_status(broadcast: Broadcast) -> list[GroupStatus]:
    """Per building (or 工作人员): how many were told, have read it, got the SMS (one query)."""
    rows = (
        BroadcastRecipient.objects.filter(broadcast=broadcast)
        .values("group")
        .annotate(
            total=Count("pk", distinct=True),
            read=Count("pk", filter=Q(notification__read_at__isnull=False), distinct=True),
            sms_sent=Count("pk", filter=Q(notification__outbound__status="sent"), distinct=True),
            sms_failed=Count("pk", filter=Q(notification__outbound__status="failed"), distinct=True),
        )
        .order_by("group")
    )
    return [GroupStatus(r["group"], r["total"], r["read"], r["sms_sent"], r["sms_failed"]) for r in rows]


# --- boundaries -----------------------------------------------------------------------------


def _inside(lng: float, lat: float, ring: list[list[float]]) -> bool:
    """Ray casting: whether the point lies inside the ring (on an edge counts as inside)."""
    inside = False
    count = len(ring)
    for index in range(count):
        x1, y1 = ring[index][0], ring[index][1]
        x2, y2 = ring[(index + 1) % count][0], ring[(index + 1) % count][1]
        if (y1 > lat) != (y2 > lat):
            cross = (x2 - x1) * (lat - y1) / (y2 - y1) + x1
            if lng <= cross:
                inside = not inside
    return inside


def polygon_contains(geometry: dict[str, Any] | None, lng: float, lat: float) -> bool:
    """Whether a stored Polygon/MultiPolygon (outer rings minus holes) contains the point."""
    if not isinstance(geometry, dict):
        return False
    polygons = (
        [geometry.get("coordinates") or []]
        if geometry.get("type") == "Polygon"
        else (geometry.get("coordinates") or [] if geometry.get("type") == "MultiPolygon" else [])
    )
    for rings in polygons:
        if rings and _inside(lng, lat, rings[0]) and not any(_inside(lng, lat, hole) for hole in rings[1:]):
            return True
    return False


@dataclass
class BoundaryWarning:
    building: str
    grids: list[str]

    @property
    def message(self) -> str:
        if not self.grids:
            return f"{self.building}不在任何网格的边界内"
        return f"{self.building}同时落在{'、'.join(self.grids)}的边界内"


def boundary_warnings(place: Place) -> list[BoundaryWarning]:
    """Buildings under the community (or street) of `place` that fall outside every grid's drawn
    boundary, or inside two or more; grids without a boundary are left out of the check."""
    top = place
    while top.parent_id and top.kind not in (PlaceKind.COMMUNITY, PlaceKind.STREET, PlaceKind.DISTRICT):
        top = Place.objects.get(pk=top.parent_id)
    grids = [
        g for g in Place.objects.filter(place_q(top, "path"), kind=PlaceKind.GRID, boundary__isnull=False)
    ]
    if not grids:
        return []
    warnings = []
    for building in (
        Place.objects.filter(
            place_q(top, "path"), kind=PlaceKind.BUILDING, latitude__isnull=False, longitude__isnull=False
        )
        .select_related("parent")
        .order_by("path")[:5000]
    ):
        lng, lat = float(building.longitude or 0), float(building.latitude or 0)
        inside = [g.name for g in grids if polygon_contains(g.boundary, lng, lat)]
        if len(inside) != 1:
            name = f"{building.parent.name if building.parent else ''}{building.name}"
            warnings.append(BoundaryWarning(name, inside))
    return warnings


def editable_areas(user: User, place: Place) -> QuerySet[Place]:
    """Grids and estates under `place` whose boundary the user may redraw (places.manage)."""
    if not has_capability(user, caps.PLACES_MANAGE, place) and not is_unrestricted(user):
        scope = subtree_q(paths_with(user, caps.PLACES_MANAGE), "path")
    else:
        scope = Q()
    return Place.objects.filter(
        scope, place_q(place, "path"), kind__in=(PlaceKind.GRID, PlaceKind.ESTATE)
    ).order_by("path")


# --- partners (网格合伙人) --------------------------------------------------------------------


@dataclass
class PartnerRow:
    name: str
    kind: str
    resolved: int


@dataclass
class GridPartners:
    grid: Place
    partners: list[PartnerRow]
    departments: list[PartnerRow]


def _grid_for_path(path: str, grids: dict[str, Place]) -> Place | None:
    parts = path.split(".")
    for index in range(len(parts), 0, -1):
        found = grids.get(".".join(parts[:index]))
        if found is not None:
            return found
    return None


def partners(
    user: User, place: Place, *, since: dt.datetime, until: dt.datetime | None = None
) -> list[GridPartners]:
    """Per grid under `place`: the partners bound there (property companies, units, merchants,
    social organisations) and the departments that resolved its cases received in [since, until), each with
    the cases it resolved; three queries whatever the number of grids."""
    from gridgov.orgs.models import Organisation, OrgKind

    grids = {
        g.path: g for g in Place.objects.filter(place_q(place, "path"), kind=PlaceKind.GRID).order_by("path")
    }
    if not grids:
        return []
    bound: dict[str, dict[int, Organisation]] = {path: {} for path in grids}
    through = Organisation.places.through
    partner_kinds = (OrgKind.PROPERTY, OrgKind.UNIT, OrgKind.MERCHANT, OrgKind.SOCIAL)
    for link in through.objects.filter(
        Q(place__path=place.path) | Q(place__path__startswith=place.path + "."),
        organisation__kind__in=partner_kinds,
    ).select_related("organisation", "place"):
        grid = _grid_for_path(link.place.path, grids)
        if grid is not None:
            bound[grid.path][link.organisation_id] = link.organisation
    resolved: dict[tuple[str, int], int] = {}
    orgs: dict[int, Organisation] = {}
    for row in (
        _cases(place)
        # Received since `since` (the indexed column), done by now: a resolved_at range would scan.
        .filter(handler_org__isnull=False, state__in=DONE_STATES, created_at__gte=since)
        .filter(Q(created_at__lt=until) if until is not None else Q())
        .values("handler_org", "place_path")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        grid = _grid_for_path(row["place_path"], grids)
        if grid is not None:
            key = (grid.path, row["handler_org"])
            resolved[key] = resolved.get(key, 0) + row["n"]
    if resolved:
        orgs = {o.pk: o for o in Organisation.objects.filter(pk__in={org for _, org in resolved})}
    result = []
    for path, grid in grids.items():
        partner_rows = [
            PartnerRow(o.name, o.get_kind_display(), resolved.get((path, o.pk), 0))
            for o in sorted(bound[path].values(), key=lambda o: o.name)
        ]
        departments = sorted(
            (
                PartnerRow(orgs[org].name, orgs[org].get_kind_display(), n)
                for (grid_path, org), n in resolved.items()
                if grid_path == path and org in orgs and orgs[org].kind == OrgKind.DEPARTMENT
            ),
            key=lambda r: (-r.resolved, r.name),
        )
        result.append(GridPartners(grid, partner_rows, departments))
    return result


def send_target_places(user: User) -> QuerySet[Place]:
    """Places the user may send a task or an emergency broadcast to: streets, communities, grids
    and estates where they hold command.tasks."""
    return Place.objects.filter(
        scope_q(user, caps.COMMAND_TASKS, "path"),
        kind__in=(PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.ESTATE),
    ).order_by("path")
