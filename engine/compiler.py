"""Checked program → evaluation plan: every expression and rule compiled once into closures.

Scoring another evidence record re-runs closures; it never re-parses, re-checks or re-walks the
AST. An expression closure takes the environment (name → value) and returns a value. Reading a
fact that is missing, or dividing by zero, raises `Faulted` — but only when the value is actually
needed: a guarded rule (`full when 故障总数 == 0 else proportional 故障修复及时率`) never touches
the faulty rate. A leaf closure returns the ledger lines of one indicator; the evaluator adds
floors, caps, zeroing and rounding around them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jixiao.dsl import ast
from jixiao.dsl.formatter import format_expr
from jixiao.dsl.source import Span

from .checker import names_in
from .graph import Order
from .ir import Indicator, Program
from .result import FactUse, Failure, Item, Line, LineKind, Provenance

Env = dict[str, Any]
ExprFn = Callable[[Env], Any]
Origins = dict[str, Provenance]
RuleFn = Callable[[Env, Origins, list[Line]], None]
CondFn = Callable[[Env], bool]

ZERO = Decimal(0)
ONE = Decimal(1)


class Faulted(Exception):
    """A value a rule needs cannot be had; carries the failure for the ledger."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.code)
        self.failure = failure


@dataclass(frozen=True, slots=True)
class Missing:
    """The value of a fact the evidence did not give: a value, not an exception."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Broken:
    """The value of a derived fact whose computation failed."""

    failure: Failure


@dataclass(frozen=True, slots=True)
class Leaf:
    indicator: Indicator
    base: RuleFn | None
    deductions: tuple[RuleFn, ...]
    zeros: tuple[RuleFn, ...]
    warnings: tuple[RuleFn, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    program: Program
    order: Order
    derived: tuple[tuple[str, ExprFn], ...]  # in evaluation order
    leaves: dict[str, Leaf]


def compile_program(program: Program, order: Order) -> Plan:
    compiler = _Compiler(program)
    derived = tuple((name, compiler.expr(program.derived[name].expr)) for name in order.derived)
    leaves = {ind.code: compiler.leaf(ind) for ind in program.indicators if ind.is_leaf}
    return Plan(program, order, derived, leaves)


def read(env: Env, name: str, span: Span) -> Any:
    value = env[name]
    cls = type(value)
    if cls is Missing:
        raise Faulted(Failure("E605", name, span))
    if cls is Broken:
        raise Faulted(value.failure)
    return value


_COMPARE = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


class _Compiler:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.kinds = {n: f.kind for n, f in program.facts.items()}
        self.kinds.update({n: d.kind for n, d in program.derived.items()})

    # ----- expressions ---------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> ExprFn:
        match node:
            case (
                ast.Number(value)
                | ast.Percent(value)
                | ast.Bool(value)
                | ast.String(value)
                | ast.Date(value)
            ):
                constant: Any = value
                return lambda env: constant
            case ast.EmptyList():
                return lambda env: ()
            case ast.Name(name):
                span = node.span
                return lambda env: read(env, name, span)
            case ast.Neg(operand):
                f = self.expr(operand)
                return lambda env: -f(env)
            case ast.Not(operand):
                f = self.expr(operand)
                return lambda env: not f(env)
            case ast.Logic("and", left, right):
                lf, rf = self.expr(left), self.expr(right)
                return lambda env: bool(lf(env)) and bool(rf(env))
            case ast.Logic(_, left, right):
                lf, rf = self.expr(left), self.expr(right)
                return lambda env: bool(lf(env)) or bool(rf(env))
            case ast.Compare(op, left, right):
                lf, rf, cmp = self.expr(left), self.expr(right), _COMPARE[op]
                return lambda env: cmp(lf(env), rf(env))
            case ast.Arith(op, left, right):
                return self.arith(node, op, self.expr(left), self.expr(right))
            case ast.Call(func, args):
                fs = tuple(self.expr(a) for a in args)
                if func == "count":
                    f0 = fs[0]
                    return lambda env: Decimal(len(f0(env)))
                if func == "abs":
                    f0 = fs[0]
                    return lambda env: abs(f0(env))
                pick = min if func == "min" else max
                return lambda env: pick(f(env) for f in fs)
            case ast.If(cond, then, otherwise):
                cf, tf, of = self.expr(cond), self.expr(then), self.expr(otherwise)
                return lambda env: tf(env) if cf(env) else of(env)
        raise AssertionError(f"unhandled expression {node!r}")  # pragma: no cover

    def arith(self, node: ast.Arith, op: str, lf: ExprFn, rf: ExprFn) -> ExprFn:
        if op == "+":
            return lambda env: lf(env) + rf(env)
        if op == "-":

            def sub(env: Env) -> Any:
                a, b = lf(env), rf(env)
                diff = a - b
                return Decimal(diff.days) if hasattr(diff, "days") else diff

            return sub
        if op == "*":
            return lambda env: lf(env) * rf(env)
        denominator = tuple(dict.fromkeys(n.name for n in names_in(node.right)))
        span = node.span
        text = format_expr(node)

        def div(env: Env) -> Any:
            a, b = lf(env), rf(env)
            if not b:
                detail = ", ".join(f"`{n}` is {_plain(env.get(n))}" for n in denominator)
                raise Faulted(
                    Failure(
                        "E606",
                        denominator[0] if denominator else None,
                        span,
                        detail or "the divisor is 0",
                        text,
                    )
                )
            return a / b

        return div

    # ----- leaves --------------------------------------------------------------------------

    def leaf(self, ind: Indicator) -> Leaf:
        base: RuleFn | None = None
        deductions: list[RuleFn] = []
        zeros: list[RuleFn] = []
        warnings: list[RuleFn] = []
        for rule in ind.rules:
            match rule:
                case ast.DeductPer() | ast.DeductWhen():
                    deductions.append(self.deduction(rule, ind))
                case ast.ZeroWhen(cond, reason):
                    zeros.append(self.flag(LineKind.ZERO, cond, reason, rule.span))
                case ast.WarnWhen(cond, message):
                    warnings.append(self.flag(LineKind.WARN, cond, message, rule.span))
                case _:
                    base = self.base(rule, ind)
        return Leaf(ind, base, tuple(deductions), tuple(zeros), tuple(warnings))

    def uses(self, *exprs: ast.Expr) -> Callable[[Env, Origins], tuple[FactUse, ...]]:
        """A closure capturing the facts an expression reads, with their values, for a line."""
        names = tuple(dict.fromkeys(n.name for e in exprs for n in names_in(e)))
        kinds = self.kinds
        derived = self.program.derived

        def capture(env: Env, origins: Origins) -> tuple[FactUse, ...]:
            out = []
            for name in names:
                value = env[name]
                if isinstance(value, (Missing, Broken)):
                    continue  # an untaken branch's fact; it did not decide the line
                origin = None if name in derived else origins.get(name)
                out.append(FactUse(name, kinds[name], value, origin))
            return tuple(out)

        return capture

    def amount(self, award: ast.Award, weight: Decimal) -> Decimal:
        match award:
            case ast.Full():
                return weight
            case ast.Points(value):
                return value
            case ast.Share(value):
                return weight * value
        raise AssertionError(award)  # pragma: no cover

    def base(self, rule: ast.Rule | ast.Award, ind: Indicator) -> RuleFn:
        weight = ind.weight
        span = rule.span
        match rule:
            case ast.Full() | ast.Points() | ast.Share():
                points = self.amount(rule, weight)

                def fixed(env: Env, origins: Origins, lines: list[Line]) -> None:
                    lines.append(Line(LineKind.FIXED, points, span, args=(points,)))

                return fixed
            case ast.FullWhen(cond, otherwise):
                cf, uses = self.expr(cond), self.uses(cond)
                other = self.base(otherwise, ind) if otherwise is not None else None

                def full_when(env: Env, origins: Origins, lines: list[Line]) -> None:
                    if cf(env):
                        lines.append(
                            Line(
                                LineKind.FULL,
                                weight,
                                span,
                                facts=uses(env, origins),
                                args=(weight,),
                            )
                        )
                        return
                    lines.append(Line(LineKind.UNMET, ZERO, cond.span, facts=uses(env, origins)))
                    if other is not None:
                        other(env, origins, lines)

                return full_when
            case ast.Proportional(rate):
                rf, uses = self.expr(rate), self.uses(rate)

                def proportional(env: Env, origins: Origins, lines: list[Line]) -> None:
                    value = rf(env)
                    lines.append(
                        Line(
                            LineKind.PROPORTIONAL,
                            weight * value,
                            span,
                            facts=uses(env, origins),
                            args=(weight, value),
                        )
                    )

                return proportional
            case ast.Reverse(actual, target, linear):
                af, tf, uses = self.expr(actual), self.expr(target), self.uses(actual, target)
                return self.reverse(af, tf, uses, linear, weight, span)
            case ast.Tiers(subject, bands):
                return self.tiers(subject, bands, ind)
            case ast.Levels(subject, levels):
                sf, uses = self.expr(subject), self.uses(subject)
                table = {lv.label: (self.amount(lv.award, weight), lv.span) for lv in levels}
                labels = tuple(table)

                def level(env: Env, origins: Origins, lines: list[Line]) -> None:
                    value = sf(env)
                    if value not in table:
                        raise Faulted(
                            Failure(
                                "E607",
                                None,
                                span,
                                f"`{value}` is not one of " + ", ".join(f"`{x}`" for x in labels),
                            )
                        )
                    points, where = table[value]
                    lines.append(
                        Line(
                            LineKind.LEVEL, points, where, facts=uses(env, origins), args=(points,)
                        )
                    )

                return level
        raise AssertionError(f"not a base rule: {rule!r}")  # pragma: no cover

    def reverse(
        self,
        af: ExprFn,
        tf: ExprFn,
        uses: Callable[[Env, Origins], tuple[FactUse, ...]],
        linear: bool,
        weight: Decimal,
        span: Span,
    ) -> RuleFn:
        def reverse(env: Env, origins: Origins, lines: list[Line]) -> None:
            actual, target = af(env), tf(env)
            facts = uses(env, origins)
            if actual <= target:
                lines.append(Line(LineKind.FULL, weight, span, facts=facts, args=(weight,)))
            elif not linear:
                # actual > target >= … so actual > 0 unless target < 0; guard all the same
                points = weight * target / actual if actual else ZERO
                lines.append(
                    Line(
                        LineKind.REVERSE,
                        max(points, ZERO),
                        span,
                        facts=facts,
                        args=(weight, actual, target),
                    )
                )
            elif target <= 0 or actual >= 2 * target:
                lines.append(
                    Line(
                        LineKind.REVERSE_LINEAR,
                        ZERO,
                        span,
                        facts=facts,
                        args=(weight, actual, target),
                    )
                )
            else:
                points = (ONE - (actual - target) / target) * weight
                lines.append(
                    Line(
                        LineKind.REVERSE_LINEAR,
                        points,
                        span,
                        facts=facts,
                        args=(weight, actual, target),
                    )
                )

        return reverse

    def tiers(self, subject: ast.Expr, bands: tuple[ast.Band, ...], ind: Indicator) -> RuleFn:
        sf, uses = self.expr(subject), self.uses(subject)
        compiled = []
        for band in bands:
            low = (_literal(band.lower.value), band.lower.inclusive) if band.lower else None
            high = (_literal(band.upper.value), band.upper.inclusive) if band.upper else None
            compiled.append((low, high, self.amount(band.award, ind.weight), band.span))
        span = subject.span

        def tiers(env: Env, origins: Origins, lines: list[Line]) -> None:
            value = sf(env)
            for low, high, points, where in compiled:
                if low is not None and (value < low[0] or (value == low[0] and not low[1])):
                    continue
                if high is not None and (value > high[0] or (value == high[0] and not high[1])):
                    continue
                lines.append(
                    Line(LineKind.TIER, points, where, facts=uses(env, origins), args=(points,))
                )
                return
            raise Faulted(Failure("E608", None, span, f"no band holds {_plain(value)}"))

        return tiers

    def deduction(self, rule: ast.DeductPer | ast.DeductWhen, ind: Indicator) -> RuleFn:
        amount = self.amount(rule.amount, ind.weight)
        template = rule.reason.value if rule.reason else None
        span = rule.span
        if isinstance(rule, ast.DeductWhen):
            cf, uses = self.expr(rule.cond), self.uses(rule.cond)

            def deduct_when(env: Env, origins: Origins, lines: list[Line]) -> None:
                if cf(env):
                    lines.append(
                        Line(
                            LineKind.DEDUCT,
                            -amount,
                            span,
                            template,
                            uses(env, origins),
                            (amount, ONE),
                        )
                    )

            return deduct_when
        sf, uses = self.expr(rule.subject), self.uses(rule.subject)

        def deduct_per(env: Env, origins: Origins, lines: list[Line]) -> None:
            value = sf(env)
            if isinstance(value, tuple):
                facts = uses(env, origins)
                for item in value:
                    reason = template.replace("{item}", item.text) if template else item.text
                    lines.append(
                        Line(LineKind.DEDUCT, -amount, span, reason, facts, (amount, ONE), item)
                    )
            elif value > 0:
                reason = template.replace("{count}", _plain(value)) if template else None
                lines.append(
                    Line(
                        LineKind.DEDUCT,
                        -amount * value,
                        span,
                        reason,
                        uses(env, origins),
                        (amount, value),
                    )
                )

        return deduct_per

    def flag(self, kind: LineKind, cond: ast.Expr, reason: ast.String | None, span: Span) -> RuleFn:
        cf, uses = self.expr(cond), self.uses(cond)
        text = reason.value if reason else None

        def flag(env: Env, origins: Origins, lines: list[Line]) -> None:
            if cf(env):
                lines.append(Line(kind, ZERO, span, text, uses(env, origins)))

        return flag


def _literal(node: ast.Literal) -> Any:
    return () if isinstance(node, ast.EmptyList) else node.value


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, Missing):
        return "missing"
    return str(value)


__all__ = [
    "Broken",
    "Faulted",
    "Item",
    "Leaf",
    "Missing",
    "Plan",
    "Provenance",
    "compile_program",
]
