"""社区论坛 over JSON: thin calls into forum.selectors and forum.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["社区论坛"])
