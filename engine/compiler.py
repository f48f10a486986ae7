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

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from jixiao.dsl import ast
from jixiao.dsl.formatter import format_expr
from jixiao.dsl.source import Span

from .compile_expr import (
    ONE,
    ZERO,
    Env,
    ExprCompiler,
    ExprFn,
    Faulted,
    Origins,
    RuleFn,
    UsesFn,
    _plain,
)
from .ir import Extra, Indicator, Program
from .result import (
    Failure,
    Item,
    Judgement,
    Line,
    LineKind,
)
from .walk import names_in

if TYPE_CHECKING:
    from .ir import Order

_new = tuple.__new__


@dataclass(frozen=True, slots=True)
class NodePlan:
    """The compiled rules of one indicator (a leaf, or a branch with its own rules)."""

    indicator: Indicator
    base: RuleFn | None
    deductions: tuple[RuleFn, ...]
    zeros: tuple[RuleFn, ...]
    warnings: tuple[RuleFn, ...]


@dataclass(frozen=True, slots=True)
class ExtraPlan:
    extra: Extra
    rules: tuple[RuleFn, ...]


@dataclass(frozen=True, slots=True)
class VetoPlan:
    veto: ast.Veto
    cond: ExprFn
    uses: UsesFn


@dataclass(frozen=True, slots=True)
class Plan:
    program: Program
    order: Order
    derived: tuple[tuple[str, ExprFn, UsesFn], ...]  # in evaluation order, with what they read
    nodes: dict[str, NodePlan]  # every leaf, and every branch that has rules
    extras: tuple[ExtraPlan, ...]
    vetoes: tuple[VetoPlan, ...]


def compile_program(program: Program, order: Order) -> Plan:
    c = _Compiler(program)
    derived = tuple(
        (name, c.expr(program.derived[name].expr), c.uses(program.derived[name].expr))
        for name in order.derived
    )
    nodes = {i.code: c.node(i) for i in program.indicators if i.is_leaf or i.rules}
    extras = tuple(
        ExtraPlan(e, tuple(c.deduction(r, e.max) for r in e.rules)) for e in program.extras
    )
    vetoes = tuple(VetoPlan(v, c.expr(v.cond), c.uses(v.cond)) for v in program.vetoes)
    return Plan(program, order, derived, nodes, extras, vetoes)


