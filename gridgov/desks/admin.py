from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.desks.models import Desk, DutySlot


class DutySlotInline(admin.TabularInline):
    model = DutySlot
    fields = ("weekday", "starts", "ends", "person", "role_note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Desk)
class DeskAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "place", "hours")
    list_filter = ("kind",)
    inlines = [DutySlotInline]
