from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.cases.bulk import cases_bulk_submit
from gridgov.cases.models import Case, Channel


def sheet(rows: list[list[str]]) -> SimpleUploadedFile:
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("问题反馈清单.xlsx", buffer.getvalue())


HEADER = ["序号", "地点", "问题描述", "具体位置", "紧急", "联系电话"]


def test_property_list_imports_and_a_second_upload_adds_nothing(cw):
    rows = [
        HEADER,
        ["1", "1栋", "3单元电梯异响", "3单元", "紧急", ""],
        ["2", "聚江苑/1栋", "楼道灯不亮", "", "", "13700001111"],
    ]
    result = cases_bulk_submit(by=cw.pete, upload=sheet(rows))
    assert result.written and not result.errors and len(result.created) == 2
    first = result.created[0]
    assert (first.channel, first.place, first.priority, first.created_by) == (
        Channel.PROPERTY_BULK,
        cw.building1,
        "urgent",
        cw.pete,
    )
    again = cases_bulk_submit(by=cw.pete, upload=sheet(rows))
    assert (len(again.created), len(again.existing)) == (0, 2)
    assert Case.objects.count() == 2


def test_bad_rows_are_all_reported_and_nothing_is_written(cw):
    rows = [
        HEADER,
        ["1", "1栋", "好的一行", "", "", ""],
        ["2", "8栋", "别人的楼", "", "", ""],
        ["3", "1栋", "", "", "很急", ""],
    ]
    result = cases_bulk_submit(by=cw.pete, upload=sheet(rows))
    assert not result.written and Case.objects.count() == 0
    assert [(e.row, e.field) for e in result.errors] == [(3, "place"), (4, "priority"), (4, "text")]
    assert result.errors[0].message == "找不到地点“8栋”，或不在您的范围内"
    partial = cases_bulk_submit(by=cw.pete, upload=sheet(rows), all_or_nothing=False)
    assert partial.written and len(partial.created) == 1 and Case.objects.count() == 1


def test_not_a_sheet(cw):
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        cases_bulk_submit(by=cw.pete, upload=sheet([["a", "b"], ["1", "2"]]))
    assert exc.value.message_dict == {"file": ["找不到表头：第一行须包含“地点”（或“楼栋”）和“问题描述”两列"]}


def test_a_recurring_item_next_month_is_a_new_case_the_same_day_is_not(cw):
    """The key holds the upload date: last month's closed case is not returned for this month's list."""
    import datetime as dt

    rows = [HEADER, ["1", "1栋", "每月消防器材检查：3单元灭火器过期", "", "", ""]]
    march = cases_bulk_submit(by=cw.pete, upload=sheet(rows), day=dt.date(2026, 3, 1))
    same_day = cases_bulk_submit(by=cw.pete, upload=sheet(rows), day=dt.date(2026, 3, 1))
    april = cases_bulk_submit(by=cw.pete, upload=sheet(rows), day=dt.date(2026, 4, 1))
    assert len(march.created) == 1 and len(same_day.existing) == 1 and not same_day.created
    assert len(april.created) == 1 and april.created[0].pk != march.created[0].pk
    assert Case.objects.count() == 2


def test_control_characters_in_a_list_are_bad_rows(cw):
    rows = [HEADER, ["1", "1栋", "楼道灯\x00不亮", "", "", ""], ["2", "1\u202e栋", "电梯异响", "", "", ""]]
    data = "\n".join(",".join(row) for row in rows).encode()
    upload = SimpleUploadedFile("清单.csv", data)
    result = cases_bulk_submit(by=cw.pete, upload=upload)
    assert not result.written and Case.objects.count() == 0
    assert [(e.row, e.field, e.message) for e in result.errors][:2] == [
        (2, "text", "问题描述含有不允许的控制字符，请删除后重新填写"),
        (3, "place", "地点/楼栋含有不允许的文字方向控制字符，请删除后重新填写"),
    ]


def test_unpicked_lists_expire_with_their_files(cw, settings, tmp_path, django_capture_on_commit_callbacks):
    import datetime as dt
    from pathlib import Path

    from gridgov.accounts.scope import SYSTEM
    from gridgov.cases.bulk import bulk_upload
    from gridgov.transfer.models import CaseListJob
    from gridgov.transfer.services import uploads_expire

    settings.MEDIA_ROOT = tmp_path
    job = bulk_upload(
        by=cw.pete, uploaded=sheet([HEADER, ["1", "1栋", "楼道灯不亮", "", "", ""]]), all_or_nothing=True
    )
    path = Path(job.file_path)
    assert path.exists() and "楼道灯不亮".encode() not in path.read_bytes()
    CaseListJob.objects.filter(pk=job.pk).update(created_at=job.created_at - dt.timedelta(hours=30))
    assert uploads_expire(by=SYSTEM)["case_lists"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and "小时仍未处理" in job.message and not path.exists()
