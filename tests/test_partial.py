"""`eval --partial`: score ranges when evidence is missing.

- Properties over generated packs and evidence: a random subset of facts is removed; every
  range contains the score of every completion tried (the generator's own values for the
  removed facts, and others drawn afresh), and each end is attained: its witness completion,
  scored by the normal evaluator, gives exactly that end — for the total and every indicator.
- The founding case: with all its evidence the ranges are points equal to the normal scores
  (87.74 良); without the questionnaire's facts the range, the grades and the facts that move
  the grade are what a reader works out by hand.
- Every output format shows the ranges; the normal JSON report is unchanged.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from jixiao.dsl.diagnostics import JixiaoError, has_errors
from jixiao.dsl.source import Source
from jixiao.engine import compile_pack, compile_source
from jixiao.engine.common.result import NA
from jixiao.engine.runtime.evaluator import evaluate
from jixiao.engine.runtime.evidence import Evidence, load
from jixiao.engine.runtime.partial import (
    UNRANGEABLE,
    Completion,
    Ranges,
    ranges,
    unknown_facts,
)
from jixiao.engine.tools.strategies import evidence_of, facts_for, pack_texts, rounded_pack_texts

from .helpers import cli

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules" / "video-conference-2017.jx"
EVIDENCE = ROOT / "evidence" / "video-conference-2017.yaml"
SURVEY = ("有效问卷数", "满意样本数", "使用效果回答数", "使用效果肯定回答数")
SLOW = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    deadline=None,
    max_examples=40,
    # each example scores hundreds of completions: shrinking a failure would take minutes, and
    # the failing pack prints as its text anyway
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


def _completed(evidence: Evidence, completion: Completion) -> Evidence:
    values = dict(evidence.values)
    values.update(completion)
    return Evidence(evidence.source, values, evidence.origins, evidence.project)


def _points(result: Any) -> dict[str, Decimal | None]:
    return {i.code: i.points for i in result.indicators}


def _assert_attained(plan: Any, evidence: Evidence, found: Ranges) -> None:
    """Each end, re-scored from its witness by the normal evaluator, is exactly that end."""
    if found.total is not None:
        for end in (found.total.low, found.total.high):
            result = evaluate(plan, _completed(evidence, end.completion))
            assert result.total == end.points, (end, result.total)
    for code, r in found.indicators.items():
        for end in (r.low, r.high):
            result = evaluate(plan, _completed(evidence, end.completion))
            assert _points(result)[code] == end.points, (code, end, _points(result)[code])


def _assert_contains(found: Ranges, result: Any) -> None:
    """A completion's scores lie in the ranges (a completion that cannot be scored is none)."""
    points = _points(result)
    for code, r in found.indicators.items():
        value = points[code]
        if value is not None:
            assert r.low.points <= value <= r.high.points, (code, value, r)
    if result.total is not None and found.total is not None:
        assert found.total.low.points <= result.total <= found.total.high.points
        grade = None if result.disqualified else result.grade
        assert grade in found.grades, (grade, found.grades)


class _Case:
    """A generated pack, its evidence and the facts removed; printed as the pack's text."""

    def __init__(self, text: str, plan: Any, facts: dict[str, Any], removed: list[str]) -> None:
        self.text, self.plan, self.facts, self.removed = text, plan, facts, removed

    def __iter__(self) -> Any:
        return iter((self.plan, self.facts, self.removed))

    def __repr__(self) -> str:
        return f"pack:\n{self.text}\nfacts: {self.facts!r}\nremoved: {self.removed!r}"


@st.composite
def _partial_case(draw: st.DrawFn, texts: Any) -> _Case:
    text = draw(texts)
    try:
        plan, _ = compile_source(Source("generated.jx", text))
    except JixiaoError:  # a rounding the checker refuses (E431): not a pack to score
        assume(False)
    facts = draw(facts_for(plan))
    # a panel or a record list is never left out: `--partial` refuses to range them (E786)
    rangeable = sorted(n for n in facts if plan.program.facts[n].kind not in UNRANGEABLE)
    removed = draw(st.lists(st.sampled_from(rangeable), unique=True, min_size=1, max_size=4))
    return _Case(text, plan, facts, removed)


