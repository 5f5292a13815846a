"""Importing a roster: template, check report, the user's choice, no duplicates, bad files, scope."""

from __future__ import annotations

import io
from pathlib import Path

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
    assert rows[0] == ("行号", "姓名", "列", "原因") and len(rows) == 1 + job.row_errors.count()


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


WRONG_FILES = {
    "missing-columns": (
        lambda: xlsx_bytes([["张三", "1栋"]], headers=["姓名", "楼栋"]),
        "名册.xlsx",
        "缺少必需的列：房号、身份证号",
    ),
    "no-header": (lambda: xlsx_bytes([["a", "b"]], headers=["序号", "备考"]), "名册.xlsx", "找不到表头"),
    "empty": (lambda: b"", "名册.xlsx", "文件是空的"),
    "broken-zip": (lambda: b"PK\x03\x04 not really a zip", "名册.xlsx", "文件已损坏"),
    "png": (lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00", "照片.png", "只支持 .xlsx 和 .csv 文件"),
    "xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "名册.xls", "旧版Excel（.xls）"),
    "header-only": (lambda: xlsx_bytes([]), "名册.xlsx", "只有表头，没有数据行"),
    "unknown-encoding": (
        lambda: "姓名,楼栋\n".encode("utf-16-le")[:-1] + b"\xff\xd8",
        "名册.csv",
        "无法识别",
    ),
}


@pytest.mark.parametrize("case", list(WRONG_FILES))
def test_wrong_files_get_a_chinese_message_and_no_job(world, case):
    make, name, message = WRONG_FILES[case]
    response = post_file(client_for(world.carol), world.community, make(), name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


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
    assert "辖区之外" in problems[3]
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


def test_large_file_goes_through_the_background_task(world, settings, django_capture_on_commit_callbacks):
    """Above the inline size the check and the import run as django_tasks tasks (immediate in tests)."""
    settings.GRIDGOV_IMPORT_INLINE_BYTES = 0
    client = client_for(world.carol)
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
