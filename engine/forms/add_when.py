"""`add <amount> when <cond>` (加分), in a bonus section: as `deduct … when`, added."""

from __future__ import annotations

from jixiao.dsl import ast

from ..common.result import LineKind
from .base import (
    Form,
    LineSpec,
    Words,
    adds,
    awards_nothing,
    best_unknown,
    lints_nothing,
    nests_nothing,
    no_coverage,
    no_direction,
    none,
    reasons_plain,
    units_field_by_field,
)
from .deduct_when import AmountArgs, amount_fields, check, compile_when, exprs, vector_when

ADD = LineSpec(
    LineKind.ADD,
    AmountArgs,
    Words("{reason}，加 {total} 分{how}", "{reason}: +{total}{how}"),
    amount_fields,
)

FORM = Form(
    name="add … when",
    nodes=(ast.AddWhen,),
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
    sign=adds,
    formula=lambda rule: isinstance(rule.amount, ast.AwardExpr),
    units=units_field_by_field,
    judged=none,
    drivers=none,
    awards=none,
    worst=awards_nothing,
    coverage=no_coverage,
    vector=vector_when,
    lines=(ADD,),
)
