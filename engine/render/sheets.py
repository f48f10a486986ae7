"""Spreadsheet cells, and the layout every workbook jixiao writes shares.

Cells made from text that came from other people's spreadsheets: project names, ids and error
messages quote what an office typed, and openpyxl would take a string starting with `=` as a
formula (so a row named `=HYPERLINK(...)` would become a live link in our report) and refuses
control characters outright (so one stray `\\x00` in a CSV aborted the whole workbook). Every
string bound for a cell passes through here: formulas stay text, control characters are written
as visible `\\xNN` escapes, and nothing is silently dropped.

Numbers are numbers: points, weights and rates go into numeric cells, quantized as the reports
print them (`number`, `rate`) so that what Excel or WPS shows is the report's figure exactly (a
float holding 3.645 would show 3.64), with a number format that keeps the pack's places (`0.00`,
`0.00%`). Widths are measured as a screen shows them, a Chinese character twice a digit
(`text_width`); every sheet prints on A4, fitted to the page width, its header rows repeated
(`print_setup`). Cells are 宋体: the face every Chinese Windows and WPS installation has and
official tables use; Excel elsewhere substitutes its own CJK face.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
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


# ----- numbers ----------------------------------------------------------------------------------

#: The number format of a rate (得分率), as every report prints it: two places of a percent.
RATE_FORMAT = "0.00%"


def number(value: Decimal, places: int) -> Decimal:
    """`value` as a report prints it with `places` decimals (half up, like `explain.fixed`): the
    value a cell stores, so that its display is exactly the report's."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rate(points: Decimal | None, weight: Decimal) -> Decimal | None:
    """得分率 as a fraction at the places `RATE_FORMAT` shows (`explain.rate_text`'s figure)."""
    if points is None or not weight:
        return None
    return number(points / weight, 4)


def places_format(places: int) -> str:
    """`0.00` for two places, `0` for none."""
    return "0." + "0" * places if places > 0 else "0"


def needed_places(values: list[Decimal]) -> int:
    """The fewest decimals that show every value exactly (weights: `10`, `2.5`)."""
    return max((max(0, -int(v.normalize().as_tuple().exponent)) for v in values), default=0)


# ----- layout -----------------------------------------------------------------------------------

FONT_NAME = "宋体"
#: Widths, in Excel's units (the width of a digit): a column never narrower or wider than this.
MIN_WIDTH, MAX_WIDTH = 6, 50


def text_width(value: Any) -> int:
    """How wide `value` shows, in digits: East Asian wide and full-width characters count as two,
    the widest line of a text with line breaks counts."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    return max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
            for line in text.split("\n")
        ),
        default=0,
    )


def fit_widths(
    sheet: Any, widths: list[int], cap: int = MAX_WIDTH, floor: int = MIN_WIDTH
) -> list[float]:
    """Set each column's width from its widest text (`text_width`), with a margin, between
    `floor` and `cap` (a longer text wraps); returns the widths set."""
    from openpyxl.utils import get_column_letter

    out = []
    for i, width in enumerate(widths, start=1):
        fitted = float(min(cap, max(floor, width + 2)))
        sheet.column_dimensions[get_column_letter(i)].width = fitted
        out.append(fitted)
    return out


#: Past this total width (in digits) a sheet prints in landscape: about what A4 portrait holds
#: at 100% with the default margins.
PORTRAIT_WIDTH = 95


def print_setup(sheet: Any, width: float, title_rows: str | None) -> None:
    """A4, landscape when the columns are wider than a portrait page, scaled to fit the page
    width (as many pages down as needed), `title_rows` (`"1:2"`) repeated on every page."""
    sheet.page_setup.paperSize = 9  # A4 (`Worksheet.PAPERSIZE_A4`; a write-only sheet lacks it)
    sheet.page_setup.orientation = "landscape" if width > PORTRAIT_WIDTH else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    if title_rows:
        sheet.print_title_rows = title_rows


#: The height of a line of 11-point text, in points: a wrapped cell's row is this many per line.
LINE_HEIGHT = 15.0


def lines_needed(value: Any, width: float) -> int:
    """How many lines `value` takes wrapped in a column `width` digits wide."""
    if value is None or value == "":
        return 1
    room = max(1.0, (width - 1) * 0.9)  # a cell's own padding; lines break at words
    text = value if isinstance(value, str) else str(value)
    return sum(max(1, math.ceil(text_width(line) / room)) for line in text.split("\n"))


def fit_height(sheet: Any, row: int, cells: list[tuple[Any, float]]) -> None:
    """Give `row` the height its wrapped cells need ((value, column width) pairs): Excel fits a
    row to wrapped text only when it is edited, and LibreOffice not for a file it opens, so
    a row left at its default height would cut the text off."""
    lines = max((lines_needed(value, width) for value, width in cells), default=1)
    if lines > 1:
        sheet.row_dimensions[row].height = LINE_HEIGHT * lines
