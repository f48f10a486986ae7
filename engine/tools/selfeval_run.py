"""Running `jixiao selfeval`: table → generated pack → the usual pipeline → findings and output.

Kept apart from `selfeval` (which only reads tables and writes packs) and from `cli` (which only
parses arguments).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, error, has_errors, warning
from jixiao.dsl.formatter import format_pack
from jixiao.dsl.parser import parse
from jixiao.dsl.source import Source

from .. import score as score_evidence
from ..common.lang import report_lang, say
from ..common.messages import failure_detail
from ..common.result import LineKind, Result
from ..plan.compiler import Plan
from ..render import render
from ..render.explain import fixed, line_text, plain
from ..render.outputs import refuse, save_workbook, write_text, writing
from ..render.sheets import (
    csv_text,
    fit_widths,
    needed_places,
    number,
    places_format,
    print_setup,
    put,
    text_width,
)
from ..runtime.evidence import load_bytes
from .selfeval import Finding, Table, TableError, Unreadable, cell_name, read_grid, read_table
from .selfeval_pack import TEMPLATE, Generated, build, display, exact_names

Report = Callable[[Sequence[Diagnostic], argparse.Namespace], None]
CELL_HELP = "correct the cell in the table; the other rows are scored, the total waits for this one"
TABLE_HELP = (
    "the table needs the national headers: 三级指标, 年度指标值, 实际完成值, 分值, 得分 "
    "(and 全年预算数/全年执行数 for the funds)"
)


def template_text(path: str | None) -> str:
    if path:
        return Path(path).read_text(encoding="utf-8")
    return resources.files(__package__).joinpath("self-evaluation.jx").read_text(encoding="utf-8")


def template_file(path: str | None) -> str:
    """The template a generated pack imports: `--template`'s file, or the shipped library's
    `self-evaluation.jx` (the file `import "self-evaluation.jx"` finds from any folder)."""
    import os

    from ..check.imports import library_folder

    if path:
        return os.path.realpath(path)
    library = library_folder()
    if library is not None and os.path.isfile(os.path.join(library, TEMPLATE)):
        return os.path.join(library, TEMPLATE)
    return os.path.realpath(str(resources.files(__package__).joinpath(TEMPLATE)))


def template_params(path: str | None) -> dict[str, str]:
    """Each parameter of the template with its kind, those it imports included (the 档次
    thresholds come from the library's shared rules). Raises what reading it raises."""
    import os

    from ..check.imports import resolve, search_path
    from ..runtime.packfile import read_pack

    file = template_file(path)
    pack = parse(Source(path or TEMPLATE, template_text(path)))
    if pack.imports:
        pack = resolve(pack, read_pack, search_path(), root=os.path.dirname(file)).pack
    return {p.name.text: p.type.text for p in pack.params}


def _sane_weight(text: str) -> Decimal | None:
    """Points for 预算执行率, read as any number of the evidence is (`20`, `二十`)."""
    from ..common.types import Kind
    from ..runtime.evidence import parse_typed

    value = parse_typed(Kind.NUMBER, text)[0]
    if not isinstance(value, Decimal):
        return None
    return value if value.is_finite() and 0 < value <= 100 else None


def _param_default(template: str, name: str) -> Decimal | None:
    for line in template.splitlines():
        if line.startswith(f"param {name}:") and "=" in line:
            try:
                return Decimal(line.split("=", 1)[1].strip().rstrip("%"))
            except ArithmeticError:
                return None
    return None


@dataclass
class Scored:
    """A table scored: the result, every finding by its cell, the generated pack, and the rows
    the rules could not score (cell, reason). With any row unscored there is no total."""

    result: Result
    findings: list[Finding]
    pack_text: str
    unscored: list[tuple[str, str, str]] = field(default_factory=list)  # (label, cell, why)

    @property
    def complete(self) -> bool:
        return not self.unscored and self.result.total is not None


def compile_generated(name: str, generated: Generated, folder: str | None = None) -> Plan:
    """The generated pack's text parsed, its names set back to the exact cell texts, its
    template imported (from `folder`, the template's own, before the import path: never from
    the working folder), then the usual stages. The text comes from one escaping writer, so a
    failure here is jixiao's bug: it is reported against the table, never at a line of a pack
    the user did not write. A mistake in the template itself is shown in the template."""
    from jixiao.dsl import record

    from ..check.checker import check
    from ..check.imports import resolve, search_path
    from ..plan.analysis import analyse
    from ..plan.compiler import compile_program
    from ..plan.graph import order
    from ..runtime.packfile import read_pack

    source = Source(name, generated.text)
    try:
        pack = exact_names(parse(source), generated.names)
    except JixiaoError as exc:
        raise _not_rules(name, exc) from None
    # the template's own mistakes (a missing file, an error in its text) are shown in it
    imported = resolve(pack, read_pack, search_path(), root=folder)
    try:
        checked, diags = check(imported.pack, source)
        if checked is not None and imported.files:
            checked = record.replace(checked, imports=imported.files)
        if checked is not None and not has_errors(diags):
            diags += analyse(checked)
        if checked is None or has_errors(diags):
            raise JixiaoError(diags)
    except JixiaoError as exc:
        errors = [d for d in exc.diagnostics if d.is_error]
        if any(d.labels and d.labels[0].span.source is not source for d in errors):
            raise  # an error in the template: the user's file, shown at its line
        raise _not_rules(name, exc) from None
    return compile_program(checked, order(checked))


def _not_rules(name: str, exc: JixiaoError) -> TableError:
    first = next((d.message for d in exc.diagnostics if d.is_error), "")
    return TableError(
        f"{name.removesuffix('.generated.jx')}: the table's rows cannot be turned into "
        f"rules ({first}); please report this with the table"
    )


def score(
    table: Table,
    template: str,
    params: dict[str, str],
    fallback: bool,
    template_path: str | None = None,
) -> Scored:
    """The table scored with a generated pack that imports the template (`template_path`, the
    shipped `self-evaluation.jx` when None; `template` is its text)."""
    import os

    weight = params.get("预算执行率分值") or str(_param_default(template, "预算执行率分值") or 10)
    file = template_file(template_path)
    generated = build(table, template, Decimal(weight), fallback, os.path.basename(file))
    plan = compile_generated(f"{table.path.name}.generated.jx", generated, os.path.dirname(file))
    evidence_text = generated.evidence
    if params:
        # quoted (JSON strings are YAML): a value is read by the parameter's kind, never as YAML
        evidence_text += "params:\n" + "".join(
            f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}\n"
            for k, v in params.items()
        )
    evidence, diags = load_bytes(
        evidence_text.encode("utf-8"), f"{table.path.name} (cells)", plan.program
    )
    if evidence is None:
        raise JixiaoError(diags)
    findings = list(generated.findings)
    where = f"{table.path.name} {table.sheet}!"
    at_cells: list[Diagnostic] = []  # the errors, pointing at cells instead of generated text
    for fact, why in evidence.refused.items():
        cell = generated.cells.get(fact, where)
        column = {"实际": "实际完成值", "档次": "实际完成值", "得分": "得分"}.get(
            fact.split("_")[0]
        )
        if column is not None:  # the table's column, not the generated fact's name
            why = why.replace(f"fact `{fact}`", f"the {column}")
        findings.append(Finding("S9", cell, f"{why}; not scored"))
        code = next((d.code for d in diags if d.is_error and f"`{fact}`" in d.message), "E603")
        at_cells.append(error(code, f"{cell}: {why}", help=CELL_HELP))
    # the other evidence diagnostics are about --param: the user's own words, not a cell
    from_params = [
        (error if d.is_error else warning)(d.code, f"--param: {d.message}", help=d.help)
        for d in diags
        if not _about(d, generated.cells)
    ]
    if has_errors(from_params):
        raise JixiaoError(from_params)
    at_cells += from_params
    result = score_evidence(plan, evidence, diags)
    places = result.settings.places
    by_code = {i.code.rsplit(".", 1)[-1]: i for i in result.indicators}
    failed: dict[str, str] = {}
    rows = {r.code: r for r in table.rows}
    for leaf in result.indicators:
        own = leaf.code.rsplit(".", 1)[-1]
        if leaf.points is None and leaf.failures and (own in rows or own == "S"):
            code, failed[own] = _failure_text(result, leaf.code)
            if own == "S" and table.funds is not None:
                cell = f"{where}{cell_name(table.funds.row, 1)}"
                if code != "E605":
                    why = f"预算执行率 cannot be scored: {failed[own]}"
                    findings.append(Finding("S9", cell, why))
            else:
                cell = f"{where}{cell_name(rows[own].row, table.columns['得分'])}"
            if code != "E605":  # a refused value: already reported at its cell
                at_cells.append(error(code, f"{cell}: {failed[own]}", help=CELL_HELP))
    printed_sum = Decimal(0)
    for row in table.rows:
        if row.published is not None:
            printed_sum += row.published
        ind = by_code.get(row.code)
        if row.code in failed and not any(
            f.code == "S9" and _row_of(f.cell) == row.row for f in findings
        ):
            findings.append(
                Finding(
                    "S9",
                    f"{where}{cell_name(row.row, table.columns['得分'])}",
                    f"`{row.name}` cannot be scored: {failed[row.code]}",
                )
            )
        if ind is None or ind.points is None or row.published is None:
            continue
        if ind.points.quantize(Decimal(1).scaleb(-places)) != row.published.quantize(
            Decimal(1).scaleb(-places)
        ):
            findings.append(
                Finding(
                    "S3",
                    f"{where}{cell_name(row.row, table.columns['得分'])}",
                    f"`{row.name}` is printed as {plain(row.published)}; the rule gives "
                    f"{fixed(ind.points, places)}",
                )
            )
    funds = table.funds
    budget = by_code.get("S")
    if funds is not None and funds.published is not None:
        printed_sum += funds.published
        if budget is not None and budget.points is not None and budget.points != funds.published:
            findings.append(
                Finding(
                    "S3",
                    f"{where}{cell_name(funds.row, 8)}",
                    f"预算执行 is printed as {plain(funds.published)}; the rule "
                    f"gives {fixed(budget.points, places)}",
                )
            )
    unscored = _unscored(table, result, findings)
    if unscored:
        result = result._replace(total=None, grade=None)
    if table.total_row is not None:
        row_number, printed = table.total_row
        cell = f"{where}{cell_name(row_number, table.columns['得分'])}"
        if row_number in table.bad_rows:
            pass  # its S7/S8 finding says what the cell holds
        elif printed is None or printed != printed_sum:
            findings.append(
                Finding(
                    "S4",
                    cell,
                    f"总分 is printed as "
                    f"{plain(printed) if printed is not None else '空'}; the "
                    f"printed scores add up to {plain(printed_sum)}",
                )
            )
        if result.total is not None and printed is not None and printed != result.total:
            findings.append(
                Finding(
                    "S3",
                    cell,
                    f"总分 is printed as {plain(printed)}; the rules "
                    f"give {fixed(result.total, places)}",
                )
            )
    # the evaluation's own diagnostics point into the generated pack: each is a finding above
    result = result._replace(
        diagnostics=(
            *(d for d in result.diagnostics if not d.is_error and not d.labels),
            *at_cells,
        )
    )
    return Scored(result, findings, generated.text, unscored)


