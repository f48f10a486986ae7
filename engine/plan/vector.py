"""The columnar plan: a checked pack compiled once more, into operations over whole columns of
projects (numpy arrays), for `eval --batch … --points-only`.

Numbers are exact: every value is a rational held as two int64 columns, numerator and
denominator (> 0), reduced after each operation, and every decision (a comparison, a rounding)
is made by integer comparison — the same answers as the ledger path's exact arithmetic, with
no float anywhere. What int64 cannot hold is not guessed at: before each product the
magnitudes are bounded (in float64, only to bound them), and a project whose arithmetic could
leave 62 bits is marked *undecided*, as is one whose value faults (a missing or 不适用 fact, a
division by zero, a band no row of a table takes). Undecided marks travel with the values and
follow the choices the rules make: a division by zero in the branch a `full when` did not take
marks nothing, as the ledger path never computes it. Undecided projects are scored again by
the ledger path, one at a time, so every project gets the ledger path's answer or its exact
equal.

Each rule form says how it runs over columns in its `vector` hook (`engine/forms/*`); a form
that cannot (dates, record lists, panels, texts beyond `==`) raises `NotVectorised`, and a pack
with such a rule, a veto, a bonus or penalty section, a branch with rules of its own, or
rounding `on total` has no columnar plan: `compile_vector` says why, and the batch scores every
project by the ledger path.

This module imports numpy (the `columnar` extra): nothing on the warm `eval` path imports it.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from jixiao.dsl import ast
from jixiao.dsl.record import record

from ..common.ir import Indicator, Program
from ..common.types import Kind
from ..forms import form_of

I64 = np.int64
#: Products are kept below 2⁶² so that the sum of two of them still fits in int64.
LIMIT = float(2**62)


class NotVectorised(Exception):
    """This rule, expression or pack has no columnar form; the message says why."""


# ----- values over columns -----------------------------------------------------------------------


class Num:
    """Exact rationals n/d (d > 0), one per project; `bad`: the projects this value cannot be
    relied on for (see the module docstring). Constants are 0-d and broadcast. `hi` and `dhi`
    bound |n| and d over the batch (None: not known yet, found when asked): an operation whose
    bounds show it cannot leave 62 bits checks no project one by one."""

    __slots__ = ("bad", "d", "dhi", "hi", "n")

    def __init__(
        self, n: Any, d: Any, bad: Any, hi: int | None = None, dhi: int | None = None
    ) -> None:
        self.n, self.d, self.bad, self.hi, self.dhi = n, d, bad, hi, dhi

    def bounds(self) -> tuple[int, int]:
        if self.hi is None:
            self.hi = _largest(self.n)
        if self.dhi is None:
            self.dhi = _largest(self.d)
        return self.hi, self.dhi


def _taking(hit: Any, value: Num | None, n: Any, d: Any, bad: Any) -> tuple[Any, Any, Any]:
    """`value` where `hit`, over (n, d, bad); None: a fault there (the project undecided)."""
    if value is None:
        return n, d, bad | hit
    n = np.where(hit, value.n, n)
    if not (np.ndim(d) == 0 and np.ndim(value.d) == 0 and d == value.d):
        d = np.where(hit, value.d, d)
    if _any(value.bad):
        bad = bad | (hit & value.bad)
    return n, d, bad


def _any(marks: Any) -> bool:
    """Whether any project is marked (a constant False marks none, without a pass)."""
    return marks is not _FALSE and bool(np.any(marks))


def _largest(x: Any) -> int:
    if np.ndim(x) == 0:
        return abs(int(x))
    if x.size == 0:
        return 0
    top = int(np.max(x))
    bottom = int(np.min(x))
    return max(top, -bottom)


class Flag:
    __slots__ = ("bad", "v")

    def __init__(self, v: Any, bad: Any) -> None:
        self.v, self.bad = v, bad


class Text:
    """A text or choice fact: each project's value as a code into `labels` (-1: no label)."""

    __slots__ = ("bad", "codes", "labels")

    def __init__(self, codes: Any, labels: dict[str, int], bad: Any) -> None:
        self.codes, self.labels, self.bad = codes, labels, bad


