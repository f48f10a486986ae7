"""Portfolios: score every project of a CSV or XLSX sheet (one project per row) or a folder of
evidence files, streaming.

Rows are read lazily and results written as they come, so memory does not grow with the number
of projects. A bad cell stops its own row, never the others: the row's record carries the error
with its sheet, row and column, and the exit code says some projects failed. With several
processes the records still come out in input order, byte for byte as a serial run writes them.

Cells are read as text for the fact's declared type, like evidence files: `92%` or `0.92`,
`10万元`, `是`/`否`. A list fact's cell holds its items separated by `；`, `;` or line breaks
(or a JSON array), and an empty one means nothing was found. Any other empty cell is a missing
fact; `不适用` marks a fact not applicable. A cell that is not data — an Excel error value, an
XLSX formula saved without its value, a CSV formula where a non-text value is expected — fails
its row, never counts as a finding or as empty; so does a bare number above 1 in a percent
column (an XLSX cell formatted as a percent is read as the fraction Excel stores). Files are
opened through `files` (regular files only, bounded) and workbooks read by `workbook`.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import hashlib
import io
import itertools
import json
import multiprocessing
import os
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, Severity, error
from jixiao.dsl.source import Source

from ..check.units import domain_problem
from ..common import messages as msg
from ..common.ir import Program
from ..common.result import NA, Item, Provenance, Result
from ..common.types import Kind
from ..forms import LINES
from ..plan.compiler import Plan
from ..render.explain import (
    GIVEN_BACK,
    fixed,
    given_back_note,
    line_text,
    lost_parts,
    plain,
    shortfall_lines,
    words,
)
from ..render.prose import base_cause, line_words, template_of
from ..render.sheets import csv_text
from ..runtime import files
from ..runtime.evaluator import evaluate
from ..runtime.evidence import (
    Evidence,
    load_bytes,
    not_a_finding,
    nothing_found,
    parse_typed,
    visible,
)
from ..runtime.ledger import KIND, REASON
from ..runtime.workbook import (
    ErrorCell,
    FormulaCell,
    PercentCell,
    WorkbookError,
    cell_text,
    column_letter,
    open_workbook,
)
from . import batch_ids
from .batch_xlsx import ResultSheet
from .portfolio import Explained, ScoredProject, explanation_json, explanation_text

if TYPE_CHECKING:
    from .portfolio import Tally

BLOCK = 256  # rows scored at a time
PARALLEL_BLOCK = 1024  # rows handed to a worker process at a time
PARALLEL_FROM = 2000  # rows from which `--jobs 0` (the default) scores in several processes
ID_COLUMNS = ("id", "项目编号", "编号", "project", "项目id", "project_id")
NAME_COLUMNS = ("name", "项目名称", "名称")
NA_TEXT = {"不适用", "n/a", "na", "not applicable", "不涉及"}


#: A fact's column: (index in the row, fact, text before the row number, text after it), so
#: that "row 7, column C (预算金额)" is worded only for the cells that need it.
Column = tuple[int, str, str, str]


@dataclass(frozen=True, slots=True)
class Row:
    """One project as read: its id, its raw cells, and where each stands. Rows go to worker
    processes as they are read, so they carry the cells, not a dict built from them."""

    id: str
    name: str
    number: int  # the row in its file (1 is the header)
    values: tuple[Any, ...]  # the row's cells as read
    columns: tuple[Column, ...]  # the pack's facts among them (one tuple, shared by all rows)
    where: str  # "projects.xlsx, sheet Sheet1, row 5"
    path: Path | None = None  # a folder of evidence files: the file itself
    folder: str = ""  # … and the folder it must stay inside
    problem: str = ""  # the sheet could not be read past here: the rest of it fails

    def cells(self) -> Iterator[tuple[str, Any, str]]:
        """(fact, cell value or None, "row 7, column C (预算金额)") for each fact column."""
        values, number = self.values, str(self.number)
        for i, fact, before, after in self.columns:
            yield fact, values[i] if i < len(values) else None, before + number + after


# ----- reading ----------------------------------------------------------------------------------


def _cell_text(value: Any) -> str | None:
    if type(value) is str:  # every CSV cell, most XLSX ones
        return files.visible(value) or None  # a zero-width space alone is a blank cell
    return cell_text(value) or None


def _columns(
    header: list[Any], program: Program, where: str
) -> tuple[int, int | None, dict[int, str], list[Diagnostic]]:
    """The id column, the name column, fact columns by index, and header problems."""
    names = _headings(header)
    lowered = [n.lower() for n in names]
    diags: list[Diagnostic] = []
    id_col = next((i for i, n in enumerate(lowered) if n in ID_COLUMNS), None)
    if id_col is None:
        raise JixiaoError(
            [
                error(
                    "E620",
                    f"{where}: no id column in the header",
                    help="name one column `id` (or "
                    + ", ".join(f"`{name}`" for name in ID_COLUMNS[1:])
                    + ") for the project ids",
                )
            ]
        )
    name_col = next((i for i, n in enumerate(lowered) if n in NAME_COLUMNS), None)
    facts: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if i in (id_col, name_col) or not name:
            continue
        if name in seen:
            raise JixiaoError(
                [
                    error(
                        "E620",
                        f"{where}: column `{name}` appears twice",
                        help="keep one column per fact",
                    )
                ]
            )
        seen[name] = i
        if name in program.facts:
            facts[i] = name
        else:
            hint = msg.evidence_unknown_fact(
                name, Source(where, "").span(0, 0), list(program.facts)
            ).help
            diags.append(
                Diagnostic(
                    "W620",
                    Severity.WARNING,
                    f"{where}: column `{name}` is not a fact of the pack",
                    help=hint,
                    path=where,
                )
            )
    return id_col, name_col, facts, diags


def _headings(header: list[Any]) -> list[str]:
    """A heading as Excel shows it: without invisible characters, in composed form (NFC)."""
    return [unicodedata.normalize("NFC", visible(_cell_text(h) or "")) for h in header]


def _id_column(header: list[Any]) -> int | None:
    """The id column `_columns` finds (or None: it then says so)."""
    lowered = [n.lower() for n in _headings(header)]
    return next((i for i, n in enumerate(lowered) if n in ID_COLUMNS), None)


def read_table(path: Path, program: Program) -> tuple[Iterator[Row], int | None, list[Diagnostic]]:
    """Rows of a CSV or XLSX file, lazily, with how many there are. The file may be anywhere
    (the user named it) but must be a regular file within MAX_TABLE_BYTES. It is read
    as a workbook when its name says so or its bytes do: a workbook saved under a
    `.csv` name is no CSV (read as one, its bytes would be refused as binary)."""
    with _open_table(path) as f:
        zipped = f.read(4) == b"PK\x03\x04"
    if zipped or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, program)
    return _read_csv(path, program)


def refusal(r: files.Refusal, table: bool = True) -> Diagnostic:
    """The diagnostic of a file `files` would not read: the portfolio table, or (`table`
    false) an evidence file of a folder portfolio."""
    refused = msg.refused_file(r.kind, r.path, r.text)
    return refused or msg.evidence_unreadable(r.path, r.text, table=table)


def _open_table(path: Path) -> BinaryIO:
    try:
        return files.open_regular(str(path), files.MAX_TABLE_BYTES, "MAX_TABLE_BYTES")
    except files.FileRefused as exc:
        raise JixiaoError([refusal(exc.refusal)]) from None


_BINARY = (
    "it looks binary, not text (an old .xls or an .ods? save it as .xlsx or CSV; a UTF-16 "
    "CSV needs its byte-order mark)"
)


def _encoding(f: BinaryIO, path: Path) -> str:
    """UTF-8 (with or without BOM) or GB18030, judged on the file's first megabyte (whose last
    character may be cut: up to three trailing bytes are allowed to be incomplete)."""
    head = f.read(1 << 20)
    f.seek(0)
    if files.utf16(head):
        return "utf-16"  # the codec reads the byte-order mark and drops it
    if b"\x00" in head:
        raise JixiaoError([msg.evidence_unreadable(str(path), _BINARY, table=True)])
    for encoding, python_name in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        for cut in range(4):
            try:
                head[: len(head) - cut].decode(encoding)
                return python_name
            except UnicodeDecodeError:
                continue
    raise JixiaoError([msg.evidence_unreadable(str(path), "neither UTF-8 nor GB18030", table=True)])


def _csv_head(raw: BinaryIO, path: Path) -> tuple[io.TextIOWrapper, list[str], int, frozenset[int]]:
    """The text stream, the header, how many rows follow it and the digests of the project ids
    used more than once (`batch_ids`): a streaming pass that also meets every unreadable row
    before any project is scored."""
    number = 1
    try:
        encoding = _encoding(raw, path)
        f = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = files.csv_rows(f)
        header = next(reader, None)
        id_col = _id_column(header or [])
        ids = batch_ids.Repeats()
        count = 0
        for values in reader:
            number += 1  # the row being read, for an error in it
            if any(v.strip() for v in values):
                count += 1
                if id_col is not None:
                    ident = values[id_col].strip() if id_col < len(values) else ""
                    ids.add(ident or f"row {number}")
    except (OSError, UnicodeDecodeError) as exc:
        raise JixiaoError([msg.evidence_unreadable(str(path), str(exc), table=True)]) from None
    except files.LineTooLong as exc:
        where = f"{path}, line {exc.number}"
        diagnostic = msg.csv_field_too_long(where, files.MAX_CSV_LINE, str(path), line=True)
        raise JixiaoError([diagnostic]) from None
    except csv.Error as exc:
        where = f"{path}, row {number + 1}"
        if "field larger than field limit" in str(exc):
            raise JixiaoError(
                [msg.csv_field_too_long(where, files.MAX_CSV_FIELD, str(path))]
            ) from None
        why = f"row {number + 1} is not readable as CSV ({exc})"
        raise JixiaoError([msg.evidence_unreadable(str(path), why, table=True)]) from None
    if header is None:
        raise JixiaoError(
            [error("E620", f"{path}: the file is empty", help="the first row names the columns")]
        )
    return f, header, count, ids.found()


def _read_csv(path: Path, program: Program) -> tuple[Iterator[Row], int | None, list[Diagnostic]]:
    raw = _open_table(path)
    try:
        f, header, count, repeated = _csv_head(raw, path)
        id_col, name_col, facts, diags = _columns(list(header), program, str(path))
    except BaseException:
        raw.close()
        raise

    columns = tuple(
        (i, fact, "row ", f", column {column_letter(i)} ({fact})") for i, fact in facts.items()
    )
    # a row keeps only the cells up to the last column read: a row of a million cells past
    # the header costs nothing while its block waits to be scored
    width = max([id_col, name_col or 0, *facts]) + 1

    def rows() -> Iterator[Row]:
        with f:
            f.seek(0)
            reader = files.csv_rows(f)
            next(reader, None)
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                ident = values[id_col].strip() if id_col < len(values) else ""
                name = (
                    values[name_col].strip()
                    if name_col is not None and name_col < len(values)
                    else ""
                )
                yield Row(
                    ident or f"row {number}",
                    name,
                    number,
                    tuple(values[:width]),
                    columns,
                    f"{path}, row {number}",
                )

    return batch_ids.unique(rows(), repeated), count, diags


def _workbook_refusal(exc: WorkbookError) -> Diagnostic:
    if exc.limit:
        return msg.workbook_limit(exc.path, exc.text)
    return msg.workbook_unreadable(exc.path, exc.text)


def _read_xlsx(path: Path, program: Program) -> tuple[Iterator[Row], int | None, list[Diagnostic]]:
    """The first sheet, read by its cells (never by its `<dimension>` record, which may be
    stale): a first streaming pass counts the rows and meets every limit before any project
    is scored."""
    try:
        book = open_workbook(str(path))
    except files.FileRefused as exc:
        raise JixiaoError([refusal(exc.refusal)]) from None
    except WorkbookError as exc:
        raise JixiaoError([_workbook_refusal(exc)]) from None
    try:
        sheet = book.first_sheet()
        first = next(sheet.rows(), None)  # the header: the first row with a value
        count = max(sheet.count() - 1, 0)
    except WorkbookError as exc:
        book.close()
        raise JixiaoError([_workbook_refusal(exc)]) from None
    where = f"{path}, sheet {sheet.title}"
    if first is None:
        book.close()
        raise JixiaoError(
            [error("E620", f"{where}: the sheet is empty", help="the first row names the columns")]
        )
    try:
        id_col, name_col, facts, diags = _columns(list(first[1]), program, where)
    except JixiaoError:
        book.close()
        raise
    columns = tuple(
        (i, fact, f"sheet {sheet.title}, cell {column_letter(i)}", f" ({fact})")
        for i, fact in facts.items()
    )

    def rows() -> Iterator[Row]:
        with book:
            it = sheet.rows()
            next(it, None)
            try:
                yield from xlsx_rows(it)
            except WorkbookError as exc:  # a limit on a cell's text, met only by reading it
                yield Row("—", "", 0, (), (), where, problem=_problem(_workbook_refusal(exc)))

    def ids() -> Iterator[str]:
        """The rows' ids, in a first reading of the sheet (up to a cell it cannot read: the
        scoring reading fails the rest of the sheet there)."""
        it = sheet.rows()
        next(it, None)
        try:
            for row in xlsx_rows(it):
                yield row.id
        except WorkbookError:
            return

    def xlsx_rows(it: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[Row]:
        for number, values in it:
            if all(v is None or (type(v) is str and not v.strip()) for v in values):
                continue
            ident = _cell_text(values[id_col]) if id_col < len(values) else None
            name = (
                _cell_text(values[name_col])
                if name_col is not None and name_col < len(values)
                else None
            )
            yield Row(
                ident or f"row {number}",
                name or "",
                number,
                tuple(values),
                columns,
                f"{where}, row {number}",
            )

    # a sheet of at most `RUN` rows (most) keeps its ids as it is scored; a larger one is read
    # a first time for its ids alone, so memory stays flat (`batch_ids`)
    try:
        repeated = batch_ids.repeats(ids()) if count > batch_ids.RUN else None
    except BaseException:
        book.close()
        raise
    return batch_ids.unique(rows(), repeated), count, diags


def read_folder(path: Path) -> tuple[Iterator[Row], int | None, list[Diagnostic]]:
    """One project per evidence file directly inside the folder; each is read when scored, as
    a regular file inside the folder (a symlink out of it fails its own row)."""
    found = files.folder_files(str(path), (".yaml", ".yml", ".json"))
    # a file name may hold a line break: its id and place are shown escaped, on one line
    rows = (
        Row(
            files.printable(Path(p).stem, cut=False),
            "",
            0,
            (),
            (),
            files.printable(p),
            Path(p),
            str(path),
        )
        for p in found
    )
    stems = (files.printable(Path(p).stem, cut=False) for p in found)
    return batch_ids.unique(rows, batch_ids.repeats(stems)), len(found), []


# ----- scoring one row ----------------------------------------------------------------------------


def _items(text: str) -> tuple[Item, ...]:
    text = text.strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
            if isinstance(values, list):
                return tuple(Item("" if v is None else str(v), _NOWHERE) for v in values)
        except ValueError:
            pass
    # every line break a cell can hold separates findings, as `；` does (Alt+Enter in Excel
    # is `\n`; `\r`, U+2028 and the others come from other editors and web pages)
    parts = [p.strip() for p in _BREAKS.sub(";", text.replace("；", ";")).split(";")]
    return tuple(Item(p, _NOWHERE) for p in parts if p)


_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


_NOWHERE = Provenance(None)  # a finding listed in a cell: the cell is its fact's origin


class _RowOrigins(Mapping[str, Provenance]):
    """Where each fact of a row came from, worded only when asked for: a portfolio's output
    names no cells, so most rows never need them (40 provenances a row, built for nothing)."""

    __slots__ = ("_names", "_number", "_source")

    def __init__(self, source: str, names: dict[str, Column], number: str) -> None:
        # fact → its column: the words before and after the row's number in where its cell is
        self._source, self._names, self._number = source, names, number

    def __getitem__(self, name: str) -> Provenance:
        _, _, before, after = self._names[name]
        return Provenance(None, source=f"{self._source}, {before}{self._number}{after}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _not_data(cell: Any, text: str, kind: Kind, where: str, path: str) -> Diagnostic | None:
    """Why a cell is not data (an Excel error, a formula), or None. A formula-looking text is
    refused where a number, count, list or other non-text value is expected."""
    if isinstance(cell, ErrorCell) or files.is_error_text(text):
        return msg.cell_error_value(where, text, path)
    if isinstance(cell, FormulaCell):
        return msg.cell_formula(where, cell.formula, path, cached=False)
    if kind is not Kind.TEXT and files.looks_like_formula(text):
        return msg.cell_formula(where, text, path)
    return None


def _not_finding(name: str, text: str, where: str, path: str) -> Diagnostic | None:
    why = not_a_finding(text)
    return None if why is None else msg.not_a_finding(name, text, why, where=where, path=path)


_problem = batch_ids.problem_text  # a row's problem as its record keeps it, on one line


#: How a cell that is not data starts (an error value, a formula): other cells skip the check.
_SUSPECT = frozenset("#＃=@+-")
_MARKERS = frozenset({ErrorCell, FormulaCell, PercentCell})


#: How many distinct cells of one column are remembered parsed (`column_memos`), and how long
#: one may be: a column of 是/否, counts or short findings repeats a few texts; one of amounts,
#: or of long texts, is bounded, so memory stays flat (at most ≈ 4096 × 64 characters a column).
MEMO_CELLS = 4096
MEMO_LENGTH = 64


def column_memos(program: Program, memo: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Per fact column, the values of cell texts already parsed cleanly (a cell is parsed from
    its text and its fact alone, so the same text always gives the same value): built once per
    plan (in `Plan.memo`) and filled as rows are read."""
    if memo is None:
        return {name: {} for name in program.facts}
    if "columns" not in memo:
        memo["columns"] = {name: {} for name in program.facts}
    columns: dict[str, dict[str, Any]] = memo["columns"]
    return columns