class _Compiler(ExprCompiler):
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
                case _ if isinstance(rule, ast.DEDUCTIONS):
                    deductions.append(self.deduction(rule, ind.weight))
                case _:
                    base = self.base(rule, ind.weight)
        return NodePlan(ind, base, tuple(deductions), tuple(zeros), tuple(warnings))

    def base(self, rule: Any, weight: Decimal) -> RuleFn:
        span = rule.span
        match rule:
            case ast.Full() | ast.Points() | ast.Share() | ast.AwardExpr():
                points = self.amount(rule, weight)

                def fixed(env: Env, origins: Origins, lines: list[Line]) -> None:
                    p = points(env)
                    lines.append(Line(LineKind.FIXED, p, span, args=(p,)))

                return fixed
            case ast.FullWhen(cond, otherwise):
                cf, uses = self.expr(cond), self.uses(cond)
                other = self.base(otherwise, weight) if otherwise is not None else None

                full_args, cond_span = (weight,), cond.span

                def full_when(env: Env, origins: Origins, lines: list[Line]) -> None:
                    # Lines are built with tuple.__new__ on the hot paths: a named tuple's own
                    # constructor costs several times more, for every line of every record.
                    if cf(env):
                        lines.append(
                            _new(
                                Line,
                                (
                                    LineKind.FULL,
                                    weight,
                                    span,
                                    None,
                                    uses(env, origins),
                                    full_args,
                                    None,
                                ),
                            )
                        )
                        return
                    lines.append(
                        _new(
                            Line,
                            (LineKind.UNMET, ZERO, cond_span, None, uses(env, origins), (), None),
                        )
                    )
                    if other is not None:
                        other(env, origins, lines)

                return full_when
            case ast.Proportional(rate):
                rf, uses = self.expr(rate), self.uses(rate)

                def proportional(env: Env, origins: Origins, lines: list[Line]) -> None:
                    value = rf(env)
                    lines.append(
                        _new(
                            Line,
                            (
                                LineKind.PROPORTIONAL,
                                weight * value,
                                span,
                                None,
                                uses(env, origins),
                                (weight, value),
                                None,
                            ),
                        )
                    )

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
        raise AssertionError(f"not a base rule: {rule!r}")  # pragma: no cover

    def forward(
        self, actual: ast.Expr, target: ast.Expr, equal: bool, weight: Decimal, span: Span
    ) -> RuleFn:
        af, tf, uses = self.expr(actual), self.expr(target), self.uses(actual, target)
        kind = LineKind.EQUAL if equal else LineKind.FORWARD

        def forward(env: Env, origins: Origins, lines: list[Line]) -> None:
            a, t = af(env), tf(env)
            facts = uses(env, origins)
            if equal and t == 0:
                points = weight if a <= 0 else ZERO
            elif a >= t:
                points = weight
            else:
                # t > a here; a negative actual counts as 0 (the provincial systems' rule)
                points = weight * max(a, ZERO) / t if t > 0 else ZERO
            if points == weight:
                lines.append(Line(LineKind.FULL, weight, span, facts=facts, args=(weight,)))
            else:
                lines.append(Line(kind, points, span, facts=facts, args=(weight, a, t)))

        return forward

    def reverse(
        self, actual: ast.Expr, target: ast.Expr, linear: bool, weight: Decimal, span: Span
    ) -> RuleFn:
        af, tf, uses = self.expr(actual), self.expr(target), self.uses(actual, target)

        def reverse(env: Env, origins: Origins, lines: list[Line]) -> None:
            a, t = af(env), tf(env)
            facts = uses(env, origins)
            if a <= t:
                lines.append(Line(LineKind.FULL, weight, span, facts=facts, args=(weight,)))
            elif not linear:
                # a > t, so a > 0 whenever t >= 0; a zero target scores 0, never divides by 0
                points = weight * t / a if a > 0 and t > 0 else ZERO
                lines.append(Line(LineKind.REVERSE, points, span, facts=facts, args=(weight, a, t)))
            elif t <= 0 or a >= 2 * t:
                lines.append(
                    Line(LineKind.REVERSE_LINEAR, ZERO, span, facts=facts, args=(weight, a, t))
                )
            else:
                points = (ONE - (a - t) / t) * weight
                lines.append(
                    Line(LineKind.REVERSE_LINEAR, points, span, facts=facts, args=(weight, a, t))
                )

        return reverse

    def bound(self, bound: ast.Bound | None) -> tuple[ExprFn, bool] | None:
        return (self.expr(bound.value), bound.inclusive) if bound is not None else None

    def tiers(self, subject: ast.Expr, bands: tuple[ast.Band, ...], weight: Decimal) -> RuleFn:
        sf, uses = self.expr(subject), self.uses(subject)
        compiled = [
            (self.bound(b.lower), self.bound(b.upper), self.amount(b.award, weight), b.span)
            for b in bands
        ]
        span = subject.span

        def tiers(env: Env, origins: Origins, lines: list[Line]) -> None:
            value = sf(env)
            for low, high, points, where in compiled:
                if low is not None and not _above(value, low[0](env), low[1]):
                    continue
                if high is not None and not _below(value, high[0](env), high[1]):
                    continue
                p = points(env)
                lines.append(
                    _new(Line, (LineKind.TIER, p, where, None, uses(env, origins), (p,), None))
                )
                return
            raise Faulted(Failure("E608", None, span, f"no band holds {_plain(value)}"))

        return tiers

    def levels(
        self, subject: ast.Expr, levels: tuple[ast.Level, ...], weight: Decimal, span: Span
    ) -> RuleFn:
        sf, uses = self.expr(subject), self.uses(subject)
        table = {lv.label: (self.amount(lv.award, weight), lv.span) for lv in levels}
        labels = ", ".join(f"`{x}`" for x in table)

        def level(env: Env, origins: Origins, lines: list[Line]) -> None:
            value = sf(env)
            if value not in table:
                raise Faulted(Failure("E607", None, span, f"`{value}` is not one of {labels}"))
            points, where = table[value]
            p = points(env)
            lines.append(Line(LineKind.LEVEL, p, where, facts=uses(env, origins), args=(p,)))

        return level

    def level_range(
        self,
        subject: ast.Expr,
        score: ast.Expr,
        levels: tuple[ast.LevelInterval, ...],
        weight: Decimal,
        span: Span,
    ) -> RuleFn:
        sf, uses = self.expr(subject), self.uses(subject, score)
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

        def level_range(env: Env, origins: Origins, lines: list[Line]) -> None:
            label = sf(env)
            if label not in table:
                raise Faulted(Failure("E607", None, span, f"`{label}` is not one of {labels}"))
            low_fn, low_in, high_fn, high_in, where = table[label]
            points, low, high = score_fn(env), low_fn(env), high_fn(env)
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
            lines.append(
                Line(
                    LineKind.LEVEL_SCORE,
                    points,
                    where,
                    str(label),
                    uses(env, origins),
                    (points, low, high),
                )
            )

        return level_range

    def checklist(
        self, base: ast.Award | None, items: tuple[ast.CheckItem, ...], weight: Decimal
    ) -> RuleFn:
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

        def checklist(env: Env, origins: Origins, lines: list[Line]) -> None:
            if base_fn is not None and base_span is not None:
                p = base_fn(env)
                lines.append(Line(LineKind.CHECK_BASE, p, base_span, args=(p,)))
            for points, cf, uses, reason, where in compiled:
                p = points(env)
                met = bool(cf(env))
                lines.append(
                    Line(
                        LineKind.CHECK,
                        p if met else ZERO,
                        where,
                        reason,
                        uses(env, origins),
                        (p, ONE if met else ZERO),
                    )
                )

        return checklist

    def choose(self, choices: tuple[ast.Choice, ...], weight: Decimal) -> RuleFn:
        compiled = [
            (
                self.expr(c.cond) if c.cond is not None else None,
                self.uses(c.cond) if c.cond is not None else None,
                self.base(c.then, weight),
                c.span,
            )
            for c in choices
        ]

        def choose(env: Env, origins: Origins, lines: list[Line]) -> None:
            for cf, uses, then, where in compiled:
                if cf is None or cf(env):
                    facts = uses(env, origins) if uses is not None else ()
                    lines.append(Line(LineKind.CHOICE, ZERO, where, facts=facts))
                    then(env, origins, lines)
                    return
            lines.append(Line(LineKind.UNMET, ZERO, compiled[0][3]))

        return choose

    # ----- deductions and bonuses ----------------------------------------------------------

    def deduction(self, rule: Any, weight: Decimal) -> RuleFn:
        match rule:
            case ast.DeductWhen(amount, cond, reason) | ast.AddWhen(amount, cond, reason):
                sign = 1 if isinstance(rule, ast.AddWhen) else -1
                kind = LineKind.ADD if sign > 0 else LineKind.DEDUCT
                af, cf, uses = self.amount(amount, weight), self.expr(cond), self.uses(cond)
                text = reason.value if reason else None
                span = rule.span

                def when(env: Env, origins: Origins, lines: list[Line]) -> None:
                    if cf(env):
                        a = af(env)
                        lines.append(
                            _new(
                                Line,
                                (kind, sign * a, span, text, uses(env, origins), (a, ONE), None),
                            )
                        )

                return when
            case ast.DeductPer() | ast.AddPer():
                return self.per_item(rule, weight)
            case ast.DeductBy():
                return self.by_field(rule, weight)
            case ast.DeductStep():
                return self.step(rule, weight)
            case ast.DeductJudged():
                return self.judged(rule, weight)
        raise AssertionError(f"not a deduction: {rule!r}")  # pragma: no cover

    def per_item(self, rule: ast.DeductPer | ast.AddPer, weight: Decimal) -> RuleFn:
        sign = 1 if isinstance(rule, ast.AddPer) else -1
        kind = LineKind.ADD if sign > 0 else LineKind.DEDUCT
        af, sf, uses = (
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
        span = rule.span

        def per_item(env: Env, origins: Origins, lines: list[Line]) -> None:
            a = af(env)
            value = sf(env)
            facts = uses(env, origins)
            start = len(lines)
            if isinstance(value, tuple):
                seen: set[str] = set()
                for item in value:
                    reason = _fill(template, item.text) if template else item.text
                    if distinct is not None:
                        key = _field(item, field, span) if field else item.text
                        if key in seen:
                            lines.append(
                                Line(LineKind.DUPLICATE, ZERO, span, reason, facts, (), item)
                            )
                            continue
                        seen.add(key)
                    lines.append(_new(Line, (kind, sign * a, span, reason, facts, (a, ONE), item)))
            elif value > 0:
                reason = template.replace("{count}", _plain(value)) if template else None
                lines.append(
                    _new(Line, (kind, sign * a * value, span, reason, facts, (a, value), None))
                )
            if cap is not None:
                _clause_cap(lines, start, cap(env), span)

        return per_item

    def by_field(self, rule: ast.DeductBy, weight: Decimal) -> RuleFn:
        sf, uses = self.expr(rule.subject), self.uses(rule.subject)
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
        span = rule.span

        def by_field(env: Env, origins: Origins, lines: list[Line]) -> None:
            facts = uses(env, origins)
            start = len(lines)
            groups: dict[str, list[Line]] = {}
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
                reason = _fill(template, item.text) if template else item.text
                line = _new(Line, (LineKind.DEDUCT, -a, span, reason, facts, (a, ONE), item))
                groups.setdefault(label, []).append(line)
            for label, group in groups.items():
                lines.extend(group)
                row_cap = rows[label][1]
                if row_cap is not None:
                    _clause_cap(lines, len(lines) - len(group), row_cap(env), span, label)
            if cap is not None:
                _clause_cap(lines, start, cap(env), span)

        return by_field

    def step(self, rule: ast.DeductStep, weight: Decimal) -> RuleFn:
        af = self.amount(rule.amount, weight)
        xf, sf = self.expr(rule.step), self.expr(rule.shortfall)
        uses = self.uses(rule.shortfall, rule.step)
        cap = self.points_of(rule.max, weight) if rule.max is not None else None
        reason = rule.reason.value if rule.reason else None
        mode, span = rule.mode, rule.span

        def step(env: Env, origins: Origins, lines: list[Line]) -> None:
            a, x, s = af(env), xf(env), sf(env)
            if s <= 0:
                return  # no shortfall: nothing to deduct (one-sided; write abs() for both)
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
                return
            start = len(lines)
            lines.append(
                Line(LineKind.STEP, -a * steps, span, reason, uses(env, origins), (a, steps, s, x))
            )
            if cap is not None:
                _clause_cap(lines, start, cap(env), span)

        return step

    def judged(self, rule: ast.DeductJudged, weight: Decimal) -> RuleFn:
        sf, uses = self.expr(rule.subject), self.uses(rule.subject)
        low = self.points_of(rule.interval.lower.value, weight)
        high = self.points_of(rule.interval.upper.value, weight)
        low_in, high_in = rule.interval.lower.inclusive, rule.interval.upper.inclusive
        name = next(names_in(rule.subject)).name
        template = rule.reason.value if rule.reason else None
        span = rule.span

        def judged(env: Env, origins: Origins, lines: list[Line]) -> None:
            value: Judgement = sf(env)
            a = value.amount
            if a == 0:
                return
            lo, hi = low(env), high(env)
            if not (_above(a, lo, low_in) and _below(a, hi, high_in)):
                raise Faulted(
                    Failure(
                        "E610",
                        name,
                        span,
                        f"{_plain(a)}|{'[' if low_in else '('}{_plain(lo)}|"
                        f"{_plain(hi)}{']' if high_in else ')'}",
                    )
                )
            reason = f"{template}：{value.reason}" if template else value.reason
            lines.append(Line(LineKind.JUDGED, -a, span, reason, uses(env, origins), (a,)))

        return judged

    def flag(self, kind: LineKind, cond: ast.Expr, reason: ast.String | None, span: Span) -> RuleFn:
        cf, uses = self.expr(cond), self.uses(cond)
        text = reason.value if reason else None

        def flag(env: Env, origins: Origins, lines: list[Line]) -> None:
            if cf(env):
                lines.append(Line(kind, ZERO, span, text, uses(env, origins)))

        return flag


def _above(value: Any, bound: Any, inclusive: bool) -> bool:
    return bool(value > bound or (inclusive and value == bound))


def _below(value: Any, bound: Any, inclusive: bool) -> bool:
    return bool(value < bound or (inclusive and value == bound))


def _fill(template: str, item: str) -> str:
    return template.replace("{item}", item)


def _field(item: Item, field: str | None, span: Span) -> str:
    for key, value in item.origin.details:
        if key == field:
            return value
    raise Faulted(Failure("E613", None, span, f"finding `{item.text}` has no `{field}`"))


def _clause_cap(
    lines: list[Line], start: int, cap: Decimal, span: Span, label: str | None = None
) -> None:
    """扣完N分为止 within one clause: give back what the clause took beyond its `max`."""
    taken = -sum((line.points for line in lines[start:]), ZERO)
    if taken > cap:
        lines.append(Line(LineKind.CLAUSE_CAP, taken - cap, span, label, (), (cap,)))


__all__ = ["NodePlan", "Plan", "compile_program"]
