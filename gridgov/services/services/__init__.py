"""Every write of 生活快车. Callers import from `gridgov.services.services`; the modules are layout."""

from __future__ import annotations

from gridgov.services.services.card import CardOffer, CardView, card_record, card_scan
from gridgov.services.services.catalogue import agreement_create, item_update, team_offer
from gridgov.services.services.orders import (
    Proposal,
    agreement_in_force,
    dispatch_candidates,
    dispatch_proposals,
    eligibility_problem,
    order_arrive,
    order_cancel,
    order_complete,
    order_dispatch,
    order_grab,
    order_no_show,
    order_place,
    order_raise_case,
    order_rate,
    order_release,
    team_for,
)
from gridgov.services.services.sweeps import OrderSweepResult, order_sweep
from gridgov.services.services.volunteers import (
    clean_availability,
    clean_skills,
    credit_service_hours,
    hours_add,
    hours_correct,
    volunteer_decide,
    volunteer_register,
    volunteer_update,
)

__all__ = [
    "CardOffer",
    "CardView",
    "OrderSweepResult",
    "Proposal",
    "agreement_create",
    "agreement_in_force",
    "card_record",
    "card_scan",
    "clean_availability",
    "clean_skills",
    "credit_service_hours",
    "dispatch_candidates",
    "dispatch_proposals",
    "eligibility_problem",
    "hours_add",
    "hours_correct",
    "item_update",
    "order_arrive",
    "order_cancel",
    "order_complete",
    "order_dispatch",
    "order_grab",
    "order_no_show",
    "order_place",
    "order_raise_case",
    "order_rate",
    "order_release",
    "order_sweep",
    "team_for",
    "team_offer",
    "volunteer_decide",
    "volunteer_register",
    "volunteer_update",
]
