"""`<deduction> unless <cond> "<reason>"` (不扣分情形): the deduction, except when the condition
holds — then nothing is deducted and the reason is a ledger line.

One form wrapping a deduction (`deduct … per`, `deduct … when`, `deduct … per … of`,
`deduct per … by`), rather than an option of each: the exemption is checked, compiled and
explained here once, and the deduction inside keeps its own form. When the condition holds the
deduction is still computed (what it reads must be given, as without `unless`), so the ledger
says how much was spared: "因政策调整导致的偏差不扣分（免扣 2 分）".
"""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..plan.compile_expr import ZERO
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    best_unknown,
    key,
    lints_nothing,
    no_direction,
    none,
    reasons_plain,
    units_field_by_field,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, NamedTuple

    from ..plan.compile_expr import Env, RawLine, RuleFn
    from .base import Form as _Form
else:
    from .base import NamedTuple


class ExemptArgs(NamedTuple):
    spared: Decimal  # what the deduction would have taken


def _exempt_fields(line: Any, say: Any) -> dict[str, str]:
    spared = line.args.spared
    if not spared:
        return {"spared": ""}
    shown = say.shown(spared)
    return {"spared": f"（免扣 {shown} 分）" if say.lang == "zh" else f" (spared {shown})"}


EXEMPT = LineSpec(
    LineKind.EXEMPT,
    ExemptArgs,
    Words("不扣分：{reason}{spared}", "not deducted: {reason}{spared}"),
    _exempt_fields,
    key("exempt"),
    remark=True,
)


def _inner(rule: ast.Unless) -> _Form:
    from . import form_of

    return form_of(rule.rule)


def check(c: Any, rule: ast.Unless, code: str, weight: Decimal) -> None:
    c.expect_bool(rule.cond, "the condition of `unless`")
    c.check_rule(rule.rule, code, weight)


def exprs(rule: ast.Unless, again: Any) -> Iterator[ast.Expr]:
    yield rule.cond
    yield from again(rule.rule)


def nested(rule: ast.Unless) -> tuple[ast.Clause, ...]:
    return (rule.rule,)


def compile_unless(c: Compiling, rule: ast.Unless, weight: Decimal) -> RuleFn:
    cf, reads, span, kind = c.expr(rule.cond), c.uses(rule.cond), rule.span, LineKind.EXEMPT
    inner = c.rule(rule.rule, weight)
    reason = rule.reason.value

    def unless(env: Env, lines: list[RawLine]) -> Decimal:
        if not cf(env):
            return inner(env, lines)
        spared = -inner(env, [])  # what it would take, its lines left out
        lines.append((kind, ZERO, span, reason, reads, (spared,), None))
        return ZERO

    return unless


def caps(rule: ast.Unless) -> Iterable[ast.Expr]:
    return _inner(rule).caps(rule.rule)


def coverage(rule: ast.Unless, add: Any, again: Any, top: bool) -> None:
    add("exempt", rule, f"`unless {rule.cond.span.text}` holds")
    again(rule.rule)


def vector(v: Any, rule: ast.Unless, weight: Decimal) -> Any:
    """As `compile_unless`, over columns: the spared deduction is computed all the same."""
    cf, inner = v.flag(rule.cond), v.rule(rule.rule, weight)

    def unless(cols: Any) -> Any:
        taken = inner(cols)
        return v.marked(v.where(cf(cols), v.ZERO, taken), taken.bad)

    return unless


FORM = Form(
    name="unless",
    nodes=(ast.Unless,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nested,
    compile=compile_unless,
    lint=lints_nothing,
    best=best_unknown,
    thresholds=none,  # the deduction's own, reached through `nested`
    direction=no_direction,
    labels=none,  # (as `thresholds`)
    branches=none,
    caps=caps,
    sign=lambda rule: _inner(rule).sign(rule.rule),
    formula=lambda rule: _inner(rule).formula(rule.rule),
    units=units_field_by_field,
    judged=none,
    drivers=lambda rule: _inner(rule).drivers(rule.rule),  # (double counting reads the top)
    awards=none,  # the deduction's own, reached through `nested`
    worst=lambda rule, weight: _inner(rule).worst(rule.rule, weight),
    coverage=coverage,
    vector=vector,
    lines=(EXEMPT,),
)
