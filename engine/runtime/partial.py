"""Score ranges when evidence is missing (`jixiao eval --partial`): (plan, evidence) → `Ranges`.

A fact the evidence lacks (and the pack gives no `default`) is unknown. Every indicator and the
total get the exact interval of the points they can still take over the unknown facts' declared
domains, each end with a completion of the evidence that reaches it (re-scored by the normal
evaluator, so an end is never a bound nobody attains), the grades still possible, and for each
unknown fact whether changing it alone can change the grade.

The method (see docs/partial.md):

1. **Critical points.** Each unknown fact gets a finite set of candidate values: the ends of its
   domain (a very large value stands for an open end), every constant of the pack (thresholds,
   band edges, targets, steps, ranges) with the doubles and complements the forms compare with
   (`reverse … linear` reaches 0 at twice its target; a step deduction counts from `100% - x`)
   and, for an amount a form scores by points, those shares of the reading indicators' weights —
   each with its neighbours a hair (one for a count, one day for a date) to either side, so an
   open band edge is approached as closely as the pack's rounding can tell; a bool's two
   values; a choice's choices (or the levels and values the rules name, and one value they do
   not); a list's findings in numbers from none to enough to exhaust every deduction, their
   fields cycling through every label the rules name; a judgement's range ends and 0. Every
   form scores piecewise monotonically in each fact between those points, so its extremes lie
   among them.
2. **Units.** The total is a monotone function (exclusion rescaling, sections, cap, rounding)
   of the sum of the points of its *units*: the indicators reached from the top through branches
   that only add their children up, and the bonus and penalty sections. A unit's points depend
   on the unknown facts it reads (through derived facts, and the `veto … zero` conditions aimed
   at it) and on nothing else: its table over the product of their candidates is computed with
   the normal evaluator. Indicators inside a unit take their ranges from the same rows.
3. **Shared facts.** Units that read a common unknown fact are not independent: the extremes of
   their sum (the total, or a branch that only adds up) are found by variable elimination over
   the units' tables (max-sum / min-sum, exact over the critical points, with the argmax kept
   so the witness completion is rebuilt). Units with no unknown fact in common are optimised
   apart; the witness joins their completions. The witness is then scored by the normal
   evaluator, and that score is the bound reported.

A completion the evaluator refuses (a level no band takes, an evaluator's score outside its
level's range, a judgement outside its range) is no evidence anyone could give, and is skipped.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import product

from jixiao.dsl import ast
from jixiao.dsl.record import record

from ..common.types import Kind
from .critical import Candidates, Constants, walk
from .eliminate import Completion, Factor, TooLarge, climb, optimise
from .evaluator import evaluate
from .evidence import Evidence
from .partial_grades import grades as grades_of
from .partial_grades import missing as missing_of

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from jixiao.dsl.diagnostics import Diagnostic

    from ..common.result import Result
    from ..plan.compiler import Plan

MAX_ROWS = 20_000  # evaluations a unit's table may take before it is searched, not exhausted (W785)


@record
class Bound:
    """One end of a range: the points, and a completion of the evidence that scores them."""

    points: Decimal
    completion: Completion


@record
class Range:
    """What an indicator (or the total) can still score: `low` ≤ points ≤ `high`, both
    attained. `exact` is False only when the unit was too large to search (an outer bound)."""

    low: Bound
    high: Bound
    exact: bool = True

    @property
    def final(self) -> bool:
        """The score is decided despite the missing evidence."""
        return self.low.points == self.high.points


@record
class Unknown:
    """A missing fact, and whether changing it alone can change the grade (with the two
    completions that show it, differing in this fact only)."""

    fact: str
    moves_grade: bool | None  # None: not decided within the search's budget
    witness: tuple[Completion, Completion] | None = None


@record
class Ranges:
    """The partial evaluation: the ranges of the indicators that read an unknown fact (by code),
    the total's (None when even a complete evidence could not be scored), the grades still
    possible (None: disqualified), and each unknown fact."""

    indicators: dict[str, Range]
    total: Range | None
    grades: tuple[str | None, ...]
    missing: tuple[Unknown, ...]


def unknown_facts(plan: Plan, evidence: Evidence) -> tuple[str, ...]:
    """The facts the evidence lacks, in declaration order: neither given, nor refused (a
    refused value is an error, not a gap), nor defaulted (a `default` stands in)."""
    values, refused, defaults = evidence.values, evidence.refused, plan.defaults
    return tuple(
        name
        for name, fact in plan.program.facts.items()
        if not fact.is_param and name not in values and name not in refused
        if name not in defaults
    )


#: Kinds whose missing value has no finite set of critical values here: a panel's experts and a
#: record list's records are many values each. Refused with E786 rather than ranged wrongly.
UNRANGEABLE = (Kind.PANEL, Kind.RECORDS)


def partial_result(plan: Plan, evidence_path: str) -> tuple[Result, Ranges]:
    """`eval --partial` on an evidence file: the normal result of what the evidence gives (the
    indicators reading a missing fact undecided, without the "missing" errors: a gap is not a
    mistake here) and the ranges. An evidence file that cannot be used raises; a refused value
    stays an error, and the ranges are then of the other facts."""
    from .evidence import load

    evidence, diagnostics = load(evidence_path, plan.program)
    return _partial_of(plan, evidence, diagnostics)


def partial_result_bytes(plan: Plan, data: bytes, name: str) -> tuple[Result, Ranges]:
    """`partial_result` on evidence already in memory (`jixiao serve`'s `?partial=1`), read as
    `scoring.run_bytes` reads it: named `name`, naming no other file."""
    from . import evidence as _evidence
    from . import files

    token = files.seal()
    try:
        evidence, diagnostics = _evidence.load_bytes(data, name, plan.program)
    finally:
        files.unseal(token)
    return _partial_of(plan, evidence, diagnostics)


def _partial_of(
    plan: Plan, evidence: Evidence | None, diagnostics: list[Diagnostic]
) -> tuple[Result, Ranges]:
    from jixiao.dsl.diagnostics import JixiaoError, has_errors

    from . import scoring

    if evidence is None:
        raise JixiaoError(diagnostics)
    result = scoring.score(plan, evidence, diagnostics)
    gaps = unknown_facts(plan, evidence)
    unrangeable = [n for n in gaps if plan.program.facts[n].kind in UNRANGEABLE]
    if unrangeable:
        from ..common import messages as msg

        facts = plan.program.facts
        raise JixiaoError(
            [msg.partial_unrangeable(n, facts[n].kind.value, facts[n].span) for n in unrangeable]
        )
    kept = tuple(
        d
        for d in result.diagnostics
        if not (d.code == "E605" and any(f"fact `{name}` " in d.message for name in gaps))
    )
    found = ranges(plan, evidence)
    total, grade = result.total, result.grade
    if found.total is not None and found.total.final and not has_errors(diagnostics):
        total = found.total.low.points  # final despite the gap
        grade = found.grades[0] if len(found.grades) == 1 else None
    kept += _searched(plan, found)
    result = result._replace(
        diagnostics=kept,
        total=total,
        grade=grade,
        pack_sha256=scoring._sha256(plan.program.source.text),
        evidence_sha256=scoring._sha256(evidence.source.text),
        inputs=evidence.inputs,
        imports=plan.program.imports,
        project=tuple(evidence.project.items()),
    )
    return result, found


def _searched(plan: Plan, found: Ranges) -> tuple[Diagnostic, ...]:
    """W785 for the first range that was searched rather than exhausted (tree order; the
    total's, at the pack's start, when only the total's was)."""
    from ..common import messages as msg

    limit = f"MAX_ROWS = {MAX_ROWS:,}"
    for ind in plan.program.indicators:
        r = found.indicators.get(ind.code)
        if r is not None and not r.exact:
            return (msg.range_not_exhaustive(ind.code, ind.span, limit),)
    if found.total is not None and not found.total.exact:
        return (msg.range_not_exhaustive(None, plan.start, "MAX_CELLS = 2,000,000"),)
    return ()


def ranges(plan: Plan, evidence: Evidence) -> Ranges:
    """The ranges of a partial evidence (see the module docstring)."""
    return Search(plan, evidence).run()


# ----- the search --------------------------------------------------------------------------------


class Search:
    def __init__(self, plan: Plan, evidence: Evidence) -> None:
        self.plan = plan
        self.program = program = plan.program
        self.evidence = evidence
        self.unknown = unknown_facts(plan, evidence)
        self.indicators = program.indicators
        self.place = {ind.code: i for i, ind in enumerate(program.indicators)}
        self.cache: dict[Completion, Result] = {}
        self.excluded: set[str] = set()  # indicators a known 不适用 fact excludes
        unknown = set(self.unknown)
        self.closure = self._closure()
        self.reads: dict[str, frozenset[str]] = {
            ind.code: frozenset(plan.order.needs.get(ind.code, ())) & unknown
            for ind in program.indicators
        }
        for veto in program.vetoes:  # a zeroing veto reads its facts for its target
            if veto.action == "zero" and veto.target is not None:
                facts = self._facts_of(veto.cond) & unknown
                code = veto.target.text
                for ind in program.indicators:
                    if ind.code == code or self._below(ind.code, code):
                        self.reads[ind.code] = self.reads[ind.code] | facts
                        for up in self._ancestors(ind.code):
                            self.reads[up] = self.reads[up] | facts
        self.extra_reads = [
            frozenset(f for name in e.reads for f in self._closed(name)) & unknown
            for e in program.extras
        ]
        self.veto_reads = [self._facts_of(v.veto.cond) & unknown for v in plan.vetoes]
        plain = {step.indicator.code for step in plan.steps if step.plain}
        self.plain = plain
        made = Candidates(program, self._constants(), self._partners())
        self.choices: dict[str, list[object]] = {}  # each fact's critical values
        for name in self.unknown:
            weights = [ind.weight for ind in program.indicators if name in self.reads[ind.code]]
            self.choices[name] = made.of(program.facts[name], weights)
        # Inside the search a completion holds each value's place among its fact's choices:
        # cheap to hash (a list of 400 findings is not) and the same object every time.
        self.values: dict[str, list[object]] = {
            name: list(range(len(values))) for name, values in self.choices.items()
        }
        self.total_keys: tuple[Completion, Completion] | None = None

    # -- what reads what

    def _constants(self) -> Constants:
        k, program, unknown = Constants(), self.program, set(self.unknown)
        for ind in program.indicators:
            k.add(ind.rules, self._facts_of(ind.rules) & unknown)
        for name, derived in program.derived.items():
            k.add(derived.expr, self.closure.get(name, frozenset()) & unknown)
        for i, extra in enumerate(program.extras):
            k.add(extra.rules, self.extra_reads[i])
        for i, veto in enumerate(self.plan.vetoes):
            k.add(veto.veto.cond, self.veto_reads[i])
        return k

    def _partners(self) -> dict[str, set[Decimal]]:
        """The values of the known numbers each unknown fact meets in a derived fact (an
        execution rate of a missing spending over a known budget breaks at budget × 100%)."""
        out: dict[str, set[Decimal]] = {}
        values, unknown = self.evidence.values, set(self.unknown)
        env = {**self.plan.defaults, **values}
        for derived in self.program.derived.values():
            names = {x.name for x in walk(derived.expr) if isinstance(x, ast.Name)}
            known = {env[n] for n in names if type(env.get(n)) is Decimal}
            for n in names & unknown:
                out.setdefault(n, set()).update(known)  # type: ignore[arg-type]
        return out

    def _closure(self) -> dict[str, frozenset[str]]:
        program = self.program
        out: dict[str, frozenset[str]] = {}
        for name in self.plan.order.derived:
            facts: set[str] = set()
            for read in program.derived[name].reads:
                facts |= out.get(read, {read} if read in program.facts else set())
            out[name] = frozenset(facts)
        return out

    def _closed(self, name: str) -> frozenset[str]:
        if name in self.program.facts:
            return frozenset((name,))
        return self.closure.get(name, frozenset())

    def _facts_of(self, expr: object) -> frozenset[str]:
        out: set[str] = set()
        for x in walk(expr):
            if isinstance(x, ast.Name):
                out |= self._closed(x.name)
        return frozenset(out)

    def _ancestors(self, code: str) -> Iterator[str]:
        parent = self.indicators[self.place[code]].parent
        while parent is not None:
            yield parent
            parent = self.indicators[self.place[parent]].parent

    def _below(self, code: str, top: str) -> bool:
        return top in self._ancestors(code)

    # -- evaluation

    def score(self, completion: Completion) -> Result:
        """The normal evaluation of the evidence completed so (remembered)."""
        if completion in self.cache:
            return self.cache[completion]
        values: dict[str, Any] = dict(self.evidence.values)
        values.update(self.real(completion))
        ev = Evidence(self.evidence.source, values, self.evidence.origins, self.evidence.project)
        result = evaluate(self.plan, ev)
        self.cache[completion] = result
        return result

    def points(self, result: Result, code: str) -> Decimal | None:
        for ind, entry in result.ledger.raw():
            if ind.code == code:
                if entry[3]:  # excluded as not applicable (by a known fact): adds nothing
                    self.excluded.add(code)
                    return Decimal(0)
                return None if entry[2] else entry[0]
        raise KeyError(code)  # pragma: no cover - every code is an indicator's

    # -- the units and their tables

    def units(self, top: tuple[str, ...]) -> list[str]:
        """The units under these indicators: through plain branches down to the rest."""
        out: list[str] = []
        stack = list(reversed(top))
        while stack:
            code = stack.pop()
            ind = self.indicators[self.place[code]]
            if code in self.plain and ind.children:
                stack.extend(reversed(ind.children))
            else:
                out.append(code)
        return out

    def table(
        self, facts: tuple[str, ...], read: list[tuple[str, str]]
    ) -> tuple[dict[Completion, dict[str, Decimal]], bool]:
        """For every combination of the candidates of `facts`: the points of each `read`
        (("indicator", code) or ("extra", index)), the unit's own first; rows the evaluator
        refuses are left out. The second value is False when the product is larger than
        MAX_ROWS: the rows are then those a climb to the unit's least and most points visits
        (one fact at a time to its best value, until nothing improves) — reached, not
        exhausted."""
        size = 1
        for f in facts:
            size *= len(self.values[f])
        rows: dict[Completion, dict[str, Decimal]] = {}
        if size <= MAX_ROWS:
            for combo in product(*(self.values[f] for f in facts)):
                self._row(tuple(zip(facts, combo, strict=True)), read, rows)
            return rows, True
        own = f"{read[0][0]}:{read[0][1]}"
        for sign in (-1, 1):
            assign = {f: self.values[f][0] for f in facts}
            got = self._row(tuple(sorted(assign.items())), read, rows)
            best = None if got is None else sign * got[own]
            for _ in range(8):  # rounds: each is one pass over the facts
                moved = False
                for f in facts:
                    for value in self.values[f]:
                        trial = {**assign, f: value}
                        got = self._row(tuple(sorted(trial.items())), read, rows)
                        if got is not None and (best is None or sign * got[own] > best):
                            assign, best, moved = trial, sign * got[own], True
                if not moved:
                    break
        return rows, False

    def _row(
        self,
        completion: Completion,
        read: list[tuple[str, str]],
        rows: dict[Completion, dict[str, Decimal]],
    ) -> dict[str, Decimal] | None:
        """Score one combination into `rows` (None: refused)."""
        if completion in rows:
            return rows[completion]
        result = self.score(self._full(completion))
        got: dict[str, Decimal] = {}
        for kind, key in read:
            value = self._value_of(result, kind, key)
            if value is None:
                return None
            got[f"{kind}:{key}"] = value
        rows[completion] = got
        return got

    def _value_of(self, result: Result, kind: str, key: str) -> Decimal | None:
        if kind == "indicator":
            return self.points(result, key)
        extra = result.extras[int(key)]
        if extra.failures or extra.points is None:
            return None
        return extra.points if extra.kind == "bonus" else -extra.points

    def real(self, completion: Completion) -> Completion:
        """A completion of places as the values they stand for."""
        return tuple((f, self.choices[f][i]) for f, i in completion)  # type: ignore[call-overload]

    def _full(self, partial: Completion) -> Completion:
        """A completion of every unknown fact: `partial`, the others at their first value."""
        given = dict(partial)
        return tuple(
            (f, given[f] if f in given else self.values[f][0]) for f in sorted(self.unknown)
        )

    # -- the run

    def run(self) -> Ranges:
        program = self.program
        roots = tuple(ind.code for ind in program.indicators if ind.parent is None)
        units = self.units(roots)
        factors: list[Factor] = []
        ranges: dict[str, Range] = {}
        exact_all = True
        for code in units:
            facts = tuple(sorted(self.reads[code]))
            inside = [
                ind.code
                for ind in program.indicators
                if ind.code == code or self._below(ind.code, code)
            ]
            read = [("indicator", c) for c in inside]
            rows, exhaustive = self.table(facts, read)
            exact_all &= exhaustive
            factors.append(Factor(f"indicator:{code}", facts, rows))
            for c in inside:
                if self.reads[c] and rows:
                    ranges[c] = self._range_of(rows, f"indicator:{c}", exhaustive)
        for i, _ in enumerate(program.extras):
            facts = tuple(sorted(self.extra_reads[i]))
            rows, exhaustive = self.table(facts, [("extra", str(i))])
            exact_all &= exhaustive
            factors.append(Factor(f"extra:{i}", facts, rows))
        by_key = {f.key: f for f in factors}
        # plain branches: the sum of their units, shared facts eliminated
        for ind in program.indicators:
            if ind.code in self.plain and ind.children and self.reads[ind.code]:
                mine = [by_key[f"indicator:{u}"] for u in self.units(ind.children)]
                if all(f.rows for f in mine):  # else some part cannot be scored at all
                    low, high, exact = self._optimise(mine)
                    found = self._attained(ind.code, low, high, exact_all and exact)
                    if found is not None:
                        ranges[ind.code] = found
        total = self._total(factors, exact_all)

        grades = grades_of(self, total)
        missing = tuple(Unknown(*moving) for moving in missing_of(self, total, grades))
        ordered = {
            ind.code: ranges[ind.code]
            for ind in program.indicators
            if ind.code in ranges and ind.code not in self.excluded
        }
        return Ranges(ordered, total, grades, missing)

    def _range_of(self, rows: dict[Completion, dict[str, Decimal]], key: str, exact: bool) -> Range:
        best = worst = None
        for completion, got in rows.items():
            value = got[key]
            if best is None or value > best[0]:
                best = (value, completion)
            if worst is None or value < worst[0]:
                worst = (value, completion)
        assert best is not None and worst is not None, "no completion could be scored"
        return Range(
            Bound(worst[0], self.real(self._full(worst[1]))),
            Bound(best[0], self.real(self._full(best[1]))),
            exact,
        )

    def _optimise(self, factors: list[Factor]) -> tuple[Completion | None, Completion | None, bool]:
        """The completions of least and most sum, and whether they are exact."""
        try:
            low, high = optimise(factors, self.values)
        except TooLarge:
            low, high = climb(factors, self.values)
            return low, high, False
        return low, high, True

    def _attained(
        self, code: str, low: Completion | None, high: Completion | None, exact: bool
    ) -> Range | None:
        """The range of a branch that adds up, each end its witness re-scored."""
        ends = []
        for witness in (low, high):
            if witness is None:
                return None  # no combination of the facts can be scored together
            full = self._full(witness)
            points = self.points(self.score(full), code)
            if points is None:
                return None
            ends.append(Bound(points, self.real(full)))
        return Range(ends[0], ends[1], exact)

    def _total(self, factors: list[Factor], exact: bool) -> Range | None:
        if any(not f.rows for f in factors):
            return None
        low, high, found = self._optimise(factors)
        ends, keys = [], []
        for witness in (low, high):
            if witness is None:
                return None
            full = self._full(witness)
            result = self.score(full)
            if result.total is None:
                return None
            ends.append(Bound(result.total, self.real(full)))
            keys.append(full)
        self.total_keys = (keys[0], keys[1])
        return Range(ends[0], ends[1], exact and found)
