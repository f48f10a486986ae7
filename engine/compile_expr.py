"""Expressions → closures: the part of the compiler every rule form builds on.

An expression closure takes the environment (name → value) and returns a value. Reading a fact
that is missing or not applicable, or dividing by zero, raises `Faulted` — but only when the
value is needed, so a guarded rule never touches a faulty rate. `ExprCompiler` also turns
awards into points (a percent is a share of the weight) and captures the facts a line read.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.record import record
from jixiao.dsl.source import Span

from .ir import Program
from .result import FactUse, Failure, NotApplicable, Provenance
from .types import Kind
from .walk import names_in

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, TypeAlias

# Type aliases, as strings: only type checkers read them.
Env: TypeAlias = "dict[str, Any]"
ExprFn: TypeAlias = "Callable[[Env], Any]"
Origins: TypeAlias = "dict[str, Provenance]"
#: A rule appends its ledger lines, as plain tuples in `Line`'s field order with a `Reads` in
#: place of the facts (see `Reads`), and returns the points they add up to.
RawLine: TypeAlias = "tuple[Any, ...]"
RuleFn: TypeAlias = "Callable[[Env, list[RawLine]], Decimal]"
AmountFn: TypeAlias = "Callable[[Env], Decimal]"

ZERO = Decimal(0)
ONE = Decimal(1)


class Faulted(Exception):
    """A value a rule needs cannot be had; carries the failure for the ledger."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.code)
        self.failure = failure


@record
class Missing:
    """The value of a fact the evidence did not give: a value, not an exception."""

    name: str
    span: Span


@record
class Broken:
    """The value of a derived fact whose computation failed."""

    failure: Failure


UNSET = (Missing, Broken, NotApplicable)


def read(env: Env, name: str, span: Span) -> Any:
    value = env[name]
    cls = type(value)
    if cls is Missing:
        raise Faulted(Failure("E605", name, span))
    if cls is Broken:
        raise Faulted(value.failure)
    if cls is NotApplicable:
        raise Faulted(Failure("NA", name, span))
    return value


_COMPARE = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def _workdays(start: dt.date, end: dt.date) -> Decimal:
    """Monday-to-Friday days after `start` up to and including `end` (no holiday calendar)."""
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for i in range(1, rest + 1):
        if (start + dt.timedelta(days=i)).weekday() < 5:
            count += 1
    return Decimal(sign * count)


