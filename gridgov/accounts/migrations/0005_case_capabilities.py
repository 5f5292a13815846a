from __future__ import annotations

from django.db import migrations

# Frozen here (not imported) so later edits to roles.py do not rewrite history.
CASE_CAPABILITIES: dict[str, list[str]] = {
    "sysadmin": [
        "cases.view", "cases.intake", "cases.handle", "cases.org_handle", "cases.dispatch",
        "cases.supervise", "cases.stats", "cases.configure",
    ],
    "street_admin": [
        "cases.view", "cases.intake", "cases.handle", "cases.dispatch",
        "cases.supervise", "cases.stats", "cases.configure",
    ],
    "community_secretary": [
        "cases.view", "cases.intake", "cases.handle", "cases.dispatch", "cases.supervise", "cases.stats",
    ],
    "community_worker": ["cases.view", "cases.intake", "cases.handle", "cases.dispatch", "cases.stats"],
    "grid_head": ["cases.view", "cases.intake", "cases.handle", "cases.stats"],
    "grid_worker": ["cases.view", "cases.intake", "cases.handle"],
    "grid_steward": ["cases.view", "cases.intake", "cases.handle"],
    "volunteer_grid_worker": ["cases.view", "cases.intake"],
    "building_head": ["cases.view", "cases.intake", "cases.handle"],
    "department_staff": ["cases.org_handle"],
    "property_staff": ["cases.org_handle", "cases.intake"],
}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=CASE_CAPABILITIES):
        missing = [cap for cap in CASE_CAPABILITIES[role.code] if cap not in (role.capabilities or [])]
        if missing:
            role.capabilities = [*(role.capabilities or []), *missing]
            role.save(update_fields=["capabilities"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=CASE_CAPABILITIES):
        role.capabilities = [cap for cap in (role.capabilities or []) if not cap.startswith("cases.")]
        role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_default_roles")]
    operations = [migrations.RunPython(grant, revoke)]
