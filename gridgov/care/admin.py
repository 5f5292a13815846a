from __future__ import annotations

from django.contrib import admin

from gridgov.care.models import CarePlan, Duty, PatrolVisit, Visit


class DutyInline(admin.TabularInline):
    model = Duty
    extra = 0
    readonly_fields = ("done_count", "on_time_count", "missed_count")


@admin.register(CarePlan)
class CarePlanAdmin(admin.ModelAdmin):
    list_display = ("title", "resident", "is_active", "starts_on")
    raw_id_fields = ("resident", "household", "place", "created_by")
    inlines = [DutyInline]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("plan", "carer", "visited_at", "minutes", "on_time")
    raw_id_fields = ("plan", "duty", "carer", "case", "order")


@admin.register(PatrolVisit)
class PatrolVisitAdmin(admin.ModelAdmin):
    list_display = ("household", "worker", "visited_at", "result")
    raw_id_fields = ("household", "grid", "worker", "cases")
