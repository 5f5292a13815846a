# Reserved in the chain for issue 6: per-place, per-day rollups; filled by that work.
from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_queue_indexes")]

    operations: list[migrations.operations.base.Operation] = []
