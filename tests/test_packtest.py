"""`jixiao test`: the founding pack's cases pass with full coverage; a wrong expectation fails
with a value-level diff and the ledger; coverage can gate CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import FOUNDING_PACK, ROOT, cli

SUITE = ROOT / "rules" / "video-conference-2017.test.yaml"


def test_founding_cases_pass_with_full_coverage() -> None:
    code, out, _ = cli("test", str(FOUNDING_PACK), "--coverage-min", "100")
    assert code == 0, out
    assert "coverage: 100.0%" in out and out.rstrip().endswith("0 failed")


def test_wrong_expectation_fails_with_a_diff_and_the_ledger(tmp_path: Path) -> None:
    suite = tmp_path / "wrong.test.yaml"
    suite.write_text(
        f"evidence: {ROOT / 'evidence' / 'video-conference-2017.yaml'}\n"
        "cases:\n  - name: 错误的期望\n    expect: {points: {C1.2.2: 3.64}, grade: 优}\n",
        encoding="utf-8",
    )
    code, out, _ = cli("test", str(FOUNDING_PACK), str(suite))
    assert code == 1
    assert "points of `C1.2.2`: expected 3.64, got 3.65" in out
    assert "grade: expected 优, got 良" in out
    assert "ledger of C1.2.2 故障修复及时率" in out and "3.6522" in out
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_coverage_gate(tmp_path: Path) -> None:
    suite = tmp_path / "one.test.yaml"
    suite.write_text(
        f"evidence: {ROOT / 'evidence' / 'video-conference-2017.yaml'}\n"
        "cases:\n  - name: 只有一例\n    expect: {total: 87.74}\n",
        encoding="utf-8",
    )
    code, out, err = cli("test", str(FOUNDING_PACK), str(suite), "--coverage-min", "90")
    assert code == 1 and "below --coverage-min 90" in err
    assert "not exercised" in out


def test_json_output_and_edges() -> None:
    code, out, _ = cli("test", str(FOUNDING_PACK), "--format", "json", "--edges")
    doc = json.loads(out)
    assert code == 0 and doc["failed"] == 0 and doc["coverage"]["percent"] == "100.0"
    edge = next(e for e in doc["edges"] if e["indicator"] == "C2.2.4" and e["bound"] == "0.9")
    assert [p["points"] for p in edge["probes"]] == ["0", "1", "1"]


def test_malformed_suite_is_reported(tmp_path: Path) -> None:
    suite = tmp_path / "bad.test.yaml"
    suite.write_text("cases: 3\n", encoding="utf-8")
    code, _, err = cli("test", str(FOUNDING_PACK), str(suite))
    assert code == 1 and "E701" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "evidence", "said"),
    [
        ("cases:\n  - facts: [1, 2]\n", None, "`facts` of case 1"),
        ("cases:\n  - expect: {lines: [a]}\n", None, "`lines` and `points` of case 1"),
        ("cases: " + "[" * 3000 + "]" * 3000 + "\n", None, "nest"),
        ("evidence: e.yaml\ncases:\n  - expect: {total: 1}\n", "- 1\n- 2\n", "not a mapping"),
        ("evidence: e.yaml\ncases:\n  - expect: {total: 1}\n", "facts: [1]\n", "not a mapping"),
        (
            "evidence: e.yaml\ncases:\n  - expect: {lines: {Z9: [x]}, points: {Z8: 1}}\n",
            "facts: {}\n",
            "lines of `Z9`: expected x, got no such indicator",
        ),
    ],
    ids=[
        "facts-list",
        "lines-list",
        "deep",
        "evidence-list",
        "facts-of-evidence-list",
        "unknown-indicator",
    ],
)
def test_suite_of_the_wrong_shape_is_named_not_a_traceback(
    tmp_path: Path, text: str, evidence: str | None, said: str
) -> None:
    suite = tmp_path / "bad.test.yaml"
    suite.write_text(text, encoding="utf-8")
    if evidence is not None:
        (tmp_path / "e.yaml").write_text(evidence, encoding="utf-8")
    code, out, err = cli("test", str(FOUNDING_PACK), str(suite))
    assert code == 1 and "Traceback" not in err + out and "internal error" not in err + out
    assert said in err + out


# ----- issue #12: refusals can be tested --------------------------------------------------------


def _suite(tmp_path: Path, case: str) -> Path:
    suite = tmp_path / "errors.test.yaml"
    suite.write_text(
        f"evidence: {ROOT / 'evidence' / 'video-conference-2017.yaml'}\ncases:\n{case}",
        encoding="utf-8",
    )
    return suite


@pytest.mark.parametrize(
    "expect",
    [
        "{errors: [E603]}",
        "{errors: [{code: E603, fact: 实际支出}]}",
        "{errors: [E603], points: {A: 9.00, B1.1.1: 2.00}}",
    ],
)
def test_a_case_expecting_an_evidence_error_passes(tmp_path: Path, expect: str) -> None:
    case = f"  - name: 金额写错\n    facts: {{实际支出: abc}}\n    expect: {expect}\n"
    code, out, _ = cli("test", str(FOUNDING_PACK), str(_suite(tmp_path, case)))
    assert code == 0, out
    assert out.rstrip().endswith("1 passed, 0 failed")


@pytest.mark.parametrize(
    ("facts", "expect", "shown"),
    [
        ("{实际支出: abc}", "errors: [{code: E603, fact: 预算金额}]", "expected E603 (预算金额)"),
        ("{实际支出: abc}", "errors: [E605]", "expected E605, got E603"),
        ("{实际支出: 90000}", "errors: [E603]", "expected E603, got none"),
        ("{实际支出: abc}", "total: 87.74", "E603"),  # no expectation: the error fails it
    ],
)
def test_a_wrong_error_expectation_fails(
    tmp_path: Path, facts: str, expect: str, shown: str
) -> None:
    case = f"  - name: 期望不符\n    facts: {facts}\n    expect: {{{expect}}}\n"
    code, out, _ = cli("test", str(FOUNDING_PACK), str(_suite(tmp_path, case)))
    assert code == 1 and shown in out, out


def test_an_error_expectation_of_the_wrong_shape_is_reported(tmp_path: Path) -> None:
    case = "  - name: 形状不对\n    expect: {errors: E603}\n"
    code, _, err = cli("test", str(FOUNDING_PACK), str(_suite(tmp_path, case)))
    assert code == 1 and "E701" in err and "list of codes" in err
