"""Shapes of the command centre's JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from gridgov.command.models import CHECKLIST_MAX
from gridgov.command.services import CLIENT_KEY_MAX, NOTE_MAX


class ChartOut(Schema):
    name: str
    title: str
    kind: str
    columns: list[str]
    rows: list[list[Any]]
    links: list[int | None] | None = None
    group: str = "cases"


class CrumbOut(Schema):
    id: int
    name: str
    kind: str
    linked: bool


class DashboardOut(Schema):
    place_id: int
    place: str
    kind: str
    period: str
    days: int | None = Field(None, description="预设统计天数；自定义统计期时为空")
    first: dt.date = Field(..., description="统计期第一天")
    last: dt.date = Field(..., description="统计期最后一天（含）")
    registry: dict[str, Any]
    cases: dict[str, float | int | None]
    apps: dict[str, dict[str, float | int | None] | None] = Field(
        ..., description="生活快车、结对帮扶、巡查、活动、协商、调解的合计；无权查看的为空"
    )
    breadcrumbs: list[CrumbOut]
    charts: list[ChartOut]


class DashboardQuery(Schema):
    days: int = Field(30, description="统计天数：7、30、90 或 365", ge=1, le=3660)
    start: dt.date | None = Field(
        None, alias="from", description="自定义统计期的第一天（与 to 同用，最长3年）"
    )
    end: dt.date | None = Field(None, alias="to", description="自定义统计期的最后一天（含，不晚于今天）")


class TaskOut(Schema):
    id: int
    title: str
    place_id: int
    place: str
    unit: str
    checklist: list[str]
    deadline: dt.datetime
    created_at: dt.datetime
    item_count: int
    done_count: int


class GridProgressOut(Schema):
    grid_id: int
    name: str
    total: int
    done: int
    home: int
    away: int
    refused: int
    percent: int


class TaskDetailOut(TaskOut):
    progress: list[GridProgressOut]


class TickIn(Schema):
    outcome: str = Field(..., max_length=10, description="home 在家 / away 不在家 / refused 拒访")
    checks: list[bool] = Field(default_factory=list, max_length=CHECKLIST_MAX)
    note: str = Field("", max_length=NOTE_MAX)
    client_key: str = Field("", max_length=CLIENT_KEY_MAX)


class TickOut(Schema):
    id: int
    outcome: str
    label: str
    changed: bool
