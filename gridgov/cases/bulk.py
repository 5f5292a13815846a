"""Bulk intake of a property company's daily problem list (seed 001 "问题反馈清单").

An .xlsx or CSV with a header row (地点/楼栋, 问题描述, 具体位置, 分类, 反映人, 联系电话, 紧急);
every row becomes a case through `case_submit` (channel property_bulk). Each row carries a
client key derived from the upload date, its place and its text, so uploading the same list
twice the same day adds nothing (and next month's same item is a new case). Every bad row is
reported with its row number and field; the caller chooses all-or-nothing or "write the good rows".

The page never reads the file: `bulk_upload` seals it on disk (a transfer.CaseListJob) and queues
`bulk_run` for the worker; the job page polls until the result is there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from gridgov.accounts import capabilities as caps
from gridgov.accounts.scope import is_unrestricted, paths_with, subtree_q
from gridgov.cases import policy
from gridgov.cases.models import Case, Channel, Priority
from gridgov.core import clock
from gridgov.core.errors import error_items, field_error
from gridgov.core.sheets import set_text, xlsx_row
from gridgov.core.text import text_problem
from gridgov.places.models import Place

if TYPE_CHECKING:
    from gridgov.accounts.models import User
    from gridgov.transfer.models import CaseListJob

MAX_ROWS = 2000
HEADERS: dict[str, str] = {
    "地点": "place",
    "楼栋": "place",
    "位置": "place",
    "小区楼栋": "place",
    "问题描述": "text",
    "问题": "text",
    "反映内容": "text",
    "内容": "text",
    "具体位置": "address_detail",
    "详细位置": "address_detail",
    "分类": "category",
    "反映人": "reporter_name",
    "姓名": "reporter_name",
    "联系电话": "reporter_phone",
    "电话": "reporter_phone",
    "手机号": "reporter_phone",
    "紧急": "priority",
    "紧急程度": "priority",
    "优先级": "priority",
}
_SPLIT = re.compile(r"\s*[/／>＞\-—]\s*")
# How the page names each column (also in the messages of refused cells).
FIELD_LABELS: dict[str, str] = {
    "place": "地点/楼栋",
    "text": "问题描述",
    "address_detail": "具体位置",
    "category": "分类",
    "reporter_name": "反映人",
    "reporter_phone": "联系电话",
    "priority": "紧急程度",
}


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class BulkResult:
    created: list[Case] = field(default_factory=list)
    existing: list[Case] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False


def read_rows(upload: Any) -> list[tuple[int, dict[str, str]]]:
    """Rows of an uploaded sheet (in memory, size-checked) as {field: text}: for scripts and tests.
    Pages go through `bulk_upload`, which leaves the reading to the worker."""
    from gridgov.transfer.uploads import check_size

    check_size(upload)
    data = b"".join(upload.chunks()) if hasattr(upload, "chunks") else upload.read()
    return rows_from(lambda: io.BytesIO(data))


def rows_from(opener: Callable[[], BinaryIO]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a problem list as {field: text}, with spreadsheet row numbers. Reading is bounded
    (rows, columns, a run of empty rows ends the sheet) by gridgov.transfer.readers."""
    from gridgov.transfer.readers import FileProblem, cell_text, raw_rows, sniff

    header: dict[int, str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        sniffed = sniff(opener)
        for number, values in raw_rows(opener, sniffed.file_format, sniffed.encoding):
            cells = [cell_text(value) for value in values]
            if header is None:
                mapped = {i: HEADERS[c] for i, c in enumerate(cells) if c in HEADERS}
                if "text" in mapped.values() and "place" in mapped.values():
                    header = mapped
                elif number >= 10:
                    break
                continue
            row = {key: cells[i] for i, key in header.items() if i < len(cells) and cells[i]}
            if row:
                rows.append((number, row))
            if len(rows) > MAX_ROWS:
                raise field_error("file", f"一次最多导入{MAX_ROWS}行，请拆分后再上传")
    except FileProblem as exc:
        raise field_error("file", str(exc)) from None
    if header is None:
        raise field_error("file", "找不到表头：第一行须包含“地点”（或“楼栋”）和“问题描述”两列")
    return rows


def _roots(by: User) -> list[str]:
    roots = list(paths_with(by, caps.CASES_INTAKE))
    org_id = policy.org_handles(by)
    if org_id:
        roots += list(Place.objects.filter(served_by=org_id).values_list("path", flat=True))
    return roots


def resolve_place(by: User, text: str) -> Place:
    """A place named in a sheet ("1栋", or "聚江苑/1栋" when names repeat) inside the user's reach."""
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if not parts:
        raise field_error("place", "请填写地点")
    candidates = Place.objects.filter(name=parts[-1])
    if not is_unrestricted(by):
        candidates = candidates.filter(subtree_q(_roots(by), "path"))
    matches = []
    for place in candidates[:50]:
        if len(parts) > 1:
            names = set(Place.objects.filter(path__in=place.ancestor_paths()).values_list("name", flat=True))
            if not set(parts[:-1]) <= names:
                continue
        matches.append(place)
    if not matches:
        raise field_error("place", f"找不到地点“{text}”，或不在您的范围内")
    if len(matches) > 1:
        raise field_error("place", f"“{text}”有{len(matches)}处同名，请写成“小区/楼栋”")
    return matches[0]


def _priority(text: str) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    if text in ("紧急", "是", "urgent", "急"):
        return Priority.URGENT
    if text in ("一般", "否", "normal", "普通"):
        return Priority.NORMAL
    raise field_error("priority", "紧急程度只能填“紧急”或“一般”")


def _category(text: str) -> str | None:
    from gridgov.cases.models import Category

    text = (text or "").strip()
    if not text:
        return None
    found = (
        Category.objects.filter(is_active=True).filter(name=text).first()
        or Category.objects.filter(is_active=True, code=text).first()
    )
    if found is None:
        raise field_error("category", f"分类“{text}”不存在")
    return found.code


def row_key(day: dt.date, place: Place, text: str) -> str:
    """A row's client key: the same list uploaded again the same day files nothing twice, while
    a recurring item (the monthly fire-extinguisher check) in a later list is a new case."""
    return "bulk-" + hashlib.sha256(f"{day.isoformat()}|{place.pk}|{text}".encode()).hexdigest()[:40]


def cases_bulk_submit(
    *,
    by: User,
    upload: Any = None,
    rows: list[tuple[int, dict[str, str]]] | None = None,
    all_or_nothing: bool = True,
    channel: str = Channel.PROPERTY_BULK,
    day: dt.date | None = None,
) -> BulkResult:
    """Import a problem list uploaded on `day` (today by default); with all_or_nothing, one bad
    row writes nothing at all. `by` needs cases.intake at each row's place."""
    from gridgov.cases.services import case_submit_result

    if rows is None:
        rows = read_rows(upload)
    if not rows:
        raise field_error("file", "表格中没有数据行")
    day = day or clock.today()
    result = BulkResult()
    with transaction.atomic():
        for number, row in rows:
            # The boundary every form and API has: no control, bidi or zero-width characters.
            row_errors = [
                RowError(number, key, problem)
                for key, value in row.items()
                if (problem := text_problem(value, FIELD_LABELS.get(key, key), multiline=key == "text"))
            ]
            if row_errors:
                result.errors += row_errors
                continue
            parsed: dict[str, Any] = {}
            for key, parse in (
                ("place", lambda v: resolve_place(by, v)),
                ("category", _category),
                ("priority", _priority),
            ):
                try:
                    parsed[key] = parse(row.get(key, ""))
                except ValidationError as exc:
                    row_errors += [
                        RowError(number, item["field"], item["message"]) for item in error_items(exc)
                    ]
            text = row.get("text", "").strip()
            if not text:
                row_errors.append(RowError(number, "text", "请填写问题描述"))
            if row_errors:
                result.errors += row_errors
                continue
            place = parsed["place"]
            key = row_key(day, place, text)
            try:
                with transaction.atomic():
                    submitted = case_submit_result(
                        by=by,
                        text=text,
                        channel=channel,
                        place=place,
                        category=parsed["category"],
                        priority=parsed["priority"],
                        address_detail=row.get("address_detail", ""),
                        reporter_name=row.get("reporter_name", ""),
                        reporter_phone=row.get("reporter_phone", ""),
                        client_key=key,
                    )
            except ValidationError as exc:
                result.errors += [
                    RowError(number, item["field"], item["message"]) for item in error_items(exc)
                ]
                continue
            except (PermissionDenied, Http404) as exc:
                result.errors.append(RowError(number, "place", str(exc) or "无权登记该地点的事件"))
                continue
            (result.created if submitted.created else result.existing).append(submitted.case)
        if result.errors and all_or_nothing:
            transaction.set_rollback(True)
            result.created, result.existing = [], []
            return result
    result.written = bool(result.created)
    return result


# --- through the worker: the page uploads, the task files ------------------------------------


def bulk_upload(*, by: User, uploaded: Any, all_or_nothing: bool) -> CaseListJob:
    """Keep an uploaded list (sealed, size-checked) and queue it for the worker. `by` must hold
    cases.intake; nothing of the file is parsed here."""
    from gridgov.cases import tasks
    from gridgov.transfer.services import case_list_create

    with transaction.atomic():
        job = case_list_create(by=by, uploaded=uploaded, all_or_nothing=all_or_nothing)
        job_id = job.pk
        transaction.on_commit(lambda: tasks.run_case_list.enqueue(job_id))
    return job


def bulk_run(*, job_id: int) -> None:
    """The worker's part: read the sealed list, file its rows as its uploader, record the result.
    A list another worker took, or one already over, is left alone."""
    from gridgov.transfer import services as transfer_services
    from gridgov.transfer.uploads import opener

    job = transfer_services.case_list_start(job_id=job_id)
    if job is None:
        return
    by = job.created_by
    if by is None or not by.is_active:
        transfer_services.case_list_fail(job_id=job_id, message="上传者的账号已停用，清单未导入")
        return
    try:
        rows = rows_from(opener(job.file_path))
        result = cases_bulk_submit(by=by, rows=rows, all_or_nothing=job.all_or_nothing, day=job.upload_date)
    except ValidationError as exc:
        transfer_services.case_list_fail(job_id=job_id, message="；".join(exc.messages))
        return
    except Exception:
        transfer_services.case_list_fail(
            job_id=job_id, message="导入时发生意外错误，没有导入任何行；请重新上传"
        )
        raise
    transfer_services.case_list_finish(
        job_id=job_id,
        total_rows=len(rows),
        created_ids=[case.pk for case in result.created],
        existing_ids=[case.pk for case in result.existing],
        errors=[{"row": e.row, "field": e.field, "message": e.message} for e in result.errors],
        written=result.written,
    )


def job_cases(ids: list[int]) -> list[Case]:
    """The cases a list job filed (ids from a job the caller fetched through its selector)."""
    found = {
        case.pk: case
        for case in Case.objects.filter(pk__in=ids).select_related("place", "category", "handler_org")
    }
    return [found[pk] for pk in ids if pk in found]


# --- the downloadable template (the staff bulk page offers it) -------------------------------

TEMPLATE_COLUMNS: list[tuple[str, str, str, int]] = [
    # header (one of HEADERS), 必填/选填, what to write, column width
    ("地点", "必填", "楼栋、街巷或小区名称；有同名时写成“小区/楼栋”，如“聚江苑/1栋”", 18),
    ("问题描述", "必填", "发现的问题，越具体越好，最多2000字", 48),
    ("具体位置", "选填", "如“2单元门口”“地下车库B区”", 18),
    ("分类", "选填", "环境卫生、设施维修、治安消防、邻里纠纷、物业服务、市容秩序、民生求助、政策咨询、意见建议、其他，或子分类名称；不填则由系统建议", 12),
    ("反映人", "选填", "反映问题的居民姓名", 10),
    ("联系电话", "选填", "11位手机号，便于回访", 14),
    ("紧急", "选填", "填“紧急”或“一般”；不填则由系统按内容判断", 8),
]


def template_xlsx() -> bytes:
    """The daily problem list (问题反馈清单) template: data sheet first, then 填写说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题反馈清单"
    bold = Font(bold=True)
    must = PatternFill("solid", fgColor="FDE68A")
    for index, (header, required, _help, width) in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = set_text(sheet.cell(row=1, column=index), header)
        cell.font = bold
        if required == "必填":
            cell.fill = must
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if header == "联系电话":
            sheet.column_dimensions[letter].number_format = "@"
    urgent = DataValidation(type="list", formula1='"紧急,一般"', allow_blank=True)
    urgent.error, urgent.errorTitle = "紧急只能填“紧急”或“一般”", "取值无效"
    sheet.add_data_validation(urgent)
    urgent.add(f"{get_column_letter(len(TEMPLATE_COLUMNS))}2:{get_column_letter(len(TEMPLATE_COLUMNS))}5000")
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("填写说明")
    guide.append(xlsx_row(guide, ["列名", "是否必填", "填写说明"]))
    for cell in guide[1]:
        cell.font = bold
    for header, required, help_text, _width in TEMPLATE_COLUMNS:
        guide.append(xlsx_row(guide, [header, required, help_text]))
    guide.append([])
    for line in (
        "1. 每行一个问题；只导入第一个工作表，请不要修改表头，黄色底色的列为必填。",
        f"2. 一次最多{MAX_ROWS}行。地点须在您（或贵公司服务的小区）范围之内。",
        "3. 上传前会逐行检查，列出每个有问题的行、列和原因；可以选择全部不导入，或只导入正确的行。",
        "4. 同一天重复上传同一清单不会重复登记：同一地点、同样描述的问题当天只登记一次。",
        "5. 也可以上传CSV文件（UTF-8或GBK编码），列名与本表相同。",
    ):
        guide.append(xlsx_row(guide, [line]))
    guide.column_dimensions["A"].width = 12
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 80
    for row in guide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
