"""`panel <panel fact> mean | trimmed | median [min N]` (专家评分): the experts' scores combined.

Each expert scores within the band of the rule's weight, [0, weight] (a score outside it is
refused, E665, never clipped); a panel of fewer than `min` experts is refused (E666; `min` is 1,
or 3 for `trimmed`). `mean` is the plain mean; `trimmed` drops one highest and one lowest score
(去掉一个最高分和一个最低分: the first listed among equal scores) and takes the mean of the
rest; `median` is the middle score, or the mean of the two middle ones for an even count.

The combination is computed in `Decimal` and rounded once, to the pack's `rounding` places and
mode, whatever its scope: a panel's score is a number with the pack's places, as a 评分表 prints
it (the exact mean is shown beside it). The ledger has one line per expert (0 points: the name,
the score, whether it was dropped, the reason) and one for the combination, which gives the
points.
"""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import Failure, Item, LineKind
from ..plan.compile_expr import ZERO, Faulted
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    above,
    awards_nothing,
    below,
    best_weight,
    exact_text,
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

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, NamedTuple, TypeAlias

    from jixiao.dsl.source import Span

    from ..common.result import Mark
    from ..plan.compile_expr import Env, RawLine, RuleFn

    #: The band each expert's score must lie in: lower, upper, each end in or not, in words.
    Band: TypeAlias = tuple[Decimal, Decimal, bool, bool, str]
else:
    from .base import NamedTuple

#: The ways to combine a panel, as a pack may write them (English, and as 评分标准 say them).
MODES = {
    "mean": "mean",
    "平均": "mean",
    "平均分": "mean",
    "算术平均": "mean",
    "trimmed": "trimmed",
    "去掉最高最低": "trimmed",
    "去掉最高分和最低分": "trimmed",
    "去极值平均": "trimmed",
    "截尾平均": "trimmed",
    "median": "median",
    "中位数": "median",
}
#: The fewest experts each way needs when the rule writes no `min`.
LEAST = {"mean": 1, "trimmed": 3, "median": 1}


class MarkArgs(NamedTuple):
    score: Decimal
    lowest: bool  # dropped as the lowest score (trimmed)
    highest: bool  # dropped as the highest score (trimmed)


class PanelArgs(NamedTuple):
    combined: Decimal  # the exact mean or median, before the pack's rounding
    experts: Decimal  # how many experts scored
    counted: Decimal  # how many scores the combination used
    low: Decimal  # the lowest score dropped (trimmed), else 0
    high: Decimal  # the highest score dropped (trimmed), else 0
    trimmed: bool
    median: bool
    lower: Decimal  # the band each score lies in: the weight's, or the level's range
    upper: Decimal
    scale: Decimal  # `of 100`: the scores' scale (0: none, the scores are points)
    scaled: Decimal  # the combination scaled to the weight (`of`), else the combination


def _mark_fields(line: Any, say: Any) -> dict[str, str]:
    a = line.args
    zh = say.lang == "zh"
    dropped = ""
    if a.lowest:
        dropped = "（最低分，去掉）" if zh else " (lowest, dropped)"
    elif a.highest:
        dropped = "（最高分，去掉）" if zh else " (highest, dropped)"
    why = (("：" if zh else ": ") + line.reason) if line.reason else ""
    expert = line.item.text if line.item is not None else "?"
    return {"expert": expert, "score": say.shown(a.score), "dropped": dropped, "why": why}


def _panel_fields(line: Any, say: Any) -> dict[str, str]:
    a = line.args
    zh = say.lang == "zh"
    combined = say.shown(a.combined)
    if a.trimmed:
        low, high, m = say.shown(a.low), say.shown(a.high), say.shown(a.counted)
        how = (
            f"去掉一个最高分 {high} 和一个最低分 {low}，其余 {m} 位平均 {combined}"
            if zh
            else f"highest {high} and lowest {low} dropped, mean of the other {m}: {combined}"
        )
    elif a.median:
        how = f"中位数 {combined}" if zh else f"median {combined}"
    else:
        how = f"平均 {combined}" if zh else f"mean {combined}"
    if a.scale:
        scaled = say.shown(a.scaled)
        how += (
            f"（满分 {say.shown(a.scale)}），折合 {scaled}"
            if zh
            else f" (out of {say.shown(a.scale)}), scaled to {scaled}"
        )
    if a.scaled != line.points:
        places = say.settings.places
        how += (
            f"，按 {places} 位小数舍入为 {say.shown(line.points)}"
            if zh
            else f", rounded to {places} places: {say.shown(line.points)}"
        )
    level = ""
    if line.reason:
        band = f"{say.shown(a.lower)}–{say.shown(a.upper)}"
        level = f"；等级“{line.reason}”区间 {band}" if zh else f"; level “{line.reason}”, {band}"
    return {"n": say.shown(a.experts), "how": how, "level": level}


