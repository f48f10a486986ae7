"""`jixiao diff --batch`: a portfolio scored with both packs, in step, and what changed.

Both plans are compiled once. The portfolio is read as `eval --batch` reads it (`batch`: the
same sheet and folder rules, the same row errors); when both packs declare the same facts, each
row is read into evidence once and evaluated by both plans, otherwise it is read once per pack.
Only what the impact needs is kept of each result (total, grade, each indicator's points), not
the summary's reasons. From `batch.PARALLEL_FROM` rows (or with `--jobs`), blocks of rows go to
worker processes, each holding both plans, collected in input order.

The mean and spread of Δ total are computed exactly from running sums (Σ Δ, Σ Δ²) in a
60-digit context and rounded half up once, to the new pack's places plus `EXTRA_PLACES`.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any, NamedTuple

from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Source

from ..common.ir import Program
from ..common.result import Result
from ..plan.compiler import Plan
from ..runtime import files
from ..runtime.evaluator import evaluate
from .batch import BLOCK, Row, read_folder, read_table, row_evidence, score_row, worker_count
from .diff import delta_of, indicator_rows
from .portfolio import ScoredProject

#: Means and spreads of Δ are exact, then rounded half up to this many places beyond the pack's.
EXTRA_PLACES = 2
EXACT = Context(prec=60)


@dataclass(slots=True)
class ProjectDelta:
    id: str
    name: str
    old: Decimal | None
    new: Decimal | None
    old_grade: str | None
    new_grade: str | None
    errors: list[str]

    @property
    def delta(self) -> Decimal | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def changed(self) -> bool:
        return self.old != self.new or self.old_grade != self.new_grade


@dataclass(slots=True)
class BatchImpact:
    """What a revision does to a portfolio, accumulated project by project."""

    old_program: Program
    new_program: Program
    projects: int = 0
    scored: int = 0  # by both packs
    changed: list[ProjectDelta] = field(default_factory=list)
    failed: list[ProjectDelta] = field(default_factory=list)  # by either pack
    flips: dict[tuple[str, str], int] = field(default_factory=dict)
    drivers: dict[str, tuple[Decimal, int]] = field(default_factory=dict)  # Σ|Δ|, projects
    total_delta: Decimal = Decimal(0)
    squares: Decimal = Decimal(0)
    low: Decimal | None = None
    high: Decimal | None = None

    def add(self, old: Kept, new: Kept, rows: list[tuple[str, str | None]]) -> None:
        self.projects += 1
        p = ProjectDelta(
            new.id,
            new.name or old.name,
            old.total,
            new.total,
            old.grade,
            new.grade,
            [*(f"old pack: {e}" for e in old.errors), *(f"new pack: {e}" for e in new.errors)],
        )
        if p.old is None or p.new is None:
            self.failed.append(p)
            if p.old is not None or p.new is not None:
                self.changed.append(p)  # scored by one pack only: a change a user must see
            return
        self.scored += 1
        d = p.new - p.old
        self.total_delta += d
        self.squares += d * d
        self.low = d if self.low is None else min(self.low, d)
        self.high = d if self.high is None else max(self.high, d)
        key = (p.old_grade or "—", p.new_grade or "—")
        self.flips[key] = self.flips.get(key, 0) + 1
        moved = False
        for code, old_code in rows:
            a = old.scores.get(old_code) if old_code is not None else None
            b = new.scores.get(code)
            if a == b:
                continue
            moved = True
            x = delta_of(a, b)
            if x:
                total, n = self.drivers.get(code, (Decimal(0), 0))
                self.drivers[code] = (total + abs(x), n + 1)
        if moved or p.changed:  # the total, the grade or an indicator's points
            self.changed.append(p)

    @property
    def places(self) -> int:
        return self.new_program.settings.places + EXTRA_PLACES

    def _rounded(self, value: Decimal) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)

    @property
    def mean(self) -> Decimal | None:
        if not self.scored:
            return None
        return self._rounded(EXACT.divide(self.total_delta, Decimal(self.scored)))

    @property
    def spread(self) -> Decimal | None:
        """The population standard deviation of Δ: √(Σ Δ² ÷ n − mean²), exact to 60 digits."""
        if not self.scored:
            return None
        n = Decimal(self.scored)
        mean = EXACT.divide(self.total_delta, n)
        variance = EXACT.subtract(EXACT.divide(self.squares, n), EXACT.multiply(mean, mean))
        return self._rounded(EXACT.sqrt(max(variance, Decimal(0))))

    def ranked_drivers(self) -> list[tuple[str, Decimal, int]]:
        return sorted(
            ((code, s, n) for code, (s, n) in self.drivers.items()),
            key=lambda t: (-t[1], t[0]),
        )

    @property
    def any_change(self) -> bool:
        return bool(self.changed)


# ----- scoring in step ----------------------------------------------------------------------------


class Kept(NamedTuple):
    """What the impact keeps of one project's result under one pack: its total, grade and each
    indicator's points, rounded as `eval --batch` writes them (None: not scored)."""

    id: str
    name: str
    total: Decimal | None
    grade: str | None
    scores: dict[str, Decimal | None]
    errors: list[str]


