"""Issue 9 defect 6: the error report is the user's own rows with the reasons beside them."""

from __future__ import annotations

import io

from django.urls import reverse

from gridgov.transfer.tests.factories import HEADERS, make_id, person, xlsx_bytes
from gridgov.transfer.tests.test_imports import client_for, only_job, post_file


def test_defect_06_error_report_returns_the_rows_with_reasons_and_one_xlsx(world, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    rows = [
        person("王小明", make_id("19800101", 11), room="103", moved_in="2026-13-01"),
        person("赵大勇", make_id("19810101", 13), room="104", moved_in="01/02/2020"),
        person("钱一", make_id("19820101", 15), room="105"),
    ]
    client = client_for(world.carol)
    post_file(client, world.community, xlsx_bytes(rows), name="名册.xlsx", capture=django_capture_on_commit_callbacks)
    job = only_job()
    messages = dict(job.row_errors.values_list("row", "message"))
    assert "不存在" in messages[2] and "格式" not in messages[2]
    assert "格式应为YYYY-MM-DD" in messages[3]

    response = client.get(reverse("transfer:job_errors", args=[job.pk]))
    disposition = response["Content-Disposition"]
    assert ".xlsx.xlsx" not in disposition and ".xlsx" in disposition
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values[0]
    # The template's columns as uploaded, then the reasons.
    assert header[: len(HEADERS)] == HEADERS
    assert header[-1].startswith("错误原因")
    assert len(values) == 3  # header + the two bad rows; the good row is not in the report
    first = dict(zip(header, values[1], strict=True))
    assert first["姓名"] == "王小明" and first["房号"] == "103" and first["迁入日期"] == "2026-13-01"
    assert "迁入日期" in first[header[-1]] and "不存在" in first[header[-1]]
