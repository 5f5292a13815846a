"""接待窗口 over JSON: thin calls into desks.selectors and desks.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["接待窗口"])
