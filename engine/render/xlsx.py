"""The score table as an XLSX workbook: the table as reports print it, and the ledger."""

from __future__ import annotations

from pathlib import Path

from ..common.result import LineKind, Result
from ..common.version import VERSION
from .explain import (
    fixed,
    grade_text,
    level_heading,
    line_text,
    losses,
    plain,
    rate_text,
    words,
)
from .outputs import save_workbook
from .sheets import cells


def write(result: Result, path: Path, lang: str = "zh", note: str | None = None) -> None:
    """`note`: a line under the grade, e.g. why there is no total."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill

    w = words(lang)
    zh = lang == "zh"
    places = result.settings.places
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "得分表" if zh else "Scores"
    depth = max((i.depth for i in result.indicators), default=1)  # a library pack has none
    levels = [level_heading(i, lang) for i in range(depth)]
    sheet.append(cells(sheet, [result.settings.title]))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(cells(sheet, [*levels, w["weight"], w["points"], w["rate"]]))
    head = PatternFill("solid", fgColor="E9EEF6")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = head
    for ind in result.indicators:
        row: list[object] = [""] * depth
        row[ind.depth - 1] = f"{ind.code} {ind.name}"
        points = fixed(ind.points, places) if ind.points is not None else "—"
        row += [
            float(ind.weight) if ind.weight == int(ind.weight) else plain(ind.weight),
            points,
            rate_text(ind),
        ]
        sheet.append(cells(sheet, row))
        if ind.depth == 1:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    total = fixed(result.total, places) if result.total is not None else "—"
    sheet.append(
        cells(sheet, [w["total"], *[""] * (depth - 1), plain(result.settings.total), total])
    )
    sheet.append(cells(sheet, [w["grade"], grade_text(result, lang)]))
    for cell in sheet[sheet.max_row - 1]:
        cell.font = Font(bold=True)
    if note:
        sheet.append(cells(sheet, [note]))
    for column, width in zip("ABCDEFGHIJ", [22] * depth + [8, 10, 10], strict=False):
        sheet.column_dimensions[column].width = width
    for row_cells in sheet.iter_rows(min_row=3):
        for right in row_cells[depth:]:
            right.alignment = Alignment(horizontal="right")

    ledger = book.create_sheet("扣分说明" if zh else "Ledger")
    ledger.append(
        cells(
            ledger,
            [
                "指标" if zh else "Indicator",
                "分值" if zh else "Points",
                "说明" if zh else "Explanation",
                "依据" if zh else "Evidence",
            ],
        )
    )
    for cell in ledger[1]:
        cell.font = Font(bold=True)
        cell.fill = head
    for loss in losses(result, lang):
        ledger.append(
            cells(
                ledger,
                [
                    f"{loss.indicator.code} {loss.indicator.name}",
                    f"-{plain(loss.points)}",
                    loss.text,
                    "；".join(loss.sources),
                ],
            )
        )
    for ind in result.indicators:
        for line in ind.lines:
            if line.kind is LineKind.WARN:
                ledger.append(
                    cells(
                        ledger,
                        [
                            f"{ind.code} {ind.name}",
                            "0",
                            line_text(line, ind.weight, result, lang),
                            "",
                        ],
                    )
                )
    ledger.column_dimensions["A"].width = 30
    ledger.column_dimensions["C"].width = 60
    ledger.column_dimensions["D"].width = 60
    meta = book.create_sheet("来源" if zh else "Provenance")
    meta.append(cells(meta, ["规则包" if zh else "pack", result.pack_path, result.pack_sha256]))
    meta.append(
        cells(meta, ["证据" if zh else "evidence", result.evidence_path, result.evidence_sha256])
    )
    for input_path, digest in (*result.imports, *result.inputs):  # templates, surveys
        meta.append(cells(meta, ["输入" if zh else "input", input_path, digest]))
    meta.append(cells(meta, ["jixiao", VERSION]))
    save_workbook(book, path)
