from __future__ import annotations

from django.db import migrations


def load(apps, schema_editor):
    from gridgov.triage.default_rules import DEFAULT_RULES

    TriageRule = apps.get_model("triage", "TriageRule")
    existing = set(TriageRule.objects.values_list("target", "kind", "text"))
    TriageRule.objects.bulk_create(
        [
            TriageRule(target=target, kind=kind, text=text, weight=weight, note="默认规则")
            for target, kind, text, weight in DEFAULT_RULES
            if (target, kind, text) not in existing
        ]
    )


def unload(apps, schema_editor):
    TriageRule = apps.get_model("triage", "TriageRule")
    TriageRule.objects.filter(note="默认规则", created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
