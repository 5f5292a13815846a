"""社区活动 over JSON: thin calls into activities.selectors and activities.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["社区活动"])
