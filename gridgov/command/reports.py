"""社区网格化服务管理工作月报: the monthly (or custom-period) report a community office hands upward.

`build(user, place, period)` gathers the fixed tables of the form offices fill in today —
一、基本情况, 二、事件受理办结, 三、走访与巡查, 四、服务与活动, 五、矛盾调解与议事协商, 六、下月工作重点 — as `Table`s
(named columns, rows of cells); the printable page, the Excel file and the PDF all write those
same rows, so they cannot disagree.

Where the numbers come from: the case figures from `cases.selectors.case_stats`, `case_trend` and
`case_children`, which sum the statistics rollups (gridgov.cases.rollups) for whole days at grids
and above, so a report over a street's million cases reads a few hundred rollup rows, never the
case history; 吹哨 from the calls of the period; the registry, care, service and activity figures
from period-bounded counts on those apps' indexed columns. Each section is scoped by its own
capability at the place (registry.view, cases.stats, care.view, services.view, activities.view):
a section the reader may not see says so instead of showing zeros.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import has_capability, place_q, scope_q
from gridgov.cases.models import CaseCall
from gridgov.cases.selectors import case_children, case_stats, case_trend
from gridgov.command import policy, selectors
from gridgov.core import clock
from gridgov.core.errors import field_error
from gridgov.core.pdf import html_to_pdf
from gridgov.core.text import checked_text
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User

EARLIEST = dt.date(2000, 1, 1)
DAYS_MAX = 366
FOCUS_MAX = 500
PLACES_MAX = 500
DASH = "—"


# --- the period ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date  # inclusive
    month: dt.date | None = None  # its first day, for a calendar month

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def label(self) -> str:
        if self.month is not None:
            return f"{self.month.year}年{self.month.month}月"
        return f"{self.since:%Y年%m月%d日}至{self.until:%Y年%m月%d日}"

    @property
    def slug(self) -> str:
        return f"{self.month:%Y-%m}" if self.month else f"{self.since:%Y%m%d}-{self.until:%Y%m%d}"


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _parse_day(value: str, name: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise field_error(name, f"{label}格式不对，应为“2026-11-01”这样的日期") from None


def month_period(value: str, *, today: dt.date) -> Period:
    """The calendar month "YYYY-MM"; the running month ends today."""
    text = (value or "").strip()
    if not text:
        raise field_error("month", "请选择月份")
    try:
        year, month = (int(part) for part in text.split("-"))
        first = dt.date(year, month, 1)
    except ValueError:
        raise field_error("month", "月份格式不对，应为“2026-11”这样的年月") from None
    if first < EARLIEST:
        raise field_error("month", f"月份不能早于{EARLIEST.year}年")
    if first > today:
        raise field_error("month", "不能统计还没开始的月份")
    return Period(first, min(_month_end(first), today), month=first)


def custom_period(since_text: str, until_text: str, *, today: dt.date) -> Period:
    """From–to (both days included), at most DAYS_MAX days, not beyond today."""
    if not (since_text or "").strip():
        raise field_error("since", "请填写开始日期")
    if not (until_text or "").strip():
        raise field_error("until", "请填写结束日期")
    since = _parse_day(since_text, "since", "开始日期")
    until = _parse_day(until_text, "until", "结束日期")
    if since < EARLIEST:
        raise field_error("since", f"开始日期不能早于{EARLIEST:%Y年%m月%d日}")
    if until > today:
        raise field_error("until", "结束日期不能晚于今天")
    if since > until:
        raise field_error("until", "结束日期不能早于开始日期")
    if (until - since).days + 1 > DAYS_MAX:
        raise field_error("until", f"统计期最长{DAYS_MAX}天，请缩短")
    return Period(since, until)


def clean_focus(value: str) -> str:
    return checked_text(value, "focus", "下月工作重点", max_length=FOCUS_MAX, required=False, multiline=True)


# --- tables and the report ----------------------------------------------------------------------


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Section:
    number: str
    title: str
    tables: list[Table] = field(default_factory=list)
    # Why there is nothing to show (no permission, no records), printed instead of the tables.
    empty: str = ""


@dataclass
class Chart:
    title: str
    svg: SafeString


@dataclass
class Report:
    place: Place
    period: Period
    sections: list[Section]
    focus: str
    made_at: dt.datetime
    charts: list[Chart]

    @property
    def title(self) -> str:
        kind = "月报" if self.period.month else "报表"
        return f"{self.place.name}网格化服务管理工作{kind}"

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]


def percent(part: int | float, whole: int | float) -> str:
    """A rate as the form prints it ("87.5%"), or a dash when there is nothing to divide."""
    return f"{part * 100 / whole:.1f}%" if whole else DASH


def _rate_text(rate: float | None) -> str:
    return f"{rate * 100:.1f}%" if rate is not None else DASH


def _hours_text(hours: float | None) -> str:
    return f"{hours:.1f}" if hours is not None else DASH


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as [start, end) moments in local time (the days the form speaks of)."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(period.since, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period.until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def report_places(user: User) -> QuerySet[Place]:
    """The places the user may report on: streets, communities and grids under command.view."""
    return Place.objects.filter(
        scope_q(user, caps.COMMAND_VIEW, "path"), kind__in=selectors.DRILL_KINDS
    ).order_by("path")[:PLACES_MAX]


# --- 一、基本情况 -------------------------------------------------------------------------------------


def _basics(user: User, place: Place, period: Period) -> Section:
    from gridgov.people.models import FloatingRegistration, Resident, ResidentTag
    from gridgov.places.models import Household

    section = Section("一", "基本情况")
    if not has_capability(user, caps.REGISTRY_VIEW, place):
        section.empty = "（本岗位无人房信息查看权限，此项由社区填报）"
        return section
    residents = Resident.objects.filter(place_q(place))
    floating = FloatingRegistration.objects.filter(place_q(place))
    registry = {
        "population": residents.count(),
        "households": Household.objects.filter(place_q(place)).count(),
        "floating": floating.filter(deregistered_on__isnull=True).count(),
        "floating_in": floating.filter(
            registered_on__gte=period.since, registered_on__lte=period.until
        ).count(),
        "floating_out": floating.filter(
            deregistered_on__gte=period.since, deregistered_on__lte=period.until
        ).count(),
    }
    section.tables.append(
        Table(
            "population",
            "（一）人口与户数",
            ["项目", "数量"],
            [
                ["实有人口（人）", registry["population"]],
                ["户数（户）", registry["households"]],
                ["在册流动人口（人）", registry["floating"]],
                ["本期流入登记（人）", registry["floating_in"]],
                ["本期流出注销（人）", registry["floating_out"]],
            ],
            note="人口、户数、在册流动人口为制表时数；流入、流出为本期内登记、注销数。",
        )
    )
    tags = (
        ResidentTag.objects.filter(resident__in=residents.values("pk"))
        .values("tag__name")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__name")
    )
    section.tables.append(
        Table(
            "groups",
            "（二）重点人群",
            ["类别", "人数"],
            [[row["tag__name"], row["n"]] for row in tags],
            note="" if tags else "暂无登记的重点人群。",
        )
    )
    return section


# --- 二、事件受理办结 -------------------------------------------------------------------------------


def _case_row(name: str, row: dict[str, Any]) -> list[Any]:
    received = row.get("received") or 0
    return [
        name,
        received,
        row.get("resolved") or 0,
        percent(row.get("resolved") or 0, received),
        row.get("overdue") or 0,
        percent(received - (row.get("overdue") or 0), received),
        _rate_text(row.get("satisfaction_rate")),
    ]


CASE_COLUMNS = ["受理（件）", "办结（件）", "办结率", "超时（件）", "按时率", "满意率"]


def _cases(user: User, place: Place, period: Period, now: dt.datetime) -> tuple[Section, dict[str, Any]]:
    section = Section("二", "事件受理办结")
    if not has_capability(user, caps.CASES_STATS, place):
        section.empty = "（本岗位无事件统计查看权限）"
        return section, {}
    stats = case_stats(user, place, since=period.since, until=period.until, now=now)
    section.tables.append(
        Table(
            "cases_total",
            "（一）总体情况",
            ["项目", "数值"],
            [
                ["受理事件（件）", stats["received"]],
                ["已办结（件）", stats["resolved"]],
                ["办结率", _rate_text(stats["resolve_rate"])],
                ["在办（件）", stats["open"]],
                ["不予受理（件）", stats["rejected"]],
                ["超时（件）", stats["overdue"]],
                ["平均受理用时（小时）", _hours_text(stats["avg_accept_hours"])],
                ["平均办结用时（小时）", _hours_text(stats["avg_resolve_hours"])],
                ["群众满意率", _rate_text(stats["satisfaction_rate"])],
            ],
            note="按本期内受理（上报）的事件统计；按时率＝未超时件数÷受理件数；满意率＝4星及以上评价÷已评价。",
        )
    )
    by_category = [_case_row(row["name"], row) for row in stats["by_category"]]
    if by_category:
        by_category.append(_case_row("合计", stats))
    section.tables.append(Table("cases_category", "（二）按事件分类", ["分类", *CASE_COLUMNS], by_category))
    section.tables.append(
        Table(
            "cases_channel",
            "（三）按来源渠道",
            ["渠道", *CASE_COLUMNS],
            [_case_row(row["name"], row) for row in stats["by_channel"]],
        )
    )
    children = case_children(user, place, period.since, period.until)
    if not any(child["place"].pk != place.pk for child in children):
        children = []  # a grid: nothing below it to compare
    if children:
        labels = {"community": "社区", "grid": "网格"}
        label = labels.get(children[-1]["place"].kind, "下级")
        section.tables.append(
            Table(
                "cases_children",
                f"（四）各{label}情况",
                [label, *CASE_COLUMNS],
                [_case_row(child["name"], child) for child in children],
            )
        )
    start, end = _bounds(period)
    calls = (
        CaseCall.objects.filter(place_q(place, "case__place_path"), called_at__gte=start, called_at__lt=end)
        .values("organisation__name")
        .annotate(
            n=Count("pk"),
            reported=Count("pk", filter=Q(reported_at__isnull=False)),
            on_time=Count("pk", filter=Q(reported_at__isnull=False, reported_at__lte=F("deadline"))),
        )
        .order_by("-n", "organisation__name")
    )
    call_rows = [
        [r["organisation__name"], r["n"], r["reported"], r["on_time"], percent(r["on_time"], r["n"])]
        for r in calls
    ]
    if call_rows:
        totals = [sum(r[i] for r in call_rows) for i in (1, 2, 3)]
        call_rows.append(["合计", *totals, percent(totals[2], totals[0])])
    section.tables.append(
        Table(
            "calls",
            f"（{'五' if children else '四'}）吹哨报到",
            ["被呼叫部门", "吹哨（次）", "已报到（次）", "按时报到（次）", "按时报到率"],
            call_rows,
            note="" if call_rows else "本期未吹哨。",
        )
    )
    return section, stats


# --- 三、走访与巡查 ---------------------------------------------------------------------------------


def _visits(user: User, place: Place, period: Period) -> Section:
    from gridgov.care.models import PatrolResult, PatrolVisit, Visit
    from gridgov.places.models import Household, PlaceKind

    section = Section("三", "走访与巡查")
    if not has_capability(user, caps.CARE_VIEW, place):
        section.empty = "（本岗位无走访记录查看权限）"
        return section
    start, end = _bounds(period)
    patrols = PatrolVisit.objects.filter(
        place_q(place, "place_path"), visited_at__gte=start, visited_at__lt=end
    )
    care = Visit.objects.filter(place_q(place, "plan__place_path"), visited_at__gte=start, visited_at__lt=end)
    per_grid = {
        row["grid_id"]: row
        for row in patrols.values("grid_id")
        .annotate(
            n=Count("pk"),
            households=Count("household_id", distinct=True),
            home=Count("pk", filter=Q(result=PatrolResult.HOME)),
            cases=Count("cases", distinct=True),
        )
        .order_by()
    }
    care_row = care.aggregate(
        n=Count("pk"), on_time=Count("pk", filter=Q(on_time=True)), minutes=Sum("minutes")
    )
    if not per_grid and not care_row["n"]:
        section.empty = "本期无入户走访和关爱走访记录。"
        return section
    grids = list(Place.objects.filter(place_q(place, "path"), kind=PlaceKind.GRID).order_by("path"))
    by_path = {grid.path: grid.pk for grid in grids}
    # Households per building, then each building's grid by walking up its path (a few steps).
    households: dict[int, int] = {}
    for path, n in (
        Household.objects.filter(place_q(place))
        .values("place__path")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("place__path", "n")
    ):
        parts = path.split(".")
        for index in range(len(parts), 0, -1):
            grid_id = by_path.get(".".join(parts[:index]))
            if grid_id is not None:
                households[grid_id] = households.get(grid_id, 0) + n
                break

    rows = []
    for grid in grids:
        row = per_grid.get(grid.pk, {})
        total = households.get(grid.pk, 0)
        rows.append(
            [
                grid.name,
                total,
                row.get("n", 0),
                row.get("households", 0),
                percent(row.get("households", 0), total),
                row.get("cases", 0),
            ]
        )
    if len(rows) > 1:
        sums = [sum(r[i] for r in rows) for i in (1, 2, 3, 5)]
        rows.append(["合计", sums[0], sums[1], sums[2], percent(sums[2], sums[0]), sums[3]])
    section.tables.append(
        Table(
            "patrols",
            "（一）网格入户巡查",
            ["网格", "户数", "走访（次）", "走访户数", "覆盖率", "发现问题上报（件）"],
            rows,
        )
    )
    section.tables.append(
        Table(
            "care",
            "（二）关爱帮扶走访",
            ["项目", "数值"],
            [
                ["关爱走访（次）", care_row["n"]],
                ["按时走访（次）", care_row["on_time"]],
                ["按时率", percent(care_row["on_time"], care_row["n"])],
                ["走访时长（小时）", f"{(care_row['minutes'] or 0) / 60:.1f}"],
            ],
        )
    )
    return section


# --- 四、服务与活动 ---------------------------------------------------------------------------------


def _services(user: User, place: Place, period: Period) -> Section:
    from gridgov.activities.models import Activity, ActivityState, Signup, SignupState
    from gridgov.services.models import HoursEntry, Order, OrderState

    section = Section("四", "服务与活动")
    start, end = _bounds(period)
    refused = []
    if has_capability(user, caps.SERVICES_VIEW, place):
        orders = Order.objects.filter(place_q(place, "place_path"))
        placed = orders.filter(created_at__gte=start, created_at__lt=end).count()
        done = orders.filter(
            state__in=(OrderState.DONE, OrderState.CONFIRMED), done_at__gte=start, done_at__lt=end
        ).aggregate(
            n=Count("pk"),
            people=Count("resident_id", distinct=True),
            rated=Count("pk", filter=Q(rating__isnull=False)),
            happy=Count("pk", filter=Q(rating__gte=4)),
        )
        hours = HoursEntry.objects.filter(
            place_q(place, "place_path"), created_at__gte=start, created_at__lt=end
        ).aggregate(total=Sum("hours"), people=Count("volunteer_id", distinct=True))
        if placed or done["n"] or hours["total"]:
            section.tables.append(
                Table(
                    "orders",
                    "（一）生活快车与志愿服务",
                    ["项目", "数值"],
                    [
                        ["群众点单（单）", placed],
                        ["完成服务（单）", done["n"]],
                        ["服务群众（人）", done["people"]],
                        ["服务满意率", percent(done["happy"], done["rated"])],
                        ["志愿服务时长（小时）", f"{(hours['total'] or Decimal(0)):.1f}"],
                        ["参与志愿者（人）", hours["people"]],
                    ],
                )
            )
    else:
        refused.append("生活快车")
    if has_capability(user, caps.ACTIVITIES_VIEW, place):
        held = Activity.objects.filter(
            place_q(place, "place__path"), starts_at__gte=start, starts_at__lt=end
        ).exclude(state=ActivityState.CANCELLED)
        signups = Signup.objects.filter(activity__in=held.values("pk")).aggregate(
            signed=Count("pk", filter=~Q(state=SignupState.CANCELLED)),
            attended=Count("pk", filter=Q(checked_in_at__isnull=False)),
            people=Count("resident_id", filter=Q(checked_in_at__isnull=False), distinct=True),
        )
        count = held.count()
        if count:
            section.tables.append(
                Table(
                    "activities",
                    f"（{'二' if section.tables else '一'}）社区活动",
                    ["项目", "数值"],
                    [
                        ["开展活动（场）", count],
                        ["报名（人次）", signups["signed"]],
                        ["签到参加（人次）", signups["attended"]],
                        ["参加群众（人）", signups["people"]],
                        ["签到率", percent(signups["attended"], signups["signed"])],
                    ],
                )
            )
    else:
        refused.append("社区活动")
    if not section.tables:
        section.empty = (
            f"（本岗位无{'、'.join(refused)}查看权限）"
            if len(refused) == 2
            else "本期无生活快车服务和社区活动记录。"
        )
    return section


# --- 五、矛盾调解与议事协商 -------------------------------------------------------------------------


def _mediation_table(place: Place, period: Period) -> Table | None:
    """Disputes of the place's subtree by type: received, closed and agreed in the period, and
    still being mediated when it ended; counts only (the records stay with the mediation desk)."""
    from gridgov.mediation.models import AGREEMENT_OUTCOMES, Dispute, DisputeType, Status

    received_in = Q(received_on__gte=period.since, received_on__lte=period.until)
    closed_in = Q(status=Status.CLOSED, closed_on__gte=period.since, closed_on__lte=period.until)
    pending_at_end = Q(received_on__lte=period.until) & (
        Q(closed_on__isnull=True) | Q(closed_on__gt=period.until)
    )
    per_type = {
        row["dispute_type"]: row
        for row in Dispute.objects.filter(place_q(place, "place__path"))
        .filter(received_in | closed_in | pending_at_end)
        .values("dispute_type")
        .annotate(
            received=Count("pk", filter=received_in),
            urgent=Count("pk", filter=received_in & Q(urgent=True)),
            closed=Count("pk", filter=closed_in),
            agreed=Count("pk", filter=closed_in & Q(outcome__in=AGREEMENT_OUTCOMES)),
            pending=Count("pk", filter=pending_at_end),
        )
        .order_by()
    }
    if not per_type:
        return None
    rows: list[list[Any]] = []
    for code, label in DisputeType.choices:
        row = per_type.get(code)
        if row is not None:
            counts = [row["received"], row["urgent"], row["closed"], row["agreed"]]
            rows.append([label, *counts, percent(row["agreed"], row["closed"]), row["pending"]])
    if len(rows) > 1:
        sums = [sum(row[i] for row in rows) for i in (1, 2, 3, 4, 6)]
        rows.append(["合计", *sums[:4], percent(sums[3], sums[2]), sums[4]])
    return Table(
        "mediation",
        "（一）矛盾纠纷调解",
        [
            "纠纷类型",
            "受理（件）",
            "其中有激化风险",
            "结案（件）",
            "调解成功（件）",
            "调解成功率",
            "期末在调（件）",
        ],
        rows,
    )


def _consult_table(place: Place, period: Period, number: str) -> Table | None:
    """Consultations of the place's subtree opened and decided in the period, and how they ended."""
    from gridgov.consult.models import BallotKind, Consultation, Participation, Stage
    from gridgov.consult.selectors import results_of

    start, end = _bounds(period)
    topics = Consultation.objects.filter(place_q(place, "place__path")).exclude(stage=Stage.DRAFT)
    opened = topics.filter(opened_at__gte=start, opened_at__lt=end).count()
    decided = list(topics.filter(stage=Stage.CLOSED, closed_at__gte=start, closed_at__lt=end).order_by("pk"))
    if not opened and not decided:
        return None
    passed = failed = 0
    for consultation in decided:
        if consultation.ballot_kind != BallotKind.APPROVE:
            continue  # a choice among options is decided by its tally, not passed or failed
        verdict = results_of(consultation).passed
        passed += verdict is True
        failed += verdict is False
    voters = Participation.objects.filter(
        consultation__in=topics.values("pk"), voted_on__gte=period.since, voted_on__lte=period.until
    ).count()
    return Table(
        "consult",
        f"（{number}）议事协商",
        ["项目", "数值"],
        [
            ["发起议题（个）", opened],
            ["表决结束（个）", len(decided)],
            ["表决通过（个）", passed],
            ["表决未通过（个）", failed],
            ["本期参与表决（户/人次）", voters],
        ],
    )


