"""`add <amount> per <list or count>` (每项加分), in a bonus section: as `deduct … per`,
added, without `distinct` or `max` (the section's `max` caps it)."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.types import Kind
from ..common.walk import award_exprs
from .add_when import ADD
from .base import (
    Form,
    adds,
    awards_nothing,
    best_unknown,
    lints_nothing,
    nests_nothing,
    no_coverage,
    no_direction,
    none,
    units_field_by_field,
)
from .deduct_per import compile_per, reasons, vector_per

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


def check(c: Any, rule: ast.AddPer, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    kind = c.infer(rule.subject)
    if kind is not None and kind not in (Kind.LIST, Kind.COUNT):
        c.diags.append(
            msg.expected_kind(
                "the subject of `add … per`", "a list or a count", kind, rule.subject.span
            )
        )
    c.check_amount(rule.amount, "the bonus")


def exprs(rule: ast.AddPer, again: Any) -> Iterator[ast.Expr]:
    yield from award_exprs(rule.amount)
    yield rule.subject


FORM = Form(
    name="add … per",
    nodes=(ast.AddPer,),
    check=check,
    reasons=reasons,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_per,
    lint=lints_nothing,
    best=best_unknown,
    thresholds=none,
    direction=no_direction,
    labels=none,
    branches=none,
    caps=none,
    sign=adds,
    formula=lambda rule: isinstance(rule.amount, ast.AwardExpr),
    units=units_field_by_field,
    judged=none,
    drivers=none,
    awards=none,
    worst=awards_nothing,
    coverage=no_coverage,
    vector=vector_per,
    lines=(ADD,),
)