class Items:
    """A list fact: how many findings each project has (its items' texts are not needed for
    points, only for the ledger's words)."""

    __slots__ = ("bad", "count")

    def __init__(self, count: Any, bad: Any) -> None:
        self.count, self.bad = count, bad


V = Num | Flag | Text | Items
#: A compiled expression or rule over the columns: name → value.
Cols = dict[str, Any]
VFn = Callable[[Cols], Any]

_FALSE = np.bool_(False)


def constant(value: Decimal | int) -> Num:
    n, d = Decimal(value).as_integer_ratio()
    if abs(n) >= 2**62 or d >= 2**62:
        raise NotVectorised(f"the constant {value} has too many digits for 64-bit columns")
    return Num(I64(n), I64(d), _FALSE, abs(n), d)


ZERO = constant(0)
_SAFE = 2**62


def _product(a: Any, b: Any) -> Any:
    """Where |a·b| could leave 62 bits: against a constant, by one integer comparison; else
    bounded in float64 (only to bound it: the product itself is computed in integers)."""
    if np.ndim(b) == 0:
        a, b = b, a
    if np.ndim(a) == 0:
        m = abs(int(a))
        if m <= 1:
            return _FALSE
        return np.abs(b) >= (2**62 // m)
    return np.abs(np.multiply(a, b, dtype=np.float64)) >= LIMIT


#: Below this, numerators and denominators are left unreduced: a fraction need not be in lowest
#: terms to be exact, and `gcd` is the dearest operation here.
_REDUCE_FROM = 2**28


def _reduce(n: Any, d: Any, bad: Any, hi: int | None, dhi: int | None) -> Num:
    if np.ndim(n) == 0 and np.ndim(d) == 0:
        common = int(np.gcd(n, d)) or 1
        return Num(n // common, d // common, bad)
    if hi is not None and dhi is not None and hi < _REDUCE_FROM and dhi < _REDUCE_FROM:
        return Num(n, d, bad, hi, dhi)
    big = (np.abs(n) >= _REDUCE_FROM) | (d >= _REDUCE_FROM)
    if not big.any():
        return Num(n, d, bad)
    g = np.gcd(n, d)
    g = np.where(g == 0, 1, g)
    return Num(n // g, d // g, bad)


def add(a: Num, b: Num, sign: int = 1) -> Num:
    bn = b.n if sign > 0 else -b.n
    bad = a.bad | b.bad
    (ah, ad), (bh, bd) = a.bounds(), b.bounds()
    if a.d is b.d or (np.ndim(a.d) == 0 and np.ndim(b.d) == 0 and a.d == b.d):
        hi = ah + bh
        if hi >= _SAFE:
            bad = bad | (
                np.abs(np.asarray(a.n, np.float64)) + np.abs(np.asarray(bn, np.float64)) >= LIMIT
            )
            return Num(a.n + bn, a.d, bad, None, ad)
        return Num(a.n + bn, a.d, bad, hi, ad)
    hi, dhi = ah * bd + bh * ad, ad * bd
    if ah * bd >= _SAFE or bh * ad >= _SAFE or dhi >= _SAFE:
        bad = bad | _product(a.n, b.d) | _product(bn, a.d) | _product(a.d, b.d)
        return _reduce(a.n * b.d + bn * a.d, a.d * b.d, bad, None, None)
    return _reduce(a.n * b.d + bn * a.d, a.d * b.d, bad, hi, dhi)


def mul(a: Num, b: Num) -> Num:
    (ah, ad), (bh, bd) = a.bounds(), b.bounds()
    hi, dhi = ah * bh, ad * bd
    bad = a.bad | b.bad
    if hi >= _SAFE or dhi >= _SAFE:
        bad = bad | _product(a.n, b.n) | _product(a.d, b.d)
        return _reduce(a.n * b.n, a.d * b.d, bad, None, None)
    return _reduce(a.n * b.n, a.d * b.d, bad, hi, dhi)


def div(a: Num, b: Num) -> Num:
    """a ÷ b; a zero divisor marks its projects (E606 on the ledger path)."""
    (ah, ad), (bh, bd) = a.bounds(), b.bounds()
    zero = b.n == 0
    bad = a.bad | b.bad | zero
    hi, dhi = ah * bd, ad * bh
    if hi >= _SAFE or dhi >= _SAFE:
        bad = bad | _product(a.n, b.d) | _product(a.d, b.n)
        hi = dhi = None  # type: ignore[assignment]
    n, d = a.n * b.d, a.d * b.n
    if np.ndim(b.n) == 0:
        if int(b.n) < 0:
            n, d = -n, -d
        if int(b.n) == 0:
            d = np.ones_like(d)
    else:
        negative = d < 0
        n, d = np.where(negative, -n, n), np.where(negative, -d, d)
        d = np.where(zero, 1, d)
    return _reduce(n, d, bad, hi, max(dhi, 1) if dhi is not None else None)


def neg(a: Num) -> Num:
    return Num(-a.n, a.d, a.bad, a.hi, a.dhi)


def compare(op: str, a: Num, b: Num) -> Flag:
    (ah, ad), (bh, bd) = a.bounds(), b.bounds()
    bad = a.bad | b.bad
    if ah * bd >= _SAFE or bh * ad >= _SAFE:
        bad = bad | _product(a.n, b.d) | _product(b.n, a.d)
    if a.d is b.d or (np.ndim(a.d) == 0 and np.ndim(b.d) == 0 and a.d == b.d):
        return Flag(_CMP[op](a.n, b.n), bad)
    return Flag(_CMP[op](a.n * b.d, b.n * a.d), bad)


_CMP: dict[str, Callable[[Any, Any], Any]] = {
    ">=": np.greater_equal,
    "<=": np.less_equal,
    ">": np.greater,
    "<": np.less,
    "==": np.equal,
    "!=": np.not_equal,
}


def where(cond: Flag, then: Any, otherwise: Any) -> Any:
    """`then` where the condition holds, else `otherwise`; a project is undecided where the
    condition is, or where the value it takes is (the other side is never computed)."""
    c = cond.v
    if isinstance(then, Num) and isinstance(otherwise, Num):
        bad = cond.bad | np.where(c, then.bad, otherwise.bad)
        (th, td), (oh, od) = then.bounds(), otherwise.bounds()
        n, d = np.where(c, then.n, otherwise.n), np.where(c, then.d, otherwise.d)
        return Num(n, d, bad, max(th, oh), max(td, od))
    if isinstance(then, Flag) and isinstance(otherwise, Flag):
        bad = cond.bad | np.where(c, then.bad, otherwise.bad)
        return Flag(np.where(c, then.v, otherwise.v), bad)
    raise NotVectorised("an `if` whose branches are not both numbers or both conditions")


def pick(values: list[Num], larger: bool) -> Num:
    out = values[0]
    for v in values[1:]:
        out = where(compare(">" if larger else "<", v, out), v, out)
        out.bad = out.bad | v.bad  # `min`/`max` read every argument
    return out


def floor0(a: Num) -> Num:
    """扣完为止: below 0 is 0."""
    hi, dhi = a.bounds()
    below = a.n < 0
    return Num(np.where(below, 0, a.n), np.where(below, 1, a.d), a.bad, hi, max(dhi, 1))


def cap(a: Num, bound: Num) -> Num:
    capped: Num = where(compare(">", a, bound), bound, a)
    return capped


def round_units(a: Num, places: int, mode: str, nonnegative: bool = False) -> tuple[Any, Any]:
    """Each value rounded to `places` decimals under a `decimal` rounding mode, as integers in
    units of the last place, exactly (as `exact.round_exact`), with the undecided marks.
    `nonnegative`: no value is below 0 (a leaf's points, floored), so no sign is looked at."""
    scale = 10**places
    if np.ndim(a.d) == 0 and scale % int(a.d) == 0:  # 2.5 points to 2 places: no rounding
        factor = scale // int(a.d)
        over = _product(a.n, factor) if a.bounds()[0] * factor >= _SAFE else _FALSE
        return a.n * factor, a.bad | over
    mag = a.n if nonnegative else np.abs(a.n)
    over = _product(mag, scale) if a.bounds()[0] * scale >= _SAFE else _FALSE
    whole, rest = np.divmod(mag * scale, a.d)
    twice = 2 * rest
    negative = _FALSE if nonnegative else a.n < 0
    if mode == decimal.ROUND_DOWN:
        away = np.zeros_like(rest, dtype=bool)
    elif mode == decimal.ROUND_UP:
        away = rest > 0
    elif mode == decimal.ROUND_HALF_UP:
        away = twice >= a.d
    elif mode == decimal.ROUND_HALF_DOWN:
        away = twice > a.d
    elif mode == decimal.ROUND_HALF_EVEN:
        away = (twice > a.d) | ((twice == a.d) & (whole % 2 == 1))
    elif mode == decimal.ROUND_CEILING:
        away = (rest > 0) & ~negative
    elif mode == decimal.ROUND_FLOOR:
        away = (rest > 0) & negative
    elif mode == decimal.ROUND_05UP:
        away = (rest > 0) & (whole % 5 == 0)
    else:  # pragma: no cover - the checker knows every mode
        raise NotVectorised(f"the rounding mode {mode}")
    whole = whole + away
    if nonnegative:
        return whole, a.bad | over
    return np.where(negative, -whole, whole), a.bad | over


# ----- the compiler ------------------------------------------------------------------------------


@record
class Zeroing:
    """What a `zero when` compiles to: its condition (the node's points go when it holds)."""

    cond: VFn


@record
class Check:
    """A rule that moves no points (`warn when`): only its faults count."""

    cond: VFn


class Vectorising:
    """What a form's `vector` hook is handed: expressions over columns, awards as points, the
    value operations of this module, and `rule` for a nested rule (through its form)."""

    add = staticmethod(add)
    mul = staticmethod(mul)
    div = staticmethod(div)
    neg = staticmethod(neg)
    compare = staticmethod(compare)
    where = staticmethod(where)
    floor0 = staticmethod(floor0)
    cap = staticmethod(cap)
    constant = staticmethod(constant)
    ZERO = ZERO

    def __init__(self, program: Program) -> None:
        self.program = program
        # the facts and derived facts no column holds, with why: a rule reading one is scored
        # by the ledger path (dates, judgements, record lists, panels, derived facts over them)
        self.elsewhere: dict[str, str] = {
            name: f"the {fact.kind} fact `{name}`"
            for name, fact in program.facts.items()
            if fact.kind in (Kind.DATE, Kind.JUDGEMENT, Kind.RECORDS, Kind.PANEL)
        }

    # ----- what the hooks build with ------------------------------------------------------

    @staticmethod
    def unsupported(rule: Any) -> NotVectorised:
        return NotVectorised(f"the rule `{_text(rule)}` has no columnar form")

    @staticmethod
    def zeroing(cond: VFn) -> Zeroing:
        return Zeroing(cond)

    @staticmethod
    def check(cond: VFn) -> Check:
        return Check(cond)

    @staticmethod
    def first(cases: list[tuple[Flag | None, Num | None]], otherwise: Num | None) -> Num:
        """The value of the first case whose condition holds (None: always; a value of None:
        a fault, the project undecided); where none holds,
        `otherwise`, or undecided when there is none (the ledger path's fault). A case's
        condition, and its value, are read only where no case before it was taken."""
        if len(cases) == 1 and otherwise is not None:
            cond, value = cases[0]
            if cond is not None and value is not None:  # one test: a plain choice
                chosen: Num = where(cond, value, otherwise)
                return chosen
        n: Any = ZERO.n
        d: Any = ZERO.d
        bad: Any = _FALSE
        taken: Any = _FALSE
        hi, dhi = 0, 1
        for value in (*(v for _, v in cases), otherwise):
            if value is not None:
                h, dh = value.bounds()
                hi, dhi = max(hi, h), max(dhi, dh)
        for cond, value in cases:
            reached = ~taken
            if cond is None:
                hit = reached
            else:
                if _any(cond.bad):
                    bad = bad | (reached & cond.bad)
                hit = reached & cond.v
            n, d, bad = _taking(hit, value, n, d, bad)
            taken = taken | hit
        n, d, bad = _taking(~taken, otherwise, n, d, bad)
        return Num(n, d, bad, hi, dhi)

    @staticmethod
    def marked(value: Num, marks: Any) -> Num:
        """`value`, undecided also where `marks` (another value's `bad`) are: what a rule
        computes whatever it takes (an amount, a spared deduction) fails it there."""
        return Num(value.n, value.d, value.bad | marks, value.hi, value.dhi)

    @staticmethod
    def both(a: Flag, b: Flag) -> Flag:
        """`a and b`: `b` is read only where `a` holds."""
        return Flag(a.v & b.v, a.bad | (a.v & b.bad))

    @staticmethod
    def count(items: Items) -> Num:
        """How many findings a list holds, as a number."""
        return Num(items.count, I64(1), items.bad)

    @staticmethod
    def label_is(subject: Any, label: str, strip: bool = False) -> Flag:
        """A text value's test against one label (`levels`); `strip`: the value as it reads
        without surrounding spaces (`by 类别`)."""
        if not strip:
            code = subject.labels.get(label, -2)
            return Flag(subject.codes == code, subject.bad)
        codes = [c for text, c in subject.labels.items() if text.strip() == label]
        return Flag(np.isin(subject.codes, codes), subject.bad)

    @staticmethod
    def floor(a: Num) -> Num:
        return Num(a.n // a.d, I64(1), a.bad, a.bounds()[0], 1)

    @staticmethod
    def ceil(a: Num) -> Num:
        return Num(-((-a.n) // a.d), I64(1), a.bad, a.bounds()[0], 1)

    @staticmethod
    def sign_kept(value: Num, sign: int) -> Num:
        """A clause that deducts (sign -1) or adds (+1) a formula amount: a project where it
        moves the score the other way fails on the ledger path (E505), so it is undecided."""
        wrong = value.n > 0 if sign < 0 else value.n < 0
        return Num(value.n, value.d, value.bad | wrong, value.hi, value.dhi)

    # ----- expressions -------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> VFn:
        match node:
            case ast.Number(value) | ast.Percent(value):
                c = constant(value)
                return lambda cols: c
            case ast.Bool(value):
                truth = Flag(np.bool_(value), _FALSE)
                return lambda cols: truth
            case ast.Name(name):
                why = self.elsewhere.get(name)
                if why is not None:
                    raise NotVectorised(why)
                return lambda cols: cols[name]
            case ast.Neg(operand):
                f = self.num(operand)
                return lambda cols: neg(f(cols))
            case ast.Not(operand):
                g = self.flag(operand)

                def negated(cols: Cols) -> Flag:
                    x = g(cols)
                    return Flag(~x.v, x.bad)

                return negated
            case ast.Logic(op, left, right):
                lf, rf = self.flag(left), self.flag(right)
                both = op == "and"

                def logic(cols: Cols) -> Flag:
                    a, b = lf(cols), rf(cols)
                    # the right side is read only where the left does not decide
                    needed = a.v if both else ~a.v
                    v = (a.v & b.v) if both else (a.v | b.v)
                    return Flag(v, a.bad | (needed & b.bad))

                return logic
            case ast.Compare(op, left, right):
                return self.comparison(op, left, right)
            case ast.Arith(op, left, right):
                lf, rf = self.num(left), self.num(right)
                if op == "+":
                    return lambda cols: add(lf(cols), rf(cols))
                if op == "-":
                    return lambda cols: add(lf(cols), rf(cols), -1)
                if op == "*":
                    return lambda cols: mul(lf(cols), rf(cols))
                return lambda cols: div(lf(cols), rf(cols))
            case ast.Call(func, args):
                return self.call(func, args)
            case ast.If(cond, then, otherwise):
                cf, tf, of = self.flag(cond), self.expr(then), self.expr(otherwise)
                return lambda cols: where(cf(cols), tf(cols), of(cols))
            case _:
                raise NotVectorised(f"the expression `{_text(node)}`")

    def num(self, node: ast.Expr) -> VFn:
        if node.kind in (Kind.BOOL, Kind.TEXT, Kind.DATE, Kind.LIST, Kind.RECORDS, Kind.PANEL):
            raise NotVectorised(f"`{_text(node)}` is not a number")
        if node.kind is Kind.JUDGEMENT:
            raise NotVectorised(f"the judgement `{_text(node)}`")
        return self.expr(node)

    def flag(self, node: ast.Expr) -> VFn:
        if node.kind is not Kind.BOOL:
            raise NotVectorised(f"`{_text(node)}` is not a condition")
        return self.expr(node)

    def comparison(self, op: str, left: ast.Expr, right: ast.Expr) -> VFn:
        kinds = {left.kind, right.kind}
        if kinds == {Kind.TEXT} and op in ("==", "!="):
            return self.text_equal(op, left, right)
        if kinds == {Kind.BOOL} and op in ("==", "!="):
            lf, rf = self.flag(left), self.flag(right)

            def same(cols: Cols) -> Flag:
                a, b = lf(cols), rf(cols)
                v = a.v == b.v
                return Flag(v if op == "==" else ~v, a.bad | b.bad)

            return same
        lf, rf = self.num(left), self.num(right)
        return lambda cols: compare(op, lf(cols), rf(cols))

    def text_equal(self, op: str, left: ast.Expr, right: ast.Expr) -> VFn:
        if isinstance(left, ast.String):
            left, right = right, left
        if not (isinstance(left, ast.Name) and isinstance(right, ast.String)):
            raise NotVectorised(f"the comparison of texts `{_text(left)} {op} {_text(right)}`")
        name, value = left.name, right.value

        def equal(cols: Cols) -> Flag:
            t: Text = cols[name]
            code = t.labels.get(value, -2)  # -2: no project has it
            v = t.codes == code
            return Flag(v if op == "==" else ~v, t.bad)

        return equal

    def call(self, func: str, args: tuple[ast.Expr, ...]) -> VFn:
        if func == "count":
            (f0,) = (self.expr(a) for a in args)
            if args[0].kind is not Kind.LIST:
                raise NotVectorised(f"`count` of {args[0].kind}")

            def counted(cols: Cols) -> Num:
                x: Items = f0(cols)
                return Num(x.count, I64(1), x.bad)

            return counted
        if func == "abs":
            f = self.num(args[0])

            def absolute(cols: Cols) -> Num:
                x = f(cols)
                return Num(np.abs(x.n), x.d, x.bad)

            return absolute
        if func in ("min", "max"):
            fs = [self.num(a) for a in args]
            larger = func == "max"
            return lambda cols: pick([f(cols) for f in fs], larger)
        raise NotVectorised(f"the function `{func}`")

    # ----- awards and rules --------------------------------------------------------------

    def amount(self, award: ast.Award, weight: Decimal) -> VFn:
        match award:
            case ast.Full():
                w = constant(weight)
                return lambda cols: w
            case ast.Points(value):
                p = constant(value)
                return lambda cols: p
            case ast.Share(value):
                s = constant(weight * value)
                return lambda cols: s
            case ast.AwardExpr(expr):
                return self.points_of(expr, weight)
            case _:
                ast.assert_never(award)

    def points_of(self, expr: ast.Expr, weight: Decimal) -> VFn:
        f = self.num(expr)
        if expr.kind is Kind.PERCENT:
            w = constant(weight)
            return lambda cols: mul(f(cols), w)
        return f

    def rule(self, rule: ast.Clause, weight: Decimal) -> Any:
        """A rule through its form's `vector` hook: points (a `VFn`), or `Zeroing`/`Check`."""
        return form_of(rule).vector(self, rule, weight)

    def node(self, ind: Indicator, settings: Any) -> VFn:
        """A leaf's points as the scorer gives them (`scorer.leaf`/`settle`): its base rule's
        points or its weight, its deductions, floored at 0, capped at its weight, zeroed by a
        `zero when` that holds, rounded; a `warn when` that faults fails the leaf too."""
        base: VFn | None = None
        deductions: list[VFn] = []
        zeros: list[VFn] = []
        checks: list[VFn] = []
        for rule in ind.rules:
            compiled = self.rule(rule, ind.weight)
            if isinstance(compiled, Zeroing):
                zeros.append(compiled.cond)
            elif isinstance(compiled, Check):
                checks.append(compiled.cond)
            elif isinstance(rule, ast.BASE_RULES):
                base = compiled
            elif isinstance(rule, ast.DEDUCTIONS):
                deductions.append(compiled)
            else:  # pragma: no cover - the checker takes policies out of the rules
                raise NotVectorised(f"the rule `{_text(rule)}`")
        weight = constant(ind.weight)
        places, mode = settings.places, settings.rounding

        def leaf(cols: Cols) -> tuple[Any, Any]:
            current = base(cols) if base is not None else weight
            for d in deductions:
                current = add(current, d(cols))
            current = cap(floor0(current), weight)
            for z in zeros:  # after the rules: a fault of theirs fails the leaf all the same
                fired, before = z(cols), current.bad
                current = where(fired, ZERO, current)
                current.bad = current.bad | before | fired.bad
            for w in checks:
                current.bad = current.bad | w(cols).bad
            return round_units(current, places, mode, nonnegative=True)  # floored above

        return leaf


def _text(node: Any) -> str:
    from jixiao.dsl.formatter import format_expr, format_rule

    try:
        return format_expr(node)
    except Exception:
        try:
            return format_rule(node)
        except Exception:
            return type(node).__name__


# ----- the pack ----------------------------------------------------------------------------------


@record
class VectorPlan:
    """A pack over columns: the derived facts in order, every leaf's points, the tree as sums.
    `ledger`: the leaves no column runs (place, why, and the facts they read, directly or
    through derived facts, in order): each project's are scored by the ledger path's own leaf
    closure (`runtime.columnar.ledger_leaves`), the rest of the tree over columns."""

    program: Program
    facts: dict[str, Kind]  # the facts the plan reads, with their kinds
    derived: tuple[tuple[str, VFn, bool], ...]  # name, closure, declared count
    leaves: tuple[tuple[int, VFn], ...]  # place in `Program.indicators`, closure
    ledger: tuple[tuple[int, str], ...]  # place, why no column runs it
    ledger_reads: tuple[str, ...]  # the facts and derived facts those leaves read, in order
    branches: tuple[tuple[int, tuple[int, ...]], ...]  # bottom-up: place, children's places
    roots: tuple[int, ...]
    places: int
    total: int  # the pack's total, in units of the last place
    overflow_cap: bool
    grades: tuple[tuple[int | None, str], ...]  # lower bound in units (None: else), label
    defaults: Mapping[str, object]


def compile_vector(plan: Any) -> VectorPlan:
    """The checked pack of `plan` (a `compiler.Plan`) over columns; `NotVectorised` says why
    it has none."""
    from ..common.walk import names_in
    from ..forms import rule_exprs

    program: Program = plan.program
    settings = program.settings
    if program.vetoes:
        raise NotVectorised("the pack has a `veto`")
    if program.extras:
        raise NotVectorised("the pack has a bonus or penalty section")
    if settings.rounding_scope != "leaves":
        raise NotVectorised("the pack rounds on the total only")
    v = Vectorising(program)
    derived = []
    for name in plan.order.derived:
        d = program.derived[name]
        try:
            derived.append((name, v.expr(d.expr), d.kind is Kind.COUNT))
        except NotVectorised as exc:
            v.elsewhere[name] = str(exc)
    index = {ind.code: i for i, ind in enumerate(program.indicators)}
    leaves, ledger, branches = [], [], []
    reads: set[str] = set()
    for i in reversed(range(len(program.indicators))):
        ind = program.indicators[i]
        if ind.children:
            if ind.rules or ind.scale is not None:
                raise NotVectorised(f"the branch {ind.code} has rules or a scale of its own")
            branches.append((i, tuple(index[c] for c in ind.children)))
            continue
        try:
            leaves.append((i, v.node(ind, settings)))
        except NotVectorised as exc:
            ledger.append((i, str(exc)))
            stack = [n.name for r in ind.rules for e in rule_exprs(r) for n in names_in(e)]
            while stack:
                name = stack.pop()
                if name not in reads:
                    reads.add(name)
                    if name in program.derived:
                        stack.extend(program.derived[name].reads)
    if not leaves:
        raise NotVectorised(ledger[0][1] if ledger else "the pack has no leaf")
    unit = Decimal(1).scaleb(-settings.places)

    def units(value: Decimal) -> int:
        q = value / unit
        if q != q.to_integral_value():
            raise NotVectorised(f"{value} has more places than the pack rounds to")
        return int(q)

    def at_least(value: Decimal) -> int:
        """The fewest units a total needs to reach `value` (`优 >= 0.9` of a pack rounding to
        whole points: 1)."""
        q = value / unit
        return int(q.to_integral_value(rounding=decimal.ROUND_CEILING))

    grades = tuple(
        (at_least(b.lower) if b.lower is not None else None, b.label) for b in settings.grades
    )
    facts = {n: f.kind for n, f in program.facts.items()}
    order = [*program.facts, *plan.order.derived]
    return VectorPlan(
        program,
        facts,
        tuple(derived),
        tuple(leaves),
        tuple(ledger),
        tuple(n for n in order if n in reads),
        tuple(branches),
        tuple(index[r] for r in program.roots),
        settings.places,
        units(settings.total),
        settings.overflow == "cap",
        grades,
        dict(plan.defaults),
    )


# ----- running it --------------------------------------------------------------------------------


@record
class Scored:
    """A batch of projects over columns: each indicator's points in units of the pack's last
    place (by place in `Program.indicators`), the total in units, the grade's index in the
    pack's grades, and `decided`: the projects these are the ledger path's answers for (the
    others must be scored by it)."""

    points: list[Any]
    total: Any
    grade: Any
    decided: Any


def run(
    vp: VectorPlan, cols: Cols, n: int, ledger: Mapping[int, tuple[Any, Any]] | None = None
) -> Scored:
    """Score `n` projects given as columns (see `runtime.columnar.columns`); `ledger`: the
    points (in units) and undecided marks of the leaves no column runs (`vp.ledger`), scored
    by the ledger path (`runtime.columnar.ledger_leaves`)."""
    cols = dict(cols)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for name, fn, is_count in vp.derived:
            value = fn(cols)
            if is_count and isinstance(value, Num):  # E617: a count comes out whole and ≥ 0
                value = Num(value.n, value.d, value.bad | (value.n < 0) | (value.d != 1))
            cols[name] = value
        bad = np.zeros(n, dtype=bool)
        points: list[Any] = [None] * len(vp.program.indicators)
        for place, fn in vp.leaves:
            units, undecided = fn(cols)
            points[place] = np.broadcast_to(units, (n,))
            bad |= np.broadcast_to(undecided, (n,))
        for place, _ in vp.ledger:
            assert ledger is not None, "the leaves no column runs need the ledger path's points"
            units, undecided = ledger[place]
            points[place] = units
            bad |= undecided
        for place, children in vp.branches:
            total = points[children[0]]
            for child in children[1:]:
                total = total + points[child]
            points[place] = total
        total = points[vp.roots[0]]
        for root in vp.roots[1:]:
            total = total + points[root]
        total = np.maximum(total, 0)
        if vp.overflow_cap:
            total = np.minimum(total, vp.total)
        grade = np.full(n, len(vp.grades) - 1, dtype=np.int64)
        for i in reversed(range(len(vp.grades))):
            lower = vp.grades[i][0]
            grade = np.where(total >= lower if lower is not None else True, i, grade)
        return Scored(points, total, grade, ~bad)


__all__ = ["NotVectorised", "Scored", "VectorPlan", "Vectorising", "compile_vector", "run"]
