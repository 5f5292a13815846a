from __future__ import annotations

from django.db import migrations

# DESIGN.md §5; frozen here so that later edits elsewhere do not rewrite history.
CATEGORIES = [
    ("sanitation", "环境卫生"),
    ("facility", "设施维修"),
    ("safety", "治安消防"),
    ("dispute", "邻里纠纷"),
    ("property", "物业服务"),
    ("order", "市容秩序"),
    ("welfare", "民生求助"),
    ("inquiry", "政策咨询"),
    ("suggestion", "意见建议"),
    ("other", "其他"),
]
# (accept, resolve, unit) per priority. Urgent safety matters get hours, the rest working days.
NORMAL = {"default": (1, 5, "workdays"), "inquiry": (1, 3, "workdays"), "suggestion": (2, 10, "workdays")}
URGENT = {"default": (2, 24, "hours"), "safety": (1, 12, "hours")}


def load(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    SLA = apps.get_model("cases", "SLA")
    for order, (code, name) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "start_level": "grid", "sort_order": (order + 1) * 10}
        )
        for priority, table in (("normal", NORMAL), ("urgent", URGENT)):
            accept, resolve, unit = table.get(code, table["default"])
            SLA.objects.get_or_create(
                category=category,
                priority=priority,
                defaults={"accept_within": accept, "resolve_within": resolve, "unit": unit},
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
