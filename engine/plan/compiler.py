"""Checked program → evaluation plan: every expression and rule compiled once into closures.

Scoring another evidence record re-runs closures; it never re-parses, re-checks or re-walks the
AST. An expression closure takes the environment (name → value) and returns a value. Reading a
fact that is missing, not applicable, or dividing by zero, raises `Faulted` — but only when the
value is actually needed: a guarded rule
(`full when 故障总数 == 0 else proportional 故障修复及时率`)
never touches the faulty rate. A rule closure appends ledger lines; the scorer (`plan.scorer`)
adds floors, caps, zeroing and rounding around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from jixiao.dsl import ast
from jixiao.dsl.record import record
from jixiao.dsl.source import Span

from ..common.ir import Extra, Indicator, Program
from ..common.result import LineKind
from ..common.types import Kind
from ..forms import form_of
from ..forms.base import Compiling
from . import scorer
from .compile_expr import (
    Env,
    ExprFn,
    RawLine,
    Reads,
    RuleFn,
)
from .scorer import CONFIRMING, DECIMAL, EXACT, LeafFn, NodePlan

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from jixiao.dsl.record import NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..common.ir import Order


@record
class ExtraPlan:
    extra: Extra
    rules: tuple[RuleFn, ...]


@record
class VetoPlan:
    veto: ast.Veto
    cond: ExprFn
    reads: Reads


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
    # Leaves no veto targets, each scored by one closure (see `scorer.leaf`); they depend on nothing
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
        (name, c.derived(name), c.uses(program.derived[name].expr)) for name in order.derived
    )
    index = {ind.code: i for i, ind in enumerate(program.indicators)}
    zeroed = {v.target.text for v in program.vetoes if v.action == "zero" and v.target}
    leaves, steps = [], []
    for i in reversed(range(len(program.indicators))):
        ind = program.indicators[i]
        node = c.node(ind) if ind.is_leaf or ind.rules else None
        if node is not None and ind.is_leaf and ind.code not in zeroed:
            leaves.append((i, ind, scorer.leaf(node, program.settings, DECIMAL)))
            continue
        plain = bool(ind.children) and node is None and ind.scale is None
        plain = plain and ind.code not in zeroed
        leaf = (
            scorer.leaf(node, program.settings, DECIMAL)
            if node is not None and ind.is_leaf
            else None
        )
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
    derived = tuple((name, c.derived(name)) for name in order.derived)
    leaves = {
        i: scorer.leaf(c.node(ind), program.settings, EXACT)
        for i, ind in enumerate(program.indicators)
        if ind.is_leaf
    }
    nodes = {i: c.node(ind) for i, ind in enumerate(program.indicators) if ind.is_leaf or ind.rules}
    extras = tuple(
        ExtraPlan(e, tuple(c.deduction(r, e.max) for r in e.rules)) for e in program.extras
    )
    vetoes = tuple(c.expr(v.cond) for v in program.vetoes)
    return ExactPlan(derived, leaves, nodes, extras, vetoes)


def compile_confirming(program: Program) -> dict[int, tuple[LeafFn, frozenset[str]]]:
    """Every leaf again over 28 digits that trust a rounding boundary when nothing was rounded
    on the way (`scorer.CONFIRMING`), with the derived facts it reads, directly or through
    other derived facts: the leaf's score is exact only if they are."""
    from ..common.walk import names_in
    from ..forms import rule_exprs

    c = _Compiler(program)
    derived = program.derived
    out: dict[int, tuple[LeafFn, frozenset[str]]] = {}
    for i, ind in enumerate(program.indicators):
        if not ind.is_leaf:
            continue
        seen: set[str] = set()
        stack = [n.name for r in ind.rules for e in rule_exprs(r) for n in names_in(e)]
        while stack:
            name = stack.pop()
            if name in seen or name not in derived:
                continue
            seen.add(name)
            stack.extend(derived[name].reads)
        out[i] = (scorer.leaf(c.node(ind), program.settings, CONFIRMING), frozenset(seen))
    return out


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
            compiled = self.explained(rule, self.rule(rule, ind.weight))
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
        return self.explained(rule, self.rule(rule, weight))

    def aggregate(self, node: ast.Aggregate) -> Callable[[Env], Any]:
        """An aggregate over a record list (`plan.aggregate`), each list's per-record values
        compiled once."""
        from .aggregate import RecordPlan, compile_aggregate

        plans, name = self._record_plans, node.records.name
        if name not in plans:
            plans[name] = RecordPlan(self, self.program.facts[name])
        return compile_aggregate(self, node, plans[name])

    def explained(self, rule: ast.Clause, fn: RuleFn) -> RuleFn:
        """A rule whose expressions (or the derived facts they read) take aggregates over
        record lists: when it writes its lines, each aggregate's line (the records it used and
        left out, no points) goes before them."""
        if not any(f.kind is Kind.RECORDS for f in self.program.facts.values()):
            return fn
        from ..forms import rule_exprs
        from .aggregate import aggregates_in, explain_fn

        found = aggregates_in(rule_exprs(rule), self.program.derived)
        if not found:
            return fn
        explains = tuple(explain_fn(self, node) for node in found)

        def with_aggregates(env: Env, lines: list[RawLine]) -> Decimal:
            before = len(lines)
            points = fn(env, lines)
            if len(lines) > before:
                taken = [line for line in (e(env) for e in explains) if line is not None]
                lines[before:before] = taken
            return points

        return with_aggregates


__all__ = ["NodePlan", "Plan", "compile_program"]
