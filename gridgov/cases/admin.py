from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gridgov.cases.models import SLA, ApiKey, Case, CaseCall, CaseEvent, Category, DutyContact, RoutingRule


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


@admin.register(DutyContact)
class DutyContactAdmin(admin.ModelAdmin):
    # Read-only: duty is set on /cases/config/?tab=duty or PUT /api/v1/duty-contacts/{place}, where the
    # phone is validated, the people are checked against the place and the change is audited.
    list_display = ("place", "phone_masked", "duty_users", "note", "is_active", "updated_at")
    list_filter = ("is_active",)
    fields = ("place", "phone_masked", "duty_users", "note", "is_active", "updated_by", "updated_at")
    readonly_fields = fields

    @admin.display(description="值班手机号")
    def phone_masked(self, obj: DutyContact) -> str:
        return obj.phone_masked

    @admin.display(description="值班人员")
    def duty_users(self, obj: DutyContact) -> str:
        return "、".join(str(user) for user in obj.users.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[DutyContact]:
        return super().get_queryset(request).select_related("place").prefetch_related("users")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DutyContact | None = None) -> bool:
        return False