#: The findings that leave a row unscored, the likeliest cause first.
_WHY_UNSCORED = ("S7", "S8", "S9", "S1", "S2", "S6")


def _row_of(cell: str) -> int | None:
    m = re.search(r"![A-Z]+(\d+)$", cell)
    return int(m.group(1)) if m else None


def _about(d: Diagnostic, facts: Mapping[str, str]) -> bool:
    return any(f"`{fact}`" in d.message for fact in facts)


def _failure_text(result: Result, code: str) -> tuple[str, str]:
    """Why an indicator has no points: the evaluation's diagnostic code and message (without
    the generated indicator codes it names)."""
    for d in result.diagnostics:
        if d.is_error and f"`{code}`" in d.message:
            text = re.sub(r"\s*\((indicators? )?`[^`]*`(, `[^`]*`)*\)$", "", d.message)
            return d.code, text
    ind = next(i for i in result.indicators if i.code == code)
    first = ind.failures[0]
    return first.code, "；".join(
        f"{f.code} {failure_detail(f) or f.fact or ''}".strip() for f in ind.failures
    )


def _unscored(table: Table, result: Result, findings: list[Finding]) -> list[tuple[str, str, str]]:
    """Every row of the table the rules did not score, with the cell and the reason."""
    by_code = {i.code.rsplit(".", 1)[-1]: i for i in result.indicators}
    where = f"{table.path.name} {table.sheet}!"
    out: list[tuple[str, str, str]] = []

    def reason(row: int, default: str) -> tuple[str, str]:
        mine = [f for f in findings if _row_of(f.cell) == row and f.code in _WHY_UNSCORED]
        if mine:
            first = min(mine, key=lambda f: _WHY_UNSCORED.index(f.code))
            return first.cell, f"[{first.code}] {first.message}"
        return f"{where}{cell_name(row, 1)}", default

    if table.funds is not None:
        budget = by_code.get("S")
        if budget is None or budget.points is None:
            cell, why = reason(table.funds.row, "预算执行率 is not scored")
            out.append(("预算执行率", cell, why))
    for row in table.rows:
        ind = by_code.get(row.code)
        if ind is None or ind.points is None:
            cell, why = reason(row.row, f"`{row.name}` is not scored")
            out.append((f"{row.code} {row.name}", cell, why))
    return out


