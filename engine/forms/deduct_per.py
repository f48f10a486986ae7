"""`deduct <amount> per <list or count> [distinct [by "<field>"]] [max <cap>] [reason "…"]`
(每项扣分): the amount for each finding (or each unit of a count), up to the clause's `max`.
`add … per` (a bonus section's clause, see `add_per`) shares its closure."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..common.types import Kind
from ..common.walk import award_exprs, constant_points
from ..plan.compile_expr import ONE, ZERO, NearBoundary, _plain, close
from .base import (
    Compiling,
    Form,
    LineSpec,
    NoArgs,
    Words,
    best_unknown,
    clause_cap,
    deducts,
    field_of,
    lints_nothing,
    nests_nothing,
    no_direction,
    none,
    units_field_by_field,
)
from .deduct_when import DEDUCT, deduct_coverage

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from ..plan.compile_expr import Env, RawLine, RuleFn

DUPLICATE = LineSpec(
    LineKind.DUPLICATE,
    NoArgs,
    Words("{reason}：同类已扣分，不再扣", "{reason}: same kind already deducted"),
    remark=True,
)


def check(c: Any, rule: ast.DeductPer, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    kind = c.infer(rule.subject)
    if kind is not None and kind not in (Kind.LIST, Kind.COUNT):
        c.diags.append(
            msg.expected_kind(
                "the subject of `deduct … per`", "a list or a count", kind, rule.subject.span
            )
        )
    if rule.distinct is not None and kind is Kind.COUNT:
        c.diags.append(msg.distinct_on_count(rule.distinct.span))
    c.check_amount(rule.amount, "the deduction")
    c.check_cap(rule.max)


def reasons(
    c: Any, rule: ast.DeductPer | ast.AddPer
) -> tuple[tuple[str, ...], tuple[ast.String, ...]] | None:
    """`{count}` for a count, `{item}` for a list."""
    kind = c.kind_of(rule.subject)
    if kind is None:
        return None  # its subject is already an error
    return ("count",) if kind is Kind.COUNT else ("item",), ()


def exprs(rule: ast.DeductPer, again: Any) -> Iterator[ast.Expr]:
    yield from award_exprs(rule.amount)
    yield rule.subject
    if rule.max is not None:
        yield rule.max


def compile_per(c: Compiling, rule: ast.DeductPer | ast.AddPer, weight: Decimal) -> RuleFn:
    sign = 1 if isinstance(rule, ast.AddPer) else -1
    kind = LineKind.ADD if sign > 0 else LineKind.DEDUCT
    duplicate = LineKind.DUPLICATE
    af, sf, reads = c.amount(rule.amount, weight), c.expr(rule.subject), c.uses(rule.subject)
    template = rule.reason.value if rule.reason else None
    distinct = rule.distinct if isinstance(rule, ast.DeductPer) else None
    field = distinct.field.value if distinct and distinct.field else None
    cap = c.points_of(rule.max, weight) if isinstance(rule, ast.DeductPer) and rule.max else None
    span, checked = rule.span, not c.exact
    fixed = constant_points(rule.amount, weight)
    # a number of items that may have been rounded: a hair above 0 would deduct a hair
    confirm = None
    if c.rounds(rule.subject):
        confirm = c.confirm((rule.subject,), *c.arithmetic((rule.subject, sf)))

    def per_item(env: Env, lines: list[RawLine]) -> Decimal:
        a = fixed if fixed is not None else af(env)
        value = sf(env)
        if confirm is not None and type(value) is Decimal and close(value, ZERO):
            if confirm(env):
                raise NearBoundary  # decided again exactly
        if isinstance(value, tuple):
            if not value:
                return ZERO
            each, args = sign * a, (a, ONE)
            seen: set[str] = set()
            total = ZERO
            for item in value:
                reason = template.replace("{item}", item.text) if template else item.text
                if distinct is not None:
                    key = field_of(item, field, span) if field else item.text
                    if key in seen:
                        lines.append((duplicate, ZERO, span, reason, reads, (), item))
                        continue
                    seen.add(key)
                lines.append((kind, each, span, reason, reads, args, item))
                total += each
        elif value > 0:
            reason = template.replace("{count}", _plain(value)) if template else None
            total = sign * a * value
            lines.append((kind, total, span, reason, reads, (a, value), None))
        else:
            return ZERO
        return (
            total
            if cap is None
            else total + clause_cap(lines, total, cap(env), span, checked=checked)
        )

    return per_item


def labels(rule: ast.DeductPer) -> Iterator[tuple[str, str | None, tuple[str, ...]]]:
    """A `distinct by "<field>"` list's findings need the field, any values (none named)."""
    d = rule.distinct
    if isinstance(rule.subject, ast.Name) and d is not None and d.field is not None:
        yield rule.subject.name, d.field.value, ()


def drivers(rule: ast.DeductPer) -> Iterator[ast.Expr]:
    yield rule.subject


def awards(rule: ast.DeductPer) -> Iterator[tuple[ast.AwardExpr, bool, ast.Expr | None]]:
    if isinstance(rule.amount, ast.AwardExpr):
        yield rule.amount, True, None


def unbounded(rule: Any, weight: Decimal) -> Decimal | None:
    return None  # per item, per step, judged: no bound before the evidence


def formula(rule: ast.DeductPer) -> bool:
    return isinstance(rule.amount, ast.AwardExpr) or rule.max is not None


def vector_per(v: Any, rule: ast.DeductPer | ast.AddPer, weight: Decimal) -> Any:
    """As `compile_per`, over columns: a list counts its findings (not `distinct` ones)."""
    distinct = rule.distinct if isinstance(rule, ast.DeductPer) else None
    if distinct is not None:
        raise v.unsupported(rule)
    sign = 1 if isinstance(rule, ast.AddPer) else -1
    af = v.amount(rule.amount, weight)
    listed = rule.subject.kind is Kind.LIST
    sf = v.expr(rule.subject) if listed else v.num(rule.subject)
    cap = v.points_of(rule.max, weight) if isinstance(rule, ast.DeductPer) and rule.max else None

    fixed = constant_points(rule.amount, weight)  # then never of the wrong sign

    def per(cols: Any) -> Any:
        a, value = af(cols), sf(cols)
        if listed:
            value = v.count(value)
        total = v.mul(a if sign > 0 else v.neg(a), value)
        if cap is not None:
            c = cap(cols)
            total = v.first([(v.compare(">", v.neg(total), c), v.neg(c))], total)
        if fixed is None:
            total = v.sign_kept(total, sign)
        if listed:  # how many findings: never below 0, and none takes nothing
            taken = total
        else:
            taken = v.first([(v.compare(">", value, v.ZERO), total)], v.ZERO)
        return taken if fixed is not None else v.marked(taken, a.bad)

    return per


FORM = Form(
    name="deduct … per",
    nodes=(ast.DeductPer,),
    check=check,
    reasons=reasons,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_per,
    lint=lints_nothing,
    best=best_unknown,
    thresholds=none,
    direction=no_direction,
    labels=labels,
    branches=none,
    caps=lambda rule: (rule.max,) if rule.max is not None else (),
    sign=deducts,
    formula=formula,
    units=units_field_by_field,
    judged=none,
    drivers=drivers,
    awards=awards,
    worst=unbounded,
    coverage=deduct_coverage,
    vector=vector_per,
    lines=(DEDUCT, DUPLICATE),
)
