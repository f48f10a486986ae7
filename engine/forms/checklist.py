"""`checklist [base <award>] { <award> if <cond> [reason "…"] … }` (要素): a base, plus each
element's points when its condition holds."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..common.walk import award_exprs, constant_points
from ..plan.compile_expr import ONE, ZERO
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    awards_nothing,
    lints_nothing,
    nests_nothing,
    no_direction,
    no_formula,
    no_sign,
    none,
    units_field_by_field,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, NamedTuple

    from ..plan.compile_expr import Env, RawLine, RuleFn
else:
    from .base import NamedTuple


class CheckArgs(NamedTuple):
    points: Decimal  # what the element is worth
    met: Decimal  # 1 when its condition held, else 0


class CheckBaseArgs(NamedTuple):
    points: Decimal


_MET = {"zh": ("满足，得 {p} 分", "未满足，不得分"), "en": ("met, {p}", "not met, 0")}

CHECK = LineSpec(
    LineKind.CHECK,
    CheckArgs,
    Words("{reason}：{met}", "{reason}: {met}"),
    lambda line, say: {
        "met": _MET[say.lang][0 if line.args.met else 1].format(p=say.shown(line.args.points))
    },
    lambda line: "check" if line.args.met else "check_unmet",
    award=True,
    short="要素未满足",
    because=Words("要素未满足：{reason}", "not met: {reason}"),
    cause=lambda c: (
        {"reason": c.reason} if c.reason and len(c.args) > 1 and not c.args[1] else None
    ),
)
CHECK_BASE = LineSpec(
    LineKind.CHECK_BASE, CheckBaseArgs, Words("基础分 {p}", "base {p}"), award=True
)


def check(c: Any, rule: ast.Checklist, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    base, items = rule.base, rule.items
    if base is not None:
        c.check_award(base, code, weight)
    for item in items:
        c.check_award(item.award, code, weight)
        c.expect_bool(item.cond, "a checklist element")
    constant = [constant_points(a, weight) for a in ([base] if base else [])]
    constant += [constant_points(i.award, weight) for i in items]
    if all(p is not None for p in constant):
        total = sum((p for p in constant if p is not None), Decimal(0))
        if total > weight:
            c.diags.append(msg.checklist_above_weight(code, total, weight, rule.span))


def reasons(c: Any, rule: ast.Checklist) -> tuple[tuple[str, ...], tuple[ast.String, ...]]:
    return (), tuple(i.reason for i in rule.items if i.reason is not None)


def exprs(rule: ast.Checklist, again: Any) -> Iterator[ast.Expr]:
    yield from award_exprs(rule.base)
    for item in rule.items:
        yield from award_exprs(item.award)
        yield item.cond


def compile_checklist(c: Compiling, rule: ast.Checklist, weight: Decimal) -> RuleFn:
    from jixiao.dsl.formatter import format_expr  # an item without a reason shows its test

    base, items = rule.base, rule.items
    base_fn = c.amount(base, weight) if base is not None else None
    compiled = [
        (
            c.amount(i.award, weight),
            c.expr(i.cond),
            c.uses(i.cond),
            i.reason.value if i.reason else format_expr(i.cond),
            i.span,
        )
        for i in items
    ]
    base_span = base.span if base is not None else None
    base_kind, kind = LineKind.CHECK_BASE, LineKind.CHECK

    def checklist(env: Env, lines: list[RawLine]) -> Decimal:
        total = ZERO
        if base_fn is not None and base_span is not None:
            total = base_fn(env)
            lines.append((base_kind, total, base_span, None, (), (total,), None))
        for points, cf, reads, reason, where in compiled:
            p = points(env)
            met = bool(cf(env))
            lines.append(
                (kind, p if met else ZERO, where, reason, reads, (p, ONE if met else ZERO), None)
            )
            if met:
                total += p
        return total

    return checklist


def best(rule: ast.Checklist, weight: Decimal, again: Any) -> Decimal | None:
    values = [constant_points(i.award, weight) for i in rule.items]
    if rule.base is not None:
        values.append(constant_points(rule.base, weight))
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def coverage(rule: ast.Checklist, add: Any, again: Any, top: bool) -> None:
    for item in rule.items:
        add("check", item, f"`{item.cond.span.text}` met")
        add("check_unmet", item, f"`{item.cond.span.text}` not met")


def vector(v: Any, rule: ast.Checklist, weight: Decimal) -> Any:
    """As `compile_checklist`, over columns: every item's points and test are read."""
    base = v.amount(rule.base, weight) if rule.base is not None else None
    items = [(v.amount(i.award, weight), v.flag(i.cond)) for i in rule.items]

    def checklist(cols: Any) -> Any:
        total = base(cols) if base is not None else v.ZERO
        for points, cf in items:
            p, met = points(cols), cf(cols)
            total = v.add(total, v.marked(v.where(met, p, v.ZERO), p.bad))
        return total

    return checklist


FORM = Form(
    name="checklist",
    nodes=(ast.Checklist,),
    check=check,
    reasons=reasons,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_checklist,
    lint=lints_nothing,
    best=best,
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
    awards=none,  # checklist elements are not searched (as before)
    worst=awards_nothing,
    coverage=coverage,
    vector=vector,
    lines=(CHECK_BASE, CHECK),
)