def _explain(result: Result, code: str, lang: str = "zh") -> str:
    ind = next((i for i in result.indicators if i.code.rsplit(".", 1)[-1] == code), None)
    if ind is None:
        return ""
    if ind.points is None:
        return "；".join(
            f"{f.code} {failure_detail(f) or f.fact or ''}".strip() for f in ind.failures
        )
    return ("；" if lang == "zh" else "; ").join(
        line_text(ln, ind.weight, result, lang) for ln in ind.lines if ln.kind is not LineKind.BASE
    )


def write_back(table: Table, scored: Scored, out: Path) -> list[str]:
    """The table as it was, with two columns added: jixiao's score and its explanation.

    An XLSX table is the user's own: every cell, style, width, merge, comment and print setting
    of it stays as it was (openpyxl keeps them; an .xlsm keeps its macros when written as
    .xlsm), and so do the document's dates. Only the two columns are jixiao's — scores as
    numbers with the pack's places, styled like the column before them — and, when the sheet
    has none, a frozen header. Written back a second time, the table's jixiao columns are
    rewritten, not added again. A CSV table becomes a workbook of jixiao's own: its 分值 and
    得分 as numbers, widths fitted, header frozen, set up to print.

    Returns what the copy lacks of the table (openpyxl keeps pictures and charts, not drawn
    shapes, and says so for the few other parts it drops), for a note: the table itself is
    never written."""
    import openpyxl

    result, findings = scored.result, scored.findings
    places = result.settings.places
    dates = None
    if table.path.suffix.lower() in (".xlsx", ".xlsm"):
        macros = table.path.suffix.lower() == ".xlsm" and out.suffix.lower() == ".xlsm"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            book = openpyxl.load_workbook(table.path, keep_vba=macros)
        lost = _not_kept(table.path, [str(w.message) for w in caught], macros)
        sheet = book.worksheets[0]
        dates = _dates(table.path, book)
        own = False
    else:  # a CSV table: its cells into a new workbook, numbers as numbers
        lost = []
        book = openpyxl.Workbook()
        book.properties.creator = "jixiao"
        sheet = book.worksheets[0]
        for r, cells in enumerate(read_grid(table.path)[1], start=1):
            for c, value in enumerate(cells, start=1):
                put(sheet, r, c, value.text if isinstance(value, Unreadable) else value)
        _numbers(sheet, table)
        own = True
    col = _jixiao_column(sheet, table.header_row)
    put(sheet, table.header_row, col, "jixiao得分")
    put(sheet, table.header_row, col + 1, "jixiao说明")
    codes = {i.code.rsplit(".", 1)[-1]: i for i in result.indicators}
    written = [table.header_row]

    def score(row: int, points: Decimal | None, note: str) -> None:
        put(sheet, row, col, number(points, places) if points is not None else None)
        put(sheet, row, col + 1, note)
        written.append(row)

    def found(row: int) -> list[str]:
        return [f.message for f in findings if _row_of(f.cell) == row]

    for row in table.rows:
        ind = codes.get(row.code)
        notes = [_explain(result, row.code), *found(row.row)]
        score(
            row.row,
            ind.points if ind is not None else None,
            "；".join(dict.fromkeys(n for n in notes if n)) or "未计分",
        )
    if table.funds is not None:
        if "S" in codes and codes["S"].points is not None:
            score(table.funds.row, codes["S"].points, _explain(result, "S"))
        else:
            score(table.funds.row, None, "；".join(found(table.funds.row)) or "未计分")
    if table.total_row is not None:
        if scored.complete and result.total is not None:
            score(table.total_row[0], result.total, f"等级：{result.grade}")
        else:
            score(table.total_row[0], None, total_reason(scored))
            put(sheet, table.total_row[0], col, "—")
    if out.suffix.lower() == ".csv":
        _save_csv(sheet, out)
        return []
    _style_columns(sheet, col, written, places_format(places))
    if sheet.freeze_panes is None:
        sheet.freeze_panes = sheet.cell(table.header_row + 1, 1).coordinate
    if own:
        widths = [0] * sheet.max_column
        for line in sheet.iter_rows(values_only=True):
            for c, value in enumerate(line):
                widths[c] = max(widths[c], text_width(value))
        print_setup(sheet, sum(fit_widths(sheet, widths)), f"{table.header_row}:{table.header_row}")
    save_workbook(book, out, dates)
    return lost


