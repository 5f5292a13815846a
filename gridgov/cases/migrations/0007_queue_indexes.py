# Issue 6: partial indexes on the open work, so the queues stay lookups on a few hundred rows
# however long the closed history grows (PostgreSQL and SQLite both take partial indexes).
from __future__ import annotations

from django.db import migrations, models

OPEN = models.Q(("state__in", ["new", "accepted", "in_progress"]))


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_urgent_duty_and_suggested_subcategory")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("handler_org__isnull", True),
                    ("handler_user__isnull", True),
                    ("needs_dispatch", False),
                    ("state", "new"),
                ),
                fields=["level", "level_path"],
                name="case_open_pool",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=OPEN, fields=["handler_user", "due_resolve_at"], name="case_open_handler"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=OPEN, fields=["handler_org", "due_resolve_at"], name="case_open_org"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(condition=OPEN, fields=["place_path"], name="case_open_place"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                models.OrderBy(models.F("urgent_open"), descending=True),
                models.OrderBy(models.F("due_accept_at")),
                models.F("id"),
                condition=models.Q(("state", "new")),
                name="case_new_due",
            ),
        ),
    ]
