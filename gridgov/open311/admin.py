from __future__ import annotations

from django.contrib import admin

from gridgov.open311.models import Open311Request


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    list_display = ("case", "media_url", "device_id", "created_at")
    raw_id_fields = ("case",)
    exclude = ("email_enc",)
    search_fields = ("case__tracking_code", "case__public_id")
