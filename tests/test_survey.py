"""Questionnaires: raw responses aggregate into the pack's facts, by the pack's declarations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jixiao.dsl.diagnostics import JixiaoError
from jixiao.engine import compile_pack, run

from .helpers import FOUNDING_PACK, ROOT, compile_text, score

SURVEY_EVIDENCE = ROOT / "evidence" / "video-conference-2017-survey.yaml"


def test_23_responses_give_the_founding_satisfaction_facts() -> None:
    plan, _ = compile_pack(FOUNDING_PACK)
    result = run(plan, SURVEY_EVIDENCE)
    assert result.total == Decimal("87.74") and result.grade == "良"
    reads = {u.name: u for d in result.derived for u in d.reads}
    assert (reads["有效问卷数"].value, reads["满意样本数"].value) == (23, 21)
    assert (reads["使用效果回答数"].value, reads["使用效果肯定回答数"].value) == (46, 39)
    origin = reads["满意样本数"].origin
    assert origin is not None and "video-conference-2017-responses.csv" in (origin.source or "")
    assert "总体满意度" in (origin.note or "")


PACK = """
pack "问卷" { total 10 }
survey 满意度调查 {
    fact 答卷数 = count nonzero
    fact 满意人数 = count where 总体评价 in ["很满意", "满意"]
    fact 满意度均分 = mean 总体评价 { "很满意": 100; "满意": 80; "基本满意": 60; "不满意": 0 }
}
let 满意率: percent = 满意人数 / 答卷数
indicator A "满意度" 5 { proportional 满意率 }
indicator B "均分" 5 { proportional 满意度均分 / 100 }
"""

INLINE = """
surveys:
  满意度调查:
    - {总体评价: 很满意}
    - {总体评价: 满意}
    - {总体评价: 基本满意}
    - {总体评价: 不满意}
facts: {}
"""


def test_inline_responses_count_and_mean() -> None:
    scored = score(compile_text(PACK), INLINE)
    # 2 of 4 satisfied → 2.50; mean (100 + 80 + 60 + 0) / 4 = 60 → 3.00
    assert scored.points == {"A": "2.50", "B": "3.00"}


@pytest.mark.parametrize(
    ("evidence", "code"),
    [
        (INLINE.replace("满意度调查:", "满意调查:"), "E622"),
        (INLINE.replace("{总体评价: 不满意}", "{总体评价: 还行}"), "E623"),
        (INLINE.replace("facts: {}", "facts: {满意人数: 3}"), "E621"),
        ("surveys:\n  满意度调查: no-such-file.csv\nfacts: {}\n", "E623"),
    ],
)
def test_survey_problems(evidence: str, code: str) -> None:
    with pytest.raises(JixiaoError) as info:
        score(compile_text(PACK), evidence)
    assert code in [d.code for d in info.value.diagnostics]


def test_the_ledger_shows_the_answers_a_count_left_out() -> None:
    """`count where 总体评价 in [很满意, 满意]` leaves the other answers out on purpose — and a
    typing slip (`很满意。`) with them, which no list can foresee: the ledger names each."""
    pack = PACK.replace(
        '    fact 满意度均分 = mean 总体评价 { "很满意": 100; "满意": 80; "基本满意": 60; "不满意": 0 }\n',
        "",
    ).replace("proportional 满意度均分 / 100", "proportional 满意率")
    evidence = INLINE.replace("{总体评价: 不满意}", "{总体评价: 很满意。}")
    scored = score(compile_text(pack), evidence)
    assert scored.points["A"] == "2.50"
    reads = {u.name: u for d in scored.result.derived for u in d.reads}
    origin = reads["满意人数"].origin
    assert origin is not None
    assert (origin.note or "").endswith("；未计入 2 份：基本满意 1、很满意。 1"), origin.note


@pytest.mark.parametrize("column", ["序号", "受访者", "ID"])
def test_a_respondent_listed_twice_is_refused(column: str) -> None:
    """Two exports pasted together list the same answer sheet twice: every fact of the survey
    would count it twice. A respondent column (`序号`, `受访者`, `ID` …) tells."""
    rows = "".join(f"    - {{{column}: {n}, 总体评价: 满意}}\n" for n in ("R1", "R2", "R3", "R2"))
    evidence = f"surveys:\n  满意度调查:\n{rows}facts: {{}}\n"
    with pytest.raises(JixiaoError) as info:
        score(compile_text(PACK), evidence)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "E623"
    assert "respondent `R2`" in diagnostic.message and "responses 2 and 4" in diagnostic.message
    # numbered apart, they are four respondents
    ok = evidence.replace(
        f"{column}: R2, 总体评价: 满意}}\nfacts", f"{column}: R4, 总体评价: 满意}}\nfacts"
    )
    assert score(compile_text(PACK), ok).points["A"] == "5.00"
