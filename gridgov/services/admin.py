from __future__ import annotations

from django.contrib import admin

from gridgov.services.models import (
    Agreement,
    HoursEntry,
    Order,
    ServiceCategory,
    ServiceItem,
    TeamProfile,
    Volunteer,
)


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order")


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "pricing", "price", "duration_minutes", "home_visit", "is_active")
    list_filter = ("category", "pricing", "is_active")


@admin.register(TeamProfile)
class TeamProfileAdmin(admin.ModelAdmin):
    list_display = ("team", "serves")
    raw_id_fields = ("team", "serves")


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ("merchant", "starts_on", "ends_on", "discount_percent")
    raw_id_fields = ("merchant",)


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = ("resident", "status", "hours_total", "points")
    list_filter = ("status",)
    raw_id_fields = ("resident", "place", "decided_by")
    # Totals follow the ledger (F() in the services): never typed in by hand.
    readonly_fields = ("hours_total", "points")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("pk", "item", "resident", "state", "window_start", "team", "provider")
    list_filter = ("state", "channel")
    raw_id_fields = (
        "resident",
        "place",
        "team",
        "merchant",
        "agreement",
        "provider",
        "provider_user",
        "ordered_by",
        "case",
        "item",
    )

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # state changes go through the services (timeline, audit, hours)


@admin.register(HoursEntry)
class HoursEntryAdmin(admin.ModelAdmin):
    list_display = ("volunteer", "kind", "hours", "points", "reason", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # append-only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
