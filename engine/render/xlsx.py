"""The score table as an XLSX workbook, a sheet per view of the result:

- 得分表: the published Table 5, as the HTML report lays it out: one row per leaf indicator, its
  ancestors in merged cells (one column per level), 权重, 得分 and 得分率 as numbers, the total
  and the grade. `SUM` over the 得分 column of the leaf rows is the total (the pack's rounding
  scope permitting: a pack that rounds only the total shows its leaves at the total's places).
- 指标明细: every indicator of every level, one row each, with its level and parent: a record
  sheet to filter, sort and pivot.
- 扣分说明: every lost point, largest first: indicator, points lost, reason, the facts read.
- 计分过程: every ledger line of every indicator (awards, deductions, caps, rounding, remarks).
- 来源: the pack's and the evidence's paths and SHA-256 digests, and jixiao's version.

Numbers are numeric cells with number formats, headers frozen, record sheets filtered, every
sheet set up to print on A4 (`sheets`); the same result gives the same bytes (`save_workbook`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ..common.messages import failure_detail
from ..common.result import IndicatorResult, Line, LineKind, Result
from ..common.version import VERSION
from .explain import (
    grade_text,
    level_heading,
    line_text,
    losses,
    sources_of,
    words,
)
from .outputs import save_workbook
from .sheets import (
    FONT_NAME,
    RATE_FORMAT,
    clean,
    fit_height,
    fit_widths,
    needed_places,
    number,
    places_format,
    print_setup,
    put,
    rate,
    text_width,
)

_HEAD_FILL = "E9EEF6"
_TOTAL_FILL = "F3F6FB"


class _Styles:
    """The few styles the workbook uses, made once (openpyxl's style objects are immutable)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.font = Font(name=FONT_NAME, size=11)
        self.bold = Font(name=FONT_NAME, size=11, bold=True)
        self.title = Font(name=FONT_NAME, size=14, bold=True)
        self.head_fill = PatternFill("solid", fgColor=_HEAD_FILL)
        self.total_fill = PatternFill("solid", fgColor=_TOTAL_FILL)
        thin = Side(style="thin", color="B9C0CC")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.wrap = Alignment(vertical="center", wrap_text=True)
        self.top_wrap = Alignment(vertical="top", wrap_text=True)
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.right = Alignment(horizontal="right", vertical="center")
        self.top_right = Alignment(horizontal="right", vertical="top")


def write(
    result: Result, path: Path, lang: str = "zh", note: str | None = None, ranges: Any = None
) -> None:
    """`note`: a line under the grade, e.g. why there is no total; `ranges`: the score ranges of
    `eval --partial` (a sheet of their own)."""
    import openpyxl

    zh = lang == "zh"
    book = openpyxl.Workbook()
    book.properties.creator = "jixiao"
    book.properties.title = clean(result.settings.title)
    style = _Styles()
    sheet = book.active
    assert sheet is not None
    sheet.title = "得分表" if zh else "Scores"
    _score_table(sheet, result, lang, note, style)
    _indicators(book.create_sheet("指标明细" if zh else "Indicators"), result, lang, style)
    _losses(book.create_sheet("扣分说明" if zh else "Deductions"), result, lang, style)
    _ledger(book.create_sheet("计分过程" if zh else "Ledger"), result, lang, style)
    _provenance(book.create_sheet("来源" if zh else "Provenance"), result, lang, style)
    if ranges is not None:
        from .partial_report import xlsx_sheet

        xlsx_sheet(book.create_sheet("得分区间" if zh else "Ranges"), ranges, result, lang)
    save_workbook(book, path)


# ----- the cells ----------------------------------------------------------------------------------


def _cell(sheet: Any, row: int, column: int, value: Any, style: _Styles, fmt: str = "") -> Any:
    """A cell in the body font; a number with `fmt`, never text."""
    put(sheet, row, column, value)
    cell = sheet.cell(row, column)
    cell.font = style.font
    if fmt and isinstance(value, Decimal | int):
        cell.number_format = fmt
        cell.alignment = style.right
    return cell


def _points(ind: IndicatorResult, places: int, lang: str) -> Decimal | str:
    """得分 as a number, or the words the reports print when there is none."""
    if ind.excluded:
        return words(lang)["na"]
    return number(ind.points, places) if ind.points is not None else "—"


def _rate(ind: IndicatorResult) -> Decimal | str:
    value = None if ind.excluded else rate(ind.points, ind.weight)
    return value if value is not None else "—"


def _header(sheet: Any, row: int, heads: list[str], style: _Styles) -> None:
    for column, head in enumerate(heads, start=1):
        cell = _cell(sheet, row, column, head, style)
        cell.font = style.bold
        cell.fill = style.head_fill
        cell.border = style.border
        cell.alignment = style.center


def _record_sheet(
    sheet: Any, heads: list[str], rows: list[list[Any]], formats: dict[int, str], style: _Styles
) -> None:
    """A record sheet: a header row, then one row per record; frozen header, a filter over every
    column, widths fitted to the text, long text wrapped, printed with the header on each page.
    `formats`: the number format of a column (from 0) whose numbers it holds."""
    _header(sheet, 1, heads, style)
    widths = [text_width(h) for h in heads]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values):
            cell = _cell(sheet, r, c + 1, value, style, formats.get(c, ""))
            cell.alignment = style.top_right if c in formats else style.top_wrap
            widths[c] = max(widths[c], text_width(value))
    for c in formats:
        widths[c] = max(widths[c], 8)  # numbers: room for `100.00%` and a sign
    from openpyxl.utils import get_column_letter

    last = get_column_letter(len(heads))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last}{max(1, len(rows)) + 1}"
    set_widths = fit_widths(sheet, widths)
    fit_height(sheet, 1, list(zip(heads, set_widths, strict=True)))
    for r, values in enumerate(rows, start=2):
        texts = [(v, set_widths[c]) for c, v in enumerate(values) if c not in formats]
        fit_height(sheet, r, texts)
    print_setup(sheet, sum(set_widths), "1:1")