@SLOW
@given(_partial_case(pack_texts()), st.data())
def test_ranges_contain_every_completion_and_are_attained(case: Any, data: Any) -> None:
    plan, facts, removed = case
    kept = {k: v for k, v in facts.items() if k not in removed}
    evidence = evidence_of(plan, kept)
    assert set(unknown_facts(plan, evidence)) == set(removed)
    found = ranges(plan, evidence)
    _assert_attained(plan, evidence, found)
    # the generator's own values for the removed facts, then completions drawn afresh
    _assert_contains(found, evaluate(plan, evidence_of(plan, facts)))
    for _ in range(5):
        fresh = data.draw(facts_for(plan))
        completion = {**kept, **{k: fresh[k] for k in removed}}
        _assert_contains(found, evaluate(plan, evidence_of(plan, completion)))


@SLOW
@given(_partial_case(rounded_pack_texts()), st.data())
def test_ranges_hold_under_every_rounding(case: Any, data: Any) -> None:
    plan_or_error = case
    plan, facts, removed = plan_or_error
    kept = {k: v for k, v in facts.items() if k not in removed}
    evidence = evidence_of(plan, kept)
    found = ranges(plan, evidence)
    _assert_attained(plan, evidence, found)
    _assert_contains(found, evaluate(plan, evidence_of(plan, facts)))
    fresh = data.draw(facts_for(plan))
    completion = {**kept, **{k: fresh[k] for k in removed}}
    _assert_contains(found, evaluate(plan, evidence_of(plan, completion)))


@SLOW
@given(_partial_case(pack_texts()))
def test_with_every_fact_the_ranges_are_the_scores(case: Any) -> None:
    plan, facts, _ = case
    evidence = evidence_of(plan, facts)
    found = ranges(plan, evidence)
    result = evaluate(plan, evidence)
    assert found.indicators == {}
    assert found.missing == ()
    if result.total is not None:
        assert found.total is not None and found.total.final
        assert found.total.low.points == result.total
        assert found.grades == (None if result.disqualified else result.grade,)


# ----- the founding case ---------------------------------------------------------------------------


def _founding(without: tuple[str, ...] = ()) -> tuple[Any, Evidence, Ranges]:
    plan, _ = compile_pack(PACK)
    evidence, diagnostics = load(EVIDENCE, plan.program)
    assert evidence is not None and not has_errors(diagnostics)
    values = {k: v for k, v in evidence.values.items() if k not in without}
    evidence = Evidence(evidence.source, values, evidence.origins, evidence.project)
    return plan, evidence, ranges(plan, evidence)


def test_founding_case_with_all_evidence_is_a_point() -> None:
    _, _, found = _founding()
    assert found.total is not None
    assert found.total.low.points == found.total.high.points == Decimal("87.74")
    assert found.total.final
    assert found.grades == ("良",)
    assert found.indicators == {} and found.missing == ()


def test_founding_case_without_the_questionnaire() -> None:
    plan, evidence, found = _founding(SURVEY)
    assert found.total is not None
    # 87.74 less C2.1.2's 5.09 and C2.3.1's 10.00: the rest is certain
    assert (found.total.low.points, found.total.high.points) == (
        Decimal("72.65"),
        Decimal("88.65"),
    )
    assert not found.total.final
    assert found.grades == ("良", "中")
    got = {c: (r.low.points, r.high.points) for c, r in found.indicators.items()}
    assert got == {
        "C": (Decimal("45.65"), Decimal("61.65")),
        "C2": (Decimal("18.00"), Decimal("34.00")),
        "C2.1": (Decimal("12.00"), Decimal("18.00")),
        "C2.1.2": (Decimal("0.00"), Decimal("6.00")),
        "C2.3": (Decimal("0.00"), Decimal("10.00")),
        "C2.3.1": (Decimal("0.00"), Decimal("10.00")),
    }
    moves = {m.fact: m.moves_grade for m in found.missing}
    assert moves["有效问卷数"] and moves["满意样本数"]
    for m in found.missing:  # a "yes" carries the two completions that show it
        if m.moves_grade:
            assert m.witness is not None
            a, b = (evaluate(plan, _completed(evidence, c)) for c in m.witness)
            assert a.grade != b.grade
            assert [f for (f, x), (_, y) in zip(*m.witness, strict=True) if x != y] == [m.fact]
    _assert_attained(plan, evidence, found)


