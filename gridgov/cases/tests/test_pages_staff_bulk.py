"""Bulk intake of a property company's daily problem list, through the page."""

from __future__ import annotations

import io
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.cases.models import Case, Channel


def csv_file(lines: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile("问题反馈清单.csv", ("\n".join(lines) + "\n").encode("utf-8"))


def upload_list(client, capture, upload, mode="all"):
    """Post a list the way the page does, let the worker run it, and return the job page."""
    with capture(execute=True):
        response = client.post(reverse("cases:bulk"), {"file": upload, "mode": mode})
    assert response.status_code == 302, response.content[:300]
    return client.get(response.url)


LINES = [
    "地点,问题描述,具体位置,紧急,联系电话",
    "1栋,3单元电梯异响,3单元,紧急,",
    "8栋,别人的楼,,,",
    "1栋,,,很急,",
    "聚江苑/1栋,楼道灯不亮,,,13700001111",
]


def test_template_download_is_an_xlsx_with_chinese_headers_and_instructions(client, cw):
    from openpyxl import load_workbook

    client.force_login(cw.pete)
    response = client.get(reverse("cases:bulk_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["问题反馈清单", "填写说明"]
    headers = [cell.value for cell in workbook["问题反馈清单"][1]]
    assert headers[:2] == ["地点", "问题描述"] and "联系电话" in headers and "紧急" in headers
    assert any("重复上传" in str(row[0].value) for row in workbook["填写说明"].iter_rows())


def test_the_template_itself_imports(client, cw, django_capture_on_commit_callbacks):
    """What the template says is a header is what the importer reads."""
    from openpyxl import load_workbook

    client.force_login(cw.pete)
    workbook = load_workbook(io.BytesIO(client.get(reverse("cases:bulk_template")).content))
    workbook["问题反馈清单"].append(["1栋", "单元门禁坏了", "2单元", "", "张先生", "13700002222", "一般"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("清单.xlsx", buffer.getvalue())
    response = upload_list(client, django_capture_on_commit_callbacks, upload)
    assert response.status_code == 200 and "已导入 1 件" in response.text
    case = Case.objects.get()
    assert (case.reporter_name, case.address_detail, case.priority) == ("张先生", "2单元", "normal")


def test_bad_rows_are_reported_and_all_or_nothing_writes_nothing(
    client, cw, django_capture_on_commit_callbacks
):
    client.force_login(cw.pete)
    response = upload_list(client, django_capture_on_commit_callbacks, csv_file(LINES))
    assert response.status_code == 400
    text = response.text
    assert "有 2 行存在问题" in text and "本次没有导入任何行" in text
    assert (
        '第3行</td><td data-label="列">地点/楼栋</td><td data-label="原因">找不到地点“8栋”，或不在您的范围内'
        in text
    )
    assert (
        '第4行</td><td data-label="列">紧急程度</td><td data-label="原因">紧急程度只能填“紧急”或“一般”'
        in text
    )
    assert '第4行</td><td data-label="列">问题描述</td><td data-label="原因">请填写问题描述' in text
    assert Case.objects.count() == 0


def test_good_rows_only(client, cw, django_capture_on_commit_callbacks):
    client.force_login(cw.pete)
    response = upload_list(client, django_capture_on_commit_callbacks, csv_file(LINES), mode="good")
    assert response.status_code == 200
    assert "已导入 2 件" in response.text and "第3行" in response.text
    cases = list(Case.objects.order_by("pk"))
    assert [c.text for c in cases] == ["3单元电梯异响", "楼道灯不亮"]
    assert {c.channel for c in cases} == {Channel.PROPERTY_BULK}
    for case in cases:
        assert case.tracking_code in response.text
    # The same list again (the same day) adds nothing.
    again = upload_list(client, django_capture_on_commit_callbacks, csv_file(LINES), mode="good")
    assert "此前已导入" in again.text
    assert Case.objects.count() == 2


def test_bad_files_are_named(client, cw, django_capture_on_commit_callbacks):
    client.force_login(cw.pete)
    response = client.post(reverse("cases:bulk"), {"mode": "all"})
    assert response.status_code == 400 and "请选择要上传的问题清单文件" in response.text
    response = upload_list(client, django_capture_on_commit_callbacks, csv_file(["甲,乙", "1,2"]))
    assert response.status_code == 200 and "找不到表头" in response.text
    response = client.post(reverse("cases:bulk"), {"file": csv_file(LINES), "mode": "some"})
    assert response.status_code == 400 and "导入方式无效" in response.text


def test_departments_and_residents_may_not_upload(client, cw):
    for user in (cw.chen, cw.erin):
        client.force_login(user)
        assert client.get(reverse("cases:bulk")).status_code == 403
        assert (
            client.post(reverse("cases:bulk"), {"file": csv_file(LINES), "mode": "good"}).status_code == 403
        )
    assert Case.objects.count() == 0


# --- issue 7: the worker reads the list, bounded, sealed; a job page shows the result -----------


def test_the_page_reads_nothing_and_the_job_page_polls(client, cw, settings, tmp_path):
    """Without the worker the list waits, sealed on disk; the job page says so and polls."""
    from pathlib import Path

    from gridgov.transfer.models import CaseListJob

    settings.MEDIA_ROOT = tmp_path
    client.force_login(cw.pete)
    with (
        mock.patch("gridgov.transfer.readers.sniff", side_effect=AssertionError("parsed in the request")),
        mock.patch("gridgov.transfer.readers.raw_rows", side_effect=AssertionError("parsed in the request")),
    ):
        response = client.post(reverse("cases:bulk"), {"file": csv_file(LINES), "mode": "all"})
    job = CaseListJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("cases:bulk_job", args=[job.pk])
    assert "3单元电梯异响".encode() not in Path(job.file_path).read_bytes()
    page = client.get(response.url).text
    assert "排队等待处理" in page and 'hx-trigger="every 1s"' in page
    assert client.get(reverse("cases:bulk")).text.count(job.original_name) == 1  # listed as recent
    # Nobody else sees the job: not a department, not another intake clerk.
    client.force_login(cw.chen)
    assert client.get(reverse("cases:bulk_job", args=[job.pk])).status_code == 403
    client.force_login(cw.cora)
    assert client.get(reverse("cases:bulk_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("cases:bulk_job_status", args=[job.pk])).status_code == 404


def test_the_file_is_deleted_once_filed(client, cw, settings, tmp_path, django_capture_on_commit_callbacks):
    from gridgov.transfer.models import CaseListJob
    from gridgov.transfer.uploads import CASE_LISTS, upload_dir

    settings.MEDIA_ROOT = tmp_path
    client.force_login(cw.pete)
    upload_list(client, django_capture_on_commit_callbacks, csv_file(LINES), mode="good")
    job = CaseListJob.objects.get()
    assert job.status == "done" and job.file_path == ""
    assert list(upload_dir(CASE_LISTS).iterdir()) == []


def test_uploads_are_bounded_by_size(client, cw, settings):
    from gridgov.transfer.models import CaseListJob

    settings.GRIDGOV_UPLOAD_MAX_BYTES = 100
    client.force_login(cw.pete)
    big = csv_file([*LINES, "1栋,楼道灯不亮" + "。" * 200])
    response = client.post(reverse("cases:bulk"), {"file": big, "mode": "all"})
    assert response.status_code == 400 and "文件过大" in response.text
    assert not CaseListJob.objects.exists()


def test_too_many_rows_fail_in_the_worker(client, cw, settings, django_capture_on_commit_callbacks):
    settings.GRIDGOV_IMPORT_MAX_ROWS = 3
    client.force_login(cw.pete)
    response = upload_list(client, django_capture_on_commit_callbacks, csv_file(LINES))
    assert "表格超过3行的上限" in response.text
    assert Case.objects.count() == 0
