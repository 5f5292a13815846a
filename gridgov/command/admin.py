"""The command centre's rows in the admin: looked at, not edited. Tasks, ticks, broadcasts and
the assessment rule are written by the audited services (and their pages); the admin is where a
system administrator looks one up."""

from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.command.models import (
    AssessmentRule,
    Broadcast,
    BroadcastRecipient,
    Task,
    TaskItem,
    TaskPhoto,
)


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "place",
        "unit",
        "photo_asked",
        "deadline",
        "done_count",
        "item_count",
        "created_by",
    )
    list_filter = ("unit", "photo_asked")
    list_select_related = ("place", "created_by")
    search_fields = ("title", "place_path")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(TaskItem)
class TaskItemAdmin(ReadOnlyAdmin):
    list_display = ("label", "task", "grid", "outcome", "done_at", "done_by")
    list_filter = ("outcome",)
    list_select_related = ("task", "grid", "done_by")
    search_fields = ("label", "grid_path")
    raw_id_fields = ("task", "grid", "place", "household", "done_by")
    list_per_page = 100
    show_full_result_count = False


@admin.register(TaskPhoto)
class TaskPhotoAdmin(ReadOnlyAdmin):
    # The picture itself is sealed on disk and shown only on the task's pages, scope-checked.
    list_display = ("pk", "item", "content_type", "size", "uploaded_by", "created_at")
    list_select_related = ("item", "uploaded_by")
    exclude = ("path",)
    show_full_result_count = False


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdmin):
    list_display = ("title", "place", "recipient_count", "created_by", "created_at")
    list_select_related = ("place", "created_by")
    search_fields = ("title", "place_path")
    date_hierarchy = "created_at"


@admin.register(BroadcastRecipient)
class BroadcastRecipientAdmin(ReadOnlyAdmin):
    list_display = ("broadcast", "user", "group", "building")
    list_select_related = ("broadcast", "user", "building")
    search_fields = ("group",)
    raw_id_fields = ("broadcast", "user", "building", "notification")
    list_per_page = 100
    show_full_result_count = False


@admin.register(AssessmentRule)
class AssessmentRuleAdmin(ReadOnlyAdmin):
    # Set on the assessment rules page (command:assessment_rules), which audits the change.
    list_display = ("__str__", "patrol_target", "updated_by", "updated_at")
    list_select_related = ("updated_by",)