# ----- 得分表 (Table 5) ----------------------------------------------------------------------


def _score_table(sheet: Any, result: Result, lang: str, note: str | None, style: _Styles) -> None:
    """Table 5: one row per leaf, its ancestors in cells merged down over their leaves, a leaf
    above the deepest level merged across the levels below it (the HTML's rowspan/colspan)."""
    from openpyxl.utils import get_column_letter

    w = words(lang)
    s = result.settings
    places = s.places
    indicators = result.indicators
    depth = max((i.depth for i in indicators), default=1)  # a library pack has none
    heads = [level_heading(i, lang) for i in range(depth)]
    heads += ["权重", "得分", "得分率"] if lang == "zh" else ["Weight", "Points", "Rate"]
    width = len(heads)
    points_fmt = places_format(places)
    roots = [i for i in indicators if i.parent is None]
    weight_fmt = places_format(needed_places([i.weight for i in indicators] + [s.total]))

    title = _cell(sheet, 1, 1, s.title, style)
    title.font = style.title
    title.alignment = style.center
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    _header(sheet, 2, heads, style)

    children: dict[str | None, list[IndicatorResult]] = {}
    for ind in indicators:
        children.setdefault(ind.parent, []).append(ind)
    widths = [text_width(h) for h in heads]
    merges: list[tuple[int, int, int, int]] = []  # first row, first column, last row, last column
    labels: list[tuple[int, int, int, str]] = []  # row, first column, last column, text of a leaf
    row = 3

    def leaves(ind: IndicatorResult) -> int:
        kids = children.get(ind.code, [])
        return sum(leaves(k) for k in kids) if kids else 1

    def place(ind: IndicatorResult) -> None:
        nonlocal row
        label = f"{ind.code} {ind.name}"
        cell = _cell(sheet, row, ind.depth, label, style)
        cell.alignment = style.wrap
        if ind.depth == 1:
            cell.font = style.bold
        if ind.depth == depth or children.get(ind.code):
            widths[ind.depth - 1] = max(widths[ind.depth - 1], text_width(label))
        kids = children.get(ind.code, [])
        if kids:
            span = leaves(ind)
            if span > 1:
                merges.append((row, ind.depth, row + span - 1, ind.depth))
            for kid in kids:
                place(kid)
            return
        if ind.depth < depth:
            merges.append((row, ind.depth, row, depth))
        labels.append((row, ind.depth, depth, label))
        _cell(sheet, row, depth + 1, ind.weight, style, weight_fmt)
        _cell(sheet, row, depth + 2, _points(ind, places, lang), style, points_fmt)
        _cell(sheet, row, depth + 3, _rate(ind), style, RATE_FORMAT)
        row += 1

    for root in roots:
        place(root)
    # the total, as the HTML's: the roots' weights, the total, their rate
    top = sum((i.weight for i in roots), s.total * 0)
    total_row = row
    _cell(sheet, row, 1, w["total"], style).font = style.bold
    merges.append((row, 1, row, depth))
    _cell(sheet, row, depth + 1, top, style, weight_fmt)
    total: Decimal | str = number(result.total, places) if result.total is not None else "—"
    _cell(sheet, row, depth + 2, total, style, points_fmt)
    _cell(sheet, row, depth + 3, rate(result.total, top) or "—", style, RATE_FORMAT)
    for column in range(1, width + 1):
        sheet.cell(row, column).font = style.bold
        sheet.cell(row, column).fill = style.total_fill
    row += 1
    _cell(sheet, row, 1, w["grade"], style).font = style.bold
    merges.append((row, 1, row, depth))
    grade = _cell(sheet, row, depth + 1, grade_text(result, lang), style)
    grade.font = style.bold
    grade.alignment = style.center
    merges.append((row, depth + 1, row, width))
    for r in range(3, row + 1):
        for column in range(1, width + 1):
            sheet.cell(r, column).border = style.border
            if r == total_row and column <= depth:
                sheet.cell(r, column).alignment = style.center
    if note:
        row += 1
        _cell(sheet, row, 1, note, style).alignment = style.top_wrap
        merges.append((row, 1, row, width))
    for first_row, first_column, last_row, last_column in merges:
        sheet.merge_cells(
            start_row=first_row,
            start_column=first_column,
            end_row=last_row,
            end_column=last_column,
        )
    for column in range(depth, depth + 4):
        widths[column - 1] = max(widths[column - 1], 8)
    # a level column fits its labels up to a width, then wraps: Table 5 must print on A4
    set_widths = fit_widths(sheet, widths, cap=30)
    for r, first, last, label in labels:  # a leaf's label has the width of its merged cells
        fit_height(sheet, r, [(label, sum(set_widths[first - 1 : last]))])
    if note:
        fit_height(sheet, row, [(note, sum(set_widths))])
    sheet.freeze_panes = "A3"
    print_setup(sheet, sum(set_widths), "2:2")
    sheet.print_area = f"A1:{get_column_letter(width)}{row}"


