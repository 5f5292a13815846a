import gridgov.cases.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0004_fill_public_ids_and_notes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="public_id",
            field=models.CharField(
                default=gridgov.cases.models.new_public_id,
                editable=False,
                max_length=16,
                unique=True,
                verbose_name="公开编号",
            ),
        ),
    ]
