"""Import files for the tests: built in memory, one row per resident, like a community's roster."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.core.validation import id_check_char

HEADERS = [
    "网格",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "居住类型",
    "姓名",
    "性别",
    "身份证号",
    "手机号",
    "民族",
    "与户主关系",
    "户籍状态",
    "政治面貌",
    "工作单位",
    "标签",
    "迁入日期",
]


def make_id(birth: str, seq: int, *, region: str = "430102", male: bool = True) -> str:
    """A valid GB 11643 number (generated, nobody's): birth as YYYYMMDD, seq 0–499."""
    order = f"{seq * 2 + (1 if male else 0):03d}"[-3:]
    first17 = f"{region}{birth}{order}"
    return first17 + id_check_char(first17)


def person(
    name: str,
    id_number: str,
    *,
    grid: str = "第一网格",
    estate: str = "聚江苑",
    building: str = "1栋",
    unit: str = "",
    room: str = "101",
    kind: str = "自住",
    gender: str = "",
    phone: str = "",
    relation: str = "户主",
    status: str = "户籍",
    political: str = "群众",
    employment: str = "",
    tags: str = "",
    moved_in: str = "",
) -> list[str]:
    return [
        grid,
        estate,
        building,
        unit,
        room,
        kind,
        name,
        gender,
        id_number,
        phone,
        "汉族",
        relation,
        status,
        political,
        employment,
        tags,
        moved_in,
    ]


def xlsx_bytes(
    rows: Iterable[Sequence[object]], headers: list[str] | None = None, *, title_row: str = ""
) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "居民信息"
    if title_row:
        sheet.append([title_row])
    sheet.append(headers or HEADERS)
    for row in rows:
        sheet.append(row)
    guide = workbook.create_sheet("填写说明")
    guide.append(["这一页不会被导入"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    rows: Iterable[list[object]], *, encoding: str = "utf-8", headers: list[str] | None = None
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers or HEADERS)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode(encoding)


def upload(content: bytes, name: str = "名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)
