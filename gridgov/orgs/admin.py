"""Organisations in the admin, read-only: the staff pages write them through orgs.services
(party-level and property rules, scope, audit)."""

from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.orgs.models import Organisation, OrgMember


class OrgMemberInline(admin.TabularInline):
    model = OrgMember
    fields = ("resident", "user", "role", "joined_on", "left_on")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "party_level", "place", "parent", "leader", "contact_name", "is_active")
    list_filter = ("kind", "party_level", "is_active")
    search_fields = ("name", "contact_name", "address")
    list_select_related = ("place", "parent", "leader")
    fields = (
        "kind",
        "name",
        "place",
        "places",
        "parent",
        "party_level",
        "leader",
        "contact_name",
        "contact_phone_masked",
        "address",
        "description",
        "is_active",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (OrgMemberInline,)


@admin.register(OrgMember)
class OrgMemberAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "resident", "user", "role", "joined_on", "left_on")
    list_filter = ("organisation__kind",)
    search_fields = ("organisation__name", "resident__name", "user__username")
    list_select_related = ("organisation", "resident", "user")
    readonly_fields = ("organisation", "resident", "user", "role", "joined_on", "left_on")
    fields = readonly_fields
