"""通知公告 over JSON: thin calls into bulletin.selectors and bulletin.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["通知公告"])
