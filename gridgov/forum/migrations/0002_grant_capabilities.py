from __future__ import annotations

from django.db import migrations

# Frozen here (not imported) so later edits to roles.py do not rewrite history.
GRANTS = {
    "sysadmin": ["forum.moderate", "forum.configure"],
    "street_admin": ["forum.moderate", "forum.configure"],
    "community_secretary": ["forum.moderate", "forum.configure"],
    "community_worker": ["forum.moderate"],
    "grid_head": ["forum.moderate"],
    "grid_worker": ["forum.moderate"],
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
    for role in Role.objects.all():
        kept = [cap for cap in (role.capabilities or []) if not cap.startswith("forum.")]
        if kept != list(role.capabilities or []):
            role.capabilities = kept
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("forum", "0001_initial"), ("accounts", "0008_drop_per_account_lock_fields")]
    operations = [migrations.RunPython(grant, revoke)]
