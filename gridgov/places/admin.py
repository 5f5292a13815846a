"""Places and households in the admin, read-only: they are written through places.services from the
staff pages, which check scope and write the audit row."""

from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.places.models import Household, Place


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "kind",
        "code",
        "parent",
        "path",
        "has_boundary",
        "households_min",
        "households_max",
    )
    list_filter = ("kind",)
    search_fields = ("name", "code", "path")
    fields = (
        "kind",
        "name",
        "code",
        "parent",
        "path",
        "depth",
        "latitude",
        "longitude",
        "has_boundary",
        "households_min",
        "households_max",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    list_select_related = ("parent",)

    @admin.display(boolean=True, description="有边界")
    def has_boundary(self, obj: Place) -> bool:
        return bool(obj.boundary)


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("address", "room", "place", "residence_kind", "area_sqm")
    list_filter = ("residence_kind", "place__kind")
    search_fields = ("address", "room")
    fields = (
        "place",
        "room",
        "address",
        "residence_kind",
        "landlord",
        "area_sqm",
        "notes",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    list_select_related = ("place",)
