"""Runtime failures are structured values: a code and typed arguments by name, put into words
by the messages module. None is packed into a string and split again, and none leaks such a
string into the JSON report (E610 used to show `3|[0.5|2]` as its `failures[].detail`)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from jixiao.dsl.source import Source
from jixiao.engine import compile_pack, run
from jixiao.engine.common.messages import failure_detail
from jixiao.engine.common.result import Failure

from .helpers import ROOT, cli

FORMS = ROOT / "tests" / "forms"
DIAGNOSTICS = ROOT / "tests" / "diagnostics"
JUDGED = FORMS / "deduct-judged"
_SPAN = Source("pack.jx", "indicator A").span(0, 11)


def _json_failures(pack: Path, evidence: Path) -> list[dict[str, object]]:
    code, out, _ = cli("eval", str(pack), str(evidence), "--format", "json")
    assert code in (0, 1), out
    report = json.loads(out)
    return [f for ind in report["indicators"] for f in ind["failures"]]


def test_a_judgement_outside_its_range_carries_its_numbers_typed() -> None:
    plan, _ = compile_pack(JUDGED / "pack.jx")
    result = run(plan, JUDGED / "above-range.yaml")
    (failure,) = result.indicators[0].failures
    assert failure.code == "E610" and failure.fact == "酌情扣分"
    assert failure.arg("amount") == Decimal(3) and type(failure.arg("amount")) is Decimal
    assert (failure.arg("lower"), failure.arg("upper")) == (Decimal("0.5"), Decimal(2))
    assert failure.arg("low_in") is True and failure.arg("high_in") is True
    assert failure_detail(failure) == "the judgement of 3 lies outside [0.5, 2]"
    (diag,) = [d for d in result.diagnostics if d.code == "E610"]
    assert diag.message == "the judgement `酌情扣分` of 3 lies outside [0.5, 2] for `A`"


def test_the_json_report_words_a_judgement_outside_its_range() -> None:
    (failure,) = _json_failures(JUDGED / "pack.jx", JUDGED / "below-range.yaml")
    assert failure["code"] == "E610"
    assert failure["detail"] == "the judgement of 0.2 lies outside [0.5, 2]"


def test_a_division_by_zero_names_its_divisor_as_before() -> None:
    (failure,) = _json_failures(
        DIAGNOSTICS / "E606-division-by-zero.jx", DIAGNOSTICS / "E606-division-by-zero.yaml"
    )
    assert failure["code"] == "E606"
    assert failure["detail"] == "`预算金额` is 0"


@pytest.mark.parametrize(
    "evidence",
    sorted(FORMS.glob("*/*.yaml")) + sorted(FORMS.glob("*/*/*.yaml")),
    ids=lambda p: str(p.relative_to(FORMS)),
)
def test_no_failure_detail_is_a_packed_string(evidence: Path) -> None:
    pack = next((d / "pack.jx" for d in evidence.parents if (d / "pack.jx").exists()), None)
    if pack is None:
        pytest.skip("no pack beside this evidence")
    code, out, _ = cli("eval", str(pack), str(evidence), "--format", "json")
    if code not in (0, 1) or not out.startswith("{"):
        pytest.skip("not scored")
    for ind in json.loads(out)["indicators"]:
        for failure in ind["failures"]:
            assert "|" not in failure["detail"], failure


#: The failures the per-form compiler code still raises with words (`Failure.text`), as typed
#: arguments: worded by the messages module exactly as those sites word them today, so that
#: moving a site to `Failure.of` changes no output.
_TYPED_AS_TODAY = [
    (
        Failure.of("E607", None, _SPAN, level="丁", levels=("甲", "乙")),
        "`丁` is not one of `甲`, `乙`",
    ),
    (Failure.of("E608", None, _SPAN, value=Decimal("0.50")), "no band holds 0.50"),
    (Failure.of("E608", None, _SPAN, value=Decimal("1E+2")), "no band holds 100"),
    (
        Failure.of(
            "E612",
            None,
            _SPAN,
            score=Decimal(7),
            level="良",
            lower=Decimal(3),
            upper=Decimal("5.5"),
            low_in=True,
            high_in=False,
        ),
        "the score 7 for level `良` lies outside its range [3, 5.5) (points)",
    ),
    (
        Failure.of("E613", None, _SPAN, finding="问题1", field="severity"),
        "finding `问题1` has no `severity`",
    ),
    (
        Failure.of(
            "E613",
            None,
            _SPAN,
            finding="问题1",
            field="severity",
            value="极高",
            values=("高", "低"),
        ),
        "finding `问题1` has severity `极高`, not one of `高`, `低`",
    ),
]


@pytest.mark.parametrize(
    ("failure", "words"), _TYPED_AS_TODAY, ids=lambda x: getattr(x, "code", "")
)
def test_typed_failures_are_worded_as_the_sites_word_them_today(
    failure: Failure, words: str
) -> None:
    assert failure_detail(failure) == words
    assert "|" not in words


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("E607-unknown-level", {"level", "levels"}),
        ("E608-no-band", {"value"}),
        ("E612-level-score", {"score", "level", "lower", "upper", "low_in", "high_in"}),
        ("E613-finding-field", {"finding", "field"}),
    ],
)
def test_the_form_modules_raise_typed_failures(name: str, typed: set[str]) -> None:
    """The rule forms (`engine/forms/`) raise E607, E608, E612 and E613 with typed arguments,
    worded by the messages module; the words are the goldens' (tests/diagnostics/)."""
    plan, _ = compile_pack(DIAGNOSTICS / f"{name}.jx")
    result = run(plan, DIAGNOSTICS / f"{name}.yaml")
    failures = [f for ind in result.indicators for f in ind.failures]
    assert failures, name
    for failure in failures:
        assert failure.code == name[:4] and failure.text == ""
        assert typed <= {key for key, _ in failure.args}
        assert failure_detail(failure) and "|" not in failure_detail(failure)
    if name.startswith("E608"):
        assert all(type(f.arg("value")) is Decimal for f in failures)