#: Drawn shapes in a drawing part: openpyxl writes a drawing back with its pictures and charts
#: only.
_SHAPES = re.compile(rb"<(?:\w+:)?(?:sp|grpSp|cxnSp)[ >]")


def _not_kept(path: Path, warned: list[str], macros: bool) -> list[str]:
    """What of the workbook at `path` a copy saved by openpyxl lacks."""
    import zipfile

    out = [w.rstrip(".") for w in warned if "Shapes and drawings" not in w]
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            drawings = [n for n in names if n.startswith("xl/drawings/") and n.endswith(".xml")]
            if any(_SHAPES.search(archive.read(n)) for n in drawings) or any(
                "Shapes and drawings" in w for w in warned
            ):
                out.append("drawn shapes (text boxes, arrows; pictures and charts are kept)")
            if not macros and "xl/vbaProject.bin" in names:
                out.append("the macros (write the table back as .xlsm to keep them)")
    except (OSError, KeyError, zipfile.BadZipFile):
        pass  # it was read a moment ago: nothing more to say
    return out


def _jixiao_column(sheet: Any, header: int) -> int:
    """The column of `jixiao得分` when the table was written back before, else the first free
    one."""
    for c in range(1, sheet.max_column):
        if (sheet.cell(header, c).value, sheet.cell(header, c + 1).value) == (
            "jixiao得分",
            "jixiao说明",
        ):
            return c
    return int(sheet.max_column) + 1


