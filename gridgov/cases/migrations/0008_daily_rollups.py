# Issue 6: per-place, per-day (and per-month) statistics rollups, filled from the cases already
# there so existing databases answer the statistics from them at once.
from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

CHANNELS = [
    ("resident_web", "居民手机端"),
    ("qr_poster", "楼栋二维码"),
    ("walk_in", "来访登记"),
    ("hotline", "电话热线"),
    ("group_chat", "微信群"),
    ("patrol", "网格巡查"),
    ("property_bulk", "物业清单"),
    ("external_api", "外部系统"),
    ("open311", "Open311"),
]


def fill(apps, schema_editor) -> None:
    # The live module, not a frozen copy: the rebuild is one definition, kept with the rollups.
    from gridgov.accounts.scope import SYSTEM
    from gridgov.cases.rollups import rollup_rebuild

    Case = apps.get_model("cases", "Case")
    if Case.objects.exists():
        rollup_rebuild(by=SYSTEM)


def cache_table(apps, schema_editor) -> None:
    # The database cache (the shared cache when no Redis is configured) needs its table; made on
    # the migrate path so every deployment and test database has it.
    from django.core.management import call_command

    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_queue_indexes"),
        ("places", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("grain", models.CharField(choices=[("d", "日"), ("m", "月")], max_length=1)),
                ("day", models.DateField()),
                ("place_path", models.CharField(max_length=255)),
                (
                    "channel",
                    models.CharField(choices=CHANNELS, max_length=16),
                ),
                ("received", models.IntegerField(default=0)),
                ("merged", models.IntegerField(default=0)),
                ("resolved", models.IntegerField(default=0)),
                ("open", models.IntegerField(default=0)),
                ("rejected", models.IntegerField(default=0)),
                ("overdue", models.IntegerField(default=0)),
                ("accept_n", models.IntegerField(default=0)),
                ("accept_sum", models.BigIntegerField(default=0)),
                ("resolve_n", models.IntegerField(default=0)),
                ("resolve_sum", models.BigIntegerField(default=0)),
                ("rated", models.IntegerField(default=0)),
                ("satisfied", models.IntegerField(default=0)),
                ("unsatisfied", models.IntegerField(default=0)),
                ("rating_sum", models.IntegerField(default=0)),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="cases.category"
                    ),
                ),
                (
                    "place",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="places.place"
                    ),
                ),
            ],
            options={
                "verbose_name": "事件统计汇总",
                "verbose_name_plural": "事件统计汇总",
                "indexes": [
                    models.Index(fields=["grain", "place_path", "day"], name="case_rollup_place_day")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("grain", "day", "place", "category", "channel"), name="case_rollup_key"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(cache_table, migrations.RunPython.noop),
    ]
