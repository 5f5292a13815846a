"""Template filters of the command centre's pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pct(rate: Any) -> str:
    """A 0–1 rate as a whole percentage ("87%"), or "—" when there is nothing to rate."""
    if rate is None or rate == "":
        return "—"
    try:
        return f"{round(float(rate) * 100)}%"
    except (TypeError, ValueError):
        return "—"
