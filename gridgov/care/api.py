"""结对帮扶与走访 over JSON: thin calls into care.selectors and care.services."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from gridgov.care import selectors, services
from gridgov.care.models import Duty
from gridgov.care.schemas import CoverageOut, DutyOut, PlanOut, VisitIn, VisitOut
from gridgov.core.errors import field_error
from gridgov.core.http import api_user
from gridgov.core.paging import paged

router = Router(tags=["结对帮扶与走访"])


@router.get("/care/plans", response=list[PlanOut], summary="我能看到的帮扶计划")
@paged
def plan_list(request: HttpRequest):
    return selectors.plans_for(api_user(request)).order_by("-pk")


@router.get("/care/plans/{plan_id}", response=PlanOut, summary="帮扶计划详情")
def plan_detail(request: HttpRequest, plan_id: int):
    return selectors.plan_for(api_user(request), plan_id)


@router.get("/care/duties/due", response=list[DutyOut], summary="我到期的帮扶事项")
def due_duties(request: HttpRequest):
    return list(selectors.my_due_duties(api_user(request)))


@router.post("/care/plans/{plan_id}/visits", response={201: VisitOut}, summary="登记走访")
def visit_create(request: HttpRequest, plan_id: int, payload: VisitIn):
    user = api_user(request)
    plan = selectors.plan_for_visit(user, plan_id)
    duty = None
    if payload.duty is not None:
        duty = Duty.objects.filter(plan=plan, pk=payload.duty).first()
        if duty is None:
            raise field_error("duty", "该事项不属于这个帮扶计划")
    visit = services.visit_log(
        by=user,
        plan=plan,
        duty=duty,
        visited_at=payload.visited_at,
        minutes=payload.minutes,
        done=payload.done,
        health=payload.health,
        mood=payload.mood,
        home_safety=payload.home_safety,
        needs=payload.needs,
        problem=payload.problem,
    )
    return Status(201, visit)


@router.get("/care/coverage", response=list[CoverageOut], summary="重点人群结对覆盖")
def coverage(request: HttpRequest):
    return [
        {"resident_id": row.resident.pk, "name": row.resident.name, "tags": row.tags, "covered": row.covered}
        for row in selectors.coverage(api_user(request))
    ]
