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
