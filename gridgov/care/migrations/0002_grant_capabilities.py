from __future__ import annotations

from django.db import migrations

# Frozen copy of roles.CARE_CAPABILITIES: later edits there must not rewrite history.
GRANTS = {
    "sysadmin": ["care.view", "care.manage", "care.patrol"],
    "street_admin": ["care.view", "care.manage", "care.patrol"],
    "community_secretary": ["care.view", "care.manage", "care.patrol"],
    "community_worker": ["care.view", "care.manage", "care.patrol"],
    "grid_head": ["care.view", "care.manage", "care.patrol"],
    "grid_worker": ["care.view", "care.patrol"],
    "grid_steward": ["care.view", "care.patrol"],
    "volunteer_grid_worker": ["care.patrol"],
}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        held = list(role.capabilities or [])
        missing = [cap for cap in GRANTS[role.code] if cap not in held]
        if missing:
            role.capabilities = held + missing
            role.save(update_fields=["capabilities"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        role.capabilities = [cap for cap in role.capabilities or [] if cap not in GRANTS[role.code]]
        role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial"), ("accounts", "0008_drop_per_account_lock_fields")]
    operations = [migrations.RunPython(grant, revoke)]
