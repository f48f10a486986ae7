"""Expressions → closures: the part of the compiler every rule form builds on.

An expression closure takes the environment (name → value) and returns a value. Reading a fact
that is missing or not applicable, or dividing by zero, raises `Faulted` — but only when the
value is needed, so a guarded rule never touches a faulty rate. `ExprCompiler` also turns
awards into points (a percent is a share of the weight) and captures the facts a line read.
"""

from __future__ import annotations

import datetime as dt
import decimal
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.record import record
from jixiao.dsl.source import Span

from ..common.ir import Program
from ..common.result import FactUse, Failure, NotApplicable, Provenance
from ..common.types import Kind
from ..common.walk import names_in

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, TypeAlias

# Type aliases, as strings: only type checkers read them.
Env: TypeAlias = "dict[str, Any]"
ExprFn: TypeAlias = "Callable[[Env], Any]"
Origins: TypeAlias = "Mapping[str, Provenance]"
#: A rule appends its ledger lines, as plain tuples in `Line`'s field order with a `Reads` in
#: place of the facts (see `Reads`), and returns the points they add up to.
RawLine: TypeAlias = "tuple[Any, ...]"
RuleFn: TypeAlias = "Callable[[Env, list[RawLine]], Decimal]"
AmountFn: TypeAlias = "Callable[[Env], Decimal]"

ZERO = Decimal(0)
ONE = Decimal(1)


class NearBoundary(Exception):
    """Raised where the 28 digits of `Decimal` may decide an outcome wrongly: a score within a
    hair of a rounding boundary (`scorer.Numbers.rounding`), or a decision — a comparison, a band
    bound, a step count, a zero divisor — whose two sides lie within a hair of each other and
    read a number that was rounded on the way. The evaluator computes that leaf, branch,
    derived fact, veto or section again over exact rationals (see `plan.exact`)."""


#: How close the two sides of a decision must be for their 28 digits to be distrusted: 10⁻¹²
#: of the bound, or 10⁻¹² outright for a bound below 1. A 28-digit value is off by about
#: 10⁻²⁷ of the numbers it was computed from, so only a value computed through numbers more
#: than 10¹⁵ times larger than the bound (and than 1) could be misjudged outside it; a real
#: value merely that close to a bound takes the exact path, which is slower, never wrong.
HAIR = Decimal("1e-12")
_MINUS_HAIR = -HAIR


def close(a: Any, b: Any) -> bool:
    """Whether the number `a` lies within a hair of the bound `b` (see `HAIR`)."""
    margin = abs(b) * HAIR
    if margin < HAIR:
        margin = HAIR
    return bool(-margin <= a - b <= margin)


def window(bound: Decimal) -> tuple[Decimal, Decimal]:
    """The numbers within a hair of a constant `bound`, as its low and high ends."""
    with decimal.localcontext() as ctx:
        ctx.prec = 40  # the ends themselves exact enough; this is the compiler's context
        margin = max(abs(bound) * HAIR, HAIR)
        return bound - margin, bound + margin


def rounded_on_the_way(env: Env, steps: tuple[ExprFn, ...]) -> bool:
    """Whether computing `steps` over `env` rounds anything: each runs again with the
    `Inexact` flag of the decimal context cleared. Called only for a decision found within a
    hair of its bound, so that one whose numbers are all exact (a rate of exactly 95 % from
    95,000 / 100,000) is still decided by the fast path. Anything unexpected counts as
    rounded: the exact path then decides."""
    flags = decimal.getcontext().flags
    before = flags[decimal.Inexact]
    flags[decimal.Inexact] = False
    try:
        for step in steps:
            step(env)
        return bool(flags[decimal.Inexact])
    except Exception:  # a fault or a nested decision: let the exact path decide
        return True
    finally:
        if before:
            flags[decimal.Inexact] = True


def rounded_so_far() -> bool:
    """Whether anything the current evaluation computed was rounded (coarse: for decisions
    that are rarely near, such as a floor or a cap that fires)."""
    return bool(decimal.getcontext().flags[decimal.Inexact])


def hair_past(current: Any, bound: Decimal) -> None:
    """A floor or a cap about to fire on points a hair past its bound, when something was
    rounded: in 28 digits the exact points may be on the bound, where the ledger shows no such
    line, so the exact path decides (`NearBoundary`). Exact numbers are never a hair off."""
    if type(current) is Decimal and close(current, bound) and rounded_so_far():
        raise NearBoundary


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


