"""Checked program → evaluation plan: every expression and rule compiled once into closures.

Scoring another evidence record re-runs closures; it never re-parses, re-checks or re-walks the
AST. An expression closure takes the environment (name → value) and returns a value. Reading a
fact that is missing, not applicable, or dividing by zero, raises `Faulted` — but only when the
value is actually needed: a guarded rule
(`full when 故障总数 == 0 else proportional 故障修复及时率`)
never touches the faulty rate. A rule closure appends ledger lines; the evaluator adds floors,
caps, zeroing and rounding around them.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType

from jixiao.dsl import ast
from jixiao.dsl.record import record
from jixiao.dsl.source import Span

from ..common.ir import Extra, Indicator, Program, Settings
from ..common.result import LineKind
from ..forms import form_of
from ..forms.base import Compiling
from .compile_expr import (
    HAIR,
    ZERO,
    Env,
    ExprFn,
    NearBoundary,
    RawLine,
    Reads,
    RuleFn,
    close,
    rounded_so_far,
    window,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple, TypeAlias
else:
    from jixiao.dsl.record import NamedTuple

if TYPE_CHECKING:
    from ..common.ir import Order


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


@record
class ExtraPlan:
    extra: Extra
    rules: tuple[RuleFn, ...]


@record
class VetoPlan:
    veto: ast.Veto
    cond: ExprFn
    reads: Reads


#: A leaf's rules, floor, cap, zeroing and rounding in one closure: env → its ledger record,
#: (points, lines, failures, excluded) — see `result.Entry`.
LeafFn: TypeAlias = "Callable[[Env], tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]]"


class Step(NamedTuple):
    """One indicator of the tree walk, children before parents."""

    place: int  # its place in `Program.indicators`
    indicator: Indicator
    node: NodePlan | None  # its compiled rules; None for a branch that only adds up
    children: tuple[int, ...]  # their places in `Program.indicators`
    plain: bool  # a branch with no rules, scale or veto target: the sum of its children
    leaf: LeafFn | None  # a leaf a veto targets: its closure, for the records the veto spares


@record
class Plan:
    program: Program
    order: Order
    derived: tuple[tuple[str, ExprFn, Reads], ...]  # in evaluation order, with what they read
    # Leaves no veto targets, each scored by one closure (see `_leaf`); they depend on nothing
    # but the facts, so they run first, in one tight loop.
    leaves: tuple[tuple[int, Indicator, LeafFn], ...]
    steps: tuple[Step, ...]  # the rest of the tree, bottom-up
    extras: tuple[ExtraPlan, ...]
    vetoes: tuple[VetoPlan, ...]
    roots: tuple[int, ...]  # places of the top-level indicators
    defaults: dict[str, object]  # facts with a default value (parameters, `default`)
    units: Mapping[str, str | None]  # fact → unit, shared read-only by every result
    start: Span  # the pack's first character: where the lines from the tree to the total point
    # What is worked out from the plan only if a record needs it: the exact plan (see
    # `compile_exact`), compiled the first time a score lands near a rounding boundary.
    memo: dict[str, Any]


@record
class ExactPlan:
    """The derived facts, leaves, branches with rules and bonus sections compiled over `Exact`
    numbers (see `plan.exact`)."""

    derived: tuple[tuple[str, ExprFn], ...]
    leaves: dict[int, LeafFn]  # by place in `Program.indicators`
    nodes: dict[int, NodePlan]  # every indicator with rules of its own, by place
    extras: tuple[ExtraPlan, ...]  # the bonus and penalty sections, in the plan's order
    vetoes: tuple[ExprFn, ...]  # the vetoes' conditions, in the plan's order


def compile_program(program: Program, order: Order) -> Plan:
    c = _Compiler(program)
    derived = tuple(
        (name, c.expr(program.derived[name].expr), c.uses(program.derived[name].expr))
        for name in order.derived
    )
    index = {ind.code: i for i, ind in enumerate(program.indicators)}
    zeroed = {v.target.text for v in program.vetoes if v.action == "zero" and v.target}
    leaves, steps = [], []
    for i in reversed(range(len(program.indicators))):
        ind = program.indicators[i]
        node = c.node(ind) if ind.is_leaf or ind.rules else None
        if node is not None and ind.is_leaf and ind.code not in zeroed:
            leaves.append((i, ind, _leaf(node, program.settings)))
            continue
        plain = bool(ind.children) and node is None and ind.scale is None
        plain = plain and ind.code not in zeroed
        leaf = _leaf(node, program.settings) if node is not None and ind.is_leaf else None
        steps.append(Step(i, ind, node, tuple(index[ch] for ch in ind.children), plain, leaf))
    extras = tuple(
        ExtraPlan(e, tuple(c.deduction(r, e.max) for r in e.rules)) for e in program.extras
    )
    vetoes = tuple(VetoPlan(v, c.expr(v.cond), c.uses(v.cond)) for v in program.vetoes)
    defaults = {n: f.default for n, f in program.facts.items() if f.default is not None}
    units = MappingProxyType({n: f.unit for n, f in program.facts.items()})
    return Plan(
        program,
        order,
        derived,
        tuple(leaves),
        tuple(steps),
        extras,
        vetoes,
        tuple(index[r] for r in program.roots),
        defaults,
        units,
        program.source.span(0, 0),
        {},
    )


def compile_exact(program: Program, order: Order) -> ExactPlan:
    """The plan's derived facts and leaves again, over `Exact` numbers: the same closures, so
    the same semantics, computing without rounding until the pack's own rounding."""
    c = _Compiler(program, exact=True)
    derived = tuple((name, c.expr(program.derived[name].expr)) for name in order.derived)
    leaves = {
        i: _leaf(c.node(ind), program.settings, exact=True)
        for i, ind in enumerate(program.indicators)
        if ind.is_leaf
    }
    nodes = {i: c.node(ind) for i, ind in enumerate(program.indicators) if ind.is_leaf or ind.rules}
    extras = tuple(
        ExtraPlan(e, tuple(c.deduction(r, e.max) for r in e.rules)) for e in program.extras
    )
    vetoes = tuple(c.expr(v.cond) for v in program.vetoes)
    return ExactPlan(derived, leaves, nodes, extras, vetoes)