def row_evidence(
    row: Row, program: Program, source: str, memos: dict[str, dict[str, Any]] | None = None
) -> tuple[Evidence | None, list[str]]:
    values: dict[str, Any] = {}
    given: dict[str, Column] = {}  # fact → its column: its cell's place, worded when asked for
    problems: list[str] = []
    if memos is None:
        memos = column_memos(program)
    cells, number = row.values, str(row.number)
    count = len(cells)
    for column in row.columns:
        i, name, before, after = column
        cell = cells[i] if i < count else None
        if type(cell) is str:
            known = memos[name].get(cell, _UNPARSED)
            if known is not _UNPARSED:  # this very text, parsed cleanly before
                given[name] = column
                values[name] = known
                continue
        value, problem = cell_value(program, name, cell, before + number + after, source, memos)
        if value is EMPTY:
            if program.facts[name].kind is Kind.LIST:
                values[name] = ()  # an empty findings cell: nothing was found
            continue
        given[name] = column
        if problem is not None:
            problems.append(problem)
        else:
            values[name] = value
    if problems:
        return None, problems
    return _evidence(row, source, values, given), []


def evidence_of(row: Row, program: Program, source: str, cells: Sequence[Any]) -> Evidence:
    """A row's evidence from its cells read already (`cell_value` of each of its columns, in
    order, each clean: a value, or EMPTY), as `row_evidence` makes it: `batch_columnar` has
    read each distinct cell of a block once, and reads no cell twice."""
    values: dict[str, Any] = {}
    given: dict[str, Column] = {}
    facts = program.facts
    for column, value in zip(row.columns, cells, strict=True):
        name = column[1]
        if value is EMPTY:
            if facts[name].kind is Kind.LIST:
                values[name] = ()  # an empty findings cell: nothing was found
            continue
        given[name] = column
        values[name] = value
    return _evidence(row, source, values, given)


