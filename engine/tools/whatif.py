"""`jixiao whatif`: what it would take — the smallest changes of the evidence that recover points,
and the cheapest sets of them that reach a grade, each set verified by scoring it.

In: a plan, one project's evidence (as read), the facts that may not change. Out: `Whatif`, data
only (`whatif_report` words it as text, JSON or HTML).

How a change is found, fact by fact (`_front`): a fact's value moves along its kind's grid (a
count by 1, a percent by 0.01 个百分点, money and numbers by 0.01) inside its domain (the declared
`min`/`max`, else 0 or more, a percent in [0%, 100%]; never 0 for a `nonzero` fact), and a change
is refused when a derived percent that was within [0%, 100%] leaves it (a numerator above its
denominator). The rules' structure gives the points to probe — the steps next to the value, the
domain's ends, and every threshold a rule of the indicator compares the fact with, directly or
through a derived fact (solved through the derived fact's expression on the fact's grid) — and
each level of points reached there is then bisected down to the smallest change that reaches it.
Findings (a list fact) are removed one at a time, the most costly first; a yes/no flips; a choice
takes each other choice. A fact whose changes recover nothing through its derived fact, or whose
facts are all pinned, is reported on the derived fact itself (scored with the derived fact set).

Every claim is the evaluator's: each probe scores the changed evidence with the normal evaluator,
and a set of changes is output only after the changed evidence, scored, reaches the grade.
"""

from __future__ import annotations

import decimal
import itertools
from dataclasses import dataclass
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.record import replace

from ..check.units import domain
from ..common.result import Item, NotApplicable
from ..common.types import NUMERIC, Kind
from ..forms import form_of, rule_exprs
from ..forms.base import constant as _constant
from ..plan.compile_expr import Faulted, NearBoundary
from ..runtime.evaluator import CONTEXT, evaluate
from ..runtime.evidence import Evidence

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from ..common.ir import Fact, GradeBand, Program
    from ..common.result import Result
    from ..plan.compiler import Plan

#: The grid a numeric fact moves on, in its own unit: the smallest change suggested.
STEP = {
    Kind.COUNT: Decimal(1),
    Kind.MONEY: Decimal("0.01"),
    Kind.PERCENT: Decimal("0.0001"),
    Kind.NUMBER: Decimal("0.01"),
}
FAR = 2**40  # steps probed at most in a direction with no bound (a count has none above)
MAX_SETS = 5  # sets of changes shown for the total
MAX_FACTS = 4  # facts in a set the search combines (beyond: the greedy set over all facts)
BUDGET = 200_000  # combinations weighed before the search says it stopped short
VERIFY_BUDGET = 400  # candidate sets scored before the search says it stopped short
WORK = 20_000_000  # indicators scored in all (probes × indicators) before the search stops short
MIN_PROBES = 500  # probes allowed however large the pack
RANKED = 50  # findings of a list each tried alone, to remove the costliest first
MEMO = 4096  # scored probes kept for reuse


@dataclass(frozen=True, slots=True)
class Change:
    """One fact (or, `derived`, a derived fact) set from `old` to `new`."""

    fact: str
    kind: Kind
    old: object
    new: object
    size: Decimal  # for ranking: 1 a flip or choice, each finding 1, a number its relative change
    removed: tuple[str, ...] = ()  # the findings a list fact loses
    derived: bool = False  # a derived fact, set directly (its facts could not be changed)


@dataclass(frozen=True, slots=True)
class Recovery:
    """A change that recovers points of one indicator: its points after, and the total after."""

    change: Change
    points: Decimal
    gain: Decimal
    total: Decimal | None
    through: str | None  # the derived fact the indicator reads the fact through


