# Issue 9: reminders (催办) are a timeline event of their own.
from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_daily_rollups")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AlterField(
            model_name="caseevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("submitted", "上报"),
                    ("classified", "分类确认"),
                    ("dispatched", "交办"),
                    ("accepted", "受理"),
                    ("started", "开始处置"),
                    ("note", "处置记录"),
                    ("resolved", "办结"),
                    ("rejected", "不予受理"),
                    ("merged", "合并"),
                    ("merged_in", "并入重复件"),
                    ("outcome", "主件办结"),
                    ("returned", "退回"),
                    ("escalated", "上报上级"),
                    ("auto_escalated", "超时自动上报"),
                    ("overdue", "超时督办"),
                    ("whistle", "吹哨"),
                    ("call_report", "部门报到"),
                    ("supervised", "督办"),
                    ("rated", "评价"),
                    ("reopened", "不满意重办"),
                    ("closed", "关闭"),
                    ("published", "公开摘要"),
                    ("urged", "催办"),
                ],
                max_length=16,
            ),
        ),
    ]