def _evidence(row: Row, source: str, values: dict[str, Any], given: dict[str, Column]) -> Evidence:
    origins = _RowOrigins(source, given, str(row.number))
    return Evidence(Source(f"{source} [{row.id}]", ""), values, origins, {"id": row.id})


_UNPARSED = object()  # a cell text no column memo holds yet


#: `cell_value` of an empty cell: a missing fact, or an empty list of findings.
EMPTY: Any = object()


def cell_value(
    program: Program,
    name: str,
    cell: Any,
    where: str,
    source: str,
    memos: dict[str, dict[str, Any]],
) -> tuple[Any, str | None]:
    """One cell of fact `name` read as `row_evidence` reads it: (its value, None), (EMPTY,
    None) for an empty cell, or (None, the problem, worded at `where`); a clean value is
    remembered for the rows that repeat its text (`_remember`)."""
    fact = program.facts[name]
    kind = fact.kind
    plain = type(cell) not in _MARKERS  # every CSV cell, almost every XLSX one
    if not plain and isinstance(cell, PercentCell) and kind not in (Kind.PERCENT, Kind.TEXT):
        cell = cell.value  # a number shown as a percent, for a fact that is not one
    text = _cell_text(cell)
    if text is None:
        return EMPTY, None
    refused = (
        _not_data(cell, text, kind, f"{source}, {where}", source)
        if not plain or text[0] in _SUSPECT
        else None
    )
    if refused is not None:
        return None, _problem(refused)
    if text.lower() in NA_TEXT:
        _remember(memos[name], cell, NA)
        return NA, None
    if kind is Kind.LIST:
        items = () if nothing_found(text) else _items(text)
        bad = next(
            (
                d
                for i in items
                if (
                    i.text[:1] in _SUSPECT
                    and (d := _not_data(None, i.text, kind, f"{source}, {where}", source))
                )
                or (d := _not_finding(name, i.text, f"{source}, {where}", source))
            ),
            None,
        )
        if bad is not None:
            return None, _problem(bad)
        _remember(memos[name], cell, items)
        return items, None
    # typed first, then the fact's domain: `1.5` in a percent column is ambiguous
    # (E649) before it is out of range, so the message names the real slip
    value, why = parse_typed(fact, text)
    outside = domain_problem(fact, value) if value is not None else None
    if value is None:
        return None, f"{source}, {where}: `{text}` is not {kind} ({why})"
    if (
        kind is Kind.PERCENT
        and not isinstance(cell, PercentCell)
        and isinstance(value, Decimal)
        and abs(value) > 1
        and not _has_percent_sign(text)
    ):
        return None, _problem(msg.ambiguous_percent(f"{source}, {where}", text, source))
    if outside is not None:
        shown, domain, how = outside
        return None, f"{source}, {where}: {shown} is outside the domain {domain}: {how}"
    if fact.nonzero and value == 0:
        return None, f"{source}, {where}: must not be 0 (the pack divides by it)"
    _remember(memos[name], cell, value)
    return value, None


