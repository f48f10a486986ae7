"""`levels <subject> { "<label>": <award> … }` (等级): the award of the subject's level."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import Failure, LineKind
from ..common.types import Kind
from ..common.walk import award_exprs, constant_points
from ..plan.compile_expr import Faulted
from .base import (
    Branches,
    Compiling,
    Form,
    LineSpec,
    Words,
    awards_nothing,
    key,
    lints_nothing,
    nests_nothing,
    no_direction,
    no_formula,
    no_sign,
    none,
    reasons_plain,
    units_field_by_field,
)
from .tiers import AwardArgs, _max

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from jixiao.dsl.source import Span

    from ..plan.compile_expr import Env, RawLine, RuleFn

LEVEL = LineSpec(
    LineKind.LEVEL,
    AwardArgs,
    Words("等级 {level}", "level {level}"),
    lambda line, say: {"level": f"`{line.span.text}`"},
    key("level"),
    award=True,
    short="等级",
    because=Words("评为“{label}”", "rated “{label}”"),
    cause=lambda c: {"label": c.node.label} if isinstance(c.node, ast.Level) else None,
)


def label_branches(
    subject: ast.Expr, levels: tuple[ast.Level, ...] | tuple[ast.LevelInterval, ...], span: Span
) -> Iterator[Branches]:
    """A row per label of a `levels` over a fact (`levels` and `levels … score`): a label that
    is no choice of the fact is never matched (E315)."""
    if isinstance(subject, ast.Name):
        values = tuple((level.label, level.span) for level in levels)
        yield Branches(subject.name, values, False, "`levels`", span)


def check(c: Any, rule: ast.Levels, code: str, weight: Decimal) -> None:
    c.expect_text(rule.subject, "levels")
    c.unique_labels(rule.levels)
    for level in rule.levels:
        c.check_award(level.award, code, weight)


def exprs(rule: ast.Levels, again: Any) -> Iterator[ast.Expr]:
    yield rule.subject
    for level in rule.levels:
        yield from award_exprs(level.award)


def compile_levels(c: Compiling, rule: ast.Levels, weight: Decimal) -> RuleFn:
    sf, reads, kind, span = c.expr(rule.subject), c.uses(rule.subject), LineKind.LEVEL, rule.span
    table = {lv.label: (c.amount(lv.award, weight), lv.span) for lv in rule.levels}
    labels = tuple(table)

    def level(env: Env, lines: list[RawLine]) -> Decimal:
        value = sf(env)
        if value not in table:
            raise Faulted(Failure.of("E607", None, span, level=str(value), levels=labels))
        points, where = table[value]
        p = points(env)
        lines.append((kind, p, where, None, reads, (p,), None))
        return p

    return level


def best(rule: ast.Levels, weight: Decimal, again: Any) -> Decimal | None:
    return _max([constant_points(lv.award, weight) for lv in rule.levels])


def labels(rule: ast.Levels | ast.LevelRange) -> Iterator[tuple[str, str | None, tuple[str, ...]]]:
    if isinstance(rule.subject, ast.Name):
        yield rule.subject.name, None, tuple(r.label for r in rule.levels)


def awards(rule: ast.Levels) -> Iterator[tuple[ast.AwardExpr, bool, ast.Expr | None]]:
    for lv in rule.levels:
        if isinstance(lv.award, ast.AwardExpr):
            yield lv.award, False, None


def coverage(rule: ast.Levels | ast.LevelRange, add: Any, again: Any, top: bool) -> None:
    for level in rule.levels:
        add("level", level, f"level `{level.label}`")


def vector(v: Any, rule: ast.Levels, weight: Decimal) -> Any:
    """As `compile_levels`, over columns: a label no level names is a fault."""
    if rule.subject.kind is not Kind.TEXT:
        raise v.unsupported(rule)
    sf = v.expr(rule.subject)
    table = [(lv.label, v.amount(lv.award, weight)) for lv in rule.levels]

    def levels(cols: Any) -> Any:
        value = sf(cols)
        return v.first([(v.label_is(value, label), p(cols)) for label, p in table], None)

    return levels


FORM = Form(
    name="levels",
    nodes=(ast.Levels,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_levels,
    lint=lints_nothing,
    best=best,
    thresholds=none,
    direction=no_direction,
    labels=labels,
    branches=lambda rule: label_branches(rule.subject, rule.levels, rule.span),
    caps=none,
    sign=no_sign,
    formula=no_formula,
    units=units_field_by_field,
    judged=none,
    drivers=none,
    awards=awards,
    worst=awards_nothing,
    coverage=coverage,
    vector=vector,
    lines=(LEVEL,),
)
