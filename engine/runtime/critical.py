"""The critical values of an unknown fact (`eval --partial`, see `runtime.partial`): a finite
set of values among which every form's score in that fact takes its extremes.

- a number (count, money, percent, number): the ends of its domain (`BIG` stands for an open
  end), every constant stated by the rules that read it — thresholds, band edges, targets,
  steps, ranges — with its double (`reverse … linear` reaches 0 at twice its target), its
  complement `1 - k` (a step deduction counts from `100% - x`) and its negative; for a `number`
  scored as points against ranges in shares (`levels … score`), those shares of the reading
  indicators' weights; the value of each known number it meets in a derived fact, and that
  value times each constant (a missing spending over a known budget breaks at budget × 100%) —
  each with its neighbours a hair to either side (one for a count), so an open band edge is
  approached as closely as any rounding can tell;
- a bool: both values; a choice: its choices; another text: the levels and values the rules
  name, and one they do not (`OTHER`);
- a date: each date the rules state and the period's ends, with the days either side, and two
  far dates;
- a list: none, a few, each count the rules compare with (±1) and enough findings to exhaust
  every deduction, their fields cycling through every label the rules name;
- a judgement: 0 and the ends of its ranges.

Between two neighbouring values every form scores monotonically (a band, a step, a
proportion, a decay), so a score's extremes over the domain are among these values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl import record as _record

from ..common.result import Item, Judgement, Provenance
from ..common.types import Kind
from ..forms import all_rules, form_of

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ..common.ir import Fact, Program

BIG = Decimal(10) ** 12  # an open end of a domain: past every threshold a pack can name
HAIR = Decimal("1e-9")  # a value a hair from a band edge (a count: one)
MAX_FINDINGS = 1000  # the most findings a candidate list holds
LEAST_AMOUNT = Decimal("0.01")  # the least amount per finding a list is made long enough for
OTHER = "（其他）"  # a text value no rule names


def walk(node: object) -> Iterator[object]:
    """Every node below `node` (records and tuples of them), spans left out."""
    stack = [node]
    while stack:
        x = stack.pop()
        yield x
        if isinstance(x, tuple):
            stack.extend(x)
        elif isinstance(x, _record.Record):
            stack.extend(getattr(x, n) for n in _record.fields(x) if n != "span")


class Constants:
    """The constants the pack states (numbers, dates, words), each with the unknown facts
    whose rules state it: a fact's candidates come from the rules that read it."""

    def __init__(self) -> None:
        self.numbers: dict[str, set[Decimal]] = {}
        self.stated: dict[str, set[Decimal]] = {}  # as written, before doubles and complements
        self.dates: dict[str, set[dt.date]] = {}
        self.words: dict[str, set[str]] = {}

    def add(self, root: object, facts: Iterable[str]) -> None:
        numbers: set[Decimal] = set()
        dates: set[dt.date] = set()
        words: set[str] = set()
        for x in walk(root):
            if isinstance(x, ast.Number | ast.Percent):
                numbers.add(x.value)
            elif isinstance(x, ast.Date):
                dates.add(x.value)
            elif isinstance(x, ast.String):
                words.add(x.value)
        grown = set(numbers)
        for k in numbers:  # a linear decay ends at twice its target; steps count from 1 - x
            grown.update((2 * k, 1 - k, -k))
        for fact in facts:
            self.numbers.setdefault(fact, set()).update(grown)
            self.stated.setdefault(fact, set()).update(numbers)
            self.dates.setdefault(fact, set()).update(dates)
            self.words.setdefault(fact, set()).update(words)


def _labels(program: Program) -> tuple[dict[str, set[str]], dict[str, dict[str, set[str]]]]:
    """The levels each text fact's rules name, and the labels of each list's finding fields."""
    levels: dict[str, set[str]] = {}
    fields: dict[str, dict[str, set[str]]] = {}
    rules: list[ast.Clause] = []
    for ind in program.indicators:
        rules += all_rules(ind.rules)
    for extra in program.extras:
        rules += all_rules(extra.rules)
    for rule in rules:
        form = form_of(rule)
        for name, field, labels in form.labels(rule):
            if field is None:
                levels.setdefault(name, set()).update(labels)
            else:
                fields.setdefault(name, {}).setdefault(field, set()).update(labels)
        for branches in form.branches(rule):
            levels.setdefault(branches.fact, set()).update(v for v, _ in branches.values)
    return levels, fields


