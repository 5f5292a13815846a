"""指挥中心 over JSON: thin calls into command.selectors and command.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["指挥中心"])
