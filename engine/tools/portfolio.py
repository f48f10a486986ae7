"""The portfolio summary, accumulated record by record in constant memory.

Grade distribution; per indicator the mean, spread, lowest and highest 得分率 and the points it
loses across the portfolio; the reasons points were lost, ranked by the points they cost and
the projects they touch; and the projects nearest a grade boundary (whose grade a small change
of evidence would flip). With a weight (`portfolio weighted by 预算金额`, or `--weight-by`), also
the means of the total and of each indicator's 得分率 weighted by each project's amount
(资金量加权): Σ wᵢ·xᵢ ÷ Σ wᵢ over the scored projects with a positive amount, from running sums
kept exact (no list per project); the others are counted, and the first few named.
"""

from __future__ import annotations

import decimal
import hashlib
import heapq
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..common.ir import Program
from ..render.explain import words

ZERO = Decimal(0)
#: How many reasons and failures a summary lists; it says how many more there are.
REASONS_SHOWN = 20
FAILURES_KEPT = 20
#: Weighted sums are kept at this precision: exact for any amount and score a pack can hold
#: (numbers have at most 20 digits, money converts by at most 10⁸), summed over any portfolio.
EXACT = decimal.Context(prec=120, rounding=decimal.ROUND_HALF_EVEN)


#: One indicator's losses as a record says them: its code, its name, the points it lost (at
#: the pack's places) and each reason — (points, the words of 扣分说明) — in ledger order.
Explained = tuple[str, str, str, tuple[tuple[str, str], ...]]


@dataclass
class ScoredProject:
    """What a portfolio keeps of one project: strings only, so it crosses processes as is."""

    id: str
    name: str
    total: str | None
    grade: str | None
    scores: dict[str, str | None]
    errors: list[str] = field(default_factory=list)
    losses: list[tuple[str, str, str]] = field(default_factory=list)  # code, reason, points
    line: str | None = None  # its JSON line, when the output is JSON lines
    # (path, SHA-256) of the files a folder portfolio's project was read from
    inputs: tuple[tuple[str, str], ...] = ()
    # the portfolio's weight (`portfolio weighted by`) as the evidence gave it; None: not given
    weight: str | None = None
    # each leaf that lost points: code, name, points lost, (points, reason) — see `batch._record`
    explained: list[Explained] = field(default_factory=list)


def explanation_text(explained: list[Explained], lang: str = "zh") -> str:
    """A record's explanations in one cell (CSV, XLSX): an indicator a line, `B1.1.1 预算编制
    合理性 失 1.00 分：预算无明细测算，扣 1 分`, its reasons joined by `；`."""
    colon = "：" if lang == "zh" else ": "
    sep = "；" if lang == "zh" else "; "
    lost = words(lang)["lost"]
    return "\n".join(
        f"{code} {name} {lost.format(lost=points)}{colon}{sep.join(t for _, t in reasons)}"
        for code, name, points, reasons in explained
    )


def explanation_json(explained: list[Explained]) -> list[dict[str, object]]:
    """A record's explanations as its JSON line carries them."""
    return [
        {
            "code": code,
            "name": name,
            "lost": points,
            "reasons": [{"points": p, "text": t} for p, t in reasons],
        }
        for code, name, points, reasons in explained
    ]


class Stat:
    """One indicator across the portfolio. Points are summed and compared as they come; rates
    (points ÷ weight) are worked out once at the end, not divided out for every project."""

    __slots__ = (
        "high_points",
        "low_points",
        "n",
        "squares",
        "total",
        "weight",
        "weighted",
        "weights",
    )

    def __init__(self, weight: Decimal) -> None:
        self.weight = weight
        self.n = 0
        self.total = ZERO  # points
        self.squares = ZERO  # points²
        self.low_points: Decimal | None = None
        self.high_points: Decimal | None = None
        self.weights = ZERO  # Σ w over the projects weighted
        self.weighted = ZERO  # Σ w·points

    def merge(self, other: Stat) -> None:
        self.n += other.n
        self.total += other.total
        self.squares += other.squares
        self.weights = EXACT.add(self.weights, other.weights)
        self.weighted = EXACT.add(self.weighted, other.weighted)
        for points in (other.low_points, other.high_points):
            if points is not None:
                if self.low_points is None or points < self.low_points:
                    self.low_points = points
                if self.high_points is None or points > self.high_points:
                    self.high_points = points

    def add(self, points: Decimal, w: Decimal | None = None) -> None:
        """One project's points; `w` its positive weight, None when it has none."""
        if w is not None:
            self.weights = EXACT.add(self.weights, w)
            self.weighted = EXACT.fma(w, points, self.weighted)
        self.n += 1
        self.total += points
        self.squares += points * points
        if self.low_points is None or points < self.low_points:
            self.low_points = points
        if self.high_points is None or points > self.high_points:
            self.high_points = points

    def _rate(self, points: Decimal | None) -> Decimal | None:
        return points / self.weight if points is not None and self.weight else None

    @property
    def low(self) -> Decimal | None:
        return self._rate(self.low_points)

    @property
    def high(self) -> Decimal | None:
        return self._rate(self.high_points)

    @property
    def lost(self) -> Decimal:
        return self.n * self.weight - self.total

    @property
    def mean(self) -> Decimal | None:
        return self._rate(self.total / self.n) if self.n else None

    @property
    def weighted_mean(self) -> Decimal | None:
        """Σ wᵢ·rateᵢ ÷ Σ wᵢ, divided once (None when no project has a weight)."""
        if not self.weights or not self.weight:
            return None
        return EXACT.divide(self.weighted, EXACT.multiply(self.weights, self.weight))

    @property
    def spread(self) -> Decimal | None:
        """Population standard deviation of the rates."""
        if not self.n or not self.weight:
            return None
        mean = self.total / self.n
        variance = max(self.squares / self.n - mean * mean, ZERO)
        return variance.sqrt() / self.weight


