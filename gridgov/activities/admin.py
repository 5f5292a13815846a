"""Groups and activities in the admin, read-only: the pages write them through activities.services."""

from __future__ import annotations

from django.contrib import admin

from gridgov.activities.models import Activity, Group
from gridgov.audit.admin import ReadOnlyAdmin


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "place", "parent", "member_count")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "group",
        "place",
        "starts_at",
        "capacity",
        "confirmed_count",
        "waiting_count",
        "state",
    )
    list_filter = ("state",)
    search_fields = ("title",)
