"""`warn when <cond> "<message>"` (提示): a remark in the ledger, no points."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from .base import (
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
    units_field_by_field,
)
from .zero_when import exprs, flag

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

WARN = LineSpec(
    LineKind.WARN,
    NoArgs,
    Words("提示：{reason}", "note: {reason}"),
    covers=key("warn"),
    remark=True,
)


def check(c: Any, rule: ast.WarnWhen, code: str, weight: Decimal) -> None:
    c.expect_bool(rule.cond, "the condition of `warn when`")


def reasons(c: Any, rule: ast.WarnWhen) -> tuple[tuple[str, ...], tuple[ast.String, ...]]:
    return (), (rule.message,)


def coverage(rule: ast.WarnWhen, add: Any, again: Any, top: bool) -> None:
    add("warn", rule, f"`warn when {rule.cond.span.text}` fires")


def vector(v: Any, rule: ast.WarnWhen, weight: Decimal) -> Any:
    return v.check(v.flag(rule.cond))


FORM = Form(
    name="warn when",
    nodes=(ast.WarnWhen,),
    check=check,
    reasons=reasons,
    exprs=exprs,
    nested=nests_nothing,
    compile=lambda c, rule, weight: flag(c, LineKind.WARN, rule.cond, rule.message, rule.span),
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
    lines=(WARN,),
)
