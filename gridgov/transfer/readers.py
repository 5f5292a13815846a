"""Reading import files as a stream of rows: .xlsx (openpyxl read-only) or CSV (UTF-8/GBK).

Nothing here loads a whole file into memory: a 20,000-row sheet is read row by row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError

from gridgov.core.errors import field_error
from gridgov.transfer import columns as cols

HEADER_SEARCH_ROWS = 10
GUIDE_SHEET = "填写说明"
_CHUNK = 256 * 1024


class FileProblem(Exception):
    """The file as a whole cannot be read; the message is for the user, in Chinese."""


@dataclass
class Sniffed:
    file_format: str  # "xlsx" / "csv"
    encoding: str = ""


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff(path: Path, original_name: str) -> Sniffed:
    """Tell .xlsx from CSV by content (not by the name) and find a CSV's encoding."""
    size = path.stat().st_size
    if size == 0:
        raise field_error("file", "文件是空的，请选择填好数据的文件")
    with path.open("rb") as handle:
        head = handle.read(4096)
    name = original_name.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise field_error("file", "这是旧版Excel（.xls）文件，请在Excel中“另存为”.xlsx格式后再上传")
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise field_error("file", "文件已损坏，不是有效的Excel（.xlsx）文件")
        return Sniffed("xlsx")
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raise field_error("file", "文件已损坏或不是有效的Excel（.xlsx）文件")
    if b"\x00" in head:
        raise field_error("file", "无法识别的文件：只支持 .xlsx 和 .csv 文件")
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif _decodes(path, "utf-8"):
        encoding = "utf-8"
    elif _decodes(path, "gb18030"):
        # GB 18030 is a superset of GBK, which is what Excel in China saves CSV as.
        encoding = "gb18030"
    else:
        raise field_error("file", "无法识别CSV文件的编码，请另存为UTF-8或GBK编码的CSV")
    return Sniffed("csv", encoding)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def _xlsx_rows(path: Path) -> Iterator[tuple[int, tuple[object, ...]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken package
        raise FileProblem("文件已损坏或不是有效的Excel（.xlsx）文件") from exc
    try:
        sheets = [sheet for sheet in workbook.worksheets if sheet.title != GUIDE_SHEET]
        if not sheets:
            raise FileProblem("Excel文件中没有可导入的工作表")
        sheet = sheets[0]
        # The template's "@" format reaches thousands of empty rows; the dimension lies anyway.
        try:
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        except FileProblem:
            raise
        except Exception as exc:
            raise FileProblem("Excel文件内容已损坏，无法读取") from exc
    finally:
        workbook.close()


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, tuple[object, ...]]]:
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(8192)
        handle.seek(0)
        if encoding == "utf-8-sig" and sample.startswith("\ufeff"):
            sample = sample[1:]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        try:
            for row in reader:
                # Row numbers as a spreadsheet shows them (a quoted multi-line cell counts once).
                yield reader.line_num, tuple(row)
        except csv.Error as exc:
            raise FileProblem(f"CSV文件第{reader.line_num}行格式有误，无法读取") from exc


def raw_rows(path: Path, file_format: str, encoding: str = "") -> Iterator[tuple[int, tuple[object, ...]]]:
    if file_format == "xlsx":
        return _xlsx_rows(path)
    return _csv_rows(path, encoding or "utf-8")


@dataclass
class Table:
    header_row: int
    keys: list[str | None]  # column index -> our key (None: ignored column)
    unknown: list[str]


def find_header(rows: Iterator[tuple[int, tuple[object, ...]]], kind: str) -> Table:
    """The header is the first row (of the first ten) naming at least two known columns."""
    for number, row in rows:
        keys = [cols.header_key(value) for value in row]
        if sum(1 for key in keys if key) >= 2:
            seen: set[str] = set()
            duplicates = []
            for key in keys:
                if key and key in seen:
                    duplicates.append(cols.BY_KEY[key].header)
                seen.add(key or "")
            if duplicates:
                raise FileProblem(f"表头中有重复的列：{'、'.join(duplicates)}")
            allowed = {column.key for column in cols.columns_for(kind)}
            missing = [cols.BY_KEY[key].header for key in cols.REQUIRED[kind] if key not in seen]
            if missing:
                raise FileProblem(
                    f"缺少必需的列：{'、'.join(missing)}。请使用下载的模板，表头须包含"
                    f"{'、'.join(cols.required_headers(kind))}"
                )
            unknown = [
                cell_text(value)
                for value, key in zip(row, keys, strict=True)
                if cell_text(value) and (key is None or key not in allowed)
            ]
            return Table(
                header_row=number,
                keys=[key if key in allowed else None for key in keys],
                unknown=unknown,
            )
        if number >= HEADER_SEARCH_ROWS:
            break
    raise FileProblem(
        f"找不到表头：前{HEADER_SEARCH_ROWS}行中没有“{'、'.join(cols.required_headers(kind))}”等列名，"
        "请使用下载的模板"
    )


def data_rows(
    path: Path, file_format: str, encoding: str, kind: str
) -> tuple[Table, Iterator[tuple[int, dict[str, object]]]]:
    """The header, then each non-empty data row as {key: raw value} with its row number."""
    rows = raw_rows(path, file_format, encoding)
    try:
        table = find_header(rows, kind)
    except BaseException:
        rows.close()
        raise

    def generate() -> Iterator[tuple[int, dict[str, object]]]:
        try:
            for number, row in rows:
                record: dict[str, object] = {}
                for key, value in zip(table.keys, row, strict=False):
                    if key is not None and value is not None and value != "":
                        record[key] = value
                if any(cell_text(value) for value in record.values()):
                    yield number, record
        finally:
            rows.close()

    return table, generate()


def check_structure(path: Path, file_format: str, encoding: str, kind: str) -> tuple[Table, bool]:
    """Read the header and the first data row: enough to reject a wrong file at upload."""
    try:
        table, rows = data_rows(path, file_format, encoding, kind)
        has_data = next(rows, None) is not None
        rows.close()
    except FileProblem as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    return table, has_data