def _remember(memo: dict[str, Any], cell: Any, value: Any) -> None:
    """A plain text cell's clean value, kept for the rows that repeat it (see `MEMO_CELLS`)."""
    if type(cell) is str and len(memo) < MEMO_CELLS and len(cell) <= MEMO_LENGTH:
        memo[cell] = value


def _has_percent_sign(text: str) -> bool:
    return "%" in text or "％" in text or "‰" in text


def score_row(
    plan: Plan,
    row: Row,
    source: str,
    weight_by: str | None = None,
    summary: bool = True,
    explain: bool = True,
    lang: str = "zh",
) -> ScoredProject:
    """`weight_by`: the fact whose value the record keeps for the summary's weighted means;
    `summary`: whether the record keeps what the summary needs (its losses, its weight);
    `explain`: whether it says, in `lang`, why each leaf lost points (`Explained`)."""
    places = plan.program.settings.places
    if row.problem:
        return ScoredProject(row.id, row.name, None, None, {}, [row.problem])
    if row.path is not None:
        inputs: list[tuple[str, str]] = []
        evidence, problems = _folder_evidence(row, plan.program, inputs)
        if evidence is None or problems:  # `load` returns what it could read: a row refuses
            return ScoredProject(row.id, row.name, None, None, {}, problems, inputs=tuple(inputs))
        record = _record(
            row, evaluate(plan, evidence), places, plan.memo, summary, explain, lang, plan.program
        )
        record.inputs = tuple(inputs)
        record.weight = _weight(evidence, weight_by)
        return record
    evidence, problems = row_evidence(
        row, plan.program, source, column_memos(plan.program, plan.memo)
    )
    if evidence is None:
        return ScoredProject(row.id, row.name, None, None, {}, problems)
    record = _record(
        row, evaluate(plan, evidence), places, plan.memo, summary, explain, lang, plan.program
    )
    if summary:
        record.weight = _weight(evidence, weight_by)
    return record


def _weight(evidence: Evidence, name: str | None) -> str | None:
    """The project's amount for the weighted means (a money, number or count fact: E770, E771);
    None when it is not given (or 不适用)."""
    value = evidence.values.get(name) if name else None
    return str(value) if isinstance(value, Decimal) else None


def _folder_evidence(
    row: Row, program: Program, inputs: list[tuple[str, str]]
) -> tuple[Evidence | None, list[str]]:
    """A folder portfolio's evidence file, read only as a regular file inside the folder; its
    digest and those of the files it names go to `inputs`."""
    path = str(row.path)
    try:
        data = files.read_in_folder(path, row.folder)
    except files.FileRefused as exc:
        return None, [_problem(refusal(exc.refusal, table=False))]
    inputs.append((path, files.sha256(data)))
    evidence, diags = load_bytes(data, path, program)
    if evidence is not None:
        inputs.extend(evidence.inputs)
    problems = [
        files.printable(
            f"{d.labels[0].span.location() if d.labels else d.path}: {d.message}", cut=False
        )
        for d in diags
        if d.is_error
    ]
    return evidence, problems


