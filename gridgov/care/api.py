"""结对帮扶与走访 over JSON: thin calls into care.selectors and care.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["结对帮扶与走访"])
