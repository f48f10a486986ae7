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

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType

from jixiao.dsl import ast
from jixiao.dsl.record import record
from jixiao.dsl.source import Span

from ..common.ir import Extra, Indicator, Program
from ..common.result import Failure, Item, Judgement, LineKind
from ..common.types import Kind
from ..common.walk import constant_points, names_in
from . import scorer
from .compile_expr import (
    ONE,
    UNSET,
    ZERO,
    AmountFn,
    Env,
    ExprCompiler,
    ExprFn,
    Faulted,
    NearBoundary,
    RawLine,
    Reads,
    RuleFn,
    _plain,
    close,
    read,
)
from .scorer import DECIMAL, EXACT, LeafFn, NodePlan

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from jixiao.dsl.record import NamedTuple

if TYPE_CHECKING:
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
    derived = tuple((name, c.expr(program.derived[name].expr)) for name in order.derived)
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


#: A clause's cap a hair past its bound (see `_clause_cap`): the scorer's step, on the fast path.
_hair_past = DECIMAL.past


class _Compiler(ExprCompiler):
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
            match rule:
                case ast.ZeroWhen(cond, reason):
                    zeros.append(self.flag(LineKind.ZERO, cond, reason, rule.span))
                case ast.WarnWhen(cond, message):
                    warnings.append(self.flag(LineKind.WARN, cond, message, rule.span))
                case (
                    ast.DeductPer()
                    | ast.DeductWhen()
                    | ast.DeductBy()
                    | ast.DeductStep()
                    | ast.DeductJudged()
                ):
                    deductions.append(self.deduction(rule, ind.weight))
                case (
                    ast.FullWhen()
                    | ast.Proportional()
                    | ast.Reverse()
                    | ast.Forward()
                    | ast.Equal()
                    | ast.Tiers()
                    | ast.Levels()
                    | ast.LevelRange()
                    | ast.Checklist()
                    | ast.Choose()
                ):
                    base = self.base(rule, ind.weight)
                case ast.CallRule() | ast.NaPolicy():
                    # INVARIANT: the checker expands calls and takes policies out of the rules
                    raise AssertionError(f"not a rule to compile: {rule!r}")  # pragma: no cover
                case _:
                    ast.assert_never(rule)
        base_line = (LineKind.BASE, ind.weight, ind.span, None, (), (ind.weight,), None)
        return NodePlan(ind, base, tuple(deductions), tuple(zeros), tuple(warnings), base_line)

    def base(self, rule: ast.Base | ast.Award, weight: Decimal) -> RuleFn:
        span = rule.span
        match rule:
            case ast.Full() | ast.Points() | ast.Share() | ast.AwardExpr():
                points, fixed_kind = self.amount(rule, weight), LineKind.FIXED

                def fixed(env: Env, lines: list[RawLine]) -> Decimal:
                    p = points(env)
                    lines.append((fixed_kind, p, span, None, (), (p,), None))
                    return p

                return fixed
            case ast.FullWhen(cond, otherwise):
                cf, reads = self.expr(cond), self.uses(cond)
                other = self.base(otherwise, weight) if otherwise is not None else None
                full = (LineKind.FULL, weight, span, None, reads, (weight,), None)
                unmet = (LineKind.UNMET, ZERO, cond.span, None, reads, (), None)

                if isinstance(cond, ast.Name) and other is None:
                    name, fact_span = cond.name, cond.span

                    def full_when_fact(env: Env, lines: list[RawLine]) -> Decimal:
                        # `full when 项目与职能规划相符`, the commonest standard: read inline
                        value = env[name]
                        if type(value) in UNSET:
                            read(env, name, fact_span)  # raises the fault
                        if value:
                            lines.append(full)
                            return weight
                        lines.append(unmet)
                        return ZERO

                    return full_when_fact

                def full_when(env: Env, lines: list[RawLine]) -> Decimal:
                    # both lines are constants: which one applies is all a record decides
                    if cf(env):
                        lines.append(full)
                        return weight
                    lines.append(unmet)
                    return other(env, lines) if other is not None else ZERO

                return full_when
            case ast.Proportional(rate):
                rf, reads, kind = self.expr(rate), self.uses(rate), LineKind.PROPORTIONAL

                def proportional(env: Env, lines: list[RawLine]) -> Decimal:
                    value = rf(env)
                    p: Decimal = weight * value
                    lines.append((kind, p, span, None, reads, (weight, value), None))
                    return p

                return proportional
            case ast.Reverse(actual, target, linear):
                return self.reverse(actual, target, linear, weight, span)
            case ast.Forward(actual, target):
                return self.forward(actual, target, False, weight, span)
            case ast.Equal(actual, target):
                return self.forward(actual, target, True, weight, span)
            case ast.Tiers(subject, bands):
                return self.tiers(subject, bands, weight)
            case ast.Levels(subject, levels):
                return self.levels(subject, levels, weight, span)
            case ast.LevelRange(subject, score, levels):
                return self.level_range(subject, score, levels, weight, span)
            case ast.Checklist(base, items):
                return self.checklist(base, items, weight)
            case ast.Choose(choices):
                return self.choose(choices, weight)
            case _:
                ast.assert_never(rule)

    def forward(
        self, actual: ast.Expr, target: ast.Expr, equal: bool, weight: Decimal, span: Span
    ) -> RuleFn:
        af, tf, reads = self.expr(actual), self.expr(target), self.uses(actual, target)
        kind = LineKind.EQUAL if equal else LineKind.FORWARD
        full = (LineKind.FULL, weight, span, None, reads, (weight,), None)
        near = self.near_pair(actual, target, af, tf)

        def forward(env: Env, lines: list[RawLine]) -> Decimal:
            a, t = af(env), tf(env)
            if near is not None:
                near(env, a, t)
            if equal and t == 0:
                points = weight if a <= 0 else ZERO
            elif a >= t:
                points = weight
            else:
                # t > a here; a negative actual counts as 0 (the provincial systems' rule)
                points = weight * max(a, ZERO) / t if t > 0 else ZERO
            if points == weight:
                lines.append(full)
            else:
                lines.append((kind, points, span, None, reads, (weight, a, t), None))
            return points

        return forward

    def reverse(
        self, actual: ast.Expr, target: ast.Expr, linear: bool, weight: Decimal, span: Span
    ) -> RuleFn:
        af, tf, reads = self.expr(actual), self.expr(target), self.uses(actual, target)
        full = (LineKind.FULL, weight, span, None, reads, (weight,), None)
        kind = LineKind.REVERSE_LINEAR if linear else LineKind.REVERSE
        near = self.near_pair(actual, target, af, tf)

        def reverse(env: Env, lines: list[RawLine]) -> Decimal:
            a, t = af(env), tf(env)
            if near is not None:
                near(env, a, t)
            if a <= t:
                lines.append(full)
                return weight
            if not linear:
                # a > t, so a > 0 whenever t >= 0; a zero target scores 0, never divides by 0
                points = weight * t / a if a > 0 and t > 0 else ZERO
            elif t <= 0 or a >= 2 * t:
                points = ZERO
            else:
                points = (ONE - (a - t) / t) * weight
            lines.append((kind, points, span, None, reads, (weight, a, t), None))
            return points

        return reverse

    def near_pair(
        self, actual: ast.Expr, target: ast.Expr, af: ExprFn, tf: ExprFn
    ) -> Callable[[Env, Any, Any], None] | None:
        """For `forward`, `equal` and `reverse` when their values may have been rounded: what
        they decide on (the actual against the target, either against 0) is checked for a
        hair, and `NearBoundary` raised if so (see `ExprCompiler.confirm`)."""
        if not self.rounds(actual, target):
            return None
        confirm = self.confirm((actual, target), *self.arithmetic((actual, af), (target, tf)))

        def near(env: Env, a: Any, t: Any) -> None:
            if (close(a, t) or close(a, ZERO) or close(t, ZERO)) and confirm(env):
                raise NearBoundary

        return near

    def bound(self, bound: ast.Bound | None) -> tuple[ExprFn, bool] | None:
        return (self.expr(bound.value), bound.inclusive) if bound is not None else None

    def tiers(self, subject: ast.Expr, bands: tuple[ast.Band, ...], weight: Decimal) -> RuleFn:
        sf, reads, kind = self.expr(subject), self.uses(subject), LineKind.TIER
        compiled = [
            (self.bound(b.lower), self.bound(b.upper), self.amount(b.award, weight), b.span)
            for b in bands
        ]
        span = subject.span
        bounds = [b.value for band in bands for b in (band.lower, band.upper) if b is not None]
        if self.rounds(subject, *bounds):
            return self.tiers_checked(sf, compiled, bounds, subject, reads)

        def tiers(env: Env, lines: list[RawLine]) -> Decimal:
            value = sf(env)
            for low, high, points, where in compiled:
                if low is not None and not _above(value, low[0](env), low[1]):
                    continue
                if high is not None and not _below(value, high[0](env), high[1]):
                    continue
                p = points(env)
                lines.append((kind, p, where, None, reads, (p,), None))
                return p
            raise Faulted(Failure("E608", None, span, f"no band holds {_plain(value)}"))

        return tiers

    def tiers_checked(
        self,
        sf: ExprFn,
        compiled: list[tuple[Any, Any, AmountFn, Span]],
        bounds: list[ast.Expr],
        subject: ast.Expr,
        reads: Reads,
    ) -> RuleFn:
        """`tiers` over a value that may have been rounded (a derived rate): each bound it is
        tested against is checked for a hair (see `ExprCompiler.confirm`)."""
        confirm = self.confirm(
            (subject, *bounds),
            *self.arithmetic((subject, sf), *((b, self.expr(b)) for b in bounds)),
        )
        kind, span = LineKind.TIER, subject.span

        def test(env: Env, value: Any, bound: tuple[ExprFn, bool], above: bool) -> bool:
            edge = bound[0](env)
            if close(value, edge) and confirm(env):
                raise NearBoundary  # decided again exactly
            return _above(value, edge, bound[1]) if above else _below(value, edge, bound[1])

        def tiers(env: Env, lines: list[RawLine]) -> Decimal:
            value = sf(env)
            for low, high, points, where in compiled:
                if low is not None and not test(env, value, low, True):
                    continue
                if high is not None and not test(env, value, high, False):
                    continue
                p = points(env)
                lines.append((kind, p, where, None, reads, (p,), None))
                return p
            raise Faulted(Failure("E608", None, span, f"no band holds {_plain(value)}"))

        return tiers

    def levels(
        self, subject: ast.Expr, levels: tuple[ast.Level, ...], weight: Decimal, span: Span
    ) -> RuleFn:
        sf, reads, kind = self.expr(subject), self.uses(subject), LineKind.LEVEL
        table = {lv.label: (self.amount(lv.award, weight), lv.span) for lv in levels}
        labels = ", ".join(f"`{x}`" for x in table)

        def level(env: Env, lines: list[RawLine]) -> Decimal:
            value = sf(env)
            if value not in table:
                raise Faulted(Failure("E607", None, span, f"`{value}` is not one of {labels}"))
            points, where = table[value]
            p = points(env)
            lines.append((kind, p, where, None, reads, (p,), None))
            return p

        return level

    def level_range(
        self,
        subject: ast.Expr,
        score: ast.Expr,
        levels: tuple[ast.LevelInterval, ...],
        weight: Decimal,
        span: Span,
    ) -> RuleFn:
        sf, reads, kind = self.expr(subject), self.uses(subject, score), LineKind.LEVEL_SCORE
        score_fn = self.points_of(score, weight)
        table = {
            lv.label: (
                self.points_of(lv.interval.lower.value, weight),
                lv.interval.lower.inclusive,
                self.points_of(lv.interval.upper.value, weight),
                lv.interval.upper.inclusive,
                lv.span,
            )
            for lv in levels
        }
        labels = ", ".join(f"`{x}`" for x in table)
        # whether the score lies in its level's range decides an error: checked for a hair
        edges = [f for low, _, high, _, _ in table.values() for f in (low, high)]
        confirm = None if self.exact else self.confirm((score,), score_fn, *edges)

        def level_range(env: Env, lines: list[RawLine]) -> Decimal:
            label = sf(env)
            if label not in table:
                raise Faulted(Failure("E607", None, span, f"`{label}` is not one of {labels}"))
            low_fn, low_in, high_fn, high_in, where = table[label]
            points, low, high = score_fn(env), low_fn(env), high_fn(env)
            if confirm is not None and (close(points, low) or close(points, high)):
                if confirm(env):
                    raise NearBoundary  # decided again exactly
            if not (_above(points, low, low_in) and _below(points, high, high_in)):
                opening, closing = "[" if low_in else "(", "]" if high_in else ")"
                interval = f"{opening}{_plain(low)}, {_plain(high)}{closing}"
                raise Faulted(
                    Failure(
                        "E612",
                        None,
                        span,
                        f"the score {_plain(points)} for level `{label}` lies outside its range "
                        f"{interval} (points)",
                    )
                )
            lines.append((kind, points, where, str(label), reads, (points, low, high), None))
            return points

        return level_range

    def checklist(
        self, base: ast.Award | None, items: tuple[ast.CheckItem, ...], weight: Decimal
    ) -> RuleFn:
        from jixiao.dsl.formatter import format_expr  # an item without a reason shows its test

        base_fn = self.amount(base, weight) if base is not None else None
        compiled = [
            (
                self.amount(i.award, weight),
                self.expr(i.cond),
                self.uses(i.cond),
                i.reason.value if i.reason else format_expr(i.cond),
                i.span,
            )
            for i in items
        ]
        base_span = base.span if base is not None else None
        base_kind, kind = LineKind.CHECK_BASE, LineKind.CHECK

        def checklist(env: Env, lines: list[RawLine]) -> Decimal:
            total = ZERO
            if base_fn is not None and base_span is not None:
                total = base_fn(env)
                lines.append((base_kind, total, base_span, None, (), (total,), None))
            for points, cf, reads, reason, where in compiled:
                p = points(env)
                met = bool(cf(env))
                lines.append(
                    (
                        kind,
                        p if met else ZERO,
                        where,
                        reason,
                        reads,
                        (p, ONE if met else ZERO),
                        None,
                    )
                )
                if met:
                    total += p
            return total

        return checklist

    def choose(self, choices: tuple[ast.Choice, ...], weight: Decimal) -> RuleFn:
        compiled = [
            (
                self.expr(c.cond) if c.cond is not None else None,
                (
                    LineKind.CHOICE,
                    ZERO,
                    c.span,
                    None,
                    self.uses(c.cond) if c.cond else (),
                    (),
                    None,
                ),
                self.base(c.then, weight),
            )
            for c in choices
        ]
        unmet = (LineKind.UNMET, ZERO, choices[0].span, None, (), (), None)

        def choose(env: Env, lines: list[RawLine]) -> Decimal:
            for cf, chosen, then in compiled:
                if cf is None or cf(env):
                    lines.append(chosen)
                    return then(env, lines)
            lines.append(unmet)
            return ZERO

        return choose

    # ----- deductions and bonuses ----------------------------------------------------------

    def deduction(self, rule: ast.Deduction | ast.ExtraRule, weight: Decimal) -> RuleFn:
        match rule:
            case ast.DeductWhen(amount, cond, reason) | ast.AddWhen(amount, cond, reason):
                sign = 1 if isinstance(rule, ast.AddWhen) else -1
                kind = LineKind.ADD if sign > 0 else LineKind.DEDUCT
                af, cf, reads = self.amount(amount, weight), self.expr(cond), self.uses(cond)
                text = reason.value if reason else None
                span = rule.span

                fixed = constant_points(amount, weight)
                if fixed is not None:
                    # the line is the same for every record that meets the condition
                    line = (kind, sign * fixed, span, text, reads, (fixed, ONE), None)
                    points = sign * fixed

                    def when_fixed(env: Env, lines: list[RawLine]) -> Decimal:
                        if not cf(env):
                            return ZERO
                        lines.append(line)
                        return points

                    return when_fixed

                def when(env: Env, lines: list[RawLine]) -> Decimal:
                    if not cf(env):
                        return ZERO
                    a = af(env)
                    lines.append((kind, sign * a, span, text, reads, (a, ONE), None))
                    return sign * a

                return when
            case ast.DeductPer() | ast.AddPer():
                return self.per_item(rule, weight)
            case ast.DeductBy():
                return self.by_field(rule, weight)
            case ast.DeductStep():
                return self.step(rule, weight)
            case ast.DeductJudged():
                return self.judged(rule, weight)
            case _:
                ast.assert_never(rule)

    def per_item(self, rule: ast.DeductPer | ast.AddPer, weight: Decimal) -> RuleFn:
        sign = 1 if isinstance(rule, ast.AddPer) else -1
        kind = LineKind.ADD if sign > 0 else LineKind.DEDUCT
        duplicate = LineKind.DUPLICATE
        af, sf, reads = (
            self.amount(rule.amount, weight),
            self.expr(rule.subject),
            self.uses(rule.subject),
        )
        template = rule.reason.value if rule.reason else None
        distinct = rule.distinct if isinstance(rule, ast.DeductPer) else None
        field = distinct.field.value if distinct and distinct.field else None
        cap = (
            self.points_of(rule.max, weight)
            if isinstance(rule, ast.DeductPer) and rule.max
            else None
        )
        span, checked = rule.span, not self.exact
        fixed = constant_points(rule.amount, weight)
        # a number of items that may have been rounded: a hair above 0 would deduct a hair
        confirm = None
        if self.rounds(rule.subject):
            confirm = self.confirm((rule.subject,), *self.arithmetic((rule.subject, sf)))

        def per_item(env: Env, lines: list[RawLine]) -> Decimal:
            a = fixed if fixed is not None else af(env)
            value = sf(env)
            if confirm is not None and type(value) is Decimal and close(value, ZERO):
                if confirm(env):
                    raise NearBoundary  # decided again exactly
            if isinstance(value, tuple):
                if not value:
                    return ZERO
                each, args = sign * a, (a, ONE)
                seen: set[str] = set()
                total = ZERO
                for item in value:
                    reason = template.replace("{item}", item.text) if template else item.text
                    if distinct is not None:
                        key = _field(item, field, span) if field else item.text
                        if key in seen:
                            lines.append((duplicate, ZERO, span, reason, reads, (), item))
                            continue
                        seen.add(key)
                    lines.append((kind, each, span, reason, reads, args, item))
                    total += each
            elif value > 0:
                reason = template.replace("{count}", _plain(value)) if template else None
                total = sign * a * value
                lines.append((kind, total, span, reason, reads, (a, value), None))
            else:
                return ZERO
            return (
                total
                if cap is None
                else total + _clause_cap(lines, total, cap(env), span, checked=checked)
            )

        return per_item

    def by_field(self, rule: ast.DeductBy, weight: Decimal) -> RuleFn:
        sf, reads = self.expr(rule.subject), self.uses(rule.subject)
        field = rule.field.value
        rows = {
            r.label: (
                self.amount(r.amount, weight),
                self.points_of(r.max, weight) if r.max is not None else None,
            )
            for r in rule.rows
        }
        cap = self.points_of(rule.max, weight) if rule.max is not None else None
        template = rule.reason.value if rule.reason else None
        labels = ", ".join(f"`{x}`" for x in rows)
        span, kind, checked = rule.span, LineKind.DEDUCT, not self.exact

        def by_field(env: Env, lines: list[RawLine]) -> Decimal:
            groups: dict[str, list[RawLine]] = {}
            for item in sf(env):
                label = _field(item, field, span)
                if label not in rows:
                    raise Faulted(
                        Failure(
                            "E613",
                            None,
                            span,
                            f"finding `{item.text}` has {field} `{label}`, not one of {labels}",
                        )
                    )
                a = rows[label][0](env)
                reason = template.replace("{item}", item.text) if template else item.text
                groups.setdefault(label, []).append((kind, -a, span, reason, reads, (a, ONE), item))
            total = ZERO
            for label, group in groups.items():
                lines.extend(group)
                taken = sum((line[1] for line in group), ZERO)
                row_cap = rows[label][1]
                if row_cap is not None:
                    taken += _clause_cap(lines, taken, row_cap(env), span, label, checked)
                total += taken
            if cap is not None:
                total += _clause_cap(lines, total, cap(env), span, checked=checked)
            return total

        return by_field

    def step(self, rule: ast.DeductStep, weight: Decimal) -> RuleFn:
        af = self.amount(rule.amount, weight)
        xf, sf = self.expr(rule.step), self.expr(rule.shortfall)
        reads = self.uses(rule.shortfall, rule.step)
        cap = self.points_of(rule.max, weight) if rule.max is not None else None
        reason = rule.reason.value if rule.reason else None
        mode, span, kind, checked = rule.mode, rule.span, LineKind.STEP, not self.exact
        # the ledger shows the shortfall and the step as the pack wrote them: a percent as a
        # percent (a 100 % shortfall is not `1`), any other quantity as a number
        as_percent = Kind.PERCENT in (self.kind(rule.step), self.kind(rule.shortfall))
        # What a step count decides on — the shortfall against 0, the step against 0, and
        # for `whole` and `started` the quotient against the nearest whole number — is checked
        # for a hair: ⅓ short at steps of ⅙ is 1.999…9 steps in 28 digits, one whole step.
        counted = mode in ("whole", "started")
        sides = self.rounds(rule.shortfall), self.rounds(rule.step)
        confirm = None
        if not self.exact and (counted or any(sides)):
            confirm = self.confirm(
                (rule.shortfall, rule.step), sf, xf, lambda env: sf(env) / xf(env)
            )

        def near(env: Env, s: Any, x: Any) -> None:
            assert confirm is not None
            hair = (sides[0] and close(s, ZERO)) or (sides[1] and close(x, ZERO))
            if not hair and counted and s > 0 and x > 0:
                ratio = s / x
                hair = close(ratio, ratio.to_integral_value())
            if hair and confirm(env):
                raise NearBoundary  # decided again exactly

        def step(env: Env, lines: list[RawLine]) -> Decimal:
            a, x, s = af(env), xf(env), sf(env)
            if confirm is not None:
                near(env, s, x)
            if s <= 0:
                return ZERO  # no shortfall: nothing to deduct (one-sided; write abs() for both)
            if x <= 0:
                raise Faulted(Failure("E606", None, span, "the step is 0", "per … of"))
            ratio = s / x
            if mode == "whole":
                steps = Decimal(math.floor(ratio))
            elif mode == "started":
                steps = Decimal(math.ceil(ratio))
            else:
                steps = ratio
            if steps == 0:
                return ZERO
            total = -a * steps
            lines.append((kind, total, span, reason, reads, (a, steps, s, x, as_percent), None))
            return (
                total
                if cap is None
                else total + _clause_cap(lines, total, cap(env), span, checked=checked)
            )

        return step

    def judged(self, rule: ast.DeductJudged, weight: Decimal) -> RuleFn:
        sf, reads = self.expr(rule.subject), self.uses(rule.subject)
        low = self.points_of(rule.interval.lower.value, weight)
        high = self.points_of(rule.interval.upper.value, weight)
        low_in, high_in = rule.interval.lower.inclusive, rule.interval.upper.inclusive
        name = next(names_in(rule.subject)).name
        template = rule.reason.value if rule.reason else None
        span, kind = rule.span, LineKind.JUDGED
        # whether the amount lies in the range decides an error: checked for a hair
        confirm = None if self.exact else self.confirm((), low, high)

        def judged(env: Env, lines: list[RawLine]) -> Decimal:
            value: Judgement = sf(env)
            a = value.amount
            if a == 0:
                return ZERO
            lo, hi = low(env), high(env)
            if confirm is not None and (close(a, lo) or close(a, hi)) and confirm(env):
                raise NearBoundary  # decided again exactly
            if not (_above(a, lo, low_in) and _below(a, hi, high_in)):
                raise Faulted(
                    Failure.of(
                        "E610",
                        name,
                        span,
                        amount=a,
                        lower=lo,
                        upper=hi,
                        low_in=low_in,
                        high_in=high_in,
                    )
                )
            reason = f"{template}：{value.reason}" if template else value.reason
            lines.append((kind, -a, span, reason, reads, (a,), None))
            return -a

        return judged

    def flag(self, kind: LineKind, cond: ast.Expr, reason: ast.String | None, span: Span) -> RuleFn:
        cf = self.expr(cond)
        line = (kind, ZERO, span, reason.value if reason else None, self.uses(cond), (), None)

        def flag(env: Env, lines: list[RawLine]) -> Decimal:
            if cf(env):
                lines.append(line)
            return ZERO

        return flag


def _above(value: Any, bound: Any, inclusive: bool) -> bool:
    return bool(value > bound or (inclusive and value == bound))


def _below(value: Any, bound: Any, inclusive: bool) -> bool:
    return bool(value < bound or (inclusive and value == bound))


def _field(item: Item, field: str | None, span: Span) -> str:
    for key, value in item.origin.details:
        if key == field:
            return value
    raise Faulted(Failure("E613", None, span, f"finding `{item.text}` has no `{field}`"))


def _clause_cap(
    lines: list[RawLine],
    taken: Decimal,
    cap: Decimal,
    span: Span,
    label: str | None = None,
    checked: bool = True,
) -> Decimal:
    """扣完N分为止 within one clause: give back what the clause took (`-taken`) beyond its `max`;
    returns the points given back. `checked` (the decimal path): a hair past the cap after
    rounding is decided exactly."""
    if -taken > cap:
        if checked:
            _hair_past(-taken, cap)
        back = -taken - cap
        lines.append((LineKind.CLAUSE_CAP, back, span, label, (), (cap,), None))
        return back
    return ZERO


__all__ = ["NodePlan", "Plan", "compile_program"]