def _record(
    row: Row,
    result: Result,
    places: int,
    memo: dict[str, Any] | None = None,
    summary: bool = True,
    explain: bool = True,
    lang: str = "zh",
    program: Program | None = None,
) -> ScoredProject:
    # points as the record words them: the same few values recur in every row (a weight,
    # 0.00), so each is worded once per plan (bounded, like the cells: `MEMO_CELLS`)
    if memo is None:
        memo = {}
    worded: dict[Decimal, str] = memo.setdefault("worded", {})
    # each distinct leaf's losses, read and worded once, known by the cells it reads or by
    # its lines (see `_read_cells`, `_leaf_key`)
    leaves = memo.setdefault("leaves", {})
    by_cells, by_lines = leaves.setdefault((lang, summary, explain), ({}, {}))
    # a sheet's row: each leaf is known by the cells it reads (see `_read_cells`)
    cells = _read_cells(row, program, memo) if program and (summary or explain) else None
    scores: dict[str, str | None] = {}
    lost: list[tuple[str, str, str]] = []
    explained: list[Explained] = []
    reading = summary or explain
    for ind, (points, lines, _, _) in result.ledger.raw():
        if points is None:
            scores[ind.code] = None
            continue
        text = worded.get(points)
        scores[ind.code] = _fixed(points, places, worded) if text is None else text
        if not reading or points >= ind.weight or ind.children:
            continue
        # The same lines give the same losses: a leaf is read and worded once per distinct
        # (indicator, points, lines that say why), bounded (`MEMO_LEAVES`)
        idx = cells.get(id(ind)) if cells is not None else None
        key: tuple[Any, ...] | None
        if idx is not None:
            known, key = by_cells, _cells_key(ind, row.values, idx)
        else:
            known, key = by_lines, _leaf_key(ind, points, lines)
        try:
            hit = known.get(key)
        except TypeError:  # an argument that does not hash: read and worded every time
            key = hit = None
        if hit is not None and hit[0] is ind:
            entry, losses = hit[1], hit[2]
        else:
            # one reading of the leaf's losses, for the summary's tally and the record's words
            parts = lost_parts(ind.weight, points, lines)
            losses = _losses_of(ind, lines, parts) if summary else []
            entry = (
                _explained(ind, points, lines, parts, result, places, lang, worded, memo)
                if explain
                else None
            )
            if key is not None and len(known) < MEMO_LEAVES:
                known[key] = (ind, entry, losses)
        if losses:
            lost += losses
        if entry is not None:
            explained.append(entry)
    errors = [d.message for d in result.diagnostics if d.is_error]
    total = fixed(result.total, places) if result.total is not None else None
    grade = result.grade if not result.disqualified else "取消资格"
    return ScoredProject(row.id, row.name, total, grade, scores, errors, lost, explained=explained)


#: Whether a line kind tells why a leaf lost points, by the kind's identity (an `Enum`
#: member hashes in Python): a loss, an award, what a limit gave back, or a cause in words.
#: The others (the base, rounding, caps) change nothing a record says but through the points.
_SAYS: dict[int, bool] = {}


def _says(kind: Any) -> bool:
    says = _SAYS.get(id(kind))
    if says is None:
        spec = LINES[kind]
        says = _SAYS[id(kind)] = bool(spec.loss or spec.award or spec.cause or kind in GIVEN_BACK)
    return says


#: A fact the sheet has no column for, in a leaf's key (`_cells_key`): not an empty cell.
_ABSENT = -1


def _read_cells(row: Row, program: Program, memo: dict[str, Any]) -> dict[int, Any] | None:
    """Per leaf (by id), the places in a sheet's row of the cells its score depends on: the
    facts it reads, those the derived facts it reads read, and so on (None: a folder's row).
    A cell is parsed from its text and its fact alone (`column_memos`), and evaluation is a
    function of the facts' values, so the same texts in those cells give the same lines:
    a key that costs a tuple of the cells, where the lines would cost one of every number.
    Worked out once per sheet (its columns are one tuple, shared by its rows)."""
    if row.path is not None or not row.columns:
        return None
    known = memo.get("cells")
    if known is not None and known[0] is row.columns:
        cells: dict[int, Any] = known[1]
        return cells
    column = {fact: i for i, fact, _, _ in row.columns}
    cells = {}
    for ind in program.indicators:
        names = _depends(ind, program)
        if names is not None and not ind.children:
            cells[id(ind)] = tuple(column.get(name, _ABSENT) for name in names)
    memo["cells"] = (row.columns, cells)
    return cells


def _depends(ind: Any, program: Program) -> tuple[str, ...] | None:
    """The facts (and parameters, with each indicator's own value of them) a leaf's score
    depends on, in a fixed order; None when it reads a name that is neither a fact nor a
    derived fact (then its lines are its key)."""
    facts, derived = program.facts, program.derived
    seen: dict[str, None] = {}
    todo = list(ind.reads)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen[name] = None
        if name in derived:
            todo += derived[name].reads
        elif name not in facts:
            return None
        elif facts[name].is_param:  # `达成线@B1`: an indicator's own value of it
            todo += [n for n in facts if n.startswith(name + "@")]
    return tuple(sorted(n for n in seen if n in facts))


def _cells_key(ind: Any, values: tuple[Any, ...], idx: tuple[int, ...]) -> tuple[Any, ...]:
    """A leaf's key from the cells it reads: a text as itself, anything else with its type
    (`1`, `1.0` and `True` are equal in Python, not as cells)."""
    n = len(values)
    key: list[Any] = [id(ind)]
    for i in idx:
        if i < 0:
            key.append(_ABSENT)
            continue
        value = values[i] if i < n else None
        key.append(value if type(value) is str else (type(value), value))
    return tuple(key)


def _leaf_key(ind: Any, points: Decimal, lines: Sequence[Any]) -> tuple[Any, ...]:
    """What a leaf's losses and their words depend on: the indicator, its points, and of each
    line that says why (`_says`) its clause, kind, points, reason, arithmetic and item — not
    the facts it read, which its clause fixes. A line's clause and kind are compile-time
    objects the plan holds: their ids stay theirs. Numbers are keyed by their text: a new
    `Decimal` hashes in half a microsecond, five times its `str` (and a text is exact)."""
    key: list[Any] = [id(ind), str(points)]
    says = _SAYS
    for kind, lost, span, reason, _, args, item in lines:
        said = says.get(id(kind))
        if said is None:
            said = _says(kind)
        if said:
            key += (id(span), id(kind), str(lost), reason, " ".join(map(str, args)))
            key.append(item and item.text)
    return tuple(key)


