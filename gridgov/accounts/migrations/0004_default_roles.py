from __future__ import annotations

from django.db import migrations


def create_roles(apps, schema_editor):
    from gridgov.accounts.roles import DEFAULT_ROLES

    Role = apps.get_model("accounts", "Role")
    for order, (code, name, capabilities, description) in enumerate(DEFAULT_ROLES):
        Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "capabilities": capabilities, "description": description, "sort_order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
