from __future__ import annotations

from django.db import migrations

# Frozen copy of roles.SERVICES_CAPABILITIES: later edits there must not rewrite history.
GRANTS = {
    "sysadmin": ["services.view", "services.order", "services.dispatch", "services.manage"],
    "street_admin": ["services.view", "services.order", "services.dispatch", "services.manage"],
    "community_secretary": ["services.view", "services.order", "services.dispatch", "services.manage"],
    "community_worker": ["services.view", "services.order", "services.dispatch", "services.manage"],
    "grid_head": ["services.view", "services.order", "services.dispatch"],
    "grid_worker": ["services.view", "services.order"],
    "grid_steward": ["services.view", "services.order"],
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
    dependencies = [("services", "0002_catalogue"), ("accounts", "0008_drop_per_account_lock_fields")]
    operations = [migrations.RunPython(grant, revoke)]
