"""Give existing cases an Open311 public id, and existing public events the text the public
timeline used to derive from the staff note at read time (splitting it on "：" or "；")."""

import secrets

from django.db import migrations
from django.db.models import F, Value

BATCH = 1000

LEVEL_LABELS = {
    "building": "楼栋",
    "grid": "网格",
    "community": "社区",
    "street": "街道",
    "department": "部门",
}
# Kinds whose note was written for the reporter and was shown as it is.
NOTE_KINDS = ("resolved", "rejected", "note", "outcome", "rated", "auto_escalated")
FIXED_TEXT = {
    "submitted": "已收到您的反映",
    "accepted": "工作人员已受理",
    "started": "正在处置",
    "reopened": "您不满意，已转上级重新办理",
    "closed": "已关闭",
}
# Kinds whose public part was the note up to the first separator.
SPLIT_AT = {"whistle": "：", "call_report": "：", "merged": "；"}


def fill_public_ids(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    pending = Case._base_manager.filter(public_id__isnull=True).values_list("pk", flat=True)
    while True:
        pks = list(pending[:BATCH])
        if not pks:
            return
        rows = [Case(pk=pk, public_id=secrets.token_hex(8)) for pk in pks]
        Case._base_manager.bulk_update(rows, ["public_id"])


def _bulk(CaseEvent, pairs):
    batch = []
    for pk, text in pairs:
        batch.append(CaseEvent(pk=pk, public_note=text))
        if len(batch) >= BATCH:
            CaseEvent._base_manager.bulk_update(batch, ["public_note"])
            batch = []
    if batch:
        CaseEvent._base_manager.bulk_update(batch, ["public_note"])


def fill_public_notes(apps, schema_editor):
    # The base manager: the model's own manager refuses updates (the timeline is append-only).
    CaseEvent = apps.get_model("cases", "CaseEvent")
    events = CaseEvent._base_manager.filter(public=True, public_note="")
    events.filter(kind__in=NOTE_KINDS).update(public_note=F("note"))
    for kind, text in FIXED_TEXT.items():
        events.filter(kind=kind).update(public_note=Value(text))
    for level, label in LEVEL_LABELS.items():
        events.filter(kind="escalated", to_level=level).update(public_note=Value(f"已上报{label}处理"))
        events.filter(kind="dispatched", handler_org__isnull=True, to_level=level).update(
            public_note=Value(f"已交办{label}处理")
        )
    events.filter(kind="escalated", to_level="").update(public_note=Value("已上报上级处理"))
    events.filter(kind="dispatched", handler_org__isnull=True, to_level="").update(
        public_note=Value("已交办网格处理")
    )
    _bulk(
        CaseEvent,
        (
            (pk, f"已交办{name}处理")
            for pk, name in events.filter(kind="dispatched", handler_org__isnull=False)
            .values_list("pk", "handler_org__name")
            .iterator(chunk_size=BATCH)
        ),
    )
    for kind, separator in SPLIT_AT.items():
        _bulk(
            CaseEvent,
            (
                (pk, note.split(separator, 1)[0])
                for pk, note in events.filter(kind=kind).values_list("pk", "note").iterator(chunk_size=BATCH)
            ),
        )


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_public_summary_tracking_guard"),
    ]

    operations = [
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.RunPython(fill_public_notes, migrations.RunPython.noop),
    ]
