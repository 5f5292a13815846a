# Reserved in the chain for issue 9: reminders (催办) and what the finished pages need; filled by that work.
from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_daily_rollups")]

    operations: list[migrations.operations.base.Operation] = []
