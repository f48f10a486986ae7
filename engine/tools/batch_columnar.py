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
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

from ..common.types import Kind
from ..render.explain import lost_parts
from ..runtime.evaluator import evaluate
from . import batch
from .batch import (
    EMPTY,
    Row,
    _explained,
    _json_words,
    _record,
    _record_line,
    cell_value,
    collector_quiet,
    column_memos,
    row_evidence,
    score_row,
)
from .portfolio import Explained, ScoredProject, tally_for

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
    explain: bool = False,
    lang: str = "zh",
    summary: bool = False,
    weight_by: str | None = None,
) -> Iterator[tuple[list[ScoredProject] | batch.Written, Tally]]:
    """Records in input order, a block at a time with the block's tally (as
    `batch.run_blocks` gives them: counts only, unless `summary`); in `jobs` processes, each
    block scored and worded where it is scored, in order, byte for byte as one process writes
    them. By default (0) one process: the columns score a row in less time than it takes to
    hand the row to another process and take its record back (bench/README.md), so a second
    process only pays where reading is cheaper than it is here."""
    jobs = jobs if jobs > 0 else 1
    blocks = iter(lambda: list(itertools.islice(rows, BLOCK)), [])
    if jobs == 1:
        with collector_quiet():
            for block in blocks:
                yield score_columns(
                    plan, vp, block, source, json_sha256, explain, lang, summary, weight_by
                )
        return
    asked = (source, json_sha256, explain, lang, summary, weight_by)
    yield from batch.in_workers(plan, pack_path, jobs, _work, blocks, asked)


def _work(
    rows: list[Row],
    source: str,
    json_sha256: str | None,
    explain: bool,
    lang: str,
    summary: bool,
    weight_by: str | None,
) -> tuple[list[ScoredProject] | batch.Written, Tally]:
    plan = batch._WORKER["plan"]
    vp = vector_plan(plan)[0]
    assert vp is not None  # the parent compiled the same pack over columns
    records, tally = score_columns(
        plan, vp, rows, source, json_sha256, explain, lang, summary, weight_by
    )
    if json_sha256 is not None:  # worded here: the parent only writes the lines, as one text
        return batch.Written.of(records), tally
    return records, tally


def score_columns(
    plan: Plan,
    vp: VectorPlan,
    rows: list[Row],
    source: str,
    json_sha256: str | None,
    explain: bool = False,
    lang: str = "zh",
    summary: bool = False,
    weight_by: str | None = None,
) -> tuple[list[ScoredProject], Tally]:
    """The block's records, in order, and its tally; with `explain`, each says why its leaves
    lost points (`batch._record`'s `explained`), worded from the ledger of those leaves alone;
    with `summary`, the tally is the summary's (each record's points, losses and weight, by
    `weight_by` or the pack's `portfolio weighted by`), as `batch.score_block` tallies it
    (a summary tallies the reasons: it comes with them, never with `--points-only`)."""
    assert explain or not summary
    import numpy as np

    from ..plan.vector import run
    from ..runtime.columnar import MISSING, encode, ledger_leaves, take

    program = plan.program
    places = program.settings.places
    n = len(rows)
    records: list[ScoredProject | None] = [None] * n
    tally = tally_for(program, weight_by=weight_by, counts_only=not summary)
    weigh = tally.weight_by if summary else None
    tables, codes, slow, read = _cells(plan, vp, rows, source)
    # the rows a cell of which is not plainly a clean text: read by `row_evidence`, which
    # words their problems (a row with one fails, as it does without `--points-only`)
    memos = column_memos(program, plan.memo)
    evidences: dict[int, Any] = {}
    for i in np.flatnonzero(slow).tolist():
        row = rows[i]
        if row.problem or row.path is not None:
            records[i] = score_row(plan, row, source, weigh, summary, explain, lang)
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
        said = (
            _explain(
                plan, vp, rows, keep, codes, read, slow, scored, evidences, source, lang, summary
            )
            if explain
            else None
        )
        lines = _Lines(plan, vp, json_sha256, explain, summary)
        by_row, pieces = lines.scores(scored.points)
        totals = lines.texts(scored.total)
        grades = [label for _, label in vp.grades]
        decided, grade = scored.decided.tolist(), scored.grade.tolist()
        for j, i in enumerate(keep):
            row = rows[i]
            if decided[j]:
                record = ScoredProject(row.id, row.name, totals[j], grades[grade[j]], {}, [])
                if said is not None:
                    record.explained = said[0][j]
                    if summary:
                        record.losses = said[2][j]
                if weigh is not None:
                    record.weight = _weight(weigh, i, evidences, read, codes)
                lines.fill(record, by_row, pieces, j, said[1][j] if said is not None else None)
                records[i] = record
                continue
            evidence = evidences.get(i)
            if evidence is None:
                evidence, problems = row_evidence(row, program, source, memos)
                assert evidence is not None, problems  # its cells were read cleanly
            # the ledger path decides it: its points, or its errors
            result = evaluate(plan, evidence)
            record = _record(row, result, places, plan.memo, summary, explain, lang, program)
            if summary:
                record.weight = batch._weight(evidence, weigh)
            records[i] = record
    tail = _json_words(json_sha256) if json_sha256 is not None else None
    out: list[ScoredProject] = []
    for entry in records:
        assert entry is not None
        record = entry
        if tail is not None and record.line is None:
            record.line = _record_line(record, tail, explain)
        tally.add(record)
        out.append(record)
    return out, tally


