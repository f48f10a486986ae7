"""The portfolio's weight (资金量加权): `portfolio weighted by 预算金额` in the pack header, or
`--weight-by 预算金额` on the command line, names the amount each project's 得分率 is weighted
by in the `--summary`. It must be a money, number or count fact the evidence gives, so every
project carries its own amount (a parameter or derived fact is refused: E771)."""

from __future__ import annotations

from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Span

from ..common import messages as msg
from ..common.ir import Derived, Fact
from ..common.types import Kind

#: The kinds a project can be weighted by.
AMOUNTS = frozenset({Kind.MONEY, Kind.NUMBER, Kind.COUNT})


def weight_candidates(facts: dict[str, Fact]) -> list[str]:
    """The facts a portfolio may be weighted by, in declaration order."""
    return [
        f.name for f in facts.values() if f.kind in AMOUNTS and not f.is_param and f.survey is None
    ]


def check_weight(
    name: str,
    facts: dict[str, Fact],
    derived: dict[str, Derived],
    span: Span | None = None,
    path: str = "",
) -> Diagnostic | None:
    """E770 or E771 when `name` cannot weigh a portfolio; `span` where the pack names it, None
    for `--weight-by` (the diagnostic then names the pack's `path`)."""
    candidates = weight_candidates(facts)
    fact = facts.get(name)
    if fact is None:
        if name in derived:
            what = f"a derived fact ({derived[name].kind}, computed by the pack)"
            return msg.weight_not_amount(name, what, span, path, candidates)
        return msg.weight_unknown(name, span, path, candidates, [*facts, *derived])
    if fact.is_param:
        what = "a parameter (one value for every project)"
    elif fact.survey is not None:
        what = f"aggregated from the questionnaire `{fact.survey}`"
    elif fact.kind not in AMOUNTS:
        what = f"a {fact.kind} fact"
    else:
        return None
    return msg.weight_not_amount(name, what, span, path, candidates)
