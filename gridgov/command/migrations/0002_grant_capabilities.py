from __future__ import annotations

from django.db import migrations

# Frozen here (not imported) so later edits to roles.py do not rewrite history.
GRANTS: dict[str, tuple[str, ...]] = {
    "sysadmin": ("command.view", "command.tasks", "command.task_do", "command.assess_configure"),
    "street_admin": ("command.view", "command.tasks", "command.task_do", "command.assess_configure"),
    "community_secretary": ("command.view", "command.tasks", "command.task_do"),
    "community_worker": ("command.view", "command.task_do"),
    "grid_head": ("command.view", "command.task_do"),
    "grid_worker": ("command.task_do",),
    "grid_steward": ("command.task_do",),
}
ALL = ("command.view", "command.tasks", "command.task_do", "command.assess_configure")


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=list(GRANTS)):
        held = list(role.capabilities or [])
        missing = [cap for cap in GRANTS[role.code] if cap not in held]
        if missing:
            role.capabilities = [*held, *missing]
            role.save(update_fields=["capabilities"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        if any(cap in (role.capabilities or []) for cap in ALL):
            role.capabilities = [cap for cap in role.capabilities if cap not in ALL]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("command", "0001_initial"), ("accounts", "0007_triage_configure")]
    operations = [migrations.RunPython(grant, revoke)]
