"""`proportional <rate>`: the weight × the rate (a percent or a ratio)."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..common.types import DIMENSIONLESS
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    awards_nothing,
    best_weight,
    key,
    lints_nothing,
    nests_nothing,
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


class ProportionalArgs(NamedTuple):
    weight: Decimal
    rate: Decimal


PROPORTIONAL = LineSpec(
    LineKind.PROPORTIONAL,
    ProportionalArgs,
    Words("按比例计分：{w} × {rate} = {raw}", "proportional: {w} × {rate} = {raw}"),
    lambda line, say: {
        "w": say.plain(line.args.weight),
        "rate": say.percent(line.args.rate),
        "raw": say.shown(line.points),
    },
    key("proportional"),
    award=True,
    short="按比例计分",
    because=Words("{what}未达到100%", "{what} below 100%"),
    cause=lambda c: rate_cause(c, c.node),
)


def rate_cause(c: Any, node: object) -> dict[str, str] | None:
    rate = c.expression(node.rate if isinstance(node, ast.Proportional) else node)
    return {"what": c.value(rate)} if rate is not None else None


def check(c: Any, rule: ast.Proportional, code: str, weight: Decimal) -> None:
    kind = c.infer(rule.rate)
    if kind is not None and kind not in DIMENSIONLESS:
        from ..common import messages as msg

        c.diags.append(
            msg.expected_kind(
                "the rate of `proportional`", "a percent or a ratio", kind, rule.rate.span
            )
        )


def exprs(rule: ast.Proportional, again: Any) -> Iterator[ast.Expr]:
    yield rule.rate


def compile_proportional(c: Compiling, rule: ast.Proportional, weight: Decimal) -> RuleFn:
    rf, reads, kind, span = c.expr(rule.rate), c.uses(rule.rate), LineKind.PROPORTIONAL, rule.span

    def proportional(env: Env, lines: list[RawLine]) -> Decimal:
        value = rf(env)
        p: Decimal = weight * value
        lines.append((kind, p, span, None, reads, (weight, value), None))
        return p

    return proportional


def direction(
    rule: ast.Proportional, weight: Decimal, kinds: Any
) -> tuple[str, bool, tuple[Decimal, ...]] | None:
    if isinstance(rule.rate, ast.Name):
        return rule.rate.name, True, ()
    return None


def coverage(rule: ast.Proportional, add: Any, again: Any, top: bool) -> None:
    add("proportional", rule, f"`{rule.span.text}` scores")
    if top:
        add("cap", None, "capped at the weight")


def vector(v: Any, rule: ast.Proportional, weight: Decimal) -> Any:
    rate, w = v.num(rule.rate), v.constant(weight)
    return lambda cols: v.mul(w, rate(cols))


FORM = Form(
    name="proportional",
    nodes=(ast.Proportional,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_proportional,
    lint=lints_nothing,
    best=best_weight,
    thresholds=none,
    direction=direction,
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
    lines=(PROPORTIONAL,),
)