class Tally:
    """What the summary adds up, project by project, without the pack itself: each block of
    rows is tallied where it is scored (in a worker process, for a large portfolio) and the
    blocks' tallies are merged in input order. Sums of points are exact, extremes and the
    nearest-to-a-boundary ranking do not depend on order, and the first failures are kept in
    input order, so merging gives what adding every project in turn gives."""

    def __init__(
        self,
        weights: dict[str, Decimal],
        bounds: list[Decimal],
        keep_near: int = 10,
        weight_by: str | None = None,
        counts_only: bool = False,
    ) -> None:
        self.counts_only = counts_only  # no summary asked for: projects and failures only
        self.weights = weights
        self.bounds = bounds
        self.keep_near = keep_near
        self.projects = 0
        self.failed = 0
        self.grades: dict[str, int] = {}
        self.stats: dict[str, Stat] = {}
        self.reasons: dict[tuple[str, str], list[Decimal]] = {}  # points, projects
        self.near: list[tuple[Decimal, str, str, str, str]] = []
        self.failures: list[tuple[str, str]] = []  # the first few: id, error
        # weighted by `weight_by`: running sums over the scored projects with a positive weight
        self.weight_by = weight_by
        self.total_sum = ZERO  # Σ total over every scored project, for the plain mean
        self.weight_sum = ZERO  # Σ w
        self.weighted_total = ZERO  # Σ w·total
        self.unweighted = 0  # scored projects without a positive weight
        self.unweighted_ids: list[str] = []  # the first few of them

    def add(self, record: ScoredProject) -> None:
        self.projects += 1
        if record.total is None:
            self.failed += 1
            if len(self.failures) < FAILURES_KEPT:
                self.failures.append((record.id, "；".join(record.errors)))
            return
        if self.counts_only:
            return
        grade = record.grade or "—"
        self.grades[grade] = self.grades.get(grade, 0) + 1
        total = Decimal(record.total)
        w = self._weigh(record, total) if self.weight_by else None
        stats = self.stats
        for code, score in record.scores.items():
            if score is not None:
                stat = stats.get(code)
                if stat is None:
                    stat = stats[code] = Stat(self.weights[code])
                stat.add(Decimal(score), w)
        seen = set()
        for code, reason, lost in record.losses:
            entry = self.reasons.setdefault((code, reason), [ZERO, ZERO])
            entry[0] += Decimal(lost)
            if (code, reason) not in seen:  # projects, not lines: two findings are one project
                seen.add((code, reason))
                entry[1] += 1
        if self.bounds:
            bound = min(self.bounds, key=lambda b: abs(total - b))
            self._near((-abs(total - bound), record.id, record.name, record.total, str(bound)))

    def _weigh(self, record: ScoredProject, total: Decimal) -> Decimal | None:
        """The project's positive weight, its total added to the sums; None (counted, and
        named while few) when it has none."""
        self.total_sum = EXACT.add(self.total_sum, total)
        w = Decimal(record.weight) if record.weight is not None else None
        if w is None or not w.is_finite() or w <= 0:
            self.unweighted += 1
            if len(self.unweighted_ids) < FAILURES_KEPT:
                self.unweighted_ids.append(record.id)
            return None
        self.weight_sum = EXACT.add(self.weight_sum, w)
        self.weighted_total = EXACT.fma(w, total, self.weighted_total)
        return w

    def _near(self, item: tuple[Decimal, str, str, str, str]) -> None:
        if len(self.near) < self.keep_near:
            heapq.heappush(self.near, item)
        else:
            heapq.heappushpop(self.near, item)

    def merge(self, other: Tally) -> None:
        self.projects += other.projects
        self.failed += other.failed
        for grade, n in other.grades.items():
            self.grades[grade] = self.grades.get(grade, 0) + n
        for code, stat in other.stats.items():
            if code in self.stats:
                self.stats[code].merge(stat)
            else:
                self.stats[code] = stat
        for key, (points, count) in other.reasons.items():
            entry = self.reasons.setdefault(key, [ZERO, ZERO])
            entry[0] += points
            entry[1] += count
        for item in other.near:
            self._near(item)
        self.failures.extend(other.failures[: FAILURES_KEPT - len(self.failures)])
        self.total_sum = EXACT.add(self.total_sum, other.total_sum)
        self.weight_sum = EXACT.add(self.weight_sum, other.weight_sum)
        self.weighted_total = EXACT.add(self.weighted_total, other.weighted_total)
        self.unweighted += other.unweighted
        kept = FAILURES_KEPT - len(self.unweighted_ids)
        self.unweighted_ids.extend(other.unweighted_ids[:kept])