# ----- record sheets ----------------------------------------------------------------------------


def _indicators(sheet: Any, result: Result, lang: str, style: _Styles) -> None:
    zh = lang == "zh"
    places = result.settings.places
    indicators = result.indicators
    heads = (
        ["编码", "指标", "级次", "上级指标", "权重", "得分", "得分率", "失分", "说明"]
        if zh
        else ["Code", "Indicator", "Level", "Parent", "Weight", "Points", "Rate", "Lost", "Note"]
    )
    weight_fmt = places_format(needed_places([i.weight for i in indicators]))
    points_fmt = places_format(places)
    rows: list[list[Any]] = []
    for ind in indicators:
        points = _points(ind, places, lang)
        lost: Decimal | str = ind.weight - points if isinstance(points, Decimal) else ""
        why = ""
        if ind.excluded:
            why = words(lang)["na"]
        elif ind.points is None:
            why = (
                words(lang)["failed"]
                + "："
                + "；".join(
                    f"{f.code} {f.fact or ''} {failure_detail(f)}".strip() for f in ind.failures
                )
            )
        rows.append(
            [
                ind.code,
                ind.name,
                ind.depth,
                ind.parent or "",
                ind.weight,
                points,
                _rate(ind),
                lost,
                why,
            ]
        )
    formats = {2: "0", 4: weight_fmt, 5: points_fmt, 6: RATE_FORMAT, 7: points_fmt}
    _record_sheet(sheet, heads, rows, formats, style)