class LeftOut(Exception):
    """A field the record at hand gives as 不适用 was read: the record is left out of the
    aggregate (see `plan.aggregate`)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class Unusable:
    """A per-record value that could not be computed, and why (reading it fails: E677)."""

    __slots__ = ("failure",)

    def __init__(self, failure: Failure) -> None:
        self.failure = failure


def field_fn(name: str) -> Callable[[Env], Any]:
    """A field of the record at hand, read in its scope (`plan.aggregate.Scope`)."""

    def field(env: Env) -> Any:
        value = env[name]
        if type(value) is NotApplicable:
            raise LeftOut(name)
        if type(value) is Unusable:
            raise Faulted(value.failure)
        return value

    return field


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
        """With `exact`, number constants become `Exact` rationals (see `plan.exact`): the
        closures then compute without rounding when the environment's numbers are exact."""
        self.program = program
        self.exact = exact
        self.kinds = {n: f.kind for n, f in program.facts.items()}
        self.kinds.update({n: d.kind for n, d in program.derived.items()})
        self._rounds: dict[str, bool] = {}  # derived fact → whether its value may be rounded
        self._derived_fns: dict[str, ExprFn] = {}  # compiled again for `confirm`, on demand
        self._record_plans: dict[str, Any] = {}  # record list → its `aggregate.RecordPlan`

    # ----- exact decisions (see `NearBoundary`) ---------------------------------------------

    def rounds(self, *exprs: ast.Expr) -> bool:
        """Whether a value of `exprs` may have been rounded to 28 digits: it does arithmetic
        (a quotient that does not terminate, or a sum, product, negation or `abs` past 28
        digits), or reads a derived fact that does. Facts and constants are exact. A decision
        over exact values never needs checking, so the compiler checks only these."""
        if self.exact:
            return False  # rationals never round
        derived = self.program.derived
        for expr in exprs:
            arithmetic, names = _scan(expr, derived)
            if arithmetic or any(self._derived_rounds(n) for n in names):
                return True
        return False

    def _derived_rounds(self, name: str) -> bool:
        memo, derived = self._rounds, self.program.derived
        stack = [name]
        while stack:  # iteratively, children first: a chain of lets may be long
            current = stack[-1]
            if current in memo:
                stack.pop()
                continue
            arithmetic, names = _scan(derived[current].expr, derived)
            pending = [n for n in names if n not in memo]
            if pending and not arithmetic:
                stack.extend(pending)
                continue
            memo[current] = arithmetic or any(memo[n] for n in names)
            stack.pop()
        return memo[name]

    def confirm(self, exprs: tuple[ast.Expr, ...], *more: ExprFn) -> Callable[[Env], bool]:
        """For a decision found within a hair of its bound: whether any number it read was
        rounded on the way (`rounded_on_the_way`) — its derived facts that may round and its
        own operands (`more`, closures of this compiler) are computed again, flag cleared."""
        memo: list[tuple[ExprFn, ...]] = []

        def rounded(env: Env) -> bool:
            if not memo:  # the derived facts, compiled the first time a record needs them
                memo.append(tuple(self._derived_fn(n) for n in self._inputs(exprs)) + more)
            return rounded_on_the_way(env, memo[0])

        return rounded

    def arithmetic(self, *pairs: tuple[ast.Expr, ExprFn]) -> tuple[ExprFn, ...]:
        """The closures, of (expression, closure) pairs, whose expression itself does
        arithmetic: those `confirm` computes again (a name or a constant never rounds)."""
        derived = self.program.derived
        return tuple(fn for expr, fn in pairs if _scan(expr, derived)[0])

    def _inputs(self, exprs: tuple[ast.Expr, ...]) -> list[str]:
        """The derived facts that may round that `exprs` read, directly or not."""
        derived, seen, out = self.program.derived, set(), []
        stack = [n for e in exprs for n in _scan(e, derived)[1]]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if self._derived_rounds(name):
                out.append(name)
                stack.extend(_scan(derived[name].expr, derived)[1])
        return out

    def derived(self, name: str) -> ExprFn:
        """A derived fact's closure. One declared `count` must come out whole and 0 or more,
        as a given count must (E660): `计划次数 - 完成次数` with more done than planned is -2,
        which no count is, and a deduction per it would silently deduct nothing. It fails
        instead (E617), naming the fact, its formula and its value."""
        d = self.program.derived[name]
        fn = self.expr(d.expr)
        if d.kind is not Kind.COUNT:
            return fn
        span = d.expr.span

        def counted(env: Env) -> Any:
            value = fn(env)
            # a Decimal, or an exact rational (`exact.Exact`) in the exact run
            if (type(value) is Decimal or hasattr(value, "denominator")) and (
                value < 0 or value % 1
            ):
                from jixiao.dsl.formatter import format_expr  # only a failure needs the text

                shown = value if type(value) is Decimal else _plain(value)
                raise Faulted(Failure.of("E617", name, span, format_expr(d.expr), value=shown))
            return value

        return counted

    def _derived_fn(self, name: str) -> ExprFn:
        fn = self._derived_fns.get(name)
        if fn is None:
            fn = self._derived_fns[name] = self.expr(self.program.derived[name].expr)
        return fn

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
                checked = self.rounds(left, right)
                if isinstance(right, ast.Number | ast.Percent | ast.Bool | ast.String):
                    bound = self.number(right.value)  # `率 >= 95%`: one call fewer
                    if checked and isinstance(bound, Decimal):
                        confirm = self.confirm((left,), *self.arithmetic((left, lf)))
                        return self.compare_near(lf, cmp, bound, confirm)
                    return lambda env: cmp(lf(env), bound)
                rf = self.expr(right)
                if checked:
                    confirm = self.confirm((left, right), *self.arithmetic((left, lf), (right, rf)))

                    def compare_checked(env: Env) -> bool:
                        a, b = lf(env), rf(env)
                        if type(a) is Decimal and close(a, b) and confirm(env):
                            raise NearBoundary  # decided again exactly
                        return cmp(a, b)  # type: ignore[no-any-return]

                    return compare_checked
                return lambda env: cmp(lf(env), rf(env))
            case ast.Arith(op, left, right):
                return self.arith(node, op, self.expr(left), self.expr(right))
            case ast.Call(func, args):
                return self.call(func, tuple(self.expr(a) for a in args))
            case ast.If(cond, then, otherwise):
                cf, tf, of = self.expr(cond), self.expr(then), self.expr(otherwise)
                return lambda env: tf(env) if cf(env) else of(env)
            case ast.Aggregate():
                take = self.aggregate(node)
                return lambda env: take(env).value
            case ast.Field(_, name):
                return field_fn(name)
            case _:
                ast.assert_never(node)

    def aggregate(self, node: ast.Aggregate) -> Callable[[Env], Any]:  # pragma: no cover
        """An aggregate's closure, giving its value with the records it used and left out
        (`plan.aggregate.Taken`): the plan's compiler fills it in (`plan/compiler.py`)."""
        raise NotImplementedError

    @staticmethod
    def compare_near(
        lf: ExprFn, cmp: Callable[[Any, Any], Any], bound: Decimal, confirm: Callable[[Env], bool]
    ) -> ExprFn:
        """`率 >= 60%` where `率` may have been rounded: the fast path, unless the value lies
        within a hair of the bound and was rounded on the way."""
        low, high = window(bound)

        def compare_near(env: Env) -> bool:
            a = lf(env)
            if low <= a <= high and confirm(env):
                raise NearBoundary  # decided again exactly
            return cmp(a, bound)  # type: ignore[no-any-return]

        return compare_near

    def call(self, func: str, fs: tuple[ExprFn, ...]) -> ExprFn:
        if func == "count":
            f0 = fs[0]
            return lambda env: Decimal(len(f0(env)))
        if func == "abs":
            f0 = fs[0]
            return lambda env: abs(f0(env))
        if func == "length":  # characters as written: 一个汉字 is one, as a reader counts
            f0 = fs[0]
            return lambda env: Decimal(len(f0(env).strip()))
        if func == "empty":
            f0 = fs[0]
            return lambda env: not f0(env).strip()
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
        # a divisor that may have been rounded could be a hair from a true 0 (E606)
        confirm = None
        if self.rounds(node.right):
            confirm = self.confirm((node.right,), *self.arithmetic((node.right, rf)))

        def div(env: Env) -> Any:
            a, b = lf(env), rf(env)
            if confirm is not None and _MINUS_HAIR <= b <= HAIR and confirm(env):
                raise NearBoundary  # decided again exactly
            if not b:
                from jixiao.dsl.formatter import format_expr  # only a failure needs the text

                raise Faulted(
                    Failure.of(
                        "E606",
                        denominator[0] if denominator else None,
                        span,
                        format_expr(node),
                        divisor=tuple((n, env.get(n)) for n in denominator),
                    )
                )
            return a / b

        if confirm is not None:
            return div
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
        return expr.kind  # the checker's, on the node

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
            case _:
                ast.assert_never(award)

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
            origin = None if derived else origins.get(name)
            if "@" in name:  # an indicator's own value of a parameter: shown by the author's name
                name = name.partition("@")[0]
            out.append(new(FactUse, (name, kind, value, origin)))
        return tuple(out)


