from __future__ import annotations

from django.contrib import admin

from gridgov.cases.models import SLA, ApiKey, Case, CaseCall, CaseEvent, Category, RoutingRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "start_level", "is_active", "sort_order")
    list_filter = ("is_active", "start_level")


@admin.register(SLA)
class SLAAdmin(admin.ModelAdmin):
    list_display = ("category", "priority", "accept_within", "resolve_within", "unit")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "place", "level", "organisation", "is_active")
    raw_id_fields = ("place", "organisation")


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "from_state", "to_state", "from_level", "to_level", "note", "public")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    # Reporter identity is deliberately left out: it is read through the audited services.
    list_display = ("tracking_code", "category", "state", "level", "place", "channel", "created_at")
    list_filter = ("state", "level", "channel", "category")
    search_fields = ("tracking_code",)
    fields = (
        "tracking_code",
        "text",
        "category",
        "subcategory",
        "priority",
        "state",
        "level",
        "place",
        "result",
    )
    readonly_fields = fields
    inlines = [EventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CaseCall)
class CaseCallAdmin(admin.ModelAdmin):
    list_display = ("case", "organisation", "deadline", "reported_at")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "rate_per_minute", "place", "is_active", "last_used_at")
    fields = ("name", "prefix", "rate_per_minute", "place", "is_active", "revoked_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False
