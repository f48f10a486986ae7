"""`forward <actual> target <target>` (正向): the weight when the actual reaches the target,
else actual / target × weight. `equal` (等于) shares its compiled closure."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..common.types import NUMERIC, comparable
from ..plan.compile_expr import ZERO, NearBoundary, close
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

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, NamedTuple

    from jixiao.dsl.source import Span

    from ..plan.compile_expr import Env, ExprFn, RawLine, RuleFn
else:
    from .base import NamedTuple


class PairArgs(NamedTuple):
    """A partial score of an actual against a target (forward, equal, reverse)."""

    weight: Decimal
    actual: Decimal
    target: Decimal


def pair_cause(c: Any, cls: Any) -> dict[str, str] | None:
    """The actual and target of the `forward`, `equal` or `reverse` rule (`cls`) at the line."""
    node = c.node
    if not isinstance(node, cls):
        return None
    return {"actual": c.value(node.actual), "target": c.value(node.target)}


def pair_units(u: Any, rule: Any, reverse: bool) -> Any:
    """The actual and target in one unit: the divisor (the target of `forward` and `equal`,
    the actual of `reverse`) keeps its unit and its `nonzero` guard."""
    from jixiao.dsl.record import replace

    if reverse:
        a, t, _ = u.pair(rule.actual, rule.target)  # target / actual
    else:
        t, a, _ = u.pair(rule.target, rule.actual)  # actual / target
    return replace(rule, actual=a, target=t)


def pair_fields(line: Any, say: Any) -> dict[str, str]:
    a = line.args
    return {
        "w": say.plain(a.weight),
        "actual": say.shown(a.actual),
        "target": say.shown(a.target),
        "raw": say.shown(line.points),
    }


FORWARD = LineSpec(
    LineKind.FORWARD,
    PairArgs,
    Words(
        "正向指标：{w} × {actual} / {target} = {raw}",
        "forward indicator: {w} × {actual} / {target} = {raw}",
    ),
    pair_fields,
    key("partial"),
    award=True,
    short="正向指标",
    because=Words("{actual}未达到目标{target}", "{actual} short of {target}"),
    cause=lambda c: pair_cause(c, ast.Forward),
)


def check_pair(
    c: Any, rule: ast.Forward | ast.Equal | ast.Reverse, code: str, weight: Decimal
) -> None:
    from ..common import messages as msg

    actual, target = rule.actual, rule.target
    ak, tk = c.infer(actual), c.infer(target)
    for expr, kind in ((actual, ak), (target, tk)):
        if kind is not None and kind not in NUMERIC:
            c.diags.append(msg.expected_kind("an actual or target", "a number", kind, expr.span))
    if ak in NUMERIC and tk in NUMERIC and ak and tk and not comparable(ak, tk):
        c.diags.append(msg.type_mismatch("target", ak, tk, rule.span))


def pair_exprs(rule: ast.Forward | ast.Equal | ast.Reverse, again: Any) -> Iterator[ast.Expr]:
    yield rule.actual
    yield rule.target


def near_pair(
    c: Compiling, actual: ast.Expr, target: ast.Expr, af: ExprFn, tf: ExprFn
) -> Callable[[Env, Any, Any], None] | None:
    """For `forward`, `equal` and `reverse` when their values may have been rounded: what
    they decide on (the actual against the target, either against 0) is checked for a
    hair, and `NearBoundary` raised if so (see `ExprCompiler.confirm`)."""
    if not c.rounds(actual, target):
        return None
    confirm = c.confirm((actual, target), *c.arithmetic((actual, af), (target, tf)))

    def near(env: Env, a: Any, t: Any) -> None:
        if (close(a, t) or close(a, ZERO) or close(t, ZERO)) and confirm(env):
            raise NearBoundary

    return near


def compile_forward(
    c: Compiling, actual: ast.Expr, target: ast.Expr, equal: bool, weight: Decimal, span: Span
) -> RuleFn:
    af, tf, reads = c.expr(actual), c.expr(target), c.uses(actual, target)
    kind = LineKind.EQUAL if equal else LineKind.FORWARD
    full = (LineKind.FULL, weight, span, None, reads, (weight,), None)
    near = near_pair(c, actual, target, af, tf)

    def forward(env: Env, lines: list[RawLine]) -> Decimal:
        a, t = af(env), tf(env)
        if near is not None:
            near(env, a, t)
        if equal and t == 0:
            points = weight if a <= 0 else ZERO
        elif a >= t:
            points = weight
        else:
            # t > a here; a negative actual counts as 0 (the provincial systems' rule)
            points = weight * max(a, ZERO) / t if t > 0 else ZERO
        if points == weight:
            lines.append(full)
        else:
            lines.append((kind, points, span, None, reads, (weight, a, t), None))
        return points

    return forward


def direction(
    rule: ast.Forward, weight: Decimal, kinds: Any
) -> tuple[str, bool, tuple[Decimal, ...]] | None:
    if isinstance(rule.actual, ast.Name):
        return rule.actual.name, True, ()
    return None


def pair_coverage(rule: Any, add: Any, again: Any, top: bool) -> None:
    add("full", rule, "target met")
    add("partial", rule, "target missed")


def vector_forward(v: Any, actual: ast.Expr, target: ast.Expr, equal: bool, weight: Decimal) -> Any:
    """As `compile_forward`, over columns."""
    af, tf, w, zero = v.num(actual), v.num(target), v.constant(weight), v.ZERO

    def forward(cols: Any) -> Any:
        a, t = af(cols), tf(cols)
        cases = []
        if equal:
            on_zero = v.first([(v.compare("<=", a, zero), w)], zero)
            cases.append((v.compare("==", t, zero), on_zero))
        share = v.div(v.mul(w, v.floor0(a)), t)
        cases += [(v.compare(">=", a, t), w), (v.compare(">", t, zero), share)]
        return v.first(cases, zero)

    return forward


FORM = Form(
    name="forward",
    nodes=(ast.Forward,),
    check=check_pair,
    reasons=reasons_plain,
    exprs=pair_exprs,
    nested=nests_nothing,
    compile=lambda c, rule, weight: compile_forward(
        c, rule.actual, rule.target, False, weight, rule.span
    ),
    lint=lints_nothing,
    best=best_weight,
    thresholds=none,
    direction=direction,
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
    vector=lambda v, rule, weight: vector_forward(v, rule.actual, rule.target, False, weight),
    lines=(FORWARD,),
)
