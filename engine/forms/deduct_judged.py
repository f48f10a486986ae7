"""`deduct <judgement fact> within [lo, hi] [reason "…"]` (酌情扣分): the evaluator's
judgement, which must lie within the declared range."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import Failure, Judgement, LineKind
from ..common.types import Kind
from ..common.walk import interval_exprs, names_in
from ..plan.compile_expr import ZERO, Faulted, NearBoundary, close
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    above,
    below,
    best_unknown,
    deducts,
    key,
    lints_nothing,
    nests_nothing,
    no_direction,
    none,
    not_vectorised,
    reasons_plain,
    units_field_by_field,
)
from .deduct_per import unbounded
from .deduct_when import deduct_coverage

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, NamedTuple

    from ..plan.compile_expr import Env, RawLine, RuleFn
else:
    from .base import NamedTuple


class JudgedArgs(NamedTuple):
    amount: Decimal


JUDGED = LineSpec(
    LineKind.JUDGED,
    JudgedArgs,
    Words("酌情扣分：{reason}，扣 {total} 分", "discretionary deduction: {reason}, −{total}"),
    lambda line, say: {"total": say.shown(line.args.amount)},
    key("deduct"),
    loss=True,
)


def check(c: Any, rule: ast.DeductJudged, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    kind = c.infer(rule.subject)
    if kind is not None and kind is not Kind.JUDGEMENT:
        c.diags.append(
            msg.expected_kind(
                "the subject of `deduct … within`", "a judgement fact", kind, rule.subject.span
            )
        )
    c.check_interval(rule.interval, "the range of a judgement")
    c.check_sign(rule.interval.lower.value, "the lower end of the judgement's range")


def exprs(rule: ast.DeductJudged, again: Any) -> Iterator[ast.Expr]:
    yield rule.subject
    yield from interval_exprs(rule.interval)


def compile_judged(c: Compiling, rule: ast.DeductJudged, weight: Decimal) -> RuleFn:
    sf, reads = c.expr(rule.subject), c.uses(rule.subject)
    low = c.points_of(rule.interval.lower.value, weight)
    high = c.points_of(rule.interval.upper.value, weight)
    low_in, high_in = rule.interval.lower.inclusive, rule.interval.upper.inclusive
    name = next(names_in(rule.subject)).name
    template = rule.reason.value if rule.reason else None
    span, kind = rule.span, LineKind.JUDGED
    # whether the amount lies in the range decides an error: checked for a hair
    confirm = None if c.exact else c.confirm((), low, high)

    def judged(env: Env, lines: list[RawLine]) -> Decimal:
        value: Judgement = sf(env)
        a = value.amount
        if a == 0:
            return ZERO
        lo, hi = low(env), high(env)
        if confirm is not None and (close(a, lo) or close(a, hi)) and confirm(env):
            raise NearBoundary  # decided again exactly
        if not (above(a, lo, low_in) and below(a, hi, high_in)):
            raise Faulted(
                Failure.of(
                    "E610", name, span, amount=a, lower=lo, upper=hi, low_in=low_in, high_in=high_in
                )
            )
        reason = f"{template}：{value.reason}" if template else value.reason
        lines.append((kind, -a, span, reason, reads, (a,), None))
        return -a

    return judged


def judged(rule: ast.DeductJudged) -> Iterator[tuple[str, ast.Interval]]:
    if isinstance(rule.subject, ast.Name):
        yield rule.subject.name, rule.interval


FORM = Form(
    name="deduct … within",
    nodes=(ast.DeductJudged,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_judged,
    lint=lints_nothing,
    best=best_unknown,
    thresholds=none,
    direction=no_direction,
    labels=none,
    branches=none,
    caps=none,
    sign=deducts,
    formula=lambda rule: True,
    units=units_field_by_field,
    judged=judged,
    drivers=none,  # a judgement is no counted fact
    awards=none,
    worst=unbounded,
    coverage=deduct_coverage,
    vector=not_vectorised,
    lines=(JUDGED,),
)