def _style_columns(sheet: Any, col: int, rows: list[int], fmt: str) -> None:
    """jixiao's two columns look like the column before them (font, fill, border, alignment),
    the score a number with `fmt`, the note wrapped; widths fitted to what was written."""
    from copy import copy

    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    widths = [text_width("jixiao得分"), 0]
    for r in rows:
        left = sheet.cell(r, col - 1) if col > 1 else None
        for c in (col, col + 1):
            cell = sheet.cell(r, c)
            if left is not None and left.has_style:
                cell.font, cell.fill = copy(left.font), copy(left.fill)
                cell.border, cell.alignment = copy(left.border), copy(left.alignment)
            widths[c - col] = max(widths[c - col], min(text_width(cell.value), 60))
        if isinstance(sheet.cell(r, col).value, Decimal):
            sheet.cell(r, col).number_format = fmt
        note = sheet.cell(r, col + 1)
        note.alignment = Alignment(
            horizontal=note.alignment.horizontal,
            vertical=note.alignment.vertical or "center",
            wrap_text=True,
        )
    for c, width in zip((col, col + 1), widths, strict=True):
        sheet.column_dimensions[get_column_letter(c)].width = max(10, width + 2)


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _numbers(sheet: Any, table: Table) -> None:
    """A CSV table's 分值 and 得分 as numbers, as they would be in the office's own workbook."""
    rows = [r.row for r in table.rows] + ([table.total_row[0]] if table.total_row else [])
    for c in (table.columns.get("分值"), table.columns.get("得分")):
        for r in rows if c else []:
            cell = sheet.cell(r, c)
            if isinstance(cell.value, str) and _PLAIN_NUMBER.fullmatch(cell.value.strip()):
                value = Decimal(cell.value.strip())
                cell.value = value
                cell.number_format = places_format(needed_places([value]))


