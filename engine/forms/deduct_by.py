"""`deduct per <list> by "<field>" { "<label>": <amount> [max <cap>] … } [max <cap>]`
(按严重程度扣分): each finding's amount looked up by a field of it, capped per row and overall."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import Failure, LineKind
from ..common.types import Kind
from ..common.walk import award_exprs
from ..plan.compile_expr import ONE, ZERO, Faulted
from .base import (
    Compiling,
    Form,
    best_unknown,
    clause_cap,
    deducts,
    field_of,
    lints_nothing,
    nests_nothing,
    no_direction,
    none,
    not_vectorised,
    units_field_by_field,
)
from .deduct_per import unbounded
from .deduct_when import DEDUCT, deduct_coverage

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from ..plan.compile_expr import Env, RawLine, RuleFn


def check(c: Any, rule: ast.DeductBy, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    kind = c.infer(rule.subject)
    if kind is not None and kind is not Kind.LIST:
        c.diags.append(
            msg.expected_kind("the subject of `deduct per … by`", "a list", kind, rule.subject.span)
        )
    c.unique_labels(rule.rows)
    for row in rule.rows:
        c.check_amount(row.amount, f"the deduction for `{row.label}`")
        c.check_cap(row.max)
    c.check_cap(rule.max)


def reasons(c: Any, rule: ast.DeductBy) -> tuple[tuple[str, ...], tuple[ast.String, ...]]:
    return ("item",), ()


def exprs(rule: ast.DeductBy, again: Any) -> Iterator[ast.Expr]:
    yield rule.subject
    for row in rule.rows:
        yield from award_exprs(row.amount)
        if row.max is not None:
            yield row.max
    if rule.max is not None:
        yield rule.max


def compile_by(c: Compiling, rule: ast.DeductBy, weight: Decimal) -> RuleFn:
    sf, reads = c.expr(rule.subject), c.uses(rule.subject)
    field = rule.field.value
    rows = {
        r.label: (
            c.amount(r.amount, weight),
            c.points_of(r.max, weight) if r.max is not None else None,
        )
        for r in rule.rows
    }
    cap = c.points_of(rule.max, weight) if rule.max is not None else None
    template = rule.reason.value if rule.reason else None
    labels = tuple(rows)
    span, kind, checked = rule.span, LineKind.DEDUCT, not c.exact

    def by_field(env: Env, lines: list[RawLine]) -> Decimal:
        groups: dict[str, list[RawLine]] = {}
        for item in sf(env):
            label = field_of(item, field, span)
            if label not in rows:
                raise Faulted(
                    Failure.of(
                        "E613",
                        None,
                        span,
                        finding=item.text,
                        field=str(field),
                        value=label,
                        values=labels,
                    )
                )
            a = rows[label][0](env)
            reason = template.replace("{item}", item.text) if template else item.text
            groups.setdefault(label, []).append((kind, -a, span, reason, reads, (a, ONE), item))
        total = ZERO
        for label, group in groups.items():
            lines.extend(group)
            taken = sum((line[1] for line in group), ZERO)
            row_cap = rows[label][1]
            if row_cap is not None:
                taken += clause_cap(lines, taken, row_cap(env), span, label, checked)
            total += taken
        if cap is not None:
            total += clause_cap(lines, total, cap(env), span, checked=checked)
        return total

    return by_field


def labels(rule: ast.DeductBy) -> Iterator[tuple[str, str | None, tuple[str, ...]]]:
    if isinstance(rule.subject, ast.Name):
        yield rule.subject.name, rule.field.value, tuple(r.label for r in rule.rows)


def drivers(rule: ast.DeductBy) -> Iterator[ast.Expr]:
    yield rule.subject


def caps(rule: ast.DeductBy) -> Iterator[ast.Expr]:
    """Each row's maximum, then the clause's."""
    for row in rule.rows:
        if row.max is not None:
            yield row.max
    if rule.max is not None:
        yield rule.max


def formula(rule: ast.DeductBy) -> bool:
    return rule.max is not None or any(
        isinstance(r.amount, ast.AwardExpr) or r.max is not None for r in rule.rows
    )


FORM = Form(
    name="deduct per … by",
    nodes=(ast.DeductBy,),
    check=check,
    reasons=reasons,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_by,
    lint=lints_nothing,
    best=best_unknown,
    thresholds=none,
    direction=no_direction,
    labels=labels,
    branches=none,
    caps=caps,
    sign=deducts,
    formula=formula,
    units=units_field_by_field,
    judged=none,
    drivers=drivers,
    awards=none,
    worst=unbounded,
    coverage=deduct_coverage,
    vector=not_vectorised,
    lines=(DEDUCT,),
)