def settle(
    node: NodePlan, env: Env, lines: list[RawLine], current: Decimal, exact: bool = False
) -> Decimal:
    """The engine's steps after a node's rules, in their documented order: floor at 0
    (扣完为止), cap at the weight, then `zero when` (which takes away what the node had, as its
    own line) and `warn when`. Returns the points. With `exact`, the numbers are exact (some
    may still be `Decimal`s): nothing is checked for a hair."""
    ind = node.indicator
    if current < ZERO:
        if not exact:
            _hair_past(current, ZERO)
        lines.append((LineKind.FLOOR, -current, ind.span, None, (), (), None))
        current = ZERO
    elif current > ind.weight:
        if not exact:
            _hair_past(current, ind.weight)
        lines.append((LineKind.CAP, ind.weight - current, ind.span, None, (), (ind.weight,), None))
        current = ind.weight
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


def _hair_past(current: Any, bound: Decimal) -> None:
    """A floor or a cap about to fire on points a hair past it, when something was rounded:
    the exact points may be on the bound, where the ledger shows no such line."""
    if type(current) is Decimal and close(current, bound) and rounded_so_far():
        raise NearBoundary


_BELOW_ZERO = -HAIR  # points below this are floored whatever their 28 digits


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(7)}  # the pack's last place


def near_boundary(value: Decimal, rounded: Decimal, places: int, mode: str) -> bool:
    """Whether `value`, which rounds to `rounded`, lies within a hair (10⁻¹² of the last place)
    of a point where the rounding changes: its 28 digits might then be on the wrong side."""
    quantum = _QUANTA[places]
    hair = quantum.scaleb(-12)
    cut = abs(value - rounded)
    if mode in (decimal.ROUND_HALF_UP, decimal.ROUND_HALF_DOWN, decimal.ROUND_HALF_EVEN):
        return abs(cut - quantum / 2) <= hair
    return cut <= hair or quantum - cut <= hair


def pack_round(value: Any, settings: Settings, exact: bool = False) -> Decimal:
    """The pack's rounding, wherever it applies (leaves, branches with rules, the total). A
    decimal within a hair of a boundary raises `NearBoundary`, for the caller to compute the
    value again exactly; an exact value is rounded exactly."""
    places, mode = settings.places, settings.rounding
    if exact:
        from .exact import Exact, round_exact

        return round_exact(Exact(value), places, mode)
    rounded: Decimal = value.quantize(_QUANTA[places], rounding=mode)
    if rounded != value and near_boundary(value, rounded, places, mode):
        raise NearBoundary  # 28 digits may be on the wrong side
    return rounded