def test_founding_case_final_despite_a_gap() -> None:
    """A missing fact no rule can turn: 问卷发放数 only feeds a warning, so nothing moves."""
    _, _, found = _founding(("问卷发放数",))
    assert found.total is not None and found.total.final
    assert found.total.low.points == Decimal("87.74")
    assert found.grades == ("良",)
    assert [(m.fact, m.moves_grade) for m in found.missing] == [("问卷发放数", False)]


# ----- the command line -----------------------------------------------------------------------------


@pytest.fixture
def partial_evidence(tmp_path: Path) -> Path:
    lines = EVIDENCE.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith(tuple(f"{f}:" for f in SURVEY))]
    path = tmp_path / "partial.yaml"
    path.write_text("".join(kept), encoding="utf-8")
    return path


def test_cli_partial_table(partial_evidence: Path) -> None:
    code, out, err = cli("eval", str(PACK), str(partial_evidence), "--partial")
    assert code == 0, err
    assert "得分区间" in out and "72.65" in out and "88.65" in out
    assert "可能的评价等级：良、中" in out
    assert "E605" not in err  # a gap is not an error here


def test_cli_partial_json(partial_evidence: Path) -> None:
    code, out, _ = cli("eval", str(PACK), str(partial_evidence), "--partial", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["min"], doc["max"], doc["final"]) == ("72.65", "88.65", False)
    assert doc["grades_possible"] == ["良", "中"]
    assert {m["fact"] for m in doc["missing"]} == set(SURVEY)
    by_code = {i["code"]: i for i in doc["indicators"]}
    assert (by_code["C2.3.1"]["min"], by_code["C2.3.1"]["max"]) == ("0.00", "10.00")
    assert by_code["A"]["min"] == by_code["A"]["max"] == by_code["A"]["score"] == "9.00"


def test_cli_partial_json_with_all_evidence() -> None:
    code, out, _ = cli("eval", str(PACK), str(EVIDENCE), "--partial", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["total"], doc["min"], doc["max"], doc["final"]) == ("87.74",) * 3 + (True,)
    assert doc["grades_possible"] == ["良"] and doc["missing"] == []