def _kept(row: Row, result: Result, places: int) -> Kept:
    step = Decimal(1).scaleb(-places)
    scores = {
        ind.code: (points.quantize(step, ROUND_HALF_UP) if points is not None else None)
        for ind, (points, _, _, _) in result.ledger.raw()
    }
    errors = [d.message for d in result.diagnostics if d.is_error]
    total = result.total.quantize(step, ROUND_HALF_UP) if result.total is not None else None
    grade = result.grade if not result.disqualified else "取消资格"
    return Kept(row.id, row.name, total, grade, scores, errors)


def _of(p: ScoredProject) -> Kept:
    scores = {c: Decimal(v) if v is not None else None for c, v in p.scores.items()}
    total = Decimal(p.total) if p.total is not None else None
    return Kept(p.id, p.name, total, p.grade, scores, p.errors)


def score_pair(
    old: Plan, new: Plan, rows: tuple[Row, Row], source: str, shared: bool
) -> tuple[Kept, Kept]:
    """One project under both packs; with `shared` facts, its row is read into evidence once."""
    a, b = rows
    if not shared or a.path is not None or a.problem:
        return (
            _of(score_row(old, a, source, summary=False, explain=False)),
            _of(score_row(new, b, source, summary=False, explain=False)),
        )
    evidence, problems = row_evidence(a, old.program, source)
    if evidence is None:
        failed = Kept(a.id, a.name, None, None, {}, problems)
        return failed, failed
    places = old.program.settings.places, new.program.settings.places
    return (
        _kept(a, evaluate(old, evidence), places[0]),
        _kept(b, evaluate(new, evidence), places[1]),
    )


_WORKER: dict[str, Any] = {}


def _init(packs: tuple[tuple[str, str], tuple[str, str]], allowed: tuple[str, ...]) -> None:
    """A worker compiles both packs from the texts the parent read (see `batch._init`)."""
    from .. import compile_source

    files.set_allowed(allowed)
    _WORKER["plans"] = tuple(compile_source(Source(path, text))[0] for path, text in packs)


def _work(block: list[tuple[Row, Row]], source: str, shared: bool) -> list[tuple[Kept, Kept]]:
    old, new = _WORKER["plans"]
    return [score_pair(old, new, rows, source, shared) for rows in block]


def _scored(
    old: Plan,
    new: Plan,
    pairs: Iterator[tuple[Row, Row]],
    source: str,
    count: int | None,
    jobs: int,
) -> Iterator[list[tuple[Kept, Kept]]]:
    """Blocks of scored pairs in input order; in `jobs` processes (0: as `eval --batch`)."""
    shared = old.program.facts == new.program.facts
    jobs = worker_count(jobs, count)
    blocks = iter(lambda: list(itertools.islice(pairs, BLOCK)), [])
    if jobs == 1:
        for block in blocks:
            yield [score_pair(old, new, rows, source, shared) for rows in block]
        return
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    packs = (
        (old.program.source.path, old.program.source.text),
        (new.program.source.path, new.program.source.text),
    )
    with ctx.Pool(jobs, initializer=_init, initargs=(packs, files.allowed_dirs())) as pool:
        window = 2 * jobs + 1  # as `batch.run_blocks`: bounded read-ahead, output in order
        pending: collections.deque[Any] = collections.deque()
        for block in blocks:
            pending.append(pool.apply_async(_work, (block, source, shared)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def impact_batch(
    old_plan: Plan, new_plan: Plan, sheet: Path, jobs: int = 0
) -> tuple[BatchImpact, list[Diagnostic]]:
    """Score every project of a sheet or folder with both packs, in step, and tally the
    differences; the reading's warnings come back (a column either pack reads is no stray)."""
    diags: list[Diagnostic] = []
    shared = old_plan.program.facts == new_plan.program.facts

    def rows(plan: Plan) -> tuple[Iterator[Row], int | None]:
        if sheet.is_dir():
            it, count, d = read_folder(sheet)
        else:
            it, count, d = read_table(sheet, plan.program)
        diags.extend(x for x in d if x not in diags)
        return it, count

    old_rows, count = rows(old_plan)
    if shared:
        pairs: Iterator[tuple[Row, Row]] = ((r, r) for r in old_rows)
    else:
        new_rows, _ = rows(new_plan)
        pairs = zip(old_rows, new_rows, strict=True)
    known = set(old_plan.program.facts) | set(new_plan.program.facts)
    diags = [
        d
        for d in diags
        if not (d.code == "W620" and any(f"column `{n}` " in d.message for n in known))
    ]
    impact = BatchImpact(old_plan.program, new_plan.program)
    # the leaves only: a parent's Δ is its children's, counted there
    new_codes = {i.code for i in new_plan.program.indicators}
    leaves = {i.code for i in new_plan.program.indicators if i.is_leaf}
    leaves |= {i.code for i in old_plan.program.indicators if i.is_leaf} - new_codes
    codes = [
        (code, old_code)
        for code, old_code, _ in indicator_rows(old_plan.program, new_plan.program)
        if code in leaves
    ]
    for block in _scored(old_plan, new_plan, pairs, str(sheet), count, jobs):
        for a, b in block:
            impact.add(a, b, codes)
    return impact, diags
