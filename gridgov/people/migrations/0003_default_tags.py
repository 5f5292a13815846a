from __future__ import annotations

from django.db import migrations


def create_tags(apps, schema_editor):
    from gridgov.people.tag_defaults import DEFAULT_TAGS

    Tag = apps.get_model("people", "Tag")
    for order, (code, name, description) in enumerate(DEFAULT_TAGS):
        Tag.objects.get_or_create(code=code, defaults={"name": name, "description": description, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("people", "0002_initial")]
    operations = [migrations.RunPython(create_tags, migrations.RunPython.noop)]
