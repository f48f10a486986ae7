"""A `Result` is plain data: it pickles without the plan, the evidence reader or any closure,
and renders the same once read back — whether its ledger was read before or not."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import pytest

from jixiao.dsl.source import Source
from jixiao.engine import compile_pack, compile_source, run
from jixiao.engine.common.result import Result
from jixiao.engine.plan.compiler import Plan
from jixiao.engine.render import json_report, markdown
from jixiao.engine.runtime.evidence import Evidence

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK


class _Guard(pickle.Pickler):
    """A pickler that fails on anything a result must not drag along."""

    def reducer_override(self, obj: Any) -> Any:
        assert not isinstance(obj, Plan | Evidence), f"a result pickles a {type(obj).__name__}"
        return NotImplemented


def _dumps(result: Result) -> bytes:
    out = io.BytesIO()
    _Guard(out, protocol=pickle.HIGHEST_PROTOCOL).dump(result)
    return out.getvalue()


@pytest.mark.parametrize("read_first", [False, True], ids=["unread", "read"])
def test_the_founding_result_round_trips_through_pickle(read_first: bool) -> None:
    plan, _ = compile_pack(FOUNDING_PACK)
    result = run(plan, FOUNDING_EVIDENCE)
    expected_json, expected_md = json_report.render(result), markdown.render(result)
    if not read_first:
        result = run(plan, FOUNDING_EVIDENCE)  # a ledger nobody has packaged yet
    again = pickle.loads(_dumps(result))
    assert again.total == result.total and str(again.total) == "87.74" and again.grade == "良"
    assert json_report.render(again) == expected_json
    assert markdown.render(again) == expected_md
    assert dict(again.units) == dict(result.units)
    assert [(i.code, i.points, len(i.lines)) for i in again.indicators] == [
        (i.code, i.points, len(i.lines)) for i in result.indicators
    ]


def test_a_result_with_undecided_indicators_round_trips(tmp_path: Path) -> None:
    """Missing facts and a failed derived fact (division by zero) are in the ledger's values
    too: they pickle as the plain data they are."""
    pack = (
        'pack "t" { total 10 }\nfact 实际: money\nfact 预算: money\nfact 问题: list\n'
        "let 率 = 实际 / 预算\n"
        'indicator A "a" 6 { proportional 率 }\nindicator B "b" 4 { deduct 1 per 问题 }\n'
    )
    plan, _ = compile_source(Source(str(tmp_path / "t.jx"), pack))
    evidence = tmp_path / "e.yaml"
    evidence.write_text("facts:\n  实际: 5\n  预算: 0\n", encoding="utf-8")
    result = run(plan, evidence)
    assert result.total is None
    again = pickle.loads(_dumps(result))
    assert json_report.render(again) == json_report.render(result)
