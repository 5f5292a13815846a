"""有事好商量 over JSON: thin calls into consult.selectors and consult.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["有事好商量"])