def test_normal_json_gains_nothing() -> None:
    code, out, _ = cli("eval", str(PACK), str(EVIDENCE), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert not {"min", "max", "grades_possible", "missing", "final"} & set(doc)
    assert all("min" not in i for i in doc["indicators"])


@pytest.mark.parametrize("suffix", [".md", ".html", ".txt"])
def test_cli_partial_text_formats(partial_evidence: Path, tmp_path: Path, suffix: str) -> None:
    out_path = tmp_path / f"report{suffix}"
    code, _, err = cli(
        "eval", str(PACK), str(partial_evidence), "--partial", "--output", str(out_path)
    )
    assert code == 0, err
    text = out_path.read_text(encoding="utf-8")
    assert "得分区间" in text and "72.65" in text and "88.65" in text


def test_cli_partial_xlsx(partial_evidence: Path, tmp_path: Path) -> None:
    import openpyxl

    out_path = tmp_path / "report.xlsx"
    code, _, err = cli(
        "eval", str(PACK), str(partial_evidence), "--partial", "--output", str(out_path)
    )
    assert code == 0, err
    sheet = openpyxl.load_workbook(out_path)["得分区间"]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "72.65" in cells and "88.65" in cells


def test_cli_partial_docx(partial_evidence: Path, tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    out_path = tmp_path / "report.docx"
    code, _, err = cli(
        "eval", str(PACK), str(partial_evidence), "--partial", "--output", str(out_path)
    )
    assert code == 0, err
    document = docx.Document(str(out_path))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "得分区间" in text and "72.65" in text and "88.65" in text


def test_cli_batch_partial(tmp_path: Path) -> None:
    sheet = tmp_path / "projects.csv"
    sheet.write_text("id,有效问卷数,满意样本数\nP1,23,21\nP2,23,\n", encoding="utf-8")
    code, out, err = cli("eval", str(PACK), "--batch", str(sheet), "--partial")
    assert code == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["id"] == "P1" and second["id"] == "P2"
    # every fact but the two is missing: only the deductions' floors are certain (5 points)
    assert (second["min"], second["max"]) == ("5.00", "100.00")
    assert (first["min"], first["max"]) == ("15.00", "100.00")  # C2.3.1 is 10 of 10
    # C2.3.1 still reads the missing 问卷发放数 (its warning), but its score is final
    assert first["indicators"]["C2.3.1"] == {"min": "10.00", "max": "10.00"}
    assert second["indicators"]["C2.3.1"] == {"min": "0.00", "max": "10.00"}
    assert "2 projects: 2 with ranges, 0 failed" in err


@pytest.mark.parametrize(
    "extra",
    [["--summary", "s.html"], ["--jobs", "2"], ["--output", "r.csv"]],
)
def test_cli_batch_partial_refuses_what_it_does_not_do(tmp_path: Path, extra: list[str]) -> None:
    sheet = tmp_path / "projects.csv"
    sheet.write_text("id,有效问卷数\nP1,23\n", encoding="utf-8")
    code, _, err = cli("eval", str(PACK), "--batch", str(sheet), "--partial", *extra)
    assert code == 2
    assert "--partial" in err


NA_PACK = """pack "测试" { total 100 not_applicable exclude }
fact 甲: bool
fact 率: percent
fact 数: count
indicator A "甲" 40 { full when 甲 }
indicator B "乙" 30 { proportional 率 }
indicator C "丙" 30 { forward 数 target 10 }
"""


def test_a_known_not_applicable_fact_still_rescales() -> None:
    """C is 不适用 (known): the total is Σ applicable / 70 × 100 whatever 率 is."""
    from .helpers import compile_text

    plan = compile_text(NA_PACK)
    evidence = Evidence(Source("e.yaml", ""), {"甲": True, "数": NA}, {}, {})
    found = ranges(plan, evidence)
    assert found.total is not None
    assert (found.total.low.points, found.total.high.points) == (Decimal("57.14"), Decimal("100"))
    assert set(found.indicators) == {"B"}
    assert found.grades == ("优", "良", "中", "差")
    _assert_attained(plan, evidence, found)


def test_a_fact_no_rule_reads_moves_nothing() -> None:
    """Every fact missing but one that only a warning reads: its total is final."""
    from .helpers import compile_text

    plan = compile_text(
        'pack "测试" { total 100 }\nfact 甲: bool\nfact 乙: percent\n'
        'indicator A "甲" 100 { full when 甲\n warn when 乙 < 60% "低" }\n'
    )
    found = ranges(plan, Evidence(Source("e.yaml", ""), {"甲": True}, {}, {}))
    assert found.total is not None and found.total.final
    assert [(m.fact, m.moves_grade) for m in found.missing] == [("乙", False)]


def test_a_shared_fact_is_not_counted_twice() -> None:
    """甲 gives A its points and takes B's: the independent sum would say [20, 100]; the
    total is 70 or 50, never both ends at once."""
    from .helpers import compile_text

    plan = compile_text(
        'pack "测试" { total 100 }\nfact 甲: bool\nfact 乙: bool\n'
        'indicator A "甲" 50 { full when 甲 }\n'
        'indicator B "乙" 50 { deduct 30 when 甲 "甲" }\n'
    )
    evidence = Evidence(Source("e.yaml", ""), {"乙": True}, {}, {})
    found = ranges(plan, evidence)
    assert found.total is not None
    assert (found.total.low.points, found.total.high.points) == (Decimal("50"), Decimal("70"))
    assert found.grades == ("中", "差")
    got = {c: (r.low.points, r.high.points) for c, r in found.indicators.items()}
    assert got == {"A": (Decimal("0"), Decimal("50")), "B": (Decimal("20"), Decimal("50"))}
    assert [(m.fact, m.moves_grade) for m in found.missing] == [("甲", True)]
    _assert_attained(plan, evidence, found)


def test_a_grade_veto_on_a_missing_fact_may_act() -> None:
    from .helpers import compile_text

    plan = compile_text(
        'pack "测试" { total 100 }\nfact 甲: bool\nfact 乙: bool\n'
        'indicator A "甲" 100 { full when 乙 }\n'
        'veto when 甲 grade 差 "一票否决"\n'
    )
    found = ranges(plan, Evidence(Source("e.yaml", ""), {"乙": True}, {}, {}))
    assert found.total is not None and found.total.final
    assert found.grades == ("优", "差")
    assert [(m.fact, m.moves_grade) for m in found.missing] == [("甲", True)]
