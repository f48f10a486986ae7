"""Portfolios in Parquet and Arrow IPC: rows read as the CSV/XLSX sheets' are (`batch`), from
the typed columns `arrow` turns into CSV cell text — same column names, same checks, same
diagnostics, and the same records, byte for byte, as the same table saved as CSV.

A column whose type cannot hold its fact's values (a date for money, a float for a list) stops
the run before any project is scored (E845): every row would fail the same way. A cell with no
exact value (NaN, an infinity, a time of day for a date) fails its own row (E846). Rows are
numbered from 1, as a Parquet file has no header row: "p.parquet, row 3, column `预算金额`".
The file is read a record batch at a time, so memory stays flat in the number of projects.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError

from ..common import messages as msg
from ..common.types import Kind
from . import batch_ids
from .arrow import ColumnarFile, Inexact
from .batch import Row, _columns, _open_table, _problem

if TYPE_CHECKING:
    from ..common.ir import Program


def read_columnar(
    path: Path, program: Program, part: tuple[int, int, int, int] | None = None
) -> tuple[Iterator[Row], int | None, list[Diagnostic]]:
    """Rows of a Parquet or Arrow IPC file, lazily, with how many there are (as
    `batch.read_table`'s: a project id used twice fails its second row). `part`: (row group,
    rows of the file before the part, rows of the group skipped, rows taken) reads part of one
    row group of a Parquet file, numbered as in the whole file, and leaves ids unchecked (a
    partition cannot see the others: `distributed` checks them)."""
    f = _open_table(path)
    try:
        table, id_col, name_col, facts, diags = _header(path, f, program, part)
    except BaseException:
        f.close()
        raise

    columns = tuple((i, fact, "row ", f", column `{fact}`") for i, fact in facts.items())
    read = sorted({id_col, *([name_col] if name_col is not None else []), *facts})
    width = max(read) + 1

    def rows() -> Iterator[Row]:
        number = part[1] if part is not None else 0
        with f:
            for n, cells in table.blocks(read):
                for r in range(n):
                    number += 1
                    values: list[Any] = [None] * width
                    for i in read:
                        values[i] = cells[i][r]
                    if all(v is None for v in values):
                        continue  # an empty row, as in a sheet
                    yield _row(values, number, id_col, name_col, columns, f"{path}, row {number}")

    if part is not None:
        return rows(), table.count, diags
    try:  # a first reading of the id column alone, unless the file is small (`batch_ids`)
        small = table.count is not None and table.count <= batch_ids.RUN
        repeated = None if small else batch_ids.repeats(_ids(table, id_col))
    except BaseException:
        f.close()
        raise
    return batch_ids.unique(rows(), repeated), table.count, diags


def _ids(table: ColumnarFile, id_col: int) -> Iterator[str]:
    """The project id of each row with a cell (as `rows` names it), from the id column alone:
    a row whose other cells are all empty is counted (its id makes it no empty row) unless
    its id is empty too — read again as a whole in the scoring reading, which skips it."""
    number = 0
    for n, cells in table.blocks([id_col]):
        for ident in cells[id_col][:n]:
            number += 1
            text = ident.strip() if isinstance(ident, str) else ""
            yield text or f"row {number}"


def _header(
    path: Path, f: Any, program: Program, part: tuple[int, int, int, int] | None = None
) -> tuple[ColumnarFile, int, int | None, dict[int, str], list[Diagnostic]]:
    """The open file, its id and name columns, its facts' columns and header warnings; a
    column whose type cannot hold what it names stops the run (E845)."""
    if part is None:
        table = ColumnarFile(path, f)
    else:
        table = ColumnarFile(path, f, part[0], (part[2], part[3]))
    where = str(path)
    id_col, name_col, facts, diags = _columns(table.names, program, where)
    for i in (id_col, name_col):
        if i is not None and not table.fits(i, Kind.TEXT, key=True):
            what = "the project's id" if i == id_col else "the project's name"
            raise JixiaoError([msg.column_type(where, table.names[i], table.type_name(i), what)])
    for i, fact in facts.items():
        kind = program.facts[fact].kind
        if not table.fits(i, kind):
            raise JixiaoError([msg.column_type(where, fact, table.type_name(i), f"a {kind} fact")])
    return table, id_col, name_col, facts, diags


def id_problems(
    paths: list[Path], program: Program
) -> tuple[dict[str, dict[int, str]], list[int | None], list[Diagnostic]]:
    """What reading a dataset's files in turn finds before any row is scored, reading only
    their id columns: the headers' problems (raised) and warnings, each file's row count, and,
    by file, each row whose project id an earlier row of the dataset has (row number → its
    problem, E653) — so that partitions scored apart fail the rows one reading fails."""
    counts: list[int | None] = []
    diags: list[Diagnostic] = []

    def ids() -> Iterator[str]:
        for path in paths:
            with _open_table(path) as f:
                table, id_col, _, _, warnings = _header(path, f, program)
                counts.append(table.count)
                diags.extend(warnings)
                yield from _ids(table, id_col)

    def rows() -> Iterator[Row]:
        for path in paths:
            with _open_table(path) as f:
                table, id_col, _, _, _ = _header(path, f, program)
                for number, ident in enumerate(_ids(table, id_col), start=1):
                    # (the file in `name`: these rows are checked, never scored)
                    yield Row(ident, str(path), number, (), (), f"{path}, row {number}")

    repeated = batch_ids.repeats(ids())
    problems: dict[str, dict[int, str]] = {str(p): {} for p in paths}
    if repeated:
        for row in batch_ids.unique(rows(), repeated):
            if row.problem:
                problems[row.name][row.number] = row.problem
    return problems, counts, diags


def _row(
    values: list[Any],
    number: int,
    id_col: int,
    name_col: int | None,
    columns: tuple[tuple[int, str, str, str], ...],
    where: str,
) -> Row:
    ident = values[id_col]
    name = values[name_col] if name_col is not None else None
    problem = ""
    for i, fact, _, _ in columns:
        cell = values[i]
        if isinstance(cell, Inexact):
            at = f"{where}, column `{fact}`"
            problem = _problem(msg.cell_inexact(at, cell.text, cell.why))
            break
    return Row(
        ident.strip() if isinstance(ident, str) and ident.strip() else f"row {number}",
        name.strip() if isinstance(name, str) else "",
        number,
        tuple(values),
        columns,
        where,
        problem=problem,
    )