def _judged(program: Program) -> dict[str, set[Decimal]]:
    out: dict[str, set[Decimal]] = {}
    for ind in program.indicators:
        for rule in all_rules(ind.rules):
            for name, interval in form_of(rule).judged(rule):
                for end in (interval.lower, interval.upper):
                    if isinstance(end.value, ast.Number | ast.Percent):
                        out.setdefault(name, set()).add(end.value.value)
    return out


def _domain(fact: Fact) -> tuple[Decimal | None, Decimal | None]:
    lo: Decimal | None = fact.min
    hi: Decimal | None = fact.max
    if lo is None and fact.kind in (Kind.COUNT, Kind.MONEY, Kind.PERCENT):
        lo = Decimal(0)
    if hi is None and fact.kind is Kind.PERCENT:
        hi = Decimal(1)
    return lo, hi


def _numbers(fact: Fact, interesting: Iterable[Decimal]) -> list[Decimal]:
    lo, hi = _domain(fact)
    count = fact.kind is Kind.COUNT
    step = Decimal(1) if count else HAIR
    points: set[Decimal] = set()
    ends = [lo if lo is not None else -BIG, hi if hi is not None else BIG]
    for v in [*interesting, *ends]:
        for x in (v - step, v, v + step) if not count else (v.to_integral_value(), v - 1, v + 1):
            if count:
                x = x.to_integral_value(rounding="ROUND_FLOOR")
            points.add(x)
            if count:
                points.add(x + 1)
    inside = [
        x
        for x in points
        if (lo is None or x >= lo) and (hi is None or x <= hi) and abs(x) <= BIG
        if not (fact.nonzero and x == 0)
    ]
    if fact.nonzero and lo is not None and lo <= 0 and (hi is None or hi > 0):
        inside.append(Decimal(1) if count else HAIR)  # the least a nonzero fact takes
    return sorted(set(inside))


def _findings(size: int, fields: dict[str, set[str]]) -> tuple[Item, ...]:
    labels = {f: sorted(v) or ["甲类", "乙类"] for f, v in sorted(fields.items())}
    return tuple(
        Item(
            f"缺失项{i + 1}",
            Provenance(None, details=tuple((f, v[i % len(v)]) for f, v in labels.items())),
        )
        for i in range(size)
    )


class Candidates:
    def __init__(self, program: Program, k: Constants, partners: dict[str, set[Decimal]]) -> None:
        self.program = program
        self.k = k
        self.partners = partners
        self.levels, self.fields = _labels(program)
        self.judged = _judged(program)
        amounts = [x for xs in k.stated.values() for x in xs if x >= LEAST_AMOUNT]
        total = program.settings.total + sum((e.max for e in program.extras), Decimal(0))
        least = min(amounts) if amounts else Decimal(1)
        enough = int((2 * total / least).to_integral_value()) + 1
        self.most_findings = min(MAX_FINDINGS, enough)

    def of(self, fact: Fact, weights: Iterable[Decimal]) -> list[object]:
        name = fact.name
        numbers = self.k.numbers.get(name, set())
        match fact.kind:
            case Kind.BOOL:
                return [False, True]
            case Kind.TEXT:
                if fact.choices:
                    return list(fact.choices)
                named = self.levels.get(name, set()) | self.k.words.get(name, set())
                return [*sorted(named), OTHER]
            case Kind.DATE:
                marks = set(self.k.dates.get(name, set()))
                period = self.program.settings.period
                if period:
                    marks |= set(period)
                days = {d + dt.timedelta(days=n) for d in marks for n in (-1, 0, 1)}
                days |= {dt.date(1900, 1, 1), dt.date(2199, 12, 31)}
                return list(sorted(days))
            case Kind.LIST:
                sizes = {0, 1, 2, 3, 4, self.most_findings}
                sizes |= {
                    int(n) + d for n in numbers if 0 <= n <= 100 and n == int(n) for d in (-1, 0, 1)
                }
                fields = self.fields.get(name, {})
                return [_findings(n, fields) for n in sorted(s for s in sizes if s >= 0)]
            case Kind.JUDGEMENT:
                amounts = {Decimal(0)} | self.judged.get(name, set())
                return [Judgement(a, "（未知）", None, None) for a in sorted(amounts)]
            case Kind.COUNT | Kind.MONEY | Kind.NUMBER | Kind.PERCENT:
                interesting = set(numbers)
                # a ratio or comparison with a known fact: its value times each constant
                for y in self.partners.get(name, set()):
                    interesting |= {y * c for c in numbers} | {y}
                if fact.kind is Kind.NUMBER:  # a score in points against ranges in shares
                    interesting |= {p * w for p in numbers if abs(p) <= 2 for w in weights}
                return list(_numbers(fact, interesting))
        raise AssertionError(fact.kind)  # pragma: no cover
