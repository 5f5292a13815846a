from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.mediation.models import Mediator

# Disputes, sessions and agreements are not in the admin: every view of a mediation record
# goes through mediation.selectors.dispute_view, which writes it to the audit log.


@admin.register(Mediator)
class MediatorAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "place", "available")
    list_filter = ("kind", "available")