def _explain(
    plan: Plan,
    vp: VectorPlan,
    rows: list[Row],
    keep: list[int],
    codes: dict[str, Any],
    read: dict[str, list[Any]],
    slow: Any,
    scored: Any,
    evidences: dict[int, Any],
    source: str,
    lang: str,
    summary: bool = False,
) -> tuple[list[list[Explained]], list[str], list[list[tuple[str, str, str]]]]:
    """Each kept project's `explained`, as `batch._record` words it, the same as the JSON of
    its record's `losses`, and (with `summary`) its losses as the summary tallies them.

    For each leaf that lost points: its entry from the plan's memo of leaves known by the
    cells they read (the memo `batch._record` keeps, `batch._cells_key`), else worded from
    the ledger of that leaf alone (`evaluator.leaves_only`) — once per distinct set of those
    cells in the block, and one partial evaluation per project, however many of its leaves
    were not known. Where that ledger does not give the points the columns gave, the leaf's
    projects are marked undecided (`scored.decided`): the ledger path scores them whole."""
    import numpy as np

    from ..runtime.evaluator import leaves_only

    program = plan.program
    memo = plan.memo
    by_cells = memo.setdefault("leaves", {}).setdefault((lang, summary, True), ({}, {}))[0]
    worded: dict[Decimal, str] = memo.setdefault("worded", {})
    places = vp.places
    at = np.array(keep, dtype=np.intp)
    slow_kept = slow[at]
    decided = scored.decided
    # per leaf that lost points somewhere: its place, the (kept) projects, each one's set of
    # cells in the block, and an entry per set
    found: list[tuple[int, Any, Any, list[Explained | None]]] = []
    tallied: list[list[list[tuple[str, str, str]]]] = []  # per leaf, per set: `_losses_of`
    misses: dict[int, list[tuple[int, int]]] = {}  # a project → (leaf, set) it stands for
    keys: dict[tuple[int, int], Any] = {}
    for place, ind in enumerate(program.indicators):
        if ind.children:
            continue
        js = np.flatnonzero(decided & (scored.points[place] < _units_of(ind.weight, places)))
        if not js.size:
            continue
        same = _same_cells(ind, program, memo, codes, at[js], slow_kept[js])
        _, first, inverse = np.unique(same, return_index=True, return_inverse=True)
        entries: list[Explained | None] = [None] * len(first)
        losses: list[list[tuple[str, str, str]]] = [[] for _ in first]
        number = len(found)
        for k, f in enumerate(first.tolist()):
            j = int(js[f])
            row = rows[keep[j]]
            where = batch._read_cells(row, program, memo)
            idx = where.get(id(ind)) if where is not None else None
            if idx is not None:
                key: Any = batch._cells_key(ind, row.values, idx)
                try:
                    hit = by_cells.get(key)
                except TypeError:  # a cell that does not hash: worded, not remembered
                    hit = key = None
                if hit is not None and hit[0] is ind:
                    entries[k], losses[k] = hit[1], hit[2]
                    continue
                keys[number, k] = key
            misses.setdefault(j, []).append((number, k))
        found.append((place, js, inverse.reshape(-1), entries))
        tallied.append(losses)
    # the cells the block has read, of each project not known (but those read one by one)
    unread = [keep[j] for j in misses if keep[j] not in evidences]
    columns = [read[c[1]] for c in rows[unread[0]].columns] if unread else []
    grid = iter(
        np.stack([codes[c[1]][unread] for c in rows[unread[0]].columns], axis=1).tolist()
        if unread
        else []
    )
    for j, wanted in misses.items():
        i = keep[j]
        evidence = evidences.get(i)  # a row read one by one
        if evidence is None:  # … or from the cells the block has read
            given = list(map(list.__getitem__, columns, next(grid)))
            evidence = batch.evidence_of(rows[i], program, source, given)
        got = leaves_only(plan, evidence, [found[number][0] for number, _ in wanted])
        for number, k in wanted:
            place, projects, sets, entries = found[number]
            ind = program.indicators[place]
            entry: Explained | None = None
            if got is not None:
                result, records = got
                points, lines, failures, _ = records[place]
                units = int(scored.points[place][j])
                if points is not None and not failures and points.scaleb(places) == units:
                    parts = lost_parts(ind.weight, points, lines)
                    entry = _explained(
                        ind, points, lines, parts, result, places, lang, worded, memo
                    )
                    lost = batch._losses_of(ind, lines, parts) if summary else []
                    tallied[number][k] = lost
                    known = keys.get((number, k))
                    if known is not None and len(by_cells) < batch.MEMO_LEAVES:
                        by_cells[known] = (ind, entry, lost)
            if entry is None:  # not the columns' points: the ledger path decides them whole
                decided[projects[sets == k]] = False
            entries[k] = entry
    # a project a row, a leaf a column (in tree order, as `batch._record`): its entry, and
    # the entry as JSON, each encoded once per set of cells; None where it lost nothing
    said = np.full((len(keep), max(len(found), 1)), None, dtype=object)
    texts = np.full(said.shape, None, dtype=object)
    tally = np.full(said.shape, None, dtype=object) if summary else None
    for column, (_, projects, sets, entries) in enumerate(found):
        held, encoded = np.empty(len(entries), dtype=object), np.empty(len(entries), dtype=object)
        for s, entry_of in enumerate(entries):  # (assigned one by one: an entry is a tuple)
            held[s] = entry_of
            encoded[s] = batch.entry_json(entry_of) if entry_of is not None else None
        said[projects, column] = held[sets]
        texts[projects, column] = encoded[sets]
        if tally is not None:
            reasons = np.empty(len(entries), dtype=object)
            for s, losses_of in enumerate(tallied[column]):
                reasons[s] = losses_of
            tally[projects, column] = reasons[sets]
    return (
        [[e for e in row if e is not None] for row in said.tolist()],
        [", ".join([t for t in row if t is not None]) for row in texts.tolist()],
        [[x for part in row if part for x in part] for row in tally.tolist()]
        if tally is not None
        else [],
    )