def _dates(path: Path, book: Any) -> tuple[Any, Any] | None:
    """The workbook's own created and modified dates, when its file has them (openpyxl fills
    in the time of reading for a file without them, which would change the bytes each run)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    created = book.properties.created if b"created>" in core else None
    modified = book.properties.modified if b"modified>" in core else None
    if created is None and modified is None:
        return None
    return created or modified, modified or created


def _save_csv(sheet: Any, out: Path) -> None:
    import csv
    import io

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    for row in sheet.iter_rows(values_only=True):
        writer.writerow([csv_text(v) if v is not None else "" for v in row])
    out.write_text(text.getvalue(), encoding="utf-8-sig")


#: The text, Markdown and HTML reports' own words, by the report's language.
_W = {
    "zh": {
        "unscored_rows": "{n} 行未计分，无总分：",
        "sep": "、",
        "no_total": "规则未给出总分",
        "points": "分",
        "target": "目标",
        "actual": "实际",
        "weight": "分值",
        "printed": "表中",
        "empty": "空",
        "total": "总分",
        "grade": "等级",
        "unscored": "未计分",
        "found": "发现 {n} 处问题：",
        "clean": "表中得分与规则一致，未发现问题。",
        "findings": "发现的问题",
        "findings_n": "发现的问题（{n} 处）",
        "colon": "：",
        "open": "（",
        "close": "）",
    },
    "en": {
        "unscored_rows": "{n} rows not scored, no total: ",
        "sep": ", ",
        "no_total": "the rules give no total",
        "points": "points",
        "target": "target",
        "actual": "actual",
        "weight": "weight",
        "printed": "in the table",
        "empty": "empty",
        "total": "Total",
        "grade": "grade",
        "unscored": "not scored",
        "found": "{n} findings:",
        "clean": "The table's scores agree with the rules; nothing found.",
        "findings": "Findings",
        "findings_n": "Findings ({n})",
        "colon": ": ",
        "open": " (",
        "close": ")",
    },
}


def total_reason(scored: Scored, lang: str = "zh") -> str:
    """Why there is no 总分, in one line."""
    w = _W[lang]
    if scored.unscored:
        return w["unscored_rows"].format(n=len(scored.unscored)) + w["sep"].join(
            label for label, _, _ in scored.unscored
        )
    return w["no_total"]


def render_text(table: Table, scored: Scored, lang: str = "zh") -> str:
    result, findings = scored.result, scored.findings
    w = _W[lang]
    places = result.settings.places
    out = [f"{table.project or table.path.name}{w['open']}{table.path.name}{w['close']}", ""]
    codes = {i.code.rsplit(".", 1)[-1]: i for i in result.indicators}
    budget = codes.get("S")
    if budget is not None:
        pts = fixed(budget.points, places) if budget.points is not None else "—"
        out.append(
            f"  预算执行率  {plain(budget.weight)} {w['points']}  jixiao {pts}  "
            f"{_explain(result, 'S', lang)}"
        )
    for row in table.rows:
        ind = codes.get(row.code)
        pts = fixed(ind.points, places) if ind is not None and ind.points is not None else "—"
        printed = plain(row.published) if row.published is not None else w["empty"]
        out.append(
            f"  {row.code:<5} {display(row.name)}  {w['target']} {display(row.target_text)}  "
            f"{w['actual']} {display(row.actual_text) or w['empty']}  {w['weight']} "
            f"{plain(row.weight) if row.weight else w['empty']}"
            f"  {w['printed']} {printed}  jixiao {pts}"
        )
    out.append("")
    if scored.complete and result.total is not None:
        out.append(
            f"{w['total']} {fixed(result.total, places)}  {w['grade']} {result.grade or '—'}"
        )
    else:
        out.append(
            f"{w['total']} —  {w['grade']} —{w['open']}{total_reason(scored, lang)}{w['close']}"
        )
        for label, cell, why in scored.unscored:
            out.append(f"  {w['unscored']} {display(label)}  {cell}  {display(say(why))}")
    out.append("")
    if findings:
        out.append(w["found"].format(n=len(findings)))
        out += [f"  [{f.code}] {f.cell}  {display(say(f.message))}" for f in findings]
    elif scored.complete:
        out.append(w["clean"])
    return "\n".join(out) + "\n"


def _json(scored: Scored) -> str:
    from ..render.json_report import document

    doc: dict[str, Any] = document(scored.result)
    doc["complete"] = scored.complete
    if not scored.complete:
        doc["total_reason"] = total_reason(scored)
    doc["unscored"] = [
        {"row": label, "cell": cell, "reason": why} for label, cell, why in scored.unscored
    ]
    doc["findings"] = [
        {"code": f.code, "cell": f.cell, "message": f.message} for f in scored.findings
    ]
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _partial_note(scored: Scored, fmt: str, lang: str = "zh") -> str:
    """What markdown and HTML add when the table is not fully scored."""
    w = _W[lang]
    lines = [f"{w['total']} —{w['colon']}{total_reason(scored, lang)}"]
    lines += [
        f"{w['unscored']} {label}{w['open']}{cell}{w['close']}{w['colon']}{say(why)}"
        for label, cell, why in scored.unscored
    ]
    if fmt == "markdown":
        return "\n" + "".join(f"> {display(x)}\n>\n" for x in lines)
    from html import escape

    return "".join(f'<p class="unscored">{escape(x)}</p>\n' for x in lines)


def _findings_note(scored: Scored, fmt: str, lang: str = "zh") -> str:
    """The findings (S1–S9) by cell, as the text report lists them, for markdown and HTML."""
    w = _W[lang]
    findings = scored.findings
    if not findings:
        clean = w["clean"] if scored.complete else ""
        if not clean:
            return ""
        if fmt == "markdown":
            return f"\n## {w['findings']}\n\n{clean}\n"
        return f'<section class="findings"><h2>{w["findings"]}</h2><p>{clean}</p></section>\n'
    title = w["findings_n"].format(n=len(findings))
    if fmt == "markdown":
        items = "".join(
            f"- **{f.code}** {display(f.cell)}{w['colon']}{display(say(f.message))}\n"
            for f in findings
        )
        return f"\n## {title}\n\n{items}"
    from html import escape

    items = "".join(
        f"<li><strong>{f.code}</strong> <code>{escape(f.cell)}</code> "
        f"{escape(display(say(f.message)))}</li>\n"
        for f in findings
    )
    return f'<section class="findings"><h2>{title}</h2>\n<ul>\n{items}</ul></section>\n'


def param_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the `--param`s, as a usage error: not NAME=VALUE, a name the
    template does not declare (with did-you-mean), a name given twice, a value its parameter's
    kind cannot read (`预算执行率分值=abc`) or outside its domain. None when they are fine, or
    when the template cannot be read (`main` reports that)."""
    import difflib

    from ..check.units import domain_problem
    from ..common.types import KIND_NAMES
    from ..runtime.evidence import parse_typed

    try:
        declared = template_params(args.template)
    except (OSError, UnicodeDecodeError, JixiaoError):
        return None
    seen: set[str] = set()
    for item in args.param:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name:
            return f"`--param` takes NAME=VALUE, not `{item}`"
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.5)
            hint = f"did you mean `{close[0]}`? " if close else ""
            names = ", ".join(f"{n} ({k})" for n, k in declared.items())
            return f"unknown parameter `{name}`; {hint}the template's parameters are: {names}"
        if name in seen:
            return f"`--param {name}` is given twice; give it once"
        seen.add(name)
        kind = KIND_NAMES.get(declared[name])
        if kind is None:
            continue
        parsed, why = parse_typed(kind, value)
        if parsed is None:
            example = _EXAMPLES.get(kind.value, "…")
            return f"`--param {name}={value}`: {why} (`{name}` is a {kind}, e.g. {example})"
        outside = domain_problem(kind, parsed)
        if outside is not None:
            return f"`--param {name}={value}`: outside the domain {outside[1]}"
        if name == "预算执行率分值" and _sane_weight(value) is None:
            return f"`--param {name}` takes points, more than 0 and at most 100, not `{value}`"
    return None