PANEL_MARK = LineSpec(
    LineKind.PANEL_MARK,
    MarkArgs,
    Words(
        "专家 {expert} 评分 {score}{dropped}{why}", "expert {expert} scores {score}{dropped}{why}"
    ),
    _mark_fields,
)
PANEL = LineSpec(
    LineKind.PANEL,
    PanelArgs,
    Words(
        "专家评分（{n} 位{level}）：{how}，得 {p} 分",
        "expert panel of {n}{level}: {how}, {p} points",
    ),
    _panel_fields,
    lambda line: "level" if line.reason else "panel",  # inside `levels … score`: the level's
    award=True,
    short="专家评分",
    because=Words("专家评分未满分", "the experts' scores fall short"),
    cause=lambda c: {},
)


def mode_of(rule: ast.Panel) -> str | None:
    """The combination a panel rule names, or None (E336)."""
    return MODES.get(rule.mode.text)


def least_of(rule: ast.Panel) -> int:
    """The fewest experts the rule accepts."""
    mode = mode_of(rule) or "mean"
    if rule.min is not None and rule.min.value == rule.min.value.to_integral_value():
        return int(rule.min.value)
    return LEAST[mode]


def check(c: Any, rule: ast.Panel, code: str, weight: Decimal) -> None:
    from ..common import messages as msg
    from ..common.types import Kind

    kind = c.infer(rule.subject)
    if kind is not None and kind is not Kind.PANEL:
        c.diags.append(msg.panel_subject(kind, rule.subject.span))
    mode = mode_of(rule)
    if mode is None:
        c.diags.append(msg.panel_mode(rule.mode.text, rule.mode.span, list(MODES)))
    if rule.scale is not None and (rule.scale.value <= 0 or rule.scale.unit is not None):
        c.diags.append(
            msg.panel_min(
                "scale is not a number of points above 0",
                rule.scale.span,
                "write the scale the experts score on, e.g. `of 100` (百分制)",
                "scale",
            )
        )
    if rule.min is not None:
        value = rule.min.value
        if value != value.to_integral_value() or value < 1 or rule.min.unit is not None:
            c.diags.append(
                msg.panel_min(
                    "is not a whole number of experts, 1 or more",
                    rule.min.span,
                    "write the fewest experts the standard accepts, e.g. `min 5`",
                )
            )
        elif mode == "trimmed" and value < 3:
            c.diags.append(
                msg.panel_min(
                    f"is {value}, too few for `trimmed`",
                    rule.min.span,
                    "`trimmed` drops the highest and the lowest score and needs at least 3 "
                    "experts: write `min 3` or more, or use `mean`",
                )
            )


def exprs(rule: ast.Panel, again: Any) -> Iterator[ast.Expr]:
    yield rule.subject


def combine(scores: list[Decimal], mode: str) -> tuple[Decimal, int | None, int | None]:
    """The combined score of `scores` (in the order listed), and the places in the list of the
    lowest and highest dropped (trimmed; None otherwise). Exact but for a mean's quotient,
    which `Decimal` gives to 28 digits."""
    n = len(scores)
    order = sorted(range(n), key=lambda i: (scores[i], i))
    if mode == "median":
        middle = n // 2
        if n % 2:
            return scores[order[middle]], None, None
        return (scores[order[middle - 1]] + scores[order[middle]]) / 2, None, None
    if mode == "trimmed":
        low = order[0]
        # the first listed among the highest: ties keep the list's order
        top = max(scores)
        high = next(i for i in range(n) if scores[i] == top and i != low)
        kept = [s for i, s in enumerate(scores) if i not in (low, high)]
        return sum(kept, ZERO) / len(kept), low, high
    return sum(scores, ZERO) / n, None, None


