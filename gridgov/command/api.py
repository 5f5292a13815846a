"""指挥中心 over JSON: thin calls into command.selectors and command.services."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from gridgov.command import periods, selectors, services
from gridgov.command.models import Task
from gridgov.command.schemas import DashboardOut, DashboardQuery, TaskDetailOut, TaskOut, TickIn, TickOut
from gridgov.core.http import api_user
from gridgov.core.paging import paged

router = Router(tags=["指挥中心"])


def _task(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "title": task.title,
        "place_id": task.place_id,
        "place": task.place.name,
        "unit": task.unit,
        "checklist": list(task.checklist or []),
        "deadline": task.deadline,
        "created_at": task.created_at,
        "item_count": task.item_count,
        "done_count": task.done_count,
    }


def _figures(found: Any) -> dict[str, Any] | None:
    """An app's totals with their rates (the properties ending in _rate), for JSON."""
    if found is None:
        return None
    values: dict[str, Any] = {f.name: getattr(found, f.name) for f in fields(found)}
    for name in dir(type(found)):
        if name.endswith("_rate"):
            values[name] = getattr(found, name)
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}


@router.get(
    "/command/places/{place_id}/dashboard", response=DashboardOut, summary="数据看板（某街道、社区或网格）"
)
def dashboard(request: HttpRequest, place_id: int, query: Query[DashboardQuery]):
    user = api_user(request)
    place = selectors.dashboard_place_for(user, place_id)
    today = timezone.localdate()
    if query.start is not None or query.end is not None:
        if query.start is None:
            raise ValidationError({"from": ["请填写开始日期"]})
        if query.end is None:
            raise ValidationError({"to": ["请填写结束日期"]})
        period = periods.custom(query.start, query.end, today)
    else:
        period = periods.preset(query.days, today)
    data = selectors.dashboard(user, place, period=period)
    return {
        "place_id": place.pk,
        "place": place.name,
        "kind": place.kind,
        "period": data["period"],
        "days": data["days"],
        "first": period.first,
        "last": period.last,
        "registry": {k: v for k, v in data["registry"].items() if k != "tags"},
        "cases": data["cases"],
        "apps": {name: _figures(found) for name, found in data["apps"].items()},
        "breadcrumbs": [
            {"id": c.place.pk, "name": c.place.name, "kind": c.place.kind, "linked": c.linked}
            for c in selectors.breadcrumbs(user, place)
        ],
        "charts": [chart.as_dict() for chart in data["charts"]],
    }


@router.get("/command/tasks", response=list[TaskOut], summary="已下发的任务")
@paged
def task_list(request: HttpRequest):
    return [_task(task) for task in selectors.tasks_sent(api_user(request))[:1000]]


@router.get("/command/tasks/{task_id}", response=TaskDetailOut, summary="任务详情与各网格进度")
def task_detail(request: HttpRequest, task_id: int):
    task = selectors.task_for(api_user(request), task_id)
    progress = [{**vars(g), "percent": g.percent} for g in selectors.task_progress(task)]
    return {**_task(task), "progress": progress}


@router.post(
    "/command/items/{item_id}/tick",
    response=TickOut,
    summary="登记一户的走访结果（可重发，按 client_key 去重）",
)
def item_tick(request: HttpRequest, item_id: int, payload: TickIn):
    item, changed = services.task_tick(
        by=api_user(request),
        item_id=item_id,
        outcome=payload.outcome,
        checks=payload.checks,
        note=payload.note,
        client_key=payload.client_key,
    )
    return {"id": item.pk, "outcome": item.outcome, "label": item.get_outcome_display(), "changed": changed}