def _losses(sheet: Any, result: Result, lang: str, style: _Styles) -> None:
    """Every lost point: the rows sum to what the leaves lost, and the penalty sections took."""
    zh = lang == "zh"
    heads = (
        ["编码", "指标", "权重", "扣分", "扣分原因", "依据"]
        if zh
        else ["Code", "Indicator", "Weight", "Lost", "Reason", "Evidence"]
    )
    items = losses(result, lang)
    rows: list[list[Any]] = [
        [
            loss.indicator.code,
            loss.indicator.name,
            loss.indicator.weight,
            loss.points,
            loss.text,
            "\n".join(loss.sources),
        ]
        for loss in items
    ]
    for extra in result.extras:  # a penalty section's deductions, and its cap giving some back
        if extra.kind != "penalty":
            continue
        for line in extra.lines:
            if line.points:
                text = line_text(line, extra.max, result, lang)
                sources = "\n".join(sources_of(line, result, lang))
                rows.append([extra.code, extra.name, extra.max, -line.points, text, sources])
    numbers = [r[3] for r in rows]
    lost_fmt = places_format(max(result.settings.places, needed_places(numbers)))
    weight_fmt = places_format(needed_places([r[2] for r in rows]))
    _record_sheet(sheet, heads, rows, {2: weight_fmt, 3: lost_fmt}, style)


def _ledger(sheet: Any, result: Result, lang: str, style: _Styles) -> None:
    zh = lang == "zh"
    heads = (
        ["编码", "指标", "分值", "说明", "依据", "规则位置"]
        if zh
        else ["Code", "Indicator", "Points", "Explanation", "Evidence", "Rule"]
    )
    rows: list[list[Any]] = []
    # the indicators', then the bonus and penalty sections', then the total's own lines
    owners: list[tuple[str, str, Decimal, tuple[Line, ...]]] = [
        (i.code, i.name, i.weight, i.lines) for i in result.indicators
    ]
    owners += [(e.code, e.name, e.max, e.lines) for e in result.extras]
    owners.append(("", words(lang)["total"], result.settings.total, result.total_lines))
    for code, name, weight, lines in owners:
        for line in lines:
            if line.kind is LineKind.BASE:
                continue  # `满分起评`: the weight, not a step
            rows.append(
                [
                    code,
                    name,
                    line.points,
                    line_text(line, weight, result, lang),
                    "\n".join(sources_of(line, result, lang)),
                    line.span.location(),
                ]
            )
    # a ledger line keeps its exact arithmetic (`3.6458`): up to four places, at least the pack's
    fmt = "0." + "0" * result.settings.places + "##" if result.settings.places else "0.####"
    fmt = f"+{fmt};-{fmt};0"
    for r in rows:
        r[2] = number(r[2], 4) if -r[2].as_tuple().exponent > 4 else r[2]  # as `shown`
    _record_sheet(sheet, heads, rows, {2: fmt}, style)


def _provenance(sheet: Any, result: Result, lang: str, style: _Styles) -> None:
    zh = lang == "zh"
    rows: list[list[Any]] = [
        ["规则包" if zh else "pack", result.pack_path, result.pack_sha256],
        ["证据" if zh else "evidence", result.evidence_path, result.evidence_sha256],
    ]
    rows += [["模板" if zh else "template", p, digest] for p, digest in result.imports]
    rows += [["输入" if zh else "input", p, digest] for p, digest in result.inputs]
    rows.append(["jixiao", VERSION, ""])
    widths = [0, 0, 0]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            _cell(sheet, r, c + 1, value, style)
            widths[c] = max(widths[c], text_width(value))
    print_setup(sheet, sum(fit_widths(sheet, widths, cap=70)), None)