def panel_scorer(
    c: Compiling, rule: ast.Panel, weight: Decimal, level_subject: ast.Expr | None = None
) -> Callable[[Env, list[RawLine], Band, str | None, Span], Decimal]:
    """The panel's scoring, for a band given when it scores: `scorer(env, lines, band, level,
    where)` checks the panel's size and each score against `band` (lower, upper, whether each
    end is in, and the band in words), appends a line per expert and the combination's (at
    `where`; its reason the level, inside `levels … score`, which also reads `level_subject`),
    and returns the combined points."""
    mode = mode_of(rule) or "mean"
    least = least_of(rule)
    sf, span = c.expr(rule.subject), rule.span
    reads = c.uses(*(e for e in (level_subject, rule.subject) if e is not None))
    name = rule.subject.name if isinstance(rule.subject, ast.Name) else rule.subject.span.text
    settings = c.program.settings
    step = Decimal(1).scaleb(-settings.places)
    rounding = settings.rounding
    trimmed, median = mode == "trimmed", mode == "median"
    mark_kind, panel_kind = LineKind.PANEL_MARK, LineKind.PANEL

    scale = rule.scale.value if rule.scale is not None else None

    def scorer(env: Env, lines: list[RawLine], band: Band, level: str | None, at: Span) -> Decimal:
        value = sf(env)
        marks: tuple[Mark, ...] = value.marks
        if len(marks) < least:
            where = value.span if value.span is not None else span
            raise Faulted(
                Failure.of(
                    "E666",
                    name,
                    where,
                    experts=Decimal(len(marks)),
                    least=Decimal(least),
                    mode=rule.mode.text,
                )
            )
        lower, upper, low_in, high_in, words = band
        for i, mark in enumerate(marks, 1):
            if not (above(mark.score, lower, low_in) and below(mark.score, upper, high_in)):
                where = mark.origin.span if mark.origin.span is not None else span
                raise Faulted(
                    Failure.of(
                        "E665",
                        name,
                        where,
                        index=str(i),
                        expert=mark.expert,
                        score=mark.score,
                        lower=typed(lower),
                        upper=typed(upper),
                        low_in=low_in,
                        high_in=high_in,
                        band=words,
                    )
                )
        scores = [m.score for m in marks]
        combined, low, high = combine(scores, mode)
        for i, mark in enumerate(marks):
            args = (mark.score, i == low, i == high)
            item = Item(mark.expert, mark.origin)
            lines.append((mark_kind, ZERO, span, mark.reason or None, (), args, item))
        scaled = combined * weight / scale if scale else combined
        points = scaled.quantize(step, rounding=rounding)
        dropped = (
            scores[low] if low is not None else ZERO,
            scores[high] if high is not None else ZERO,
        )
        n = Decimal(len(marks))
        counted = n - 2 if trimmed else n
        args2 = (
            combined,
            n,
            counted,
            *dropped,
            trimmed,
            median,
            lower,
            upper,
            scale or ZERO,
            scaled,
        )
        lines.append((panel_kind, points, at, level, reads, args2, None))
        return points

    return scorer


def compile_panel(c: Compiling, rule: ast.Panel, weight: Decimal) -> RuleFn:
    scorer = panel_scorer(c, rule, weight)
    band: Band = (ZERO, weight, True, True, "the indicator's band, 0 to its weight")
    if rule.scale is not None:
        top = rule.scale.value
        band = (ZERO, top, True, True, f"the panel's scale, 0 to {exact_text(top)}")
    span = rule.span

    def panel(env: Env, lines: list[RawLine]) -> Decimal:
        return scorer(env, lines, band, None, span)

    return panel


def thresholds(rule: ast.Panel) -> Iterator[tuple[ast.Expr, Decimal]]:
    """The panel's size: below `min` experts it is refused, from `min` on it scores (generated
    evidence gives at least that many; `test --edges` probes only facts compared directly)."""
    count = ast.Call("count", (rule.subject,), rule.span, rule.subject.span)
    yield count, Decimal(least_of(rule))


def coverage(rule: ast.Panel, add: Any, again: Any, top: bool) -> None:
    add("panel", rule, f"`{rule.span.text}` scores")


FORM = Form(
    name="panel",
    nodes=(ast.Panel,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_panel,
    lint=lints_nothing,
    best=best_weight,
    thresholds=thresholds,
    direction=no_direction,
    labels=none,
    branches=none,
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
    lines=(PANEL_MARK, PANEL),
)
