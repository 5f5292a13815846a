"""The audit trail in the admin: looked at, never touched (no add, change or delete)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from gridgov.audit.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows whose every write must go through an audited service: the admin only shows them."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "target_type", "target_label", "place_path", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_label", "target_label", "target_id", "place_path", "purpose")
    date_hierarchy = "at"
    fields = (
        "at",
        "actor_label",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "place_path",
        "changes",
        "purpose",
        "ip",
    )
    readonly_fields = fields
    list_per_page = 100
    show_full_result_count = False
