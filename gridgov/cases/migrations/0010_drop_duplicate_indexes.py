# Every intake INSERT maintains each index of cases_case; these duplicated others. Dropped:
# - the default foreign-key indexes on category, reporter_user, reporter_resident, handler_user and
#   handler_org: case_category_place, case_reporter_user, case_reporter_resident, case_queue_user
#   and case_queue_org lead with the same column and serve the same look-ups (including the
#   SET NULL / PROTECT checks when a user, resident, organisation or category is deleted);
# - the varchar_pattern_ops "_like" indexes PostgreSQL got for tracking_code, public_id and
#   reporter_phone_hash: no query matches them with LIKE or a prefix (admin search is icontains,
#   which no such index serves). The uniqueness of tracking_code and public_id moves to named
#   constraints, and reporter_phone_hash keeps one plain index (case_reporter_phone).

import django.db.models.deletion
import gridgov.cases.models
from django.conf import settings
from django.db import migrations, models

from gridgov.core.migration_ops import KeptIndex, ReindexInPlace


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_finished_pages'),
        ('orgs', '0004_handles_cases'),
        ('people', '0004_floating_reminded_for'),
        ('places', '0002_community_hotline'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # On PostgreSQL the indexes that stay are only renamed and the foreign keys' indexes only
        # dropped, both instant; Django would check every row's foreign keys again and rebuild the
        # unique indexes under a lock (gridgov.core.migration_ops).
        ReindexInPlace(
            table='cases_case',
            kept=[
                KeptIndex(column='tracking_code', name='case_tracking_code_unique', unique=True),
                KeptIndex(column='public_id', name='case_public_id_unique', unique=True),
                KeptIndex(column='reporter_phone_hash', name='case_reporter_phone', unique=False),
            ],
            unindexed=['category_id', 'handler_org_id', 'handler_user_id', 'reporter_resident_id', 'reporter_user_id'],
            operations=[
                migrations.AlterField(
                    model_name='case',
                    name='category',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='cases.category', verbose_name='分类'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='handler_org',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='handled_cases', to='orgs.organisation'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='handler_user',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='handled_cases', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='reporter_resident',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reported_cases', to='people.resident'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='reporter_user',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reported_cases', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='public_id',
                    field=models.CharField(default=gridgov.cases.models.new_public_id, editable=False, max_length=16, verbose_name='公开编号'),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='reporter_phone_hash',
                    field=models.CharField(blank=True, max_length=64),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='tracking_code',
                    field=models.CharField(max_length=12, verbose_name='查询码'),
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(fields=['reporter_phone_hash'], name='case_reporter_phone'),
                ),
                migrations.AddConstraint(
                    model_name='case',
                    constraint=models.UniqueConstraint(fields=('tracking_code',), name='case_tracking_code_unique'),
                ),
                migrations.AddConstraint(
                    model_name='case',
                    constraint=models.UniqueConstraint(fields=('public_id',), name='case_public_id_unique'),
                ),
            ],
        ),
    ]
