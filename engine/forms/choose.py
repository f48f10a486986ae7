"""`choose { <cond>: <rule or award> … else: … }` (分情形): the first branch whose condition
holds scores; none holding scores 0."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import LineKind
from ..plan.compile_expr import ZERO
from .base import (
    Branches,
    Compiling,
    Form,
    LineSpec,
    NoArgs,
    Words,
    awards_nothing,
    key,
    lints_nothing,
    no_direction,
    no_formula,
    no_sign,
    none,
    reasons_plain,
    units_field_by_field,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from ..plan.compile_expr import Env, RawLine, RuleFn

CHOICE = LineSpec(
    LineKind.CHOICE,
    NoArgs,
    Words("适用 {band}", "applies {band}"),
    lambda line, say: {"band": f"`{line.span.text.split(':')[0]}`"},
    key("choice"),
)


def check(c: Any, rule: ast.Choose, code: str, weight: Decimal) -> None:
    for choice in rule.choices:
        if choice.cond is not None:
            c.expect_bool(choice.cond, "the condition of a `choose` branch")
        c.check_rule(choice.then, code, weight)


def exprs(rule: ast.Choose, again: Any) -> Iterator[ast.Expr]:
    for choice in rule.choices:
        if choice.cond is not None:
            yield choice.cond
        yield from again(choice.then)


def nested(rule: ast.Choose) -> tuple[ast.Clause, ...]:
    return tuple(c.then for c in rule.choices)


def compile_choose(c: Compiling, rule: ast.Choose, weight: Decimal) -> RuleFn:
    choices = rule.choices
    compiled = [
        (
            c.expr(ch.cond) if ch.cond is not None else None,
            (LineKind.CHOICE, ZERO, ch.span, None, c.uses(ch.cond) if ch.cond else (), (), None),
            c.rule(ch.then, weight),
        )
        for ch in choices
    ]
    unmet = (LineKind.UNMET, ZERO, choices[0].span, None, (), (), None)

    def choose(env: Env, lines: list[RawLine]) -> Decimal:
        for cf, chosen, then in compiled:
            if cf is None or cf(env):
                lines.append(chosen)
                return then(env, lines)
        lines.append(unmet)
        return ZERO

    return choose


def best(rule: ast.Choose, weight: Decimal, again: Any) -> Decimal | None:
    values = [again(c.then, weight) for c in rule.choices]
    if any(v is None for v in values):
        return None
    return max((v for v in values if v is not None), default=Decimal(0))


def coverage(rule: ast.Choose, add: Any, again: Any, top: bool) -> None:
    for choice in rule.choices:
        add("choice", choice, f"`{choice.span.text.split(':')[0]}`")
        again(choice.then)


def branches(rule: ast.Choose) -> Iterator[Branches]:
    """Branches that each take values of one fact (`类别 == "培训" or 类别 == "会议"`) and no
    `else`: a dispatch on that fact, whose choices they should all cover (W315)."""
    if any(ch.cond is None for ch in rule.choices):
        return
    covered: dict[str, set[str]] = {}
    for ch in rule.choices:
        assert ch.cond is not None
        for name, value in _equalities(ch.cond):
            covered.setdefault(name, set()).add(value)
    if len(covered) != 1:
        return  # branches on several facts, or on conditions: not a dispatch
    [(name, values)] = covered.items()
    yield Branches(name, tuple((v, None) for v in sorted(values)), False, "`choose`", rule.span)


def _equalities(cond: ast.Expr) -> list[tuple[str, str]]:
    """`类别 == "培训"`, joined by `or`: the (fact, value) pairs a branch takes."""
    match cond:
        case ast.Compare("==", ast.Name(name), ast.String(value)) | ast.Compare(
            "==", ast.String(value), ast.Name(name)
        ):
            return [(name, value.strip())]
        case ast.Logic("or", left, right):
            return _equalities(left) + _equalities(right)
        case _:
            return []


def vector(v: Any, rule: ast.Choose, weight: Decimal) -> Any:
    """As `compile_choose`, over columns: the first branch whose condition holds, else 0."""
    branches = [
        (v.flag(ch.cond) if ch.cond is not None else None, v.rule(ch.then, weight))
        for ch in rule.choices
    ]

    def choose(cols: Any) -> Any:
        cases = [(cf(cols) if cf is not None else None, then(cols)) for cf, then in branches]
        return v.first(cases, v.ZERO)

    return choose


FORM = Form(
    name="choose",
    nodes=(ast.Choose,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nested,
    compile=compile_choose,
    lint=lints_nothing,
    best=best,
    thresholds=none,
    direction=no_direction,
    labels=none,
    branches=branches,
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
    lines=(CHOICE,),
)
