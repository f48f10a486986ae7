"""What a checked pack can reach: rounding against weights and caps, grades against the total,
a pack with nothing to score.

Plain functions over the pack's settings, its syntax tree and the checker's indicators, each
returning diagnostics; the checker calls them once the tree is checked. Every check here is
about a score that would be silently wrong or meaningless for every evidence file:

- E431/W413: a weight that is not a multiple of the rounding step. Full marks round past the
  weight (`rounding 0` with weight 2.5 awards 3), or, under `down`, never reach it.
- E432: a `max` (a bonus or penalty section's, a clause's) that rounding can pass.
- E433/W414: a grade that no total can get: above the reachable maximum, an empty band once
  the total is rounded, or an `else` below a band that starts at 0 (W414 for the national
  default grades under a `total` below 90).
- E434: a pack with no indicator, unless it is a library of functions and parameters (those
  check clean and `eval` refuses them, E504).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Sequence
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Span

from ..common import messages as msg
from ..common.ir import Indicator, Settings
from ..common.walk import constant_amount
from ..forms import BY_NODE


def step_of(settings: Settings) -> Decimal:
    """The rounding step of the pack: 1 for `rounding 0`, 0.01 for `rounding 2`."""
    return Decimal(1).scaleb(-settings.places)


def _off_step(value: Decimal, step: Decimal) -> bool:
    return value % step != 0


# ----- rounding --------------------------------------------------------------------------------


def check_rounding(
    settings: Settings,
    pack: ast.Pack,
    indicators: Sequence[Indicator],
    total_span: Span,
) -> list[Diagnostic]:
    """E431 (W413 under `down`) for each rounded weight off the step; E432 for each cap."""
    step = step_of(settings)
    mode = settings.rounding
    diags: list[Diagnostic] = []

    def weight(what: str, value: Decimal, span: Span) -> None:
        if not _off_step(value, step):
            return
        rounded = value.quantize(step, rounding=mode)
        if mode == decimal.ROUND_DOWN:
            diags.append(msg.weight_never_reached(what, value, settings.places, rounded, span))
        else:
            diags.append(
                msg.weight_off_rounding(
                    what, value, settings.places, settings.rounding_name, rounded, span
                )
            )

    weight(f"the total {msg.fmt(settings.total)}", settings.total, total_span)
    if settings.rounding_scope == "leaves":
        by_code = {ind.code: ind for ind in indicators}
        for node in _tree(pack.indicators):
            ind = by_code.get(node.code.text)
            if ind is None:
                continue
            # a plain branch is the exact sum of its children: they are checked instead
            rounded = ind.is_leaf or ind.scale is not None or bool(ind.rules)
            if rounded:
                weight(
                    f"the weight {msg.fmt(ind.weight)} of `{ind.code}`",
                    ind.weight,
                    node.weight.span,
                )

    # A deduction's cap is passed when the rounding takes the score down (all modes but `up`);
    # a bonus section's when it takes the total up (all modes but `down`).
    for extra in pack.extras:
        harmless = decimal.ROUND_DOWN if extra.kind == "bonus" else decimal.ROUND_UP
        if mode != harmless and _off_step(extra.max.value, step):
            diags.append(
                msg.cap_off_rounding(
                    f"the `max` {msg.fmt(extra.max.value)} of {extra.kind} `{extra.code.text}`",
                    extra.max.value,
                    settings.places,
                    settings.rounding_name,
                    extra.max.span,
                )
            )
    if mode == decimal.ROUND_UP:
        return diags
    seen: set[int] = set()
    clauses: list[tuple[Decimal, ast.Rule | ast.ExtraRule]] = [
        (ind.weight, rule) for ind in indicators for rule in ind.rules
    ]
    clauses += [(extra.max.value, rule) for extra in pack.extras for rule in extra.rules]
    for scale, rule in clauses:
        for cap in _caps(rule):
            value = constant_amount(cap, scale)
            if value is None or not _off_step(value, step) or cap.span.start in seen:
                continue
            seen.add(cap.span.start)  # a function's clause expanded into several leaves
            diags.append(
                msg.cap_off_rounding(
                    f"the clause's `max` {msg.fmt(value)}",
                    value,
                    settings.places,
                    settings.rounding_name,
                    cap.span,
                )
            )
    return diags


def _tree(nodes: Sequence[ast.Indicator]) -> Iterator[ast.Indicator]:
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _caps(rule: ast.Rule | ast.ExtraRule) -> Iterator[ast.Expr]:
    """Its caps and per-row maxima (the form's `caps`); a call not yet expanded has none."""
    form = BY_NODE.get(type(rule))
    if form is not None:
        yield from form.caps(rule)


# ----- grades ----------------------------------------------------------------------------------


def check_grades(
    settings: Settings,
    nodes: Sequence[ast.Grade] | None,
    extras: Sequence[ast.Extra],
    span: Span,
) -> list[Diagnostic]:
    """E433 for each grade no total can get. `nodes` are the pack's own grades (None: the
    national defaults). A bound above `total` is out of reach unless the bonus sections can
    carry the total there (`overflow allow`)."""
    reach = settings.total
    if settings.overflow == "allow":
        reach += sum((e.max.value for e in extras if e.kind == "bonus"), Decimal(0))
    step = step_of(settings)
    diags: list[Diagnostic] = []
    bands = settings.grades
    upper: Decimal | None = None  # the bound of the band above (exclusive)
    beyond: list[
        tuple[str, Decimal]
    ] = []  # national grades above the reachable total: one diagnostic
    for i, band in enumerate(bands):
        where = nodes[i].span if nodes is not None and i < len(nodes) else span
        lower = band.lower
        if lower is None:
            if upper is not None and upper <= 0:
                diags.append(
                    msg.grade_out_of_reach(
                        [band.label],
                        f"the band above starts at {msg.fmt(upper)} and no total is below 0",
                        where,
                        help="drop the bound of the band above, or this band",
                    )
                )
            continue
        if lower > reach:
            if nodes is None:
                beyond.append((band.label, lower))
            else:
                diags.append(
                    msg.grade_out_of_reach(
                        [band.label],
                        f"it needs a total of {msg.fmt(lower)} and the pack's total is at most "
                        f"{msg.fmt(reach)}",
                        where,
                        help="lower its bound",
                    )
                )
        else:
            # the least rounded total in the band
            first = (lower / step).to_integral_value(rounding=decimal.ROUND_CEILING) * step
            top_open = upper is not None
            if (top_open and upper is not None and first >= upper) or first > reach:
                diags.append(
                    msg.grade_out_of_reach(
                        [band.label],
                        f"no total rounded to {settings.places} places lies in its band "
                        f"[{msg.fmt(lower)}, {msg.fmt(upper if upper is not None else reach)}"
                        f"{')' if top_open else ']'}",
                        where,
                        help="widen the band, or round to more places",
                    )
                )
        upper = lower
    if beyond:
        needs = ", ".join(msg.fmt(lower) for _, lower in beyond)
        why = (
            f"the national grades need totals of {needs} and the pack's total is at most "
            f"{msg.fmt(reach)}"
        )
        labels = [label for label, _ in beyond]
        diags.insert(0, msg.national_grades_out_of_reach(labels, why, span, _grades_help(settings)))
    return diags


def _grades_help(settings: Settings) -> str:
    scaled = "; ".join(
        f"{b.label} >= {msg.fmt(b.lower * settings.total / 100)}"
        if b.lower is not None
        else f"{b.label} else"
        for b in settings.grades
    )
    return (
        f"the national grades assume a total of 100; declare grades for a total of "
        f"{msg.fmt(settings.total)}: `grades {{ {scaled} }}`"
    )


# ----- a pack with nothing to score ------------------------------------------------------------


def check_something_to_score(pack: ast.Pack) -> list[Diagnostic]:
    if pack.indicators:
        return []
    if (pack.functions or pack.params) and not (pack.extras or pack.vetoes):
        # A library of functions and parameters (rules/self-evaluation.jx, which `selfeval`
        # appends indicators to) checks clean; `eval` refuses to score with it (E504).
        return []
    return [msg.no_indicator(pack.headers[0].span if pack.headers else pack.span)]