def _scan(expr: ast.Expr, derived: Mapping[str, object]) -> tuple[bool, list[str]]:
    """Whether `expr` itself does arithmetic that may round (see `ExprCompiler.rounds`), and
    the derived facts it reads; iteratively, as expressions may nest deeply."""
    arithmetic, names, stack = False, [], [expr]
    while stack:
        node = stack.pop()
        match node:
            case ast.Name(name):
                if name in derived:
                    names.append(name)
            case ast.Arith(_, left, right):
                arithmetic = True
                stack += (left, right)
            case ast.Neg(operand):
                arithmetic = True
                stack.append(operand)
            case ast.Not(operand):
                stack.append(operand)
            case ast.Compare(_, left, right) | ast.Logic(_, left, right):
                pass  # a truth value: its own decision is checked where it is compiled
            case ast.Call(func, args):
                arithmetic = arithmetic or func == "abs"
                if func in ("abs", "min", "max"):
                    stack += args
            case ast.If(_, then, otherwise):
                stack += (then, otherwise)
            case ast.Aggregate(func):
                arithmetic = arithmetic or func not in ("count", "all", "any")
            case ast.Field():
                arithmetic = True  # a value computed per record may have been rounded
            case (
                ast.Number()
                | ast.Percent()
                | ast.String()
                | ast.Bool()
                | ast.Date()
                | ast.EmptyList()
            ):
                pass  # a literal: no arithmetic, no name
            case _:
                ast.assert_never(node)
    return arithmetic, names


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
