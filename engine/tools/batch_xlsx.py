"""The `--batch` result sheet as an XLSX workbook: one row per project, streamed.

The rows go to openpyxl's write-only sheet as they come, so memory stays flat however many
projects there are; only the first `SAMPLE` rows are held back, to fit the column widths to
their text before the sheet starts (a write-only sheet takes its widths before its first row).
Totals and scores are numeric cells with the pack's places (`0.00`), a project that could not be
scored has empty cells there (never `—`, which `SUM` would have to skip); the header is frozen
with the id and name beside it, a filter covers every column, and the sheet prints on A4
landscape fitted to the page width with the header on every page.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ..common.ir import Program
from ..render.outputs import save_workbook
from ..render.sheets import (
    FONT_NAME,
    clean,
    fit_height,
    fit_widths,
    places_format,
    print_setup,
    text_width,
)
from .portfolio import ScoredProject, explanation_text

#: Rows held back to fit the column widths (a block of the portfolio).
SAMPLE = 256
#: An indicator's column: its score fits; its long name wraps in the header.
SCORE_WIDTH = 10
#: The cells' named styles (宋体; a score with the pack's places; the 扣分说明, wrapped at its
#: line breaks, an indicator a line).
TEXT_STYLE, SCORE_STYLE, NOTE_STYLE = "jixiao 文本", "jixiao 得分", "jixiao 说明"


class ResultSheet:
    def __init__(
        self,
        path: Path,
        program: Program,
        header: list[str],
        *,
        lang: str = "zh",
        explain: bool = True,
    ) -> None:
        import openpyxl
        from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill

        self.path = path
        self.codes = [i.code for i in program.indicators]
        self.header = header
        self.lang = lang
        self.explain = explain  # the last column says why points were lost (扣分说明)
        self.book = openpyxl.Workbook(write_only=True)
        self.book.properties.creator = "jixiao"
        self.sheet = self.book.create_sheet("结果")
        # Named styles, set on each cell by name: a style set attribute by attribute is hashed
        # and looked up per cell, which took longer than scoring; and in Excel, changing the
        # style restyles every cell of it.
        font = Font(name=FONT_NAME, size=11)
        self.book.add_named_style(NamedStyle(TEXT_STYLE, font=font))
        fmt = places_format(program.settings.places)
        self.book.add_named_style(NamedStyle(SCORE_STYLE, font=font, number_format=fmt))
        if explain:
            wrap = Alignment(vertical="top", wrap_text=True)
            self.book.add_named_style(NamedStyle(NOTE_STYLE, font=font, alignment=wrap))
        self.bold = Font(name=FONT_NAME, size=11, bold=True)
        self.fill = PatternFill("solid", fgColor="E9EEF6")
        self.head = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.held: list[list[Any]] | None = []  # None once the sheet has started
        self.rows = 0

    def write(self, record: ScoredProject) -> None:
        values = [
            record.id,
            record.name,
            _number(record.total),
            record.grade,
            *[_number(record.scores.get(c)) for c in self.codes],
            "；".join(record.errors) or None,
        ]
        if self.explain:
            values.append(explanation_text(record.explained, self.lang) or None)
        self.rows += 1
        if self.held is None:
            self.sheet.append(self._cells(values))
            return
        self.held.append(values)
        if len(self.held) >= SAMPLE:
            self._start()

    def close(self) -> None:
        from openpyxl.utils import get_column_letter

        self._start()
        last = get_column_letter(len(self.header))
        self.sheet.auto_filter.ref = f"A1:{last}{self.rows + 1}"
        save_workbook(self.book, self.path)

    def _start(self) -> None:
        """Widths from the header and the rows held, the frozen panes, the print setup; then
        the header and the held rows."""
        if self.held is None:
            return
        held, self.held = self.held, None
        scores = range(2, 4 + len(self.codes))  # 总分, 等级 and the indicators
        widths = []
        for c, head in enumerate(self.header):
            widest = max((text_width(row[c]) for row in held), default=0)
            if c in scores:
                widths.append(min(SCORE_WIDTH, max(widest, text_width(head), 6)))
            else:
                widths.append(max(widest, text_width(head)))
        set_widths = fit_widths(self.sheet, widths, cap=40)
        fit_height(self.sheet, 1, list(zip(self.header, set_widths, strict=True)))
        self.sheet.freeze_panes = "C2"  # the header, and each project's id and name
        print_setup(self.sheet, sum(set_widths), "1:1")
        self.sheet.append(self._header_cells())
        for values in held:
            self.sheet.append(self._cells(values))

    def _header_cells(self) -> list[Any]:
        from openpyxl.cell import WriteOnlyCell

        out = []
        for text in self.header:
            cell = WriteOnlyCell(self.sheet, clean(text))
            cell.data_type = "s"  # a header is never a formula
            cell.font, cell.fill, cell.alignment = self.bold, self.fill, self.head
            out.append(cell)
        return out

    def _cells(self, values: list[Any]) -> list[Any]:
        from openpyxl.cell import WriteOnlyCell

        out = []
        note = len(self.header) - 1 if self.explain else -1
        for c, value in enumerate(values):
            cell = WriteOnlyCell(self.sheet, clean(value))
            if isinstance(value, Decimal):
                cell.style = SCORE_STYLE
            else:
                cell.style = NOTE_STYLE if c == note else TEXT_STYLE
                if isinstance(value, str):
                    cell.data_type = "s"  # `=HYPERLINK(...)` typed as a name stays text
            out.append(cell)
        return out


def _number(text: str | None) -> Decimal | None:
    """A score as the record carries it (`"87.74"`, exact at the pack's places), as a number."""
    return Decimal(text) if text else None
