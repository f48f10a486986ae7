"""`levels <subject> score <score> { "<label>": [lo, hi] … }`: the evaluator's score, which
must lie in the range of the subject's level (评分区间)."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import Failure, LineKind
from ..common.walk import interval_exprs
from ..plan.compile_expr import Faulted, NearBoundary, close
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    above,
    awards_nothing,
    below,
    best_unknown,
    key,
    lints_nothing,
    nests_nothing,
    no_direction,
    no_formula,
    no_sign,
    none,
    not_vectorised,
    reasons_plain,
    typed,
    units_field_by_field,
)
from .levels import coverage, label_branches, labels

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, NamedTuple

    from ..plan.compile_expr import Env, RawLine, RuleFn
else:
    from .base import NamedTuple


class LevelScoreArgs(NamedTuple):
    points: Decimal
    low: Decimal
    high: Decimal


LEVEL_SCORE = LineSpec(
    LineKind.LEVEL_SCORE,
    LevelScoreArgs,
    Words(
        "等级 `{reason}` 评价得分 {p}（区间 {low}–{high}）",
        "level `{reason}`: the evaluator's score {p} (range {low}–{high})",
    ),
    lambda line, say: {"low": say.shown(line.args.low), "high": say.shown(line.args.high)},
    key("level"),
    award=True,
    short="等级评分",
    because=Words("评为“{label}”", "rated “{label}”"),
    cause=lambda c: {"label": c.reason} if c.reason else None,
)


def check(c: Any, rule: ast.LevelRange, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    c.expect_text(rule.subject, "levels")
    if isinstance(rule.score, ast.Panel):
        from .panel import check as check_panel

        check_panel(c, rule.score, code, weight)
        if rule.score.scale is not None:
            c.diags.append(
                msg.panel_min(
                    "scale has no place inside `levels … score`",
                    rule.score.scale.span,
                    "each expert scores within the chosen level's range, in points: remove `of …`",
                    "scale",
                )
            )
    else:
        c.expect_amount(rule.score, "the evaluator's score")
    c.unique_labels(rule.levels)
    for ranged in rule.levels:
        c.check_interval(ranged.interval, "a level's range")
        c.check_sign(ranged.interval.lower.value, "the lower end of a level's range")
        # points past the weight (`"达成": [80, 100]` on a weight of 10, meant as
        # 80%–100%) would be capped at the weight: every score full marks
        end = ranged.interval.upper.value
        if isinstance(end, ast.Number) and end.value > weight:
            c.diags.append(msg.level_range_above_weight(code, end.value, weight, end.span))


def exprs(rule: ast.LevelRange, again: Any) -> Iterator[ast.Expr]:
    yield rule.subject
    yield rule.score.subject if isinstance(rule.score, ast.Panel) else rule.score
    for ranged in rule.levels:
        yield from interval_exprs(ranged.interval)


def compile_level_range(c: Compiling, rule: ast.LevelRange, weight: Decimal) -> RuleFn:
    if isinstance(rule.score, ast.Panel):
        return compile_level_panel(c, rule, rule.score, weight)
    subject, score, span = rule.subject, rule.score, rule.span
    sf, reads, kind = c.expr(subject), c.uses(subject, score), LineKind.LEVEL_SCORE
    score_fn = c.points_of(score, weight)
    table = {
        lv.label: (
            c.points_of(lv.interval.lower.value, weight),
            lv.interval.lower.inclusive,
            c.points_of(lv.interval.upper.value, weight),
            lv.interval.upper.inclusive,
            lv.span,
        )
        for lv in rule.levels
    }
    labels = tuple(table)
    # whether the score lies in its level's range decides an error: checked for a hair
    edges = [f for low, _, high, _, _ in table.values() for f in (low, high)]
    confirm = None if c.exact else c.confirm((score,), score_fn, *edges)

    def level_range(env: Env, lines: list[RawLine]) -> Decimal:
        label = sf(env)
        if label not in table:
            raise Faulted(Failure.of("E607", None, span, level=str(label), levels=labels))
        low_fn, low_in, high_fn, high_in, where = table[label]
        points, low, high = score_fn(env), low_fn(env), high_fn(env)
        if confirm is not None and (close(points, low) or close(points, high)):
            if confirm(env):
                raise NearBoundary  # decided again exactly
        if not (above(points, low, low_in) and below(points, high, high_in)):
            raise Faulted(
                Failure.of(
                    "E612",
                    None,
                    span,
                    score=typed(points),
                    level=str(label),
                    lower=typed(low),
                    upper=typed(high),
                    low_in=low_in,
                    high_in=high_in,
                )
            )
        lines.append((kind, points, where, str(label), reads, (points, low, high), None))
        return points

    return level_range


def compile_level_panel(
    c: Compiling, rule: ast.LevelRange, panel: ast.Panel, weight: Decimal
) -> RuleFn:
    """`levels 档次 score panel 专家评分 mean { … }`: the evaluator chooses the level, each
    expert scores within its range, and the panel's combination is the points (its lines are
    the panel's, the level named on the combination's)."""
    from .panel import panel_scorer

    sf, span, scorer = c.expr(rule.subject), rule.span, panel_scorer(c, panel, weight, rule.subject)
    table = {
        lv.label: (
            c.points_of(lv.interval.lower.value, weight),
            lv.interval.lower.inclusive,
            c.points_of(lv.interval.upper.value, weight),
            lv.interval.upper.inclusive,
            f"the range of level `{lv.label}`",
            lv.span,
        )
        for lv in rule.levels
    }
    labels = tuple(table)

    def level_panel(env: Env, lines: list[RawLine]) -> Decimal:
        label = sf(env)
        if label not in table:
            raise Faulted(Failure.of("E607", None, span, level=str(label), levels=labels))
        low_fn, low_in, high_fn, high_in, words, where = table[label]
        band = (low_fn(env), high_fn(env), low_in, high_in, words)
        return scorer(env, lines, band, str(label), where)

    return level_panel


FORM = Form(
    name="levels … score",
    nodes=(ast.LevelRange,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_level_range,
    lint=lints_nothing,
    best=best_unknown,  # a score: known only with the evidence
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
    awards=none,
    worst=awards_nothing,
    coverage=coverage,
    vector=not_vectorised,
    lines=(LEVEL_SCORE,),
)