def _mediation_consult(user: User, place: Place, period: Period) -> Section:
    section = Section("五", "矛盾调解与议事协商")
    refused = []
    if has_capability(user, caps.MEDIATION_HANDLE, place):
        table = _mediation_table(place, period)
        if table is not None:
            section.tables.append(table)
    else:
        refused.append("矛盾调解")
    if has_capability(user, caps.CONSULT_VIEW, place):
        table = _consult_table(place, period, "二" if section.tables else "一")
        if table is not None:
            section.tables.append(table)
    else:
        refused.append("议事协商")
    if not section.tables:
        section.empty = (
            f"（本岗位无{'、'.join(refused)}查看权限）"
            if len(refused) == 2
            else "本期无矛盾调解和议事协商记录。"
        )
    return section


# --- charts (server-drawn SVG: the same on the page, on paper and in the PDF) -----------------------


def _svg_text(
    x: float, y: float, text: str, *, size: int = 11, anchor: str = "middle", fill: str = "#334155"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
        f"{escape(text)}</text>"
    )


def bar_chart(title: str, labels: list[str], series: list[tuple[str, str, list[int]]]) -> Chart:
    """Grouped bars: one group per label, one bar per (name, colour, values) series."""
    width, height, left, bottom, top = 640, 260, 44, 46, 28
    plot_w, plot_h = width - left - 12, height - top - bottom
    peak = max([max(values, default=0) for _, _, values in series] + [1])
    step = max(1, -(-peak // 4))
    peak = step * 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="report-chart">'
    ]
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - 12}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(_svg_text(left - 6, y + 4, str(step * tick), size=10, anchor="end"))
    group_w = plot_w / max(len(labels), 1)
    bar_w = min(28.0, group_w * 0.7 / max(len(series), 1))
    for index, label in enumerate(labels):
        x0 = left + group_w * index + (group_w - bar_w * len(series)) / 2
        for offset, (_name, colour, values) in enumerate(series):
            value = values[index]
            h = plot_h * value / peak
            x = x0 + bar_w * offset
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(label)}：{value}</title></rect>'
            )
            if value:
                parts.append(_svg_text(x + (bar_w - 2) / 2, top + plot_h - h - 3, str(value), size=9))
        parts.append(_svg_text(left + group_w * (index + 0.5), height - bottom + 16, label[:8], size=11))
    x = left
    for name, colour, _values in series:
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>')
        parts.append(_svg_text(x + 16, 16, name, size=11, anchor="start"))
        x += 24 + 13 * len(name)
    parts.append("</svg>")
    return Chart(title, mark_safe("".join(parts)))  # every text above is escaped


