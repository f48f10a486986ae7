"""`deduct <amount> when <cond> [reason "…"]` (扣分): the amount, when the condition holds.
`add … when` (a bonus section's clause, see `add_when`) shares its closure."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..common.walk import award_exprs, constant_points
from ..plan.compile_expr import ONE, ZERO
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    best_unknown,
    deducts,
    key,
    lints_nothing,
    nests_nothing,
    no_direction,
    none,
    reasons_plain,
    units_field_by_field,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, NamedTuple

    from ..plan.compile_expr import Env, RawLine, RuleFn
else:
    from .base import NamedTuple


class AmountArgs(NamedTuple):
    """A deduction or bonus: the amount of one, and how many times (1 for a condition or an
    item, the count for a count)."""

    amount: Decimal
    times: Decimal


def amount_fields(line: Any, say: Any) -> dict[str, str]:
    a = line.args
    if a.times == 1:
        how = ""
    elif say.lang == "zh":
        how = f"（{say.shown(a.amount)} × {say.shown(a.times)}）"
    else:
        how = f" ({say.shown(a.amount)} × {say.shown(a.times)})"
    return {"total": say.shown(abs(line.points)), "how": how}


DEDUCT = LineSpec(
    LineKind.DEDUCT,
    AmountArgs,
    Words("{reason}，扣 {total} 分{how}", "{reason}: −{total}{how}"),
    amount_fields,
    key("deduct"),
    loss=True,
)


def check(c: Any, rule: ast.DeductWhen | ast.AddWhen, code: str, weight: Decimal) -> None:
    c.expect_bool(rule.cond, "the condition of a deduction or bonus")
    c.check_amount(rule.amount, "the bonus" if isinstance(rule, ast.AddWhen) else "the deduction")


def exprs(rule: ast.DeductWhen | ast.AddWhen, again: Any) -> Iterator[ast.Expr]:
    yield from award_exprs(rule.amount)
    yield rule.cond


def compile_when(c: Compiling, rule: ast.DeductWhen | ast.AddWhen, weight: Decimal) -> RuleFn:
    amount, cond, reason = rule.amount, rule.cond, rule.reason
    sign = 1 if isinstance(rule, ast.AddWhen) else -1
    kind = LineKind.ADD if sign > 0 else LineKind.DEDUCT
    af, cf, reads = c.amount(amount, weight), c.expr(cond), c.uses(cond)
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


def drivers(rule: ast.DeductWhen) -> Iterator[ast.Expr]:
    yield rule.cond


def awards(rule: ast.DeductWhen) -> Iterator[tuple[ast.AwardExpr, bool, ast.Expr | None]]:
    if isinstance(rule.amount, ast.AwardExpr):
        yield rule.amount, True, rule.cond


def worst(rule: ast.DeductWhen, weight: Decimal) -> Decimal | None:
    """A fixed deduction takes its amount (a formula, even `full`, counts as unbounded)."""
    if isinstance(rule.amount, ast.Share):
        return rule.amount.value * weight
    if isinstance(rule.amount, ast.Points):
        return rule.amount.value
    return None


def deduct_coverage(rule: Any, add: Any, again: Any, top: bool) -> None:
    text: str = rule.span.text.split("\n")[0]
    text = text if len(text) <= 40 else text[:39] + "…"
    add("deduct", rule, f"`{text}` fires")


def vector_when(v: Any, rule: ast.DeductWhen | ast.AddWhen, weight: Decimal) -> Any:
    """As `compile_when`, over columns."""
    sign = 1 if isinstance(rule, ast.AddWhen) else -1
    af, cf = v.amount(rule.amount, weight), v.flag(rule.cond)
    fixed = constant_points(rule.amount, weight) is not None  # then never of the wrong sign

    def when(cols: Any) -> Any:
        a = af(cols)
        signed = a if sign > 0 else v.neg(a)
        return v.first([(cf(cols), signed if fixed else v.sign_kept(signed, sign))], v.ZERO)

    return when


FORM = Form(
    name="deduct … when",
    nodes=(ast.DeductWhen,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_when,
    lint=lints_nothing,
    best=best_unknown,
    thresholds=none,
    direction=no_direction,
    labels=none,
    branches=none,
    caps=none,
    sign=deducts,
    formula=lambda rule: isinstance(rule.amount, ast.AwardExpr),
    units=units_field_by_field,
    judged=none,
    drivers=drivers,
    awards=awards,
    worst=worst,
    coverage=deduct_coverage,
    vector=vector_when,
    lines=(DEDUCT,),
)
