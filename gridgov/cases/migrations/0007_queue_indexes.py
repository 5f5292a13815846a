# Reserved in the chain for issue 6: indexes that serve the queues' filter and order; filled by that work.
from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_urgent_duty_and_suggested_subcategory")]

    operations: list[migrations.operations.base.Operation] = []
