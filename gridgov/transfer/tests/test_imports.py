"""Importing a roster: template, check report, the user's choice, no duplicates, bad files, scope."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.audit.models import AuditAction, AuditEntry
from gridgov.people.models import Membership, Resident, ResidentTag
from gridgov.people.services import id_hash
from gridgov.places.models import Household, Place
from gridgov.transfer.models import ImportJob, ImportStatus
from gridgov.transfer.tests.factories import csv_bytes, make_id, person, upload, xlsx_bytes

WANG_FANG = make_id("19800101", 1, male=False)
XIAOMING = make_id("20100101", 2)
ZHAO = make_id("19450315", 3)
GOOD_ROWS = [
    person(
        "王芳",
        WANG_FANG,
        estate="新苑",
        building="3栋",
        unit="2单元",
        room="301",
        phone="13911112222",
        tags="独居老人、高龄老人",
        moved_in="2019-06-01",
    ),
    person("王小明", XIAOMING, estate="新苑", building="3栋", unit="2单元", room="301", relation="子女"),
    person(
        "赵大爷", ZHAO, building="1栋", room="102", kind="出租", political="中共党员", phone="0731-84561234"
    ),
]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_file(client, place, content, name="名册.xlsx", kind="residents", capture=None):
    data = {"place": place.pk, "kind": kind, "file": upload(content, name)}
    if capture is None:
        return client.post(reverse("transfer:upload"), data)
    with capture(execute=True):
        return client.post(reverse("transfer:upload"), data)


def confirm(client, job, mode, capture):
    with capture(execute=True):
        return client.post(reverse("transfer:job_confirm", args=[job.pk]), {"mode": mode})


def only_job() -> ImportJob:
    return ImportJob.objects.get()


def test_template_downloads(world):
    from openpyxl import load_workbook

    client = client_for(world.carol)
    response = client.get(reverse("transfer:template"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["居民信息", "填写说明"]
    header = [cell.value for cell in workbook["居民信息"][1]]
    assert header[:9] == ["网格", "小区", "楼栋", "单元", "房号", "居住类型", "姓名", "性别", "身份证号"]
    assert "标签" in header and "迁入日期" in header
    guide = [row[0] for row in workbook["填写说明"].iter_rows(values_only=True)]
    assert "身份证号" in guide
    assert workbook["居民信息"].column_dimensions["I"].number_format == "@"  # ID numbers stay text
    csv_response = client.get(reverse("transfer:template"), {"format": "csv"})
    body = b"".join(csv_response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf") and "姓名,性别,身份证号".encode() in body
    buildings = client.get(reverse("transfer:template"), {"kind": "buildings"})
    sheet = load_workbook(io.BytesIO(b"".join(buildings.streaming_content))).active
    assert [cell.value for cell in sheet[1]] == ["网格", "小区", "楼栋", "单元", "房号", "居住类型", "备注"]
    # A resident (no import/export right) may not even see the page.
    assert client_for(world.erin).get(reverse("transfer:template")).status_code == 403


def test_good_file_imports_with_places_households_tags_and_audit(world, django_capture_on_commit_callbacks):
    client = client_for(world.carol)
    response = post_file(
        client, world.community, xlsx_bytes(GOOD_ROWS), capture=django_capture_on_commit_callbacks
    )
    job = only_job()
    assert response.status_code == 302 and response.url == reverse("transfer:job", args=[job.pk])
    assert (job.status, job.total_rows, job.bad_rows) == (ImportStatus.READY, 3, 0)
    assert Resident.objects.count() == 2  # the check writes nothing
    page = client.get(reverse("transfer:job", args=[job.pk])).content.decode()
    assert "全部 3 行检查通过" in page and "开始导入" in page

    confirm(client, job, "good_rows", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.residents_created, job.households_created, job.places_created) == (3, 2, 3)
    wang = Resident.objects.get(id_number_hash=id_hash(WANG_FANG))
    assert (
        wang.place.name == "2单元"
        and wang.place.parent.name == "3栋"
        and wang.place.parent.parent.name == "新苑"
    )
    assert wang.place.parent.parent.parent == world.grid1
    assert (wang.gender, str(wang.birth_date), wang.phone_last4) == ("F", "1980-01-01", "2222")
    assert wang.id_number_masked.endswith(WANG_FANG[-4:])
    assert sorted(ResidentTag.objects.filter(resident=wang).values_list("tag__name", flat=True)) == [
        "独居老人",
        "高龄老人",
    ]
    household = Household.objects.get(place=wang.place, room="301")
    assert household.address == "新苑3栋2单元301"
    members = {
        m.resident.name: (m.relation, str(m.moved_in)) for m in Membership.objects.filter(household=household)
    }
    assert members["王芳"] == ("head", "2019-06-01") and members["王小明"][0] == "child"
    zhao = Resident.objects.get(id_number_hash=id_hash(ZHAO))
    assert zhao.political_status == "party_member" and zhao.place == world.building1
    assert Household.objects.get(place=world.building1, room="102").residence_kind == "rented"
    summary = AuditEntry.objects.get(action=AuditAction.IMPORT, target_type="transfer.importjob")
    assert (
        summary.actor == world.carol and summary.changes["新增居民"] == 3 and summary.changes["总行数"] == 3
    )
    created = AuditEntry.objects.filter(
        action=AuditAction.CREATE, target_type="people.resident", actor=world.carol
    )
    assert created.count() == 3
    # The audit diff never holds a full ID number.
    assert WANG_FANG not in str(created.get(target_id=str(wang.pk)).changes)
    assert not Path(job.file_path).exists()  # the upload (plaintext IDs) is gone once imported
    done_page = client.get(reverse("transfer:job_status", args=[job.pk])).content.decode()
    assert "导入完成" in done_page and "hx-trigger" not in done_page


def _bad_file() -> bytes:
    rows = [
        *GOOD_ROWS,
        person("错号", "430102195001010019", room="103"),  # row 5: check digit
        person("短号", make_id("19900101", 5), room="104", phone="1381234567"),  # row 6: phone length
        person("重复", WANG_FANG, room="105"),  # row 7: same ID as row 2
        person("怪标签", make_id("19900101", 6), room="106", tags="外星人", gender="女"),  # row 8: 2 problems
        person("", make_id("19900101", 7), room=""),  # row 9: no name, no room
    ]
    return xlsx_bytes(rows)


def test_bad_rows_reported_then_import_nothing_writes_nothing(world, django_capture_on_commit_callbacks):
    client = client_for(world.carol)
    post_file(client, world.community, _bad_file(), capture=django_capture_on_commit_callbacks)
    job = only_job()
    assert (job.status, job.total_rows, job.bad_rows, job.good_rows) == (ImportStatus.READY, 8, 5, 3)
    problems = set(job.row_errors.values_list("row", "column", "message"))
    assert (5, "身份证号", "身份证号校验位错误，请核对后重新填写") in problems
    assert (6, "手机号", "手机号应为11位，当前为10位") in problems
    assert (7, "身份证号", "与第2行的身份证号重复") in problems
    assert any(
        row == 8 and column == "标签" and "标签“外星人”不存在" in message for row, column, message in problems
    )
    assert (8, "性别", "性别与身份证号不一致") in problems
    assert (9, "姓名", "请填写姓名") in problems and (9, "房号", "请填写房号") in problems
    page = client.get(reverse("transfer:job", args=[job.pk])).content.decode()
    assert (
        "检查发现 5 行有问题" in page
        and "第5行" in page
        and "只导入正确的 3 行" in page
        and "全部不导入" in page
    )
    audit_before = AuditEntry.objects.count()

    confirm(client, job, "nothing", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert Resident.objects.count() == 2 and Household.objects.count() == 2
    assert not Place.objects.filter(name="新苑").exists()
    entry = AuditEntry.objects.exclude(pk__lte=0).order_by("-id").first()
    assert AuditEntry.objects.count() == audit_before + 1 and entry.action == AuditAction.IMPORT
    assert entry.changes["chosen"] == "全部不导入"
    # A decided job cannot be decided again.
    confirm(client, job, "good_rows", django_capture_on_commit_callbacks)
    assert Resident.objects.count() == 2


def test_bad_rows_then_good_rows_only_writes_exactly_the_good_ones(world, django_capture_on_commit_callbacks):
    client = client_for(world.carol)
    post_file(client, world.community, _bad_file(), capture=django_capture_on_commit_callbacks)
    job = only_job()
    confirm(client, job, "good_rows", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.residents_created == 3
    names = set(Resident.objects.values_list("name", flat=True))
    assert names == {"张建国", "李秀英", "王芳", "王小明", "赵大爷"}
    errors = client.get(reverse("transfer:job_errors", args=[job.pk]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(errors.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    # The bad rows as uploaded, one line each, the reasons in the last column (issue 9, defect 6).
    assert rows[0][-1].startswith("错误原因")
    assert len(rows) == 1 + len(set(job.row_errors.values_list("row", flat=True)))


def test_reimport_creates_no_duplicates_and_updates_only_changes(world, django_capture_on_commit_callbacks):
    client = client_for(world.carol)
    for _ in range(2):
        post_file(client, world.community, xlsx_bytes(GOOD_ROWS), capture=django_capture_on_commit_callbacks)
        confirm(client, ImportJob.objects.first(), "good_rows", django_capture_on_commit_callbacks)
    second = ImportJob.objects.first()
    assert second.status == ImportStatus.DONE
    assert (second.residents_created, second.residents_updated, second.residents_unchanged) == (0, 0, 3)
    assert (second.households_created, second.places_created) == (0, 0)
    assert Resident.objects.count() == 5 and Household.objects.count() == 4
    assert Membership.objects.filter(moved_out__isnull=True).count() == 5
    updates_before = AuditEntry.objects.filter(
        action=AuditAction.UPDATE, target_type="people.resident"
    ).count()

    changed = [list(row) for row in GOOD_ROWS]
    changed[2][9] = "13700001111"  # 赵大爷's new phone
    changed[0][4] = "302"  # 王芳 moved to room 302 of the same building
    post_file(client, world.community, xlsx_bytes(changed), capture=django_capture_on_commit_callbacks)
    confirm(client, ImportJob.objects.first(), "good_rows", django_capture_on_commit_callbacks)
    third = ImportJob.objects.first()
    assert (third.residents_created, third.residents_updated, third.residents_unchanged) == (0, 2, 1)
    assert third.households_created == 1
    assert Resident.objects.count() == 5
    assert Resident.objects.get(id_number_hash=id_hash(ZHAO)).phone_last4 == "1111"
    wang = Resident.objects.get(id_number_hash=id_hash(WANG_FANG))
    stays = list(
        Membership.objects.filter(resident=wang).order_by("id").values_list("household__room", "moved_out")
    )
    assert stays[0][0] == "301" and stays[0][1] is not None and stays[1] == ("302", None)
    assert (
        AuditEntry.objects.filter(action=AuditAction.UPDATE, target_type="people.resident").count()
        == updates_before + 2
    )


def test_existing_resident_is_matched_and_moved(world, django_capture_on_commit_callbacks):
    """张建国 (already in 1栋101) listed in 1栋 room 105: same person, moved, not a second card."""
    client = client_for(world.carol)
    rows = [person("张建国", "430102195001010018", room="105", phone="13812345678")]
    post_file(client, world.community, xlsx_bytes(rows), capture=django_capture_on_commit_callbacks)
    confirm(client, only_job(), "good_rows", django_capture_on_commit_callbacks)
    assert Resident.objects.filter(name="张建国").count() == 1
    world.zhang.refresh_from_db()
    current = Membership.objects.get(resident=world.zhang, moved_out__isnull=True)
    assert current.household.room == "105"
    assert Membership.objects.get(resident=world.zhang, household=world.household1).moved_out is not None


def test_gbk_and_utf8_bom_csv(world, django_capture_on_commit_callbacks):
    client = client_for(world.carol)
    rows = [person("钱淑珍", make_id("19600202", 8, male=False), room="201", tags="空巢老人")]
    post_file(
        client,
        world.community,
        csv_bytes(rows, encoding="gbk"),
        name="名册.csv",
        capture=django_capture_on_commit_callbacks,
    )
    job = only_job()
    assert (job.file_format, job.encoding, job.status, job.bad_rows) == (
        "csv",
        "gb18030",
        ImportStatus.READY,
        0,
    )
    confirm(client, job, "good_rows", django_capture_on_commit_callbacks)
    assert Resident.objects.filter(name="钱淑珍").exists()

    rows = [person("孙丽", make_id("19700303", 9, male=False), room="202")]
    post_file(
        client,
        world.community,
        csv_bytes(rows, encoding="utf-8-sig"),
        name="名册.csv",
        capture=django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.first()
    assert (job.encoding, job.bad_rows, job.total_rows) == ("utf-8-sig", 0, 1)


def test_header_found_below_a_title_row_and_aliases(world, django_capture_on_commit_callbacks):
    headers = ["所属网格", "小区", "楼栋", "房间号", "姓名", "公民身份号码", "联系电话", "序号"]
    content = xlsx_bytes(
        [["第一网格", "聚江苑", "1栋", "109", "周明", make_id("19880808", 4), "13600001234", "1"]],
        headers=headers,
        title_row="金泰路社区居民花名册",
    )
    client = client_for(world.carol)
    post_file(client, world.community, content, capture=django_capture_on_commit_callbacks)
    job = only_job()
    assert (job.status, job.total_rows, job.bad_rows) == (ImportStatus.READY, 1, 0)
    assert job.warnings == ["以下列不在模板中，已忽略：序号"]


# Refused in the request from the size and the first bytes alone.
REFUSED_FILES = {
    "empty": (lambda: b"", "名册.xlsx", "文件是空的"),
    "png": (lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00", "照片.png", "只支持 .xlsx 和 .csv 文件"),
    "xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "名册.xls", "旧版Excel（.xls）"),
    "not-xlsx": (lambda: b"just text", "名册.xlsx", "不是有效的Excel"),
    "unknown-encoding": (
        lambda: "姓名,楼栋\n".encode("utf-16-le")[:-1] + b"\xff\xd8",
        "名册.csv",
        "无法识别",
    ),
}
# Only the worker reads columns and rows: these fail the check, with the reason on the job page.
FAILED_FILES = {
    "missing-columns": (
        lambda: xlsx_bytes([["张三", "1栋"]], headers=["姓名", "楼栋"]),
        "名册.xlsx",
        "缺少必需的列：房号、身份证号",
    ),
    "no-header": (lambda: xlsx_bytes([["a", "b"]], headers=["序号", "备考"]), "名册.xlsx", "找不到表头"),
    "broken-zip": (lambda: b"PK\x03\x04 not really a zip", "名册.xlsx", "文件已损坏"),
    "header-only": (lambda: xlsx_bytes([]), "名册.xlsx", "只有表头，没有数据行"),
    "gb-garbage": (lambda: b"\xff\xfe\xfd" * 10, "名册.csv", "无法识别CSV文件的编码"),
}


@pytest.mark.parametrize("case", list(REFUSED_FILES))
def test_wrong_files_get_a_chinese_message_and_no_job(world, case):
    make, name, message = REFUSED_FILES[case]
    response = post_file(client_for(world.carol), world.community, make(), name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("case", list(FAILED_FILES))
def test_unreadable_files_fail_the_check_with_a_chinese_message(
    world, case, django_capture_on_commit_callbacks
):
    make, name, message = FAILED_FILES[case]
    client = client_for(world.carol)
    response = post_file(
        client, world.community, make(), name=name, capture=django_capture_on_commit_callbacks
    )
    job = only_job()
    assert response.status_code == 302 and job.status == ImportStatus.FAILED
    assert message in job.message
    assert message in client.get(reverse("transfer:job", args=[job.pk])).content.decode()
    assert not Path(job.file_path).exists()


def test_oversized_file(world, settings):
    settings.GRIDGOV_UPLOAD_MAX_BYTES = 1000
    response = post_file(client_for(world.carol), world.community, xlsx_bytes(GOOD_ROWS))
    assert response.status_code == 400
    assert "文件过大" in response.content.decode() and "上限为" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_rows_outside_the_target_are_bad(world, wang, django_capture_on_commit_callbacks):
    rows = [
        person("外网格", make_id("19900101", 10), grid="第二网格"),  # grid 2 is not under grid 1
        person("李秀英", "430102198002020027", room="110"),  # lives in grid 2: outside wang's scope
        person("好人", make_id("19900101", 11), grid="", room="111"),
    ]
    client = client_for(wang)
    post_file(client, world.grid1, xlsx_bytes(rows), capture=django_capture_on_commit_callbacks)
    job = only_job()
    problems = {row: message for row, message in job.row_errors.values_list("row", "message")}
    assert problems[2] == "网格“第二网格”不在导入目标“第一网格”之内"
    # Neutral words: the file must not confirm that the number is registered elsewhere.
    assert problems[3] == "该身份证号无法登记，请联系社区或街道管理员核实"
    assert job.bad_rows == 2
    confirm(client, job, "good_rows", django_capture_on_commit_callbacks)
    world.li.refresh_from_db()
    assert world.li.place == world.building2  # not moved by someone who cannot see her
    assert Resident.objects.filter(name="好人", place=world.building1).exists()


def test_out_of_scope_target_is_404_and_no_import_right_is_403(world, wang):
    content = xlsx_bytes(GOOD_ROWS)
    assert post_file(client_for(wang), world.grid2, content).status_code == 404
    assert post_file(client_for(world.alice), world.grid1, content).status_code == 403
    assert post_file(client_for(world.alice), world.grid2, content).status_code == 404
    assert post_file(client_for(world.carol), Place(pk=987654), content).status_code == 404
    assert not ImportJob.objects.exists()


def test_job_pages_are_scoped(world, wang, django_capture_on_commit_callbacks):
    post_file(
        client_for(world.carol),
        world.grid2,
        xlsx_bytes([person("x", make_id("19900101", 12), grid="")]),
        capture=django_capture_on_commit_callbacks,
    )
    job = only_job()
    for name in ("transfer:job", "transfer:job_status", "transfer:job_errors"):
        assert client_for(wang).get(reverse(name, args=[job.pk])).status_code == 404
        assert client_for(world.carol).get(reverse(name, args=[job.pk])).status_code == 200
    assert (
        client_for(wang)
        .post(reverse("transfer:job_confirm", args=[job.pk]), {"mode": "good_rows"})
        .status_code
        == 404
    )


def test_every_file_goes_through_the_background_task(world, django_capture_on_commit_callbacks):
    """The check and the import run as django_tasks tasks (immediate in tests), small files too."""
    client = client_for(world.carol)
    with (
        mock.patch("gridgov.transfer.tasks.validate_import") as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(
            reverse("transfer:upload"), {"place": world.community.pk, "file": upload(xlsx_bytes(GOOD_ROWS))}
        )
    task.enqueue.assert_called_once_with(only_job().pk)
    assert only_job().status == ImportStatus.PENDING  # nothing ran in the request itself
    ImportJob.objects.all().delete()
    response = post_file(
        client, world.community, xlsx_bytes(GOOD_ROWS), capture=django_capture_on_commit_callbacks
    )
    job = only_job()
    assert response.status_code == 302 and job.status == ImportStatus.READY
    confirm(client, job, "good_rows", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.residents_created == 3


def test_pending_job_page_polls(world):
    """Without the commit hook running, the job waits: the page says so and polls with htmx."""
    post_file(client_for(world.carol), world.community, xlsx_bytes(GOOD_ROWS))
    job = only_job()
    assert job.status == ImportStatus.PENDING
    page = client_for(world.carol).get(reverse("transfer:job", args=[job.pk])).content.decode()
    assert "排队等待检查" in page and 'hx-trigger="every 1s"' in page


def test_buildings_only_sheet(world, django_capture_on_commit_callbacks):
    headers = ["网格", "小区", "楼栋", "单元", "房号", "居住类型"]
    rows = [
        ["第一网格", "聚江苑", "2栋", "1单元", "101", "出租"],
        ["第一网格", "聚江苑", "2栋", "1单元", "102", ""],
        ["第一网格", "聚江苑", "9栋", "", "", ""],
        ["第一网格", "聚江苑", "2栋", "1单元", "103", "豪宅"],
    ]
    client = client_for(world.carol)
    post_file(
        client,
        world.community,
        xlsx_bytes(rows, headers=headers),
        kind="buildings",
        capture=django_capture_on_commit_callbacks,
    )
    job = only_job()
    assert job.bad_rows == 1 and job.row_errors.get().column == "居住类型"
    confirm(client, job, "good_rows", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.households_created, job.places_created) == (2, 3)
    assert Place.objects.filter(name="9栋", parent=world.estate1).exists()
    assert Household.objects.get(room="101", place__name="1单元").residence_kind == "rented"


# --- issue 7: bounded reading in the worker, sealed files, expiry, safe reports ---------------


def test_the_upload_request_reads_nothing_of_the_file(world):
    """The request seals the upload and queues the check; no row or column is parsed there."""
    from gridgov.transfer import readers

    with (
        mock.patch.object(readers, "sniff", side_effect=AssertionError("parsed in the request")),
        mock.patch.object(readers, "raw_rows", side_effect=AssertionError("parsed in the request")),
    ):
        response = post_file(client_for(world.carol), world.community, xlsx_bytes(GOOD_ROWS))
    assert response.status_code == 302 and only_job().status == ImportStatus.PENDING


def test_uploads_and_checked_rows_are_sealed_0600_in_a_0700_folder(world, django_capture_on_commit_callbacks):
    client = client_for(world.carol)
    post_file(client, world.community, csv_bytes(GOOD_ROWS), name="名册.csv")
    job = only_job()
    upload_path = Path(job.file_path)
    raw = upload_path.read_bytes()
    assert WANG_FANG.encode() not in raw and "王芳".encode() not in raw and not raw.startswith(b"PK")
    assert stat.S_IMODE(upload_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(upload_path.parent.stat().st_mode) == 0o700

    # Now the check (as the worker runs it): the spool is sealed JSON lines, never a pickle.
    from gridgov.transfer.services import _spool_path, import_validate

    import_validate(job_id=job.pk)
    job.refresh_from_db()
    spool = _spool_path(job)
    assert job.status == ImportStatus.READY and not upload_path.exists()  # the upload is done with
    sealed = spool.read_bytes()
    assert stat.S_IMODE(spool.stat().st_mode) == 0o600
    assert WANG_FANG.encode() not in sealed and b"\x80\x04" not in sealed[:16]  # no pickle header
    from gridgov.core.sealed import read_sealed

    lines = read_sealed(spool).decode().splitlines()
    assert len(lines) == 3 and '"name": "王芳"' in lines[0]

    confirm(client, job, "good_rows", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and not spool.exists()


def test_cancelling_deletes_the_checked_rows(world, django_capture_on_commit_callbacks):
    from gridgov.transfer.services import _spool_path

    client = client_for(world.carol)
    post_file(client, world.community, xlsx_bytes(GOOD_ROWS), capture=django_capture_on_commit_callbacks)
    job = only_job()
    assert _spool_path(job).exists()
    confirm(client, job, "nothing", django_capture_on_commit_callbacks)
    assert not _spool_path(job).exists() and not Path(job.file_path).exists()


def test_unconfirmed_uploads_expire_and_orphans_go(world, settings, django_capture_on_commit_callbacks):
    import datetime as dt
    import os

    from gridgov.accounts.scope import SYSTEM
    from gridgov.transfer.services import _spool_path, uploads_expire
    from gridgov.transfer.uploads import upload_dir

    settings.GRIDGOV_IMPORT_KEEP_HOURS = 24
    client = client_for(world.carol)
    post_file(client, world.community, xlsx_bytes(GOOD_ROWS), capture=django_capture_on_commit_callbacks)
    old = only_job()
    post_file(client, world.community, xlsx_bytes(GOOD_ROWS), capture=django_capture_on_commit_callbacks)
    fresh = ImportJob.objects.exclude(pk=old.pk).get()
    ImportJob.objects.filter(pk=old.pk).update(created_at=old.created_at - dt.timedelta(hours=25))
    orphan = upload_dir() / "leftover.sealed"
    orphan.write_bytes(b"x")
    stale_time = (old.created_at - dt.timedelta(hours=25)).timestamp()
    os.utime(orphan, (stale_time, stale_time))
    young_orphan = upload_dir() / "being-written.sealed"
    young_orphan.write_bytes(b"x")

    with django_capture_on_commit_callbacks(execute=True):
        result = uploads_expire(by=SYSTEM)
    assert result == {"imports": 1, "case_lists": 0, "orphans": 1}
    old.refresh_from_db()
    assert old.status == ImportStatus.CANCELLED and "24小时没有确认" in old.message
    assert not _spool_path(old).exists() and _spool_path(fresh).exists()
    assert not orphan.exists() and young_orphan.exists()
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORT, target_id=str(old.pk)).get()
    assert entry.actor is None and entry.changes["chosen"] == "超时未确认，自动取消"


def test_the_scheduler_runs_the_expiry():
    from gridgov.core.management.commands.scheduler import JOBS

    jobs = {job.name: job for job in JOBS}
    assert jobs["expire_uploads"].task == "gridgov.transfer.tasks.expire_uploads"


def _xlsx_with_empty_rows(data: list[list[object]], empty_rows: int) -> bytes:
    """An .xlsx whose sheet carries `empty_rows` formatted but empty rows after the data: a few
    hundred KB that openpyxl would otherwise walk row by row."""
    import re
    import zipfile

    buffer_in = io.BytesIO(xlsx_bytes(data))
    buffer_out = io.BytesIO()
    with (
        zipfile.ZipFile(buffer_in) as source,
        zipfile.ZipFile(buffer_out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                start = len(data) + 2
                filler = "".join(
                    f'<row r="{n}"><c r="A{n}" s="0"/></row>' for n in range(start, start + empty_rows)
                )
                content = re.sub(rb"</sheetData>", filler.encode() + b"</sheetData>", content)
            target.writestr(item, content)
    return buffer_out.getvalue()


def test_a_sheet_of_a_million_empty_rows_ends_at_the_first_empty_run(world, settings):
    from gridgov.core.sealed import seal_bytes
    from gridgov.transfer import readers
    from gridgov.transfer.uploads import opener

    content = _xlsx_with_empty_rows(GOOD_ROWS, 300_000)
    assert len(content) < 2_000_000
    path = Path(settings.MEDIA_ROOT) / "big.sealed"
    path.parent.mkdir(parents=True, exist_ok=True)
    seal_bytes(path, content)
    rows = list(readers.raw_rows(opener(path), "xlsx"))
    assert len(rows) == 1 + len(GOOD_ROWS) + readers.EMPTY_RUN - 1
    _table, data = readers.data_rows(opener(path), "xlsx", "", "residents")
    assert [number for number, _ in data] == [2, 3, 4]


def test_rows_and_columns_are_bounded(world, settings, django_capture_on_commit_callbacks):
    from gridgov.transfer import readers

    settings.GRIDGOV_IMPORT_MAX_ROWS = 3
    client = client_for(world.carol)
    post_file(client, world.community, xlsx_bytes(GOOD_ROWS), capture=django_capture_on_commit_callbacks)
    job = only_job()
    assert job.status == ImportStatus.FAILED and "表格超过3行的上限" in job.message
    # Exactly at the limit is fine.
    settings.GRIDGOV_IMPORT_MAX_ROWS = 4
    post_file(client, world.community, xlsx_bytes(GOOD_ROWS), capture=django_capture_on_commit_callbacks)
    assert ImportJob.objects.first().status == ImportStatus.READY
    settings.GRIDGOV_IMPORT_MAX_COLUMNS = 5
    wide = csv_bytes([["x"] * 40])

    def source():
        return io.BytesIO(wide)

    assert {len(row) for _, row in readers.raw_rows(source, "csv", "utf-8")} == {5}


def test_control_characters_in_cells_are_bad_rows(world, django_capture_on_commit_callbacks):
    rows = [
        person("王\x07芳", make_id("19900101", 21), room="301"),
        person("赵\u202e六", make_id("19900101", 22), room="302"),
        person("好人", make_id("19900101", 23), room="303"),
    ]
    client = client_for(world.carol)
    post_file(
        client, world.community, csv_bytes(rows), name="名册.csv", capture=django_capture_on_commit_callbacks
    )
    job = only_job()
    problems = {(row, message) for row, message in job.row_errors.values_list("row", "message")}
    assert (2, "姓名含有不允许的控制字符，请删除后重新填写") in problems
    assert (3, "姓名含有不允许的文字方向控制字符，请删除后重新填写") in problems
    assert job.bad_rows == 2
    # What the error report quotes is stored without the control character.
    assert "\x07" not in "".join(job.row_errors.values_list("name", flat=True))


def test_error_report_writes_names_as_text(world, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    formula = '=HYPERLINK("http://evil.example","点此")'
    rows = [person(formula, "430102195001010019", room="103")]
    client = client_for(world.carol)
    # CSV: in an .xlsx written by openpyxl the name would itself be a formula cell.
    post_file(
        client, world.community, csv_bytes(rows), name="名册.csv", capture=django_capture_on_commit_callbacks
    )
    job = only_job()
    response = client.get(reverse("transfer:job_errors", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    name = sheet.cell(row=2, column=header.index("姓名") + 1)
    assert name.value == "'" + formula and name.data_type == "s"


def test_an_escaped_export_imports_back_unchanged():
    from gridgov.core.sheets import sheet_text
    from gridgov.transfer.readers import cell_text

    for text in ("=1+1", "+86 138", "-", "@home", "普通文字", "'引号开头"):
        assert cell_text(sheet_text(text)) == text.strip()
