"""生活快车 over JSON: thin calls into services.selectors and services.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["生活快车"])
