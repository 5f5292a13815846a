"""Notices in the admin, read-only: the staff pages write them through bulletin.services
(sanitising, targeting, scope, audit)."""

from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.bulletin.models import Column, Notice


@admin.register(Column)
class ColumnAdmin(ReadOnlyAdmin):
    list_display = ("name", "sort_order", "is_active")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("title", "column", "place", "state", "publish_at", "needs_receipt", "confirmed_count")
    list_filter = ("state", "column", "needs_receipt")
    search_fields = ("title",)
