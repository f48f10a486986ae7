"""`reverse <actual> target <target> [linear]` (反向): the weight when the actual stays at or
below the target, else target / actual × weight (or a linear decay to 0 at twice the target)."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..plan.compile_expr import ONE, ZERO
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
)
from .forward import (
    PairArgs,
    check_pair,
    near_pair,
    pair_cause,
    pair_coverage,
    pair_exprs,
    pair_fields,
    pair_units,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

    from ..plan.compile_expr import Env, RawLine, RuleFn

ABOVE = Words("{actual}高于目标{target}", "{actual} above {target}")
REVERSE = LineSpec(
    LineKind.REVERSE,
    PairArgs,
    Words(
        "反向指标：{w} × {target} / {actual} = {raw}",
        "reverse indicator: {w} × {target} / {actual} = {raw}",
    ),
    pair_fields,
    key("partial"),
    award=True,
    short="反向指标",
    because=ABOVE,
    cause=lambda c: pair_cause(c, ast.Reverse),
)
REVERSE_LINEAR = LineSpec(
    LineKind.REVERSE_LINEAR,
    PairArgs,
    Words(
        "反向指标（线性递减）：实际 {actual}，目标 {target}，得 {raw}",
        "reverse indicator (linear decay): actual {actual}, target {target}, scores {raw}",
    ),
    pair_fields,
    key("partial"),
    award=True,
    short="反向指标",
    because=ABOVE,
    cause=lambda c: pair_cause(c, ast.Reverse),
)


def compile_reverse(c: Compiling, rule: ast.Reverse, weight: Decimal) -> RuleFn:
    actual, target, linear, span = rule.actual, rule.target, rule.linear, rule.span
    af, tf, reads = c.expr(actual), c.expr(target), c.uses(actual, target)
    full = (LineKind.FULL, weight, span, None, reads, (weight,), None)
    kind = LineKind.REVERSE_LINEAR if linear else LineKind.REVERSE
    near = near_pair(c, actual, target, af, tf)

    def reverse(env: Env, lines: list[RawLine]) -> Decimal:
        a, t = af(env), tf(env)
        if near is not None:
            near(env, a, t)
        if a <= t:
            lines.append(full)
            return weight
        if not linear:
            # a > t, so a > 0 whenever t >= 0; a zero target scores 0, never divides by 0
            points = weight * t / a if a > 0 and t > 0 else ZERO
        elif t <= 0 or a >= 2 * t:
            points = ZERO
        else:
            points = (ONE - (a - t) / t) * weight
        lines.append((kind, points, span, None, reads, (weight, a, t), None))
        return points

    return reverse


def direction(
    rule: ast.Reverse, weight: Decimal, kinds: Any
) -> tuple[str, bool, tuple[Decimal, ...]] | None:
    if isinstance(rule.actual, ast.Name):
        return rule.actual.name, False, ()
    return None


def vector(v: Any, rule: ast.Reverse, weight: Decimal) -> Any:
    """As `compile_reverse`, over columns."""
    af, tf, w, zero = v.num(rule.actual), v.num(rule.target), v.constant(weight), v.ZERO
    one, two = v.constant(1), v.constant(2)

    def reverse(cols: Any) -> Any:
        a, t = af(cols), tf(cols)
        cases = [(v.compare("<=", a, t), w)]
        if not rule.linear:
            both = v.both(v.compare(">", a, zero), v.compare(">", t, zero))
            cases.append((both, v.div(v.mul(w, t), a)))
        else:
            cases.append((v.compare("<=", t, zero), zero))
            cases.append((v.compare(">=", a, v.mul(two, t)), zero))
            cases.append((None, v.mul(v.add(one, v.div(v.add(a, t, -1), t), -1), w)))
        return v.first(cases, zero)

    return reverse


FORM = Form(
    name="reverse",
    nodes=(ast.Reverse,),
    check=check_pair,
    reasons=reasons_plain,
    exprs=pair_exprs,
    nested=nests_nothing,
    compile=compile_reverse,
    lint=lints_nothing,
    best=best_weight,
    thresholds=none,
    direction=direction,
    labels=none,
    branches=none,
    caps=none,
    sign=no_sign,
    formula=no_formula,
    units=lambda u, rule: pair_units(u, rule, True),
    judged=none,
    drivers=none,
    awards=none,
    worst=awards_nothing,
    coverage=pair_coverage,
    vector=vector,
    lines=(REVERSE, REVERSE_LINEAR),
)
