"""网格员考核: each grid worker's measures over a month, weighted into a score and a band.

A measure is a share between 0 and 1; one with nothing to measure (no case resolved, no task
due) is left out and the weights of the others count in full, so a quiet month is not a bad one.
Reads only: one grouped query per measure for all the workers of a place, whatever their number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q

from gridgov.accounts import capabilities as caps
from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.scope import place_q
from gridgov.care.selectors import patrol_coverage
from gridgov.cases.models import Case, Channel
from gridgov.command.models import DEFAULT_BANDS, DEFAULT_WEIGHTS, MEASURES, AssessmentRule, TaskItem
from gridgov.command.selectors import SHANGHAI
from gridgov.places.models import Place, PlaceKind

if TYPE_CHECKING:
    from gridgov.accounts.models import User


def current_rule() -> AssessmentRule:
    """The administrator's rule, or the defaults while none is saved."""
    return AssessmentRule.objects.order_by("pk").first() or AssessmentRule(
        weights=dict(DEFAULT_WEIGHTS), bands=[list(b) for b in DEFAULT_BANDS]
    )


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(month.year, month.month, 1, tzinfo=SHANGHAI)
    nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, dt.datetime(nxt.year, nxt.month, 1, tzinfo=SHANGHAI)


@dataclass
class Measure:
    code: str
    label: str
    value: float | None  # 0..1, None = nothing to measure this month
    weight: int
    detail: str
    points: float = 0.0


@dataclass
class WorkerScore:
    user_id: int
    name: str
    grid: Place
    community: str
    measures: list[Measure] = field(default_factory=list)
    score: float | None = None
    band: str = ""


def _band(score: float, bands: list[Any]) -> str:
    for lowest, label in sorted(bands, key=lambda b: -float(b[0])):
        if score >= float(lowest):
            return str(label)
    return ""


def _score(worker: WorkerScore, rule: AssessmentRule) -> None:
    counted = [m for m in worker.measures if m.value is not None and m.weight > 0]
    total = sum(m.weight for m in counted)
    if not total:
        return
    for m in counted:
        m.points = round(m.weight * (m.value or 0) * 100 / total, 1)
    worker.score = round(sum(m.points for m in counted), 1)
    worker.band = _band(worker.score, rule.bands or DEFAULT_BANDS)


def worker_scores(user: User, place: Place, *, month: dt.date) -> list[WorkerScore]:
    """The grid workers (case handlers assigned at grids) under `place`, scored for `month`, best
    first within each community; the caller got `place` through `dashboard_place_for`."""
    rule = current_rule()
    start, end = month_bounds(month)
    assignments = [
        a
        for a in RoleAssignment.objects.filter(
            place_q(place), place__kind=PlaceKind.GRID, user__is_active=True
        )
        .select_related("user", "place", "place__parent", "role")
        .order_by("place__path", "user_id")
        if caps.CASES_HANDLE in (a.role.capabilities or [])
    ]
    if not assignments:
        return []
    user_ids = sorted({a.user_id for a in assignments})
    cases = {
        r["handler_user"]: r
        for r in Case.objects.filter(handler_user__in=user_ids, resolved_at__gte=start, resolved_at__lt=end)
        .values("handler_user")
        .annotate(
            n=Count("pk"),
            on_time=Count(
                "pk", filter=Q(due_resolve_at__isnull=True) | Q(resolved_at__lte=F("due_resolve_at"))
            ),
            rated=Count("pk", filter=Q(rating__isnull=False)),
            happy=Count("pk", filter=Q(rating__gte=4)),
        )
        .order_by()
    }
    patrols = dict(
        Case.objects.filter(
            created_by__in=user_ids, channel=Channel.PATROL, created_at__gte=start, created_at__lt=end
        )
        .values("created_by")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("created_by", "n")
    )
    grid_ids = sorted({a.place_id for a in assignments})
    tasks = {
        r["grid_id"]: r
        for r in TaskItem.objects.filter(
            grid_id__in=grid_ids, task__deadline__gte=start, task__deadline__lt=end
        )
        .values("grid_id")
        .annotate(n=Count("pk"), on_time=Count("pk", filter=Q(done_at__lte=F("task__deadline"))))
        .order_by()
    }
    coverage = {(row.grid.pk, row.worker): row for row in patrol_coverage(user, month)}
    weights = {**DEFAULT_WEIGHTS, **(rule.weights or {})}
    scores = []
    for a in assignments:
        name = a.user.display_name or a.user.username
        c = cases.get(a.user_id, {})
        t = tasks.get(a.place_id, {})
        cov = coverage.get((a.place_id, name))
        target = max(rule.patrol_target, 1)
        reported = patrols.get(a.user_id, 0)
        values: dict[str, tuple[float | None, str]] = {
            "cases_on_time": (
                (c["on_time"] / c["n"], f"办结{c['n']}件，按时{c['on_time']}件")
                if c.get("n")
                else (None, "本月无办结事件")
            ),
            "satisfaction": (
                (c["happy"] / c["rated"], f"评价{c['rated']}件，满意{c['happy']}件")
                if c.get("rated")
                else (None, "本月无评价")
            ),
            "patrol_reports": (min(reported / target, 1.0), f"巡查上报{reported}件，目标{target}件"),
            "tasks_on_time": (
                (t["on_time"] / t["n"], f"本月到期任务{t['n']}户，按期完成{t['on_time']}户")
                if t.get("n")
                else (None, "本月无到期任务")
            ),
            "patrol_coverage": (
                (cov.visited / cov.households, f"走访{cov.visited}户，共{cov.households}户")
                if cov and cov.households
                else (None, "本月无走访记录")
            ),
        }
        worker = WorkerScore(a.user_id, name, a.place, a.place.parent.name if a.place.parent else "")
        worker.measures = [
            Measure(code, MEASURES[code], values[code][0], int(weights.get(code, 0)), values[code][1])
            for code in MEASURES
        ]
        _score(worker, rule)
        scores.append(worker)
    scores.sort(key=lambda w: (w.community, -(w.score if w.score is not None else -1), w.name))
    return scores


def my_scores(user: User, *, month: dt.date) -> list[WorkerScore]:
    """The user's own score in each grid they work, with how it was computed."""
    grids = Place.objects.filter(
        pk__in=RoleAssignment.objects.filter(user_id=user.pk, place__kind=PlaceKind.GRID).values("place_id")
    )
    found: list[WorkerScore] = []
    for grid in grids:
        found += [w for w in worker_scores(user, grid, month=month) if w.user_id == user.pk]
    return found
