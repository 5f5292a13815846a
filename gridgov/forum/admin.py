"""The forum in the admin, read-only: moderation goes through forum.services, which audits it."""

from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.forum.models import Board, SensitiveWord, Topic


@admin.register(Board)
class BoardAdmin(ReadOnlyAdmin):
    list_display = ("name", "place", "hold_first_posts", "is_active")


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ("title", "board", "alias", "state", "locked", "pinned", "reply_count", "case")
    list_filter = ("state", "locked", "pinned")
    search_fields = ("title",)


@admin.register(SensitiveWord)
class SensitiveWordAdmin(ReadOnlyAdmin):
    list_display = ("word", "created_at")
