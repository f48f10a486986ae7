"""Units of measure and fact domains: what `unit "万元"`, `50万元`, `3个` and `max 150%` mean,
and the checker pass that makes every comparison and sum of quantities exact across units.

A unit is a dimension and a power of ten. Money is one dimension: 元, 千元, 万元, 百万元, 千万元,
亿元 (and `万`, `亿`, `yuan`, `CNY`, `RMB`) convert exactly, by powers of ten in `Decimal`.
Counted things are each a dimension of their own (个, 人, 次, 台, 项 …: 3个 is never 3人, and
天, 月 and 年 do not convert), as is any other unit a pack declares (`unit "平方米"`). A
percent, a bare number and a fact declared without a unit have no unit, except money, which is
in 元 unless it says otherwise.

Values are held in the unit their fact declares — the evidence reader converts `50万元` into
it, and the ledger shows it — so scores and reports never change with the way a number was
typed. The pass below rewrites expressions before their kinds are checked:

- a literal with a unit (`target 50万元`) is converted into the unit of the quantity it meets;
- of two named quantities of different money units (`实际支出` in 万元 against `预算金额` in
  元), the right-hand one is converted into the left-hand one's unit in a comparison, sum,
  difference, `min`/`max` or `if`, and in a ratio the numerator into the denominator's unit
  (the divisor stays as written, with its `nonzero` guard) — multiplying or dividing by a
  power of ten, which is exact;
- a bare number adopts the unit of the quantity it meets (`target 50` against a fact in 万元
  is 50 万元);
- quantities of different dimensions (money against 个, 人 against 次) are E310;
- a bare number where a percent is meant (`率 >= 95`, `tiers 率 { >= 95: … }`) is E311.

The rewritten nodes keep the spans of what the author wrote, so every report quotes the pack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.record import Record, fields, record, replace

from ..common import messages as msg
from ..common.ir import Fact
from ..common.types import Kind
from ..common.walk import names_in
from ..forms import BY_NODE as _FORMS

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

#: Money units by their power of ten in 元. Latin spellings are matched case-insensitively.
MONEY_UNITS: dict[str, int] = {
    "元": 0,
    "圆": 0,
    "人民币": 0,
    "人民币元": 0,
    "元人民币": 0,
    "yuan": 0,
    "cny": 0,
    "rmb": 0,
    "千元": 3,
    "万元": 4,
    "万": 4,
    "百万元": 6,
    "百万": 6,
    "千万元": 7,
    "千万": 7,
    "亿元": 8,
    "亿": 8,
    "万亿元": 12,
}
#: Units of counted things a pack may write after a number (`>= 3个`): each its own dimension.
COUNT_UNITS = (
    "人次 户次 个 人 次 台 项 套 份 天 月 年 件 处 家 户 条 篇 场 期 辆 所 名 位 本 册 张 间 座 批"
).split()
KNOWN_UNITS = frozenset((*MONEY_UNITS, *COUNT_UNITS))
#: What a percent may declare as its unit (it changes nothing: values are fractions).
PERCENT_UNITS = frozenset({"%", "％", "百分比", "百分点"})
#: The unit of money a fact declared without one is in.
YUAN = "元"


@record
class Unit:
    dimension: str  # "money", or the unit itself for anything else (个, 人, 平方米)
    name: str  # as the author wrote it
    power: int = 0  # money: the power of ten in 元


def money_unit(name: str) -> Unit | None:
    power = MONEY_UNITS.get(name.strip().lower())
    return Unit("money", name.strip(), power) if power is not None else None


def unit_named(name: str) -> Unit:
    """A unit as a literal or a declaration writes it."""
    return money_unit(name) or Unit(name.strip(), name.strip())


def fact_unit(kind: Kind, declared: str | None) -> Unit | None:
    """The unit the values of a fact are held in."""
    if kind is Kind.MONEY:
        return unit_named(declared) if declared else Unit("money", YUAN)
    if kind in (Kind.COUNT, Kind.NUMBER) and declared:
        return unit_named(declared)
    return None


def convert(value: Decimal, source: Unit, target: Unit) -> Decimal:
    """`value` in `source` expressed in `target` (same dimension): exact, a power of ten (the
    coefficient's digits never change, so no precision is lost)."""
    shift = source.power - target.power
    if shift >= 0:
        return value * Decimal(10) ** shift
    return value / Decimal(10) ** -shift


def split_unit(text: str) -> tuple[str, Unit | None]:
    """`50万元` → (`50`, 万元); `50` → (`50`, None). The longest known spelling wins."""
    low = text.lower()
    for name in sorted((*MONEY_UNITS, *COUNT_UNITS), key=len, reverse=True):
        if low.endswith(name) and len(text) > len(name):
            return text[: -len(name)], unit_named(text[len(text) - len(name) :])
    return text, None


def unit_help(unit: Unit) -> str:
    if unit.dimension == "money":
        return f"{unit.name} (money)"
    return unit.name


# ----- domains ---------------------------------------------------------------------------------


def domain(kind: Kind | Fact) -> tuple[Decimal | None, Decimal | None]:
    """The values a fact may take: its declared `min`/`max`, else its kind's own bounds."""
    fact = kind if isinstance(kind, Fact) else None
    kind = kind.kind if isinstance(kind, Fact) else kind
    low = fact.min if fact is not None else None
    high = fact.max if fact is not None else None
    if low is None and kind in (Kind.MONEY, Kind.COUNT, Kind.PERCENT):
        low = Decimal(0)
    if high is None and kind is Kind.PERCENT:
        high = Decimal(1)
    return low, high


def domain_problem(kind: Kind | Fact, value: object) -> tuple[str, str, str] | None:
    """None when `value` lies in the domain; else (the value, the domain, how to widen it),
    as text in the fact's unit."""
    if isinstance(value, str) and isinstance(kind, Fact) and kind.choices is not None:
        if value.strip() in kind.choices:
            return None
        hint = msg.did_you_mean(value.strip(), kind.choices)
        return (
            f"`{value}`",
            "(the choices " + ", ".join(f"`{c}`" for c in kind.choices) + ")",
            (f"{hint} " if hint else "")
            + f"give one of the choices; if `{value}` is one, add it to the pack's "
            f"`fact {kind.name}: choice [...]`",
        )
    if not isinstance(value, Decimal):
        return None
    fact = kind if isinstance(kind, Fact) else None
    plain = kind.kind if isinstance(kind, Fact) else kind
    low, high = domain(kind)
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    # a side a parameter's default opened (see `Checker.check_params`) is shown as no bound
    low = None if low is not None and low.is_infinite() else low
    high = None if high is not None and high.is_infinite() else high
    unit = fact.unit if fact is not None and fact.unit else ("元" if plain is Kind.MONEY else "")

    def show(v: Decimal) -> str:
        if plain is Kind.PERCENT:
            return f"{msg.fmt(v * 100)}%"
        return f"{msg.fmt(v)}{unit}" if unit else msg.fmt(v)

    if low is not None and high is not None:
        shown = f"[{show(low)}, {show(high)}]"
    elif low is not None:
        shown = f"{show(low)} or more"
    else:
        shown = f"{show(high)} or less" if high is not None else ""
    example = f"min {show(value)}" if low is not None and value < low else f"max {show(value)}"
    if fact is None:
        how = f"check the value; if it may really be {show(value)}, declare `{example}` on the fact"
    else:
        how = (
            f"check the value; if `{fact.name}` may really be {show(value)}, declare a wider "
            f"domain in the pack: `fact {fact.name}: {plain} {example}`"
        )
    return show(value), shown, how


# ----- the checker's pass ----------------------------------------------------------------------

_EXPRS = (
    ast.Number,
    ast.Percent,
    ast.String,
    ast.Bool,
    ast.Date,
    ast.EmptyList,
    ast.Name,
    ast.Neg,
    ast.Not,
    ast.Arith,
    ast.Compare,
    ast.Logic,
    ast.Call,
    ast.If,
    ast.Aggregate,
    ast.Field,
)
_SPANS = ("span", "name_span", "func_span")


class UnitPass:
    """Rewrites expressions so every quantity meets another in one unit; reports E310/E311.

    `unit_of` gives the unit of a declared fact or parameter (None for none), `let_expr` the
    (already rewritten) expression of a derived fact, `kind_of` the declared kind of a name
    (None when unknown)."""

    def __init__(
        self,
        diags: list[Diagnostic],
        unit_of: Mapping[str, Unit | None],
        lets: Mapping[str, ast.LetDecl],
        kind_of: Callable[[str], Kind | None],
    ) -> None:
        self.diags = diags
        self.unit_of = unit_of
        self.lets = lets
        self.kind_of = kind_of
        self.done: dict[str, tuple[ast.Expr, Unit | None]] = {}
        self.in_progress: set[str] = set()
        self.reported: set[tuple[str, int, int]] = set()
        #: the bare default of each parameter declared `number` (`param 线: number = 90`): met
        #: by a percent, it is 9,000% as surely as a bare literal written in place
        self.param_literals: dict[str, ast.Number] = {}
        self.reported_hundreds: set[object] = set()
        #: each record list's fields and their units, and the fields in scope (innermost last)
        #: while a `where` or a per-record value is rewritten
        self.records: dict[str, dict[str, Unit | None]] = {}
        self.scopes: list[Mapping[str, Unit | None]] = []

    def let(self, name: str) -> tuple[ast.Expr, Unit | None]:
        """A derived fact's expression, rewritten, and its unit."""
        if name in self.done:
            return self.done[name]
        decl = self.lets[name]
        if name in self.in_progress:
            return decl.expr, None  # a cycle: the graph reports it
        self.in_progress.add(name)
        self.done[name] = self.expr(decl.expr)
        self.in_progress.discard(name)
        if decl.type is not None and decl.type.text == "percent":
            # `let 目标: percent = 95` is 9,500%
            self.bare_percent(ast.Percent(Decimal(0), decl.name.span), decl.expr)
            # `完成数 / 计划数 * 100` (a spreadsheet's habit) is 7,500% for three quarters
            hundred = _times_hundred(decl.expr)
            if hundred is not None:
                self.diags.append(msg.percent_times_hundred(name, hundred.span))
        return self.done[name]

    def prepare(self) -> None:
        """Rewrite every derived fact, dependencies first, so that no chain of derived facts
        makes `let` recurse (a thousand chained lets stay a loop, not a stack)."""
        done: set[str] = set()
        for root in self.lets:
            stack = [(root, False)]
            while stack:
                name, expanded = stack.pop()
                if name in done:
                    continue
                if expanded:
                    done.add(name)
                    self.let(name)
                    continue
                stack.append((name, True))
                for used in names_in(self.lets[name].expr):
                    if used.name in self.lets and used.name not in done:
                        if any(n == used.name and e for n, e in stack):
                            continue  # a cycle: the graph reports it
                        stack.append((used.name, False))

    def calls(self, rules: tuple[Any, ...], functions: Mapping[str, ast.Function]) -> None:
        """E311 for a bare number passed for a function parameter declared `percent`."""
        for rule in rules:
            fn = functions.get(rule.name) if isinstance(rule, ast.CallRule) else None
            if fn is None:
                continue
            for param, arg in zip(fn.params, rule.args, strict=False):
                if param.type.text == "percent":
                    self.bare_percent(ast.Percent(Decimal(0), param.span), arg)

    def constant(
        self, node: ast.Literal, kind: Kind, unit: Unit | None, anchor: ast.Expr
    ) -> ast.Literal:
        """A default or bound of a fact, in the fact's unit (a percent fact's must have `%`)."""
        if kind is Kind.PERCENT:
            self.bare_percent(ast.Percent(Decimal(0), anchor.span), node)
            return node
        if not isinstance(node, ast.Number) or node.unit is None or unit is None:
            return node
        converted = self.meet(anchor, unit, node, unit_named(node.unit))
        return converted if isinstance(converted, ast.Number) else node

    # --- rules

    def rules(self, rules: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(self.rule(r) for r in rules)

    def rule(self, node: Any) -> Any:
        form = _FORMS.get(type(node))
        if form is not None:
            # a form whose parts' units must meet (`forward`'s actual and target, `tiers`'
            # subject and bands) rewrites them; any other node is rewritten field by field
            done = form.units(self, node)
            if done is not None:
                return done
        if isinstance(node, _EXPRS):
            return self.expr(node)[0]
        if isinstance(node, tuple):
            return tuple(self.rule(x) for x in node)
        if isinstance(node, Record):
            return self.generic(node)
        return node

    def generic(self, node: Any, skip: tuple[str, ...] = ()) -> Any:
        changes = {}
        for name in fields(node):
            if name in _SPANS or name in skip:
                continue
            value = getattr(node, name)
            new = self.rule(value)
            if new is not value:
                changes[name] = new
        return replace(node, **changes) if changes else node

    def band(self, band: ast.Band, subject: ast.Expr, unit: Unit | None) -> ast.Band:
        changes = {}
        for side in ("lower", "upper"):
            bound = getattr(band, side)
            if bound is None:
                continue
            value, vu = self.expr(bound.value)
            value = self.meet(subject, unit, value, vu)
            if value is not bound.value:
                changes[side] = replace(bound, value=value)
        band = replace(band, **changes) if changes else band
        award = self.rule(band.award)
        return band if award is band.award else replace(band, award=award)

    # --- expressions

    def expr(self, e: ast.Expr) -> tuple[ast.Expr, Unit | None]:
        match e:
            case ast.Number(unit=written):
                return e, unit_named(written) if written else None
            case ast.Name(name):
                return e, self.name_unit(name)
            case ast.Neg(operand):
                o, unit = self.expr(operand)
                return (e if o is operand else replace(e, operand=o)), unit
            case ast.Not(operand):
                o, _ = self.expr(operand)
                return (e if o is operand else replace(e, operand=o)), None
            case ast.Logic(_, left, right):
                lo, ro = self.expr(left)[0], self.expr(right)[0]
                return self.rebuilt(e, left=lo, right=ro), None
            case ast.Compare(_, left, right):
                lo, ro, _ = self.pair(left, right)
                return self.rebuilt(e, left=lo, right=ro), None
            case ast.Arith(op, left, right) if op in "+-":
                lo, ro, unit = self.pair(left, right)
                return self.rebuilt(e, left=lo, right=ro), unit
            case ast.Arith(op, left, right):
                return self.product(e, op, left, right)
            case ast.Call(func, args) if func in ("min", "max"):
                return self.extremum(e, args)
            case ast.Call(func, args):
                typed = [self.expr(a) for a in args]
                new = tuple(t[0] for t in typed)
                unit = typed[0][1] if func == "abs" and len(args) == 1 else None
                changed = any(n is not a for n, a in zip(new, args, strict=True))
                return (replace(e, args=new) if changed else e), unit
            case ast.If(cond, then, otherwise):
                c = self.expr(cond)[0]
                t, o, unit = self.pair(then, otherwise)
                return self.rebuilt(e, cond=c, then=t, otherwise=o), unit
            case ast.Percent() | ast.String() | ast.Bool() | ast.Date() | ast.EmptyList():
                return e, None  # a literal with no unit to carry
            case ast.Aggregate(func, records, field, _, where):
                fields = self.records.get(records.name, {})
                if where is not None:
                    self.scopes.append(fields)
                    try:
                        e = self.rebuilt(e, where=self.expr(where)[0])
                    finally:
                        self.scopes.pop()
                of_field = field is not None and func not in ("count", "all", "any")
                return e, fields.get(field.text) if of_field and field is not None else None
            case ast.Field():
                return e, None  # (typed trees only)
            case _:
                ast.assert_never(e)

    def rebuilt(self, e: Any, **parts: Any) -> Any:
        changed = {k: v for k, v in parts.items() if v is not getattr(e, k)}
        return replace(e, **changed) if changed else e

    def product(
        self, e: ast.Arith, op: str, left: ast.Expr, right: ast.Expr
    ) -> tuple[ast.Expr, Unit | None]:
        lo, lu = self.expr(left)
        ro, ru = self.expr(right)
        unit: Unit | None = None
        if op == "/" and lu and ru and lu.dimension == ru.dimension:
            # A ratio of like quantities: the numerator takes the denominator's unit, so the
            # divisor stays as written (its `nonzero` guard and its messages read the same).
            lo = self.converted(lo, lu, ru)
        elif op == "/":
            unit = lu  # money per item, a quantity divided by a number
            if isinstance(ro, ast.Number) and ro.unit is None and ro.value > 1:
                # `满意度 / 85` is 满意度 / 8,500%: a fraction (`/ 0.85`) is what it means
                self.bare_percent(lo, ro)
        elif lu and ru:
            unit = lu if lu.dimension == "money" else ru if ru.dimension == "money" else None
        else:
            unit = lu or ru
        return self.rebuilt(e, left=lo, right=ro), unit

    def extremum(self, e: ast.Call, args: tuple[ast.Expr, ...]) -> tuple[ast.Expr, Unit | None]:
        """`min(…)`/`max(…)`: every argument in the unit of the first named quantity."""
        typed = [self.expr(a) for a in args]
        with_unit = [i for i, (_, u) in enumerate(typed) if u is not None]
        named = [i for i in with_unit if not _literal(typed[i][0])]
        at = (named or with_unit or [0])[0]
        ref, unit = typed[at] if typed else (e, None)
        new = tuple(a if i == at else self.meet(ref, unit, a, u) for i, (a, u) in enumerate(typed))
        changed = any(n is not a for n, a in zip(new, args, strict=True))
        return (replace(e, args=new) if changed else e), unit

    def pair(self, left: ast.Expr, right: ast.Expr) -> tuple[ast.Expr, ast.Expr, Unit | None]:
        """Both sides in one unit: a literal takes the other side's, else the right side
        takes the left's."""
        lo, lu = self.expr(left)
        ro, ru = self.expr(right)
        if _literal(lo) and not _literal(ro) and ru is not None:
            return self.meet(ro, ru, lo, lu), ro, ru or lu
        return lo, self.meet(lo, lu, ro, ru), lu or ru

    def meet(
        self, ref: ast.Expr, unit: Unit | None, other: ast.Expr, other_unit: Unit | None
    ) -> ast.Expr:
        """`other` expressed in `unit` (the unit of `ref`); reports what cannot be."""
        self.bare_percent(ref, other)
        self.bare_percent(other, ref)
        if unit is None or other_unit is None or unit == other_unit:
            return other
        if unit.dimension != other_unit.dimension:
            key = (ref.span.source.path, other.span.start, other.span.end)
            if key not in self.reported:
                self.reported.add(key)
                self.diags.append(
                    msg.unit_mismatch(unit_help(unit), unit_help(other_unit), ref.span, other.span)
                )
            return other
        return self.converted(other, other_unit, unit)

    def converted(self, e: ast.Expr, source: Unit, target: Unit) -> ast.Expr:
        if source.dimension != target.dimension or source.power == target.power:
            return e
        if isinstance(e, ast.Number):
            return ast.Number(convert(e.value, source, target), e.span, target.name)
        shift = source.power - target.power
        factor = ast.Number(Decimal(10) ** abs(shift), e.span)
        return ast.Arith("*" if shift > 0 else "/", e, factor, e.span)

    def name_unit(self, name: str) -> Unit | None:
        if self.scopes and name in self.scopes[-1]:
            return self.scopes[-1][name]  # a field of the record at hand
        if name in self.unit_of:
            return self.unit_of[name]
        if name in self.lets:
            return self.let(name)[1]
        return None

    def said(self, *exprs: ast.Expr) -> bool:
        """Was E310 or E311 reported at one of these expressions?"""
        return any((e.span.source.path, e.span.start, e.span.end) in self.reported for e in exprs)

    # --- percents written bare

    def is_percent(self, e: ast.Expr) -> bool:
        match e:
            case ast.Percent():
                return True
            case ast.Name(name):
                kind = self.kind_of(name)
                # a derived fact declared `number` over percents (`let 差距: number = 100% - 率`)
                # holds a percent all the same: `差距 <= 5` is 500%
                if (
                    kind in (None, Kind.NUMBER)
                    and name in self.lets
                    and name not in self.in_progress
                ):
                    self.in_progress.add(name)
                    kind = Kind.PERCENT if self.is_percent(self.lets[name].expr) else None
                    self.in_progress.discard(name)
                return kind is Kind.PERCENT
            case ast.Neg(operand):
                return self.is_percent(operand)
            case ast.Arith(op, left, right) if op in "+-":
                return self.is_percent(left) or self.is_percent(right)
            case ast.Call(func, args) if func in ("min", "max", "abs"):
                return any(self.is_percent(a) for a in args)
            case ast.If(_, then, otherwise):
                return self.is_percent(then) or self.is_percent(otherwise)
            case _:
                return False  # any other expression is not a percent, or is checked elsewhere

    def bare_percent(self, percent: ast.Expr, other: ast.Expr) -> None:
        """Report `other` when it is a bare number (not 0) and `percent` is a percent."""
        literal = other.operand if isinstance(other, ast.Neg) else other
        if isinstance(literal, ast.Name):
            # a name that only stands for a bare number (`param 线: number = 90`, `let 线 =
            # 90`): the literal is reported where it is written. A fraction (0.9) is left: a
            # `number` is a ratio that a percent accepts, and 0.9 is what it means.
            named = self.named_literal(literal.name, set())
            if named is not None and abs(named.value) > 1 and self.is_percent(percent):
                self.report_bare(named)
            decl = self.lets.get(literal.name)
            if (
                decl is not None
                and (decl.type is None or decl.type.text == "number")
                and _has_ratio(decl.expr)
                and self.is_percent(percent)
            ):
                # `let 完成 = 数 / 计划 * 100` met by `90%`: 75 against 0.9
                hundred = _times_hundred(decl.expr)
                key = ("E438", hundred.span.start, hundred.span.end) if hundred else None
                if hundred is not None and key not in self.reported_hundreds:
                    self.reported_hundreds.add(key)
                    self.diags.append(
                        msg.percent_times_hundred(literal.name, hundred.span, met=True)
                    )
            return
        if not isinstance(literal, ast.Number) or literal.unit or literal.value == 0:
            return
        if not self.is_percent(percent):
            return
        self.report_bare(literal)

    def named_literal(self, name: str, seen: set[str]) -> ast.Number | None:
        """The bare number a parameter or derived fact declared `number` (or untyped) stands
        for, through other such names; None for anything computed or with a unit."""
        if name in self.param_literals:
            return self.param_literals[name]
        decl = self.lets.get(name)
        if decl is None or name in seen or (decl.type is not None and decl.type.text != "number"):
            return None
        seen.add(name)
        expr = decl.expr.operand if isinstance(decl.expr, ast.Neg) else decl.expr
        if isinstance(expr, ast.Name):
            return self.named_literal(expr.name, seen)
        if isinstance(expr, ast.Number) and expr.unit is None:
            return expr
        return None

    def report_bare(self, literal: ast.Number) -> None:
        key = (literal.span.source.path, literal.span.start, literal.span.end)
        if key in self.reported:
            return
        self.reported.add(key)
        self.diags.append(msg.bare_percent(abs(literal.value), literal.span))


def _literal(e: ast.Expr) -> bool:
    return isinstance(e, ast.Number) or (
        isinstance(e, ast.Neg) and isinstance(e.operand, ast.Number)
    )


def _times_hundred(expr: ast.Expr) -> ast.Number | None:
    """The literal 100 (or 100.0) a product or quotient is multiplied by, if any: `a / b * 100`,
    `100 * a / b`, `a * 100 / b` — looked for along the chain of `*` and the dividends of `/`."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Arith) and e.op == "*":
            stack.extend((e.left, e.right))
        elif isinstance(e, ast.Arith) and e.op == "/":
            stack.append(e.left)
        elif isinstance(e, ast.Number) and e.unit is None and e.value == 100:
            return e
    return None


def _has_ratio(expr: ast.Expr) -> bool:
    """Whether a product chain divides (`a / b * 100`): a ratio scaled to a number of points."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Arith) and e.op == "/":
            return True
        if isinstance(e, ast.Arith) and e.op == "*":
            stack.extend((e.left, e.right))
    return False