def _fixed(points: Decimal, places: int, worded: dict[Decimal, str]) -> str:
    text = worded.get(points)
    if text is None:
        text = fixed(points, places)
        if len(worded) < MEMO_POINTS and not points.is_signed():  # -0 equals 0: not kept
            worded[points] = text
    return text


#: How many points a plan keeps worded (`_fixed`): at two places a pack's scores take a few
#: thousand values per indicator; past the bound they are worded each time.
MEMO_POINTS = 1 << 15


def _explained(
    ind: Any,
    points: Decimal,
    lines: Sequence[Any],
    parts: list[tuple[Decimal, Any, Decimal | None]],
    result: Result,
    places: int,
    lang: str,
    worded: dict[Decimal, str],
    memo: dict[str, Any],
) -> Explained:
    """A leaf's losses in the words of the report's 扣分说明 and 主要扣分原因 (`line_text`),
    each distinct line worded once per plan (`_line_words`)."""
    reasons = []
    for lost, line, net in parts:
        if line is not None:
            text = _line_words(line, ind, result, lang, memo)
            if net is not None:
                text += given_back_note(net, lang)
        elif any(LINES[ln[KIND]].award for ln in lines):
            shown = shortfall_lines(lines)
            text = "；".join(_line_words(ln, ind, result, lang, memo, said=True) for ln in shown)
        else:
            continue  # rounding, with no base rule to say it in: as the reports, unsaid
        reasons.append((plain(lost), text))
    return ind.code, ind.name, _fixed(ind.weight - points, places, worded), tuple(reasons)


#: How many distinct lines a plan keeps worded for its records (`_line_words`): the same
#: deductions and awards recur project after project; their items and numbers vary, so the
#: memo is bounded and memory stays flat.
MEMO_LINES = 16_384
#: How many leaves a plan keeps read and worded whole, by their lines (`_record`).
MEMO_LEAVES = 4096


def _line_words(
    raw: Any, ind: Any, result: Result, lang: str, memo: dict[str, Any], said: bool = False
) -> str:
    """`line_text` of a raw ledger line of `ind` — with `said`, a base rule's line as the
    reports' 主要扣分原因 say it, in words rather than the pack's source text (`line_words`:
    `设备运行正常率在“不低于90%且低于95%”档，得 1 分`, not `分档 `[90%, 95%): 1``) — worded once
    per distinct (clause, kind, points, reason, arithmetic, item, weight, language): a line's
    words depend on nothing else (its clause fixes which facts it reads). The clause's span
    is kept with its words, so an id is never taken for another span's."""
    lines: dict[Any, tuple[Any, str]] = memo.setdefault("lines", {})
    span, item, weight = raw[2], raw[6], ind.weight
    try:
        key = (
            id(span),
            raw[0],
            raw[1],
            raw[3],
            raw[5],
            item.text if item is not None else None,
            weight,
            lang,
            said,
        )
        hit = lines.get(key)
    except TypeError:  # an argument that does not hash: worded every time
        key, hit = None, None
    if hit is not None and hit[0] is span:
        return hit[1]
    line = result.ledger.line(raw)
    text = (said and line_words(line, ind, lang)) or line_text(line, weight, result, lang)
    if key is not None and len(lines) < MEMO_LINES:
        lines[key] = (span, text)
    return text


def _losses_of(
    ind: Any, lines: Sequence[Any], parts: list[tuple[Decimal, Any, Decimal | None]]
) -> list[tuple[str, str, str]]:
    """(indicator, reason, points) for the portfolio summary: the reasons of `lost_parts`,
    keyed so the same reason groups across projects (a template of the pack's, or the cause
    in words, never the rule's type: 按比例计分, 分档). What a floor or a clause's `max` gave
    back is taken off the last deductions, so the points add up to what the leaf lost."""
    excess = Decimal(0)
    net = next((net for _, _, net in parts if net is not None), None)
    if net is not None:
        excess = sum((p for p, ln, _ in parts if ln is not None), Decimal(0)) - net
    out = []
    for lost, line, _ in reversed(parts):
        if line is None:
            out.append((ind.code, base_cause(ind, lines), plain(lost)))
            continue
        if excess > 0:
            kept = max(lost - excess, Decimal(0))
            excess -= lost - kept
            lost = kept
            if not lost:
                continue
        reason = line[REASON]
        key = (template_of(ind, reason) or _reason_key(reason)) if reason else line[KIND].value
        out.append((ind.code, key, plain(lost)))
    out.reverse()
    return out


def _reason_key(text: str) -> str:
    """A reason no template of the pack fills (an evaluator's own words), without the item it
    names, so the same reason groups across projects."""
    head = text.split("，扣")[0]
    return head.split("：")[0] if "：" in head else head


# ----- running ----------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}  # a worker process's plan: inherited (fork) or compiled (spawn)


def _init(pack_path: str, pack_text: str, allowed: tuple[str, ...]) -> None:
    """A spawned worker compiles the pack from the text the parent read: never from the path
    again, which may be a pipe already drained (`/dev/stdin`) or a file changed since. A
    forked one has the parent's compiled plan already (`_WORKER`). Ctrl-C is the parent's to
    answer (`interrupted`, exit 130, the pool shut down): a worker ignores it, rather than
    print a traceback of its own."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    files.set_allowed(allowed)
    if "plan" not in _WORKER:
        from .. import compile_source

        _WORKER["plan"] = compile_source(Source(pack_path, pack_text))[0]
    _quiet_collector()


def _work(
    rows: list[Row],
    source: str,
    json_sha256: str | None,
    weight_by: str | None = None,
    summary: bool = True,
    explain: bool = True,
    lang: str = "zh",
) -> tuple[list[ScoredProject] | Written, Tally]:
    records, tally = score_block(
        _WORKER["plan"], rows, source, json_sha256, weight_by, summary, explain, lang
    )
    if json_sha256 is not None and not any(r.inputs for r in records):
        # worded here and tallied: the parent only writes the lines, as one text
        return Written.of(records), tally
    for record in records:
        if record.line is not None:  # worded here and tallied: the parent writes the line only
            record.scores, record.losses, record.explained = {}, [], []
    return records, tally


@dataclass(frozen=True, slots=True)
class Written:
    """A worker's block of records once worded as JSON lines: the lines as one text — one
    string to send back and to write, where a record each cost the parent a twentieth of a
    millisecond to take back and write — and the id and errors of each project that failed,
    for the run's notes. (A folder's records, which name their input files, come back whole.)"""

    text: str
    failed: tuple[tuple[str, tuple[str, ...]], ...]
    count: int

    @classmethod
    def of(cls, records: list[ScoredProject]) -> Written:
        assert all(r.line is not None for r in records)
        failed = tuple((r.id, tuple(r.errors)) for r in records if r.total is None)
        return cls("".join(r.line for r in records), failed, len(records))  # type: ignore[misc]


def _quiet_collector() -> None:
    """What is loaded by now (the modules, the compiled plan) lives as long as the process:
    moved out of the collector's sight (`gc.freeze`), and the youngest generation let grow, so
    the many short-lived tuples of the records do not trigger passes over it."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


