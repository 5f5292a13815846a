from __future__ import annotations

from django.db import migrations

# Frozen here (not imported) so later edits to roles.py do not rewrite history.
GRANTS = {code: ["desks.manage"] for code in ("sysadmin", "street_admin", "community_secretary", "community_worker", "grid_head", "grid_worker", "grid_steward")}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        held = list(role.capabilities or [])
        missing = [cap for cap in GRANTS[role.code] if cap not in held]
        if missing:
            role.capabilities = [*held, *missing]
            role.save(update_fields=["capabilities"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        kept = [cap for cap in (role.capabilities or []) if not cap.startswith("desks.")]
        if kept != list(role.capabilities or []):
            role.capabilities = kept
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("desks", "0001_initial"), ("accounts", "0007_triage_configure")]
    operations = [migrations.RunPython(grant, revoke)]