_STEP_PACK = """pack "t" {
    version "1"
    total 10
    grades { 优 >= 9; 良 >= 8; 中 >= 6; 差 else }
}
fact 步长: percent min -5%
fact 完成率: percent
indicator A "a" 10 {
    deduct 1 per 步长 of 100% - 完成率 whole
}
"""


@pytest.mark.parametrize(
    ("step", "code", "detail"),
    [("0%", "E606", "`步长` is 0"), ("-1%", "E609", "the step `步长` is -1%")],
)
def test_a_step_of_zero_or_less_names_the_fact_behind_it(
    tmp_path: Path, step: str, code: str, detail: str
) -> None:
    """A step deduction whose step comes out 0 is a division by zero like any other (the fact
    that made it 0 named and pointed at in the evidence), and a negative step is not one: it
    says what the step is, in the step's own unit."""
    pack, evidence = tmp_path / "p.jx", tmp_path / "e.yaml"
    pack.write_text(_STEP_PACK, encoding="utf-8")
    evidence.write_text(f"facts:\n  步长: {step}\n  完成率: 80%\n", encoding="utf-8")
    code_, out, err = cli("eval", str(pack), str(evidence), "--format", "json")
    (failure,) = json.loads(out)["indicators"][0]["failures"]
    assert (failure["code"], failure["detail"]) == (code, detail)
    code_, _, err = cli("eval", str(pack), str(evidence))
    assert code_ == 1 and f"error[{code}]" in err
    if code == "E606":
        assert "e.yaml:2:" in err  # the evidence line that gives the 0


def test_a_left_out_pool_warns_only_when_it_had_findings(tmp_path: Path) -> None:
    """W604 says points were not taken because their branch was left out; a pool with nothing
    to deduct leaves nothing unseen and says nothing. Either way the score is the same."""
    pack = DIAGNOSTICS / "W604-pool-left-out.jx"
    evidence = tmp_path / "e.yaml"
    base = (DIAGNOSTICS / "W604-pool-left-out.yaml").read_text(encoding="utf-8")
    for findings, warned in (("[a, b, c]", True), ("[]", False)):
        evidence.write_text(base.replace("[a, b, c]", findings), encoding="utf-8")
        code, out, err = cli("eval", str(pack), str(evidence))
        assert code == 0 and "100.00" in out
        assert ("W604" in err) is warned, err