def line_chart(title: str, labels: list[str], values: list[int], colour: str = "#2563eb") -> Chart:
    width, height, left, bottom, top = 640, 220, 44, 36, 20
    plot_w, plot_h = width - left - 12, height - top - bottom
    peak = max([*values, 1])
    step = max(1, -(-peak // 4))
    peak = step * 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="report-chart">'
    ]
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - 12}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(_svg_text(left - 6, y + 4, str(step * tick), size=10, anchor="end"))
    count = max(len(values) - 1, 1)
    points = [
        (left + plot_w * index / count, top + plot_h - plot_h * value / peak)
        for index, value in enumerate(values)
    ]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if len(points) <= 62:  # a day at a time: each day's dot, so a lone day still shows
            for (x, y), label, value in zip(points, labels, values, strict=True):
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(label)}：{value}</title></circle>"
                )
    every = max(1, len(labels) // 8)
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            parts.append(_svg_text(points[index][0], height - bottom + 16, label, size=10))
    parts.append("</svg>")
    return Chart(title, mark_safe("".join(parts)))  # every text above is escaped


def _charts(user: User, place: Place, period: Period, stats: dict[str, Any]) -> list[Chart]:
    if not stats:
        return []
    charts = []
    categories = stats["by_category"]
    if categories:
        charts.append(
            bar_chart(
                "各类事件受理与办结",
                [row["name"] for row in categories],
                [
                    ("受理", "#3b82f6", [row["received"] or 0 for row in categories]),
                    ("办结", "#16a34a", [row["resolved"] or 0 for row in categories]),
                ],
            )
        )
    by_month = period.days > 62
    rows = case_trend(user, place, period.since, period.until, by="month" if by_month else "day")
    counts = {row["period"]: row["received"] or 0 for row in rows}
    labels: list[str] = []
    values: list[int] = []
    if by_month:
        month = period.since.replace(day=1)
        while month <= period.until:
            labels.append(f"{month:%Y-%m}")
            values.append(counts.get(month, 0))
            month = _month_end(month) + dt.timedelta(days=1)
    else:
        for offset in range(period.days):
            day = period.since + dt.timedelta(days=offset)
            labels.append(f"{day:%m-%d}")
            values.append(counts.get(day, 0))
    charts.append(line_chart(f"{'每月' if by_month else '每日'}受理量", labels, values))
    return charts


# --- the whole report -------------------------------------------------------------------------------


def build(
    user: User, place: Place, period: Period, *, focus: str = "", now: dt.datetime | None = None
) -> Report:
    """The report of `place` (a street, community or grid, as `selectors.dashboard_place_for`
    gives it); NotFound unless the user holds command.view there."""
    policy.check("report", user, place)
    now = now or clock.now()
    cases, stats = _cases(user, place, period, now)
    sections = [
        _basics(user, place, period),
        cases,
        _visits(user, place, period),
        _services(user, place, period),
        _mediation_consult(user, place, period),
    ]
    return Report(
        place=place,
        period=period,
        sections=sections,
        focus=focus,
        made_at=now,
        charts=_charts(user, place, period, stats),
    )


# --- Excel and PDF ------------------------------------------------------------------------------------


def report_xlsx(report: Report) -> bytes:
    """The report's tables, one sheet per section, each table as on paper: its title, its header
    row, its rows, its note; user text (names of places, organisations, tags, the focus) as text."""
    from openpyxl import Workbook

    from gridgov.core.sheets import xlsx_row

    workbook = Workbook(write_only=True)
    cover = workbook.create_sheet("封面")
    for row in (
        [report.title],
        ["统计范围", report.place.name],
        ["统计期", report.period.label],
        ["制表时间", timezone.localtime(report.made_at).strftime("%Y-%m-%d %H:%M")],
    ):
        cover.append(xlsx_row(cover, row))
    for section in report.sections:
        sheet = workbook.create_sheet(f"{section.number}、{section.title}"[:31])
        sheet.append(xlsx_row(sheet, [f"{section.number}、{section.title}"]))
        if section.empty:
            sheet.append(xlsx_row(sheet, [section.empty]))
        for table in section.tables:
            sheet.append(xlsx_row(sheet, [table.title]))
            sheet.append(xlsx_row(sheet, table.columns))
            for row in table.rows:
                sheet.append(xlsx_row(sheet, row))
            if table.note:
                sheet.append(xlsx_row(sheet, [table.note]))
            sheet.append([])
    focus = workbook.create_sheet("六、下月工作重点")
    focus.append(xlsx_row(focus, ["六、下月工作重点"]))
    for line in (report.focus or "（未填写）").splitlines():
        focus.append(xlsx_row(focus, [line]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_html(report: Report) -> str:
    """The report as one standalone page for Chromium to print (styles inline, no scripts)."""
    return render_to_string("command/report_pdf.html", {"report": report, "nonce": secrets.token_urlsafe(16)})


def report_pdf(report: Report) -> bytes:
    """The PDF bytes of the report's printable page, charts included (core.pdf)."""
    return html_to_pdf(report_html(report), field="pdf")
