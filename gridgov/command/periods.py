"""The period a dashboard (and its Excel) covers: a preset (the last 7/30/90/365 days) or a
custom range of whole days chosen by the user (from/to, at most three years, none in the future).

Days are Asia/Shanghai days; `since`/`until` are the aware bounds [since, until) every figure
filters on, so a day's figures never depend on the server's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRESETS: dict[int, str] = {7: "近7天", 30: "近30天", 90: "近90天", 365: "近一年"}
DEFAULT_DAYS = 30
# Three calendar years at most (a leap day included): the longest report an office hands up.
MAX_DAYS = 366 + 365 + 365


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # inclusive
    days: int | None = None  # the preset, None for a custom range

    @property
    def custom(self) -> bool:
        return self.days is None

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=SHANGHAI)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI)

    @property
    def label(self) -> str:
        if self.days is not None:
            return PRESETS.get(self.days, f"近{self.days}天")
        return f"{self.first.isoformat()}至{self.last.isoformat()}"

    @property
    def query(self) -> str:
        """The query string that reopens this period (kept across drill-down and downloads)."""
        if self.days is not None:
            return f"days={self.days}"
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def preset(days: int, today: dt.date) -> Period:
    days = days if days in PRESETS else DEFAULT_DAYS
    return Period(today - dt.timedelta(days=days - 1), today, days)


def custom(first: dt.date, last: dt.date, today: dt.date) -> Period:
    """A custom range; ValidationError (Chinese, naming the field) when it cannot be one."""
    if last > today:
        raise ValidationError({"to": ["结束日期不能晚于今天"]})
    if first > last:
        raise ValidationError({"from": ["开始日期不能晚于结束日期"]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError({"from": ["统计期最长3年，请缩短日期范围"]})
    return Period(first, last)


def _date(value: str, field: str, label: str) -> dt.date:
    value = value.strip()
    if not value:
        raise ValidationError({field: [f"请填写{label}"]})
    try:
        if len(value) > 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: [f"{label}格式不对，应为“2026-01-31”这样的日期"]}) from None


def from_query(params: Mapping[str, str], today: dt.date) -> Period:
    """The period a request asks for: `from` and `to` (a custom range) when either is given,
    else `days` (a preset; anything unknown falls back to 30 days)."""
    if params.get("from") or params.get("to"):
        found: dict[str, dt.date] = {}
        errors: dict[str, list[str]] = {}
        for field, label in (("from", "开始日期"), ("to", "结束日期")):
            try:
                found[field] = _date(params.get(field, ""), field, label)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)
        return custom(found["from"], found["to"], today)
    try:
        days = int(params.get("days", DEFAULT_DAYS))
    except (TypeError, ValueError):
        days = DEFAULT_DAYS
    return preset(days, today)
