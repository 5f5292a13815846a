from __future__ import annotations

from django.contrib import admin

from gridgov.audit.admin import ReadOnlyAdmin
from gridgov.consult.models import Consultation

# Votes, participations and ballots are not in the admin: results are read through the
# selectors (turnout, tally, receipts), never row by row.


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ("title", "place", "stage", "ballot_kind", "unit", "secret")
    list_filter = ("stage", "secret")
