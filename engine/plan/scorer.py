"""The one scorer: the engine's own steps around the rules, written once for every level of the
tree and for both kinds of number.

After a node's rules come, in their documented order: floor at 0 (扣完为止), cap at the weight,
`zero when` (which takes away what the node had, as its own line), `warn when`, a `veto … zero`
that fired, and the pack's rounding. A branch with `of` scales its children's sum first; a
bonus or penalty section counts an item once at its highest and stops at its maximum; the
total is rescaled for what is not applicable, takes the sections, is floored, capped at the
pack's total and rounded. Each step is one function here, over one number domain
(`Numbers`): `DECIMAL`, the fast path in 28 digits, and `EXACT`, the rationals used when a
value lies within a hair of a rounding boundary or a decision of its bound (see `plan.exact`).
The exact path runs the very same steps, so it cannot drift from the fast one.

A leaf runs as one closure (`leaf`) specialised to the clauses it has, for speed: the scorer
builds it from these steps. The evaluator walks the tree and calls them for branches, vetoed
leaves, sections and the total.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

from jixiao.dsl.record import record

from ..common.ir import Extra, Indicator, Settings
from ..common.result import LineKind, VetoResult
from .compile_expr import HAIR, ZERO, Env, NearBoundary, RawLine, RuleFn, hair_past

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeAlias

    from jixiao.dsl.source import Span


@record
class NodePlan:
    """The compiled rules of one indicator (a leaf, or a branch with its own rules)."""

    indicator: Indicator
    base: RuleFn | None
    deductions: tuple[RuleFn, ...]
    zeros: tuple[RuleFn, ...]
    warnings: tuple[RuleFn, ...]
    # a leaf scored by deductions alone starts from its weight: the same line every record
    base_line: RawLine


#: A leaf's rules, floor, cap, zeroing and rounding in one closure: env → its ledger record,
#: (points, lines, failures, excluded) — see `result.Entry`.
LeafFn: TypeAlias = "Callable[[Env], tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]]"
#: The pack's rounding as a step: (points, lines, span) → the rounded points, with a line for
#: the difference (see `Numbers.rounding`).
RoundFn: TypeAlias = "Callable[[Any, list[RawLine], Span], Decimal]"

FLOOR, CAP, ROUND, VETO = LineKind.FLOOR, LineKind.CAP, LineKind.ROUND, LineKind.VETO
QUANTA = {places: Decimal(1).scaleb(-places) for places in range(7)}  # the pack's last place
PLACES = {places: Decimal(places) for places in range(7)}
_BELOW_ZERO = -HAIR  # points below this are floored whatever their 28 digits


# ----- the number domains ---------------------------------------------------------------------


class Numbers:
    """A number domain: how the steps take numbers in, decide near a bound, and round."""

    __slots__ = ("_roundings", "confirming", "exact")

    def __init__(self, exact: bool, confirming: bool = False) -> None:
        self.exact = exact
        # 28 digits, trusted at a rounding boundary when nothing before it was rounded (the
        # `Inexact` flag, cleared by the evaluator before the leaf): see `CONFIRMING`
        self.confirming = confirming
        self._roundings: dict[tuple[int, str], RoundFn] = {}

    def lift(self, value: Any) -> Any:
        """`value` as a number of this domain (a `Decimal` stays one on the fast path)."""
        if not self.exact:
            return value
        from .exact import Exact

        return Exact(value)

    def past(self, current: Any, bound: Decimal) -> None:
        """See `compile_expr.hair_past`; the exact domain has no hairs."""
        if not self.exact:
            hair_past(current, bound)

    def rounding(self, settings: Settings) -> RoundFn:
        """The pack's rounding (its places and mode) as a step, built once per domain and
        rounding. In 28 digits, a value within a hair of a rounding boundary raises
        `NearBoundary`; an exact value is rounded exactly (`exact.round_exact`)."""
        key = (settings.places, settings.rounding)
        step = self._roundings.get(key)
        if step is None:
            step = self._roundings[key] = _rounding(self.exact, self.confirming, *key)
        return step


def _rounding(exact: bool, confirming: bool, places: int, mode: str) -> RoundFn:
    quantum, shown = QUANTA[places], PLACES[places]
    if confirming:

        def confirmed(current: Any, lines: list[RawLine], span: Span) -> Decimal:
            rounded_before = decimal.getcontext().flags[decimal.Inexact]
            rounded: Decimal = current.quantize(quantum, rounding=mode)
            if rounded != current:
                if rounded_before and near_boundary(current, rounded, places, mode):
                    raise NearBoundary  # rounded on the way: only exact numbers can tell
                lines.append((ROUND, rounded - current, span, None, (), (current, shown), None))
            return rounded

        return confirmed
    if exact:
        from .exact import Exact, round_exact

        def exactly(current: Any, lines: list[RawLine], span: Span) -> Decimal:
            rounded = round_exact(Exact(current), places, mode)
            if rounded != current:
                lines.append((ROUND, rounded - current, span, None, (), (current, shown), None))
            return rounded

        return exactly

    def in_decimal(current: Any, lines: list[RawLine], span: Span) -> Decimal:
        rounded: Decimal = current.quantize(quantum, rounding=mode)
        if rounded != current:
            if near_boundary(current, rounded, places, mode):
                raise NearBoundary  # 28 digits may be on the wrong side
            lines.append((ROUND, rounded - current, span, None, (), (current, shown), None))
        return rounded

    return in_decimal


def near_boundary(value: Decimal, rounded: Decimal, places: int, mode: str) -> bool:
    """Whether `value`, which rounds to `rounded`, lies within a hair (10⁻¹² of the last place)
    of a point where the rounding changes: its 28 digits might then be on the wrong side."""
    hair, below_half, above_half, below_whole = _WINDOWS[places]
    cut = abs(value - rounded)
    if mode in _HALF_MODES:
        return below_half <= cut <= above_half
    return cut <= hair or cut >= below_whole


_HALF_MODES = frozenset((decimal.ROUND_HALF_UP, decimal.ROUND_HALF_DOWN, decimal.ROUND_HALF_EVEN))
#: per number of places: a hair (10⁻¹² of the last place), and the cuts within a hair of half a
#: place and of a whole one, worked out once (exact: these have few digits)
_WINDOWS = {
    places: (
        quantum.scaleb(-12),
        quantum / 2 - quantum.scaleb(-12),
        quantum / 2 + quantum.scaleb(-12),
        quantum - quantum.scaleb(-12),
    )
    for places, quantum in QUANTA.items()
}


DECIMAL = Numbers(exact=False)
EXACT = Numbers(exact=True)
#: 28 digits, for a leaf whose score landed a hair from a rounding boundary, run again with the
#: `Inexact` flag cleared: if nothing it computed was rounded (a tie of 3 × 0.055 = 0.165, not
#: 3 × 5,500 ÷ 300,000), the 28 digits are the exact value and the pack's rounding of them is
#: the exact one, so no rational re-score is needed (see `_Run.confirmed` in the evaluator).
CONFIRMING = Numbers(exact=False, confirming=True)


# ----- the steps ------------------------------------------------------------------------------


def floor(current: Any, lines: list[RawLine], span: Span, numbers: Numbers) -> Any:
    """扣完为止: points below 0 are 0, with a line for the difference."""
    if current < ZERO:
        if current >= _BELOW_ZERO:  # within a hair of 0 (see `close`)
            numbers.past(current, ZERO)
        lines.append((FLOOR, -current, span, None, (), (), None))
        return ZERO
    return current


def cap(
    current: Any,
    lines: list[RawLine],
    bound: Decimal,
    span: Span,
    numbers: Numbers,
    kind: LineKind = CAP,
) -> Any:
    """Points above `bound` (a weight, or the pack's total) are `bound`, with a line."""
    if current > bound:
        numbers.past(current, bound)
        lines.append((kind, bound - current, span, None, (), (bound,), None))
        return bound
    return current


def settle(node: NodePlan, env: Env, lines: list[RawLine], current: Any, numbers: Numbers) -> Any:
    """The steps after a node's rules, in their documented order: floor at 0, cap at the
    weight, then `zero when` (which takes away what the node had, as its own line) and `warn
    when`. Returns the points."""
    ind = node.indicator
    current = floor(current, lines, ind.span, numbers)
    current = cap(current, lines, ind.weight, ind.span, numbers)
    for zero in node.zeros:
        before = len(lines)
        zero(env, lines)
        if len(lines) > before and current:
            fired = lines[-1]
            lines[-1] = (fired[0], -current, fired[2], fired[3], fired[4], (), None)
            current = ZERO
    for warn in node.warnings:
        warn(env, lines)
    return current


def veto_zero(current: Any, lines: list[RawLine], veto: VetoResult | None) -> Any:
    """A `veto … zero` that fired takes away what its indicator had, as its own line."""
    if veto is not None and current:
        lines.append((VETO, -current, veto.span, veto.reason, veto.facts, (), None))
        return ZERO
    return current


def rules(node: NodePlan, env: Env, lines: list[RawLine], current: Any = None) -> Any:
    """A node's own rules: its base rule's points, added to `current` if there is one (a
    branch's sum); or its weight as the start of a leaf scored by deductions alone; then its
    deductions."""
    base = node.base
    if base is not None:
        points = base(env, lines)
        current = points if current is None else current + points
    elif not lines:
        lines.append(node.base_line)
        current = node.indicator.weight
    for deduct in node.deductions:
        current += deduct(env, lines)
    return current


def scale(total: Any, ind: Indicator, numbers: Numbers) -> tuple[Any, RawLine]:
    """A branch with `of`: its children's sum in its own points, with the line that says so."""
    assert ind.scale is not None
    scaled = numbers.lift(total) * ind.weight / ind.scale
    return scaled, (
        LineKind.SCALE,
        scaled,
        ind.span,
        None,
        (),
        (total, ind.weight, ind.scale),
        None,
    )


def section(extra: Extra, lines: list[RawLine]) -> tuple[Any, list[RawLine]]:
    """A bonus or penalty section's points from its clauses' lines: an item named in several
    clauses counts once (`highest`), and the whole stops at the section's maximum."""
    if extra.highest:
        lines = _highest_only(lines)
    taken = abs(sum((line[1] for line in lines), ZERO))
    if taken > extra.max:
        sign = -1 if extra.kind == "bonus" else 1
        lines.append(
            (
                LineKind.CLAUSE_CAP,
                sign * (taken - extra.max),
                extra.span,
                None,
                (),
                (extra.max,),
                None,
            )
        )
        taken = extra.max
    return taken, lines


def _highest_only(lines: list[RawLine]) -> list[RawLine]:
    """同一项按最高分只计入1次: an item named in several clauses counts once, at its highest."""
    best: dict[str, int] = {}
    for i, line in enumerate(lines):
        item = line[6]
        if item is None:
            continue
        j = best.get(item.text)
        if j is None or line[1] > lines[j][1]:
            best[item.text] = i
    out = []
    for i, line in enumerate(lines):
        item = line[6]
        if item is not None and best[item.text] != i:
            out.append((LineKind.ONCE, ZERO, line[2], line[3], line[4], (), item))
        else:
            out.append(line)
    return out


def total(
    current: Any,
    excluded_weight: Any,
    extras: tuple[tuple[str, Decimal, Span, str], ...],
    settings: Settings,
    span: Span,
    numbers: Numbers,
) -> tuple[Decimal, list[RawLine]]:
    """From the tree's sum to the rounded total: rescaled to the pack's total when some weight
    is not applicable, the sections (kind, points, span, name) added or taken, floored at 0,
    capped at the pack's total (`overflow cap`), rounded."""
    lines: list[RawLine] = []
    current = numbers.lift(current)
    if excluded_weight:
        applicable = settings.total - excluded_weight
        scaled = current * settings.total / applicable if applicable else ZERO
        lines.append(
            (
                LineKind.RESCALE,
                scaled - current,
                span,
                None,
                (),
                (current, applicable, settings.total),
                None,
            )
        )
        current = scaled
    for kind, points, where, name in extras:
        if points:
            sign = 1 if kind == "bonus" else -1
            lines.append((LineKind.EXTRA, sign * points, where, name, (), (points,), None))
            current += sign * points
    current = floor(current, lines, span, numbers)
    if settings.overflow == "cap":
        current = cap(current, lines, settings.total, span, numbers, LineKind.OVERFLOW)
    return numbers.rounding(settings)(current, lines, span), lines


# ----- exact numbers as the ledger shows them -------------------------------------------------


def shown_lines(
    lines: Any, start: Decimal, points: Decimal | None, span: Span, places: Decimal
) -> list[RawLine]:
    """An exact run's lines as the ledger shows them: numbers as decimals, and the rounding
    line recomputed so that `start` plus the lines is the points, exactly (unless `points` is
    None: unrounded points are what the lines add up to)."""
    from .exact import to_decimal

    shown: list[RawLine] = []
    total = start
    for line in lines:
        if line[0] is ROUND:
            continue
        value = to_decimal(line[1])
        shown.append((line[0], value, line[2], line[3], line[4], shown_args(line[5]), line[6]))
        total += value
    if points is not None and total != points:
        shown.append((ROUND, points - total, span, None, (), (total, places), None))
    return shown


def shown_args(args: tuple[Any, ...]) -> tuple[Any, ...]:
    from .exact import to_decimal

    return tuple(to_decimal(a) for a in args)


# ----- a leaf as one closure ------------------------------------------------------------------


def leaf(node: NodePlan, settings: Settings, numbers: Numbers) -> LeafFn:
    """A leaf's whole scoring in one closure, specialised to the clauses it has, built from the
    steps above: the evaluator's general path runs the same steps for branches with rules and
    vetoed leaves."""
    ind, base, deductions, zeros, warnings = (
        node.indicator,
        node.base,
        node.deductions,
        node.zeros,
        node.warnings,
    )
    weight, span, base_line = ind.weight, ind.span, node.base_line
    rounds = settings.rounding_scope == "leaves"
    round_points = numbers.rounding(settings)
    quantum, mode = QUANTA[settings.places], settings.rounding
    # Full marks and nothing are the commonest scores: their rounding is known in advance (a
    # rule returns these very objects when it awards them, so `is` tells). A weight with more
    # places than the pack rounds to never takes the shortcut; nor does the exact path.
    full = weight.quantize(quantum, rounding=mode) if rounds else weight
    nothing = ZERO.quantize(quantum, rounding=mode) if rounds else ZERO
    shortcut: object = weight if full == weight and not numbers.exact else object()
    zero: object = ZERO if not numbers.exact else object()

    def finish(
        current: Decimal, lines: list[RawLine]
    ) -> tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]:
        if current is shortcut:
            return (full, tuple(lines), (), False)
        if current is zero:
            return (nothing, tuple(lines), (), False)
        if current < ZERO:
            floor(current, lines, span, numbers)
            return (nothing, tuple(lines), (), False)
        if current > weight:
            current = cap(current, lines, weight, span, numbers)
        if rounds:
            current = round_points(current, lines, span)
        return (current, tuple(lines), (), False)

    if base is not None and not (deductions or zeros or warnings):

        def scored(env: Env) -> tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]:
            lines: list[RawLine] = []
            current = base(env, lines)
            if current is shortcut:  # full marks: `finish`'s first case, without the call
                return (full, tuple(lines), (), False)
            if current is zero:  # nothing: its second
                return (nothing, tuple(lines), (), False)
            return finish(current, lines)

        return scored

    if base is None and not (zeros or warnings):

        def deducted(env: Env) -> tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]:
            lines = [base_line]
            current = weight
            for deduct in deductions:
                taken = deduct(env, lines)
                if taken is not ZERO:  # nothing taken leaves the weight itself: full marks
                    current += taken
            if current is shortcut:  # `finish`'s first case, without the call
                return (full, tuple(lines), (), False)
            return finish(current, lines)

        return deducted

    def general(env: Env) -> tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]:
        lines: list[RawLine] = []
        return finish(settle(node, env, lines, rules(node, env, lines), numbers), lines)

    return general