def _weight(
    name: str, i: int, evidences: dict[int, Any], read: dict[str, list[Any]], codes: Any
) -> str | None:
    """The project's amount for the summary's weighted means, as `batch._weight` reads it
    from its evidence: a number its cell gives (not a default, not 不适用), else None."""
    evidence = evidences.get(i)
    if evidence is not None:
        return batch._weight(evidence, name)
    cells = read.get(name)
    value = cells[codes[name][i]] if cells is not None else None
    return str(value) if isinstance(value, Decimal) else None


def _units_of(weight: Decimal, places: int) -> int:
    """The least whole number of units (of the pack's last place) not below `weight`: points
    in units below it are below the weight."""
    return int(weight.scaleb(places).to_integral_value(rounding=ROUND_CEILING))


def _same_cells(
    ind: Any, program: Any, memo: dict[str, Any], codes: dict[str, Any], at: Any, slow: Any
) -> Any:
    """For projects `at`, a number each, the same for projects whose cells that `ind` reads
    (`batch._depends`) hold the same texts: their codes into the block's tables of distinct
    cells, combined. A project read one by one (`slow`) has numbers of its own, as has every
    project of a leaf that reads more than facts."""
    import numpy as np

    depends = memo.setdefault("depends", {})
    if id(ind) not in depends:
        depends[id(ind)] = (ind, batch._depends(ind, program))
    names = depends[id(ind)][1]
    n = len(at)
    if names is None:
        return np.arange(n)
    same = np.zeros(n, dtype=np.int64)
    for name in names:
        c = codes.get(name)
        if c is None:  # no column: the pack's default (or missing) for every project
            continue
        c = c[at]
        same = same * (int(c.max()) + 1) + c
        same = np.unique(same, return_inverse=True)[1].reshape(-1)  # below n: never overflows
    if slow.any():
        same[slow] = n + np.arange(int(slow.sum()))
    return same


