"""A leaf whose score lands a hair from a rounding boundary is scored again over exact
rationals only when its own arithmetic, or that of a derived fact it reads, was rounded: a tie
reached by exact arithmetic (3 × 0.055 = 0.165) is confirmed in 28 digits (`_Run.confirmed`).

The properties hold the confirmed path to the old one, where every such leaf was re-scored
exactly: the same points, grade and ledger (as the JSON report shows it), on records of the
founding pack built to land on ties, and on generated packs with every rounding treated as
lying on its boundary."""

from __future__ import annotations

import json
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.dsl.source import Source
from jixiao.engine import compile_source
from jixiao.engine.plan import scorer
from jixiao.engine.render import json_report
from jixiao.engine.runtime import evaluator
from jixiao.engine.runtime.evaluator import evaluate
from jixiao.engine.tools.strategies import evidence_of, facts_for, pack_texts

from .helpers import FOUNDING_PACK, compile_text, score
from .test_founding import evidence_with

SLOW = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=60)
FOUNDING = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))


@contextmanager
def counted() -> Any:
    """Count the leaves re-scored over exact rationals."""
    calls = []
    real = evaluator._Run.exact_setup

    def spy(self: Any) -> Any:
        calls.append(1)
        return real(self)

    with mock.patch.object(evaluator._Run, "exact_setup", spy):
        yield calls


def old_path() -> Any:
    """The evaluator as it was: every leaf near a rounding boundary re-scored exactly."""
    return mock.patch.object(evaluator._Run, "confirmed", lambda self, place: None)


def report(result: Any) -> Any:
    return json.loads(json_report.render(result))


def test_an_exact_tie_is_rounded_without_rationals() -> None:
    # 3 × 9,950 / 10,000 = 2.985: a half-cent tie computed exactly, 四舍五入 2.99
    text = evidence_with(预算金额=10000, 实际支出=9950)
    with counted() as calls:
        scored = score(FOUNDING, text)
    assert scored.points["B1.1.2"] == "2.99"
    assert calls == []
    with old_path(), counted() as old_calls:
        old = score(FOUNDING, text)
    assert old_calls  # the old path took the rationals
    assert report(old.result) == report(scored.result)


def test_a_tie_reached_through_a_quotient_that_does_not_terminate_is_still_exact() -> None:
    with counted() as calls:
        scored = score(FOUNDING, evidence_with(预算金额=300000, 实际支出=5500))
    assert scored.points["B1.1.2"] == "0.06"
    assert calls  # 5,500 / 300,000 does not terminate: the rationals decide


@SLOW
@given(
    st.sampled_from([10000, 20000, 40000, 300000, 30000, 120000, 70000]),
    st.integers(0, 12000),
    st.integers(10, 46),
    st.integers(0, 23),
)
def test_founding_records_near_ties_score_as_the_full_exact_rescore(
    budget: int, spent: int, answered: int, satisfied: int
) -> None:
    text = evidence_with(
        预算金额=budget,
        实际支出=budget * spent // 10000,
        使用效果肯定回答数=min(answered, 46),
        满意样本数=satisfied,
    )
    new = score(FOUNDING, text).result
    with old_path():
        old = score(FOUNDING, text).result
    assert new.total == old.total and new.grade == old.grade
    assert report(new) == report(old)


@SLOW
@given(st.data())
def test_every_rounding_on_a_boundary_confirms_as_the_full_exact_rescore(
    data: st.DataObject,
) -> None:
    """Every leaf's rounding treated as lying on its boundary: each goes through `confirmed`
    (or on to the rationals); the points, grade and every line are the old path's."""
    text = data.draw(pack_texts())
    facts = data.draw(facts_for(compile_source(Source("generated.jx", text))[0]))
    with mock.patch.object(scorer, "near_boundary", lambda *args: True):
        plan, _ = compile_source(Source("generated.jx", text))
        new = evaluate(plan, evidence_of(plan, facts))
        with old_path():
            old = evaluate(plan, evidence_of(plan, facts))
    assert (new.total, new.grade) == (old.total, old.grade)
    for a, b in zip(new.indicators, old.indicators, strict=True):
        assert a.points == b.points, a.code
        assert sum((line.points for line in a.lines), Decimal(0)) == sum(
            (line.points for line in b.lines), Decimal(0)
        )
        assert [(line.kind, line.points) for line in a.lines] == [
            (line.kind, line.points) for line in b.lines
        ]
