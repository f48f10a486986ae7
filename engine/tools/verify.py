"""`jixiao verify`: properties of any pack, checked on generated evidence with hypothesis.

For each property hypothesis searches for evidence that breaks it and shrinks what it finds to
a minimal counterexample, written out as an evidence file the author can run with `jixiao eval`:

- every leaf scores within [0, weight], and its ledger lines add up to its points;
- a branch's points are the exact sum of its children (or its own ledger reconciles);
- the total is the sum of the top level (before bonus, penalty and rescaling);
- monotone rules behave: a `proportional`, `forward` or higher-is-better `tiers` rule never
  loses points when its subject improves; a `reverse` or lower-is-better `tiers` rule never
  gains;
- evaluation is deterministic: the same evidence twice, or with its facts in another order,
  gives byte-identical JSON.

The pack must first check clean of errors: a tier gap or weights that do not add up are
caught there, with their own diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from ..common.types import Kind
from ..forms import form_of
from ..plan.compiler import Plan
from ..render.json_report import render as render_json
from ..runtime.evaluator import evaluate
from .strategies import evidence_of, facts_for

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Finding:
    prop: str
    ok: bool
    detail: str = ""
    facts: dict[str, Any] | None = None  # the counterexample's evidence
    pins: dict[str, Decimal] | None = None


def _bounds(plan: Plan, facts: dict[str, Any]) -> str | None:
    result = evaluate(plan, evidence_of(plan, facts))
    by_code = {i.code: i for i in result.indicators}
    for ind in result.indicators:
        if ind.points is None or ind.excluded:
            continue
        if not ZERO <= ind.points <= ind.weight:
            return f"`{ind.code}` scores {ind.points}, outside [0, {ind.weight}]"
        if ind.lines and sum((ln.points for ln in ind.lines), ZERO) != ind.points:
            return f"the ledger of `{ind.code}` does not add up to {ind.points}"
        if not ind.is_leaf and not ind.lines:
            children = [
                by_code[c]
                for c in by_code
                if by_code[c].parent == ind.code and not by_code[c].excluded
            ]
            total = sum((c.points for c in children if c.points is not None), ZERO)
            if total != ind.points:
                return f"`{ind.code}` scores {ind.points}, its children add up to {total}"
    if result.tree_total is not None:
        top = sum(
            (by_code[r].points or ZERO for r in plan.program.roots if not by_code[r].excluded), ZERO
        )
        if top != result.tree_total:
            return f"the top level adds up to {top}, the total says {result.tree_total}"
    return None


def _deterministic(plan: Plan, facts: dict[str, Any]) -> str | None:
    first = render_json(evaluate(plan, evidence_of(plan, facts)))
    again = render_json(evaluate(plan, evidence_of(plan, facts)))
    reordered = render_json(evaluate(plan, evidence_of(plan, dict(reversed(facts.items())))))
    if first != again:
        return "the same evidence gave different output"
    if first != reordered:
        return "the order of the facts in the evidence changed the output"
    return None


@dataclass(frozen=True, slots=True)
class Monotone:
    code: str
    subject: str
    kind: Kind
    increasing: bool
    rule: str
    near: tuple[Decimal, ...] = ()  # the rule's own thresholds, where mistakes hide


def monotone_rules(plan: Plan) -> Iterator[Monotone]:
    """The rules whose points move one way with a single fact (each form's `direction`)."""
    kinds = {n: f.kind for n, f in plan.program.facts.items()}
    kinds.update({n: d.kind for n, d in plan.program.derived.items()})
    for ind in plan.program.indicators:
        for rule in ind.rules:
            moves = form_of(rule).direction(rule, ind.weight, kinds)
            if moves is not None:
                name, increasing, near = moves
                yield Monotone(ind.code, name, kinds[name], increasing, rule.span.text, near)


def _subject_values(kind: Kind, near: tuple[Decimal, ...]) -> st.SearchStrategy[Decimal]:
    step = {Kind.PERCENT: Decimal("0.0001"), Kind.COUNT: Decimal(1)}.get(kind, Decimal("0.01"))
    if kind is Kind.PERCENT:
        base = st.integers(0, 15000).map(lambda n: Decimal(n) / 10000)
    elif kind is Kind.COUNT:
        base = st.integers(0, 60).map(Decimal)
    else:
        base = st.integers(0, 200000).map(lambda n: Decimal(n) / 100)
    around = sorted({v + d for v in near for d in (-step, ZERO, step) if v + d >= 0})
    return st.sampled_from(around) | base if around else base


def verify(plan: Plan, examples: int = 200) -> list[Finding]:
    # derandomized: the same pack gives the same findings, run after run
    conf = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    facts = facts_for(plan)
    findings: list[Finding] = []

    def search(
        name: str, strategy: st.SearchStrategy[Any], broken: Callable[[Any], str | None]
    ) -> Any:
        try:
            example = find(strategy, lambda x: broken(x) is not None, settings=conf)
        except NoSuchExample:
            findings.append(Finding(name, True))
            return None
        return example

    prop = "every leaf within [0, weight]; ledgers, parents and the total add up"
    bad = search(prop, facts, lambda f: _bounds(plan, f))
    if bad is not None:
        findings.append(Finding(prop, False, _bounds(plan, bad) or "", bad))

    prop = "deterministic: same evidence, same bytes; fact order does not matter"
    bad = search(prop, facts, lambda f: _deterministic(plan, f))
    if bad is not None:
        findings.append(Finding(prop, False, _deterministic(plan, bad) or "", bad))

    for m in monotone_rules(plan):
        direction = "never loses points when" if m.increasing else "never gains points when"
        prop = f"`{m.code}`: `{m.rule}` {direction} `{m.subject}` rises"
        values = _subject_values(m.kind, m.near)
        pair = st.tuples(facts, values, values)

        def broken(x: tuple[dict[str, Any], Decimal, Decimal], m: Monotone = m) -> str | None:
            f, a, b = x
            low, high = min(a, b), max(a, b)
            ev = evidence_of(plan, f)
            p_low = _points(evaluate(plan, ev, {m.subject: low}), m.code)
            p_high = _points(evaluate(plan, ev, {m.subject: high}), m.code)
            if p_low is None or p_high is None:
                return None
            if (p_high < p_low) if m.increasing else (p_high > p_low):
                return (
                    f"`{m.subject}` = {low} scores {p_low}, but `{m.subject}` = {high} "
                    f"scores {p_high}"
                )
            return None

        bad = search(prop, pair, broken)
        if bad is not None:
            f, a, b = bad
            findings.append(Finding(prop, False, broken(bad) or "", f, {m.subject: min(a, b)}))
    return findings


def _points(result: Any, code: str) -> Decimal | None:
    return next((i.points for i in result.indicators if i.code == code), None)
