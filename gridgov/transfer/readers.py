"""Reading import files as a stream of rows: .xlsx (openpyxl read-only) or CSV (UTF-8/GBK).

Nothing here loads a whole file into memory: a 20,000-row sheet is read row by row, from the
sealed (encrypted) copy on disk. Every read is bounded before it starts: at most
GRIDGOV_IMPORT_MAX_ROWS rows and GRIDGOV_IMPORT_MAX_COLUMNS columns, and a run of EMPTY_RUN
empty rows ends the sheet (an .xlsx can declare millions of empty formatted rows in a few
hundred kilobytes). Only `check_head` runs in the request; the rest runs in the worker.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

from gridgov.core.errors import field_error
from gridgov.core.sheets import unescape
from gridgov.transfer import columns as cols

HEADER_SEARCH_ROWS = 10
GUIDE_SHEET = "填写说明"
# This many empty rows in a row end the sheet: past the data, only formatting is left.
EMPTY_RUN = 50
# Parts of an .xlsx that openpyxl reads whole (shared strings, styles) may not unpack to more
# than this; the worksheets themselves are streamed. Guards against a "zip bomb".
MAX_XLSX_PART = 64 * 1024 * 1024
_CHUNK = 256 * 1024

Opener = Callable[[], BinaryIO]


class FileProblem(Exception):
    """The file as a whole cannot be read; the message is for the user, in Chinese."""


@dataclass
class Sniffed:
    file_format: str  # "xlsx" / "csv"
    encoding: str = ""


def check_head(head: bytes, original_name: str) -> None:
    """What the request may check without parsing: the first bytes. Raises ValidationError."""
    name = original_name.lower()
    if not head:
        raise field_error("file", "文件是空的，请选择填好数据的文件")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise field_error("file", "这是旧版Excel（.xls）文件，请在Excel中“另存为”.xlsx格式后再上传")
    if head.startswith(b"PK\x03\x04"):
        return
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raise field_error("file", "文件已损坏或不是有效的Excel（.xlsx）文件")
    if b"\x00" in head:
        raise field_error("file", "无法识别的文件：只支持 .xlsx 和 .csv 文件")


def _decodes(opener: Opener, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with opener() as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff(opener: Opener) -> Sniffed:
    """Tell .xlsx from CSV by content (not by the name) and find a CSV's encoding (worker)."""
    with opener() as handle:
        head = handle.read(4096)
        if head.startswith(b"PK\x03\x04"):
            handle.seek(0)
            if not zipfile.is_zipfile(handle):
                raise FileProblem("文件已损坏，不是有效的Excel（.xlsx）文件")
            return Sniffed("xlsx")
    if head.startswith(codecs.BOM_UTF8):
        return Sniffed("csv", "utf-8-sig")
    if _decodes(opener, "utf-8"):
        return Sniffed("csv", "utf-8")
    if _decodes(opener, "gb18030"):
        # GB 18030 is a superset of GBK, which is what Excel in China saves CSV as.
        return Sniffed("csv", "gb18030")
    raise FileProblem("无法识别CSV文件的编码，请另存为UTF-8或GBK编码的CSV")


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
    return unescape(str(value).replace("\u3000", " ").strip())


def _max_rows() -> int:
    return settings.GRIDGOV_IMPORT_MAX_ROWS


def _max_columns() -> int:
    return settings.GRIDGOV_IMPORT_MAX_COLUMNS


def _check_parts(handle: BinaryIO) -> None:
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            streamed = info.filename.startswith("xl/worksheets/")
            if not streamed and info.file_size > MAX_XLSX_PART:
                raise FileProblem("Excel文件内部数据过大，无法读取；请删除多余的格式和内容后另存再上传")
    handle.seek(0)


def _xlsx_rows(
    opener: Opener, max_rows: int, max_columns: int
) -> Generator[tuple[int, tuple[object, ...]], None, None]:
    from openpyxl import load_workbook

    handle = opener()
    try:
        try:
            _check_parts(handle)
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except FileProblem:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a broken package
            raise FileProblem("文件已损坏或不是有效的Excel（.xlsx）文件") from exc
        try:
            sheets = [sheet for sheet in workbook.worksheets if sheet.title != GUIDE_SHEET]
            if not sheets:
                raise FileProblem("Excel文件中没有可导入的工作表")
            # The declared dimension lies (the template's "@" format reaches thousands of empty
            # rows), so it is not trusted: the bounds go to the parser, which stops there.
            # EMPTY_RUN more rows than the limit decide whether anything lies past it.
            rows = sheets[0].iter_rows(max_row=max_rows + EMPTY_RUN, max_col=max_columns, values_only=True)
            try:
                yield from enumerate(rows, start=1)
            except FileProblem:
                raise
            except Exception as exc:
                raise FileProblem("Excel文件内容已损坏，无法读取") from exc
        finally:
            workbook.close()
    finally:
        handle.close()


def _csv_rows(
    opener: Opener, encoding: str, max_columns: int
) -> Generator[tuple[int, tuple[object, ...]], None, None]:
    with io.TextIOWrapper(opener(), encoding=encoding, newline="") as handle:
        sample = handle.read(8192)
        handle.seek(0)
        if sample.startswith("\ufeff"):
            sample = sample[1:]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        try:
            for row in reader:
                if row and row[0].startswith("\ufeff"):
                    row[0] = row[0][1:]
                # Row numbers as a spreadsheet shows them (a quoted multi-line cell counts once).
                yield reader.line_num, tuple(row[:max_columns])
        except csv.Error as exc:
            raise FileProblem(f"CSV文件第{reader.line_num}行格式有误，无法读取") from exc


def _bounded(
    rows: Generator[tuple[int, tuple[object, ...]], None, None], max_rows: int
) -> Generator[tuple[int, tuple[object, ...]], None, None]:
    empty = 0
    try:
        for count, (number, row) in enumerate(rows, start=1):
            filled = any(cell_text(value) for value in row)
            if count > max_rows and filled:
                raise FileProblem(f"表格超过{max_rows}行的上限，请拆分成几个文件后分别上传")
            if filled:
                empty = 0
            else:
                empty += 1
                if empty >= EMPTY_RUN:
                    return
            yield number, row
    finally:
        rows.close()


def raw_rows(
    opener: Opener,
    file_format: str,
    encoding: str = "",
    *,
    max_rows: int | None = None,
    max_columns: int | None = None,
) -> Generator[tuple[int, tuple[object, ...]], None, None]:
    """Rows of the first sheet (or the CSV) with their numbers, within the configured bounds."""
    max_rows = max_rows or _max_rows()
    max_columns = max_columns or _max_columns()
    if file_format == "xlsx":
        return _bounded(_xlsx_rows(opener, max_rows, max_columns), max_rows)
    return _bounded(_csv_rows(opener, encoding or "utf-8", max_columns), max_rows)


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
    opener: Opener, file_format: str, encoding: str, kind: str
) -> tuple[Table, Iterator[tuple[int, dict[str, object]]]]:
    """The header, then each non-empty data row as {key: raw value} with its row number."""
    rows = raw_rows(opener, file_format, encoding)
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
