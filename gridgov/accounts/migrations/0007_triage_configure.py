from __future__ import annotations

from django.db import migrations

# Frozen here (not imported) so later edits to roles.py do not rewrite history.
ROLES_WITH_TRIAGE_CONFIGURE = ("sysadmin", "street_admin")
CAPABILITY = "triage.configure"


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=ROLES_WITH_TRIAGE_CONFIGURE):
        if CAPABILITY not in (role.capabilities or []):
            role.capabilities = [*(role.capabilities or []), CAPABILITY]
            role.save(update_fields=["capabilities"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        if CAPABILITY in (role.capabilities or []):
            role.capabilities = [cap for cap in role.capabilities if cap != CAPABILITY]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_login_guard")]
    operations = [migrations.RunPython(grant, revoke)]
