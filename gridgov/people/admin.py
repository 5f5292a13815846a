"""The registry in the admin. Residents are read-only and never show an encrypted column: their ID
number and phone appear masked. Registry writes go through people.services (validated, audited);
only the configurable tag list is edited here."""

from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.people.models import FloatingRegistration, Membership, Resident, ResidentTag, Tag


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "gender",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        "residence_status",
        "political_status",
        "place",
        "card_no",
    )
    list_filter = ("residence_status", "political_status", "gender", "is_deceased")
    search_fields = ("name", "name_pinyin", "name_initials", "card_no")
    fields = (
        "name",
        "gender",
        "birth_date",
        "ethnicity",
        "id_number_masked",
        "phone_masked",
        "residence_status",
        "political_status",
        "employment",
        "place",
        "card_no",
        "is_deceased",
        "notes",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    list_select_related = ("place",)
    show_full_result_count = False

    @admin.display(description="身份证号")
    def id_number_masked(self, obj: Resident) -> str:
        return obj.id_number_masked

    @admin.display(description="手机号")
    def phone_masked(self, obj: Resident) -> str:
        return obj.phone_masked


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("resident", "household", "relation", "moved_in", "moved_out")
    list_filter = ("relation",)
    search_fields = ("resident__name", "household__address")
    list_select_related = ("resident", "household")
    readonly_fields = (
        "household",
        "resident",
        "relation",
        "moved_in",
        "moved_out",
        "move_out_reason",
        "created_at",
    )
    fields = readonly_fields


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active", "sort_order", "description")
    list_editable = ("is_active", "sort_order")
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Tags in use are protected by the database; retire a tag by switching it off instead.
        return False


@admin.register(ResidentTag)
class ResidentTagAdmin(ReadOnlyAdmin):
    list_display = ("resident", "tag", "note", "added_at", "added_by")
    list_filter = ("tag",)
    search_fields = ("resident__name",)
    list_select_related = ("resident", "tag", "added_by")
    readonly_fields = ("resident", "tag", "note", "added_at", "added_by")
    fields = readonly_fields


@admin.register(FloatingRegistration)
class FloatingRegistrationAdmin(ReadOnlyAdmin):
    list_display = (
        "resident",
        "place",
        "origin",
        "reason",
        "registered_on",
        "expected_until",
        "deregistered_on",
    )
    list_filter = ("reason", "has_health_file")
    search_fields = ("resident__name", "origin", "employer")
    list_select_related = ("resident", "place")
    date_hierarchy = "registered_on"
    readonly_fields = (
        "resident",
        "place",
        "household",
        "origin",
        "reason",
        "landlord",
        "landlord_name",
        "employer",
        "registered_on",
        "expected_until",
        "has_health_file",
        "deregistered_on",
        "deregistration_reason",
        "registered_by",
        "created_at",
    )
    fields = readonly_fields