@contextlib.contextmanager
def collector_quiet() -> Iterator[None]:
    """`_quiet_collector` for the time of a loop in this process, the collector as it was
    afterwards, whatever happens (a test or a server may go on in the same process)."""
    import gc

    thresholds = gc.get_threshold()
    _quiet_collector()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def score_block(
    plan: Plan,
    rows: list[Row],
    source: str,
    json_sha256: str | None,
    weight_by: str | None = None,
    summary: bool = True,
    explain: bool = True,
    lang: str = "zh",
) -> tuple[list[ScoredProject], Tally]:
    """Score a block of rows and tally it (its count and failures only, unless `summary`);
    with `json_sha256`, also word each record's JSON line — all of it where the block is
    scored, so that a worker process leaves the parent only the reading and the writing;
    with `explain`, each record says why its leaves lost points, in `lang`."""
    from .portfolio import tally_for

    tally = tally_for(plan.program, weight_by=weight_by, counts_only=not summary)
    records = []
    words = _json_words(json_sha256) if json_sha256 is not None else None
    for row in rows:
        record = score_row(plan, row, source, tally.weight_by, summary, explain, lang)
        if words is not None:
            record.line = _record_line(record, words, explain)
        tally.add(record)
        records.append(record)
    return records, tally


def run_blocks(
    plan: Plan,
    pack_path: str,
    rows: Iterator[Row],
    source: str,
    count: int | None,
    jobs: int,
    json_sha256: str | None = None,
    weight_by: str | None = None,
    summary: bool = True,
    explain: bool = True,
    lang: str = "zh",
) -> Iterator[tuple[list[ScoredProject] | Written, Tally]]:
    """Records in input order, a block at a time with the block's tally (weighted by
    `weight_by`, else by the pack's `portfolio weighted by`; counts only unless `summary`),
    explained in `lang` unless not `explain`; in `jobs` processes when the portfolio is large
    enough."""
    jobs = worker_count(jobs, count)
    if jobs == 1:
        with collector_quiet():
            for block in iter(lambda: list(itertools.islice(rows, BLOCK)), []):
                yield score_block(
                    plan, block, source, json_sha256, weight_by, summary, explain, lang
                )
        return
    # Workers are handed blocks large enough that handing them over costs little next to
    # scoring them.
    blocks = iter(lambda: list(itertools.islice(rows, PARALLEL_BLOCK)), [])
    args = (source, json_sha256, weight_by, summary, explain, lang)
    yield from in_workers(plan, pack_path, jobs, _work, blocks, args)


def in_workers(
    plan: Plan,
    pack_path: str,
    jobs: int,
    work: Any,
    blocks: Iterator[list[Row]],
    args: tuple[Any, ...],
) -> Iterator[Any]:
    """`work(block, *args)` for each block in `jobs` worker processes, the results in input
    order: forked where that is safe (Linux), so each starts with the compiled plan
    (`_WORKER`), else spawned and compiling it from the parent's text (`_init`)."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    ctx = multiprocessing.get_context(method)
    initargs = (pack_path, plan.program.source.text, files.allowed_dirs())
    if method == "fork":
        _WORKER["plan"] = plan
    try:
        with collector_quiet():
            yield from _parallel(ctx, jobs, initargs, work, blocks, args)
    finally:
        _WORKER.pop("plan", None)


def worker_count(jobs: int, count: int | None) -> int:
    """`--jobs`: as given, or (0) one process per core, up to 4, from `PARALLEL_FROM` rows."""
    if jobs > 0:
        return jobs
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cpus or 1, 4) if (count or 0) >= PARALLEL_FROM else 1


def _parallel(
    ctx: Any,
    jobs: int,
    initargs: tuple[Any, ...],
    work: Any,
    blocks: Iterator[list[Row]],
    args: tuple[Any, ...],
) -> Iterator[Any]:
    pool = ctx.Pool(jobs, initializer=_init, initargs=initargs)
    try:
        # A window of blocks in flight, collected oldest first: the output is the serial
        # run's, byte for byte and in order; the parent reads ahead only `window` blocks, so
        # memory stays flat however large the portfolio; and the workers always have a block
        # queued while the parent reads and writes.
        window = 2 * jobs + 1
        pending: collections.deque[Any] = collections.deque()
        for block in blocks:
            pending.append(pool.apply_async(work, (block, *args)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
    except KeyboardInterrupt:
        # Ctrl-C: the pool is left as it is — its shutdown can wait forever on a worker
        # blocked reading its next block (CPython's `Pool.terminate`) — for the command to
        # kill the workers and end the process at once (`cli._stop_now`)
        raise
    except BaseException:
        pool.terminate()
        raise
    pool.terminate()


def _json_words(pack_sha256: str) -> str:
    """The end of every record's JSON line, the same for each (worded once per block)."""
    return json.dumps({"pack_sha256": pack_sha256}, ensure_ascii=False)[1:]


