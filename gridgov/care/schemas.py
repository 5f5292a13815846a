"""Shapes of the care API."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from gridgov.care.models import CarePlan, Duty, Visit


class DutyOut(Schema):
    id: int
    plan_id: int
    kind: str
    kind_label: str
    frequency: str
    frequency_label: str
    due_on: dt.date
    resident_name: str

    @staticmethod
    def resolve_kind_label(obj: Duty) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_frequency_label(obj: Duty) -> str:
        return obj.get_frequency_display()

    @staticmethod
    def resolve_resident_name(obj: Duty) -> str:
        return obj.plan.resident.name


class PlanOut(Schema):
    id: int
    title: str
    resident_id: int
    resident_name: str
    is_active: bool
    starts_on: dt.date
    carers: list[str]
    duties: list[DutyOut]

    @staticmethod
    def resolve_resident_name(obj: CarePlan) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_carers(obj: CarePlan) -> list[str]:
        return [f"{c.user}（{c.get_kind_display()}）" for c in obj.carers.all()]

    @staticmethod
    def resolve_duties(obj: CarePlan) -> list[Duty]:
        duties = list(obj.duties.all())
        for duty in duties:
            duty.plan = obj
        return duties


class VisitIn(Schema):
    visited_at: dt.datetime
    minutes: int = Field(..., ge=1, le=600)
    done: str = Field(..., max_length=500)
    duty: int | None = None
    health: str = Field("good", max_length=10)
    mood: str = Field("good", max_length=10)
    home_safety: str = Field("good", max_length=10)
    needs: str = Field("", max_length=300)
    problem: str = Field("", max_length=2000)


class VisitOut(Schema):
    id: int
    plan_id: int
    visited_at: dt.datetime
    minutes: int
    done: str
    health: str
    mood: str
    home_safety: str
    needs: str
    on_time: bool
    case_id: int | None
    order_id: int | None

    @staticmethod
    def resolve_done(obj: Visit) -> str:
        return obj.done


class CoverageOut(Schema):
    resident_id: int
    name: str
    tags: list[str]
    covered: bool