def _cells(
    plan: Plan, vp: VectorPlan, rows: list[Row], source: str
) -> tuple[dict[str, list[Any]], dict[str, Any], Any, dict[str, list[Any]]]:
    """Each fact's cells in a block of rows: a table of its distinct values (and the same
    cells as read, EMPTY where empty, for a row's evidence: `batch.evidence_of`) and each
    row's code into it — each distinct text read once, as `batch.cell_value` reads it (the same
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
    read: dict[str, list[Any]] = {}  # a column's distinct cells as read, EMPTY for an empty one
    given = set()
    for at, name, _, _ in layout:
        given.add(name)
        kind = program.facts[name].kind
        default = () if kind is Kind.LIST else vp.defaults.get(name, MISSING)
        cells = by_column[at] if at < len(by_column) else (None,) * n
        index = {c: k for k, c in enumerate(dict.fromkeys(cells))}
        code = list(map(index.__getitem__, cells))
        memo = memos[name]
        table, bad, cell_values = [], [], []
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
            cell_values.append(value)
            if value is EMPTY:
                value = default
            table.append(value)
            bad.append(problem is not None)
        array = np.array(code, dtype=np.intp)
        if any(bad):
            slow |= np.array(bad, dtype=bool)[array]
        tables[name], codes[name], read[name] = table, array, cell_values
    for name in vp.facts.keys() - given:  # a fact with no column: its default, or missing
        tables[name], codes[name] = [vp.defaults.get(name, MISSING)], np.zeros(n, dtype=np.intp)
    return tables, codes, slow, read


_UNSEEN: Any = object()


class _Lines:
    """Points in units of the pack's last place, worded as the records word them
    (`batch._fixed`, with its memo), each distinct value once per block; and, for JSON lines,
    each record's line from `"code": "points"` pieces worded once per block."""

    def __init__(
        self,
        plan: Plan,
        vp: VectorPlan,
        json_sha256: str | None,
        explain: bool = False,
        summary: bool = False,
    ) -> None:
        self.explain = explain
        self.summary = summary  # the tally reads each record's points: kept as texts too
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

    def scores(self, points: list[Any]) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
        """Each project's points, indicator by indicator, as texts (for a record that is not
        a JSON line, or one the summary tallies), and for JSON lines as the `"code":
        "points"` pieces of its line."""
        plain: list[tuple[str, ...]] = []
        pieces: list[tuple[str, ...]] = []
        if not self.json or self.summary:
            plain = list(zip(*[self.texts(column) for column in points], strict=True))
        if self.json:
            columns = [self.texts(c, k) for k, c in zip(self.keys, points, strict=True)]
            pieces = list(zip(*columns, strict=True))
        return plain, pieces

    def fill(
        self,
        record: ScoredProject,
        plain: list[tuple[str, ...]],
        pieces: list[tuple[str, ...]],
        j: int,
        losses: str | None,
    ) -> None:
        if plain:
            record.scores = dict(zip(self.codes, plain[j], strict=True))
        if self.json:
            scores = ", ".join(pieces[j])
            record.line = _record_line(record, self.tail, self.explain, scores, losses)


__all__ = ["columnar_blocks", "score_columns", "vector_plan"]
