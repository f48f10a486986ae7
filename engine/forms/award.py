"""A fixed award — `full`, points (`2`), a share (`50%`) or a formula — standing as a rule
(`full when … else 2`, a `choose` branch): it scores its points."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..common.walk import award_exprs, constant_points
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    awards_nothing,
    lints_nothing,
    nests_nothing,
    no_coverage,
    no_direction,
    no_formula,
    no_sign,
    none,
    reasons_plain,
    units_field_by_field,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from ..plan.compile_expr import Env, RawLine, RuleFn
else:
    from .base import NamedTuple


class FixedArgs(NamedTuple):
    points: Decimal


FIXED = LineSpec(LineKind.FIXED, FixedArgs, Words("得 {p} 分", "scores {p}"), award=True)


def check_award(c: Any, rule: ast.Award, code: str, weight: Decimal) -> None:
    c.check_award(rule, code, weight)


def exprs_award(rule: ast.Award, again: Any) -> Any:
    return award_exprs(rule)


def compile_award(c: Compiling, rule: ast.Award, weight: Decimal) -> RuleFn:
    points, fixed_kind, span = c.amount(rule, weight), LineKind.FIXED, rule.span

    def fixed(env: Env, lines: list[RawLine]) -> Decimal:
        p = points(env)
        lines.append((fixed_kind, p, span, None, (), (p,), None))
        return p

    return fixed


def best_award(rule: ast.Award, weight: Decimal, again: Any) -> Decimal | None:
    if isinstance(rule, ast.AwardExpr):
        return None  # a formula: known only with the evidence
    return constant_points(rule, weight)


def vector(v: Any, rule: ast.Award, weight: Decimal) -> Any:
    return v.amount(rule, weight)


FORM = Form(
    name="award",
    nodes=(ast.Full, ast.Points, ast.Share, ast.AwardExpr),
    check=check_award,
    reasons=reasons_plain,
    exprs=exprs_award,
    nested=nests_nothing,
    compile=compile_award,
    lint=lints_nothing,
    best=best_award,
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
    coverage=no_coverage,
    vector=vector,
    lines=(FIXED,),
)