def _record_line(
    record: ScoredProject,
    tail: str,
    explain: bool = True,
    scores: str | None = None,
    losses: str | None = None,
) -> str:
    """`record_json`, with the constant end worded once (`_json_words`); a folder
    portfolio's record, which names its inputs after the digest, is worded in full.
    `scores`, `losses`: the record's `"code": "points"` pieces and its losses as JSON,
    already joined (`batch_columnar` words each distinct piece once for a whole block)."""
    if record.inputs:
        return record_json(record, json.loads("{" + tail)["pack_sha256"], explain=explain)
    # json.dumps(…, ensure_ascii=False) piece by piece, with its own string encoder: the keys
    # are constants, a score is digits (`fixed`), and a leaf's losses are encoded once
    text, keys = _JSON_TEXT, _JSON_KEYS
    total, grade = record.total, record.grade
    if scores is None:
        scores = ", ".join(
            [
                (keys.get(code) or _json_key(code)) + ("null" if v is None else '"' + v + '"')
                for code, v in record.scores.items()  # a score is digits: nothing to escape
            ]
        )
    head = (
        '{"id": '
        + text(record.id)
        + ', "name": '
        + text(record.name)
        + ', "total": '
        + ("null" if total is None else text(total))
        + ', "grade": '
        + ("null" if grade is None else text(grade))
        + ', "scores": {'
        + scores
        + '}, "errors": ['
        + ", ".join(map(text, record.errors))
        + "]"
    )
    if not explain:
        return head + ", " + tail + "\n"
    # each leaf's losses as JSON, worded once per distinct leaf (`_record` shares the entries)
    if losses is None:
        losses = ", ".join(map(entry_json, record.explained))
    return head + ', "losses": [' + losses + "], " + tail + "\n"


#: The string encoder `json.dumps(…, ensure_ascii=False)` itself uses.
_JSON_TEXT = json.encoder.encode_basestring
#: An indicator code as a JSON key, by the code (bounded: codes are a pack's).
_JSON_KEYS: dict[str, str] = {}


def json_key(code: str) -> str:
    """An indicator code as a JSON key of a record's `scores`, with its `: `."""
    return _JSON_KEYS.get(code) or _json_key(code)


def _json_key(code: str) -> str:
    key = _JSON_TEXT(code) + ": "
    if len(_JSON_KEYS) < MEMO_LINES:
        _JSON_KEYS[code] = key
    return key


#: A leaf's losses as JSON, by the identity of its entry (kept with it): `_record` hands out
#: the same entry for the same leaf, so most are encoded once; bounded like the leaves.
_ENTRY_JSON: dict[int, tuple[Explained, str]] = {}


def entry_json(entry: Explained) -> str:
    """A leaf's losses as the JSON of a record's `losses` (`explanation_json`), encoded once
    per entry `_record` hands out."""
    hit = _ENTRY_JSON.get(id(entry))
    if hit is not None and hit[0] is entry:
        return hit[1]
    text = json.dumps(explanation_json([entry])[0], ensure_ascii=False)
    if len(_ENTRY_JSON) < MEMO_LEAVES:
        _ENTRY_JSON[id(entry)] = (entry, text)
    return text


def _record_fields(record: ScoredProject, explain: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "total": record.total,
        "grade": record.grade,
        "scores": record.scores,
        "errors": record.errors,
    }
    if explain:
        fields["losses"] = explanation_json(record.explained)
    return fields


def record_json(record: ScoredProject, pack_sha256: str = "", *, explain: bool = True) -> str:
    """A record as one JSON line; without `explain`, it leaves out why points were lost
    (`losses`), as a points-only run writes it."""
    return (
        json.dumps(
            {
                **_record_fields(record, explain),
                "pack_sha256": pack_sha256,
                **(
                    {"inputs": [{"path": p, "sha256": d} for p, d in record.inputs]}
                    if record.inputs
                    else {}
                ),
            },
            ensure_ascii=False,
        )
        + "\n"
    )


#: The CSV and XLSX header's own columns, by the report's language (`--lang`).
HEADER_WORDS = {"zh": ("名称", "总分", "等级", "错误"), "en": ("name", "total", "grade", "errors")}


class Writer:
    """Per-project results, streamed: JSON lines, CSV, XLSX or Parquet by the file's suffix.
    Each record says why its leaves lost points (JSON `losses`, a 扣分说明 column, a Parquet
    `losses` column) unless `explain` is false (a points-only run)."""

    def __init__(
        self, path: Path | None, program: Program, lang: str = "zh", *, explain: bool = True
    ) -> None:
        self.path = path
        self.lang = lang
        self.explain = explain
        self.codes = [i.code for i in program.indicators]
        self.pack_sha256 = hashlib.sha256(program.source.text.encode("utf-8")).hexdigest()
        names = {i.code: i.name for i in program.indicators}
        name, total, grade, errors = HEADER_WORDS[lang]
        self.header = [
            "id",
            name,
            total,
            grade,
            *[f"{c} {names[c]}" for c in self.codes],
            errors,
            *([words(lang)["losses"]] if explain else []),
        ]
        self.kind = path.suffix.lower().lstrip(".") if path else "jsonl"
        self.book: ResultSheet | None = None
        if path is None:
            self.stream: Any = None
        elif self.kind == "xlsx":
            self.book = ResultSheet(path, program, self.header, lang=lang, explain=explain)
        elif self.kind == "parquet":
            from .arrow import ParquetRecords

            self.parquet = ParquetRecords(
                path, program, self.codes, self.pack_sha256, explain=explain
            )
        else:
            self.stream = path.open("w", encoding="utf-8", newline="")
            if self.kind == "csv":
                self.stream.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
                self.csv = csv.writer(self.stream)
                self.csv.writerow([csv_text(x) for x in self.header])

    def write_text(self, written: Written) -> str | None:
        """A block of JSON lines worded by a worker (`Written`): written at once, or given
        back for standard output."""
        if self.path is None:
            return written.text
        assert self.kind not in ("csv", "xlsx", "parquet")  # only JSON lines are worded ahead
        self.stream.write(written.text)
        return None

    def write(self, record: ScoredProject) -> str | None:
        if self.path is None:
            return record.line or record_json(record, self.pack_sha256, explain=self.explain)
        if self.book is not None:
            self.book.write(record)
        elif self.kind == "csv":
            row = [
                record.id,
                record.name,
                record.total or "",
                record.grade or "",
                *[record.scores.get(c) or "" for c in self.codes],
                "；".join(record.errors),
            ]
            if self.explain:
                row.append(explanation_text(record.explained, self.lang))
            self.csv.writerow([csv_text(x) for x in row])
        elif self.kind == "parquet":
            self.parquet.write(record)
        else:
            self.stream.write(
                record.line or record_json(record, self.pack_sha256, explain=self.explain)
            )
        return None

    @property
    def json_sha256(self) -> str | None:
        """The pack's digest when records are written as JSON lines (so blocks can word them
        where they are scored), else None."""
        return self.pack_sha256 if self.kind == "jsonl" or self.path is None else None

    def close(self) -> None:
        if self.book is not None:
            self.book.close()
        elif self.kind == "parquet":
            self.parquet.close()
        elif self.path is not None:
            self.stream.close()
