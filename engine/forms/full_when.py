"""`full when <cond> [else <rule or award>]`: the whole weight when the condition holds."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..plan.compile_expr import UNSET, ZERO, read
from .base import (
    Compiling,
    Form,
    LineSpec,
    NoArgs,
    Words,
    awards_nothing,
    constant,
    key,
    lints_nothing,
    no_direction,
    no_formula,
    no_sign,
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


class FullArgs(NamedTuple):
    weight: Decimal


#: The whole weight: `full when` held, or a forward, equal or reverse indicator met its target.
FULL = LineSpec(
    LineKind.FULL,
    FullArgs,
    Words("满足条件，得满分 {w} 分", "condition met: full weight {w}"),
    covers=key("full"),
    award=True,
)
#: A condition that did not hold (`full when`, or no `choose` branch applied): no points.
UNMET = LineSpec(
    LineKind.UNMET,
    NoArgs,
    Words("条件不满足：{cond}", "condition not met: {cond}"),
    lambda line, say: {"cond": f"`{line.span.text}`"},
    key("unmet"),
    award=True,
    short="条件不满足",
    because=Words("未达到满分条件（{cond}）", "the condition of full marks is not met ({cond})"),
    cause=lambda c: {"cond": c.words(e)} if (e := c.expression(c.node)) is not None else None,
)


def check(c: Any, rule: ast.FullWhen, code: str, weight: Decimal) -> None:
    c.expect_bool(rule.cond, "the condition of `full when`")
    if rule.otherwise is not None:
        c.check_rule(rule.otherwise, code, weight)


def exprs(rule: ast.FullWhen, again: Any) -> Iterator[ast.Expr]:
    yield rule.cond
    yield from again(rule.otherwise)


def nested(rule: ast.FullWhen) -> tuple[ast.Clause, ...]:
    return (rule.otherwise,) if rule.otherwise is not None else ()


def compile_full_when(c: Compiling, rule: ast.FullWhen, weight: Decimal) -> RuleFn:
    cond, otherwise, span = rule.cond, rule.otherwise, rule.span
    cf, reads = c.expr(cond), c.uses(cond)
    other = c.rule(otherwise, weight) if otherwise is not None else None
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


def best(rule: ast.FullWhen, weight: Decimal, again: Any) -> Decimal | None:
    return weight


def thresholds(rule: ast.FullWhen) -> Iterator[tuple[ast.Expr, Decimal]]:
    if isinstance(rule.cond, ast.Compare):
        value = constant(rule.cond.right)
        if value is not None:
            yield rule.cond.left, value


def awards(rule: ast.FullWhen) -> Iterator[tuple[ast.AwardExpr, bool, ast.Expr | None]]:
    if isinstance(rule.otherwise, ast.AwardExpr):
        yield rule.otherwise, False, None


def coverage(rule: ast.FullWhen, add: Any, again: Any, top: bool) -> None:
    add("full", rule, f"`{rule.cond.span.text}` holds")
    add("unmet", rule.cond, f"`{rule.cond.span.text}` does not hold")
    if rule.otherwise is not None:
        again(rule.otherwise)


def vector(v: Any, rule: ast.FullWhen, weight: Decimal) -> Any:
    cond, full = v.flag(rule.cond), v.constant(weight)
    other = v.rule(rule.otherwise, weight) if rule.otherwise is not None else None

    def full_when(cols: Any) -> Any:
        return v.first([(cond(cols), full)], other(cols) if other is not None else v.ZERO)

    return full_when


FORM = Form(
    name="full when",
    nodes=(ast.FullWhen,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nested,
    compile=compile_full_when,
    lint=lints_nothing,
    best=best,
    thresholds=thresholds,
    direction=no_direction,
    labels=none,
    branches=none,
    caps=none,
    sign=no_sign,
    formula=no_formula,
    units=units_field_by_field,
    judged=none,
    drivers=none,
    awards=awards,
    worst=awards_nothing,
    coverage=coverage,
    vector=vector,
    lines=(FULL, UNMET),
)
