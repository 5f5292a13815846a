"""矛盾纠纷调解 over JSON: thin calls into mediation.selectors and mediation.services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["矛盾纠纷调解"])