#: An example value of each kind a parameter may have, for the usage error that refuses one.
_EXAMPLES = {
    "number": "20",
    "money": "50万元",
    "count": "12",
    "percent": "50%",
    "bool": "是",
    "text": "达成",
    "date": "2024-12-31",
}


def _emitted(text: str, template: str | None, emit: str) -> str:
    """The generated pack as `--emit-pack` writes it: it imports the shipped template by name
    (found on the import path from any folder); a `--template` by its path from the emitted
    pack's folder, or where it lies when that is elsewhere (then run the pack with
    `--import-path` naming the template's folder)."""
    if not template:
        return text
    import os

    from jixiao.dsl.formatter import string as dsl_string

    file = template_file(template)
    written = os.path.basename(file)
    folder = os.path.dirname(os.path.realpath(emit))
    try:
        relative = os.path.relpath(file, folder)
    except ValueError:  # another drive, on Windows
        relative = file
    path = file if relative.startswith("..") else relative.replace(os.sep, "/")
    old = f"import {dsl_string(written)}"
    return text.replace(old, f"import {dsl_string(path)}", 1)


def _failed(args: argparse.Namespace, report: Report, diagnostics: list[Diagnostic]) -> int:
    """Nothing scored: the diagnostics, and with `--format json` still a JSON document on
    standard output, so `| jq` reads why."""
    report(diagnostics, args)
    if args.format == "json":
        from ..render.outputs import unscored_json

        sys.stdout.write(unscored_json(diagnostics))
    return 1


