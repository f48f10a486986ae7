"""Spreadsheet cells made from text that came from other people's spreadsheets.

Project names, ids and error messages quote what an office typed, and openpyxl would take a
string starting with `=` as a formula (so a row named `=HYPERLINK(...)` would become a live link
in our report) and refuses control characters outright (so one stray `\\x00` in a CSV aborted the
whole workbook). Every string bound for a cell passes through here: formulas stay text, control
characters are written as visible `\\xNN` escapes, and nothing is silently dropped.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(value: Any) -> Any:
    """A string with its control characters escaped; any other value unchanged."""
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", value)
    return value


def _as_text(cell: Any) -> Any:
    """The cell, its value (already `clean`) never taken as a formula."""
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"
    return cell


def cells(sheet: Any, values: list[Any]) -> list[Any]:
    """A row for `sheet.append`: strings as text cells, never formulas."""
    from openpyxl.cell import WriteOnlyCell

    return [_as_text(WriteOnlyCell(sheet, clean(value))) for value in values]


def put(sheet: Any, row: int, column: int, value: Any) -> None:
    """`sheet.cell(row, column, value)`, with the same care as `cells`."""
    cell = sheet.cell(row, column)
    cell.value = clean(value)
    _as_text(cell)


_CSV_TRIGGERS = ("=", "+", "@", "-", "\t", "\r")


def csv_text(value: Any) -> Any:
    """A text cell for a CSV that Excel will open: one starting like a formula gets a leading `'`
    (the usual defence against CSV injection); numbers written as numbers are left alone."""
    value = clean(value)
    if isinstance(value, str) and value.startswith(_CSV_TRIGGERS):
        if not re.fullmatch(r"-\d+(\.\d+)?", value):
            return "'" + value
    return value