@dataclass(frozen=True, slots=True)
class Lost:
    """An indicator that lost points, with the changes that recover some."""

    code: str
    name: str
    weight: Decimal
    points: Decimal
    recoveries: tuple[Recovery, ...]
    pinned: tuple[str, ...]  # the pinned facts it reads


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Changes that, applied together, were scored at `total` and `grade`."""

    changes: tuple[Change, ...]
    total: Decimal
    grade: str


@dataclass(frozen=True, slots=True)
class Whatif:
    title: str
    pack_path: str
    evidence_path: str
    project: tuple[tuple[str, str], ...]
    total: Decimal
    grade: str
    target: str | None  # the grade asked for (None: already the top grade, or `--indicator`)
    lower: Decimal | None  # the target grade's lower bound
    reached: bool  # the project already has the target grade
    top: bool  # the project has the top grade: no grade to reach
    lost: tuple[Lost, ...]
    sets: tuple[ChangeSet, ...]
    best: ChangeSet | None  # every fact at its best at once: the most the search could reach
    pinned: tuple[str, ...]
    cut: bool  # the search ran out of its budget before trying every combination
    units: Mapping[str, str | None]
    places: int


# ----- probing ----------------------------------------------------------------------------------


class _Probe:
    """Scores changed evidence with the evaluator; knows the facts' domains and which derived
    percents lie in [0%, 100%] as given (a change may not push them out)."""

    def __init__(self, plan: Plan, evidence: Evidence) -> None:
        self.plan = plan
        self.program = plan.program
        self.evidence = evidence
        # a fact the evidence leaves to its `default` may change too (parameters never do)
        facts = self.program.facts
        self.values = {
            n: v for n, v in plan.defaults.items() if n in facts and not facts[n].is_param
        }
        self.values.update(evidence.values)
        self.base = self.score({})
        base_env = self.derive({})
        self.rates = tuple(
            name
            for name, d in self.program.derived.items()
            if d.kind is Kind.PERCENT and _within(base_env.get(name), Decimal(0), Decimal(1))
        )
        self.memo: dict[tuple[tuple[str, object], ...], Result | None] = {}
        self.count = 0
        self.limit = max(MIN_PROBES, WORK // max(1, len(self.program.indicators)))
        self.exhausted = False  # the probe budget ran out: the search stopped short
        self.solved: dict[tuple[str, str, Decimal], list[Decimal]] = {}  # see `_solve`

    def score(
        self, changes: Mapping[str, object], pins: Mapping[str, object] | None = None
    ) -> Result:
        values = dict(self.values)
        values.update(changes)
        ev = replace(self.evidence, values=values) if changes else self.evidence
        return evaluate(self.plan, ev, dict(pins) if pins else None)

    def derive(self, changes: Mapping[str, object]) -> dict[str, object]:
        env: dict[str, object] = dict(self.plan.defaults)
        env.update(self.values)
        env.update(changes)
        with decimal.localcontext(CONTEXT):
            for name, fn, _ in self.plan.derived:
                try:
                    env[name] = fn(env)
                except (ArithmeticError, TypeError, Faulted, NearBoundary):
                    env[name] = None
        return env

    def feasible(self, changes: Mapping[str, object]) -> bool:
        if not self.rates:
            return True
        env = self.derive(changes)
        return all(_within(env.get(n), Decimal(0), Decimal(1)) for n in self.rates)

    def result(self, changes: Mapping[str, object]) -> Result | None:
        """The evidence with `changes`, scored; None when the changes leave a domain or the
        score is withheld."""
        key = tuple(sorted(changes.items(), key=lambda kv: kv[0]))
        try:
            return self.memo[key]
        except (KeyError, TypeError):
            pass
        if self.count >= self.limit:
            self.exhausted = True
            return None
        self.count += 1
        result = self.score(changes) if self.feasible(changes) else None
        if result is not None and result.total is None:
            result = None
        if len(self.memo) >= MEMO:
            self.memo.clear()
        try:
            self.memo[key] = result
        except TypeError:
            pass
        return result


def _within(value: object, lo: Decimal, hi: Decimal) -> bool:
    return isinstance(value, Decimal) and lo <= value <= hi


def points_of(result: Result, place: int) -> Decimal | None:
    for i, (_, entry) in enumerate(result.ledger.raw()):
        if i == place:
            return entry[0]
    return None  # pragma: no cover - every place is an indicator's


# ----- what an indicator reads ------------------------------------------------------------------


def base_facts(
    program: Program, name: str, through: str | None = None
) -> Iterator[tuple[str, str | None]]:
    """The facts a name reads, each with the derived fact (the outermost) it is read through."""
    if name in program.facts:
        yield name, through
    elif name in program.derived:
        for read in program.derived[name].reads:
            yield from base_facts(program, read, through or name)


def thresholds(rules: tuple[ast.Rule, ...]) -> list[tuple[str, Decimal]]:
    """(name, constant) pairs the rules' scores change at: the forms' own thresholds, and every
    comparison of a name with a constant anywhere in what they evaluate."""
    out: list[tuple[str, Decimal]] = []

    def visit(rule: ast.Clause) -> None:
        for subject, value in form_of(rule).thresholds(rule):
            if isinstance(subject, ast.Name):
                out.append((subject.name, value))
        for nested in form_of(rule).nested(rule):
            visit(nested)

    for rule in rules:
        if isinstance(rule, ast.NaPolicy | ast.CallRule):
            continue
        visit(rule)
        for expr in rule_exprs(rule):
            out.extend(_comparisons(expr))
    return list(dict.fromkeys(out))


def _comparisons(expr: ast.Expr) -> Iterator[tuple[str, Decimal]]:
    match expr:
        case ast.Compare(_, ast.Name(name), right) if _constant(right) is not None:
            yield name, _constant(right)  # type: ignore[misc]
        case ast.Compare(_, left, ast.Name(name)) if _constant(left) is not None:
            yield name, _constant(left)  # type: ignore[misc]
        case _:
            pass
    for child in _subexprs(expr):
        yield from _comparisons(child)


def _subexprs(expr: ast.Expr) -> tuple[ast.Expr, ...]:
    match expr:
        case ast.Neg(operand) | ast.Not(operand):
            return (operand,)
        case ast.Arith(_, left, right) | ast.Compare(_, left, right) | ast.Logic(_, left, right):
            return (left, right)
        case ast.Call(_, args):
            return tuple(args)
        case ast.If(cond, then, otherwise):
            return (cond, then, otherwise)
        case _:
            return ()


# ----- the changes of one fact ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    change: Change
    value: Decimal  # the objective after the change
    result: Result


def changeable(fact: Fact, value: object) -> bool:
    if isinstance(value, NotApplicable) or value is None:
        return False
    if fact.kind in NUMERIC:
        return isinstance(value, Decimal) and value.is_finite()
    if fact.kind is Kind.BOOL:
        return isinstance(value, bool)
    if fact.kind is Kind.LIST:
        return isinstance(value, tuple) and bool(value)
    if fact.kind is Kind.TEXT:
        return fact.choices is not None and isinstance(value, str)
    return False


def front(
    probe: _Probe,
    fact: Fact,
    objective: Callable[[Result], Decimal | None],
    seeds: list[Decimal],
    current: Decimal,
    ceiling: Decimal | None = None,
) -> list[Option]:
    """The smallest changes of one fact that raise `objective` above `current`, one per level
    reached, smallest change first (each reaching more than the one before); `ceiling`: the
    most the objective can be (an indicator's weight), where probing stops."""
    value = probe.values[fact.name]
    kind = fact.kind
    if kind is Kind.BOOL:
        return _levels(probe, objective, current, [_bool_change(fact, value)])  # type: ignore[arg-type]
    if kind is Kind.TEXT:
        assert fact.choices is not None
        changes = [
            Change(fact.name, kind, value, c, Decimal(1)) for c in fact.choices if c != value
        ]
        options = _levels(probe, objective, current, changes)
        return options[-1:]  # every choice is one change: only the best is the smallest for it
    if kind is Kind.LIST:
        return _list_front(probe, fact, objective, current)
    return _numeric_front(probe, fact, objective, seeds, current, ceiling)


def _bool_change(fact: Fact, value: bool) -> Change:
    return Change(fact.name, fact.kind, value, not value, Decimal(1))


def _levels(
    probe: _Probe,
    objective: Callable[[Result], Decimal | None],
    current: Decimal,
    changes: list[Change],
) -> list[Option]:
    """The options among `changes` (smallest first) that each reach more than all before."""
    out: list[Option] = []
    best = current
    for change in changes:
        result = probe.result({change.fact: change.new})
        got = objective(result) if result is not None else None
        if got is not None and got > best:
            best = got
            out.append(Option(change, got, result))  # type: ignore[arg-type]
    return out


def _list_front(
    probe: _Probe, fact: Fact, objective: Callable[[Result], Decimal | None], current: Decimal
) -> list[Option]:
    items: tuple[Item, ...] = probe.values[fact.name]  # type: ignore[assignment]
    order = list(reversed(items))  # a long list: its last findings first
    if len(items) <= RANKED:
        # the most costly finding first: each removed alone, ranked by what it gives back
        alone = []
        for i, item in enumerate(items):
            result = probe.result({fact.name: items[:i] + items[i + 1 :]})
            got = objective(result) if result is not None else None
            alone.append((-(got if got is not None else current), i, item))
        order = [item for _, _, item in sorted(alone, key=lambda t: (t[0], t[1]))]

    def change(k: int) -> Change:
        gone = set(map(id, order[:k]))
        kept = tuple(item for item in items if id(item) not in gone)
        removed = tuple(item.text for item in order[:k])
        return Change(fact.name, fact.kind, items, kept, Decimal(k), removed)

    def score(k: int) -> tuple[Decimal | None, Result | None]:
        result = probe.result({fact.name: change(k).new})
        return (objective(result) if result is not None else None), result

    n = len(items)
    ks = sorted({*range(1, min(n, 20) + 1), *(2**i for i in range(n.bit_length())), n})
    return [Option(change(k), got, result) for k, got, result in _bisected(score, ks, current)]


def _bisected(
    score: Callable[[int], tuple[Decimal | None, Result | None]], ks: list[int], current: Decimal
) -> list[tuple[int, Decimal, Result]]:
    """Steps `ks` (ascending) probed, and each level of points reached above `current` bisected
    down to the fewest steps that reach it (exact where the points are monotone in the steps)."""
    levels: list[tuple[int, Decimal]] = []
    best = current
    for k in ks:
        got, _ = score(k)
        if got is not None and got > best:
            best = got
            levels.append((k, got))
    out: list[tuple[int, Decimal, Result]] = []
    below, before = 0, current

    def fewest(lo_k: int, hi_k: int, bar: Decimal, strict: bool) -> int:
        while hi_k - lo_k > 1:  # below the bar at lo_k, at or past it at hi_k
            mid = (lo_k + hi_k) // 2
            got, _ = score(mid)
            if got is not None and (got > bar or (not strict and got == bar)):
                hi_k = mid
            else:
                lo_k = mid
        return hi_k

    for k, level in levels:
        # the first points back (a band the probes stepped over), then this level
        first = fewest(below, k, before, True)
        got, result = score(first)
        if got is None or result is None:  # the probe budget ran out
            break
        if got < level:
            out.append((first, got, result))
            below, before = first, got
        reach = fewest(below, k, level, False)
        got, result = score(reach)
        if got is None or result is None:
            break
        out.append((reach, got, result))
        below, before = reach, got
    return out


def _numeric_front(
    probe: _Probe,
    fact: Fact,
    objective: Callable[[Result], Decimal | None],
    seeds: list[Decimal],
    current: Decimal,
    ceiling: Decimal | None,
) -> list[Option]:
    x: Decimal = probe.values[fact.name]  # type: ignore[assignment]
    step = STEP.get(fact.kind, Decimal("0.01"))
    lo, hi = domain(fact)
    found: list[Option] = []
    for sign in (1, -1):
        bound = hi if sign > 0 else lo
        if bound is not None and bound.is_finite():
            room = (bound - x) * sign
            if room <= 0:
                continue
            far = int(room / step)
            ends = [far]
            if room % step:
                ends.append(far + 1)  # the bound itself, off the grid: a value at it
        else:
            far, ends = FAR, []

        def at(k: int, sign: int = sign, bound: Decimal | None = bound, far: int = far) -> Decimal:
            if k > far and bound is not None:
                return bound
            return x + sign * k * step

        def score(
            k: int, at: Callable[[int], Decimal] = at
        ) -> tuple[Decimal | None, Result | None]:
            v = at(k)
            if fact.nonzero and v == 0:
                return None, None
            result = probe.result({fact.name: v})
            return (objective(result) if result is not None else None), result

        ks = {1, *ends}
        ks.update(2**i for i in range(41) if 2**i <= max(far, 1))
        for seed in seeds:
            d = (seed - x) * sign
            if d > 0:
                k = int(d / step)
                ks.update(k + j for j in (-1, 0, 1, 2) if k + j >= 1)
        top = max(ends) if ends else FAR
        # probed upwards until the points can rise no more (`ceiling`), or until a value leaves
        # the domains: the last value inside them (a numerator up to its denominator) is then
        # found between the last probe that scores and the first that does not
        ordered = []
        last = 0
        for k in sorted(k for k in ks if 1 <= k <= top):
            got, _ = score(k)
            if got is None:
                lo_k, hi_k = last, k
                while hi_k - lo_k > 1:
                    mid = (lo_k + hi_k) // 2
                    lo_k, hi_k = (mid, hi_k) if score(mid)[0] is not None else (lo_k, mid)
                if lo_k > last:
                    ordered.append(lo_k)
                break
            ordered.append(k)
            last = k
            if ceiling is not None and got >= ceiling:
                break
        for k, got, result in _bisected(score, ordered, current):
            new = at(k)
            size = abs(new - x) / max(abs(x), abs(new))
            found.append(Option(Change(fact.name, fact.kind, x, new, size), got, result))
    return _pareto(found)


def _pareto(options: list[Option]) -> list[Option]:
    """Options ranked by size, keeping each that reaches more than every smaller one."""
    out: list[Option] = []
    for option in sorted(options, key=lambda o: (o.change.size, -o.value)):
        if not out or option.value > out[-1].value:
            out.append(option)
    return out


def _steps(change: Change) -> Decimal | None:
    """How many grid steps (or findings) a change takes; None for a flip or a choice."""
    if change.kind is Kind.LIST:
        return Decimal(len(change.removed))
    if isinstance(change.new, Decimal) and isinstance(change.old, Decimal) and change.kind in STEP:
        return abs(change.new - change.old) / STEP[change.kind]
    return None


def _thin(options: list[Option], keep: int = 6) -> list[Option]:
    """The options worth showing: each one but those inside a run of single steps (a
    proportional rule gives a level per step: its first and last step stay), then at most
    `keep`: the smallest, the best, and evenly between."""
    steps = [_steps(o.change) for o in options]

    def inside(i: int) -> bool:
        if i == 0 or i == len(options) - 1:
            return False
        here, before, after = steps[i], steps[i - 1], steps[i + 1]
        if here is None or before is None or after is None:
            return False
        return here - before == 1 and after - here == 1

    return _evenly([o for i, o in enumerate(options) if not inside(i)], keep)


def _evenly(options: list[Option], keep: int) -> list[Option]:
    """At most `keep` options: the smallest, the best, and evenly between."""
    if len(options) <= keep:
        return options
    picks = {round(i * (len(options) - 1) / (keep - 1)) for i in range(keep)}
    return [o for i, o in enumerate(options) if i in picks]


# ----- the analysis -----------------------------------------------------------------------------


def whatif(
    plan: Plan,
    evidence: Evidence,
    result: Result,
    fixed: tuple[str, ...] = (),
    target: str | None = None,
    indicator: str | None = None,
) -> Whatif:
    """What it would take: `result` is the evidence scored (it must have a total)."""
    program = plan.program
    settings = program.settings
    assert result.total is not None and result.grade is not None
    probe = _Probe(plan, evidence)
    pinned = tuple(
        dict.fromkeys([n for n, f in program.facts.items() if f.fixed] + [n for n in fixed])
    )
    lost = _lost(probe, pinned, indicator)
    grade_target, lower = _target(settings.grades, result.grade, target)
    sets: tuple[ChangeSet, ...] = ()
    best: ChangeSet | None = None
    cut = False
    reached = grade_target is not None and _rank(settings.grades, result.grade) <= _rank(
        settings.grades, grade_target
    )
    if indicator is None and grade_target is not None and lower is not None and not reached:
        sets, best, cut = _sets(probe, pinned, lost, settings.grades, grade_target, lower)
    return Whatif(
        settings.title,
        program.source.path,
        evidence.source.path,
        tuple(evidence.project.items()),
        result.total,
        result.grade,
        grade_target if indicator is None else None,
        lower if indicator is None else None,
        reached,
        grade_target is None,
        lost,
        sets,
        best,
        pinned,
        cut or probe.exhausted,
        plan.units,
        settings.places,
    )


def _rank(grades: tuple[GradeBand, ...], label: str) -> int:
    for i, band in enumerate(grades):
        if band.label == label:
            return i
    return len(grades)


def _target(
    grades: tuple[GradeBand, ...], grade: str, target: str | None
) -> tuple[str | None, Decimal | None]:
    """The grade to reach and its lower bound: `target`, else the next grade up (None when the
    project has the top grade already)."""
    if target is not None:
        for band in grades:
            if band.label == target:
                return target, band.lower
        raise ValueError(target)  # the command line checks the name first
    rank = _rank(grades, grade)
    if rank == 0:
        return None, None
    band = grades[rank - 1]
    return band.label, band.lower


def _lost(probe: _Probe, pinned: tuple[str, ...], only: str | None) -> tuple[Lost, ...]:
    program = probe.program
    base = probe.base
    out = []
    raw = list(base.ledger.raw())
    under = _under(program, only) if only is not None else None
    for place, (ind, entry) in enumerate(raw):
        points = entry[0]
        if not ind.rules or points is None or points >= ind.weight or entry[3]:
            continue
        if under is not None and ind.code not in under:
            continue
        facts: dict[str, str | None] = {}
        for name in dict.fromkeys(n for n in ind.reads):
            for read, through in base_facts(program, name):
                facts.setdefault(read, through)
        seeds = thresholds(ind.rules)

        def objective(result: Result, place: int = place) -> Decimal | None:
            return points_of(result, place)

        recoveries: list[Recovery] = []
        helped: set[str | None] = set()
        for name, through in facts.items():
            fact = program.facts[name]
            if name in pinned or fact.is_param or not changeable(fact, probe.values.get(name)):
                continue
            options = front(
                probe, fact, objective, _seeds_for(probe, name, seeds), points, ind.weight
            )
            for option in _thin(options):
                helped.add(through)
                recoveries.append(
                    Recovery(
                        option.change,
                        option.value,
                        option.value - points,
                        option.result.total,
                        through,
                    )
                )
        for name in dict.fromkeys(ind.reads):
            if name in program.derived and name not in helped:
                recoveries.extend(_on_derived(probe, name, place, points, seeds))
        out.append(
            Lost(
                ind.code,
                ind.name,
                ind.weight,
                points,
                tuple(recoveries),
                tuple(f for f in facts if f in pinned),
            )
        )
    return tuple(out)


def _under(program: Program, code: str) -> set[str]:
    children = {ind.code: ind.children for ind in program.indicators}
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        out.add(c)
        todo.extend(children.get(c, ()))
    return out


def _seeds_for(probe: _Probe, fact: str, pairs: list[tuple[str, Decimal]]) -> list[Decimal]:
    """The values of `fact` at which a threshold on it, or on a derived fact reading it, is met:
    direct thresholds as they are, derived ones solved on the fact's grid."""
    out = []
    for name, value in pairs:
        if name == fact:
            out.append(value)
        elif name in probe.program.derived and any(
            f == fact for f, _ in base_facts(probe.program, name)
        ):
            out.extend(_solve(probe, fact, name, value))
    return out


def _solve(probe: _Probe, fact: str, derived: str, target: Decimal) -> list[Decimal]:
    """The grid values of `fact` where `derived` crosses `target`, each way from the current
    value (bisection: exact where the derived fact is monotone in the fact, as a rate is);
    solved once per run."""
    key = (fact, derived, target)
    if key not in probe.solved:
        probe.solved[key] = _solved(probe, fact, derived, target)
    return probe.solved[key]


def _solved(probe: _Probe, fact: str, derived: str, target: Decimal) -> list[Decimal]:
    kind = probe.program.facts[fact].kind
    if kind not in STEP:
        return []
    x: Decimal = probe.values[fact]  # type: ignore[assignment]
    step = STEP[kind]
    lo, hi = domain(probe.program.facts[fact])

    def side(v: Decimal) -> int | None:
        if probe.count >= probe.limit:
            probe.exhausted = True
            return None
        probe.count += 1
        got = probe.derive({fact: v}).get(derived)
        if not isinstance(got, Decimal):
            return None
        return (got > target) - (got < target)

    start = side(x)
    if start is None:
        return []
    out = []
    for sign in (1, -1):
        bound = hi if sign > 0 else lo
        far = int((bound - x) * sign / step) if bound is not None and bound.is_finite() else FAR
        k, prev = 1, 0
        while k <= far:
            s = side(x + sign * k * step)
            if s is not None and s != start:
                break
            prev, k = k, k * 2
        else:
            continue
        lo_k, hi_k = prev, k
        while hi_k - lo_k > 1:
            mid = (lo_k + hi_k) // 2
            s = side(x + sign * mid * step)
            if s is not None and s != start:
                hi_k = mid
            else:
                lo_k = mid
        out.append(x + sign * hi_k * step)
    return out


def _on_derived(
    probe: _Probe, name: str, place: int, points: Decimal, pairs: list[tuple[str, Decimal]]
) -> list[Recovery]:
    """Changes of a derived fact itself (scored with it set): for an indicator whose facts
    behind it cannot change, or change nothing."""
    derived = probe.program.derived[name]
    env = probe.derive({})
    x = env.get(name)
    if derived.kind is not Kind.PERCENT or not isinstance(x, Decimal):
        return []
    candidates = sorted(
        {v for n, v in pairs if n == name and Decimal(0) <= v <= Decimal(1) and v != x}
        | {Decimal(1)} - {x}
    )
    out = []
    best = points
    for v in sorted(candidates, key=lambda v: abs(v - x)):
        result = probe.score({}, {name: v})
        got = points_of(result, place) if result.total is not None else None
        if got is not None and got > best:
            best = got
            size = abs(v - x) / max(abs(x), abs(v))
            change = Change(name, derived.kind, x, v, size, derived=True)
            out.append(Recovery(change, got, got - points, result.total, None))
    return out


# ----- sets of changes for the total --------------------------------------------------------------


def _sets(
    probe: _Probe,
    pinned: tuple[str, ...],
    lost: tuple[Lost, ...],
    grades: tuple[GradeBand, ...],
    target: str,
    lower: Decimal,
) -> tuple[tuple[ChangeSet, ...], ChangeSet | None, bool]:
    program = probe.program
    base_total = probe.base.total
    assert base_total is not None
    gap = lower - base_total
    want = _rank(grades, target)

    def total(result: Result) -> Decimal | None:
        return result.total

    def reaches(result: Result | None) -> bool:
        return (
            result is not None
            and result.grade is not None
            and not result.disqualified
            and _rank(grades, result.grade) <= want
        )

    # each fact any lost indicator reads, with its options on the total
    names = dict.fromkeys(
        r.change.fact for ind in lost for r in ind.recoveries if not r.change.derived
    )
    for extra in program.extras:  # a bonus to earn, a penalty to lift
        for read in extra.reads:
            for name, _ in base_facts(program, read):
                fact = program.facts[name]
                if name not in pinned and not fact.is_param:
                    if changeable(fact, probe.values.get(name)):
                        names.setdefault(name)
    seeds = [p for ind in program.indicators for p in thresholds(ind.rules)]
    seeds += [p for extra in program.extras for p in thresholds(extra.rules)]  # type: ignore[arg-type]
    seeds = list(dict.fromkeys(seeds))
    options: dict[str, list[Option]] = {}
    for name in names:
        fact = program.facts[name]
        reached = front(probe, fact, total, _seeds_for(probe, name, seeds), base_total)
        if reached:
            options[name] = _evenly(reached, 16)
    facts = sorted(options, key=lambda n: (-options[n][-1].value, n))
    best = _best(probe, facts, options, reaches)
    out: list[ChangeSet] = []
    work = 0
    verified = 0
    cut = False
    for k in range(1, min(MAX_FACTS, len(facts)) + 1):
        candidates: list[tuple[Decimal, tuple[Option, ...]]] = []
        for combo in itertools.combinations(facts, k):
            work += 1
            if work > BUDGET:
                cut = True
                break
            if sum(options[n][-1].value - base_total for n in combo) < gap:
                continue
            pick = _cheapest(combo, options, base_total, gap)
            if pick is not None:
                candidates.append((sum((o.change.size for o in pick), Decimal(0)), pick))
        candidates.sort(key=lambda c: (c[0], [o.change.fact for o in c[1]]))
        for _, pick in candidates:
            if len(out) >= MAX_SETS:
                break
            verified += 1
            if verified > VERIFY_BUDGET:
                cut = True
                break
            changes = {o.change.fact: o.change for o in pick}
            found = _verified(probe, changes, reaches)
            if found is not None and not any(_dominates(s, found) for s in out):
                out.append(found)
        if len(out) >= MAX_SETS or cut:
            break
    if not out and best is not None:
        greedy = _verified(probe, {c.fact: c for c in best.changes}, reaches, drop=True)
        if greedy is not None:
            out.append(greedy)
    out.sort(key=lambda s: (len(s.changes), sum(c.size for c in s.changes), -s.total))
    return tuple(out[:MAX_SETS]), best, cut


def _cheapest(
    combo: tuple[str, ...], options: dict[str, list[Option]], base: Decimal, gap: Decimal
) -> tuple[Option, ...] | None:
    """One option per fact whose gains (added up, an estimate the verification checks) cover
    the gap, at the least total size."""
    best: tuple[Decimal, tuple[Option, ...]] | None = None
    maxima = [options[n][-1].value - base for n in combo]
    rest = [sum(maxima[i + 1 :]) for i in range(len(combo))]

    def search(i: int, gain: Decimal, size: Decimal, picked: tuple[Option, ...]) -> None:
        nonlocal best
        if best is not None and size >= best[0]:
            return
        if i == len(combo):
            if gain >= gap:
                best = (size, picked)
            return
        for option in options[combo[i]]:
            g = gain + option.value - base
            if g + rest[i] < gap:
                continue
            search(i + 1, g, size + option.change.size, (*picked, option))

    search(0, Decimal(0), Decimal(0), ())
    return best[1] if best is not None else None


def _verified(
    probe: _Probe,
    changes: dict[str, Change],
    reaches: Callable[[Result | None], bool],
    drop: bool = False,
) -> ChangeSet | None:
    """The set scored; if it reaches, each change shrunk (and, `drop`, each dropped) while the
    changed evidence still reaches, and the final set scored again."""
    result = probe.result({n: c.new for n, c in changes.items()})
    if not reaches(result):
        return None
    if drop:
        for name in sorted(changes, key=lambda n: -changes[n].size):
            trial = {n: c.new for n, c in changes.items() if n != name}
            if reaches(probe.result(trial)):
                del changes[name]
    for name, change in list(changes.items()):
        changes[name] = _shrink(probe, changes, change, reaches)
    final = probe.result({n: c.new for n, c in changes.items()})
    if not reaches(final):  # pragma: no cover - each shrink was scored
        return None
    assert final is not None and final.total is not None and final.grade is not None
    ordered = tuple(sorted(changes.values(), key=lambda c: c.fact))
    return ChangeSet(ordered, final.total, final.grade)


def _shrink(
    probe: _Probe,
    changes: dict[str, Change],
    change: Change,
    reaches: Callable[[Result | None], bool],
) -> Change:
    """The smallest change of one numeric fact (or fewest findings removed) that, with the
    others, still reaches: bisection on the grid between its value and the change."""
    others = {n: c.new for n, c in changes.items() if n != change.fact}
    fact = probe.program.facts[change.fact]
    if fact.kind is Kind.LIST:
        had: tuple[Item, ...] = change.old  # type: ignore[assignment]
        left: tuple[Item, ...] = change.new  # type: ignore[assignment]
        removed = [i for i in had if all(i is not j for j in left)]
        for k in range(1, len(removed)):
            gone = set(map(id, removed[:k]))
            kept = tuple(i for i in had if id(i) not in gone)
            if reaches(probe.result({**others, change.fact: kept})):
                return Change(
                    fact.name, fact.kind, had, kept, Decimal(k), tuple(i.text for i in removed[:k])
                )
        return change
    if fact.kind not in STEP or not isinstance(change.new, Decimal):
        return change
    x: Decimal = change.old  # type: ignore[assignment]
    step = STEP[fact.kind]
    sign = 1 if change.new > x else -1
    top = int(abs(change.new - x) / step)
    lo_k, hi_k = 0, top

    def value(k: int) -> Decimal:
        return x + sign * k * step

    if reaches(probe.result({**others, change.fact: value(top)})) and not (
        fact.nonzero and value(top) == 0
    ):
        while hi_k - lo_k > 1:
            mid = (lo_k + hi_k) // 2
            v = value(mid)
            if not (fact.nonzero and v == 0) and reaches(probe.result({**others, change.fact: v})):
                hi_k = mid
            else:
                lo_k = mid
        new = value(hi_k)
        if new != x:
            return Change(fact.name, fact.kind, x, new, abs(new - x) / max(abs(x), abs(new)))
    return change


def _dominates(a: ChangeSet, b: ChangeSet) -> bool:
    """`a` changes a subset of `b`'s facts, each no more than `b` does."""
    bs = {c.fact: c for c in b.changes}
    return all(c.fact in bs and c.size <= bs[c.fact].size for c in a.changes)


def _best(
    probe: _Probe,
    facts: list[str],
    options: dict[str, list[Option]],
    reaches: Callable[[Result | None], bool],
) -> ChangeSet | None:
    """Every fact at its best option at once (each added only while the changed evidence stays
    in its domains and scores higher): the most the changes found can reach together."""
    chosen: dict[str, Change] = {}
    result = probe.base
    for name in facts:
        change = options[name][-1].change
        trial = probe.result({**{n: c.new for n, c in chosen.items()}, name: change.new})
        if (
            trial is not None
            and trial.total is not None
            and result.total is not None
            and trial.total > result.total
        ):
            chosen[name] = change
            result = trial
    if not chosen or result.total is None or result.grade is None:
        return None
    return ChangeSet(
        tuple(sorted(chosen.values(), key=lambda c: c.fact)), result.total, result.grade
    )
