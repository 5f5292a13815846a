"""Writing text into the spreadsheets the product hands out: always text, never a formula.

A grid worker may type `=HYPERLINK("http://…","点此")` as a resident's name; the grid head who
exports the list must not get a live formula (OWASP "CSV injection"). Every cell written from
user text goes through here: a leading = + - @ tab or CR gets a `'` in front (Excel and LibreOffice
then show it as text), characters no file may hold are dropped, and in .xlsx the cell is typed
as a string as well. The import readers take the `'` off again, so an export re-imports as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gridgov.core.text import strip_unwritable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def sheet_text(value: str) -> str:
    """`value` as a cell may hold it: no unwritable characters, no formula."""
    text = strip_unwritable(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def unescape(text: str) -> str:
    """Undo `sheet_text`'s quote when reading a file back (an exported list re-imported)."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def csv_row(values: Iterable[Any]) -> list[Any]:
    """One CSV row: strings made safe, numbers as they are."""
    return [sheet_text(value) if isinstance(value, str) else value for value in values]


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """One row for `sheet.append` (write-only or ordinary openpyxl sheet): each string a cell
    typed as text, other values as they are."""
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    make = WriteOnlyCell if isinstance(sheet, WriteOnlyWorksheet) else Cell
    row: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = make(sheet, value=sheet_text(value))
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    return row


def set_text(cell: Any, value: str) -> Any:
    """Put text into one cell of an ordinary openpyxl sheet, typed as a string."""
    cell.value = sheet_text(value)
    cell.data_type = "s"
    return cell
