from __future__ import annotations

from django.db import migrations

# Frozen here (not imported) so later edits to roles.py do not rewrite history.
GRANTS = {
    "sysadmin": ["consult.view", "consult.manage"],
    "street_admin": ["consult.view", "consult.manage"],
    "community_secretary": ["consult.view", "consult.manage"],
    "community_worker": ["consult.view", "consult.manage"],
    "grid_head": ["consult.view", "consult.manage"],
    "grid_worker": ["consult.view", "consult.manage"],
    "grid_steward": ["consult.view"],
    "building_head": ["consult.view"],
}


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
        kept = [cap for cap in (role.capabilities or []) if not cap.startswith("consult.")]
        if kept != list(role.capabilities or []):
            role.capabilities = kept
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("consult", "0001_initial"), ("accounts", "0007_triage_configure")]
    operations = [migrations.RunPython(grant, revoke)]