def main(args: argparse.Namespace, report: Report) -> int:
    params: dict[str, str] = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            sys.stderr.write(say(f"jixiao selfeval: --param takes NAME=VALUE, not `{item}`\n"))
            return 2
        params[name.strip()] = value.strip()
    weight = params.get("预算执行率分值")
    if weight is not None:
        sane = _sane_weight(weight)
        if sane is None:
            sys.stderr.write(
                say(
                    f"jixiao selfeval: --param 预算执行率分值 takes points, more than 0 and at "
                    f"most 100, not `{weight}`\n"
                )
            )
            return 2
        params["预算执行率分值"] = str(sane)  # `二十` as the generated pack's weight: 20
    try:
        refuse(  # before anything is read or written: never over the table or the template
            {"--output": args.output, "--emit-pack": args.emit_pack},
            [("the table", args.table), ("the template", args.template)],
        )
        table = read_table(Path(args.table))
        try:
            template = template_text(args.template)
        except (OSError, UnicodeDecodeError) as exc:
            from ..common.messages import pack_unreadable

            if isinstance(exc, FileNotFoundError):
                why = "no such file"
            elif isinstance(exc, IsADirectoryError):
                why = "it is a folder"
            else:
                why = getattr(exc, "strerror", None) or str(exc)
            return _failed(
                args, report, [pack_unreadable(str(args.template), f"--template: {why}")]
            )
        scored = score(table, template, params, args.qualitative_fallback, args.template)
    except TableError as exc:
        return _failed(args, report, [error("E630", str(exc), help=exc.help or TABLE_HELP)])
    except OSError as exc:
        why = f"cannot read {args.table}: {exc.strerror or exc}"
        return _failed(args, report, [error("E630", why, help=TABLE_HELP)])
    except JixiaoError as exc:
        return _failed(args, report, list(exc.diagnostics))
    try:
        if args.emit_pack:
            # the pack as generated: names shown on one line (`display`); see the README
            text = _emitted(scored.pack_text, args.template, args.emit_pack)
            formatted = format_pack(parse(Source(args.emit_pack, text)))
            write_text("--emit-pack", args.emit_pack, formatted)
        report(list(scored.result.diagnostics), args)
        if args.output:
            with writing("--output", args.output):
                lost = write_back(table, scored, Path(args.output))
            for what in lost:
                sys.stderr.write(
                    say(f"note: {args.output} lacks what jixiao cannot copy: {what}\n")
                )
    except JixiaoError as exc:
        report(exc.diagnostics, args)
        return 1
    if args.format == "json":
        sys.stdout.write(_json(scored))
    elif args.format in ("markdown", "html"):
        text = render(scored.result, args.format, report_lang())
        note = _partial_note(scored, args.format, report_lang()) if not scored.complete else ""
        note += _findings_note(scored, args.format, report_lang())
        text = text.replace("</body>", note + "</body>", 1) if "</body>" in text else text + note
        sys.stdout.write(text)
    else:
        sys.stdout.write(render_text(table, scored, report_lang()))
    return 1 if scored.findings or not scored.complete else 0