class ExprCompiler:
    def __init__(self, program: Program, exact: bool = False) -> None:
        """With `exact`, number constants become `Exact` rationals (see `engine.exact`): the
        closures then compute without rounding when the environment's numbers are exact."""
        self.program = program
        self.exact = exact
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
                constant: Any = self.number(value)
                return lambda env: constant
            case ast.EmptyList():
                return lambda env: ()
            case ast.Name(name):
                span = node.span

                def name_fn(env: Env) -> Any:
                    value = env[name]
                    if type(value) in UNSET:
                        read(env, name, span)  # raises the fault
                    return value

                return name_fn
            case ast.Neg(operand):
                f = self.expr(operand)
                return lambda env: -f(env)
            case ast.Not(ast.Name(name) as operand):
                span = operand.span

                def not_name(env: Env) -> bool:  # `not 已制定运维方案`: read inline
                    value = env[name]
                    if type(value) in UNSET:
                        read(env, name, span)  # raises the fault
                    return not value

                return not_name
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
                lf, cmp = self.expr(left), _COMPARE[op]
                if isinstance(right, ast.Number | ast.Percent | ast.Bool | ast.String):
                    bound = self.number(right.value)  # `率 >= 95%`: one call fewer
                    return lambda env: cmp(lf(env), bound)
                rf = self.expr(right)
                return lambda env: cmp(lf(env), rf(env))
            case ast.Arith(op, left, right):
                return self.arith(node, op, self.expr(left), self.expr(right))
            case ast.Call(func, args):
                return self.call(func, tuple(self.expr(a) for a in args))
            case ast.If(cond, then, otherwise):
                cf, tf, of = self.expr(cond), self.expr(then), self.expr(otherwise)
                return lambda env: tf(env) if cf(env) else of(env)
        raise AssertionError(f"unhandled expression {node!r}")  # pragma: no cover

    def call(self, func: str, fs: tuple[ExprFn, ...]) -> ExprFn:
        if func == "count":
            f0 = fs[0]
            return lambda env: Decimal(len(f0(env)))
        if func == "abs":
            f0 = fs[0]
            return lambda env: abs(f0(env))
        if func == "days":
            a, b = fs
            return lambda env: Decimal((b(env) - a(env)).days)
        if func == "workdays":
            a, b = fs
            return lambda env: _workdays(a(env), b(env))
        pick = min if func == "min" else max
        return lambda env: pick(f(env) for f in fs)

    def arith(self, node: ast.Arith, op: str, lf: ExprFn, rf: ExprFn) -> ExprFn:
        if op == "+":
            return lambda env: lf(env) + rf(env)
        if op == "-":

            def sub(env: Env) -> Any:
                diff = lf(env) - rf(env)
                return Decimal(diff.days) if isinstance(diff, dt.timedelta) else diff

            return sub
        if op == "*":
            return lambda env: lf(env) * rf(env)
        denominator = tuple(dict.fromkeys(n.name for n in names_in(node.right)))
        span = node.span

        def div(env: Env) -> Any:
            a, b = lf(env), rf(env)
            if not b:
                from jixiao.dsl.formatter import format_expr  # only a failure needs the text

                detail = ", ".join(f"`{n}` is {_plain(env.get(n))}" for n in denominator)
                text = format_expr(node)
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

        match node.left, node.right:
            case ast.Name(top), ast.Name(bottom):

                def ratio(env: Env) -> Any:  # `实际支出 / 预算金额`: both read inline
                    a, b = env[top], env[bottom]
                    if type(a) in UNSET or type(b) in UNSET or not b:
                        return div(env)  # raises the fault, as the general path words it
                    return a / b

                return ratio
            case _, ast.Number(value) | ast.Percent(value) if value:
                divisor = self.number(value)  # `满意度 / 85%`
                return lambda env: lf(env) / divisor
        return div

    def number(self, value: Any) -> Any:
        """A constant as this compilation computes with it (`Exact` when exact)."""
        if self.exact and isinstance(value, Decimal):
            from .exact import exact

            return exact(value)
        return value

    def kind(self, expr: ast.Expr) -> Kind | None:
        return self.program.expr_kinds.get(id(expr))

    def amount(self, award: ast.Award, weight: Decimal) -> AmountFn:
        """Points of an award: `full`, points, a share of the weight, or an expression."""
        match award:
            case ast.Full():
                return lambda env: weight
            case ast.Points(value):
                return lambda env: value
            case ast.Share(value):
                share = weight * value
                return lambda env: share
            case ast.AwardExpr(expr):
                return self.points_of(expr, weight)
        raise AssertionError(award)  # pragma: no cover

    def points_of(self, expr: ast.Expr, weight: Decimal) -> AmountFn:
        """An expression as points: a percent is a share of the weight, a number is points."""
        f = self.expr(expr)
        if self.kind(expr) is Kind.PERCENT:
            return lambda env: f(env) * weight
        return f

    def uses(self, *exprs: ast.Expr) -> Reads:
        """The facts the expressions read, decided once: a line keeps this and the run's final
        environment, and its facts with their values are looked up when the ledger is read."""
        names = tuple(dict.fromkeys(n.name for e in exprs for n in names_in(e)))
        return Reads(tuple((n, self.kinds[n], n in self.program.derived) for n in names))


@record
class Reads:
    """What one clause reads: (name, kind, is derived) in source order.

    Evaluation records this compile-time constant on each ledger line instead of copying the
    values it names: the environment of a run never changes once its derived facts are
    computed, so the values are the same whenever they are looked up, and a line costs one
    tuple on the hot path."""

    names: tuple[tuple[str, Kind, bool], ...]

    def facts(self, env: Env, origins: Origins) -> tuple[FactUse, ...]:
        out = []
        new = tuple.__new__
        for name, kind, derived in self.names:
            value = env[name]
            if type(value) in UNSET:
                continue  # an untaken branch's fact; it did not decide the line
            out.append(new(FactUse, (name, kind, value, None if derived else origins.get(name))))
        return tuple(out)


def constant_points(award: ast.Award, weight: Decimal) -> Decimal | None:
    """The points of an award that never depends on the evidence (most of them), or None: the
    checker and the analyses reason with it, and rules use the number instead of calling a
    closure for it on every record."""
    match award:
        case ast.Full():
            return weight
        case ast.Points(value):
            return value
        case ast.Share(value):
            return weight * value
    return None


def _plain(value: object) -> str:
    if type(value) is Decimal:
        text = str(value)
        if "." not in text and "E" not in text:
            return text  # a whole number as written, the common case ({count} in a reason)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, Missing):
        return "missing"
    return str(value)
