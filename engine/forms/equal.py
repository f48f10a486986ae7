"""`equal <actual> target <target>` (等于): as `forward`; with a zero target, the weight only
when the actual is at most 0."""

from __future__ import annotations

from jixiao.dsl import ast

from ..common.result import LineKind
from .base import (
    Form,
    LineSpec,
    Words,
    awards_nothing,
    best_weight,
    key,
    lints_nothing,
    nests_nothing,
    no_direction,
    no_formula,
    no_sign,
    none,
    reasons_plain,
)
from .forward import (
    PairArgs,
    check_pair,
    compile_forward,
    pair_cause,
    pair_coverage,
    pair_exprs,
    pair_fields,
    pair_units,
    vector_forward,
)

EQUAL = LineSpec(
    LineKind.EQUAL,
    PairArgs,
    Words(
        "等于指标：实际 {actual}，目标 {target}，得 {raw}",
        "equality indicator: actual {actual}, target {target}, scores {raw}",
    ),
    pair_fields,
    key("partial"),
    award=True,
    short="等于指标",
    because=Words("{actual}不等于目标{target}", "{actual} is not {target}"),
    cause=lambda c: pair_cause(c, ast.Equal),
)

FORM = Form(
    name="equal",
    nodes=(ast.Equal,),
    check=check_pair,
    reasons=reasons_plain,
    exprs=pair_exprs,
    nested=nests_nothing,
    compile=lambda c, rule, weight: compile_forward(
        c, rule.actual, rule.target, True, weight, rule.span
    ),
    lint=lints_nothing,
    best=best_weight,
    thresholds=none,
    direction=no_direction,
    labels=none,
    branches=none,
    caps=none,
    sign=no_sign,
    formula=no_formula,
    units=lambda u, rule: pair_units(u, rule, False),
    judged=none,
    drivers=none,
    awards=none,
    worst=awards_nothing,
    coverage=pair_coverage,
    vector=lambda v, rule, weight: vector_forward(v, rule.actual, rule.target, True, weight),
    lines=(EQUAL,),
)
