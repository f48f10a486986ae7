"""`eval --batch … --points-only`: a portfolio scored over columns (`plan.vector`), with the
ledger path only for the projects the columns cannot decide.

Rows are read and their cells parsed exactly as `batch` does (the same parsers, the same
problems, the same messages), a block at a time; the block's facts become columns, and every
leaf, branch, total and grade of the block is computed at once, exactly. A project the columns
leave undecided (a missing or 不适用 fact it reads, a division by zero on its way, numbers past
64 bits) is scored by the ledger path, so its record is the ledger path's — points, or its
errors. The records are those of `eval --batch`, byte for byte, without the explanations: a
project's whole ledger is `--explain ID` away.

A pack with a rule the columns cannot run (see `plan.vector`) is scored by the ledger path
throughout, with a warning naming the rule (W860).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..common.types import Kind
from ..runtime.evaluator import evaluate
from . import batch
from .batch import (
    EMPTY,
    Row,
    _json_words,
    _record,
    _record_line,
    cell_value,
    collector_quiet,
    column_memos,
    row_evidence,
    score_row,
)
from .portfolio import ScoredProject, tally_for

if TYPE_CHECKING:
    from ..plan.compiler import Plan
    from ..plan.vector import VectorPlan
    from .portfolio import Tally

#: Projects scored together: large enough that numpy's work per column dwarfs the Python around
#: it, small enough that a block's columns stay a few megabytes.
BLOCK = 4096


def vector_plan(plan: Plan) -> tuple[VectorPlan | None, str | None]:
    """The pack over columns, compiled once per plan; else None and why not."""
    memo = plan.memo
    if "vector" not in memo:
        from ..plan.vector import NotVectorised, compile_vector

        try:
            memo["vector"] = (compile_vector(plan), None)
        except NotVectorised as exc:
            memo["vector"] = (None, str(exc))
    found: tuple[VectorPlan | None, str | None] = memo["vector"]
    return found


def columnar_blocks(
    plan: Plan,
    vp: VectorPlan,
    rows: Iterator[Row],
    source: str,
    json_sha256: str | None,
    jobs: int = 1,
    pack_path: str = "",
) -> Iterator[tuple[list[ScoredProject] | batch.Written, Tally]]:
    """Records in input order, a block at a time with the block's counts (as
    `batch.run_blocks` gives them, without a summary); in `jobs` processes, each block scored
    and worded where it is scored, in order, byte for byte as one process writes them. By
    default (0) one process: the columns score a row in less time than it takes to hand the
    row to another process and take its record back (bench/README.md), so a second process
    only pays where reading is cheaper than it is here."""
    jobs = jobs if jobs > 0 else 1
    blocks = iter(lambda: list(itertools.islice(rows, BLOCK)), [])
    if jobs == 1:
        with collector_quiet():
            for block in blocks:
                yield score_columns(plan, vp, block, source, json_sha256)
        return
    yield from batch.in_workers(plan, pack_path, jobs, _work, blocks, (source, json_sha256))


def _work(
    rows: list[Row], source: str, json_sha256: str | None
) -> tuple[list[ScoredProject] | batch.Written, Tally]:
    plan = batch._WORKER["plan"]
    vp = vector_plan(plan)[0]
    assert vp is not None  # the parent compiled the same pack over columns
    records, tally = score_columns(plan, vp, rows, source, json_sha256)
    if json_sha256 is not None:  # worded here: the parent only writes the lines, as one text
        return batch.Written.of(records), tally
    return records, tally


def score_columns(
    plan: Plan, vp: VectorPlan, rows: list[Row], source: str, json_sha256: str | None
) -> tuple[list[ScoredProject], Tally]:
    import numpy as np

    from ..plan.vector import run
    from ..runtime.columnar import MISSING, encode, ledger_leaves, take

    program = plan.program
    places = program.settings.places
    n = len(rows)
    records: list[ScoredProject | None] = [None] * n
    tables, codes, slow = _cells(plan, vp, rows, source)
    # the rows a cell of which is not plainly a clean text: read by `row_evidence`, which
    # words their problems (a row with one fails, as it does without `--points-only`)
    memos = column_memos(program, plan.memo)
    evidences: dict[int, Any] = {}
    for i in np.flatnonzero(slow).tolist():
        row = rows[i]
        if row.problem or row.path is not None:
            records[i] = score_row(plan, row, source, summary=False, explain=False)
            continue
        evidence, problems = row_evidence(row, program, source, memos)
        if evidence is None:
            records[i] = ScoredProject(row.id, row.name, None, None, {}, problems)
            continue
        evidences[i] = evidence
        for name in vp.facts:  # its values join the tables
            table = tables[name]
            codes[name][i] = len(table)
            table.append(evidence.values.get(name, vp.defaults.get(name, MISSING)))
    keep = [i for i in range(n) if records[i] is None]
    if keep:
        picked = np.array(keep, dtype=np.intp) if len(keep) < n else None
        cols = {}
        for name, kind in vp.facts.items():
            c = codes[name] if picked is None else codes[name][picked]
            cols[name] = take(encode(kind, tables[name]), c)
        ledger = None
        if vp.ledger:  # the leaves no column runs: the ledger path's closures, project by project
            rows_read = [
                {name: tables[name][codes[name][i]] for name in vp.ledger_reads if name in tables}
                for i in keep
            ]
            ledger = ledger_leaves(plan, vp, rows_read)
        scored = run(vp, cols, len(keep), ledger)
        lines = _Lines(plan, vp, json_sha256)
        by_row = lines.scores(scored.points)
        totals = lines.texts(scored.total)
        grades = [label for _, label in vp.grades]
        decided, grade = scored.decided.tolist(), scored.grade.tolist()
        for j, i in enumerate(keep):
            row = rows[i]
            if decided[j]:
                record = ScoredProject(row.id, row.name, totals[j], grades[grade[j]], {}, [])
                lines.fill(record, by_row[j])
                records[i] = record
                continue
            evidence = evidences.get(i)
            if evidence is None:
                evidence, problems = row_evidence(row, program, source, memos)
                assert evidence is not None, problems  # its cells were read cleanly
            # the ledger path decides it: its points, or its errors
            records[i] = _record(row, evaluate(plan, evidence), places, plan.memo, False, False)
    tally = tally_for(program, counts_only=True)
    tail = _json_words(json_sha256) if json_sha256 is not None else None
    out: list[ScoredProject] = []
    for entry in records:
        assert entry is not None
        record = entry
        if tail is not None and record.line is None:
            record.line = _record_line(record, tail, False)
        tally.add(record)
        out.append(record)
    return out, tally


def _cells(
    plan: Plan, vp: VectorPlan, rows: list[Row], source: str
) -> tuple[dict[str, list[Any]], dict[str, Any], Any]:
    """Each fact's cells in a block of rows: a table of its distinct values and each row's
    code into it — each distinct text read once, as `batch.cell_value` reads it (the same
    value, remembered the same way) — and the rows that must be read one by one: a cell with
    a problem or not plain text, a row from a folder or past a sheet's problem, a row laid
    out differently from the first."""
    import itertools

    import numpy as np

    from ..runtime.columnar import MISSING

    program = plan.program
    memos = column_memos(program, plan.memo)
    n = len(rows)
    slow = np.zeros(n, dtype=bool)
    layout = rows[0].columns
    for i, row in enumerate(rows):
        if row.problem or row.path is not None or row.columns is not layout:
            slow[i] = True
    by_column = list(itertools.zip_longest(*(row.values for row in rows)))
    tables: dict[str, list[Any]] = {}
    codes: dict[str, Any] = {}
    given = set()
    for at, name, _, _ in layout:
        given.add(name)
        kind = program.facts[name].kind
        default = () if kind is Kind.LIST else vp.defaults.get(name, MISSING)
        cells = by_column[at] if at < len(by_column) else (None,) * n
        index = {c: k for k, c in enumerate(dict.fromkeys(cells))}
        code = list(map(index.__getitem__, cells))
        memo = memos[name]
        table, bad = [], []
        for cell in index:
            value = memo.get(cell, _UNSEEN) if type(cell) is str else _UNSEEN
            problem = None
            if value is _UNSEEN:
                if cell is None:
                    value = EMPTY
                elif type(cell) is str:
                    value, problem = cell_value(program, name, cell, "", source, memos)
                else:
                    problem = "typed"  # a typed XLSX cell: read with its row
            if value is EMPTY:
                value = default
            table.append(value)
            bad.append(problem is not None)
        array = np.array(code, dtype=np.intp)
        if any(bad):
            slow |= np.array(bad, dtype=bool)[array]
        tables[name], codes[name] = table, array
    for name in vp.facts.keys() - given:  # a fact with no column: its default, or missing
        tables[name], codes[name] = [vp.defaults.get(name, MISSING)], np.zeros(n, dtype=np.intp)
    return tables, codes, slow


_UNSEEN: Any = object()


class _Lines:
    """Points in units of the pack's last place, worded as the records word them
    (`batch._fixed`, with its memo), each distinct value once per block; and, for JSON lines,
    each record's line from `"code": "points"` pieces worded once per block."""

    def __init__(self, plan: Plan, vp: VectorPlan, json_sha256: str | None) -> None:
        self.places = vp.places
        self.worded: dict[Decimal, str] = plan.memo.setdefault("worded", {})
        self.codes = [ind.code for ind in vp.program.indicators]
        self.json = json_sha256 is not None
        self.keys = [batch.json_key(c) + '"' for c in self.codes]
        self.tail = _json_words(json_sha256) if json_sha256 is not None else ""

    def texts(self, units: Any, key: str | None = None) -> list[str]:
        """Each project's points worded (or, with `key`, its `"code": "points"` piece of a
        JSON line): each distinct value once, the same string object for every project."""
        import numpy as np

        values, inverse = np.unique(units, return_inverse=True)
        places, worded = self.places, self.worded
        texts = [batch._fixed(Decimal(u).scaleb(-places), places, worded) for u in values.tolist()]
        if key is not None:
            texts = [key + text + '"' for text in texts]
        shared = np.array(texts, dtype=object)[inverse.reshape(-1)]
        return shared.tolist()  # type: ignore[no-any-return]

    def scores(self, points: list[Any]) -> list[tuple[str, ...]]:
        """Each project's points, indicator by indicator: their texts, or (for JSON lines)
        the `"code": "points"` pieces of its line."""
        columns = [
            self.texts(column, key if self.json else None)
            for key, column in zip(self.keys, points, strict=True)
        ]
        return list(zip(*columns, strict=True))

    def fill(self, record: ScoredProject, worded: tuple[str, ...]) -> None:
        if self.json:
            record.line = _record_line(record, self.tail, False, ", ".join(worded))
        else:
            record.scores = dict(zip(self.codes, worded, strict=True))


__all__ = ["columnar_blocks", "score_columns", "vector_plan"]