def _leaf(node: NodePlan, settings: Settings, exact: bool = False) -> LeafFn:
    """A leaf's whole scoring in one closure, specialised to the clauses it has: the evaluator's
    general path (`_Run.score`) does the same steps for branches with rules and vetoed leaves,
    and the tests hold the two to the same ledgers. With `exact`, its numbers are `Exact` and
    its rounding is `round_exact` (see `plan.exact`)."""
    ind, base, deductions, zeros, warnings = (
        node.indicator,
        node.base,
        node.deductions,
        node.zeros,
        node.warnings,
    )
    weight, span, base_line = ind.weight, ind.span, node.base_line
    floor, cap, round_kind = LineKind.FLOOR, LineKind.CAP, LineKind.ROUND
    cap_args = (weight,)
    rounds = settings.rounding_scope == "leaves"
    quantum, mode = _QUANTA[settings.places], settings.rounding
    places = Decimal(settings.places)
    # Full marks and nothing are the commonest scores: their rounding is known in advance (a
    # rule returns these very objects when it awards them, so `is` tells). A weight with more
    # places than the pack rounds to never takes the shortcut; nor does the exact path.
    full = weight.quantize(quantum, rounding=mode) if rounds else weight
    nothing = ZERO.quantize(quantum, rounding=mode) if rounds else ZERO
    shortcut: object = weight if full == weight and not exact else object()
    above_weight = window(weight)[1]  # points above this are capped whatever their 28 digits
    zero: object = ZERO if not exact else object()

    def finish(
        current: Decimal, lines: list[RawLine]
    ) -> tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]:
        if current is shortcut:
            return (full, tuple(lines), (), False)
        if current is zero:
            return (nothing, tuple(lines), (), False)
        if current < ZERO:
            if current >= _BELOW_ZERO and not exact:
                _hair_past(current, ZERO)
            lines.append((floor, -current, span, None, (), (), None))
            return (nothing, tuple(lines), (), False)
        if current > weight:
            if current <= above_weight and not exact:
                _hair_past(current, weight)
            lines.append((cap, weight - current, span, None, (), cap_args, None))
            current = weight
        if rounds:
            rounded = pack_round(current, settings, exact)
            if rounded != current:
                lines.append(
                    (round_kind, rounded - current, span, None, (), (current, places), None)
                )
                current = rounded
            elif exact:
                current = rounded  # the points are a decimal, as on the decimal path
        return (current, tuple(lines), (), False)

    if base is not None and not (deductions or zeros or warnings):

        def scored(env: Env) -> tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]:
            lines: list[RawLine] = []
            current = base(env, lines)
            if current is shortcut:  # full marks: `finish`'s first case, without the call
                return (full, tuple(lines), (), False)
            return finish(current, lines)

        return scored

    if base is None and not (zeros or warnings):

        def deducted(env: Env) -> tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]:
            lines = [base_line]
            current = weight
            for deduct in deductions:
                current += deduct(env, lines)
            return finish(current, lines)

        return deducted

    def general(env: Env) -> tuple[Decimal, tuple[RawLine, ...], tuple[()], bool]:
        lines: list[RawLine] = []
        if base is not None:
            current = base(env, lines)
        else:
            lines.append(base_line)
            current = weight
        for deduct in deductions:
            current += deduct(env, lines)
        return finish(settle(node, env, lines, current, exact), lines)

    return general


class _Compiler(Compiling):
    # Rule closures append ledger lines as plain tuples in `Line`'s field order (a named tuple
    # costs several times more to create, for every line of every record) and return the points
    # they add; the evaluator's `Ledger` turns them into `Line`s when the ledger is read.

    # ----- indicators ----------------------------------------------------------------------

    def node(self, ind: Indicator) -> NodePlan:
        base: RuleFn | None = None
        deductions: list[RuleFn] = []
        zeros: list[RuleFn] = []
        warnings: list[RuleFn] = []
        for rule in ind.rules:
            # INVARIANT: the checker expands calls and takes policies out of the rules
            compiled = self.rule(rule, ind.weight)
            if isinstance(rule, ast.BASE_RULES):
                base = compiled
            elif isinstance(rule, ast.DEDUCTIONS):
                deductions.append(compiled)
            elif isinstance(rule, ast.ZeroWhen):
                zeros.append(compiled)  # the engine zeroes the node after its rules (`settle`)
            else:
                warnings.append(compiled)
        base_line = (LineKind.BASE, ind.weight, ind.span, None, (), (ind.weight,), None)
        return NodePlan(ind, base, tuple(deductions), tuple(zeros), tuple(warnings), base_line)

    def rule(self, rule: ast.Clause, weight: Decimal) -> RuleFn:
        """A rule, an extra section's clause or an award standing as a rule, compiled by its
        form (see `engine.forms`)."""
        return form_of(rule).compile(self, rule, weight)

    def deduction(self, rule: ast.Deduction | ast.ExtraRule, weight: Decimal) -> RuleFn:
        return self.rule(rule, weight)


__all__ = ["NodePlan", "Plan", "compile_program"]
