"""`zero when <cond> [reason "…"]` (本项不得分): the indicator scores nothing when the
condition holds. The engine takes the points away after the rules (see `plan.compiler.settle`);
the form's closure only writes the line."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..plan.compile_expr import ZERO
from .base import (
    Compiling,
    Form,
    LineSpec,
    NoArgs,
    Words,
    awards_nothing,
    best_unknown,
    key,
    lints_nothing,
    nests_nothing,
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
    from typing import Any

    from jixiao.dsl.source import Span

    from ..plan.compile_expr import Env, RawLine, RuleFn

ZERO_LINE = LineSpec(
    LineKind.ZERO,
    NoArgs,
    Words("本项不得分：{reason}", "scores nothing: {reason}"),
    covers=key("zero"),
    loss=True,
)


def flag(
    c: Compiling, kind: LineKind, cond: ast.Expr, reason: ast.String | None, span: Span
) -> RuleFn:
    """A closure that writes one constant line when `cond` holds, and adds no points."""
    cf = c.expr(cond)
    line = (kind, ZERO, span, reason.value if reason else None, c.uses(cond), (), None)

    def flag(env: Env, lines: list[RawLine]) -> Decimal:
        if cf(env):
            lines.append(line)
        return ZERO

    return flag


def check(c: Any, rule: ast.ZeroWhen, code: str, weight: Decimal) -> None:
    c.expect_bool(rule.cond, "the condition of `zero when`")


def exprs(rule: ast.ZeroWhen | ast.WarnWhen, again: Any) -> Iterator[ast.Expr]:
    yield rule.cond


def coverage(rule: ast.ZeroWhen, add: Any, again: Any, top: bool) -> None:
    add("zero", rule, f"`zero when {rule.cond.span.text}` fires")


def vector(v: Any, rule: ast.ZeroWhen, weight: Decimal) -> Any:
    return v.zeroing(v.flag(rule.cond))


FORM = Form(
    name="zero when",
    nodes=(ast.ZeroWhen,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=lambda c, rule, weight: flag(c, LineKind.ZERO, rule.cond, rule.reason, rule.span),
    lint=lints_nothing,
    best=best_unknown,
    thresholds=none,
    direction=no_direction,
    labels=none,
    branches=none,
    caps=none,
    sign=no_sign,
    formula=no_formula,
    units=units_field_by_field,
    judged=none,
    drivers=none,
    awards=none,
    worst=awards_nothing,
    coverage=coverage,
    vector=vector,
    lines=(ZERO_LINE,),
)