def tally_for(
    program: Program, keep_near: int = 10, weight_by: str | None = None, counts_only: bool = False
) -> Tally:
    """An empty tally for a block of a portfolio scored with `program`, weighted by
    `weight_by` (`--weight-by`) or else by the pack's `portfolio weighted by`, if any; with
    `counts_only`, of the projects and failures alone (no summary is written)."""
    weights = {i.code: i.weight for i in program.indicators}
    bounds = [b.lower for b in program.settings.grades if b.lower is not None]
    weight_by = weight_by or program.settings.portfolio_weight
    return Tally(weights, bounds, keep_near, weight_by, counts_only)


@dataclass
class Summary:
    program: Program
    input_path: str = ""
    input_sha256: str = ""  # of the portfolio file (or of the folder's files, in name order)
    keep_near: int = 10
    weight_by: str | None = None  # `--weight-by`; else the pack's `portfolio weighted by`

    def __post_init__(self) -> None:
        self.pack_sha256 = hashlib.sha256(self.program.source.text.encode("utf-8")).hexdigest()
        self.tally = self.new_tally()
        for band in self.program.settings.grades:
            self.tally.grades[band.label] = 0

    def new_tally(self) -> Tally:
        return tally_for(self.program, self.keep_near, self.weight_by)

    def add(self, record: ScoredProject) -> None:
        self.tally.add(record)

    def merge(self, tally: Tally) -> None:
        self.tally.merge(tally)

    @property
    def projects(self) -> int:
        return self.tally.projects

    @property
    def failed(self) -> int:
        return self.tally.failed

    @property
    def grades(self) -> dict[str, int]:
        return self.tally.grades

    @property
    def stats(self) -> dict[str, Stat]:
        return self.tally.stats

    @property
    def reasons(self) -> dict[tuple[str, str], list[Decimal]]:
        return self.tally.reasons

    @property
    def failures(self) -> list[tuple[str, str]]:
        return self.tally.failures

    @property
    def near(self) -> list[tuple[Decimal, str, str, str, str]]:
        return self.tally.near

    @property
    def weighted_by(self) -> str | None:
        return self.tally.weight_by

    def mean_total(self) -> Decimal | None:
        """The plain mean of the scored projects' totals."""
        scored = self.projects - self.failed
        return EXACT.divide(self.tally.total_sum, scored) if scored else None

    def weighted_total(self) -> Decimal | None:
        """Σ wᵢ·totalᵢ ÷ Σ wᵢ over the projects with a positive weight."""
        tally = self.tally
        return EXACT.divide(tally.weighted_total, tally.weight_sum) if tally.weight_sum else None

    def nearest(self) -> list[tuple[Decimal, str, str, str, str]]:
        """(distance, id, name, total, bound), nearest first, ties by id."""
        return sorted(((-d, i, n, t, b) for d, i, n, t, b in self.near), key=lambda x: (x[0], x[1]))

    def ranked_reasons(self, limit: int = REASONS_SHOWN) -> list[tuple[str, str, Decimal, int]]:
        """(indicator, reason, points lost, projects), the costliest first: at most `limit`
        (`len(self.reasons)` says how many there are)."""
        rows = [(code, reason, v[0], int(v[1])) for (code, reason), v in self.reasons.items()]
        rows.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))
        return rows[:limit]

    def losing_indicators(self, limit: int = 10) -> list[tuple[str, Decimal]]:
        leaves = {i.code for i in self.program.indicators if i.is_leaf}
        rows = [(c, s.lost) for c, s in self.stats.items() if c in leaves and s.lost > 0]
        rows.sort(key=lambda r: (-r[1], r[0]))
        return rows[:limit]


def file_digest(path: Path) -> str:
    """SHA-256 of a portfolio table (read in blocks), or of a folder's files in name order —
    its evidence files and what they name beside them (survey responses), never through a
    symlink out of the folder (a file refused there adds nothing). Each record lists the
    digests of exactly the files its project was read from."""
    from ..runtime import files

    digest = hashlib.sha256()
    if path.is_dir():
        for name in files.folder_files(str(path)):
            try:
                digest.update(files.read_in_folder(name, str(path)))
            except files.FileRefused:
                continue
        return digest.hexdigest()
    with files.open_regular(str(path), files.MAX_TABLE_BYTES, "MAX_TABLE_BYTES") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
