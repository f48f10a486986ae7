"""The founding case end to end: the published Table 5, computed, and altered evidence.

The golden files are the CLI's own output from the repository root; regenerate them with
`pytest --update-goldens` and review the diff.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import yaml

from jixiao.engine import compile_pack
from jixiao.engine.runtime.evaluator import evaluate

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, ROOT, check_golden, cli, score

GOLDENS = ROOT / "tests" / "goldens"

# Table 5 of the published report, leaf by leaf, with the subtotals.
TABLE_5 = {
    "A": "9.00",
    "A1": "6.00",
    "A1.1": "2.00",
    "A1.2": "2.00",
    "A1.3": "2.00",
    "A2": "3.00",
    "A2.1": "2.00",
    "A2.2": "1.00",
    "B": "18.00",
    "B1": "12.00",
    "B1.1": "5.00",
    "B1.1.1": "2.00",
    "B1.1.2": "3.00",
    "B1.2": "2.00",
    "B1.3": "5.00",
    "B2": "6.00",
    "B2.1": "4.00",
    "B2.1.1": "2.00",
    "B2.1.2": "2.00",
    "B2.2": "1.00",
    "B2.3": "1.00",
    "C": "60.74",
    "C1": "27.65",
    "C1.1": "11.00",
    "C1.2": "10.65",
    "C1.2.1": "3.00",
    "C1.2.2": "3.65",
    "C1.2.3": "4.00",
    "C1.3": "6.00",
    "C2": "33.09",
    "C2.1": "17.09",
    "C2.1.1": "6.00",
    "C2.1.2": "5.09",
    "C2.1.3": "6.00",
    "C2.2": "6.00",
    "C2.2.1": "2.00",
    "C2.2.2": "1.00",
    "C2.2.3": "2.00",
    "C2.2.4": "1.00",
    "C2.3": "10.00",
    "C2.3.1": "10.00",
}
WITH_DEDUCTIONS = [
    "A2.2",
    "B1.1.1",
    "B2.1.1",
    "B2.1.2",
    "B2.2",
    "B2.3",
    "C1.2.1",
    "C1.2.2",
    "C2.1.2",
    "C2.2.2",
    "C2.2.4",
]


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return compile_pack(FOUNDING_PACK)[0]


def evidence_with(**changes: Any) -> str:
    """The founding evidence with some facts' values changed, by name."""
    data = yaml.safe_load(FOUNDING_EVIDENCE.read_text(encoding="utf-8"))
    for name, value in changes.items():
        assert name in data["facts"], name
        entry = data["facts"][name]
        if isinstance(entry, dict):
            entry["value"] = value
        else:
            data["facts"][name] = value
    return yaml.safe_dump(data, allow_unicode=True)


def test_reproduces_table_5(plan) -> None:  # type: ignore[no-untyped-def]
    scored = score(plan, FOUNDING_EVIDENCE.read_text(encoding="utf-8"))
    assert scored.points == TABLE_5
    assert scored.result.total == Decimal("87.74")
    assert scored.result.grade == "良"
    losing = [i.code for i in scored.result.indicators if i.is_leaf and i.points != i.weight]
    assert losing == WITH_DEDUCTIONS


def test_every_ledger_reconciles(plan) -> None:  # type: ignore[no-untyped-def]
    scored = score(plan, FOUNDING_EVIDENCE.read_text(encoding="utf-8"))
    by_code = {i.code: i for i in scored.result.indicators}
    for ind in scored.result.indicators:
        if ind.is_leaf:
            assert sum((ln.points for ln in ind.lines), Decimal(0)) == ind.points
        else:
            assert (
                sum(
                    (by_code[c].points for c in by_code if by_code[c].parent == ind.code),
                    Decimal(0),
                )
                == ind.points
            )


@pytest.mark.parametrize(
    ("changes", "expected", "total"),
    [
        ({"实际支出": 90000}, {"B1.1.2": "2.70"}, "87.44"),
        ({"实际支出": 110000}, {"B1.1.2": "3.00"}, "87.74"),
        ({"重复故障次数": 3}, {"C1.2.1": "1.00"}, "85.74"),
        ({"重复故障次数": 7}, {"C1.2.1": "0.00"}, "84.74"),
        ({"满意样本数": 18}, {"C2.3.1": "9.21"}, "86.95"),
        ({"满意样本数": 20}, {"C2.3.1": "10.00"}, "87.74"),
        ({"设备运行正常率": "95%"}, {"C2.2.4": "2.00"}, "88.74"),
        ({"设备运行正常率": "90%"}, {"C2.2.4": "1.00"}, "87.74"),
        ({"设备运行正常率": "0.899"}, {"C2.2.4": "0.00"}, "86.74"),
        ({"未量化绩效指标": []}, {"A2.2": "2.00"}, "88.74"),
        ({"故障总数": 0, "及时修复故障数": 0}, {"C1.2.2": "4.00"}, "88.09"),
        ({"存在截留挤占挪用": True}, {"B1.3": "0.00"}, "82.74"),
        ({"违规使用资金": ["差旅费超标"]}, {"B1.3": "4.00"}, "86.74"),
        ({"使用效果肯定回答数": 46}, {"C2.1.2": "6.00"}, "88.65"),
        ({"顺利召开会议次数": 5}, {"C2.1.3": "5.00"}, "86.74"),
        ({"按时完成任务数": 17}, {"C1.3": "5.67"}, "87.41"),
    ],
    ids=lambda v: str(v) if not isinstance(v, dict) else ",".join(f"{k}={w}" for k, w in v.items()),
)
def test_altered_evidence_follows_the_standards(plan, changes, expected, total) -> None:  # type: ignore[no-untyped-def]
    scored = score(plan, evidence_with(**changes))
    for code, points in expected.items():
        assert scored.points[code] == points
    assert scored.points["A"] is not None
    assert format(scored.result.total, "f") == total


def test_grade_follows_total(plan) -> None:  # type: ignore[no-untyped-def]
    scored = score(plan, evidence_with(存在截留挤占挪用=True, 满意样本数=10, 重复故障次数=9))
    # 87.74 − 5 (B1.3) − 4 (C1.2.1) − (10 − 10/23/0.85×10 = 5.12 → 5.12) …
    assert scored.result.total is not None and scored.result.total < 80
    assert scored.result.grade == "中"


def test_cli_table_golden(update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = cli(
        "eval", "rules/video-conference-2017.jx", "evidence/video-conference-2017.yaml"
    )
    assert code == 0, err
    check_golden(GOLDENS / "founding.table.txt", out, update_goldens)
    check_golden(GOLDENS / "founding.stderr.txt", err, update_goldens)


def test_cli_json_golden(update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = cli(
        "eval",
        "rules/video-conference-2017.jx",
        "evidence/video-conference-2017.yaml",
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["total"] == "87.74" and doc["grade"] == "良"
    flat = {i["code"]: i["score"] for i in doc["indicators"]}
    assert flat == TABLE_5
    assert [i["parent"] for i in doc["indicators"][:3]] == [None, "A", "A1"]
    check_golden(GOLDENS / "founding.json", out, update_goldens)


def test_cli_markdown_golden(update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = cli(
        "eval",
        "rules/video-conference-2017.jx",
        "evidence/video-conference-2017.yaml",
        "--format",
        "markdown",
    )
    assert code == 0
    check_golden(GOLDENS / "founding.md", out, update_goldens)


def test_output_is_byte_identical_across_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = (
        "eval",
        "rules/video-conference-2017.jx",
        "evidence/video-conference-2017.yaml",
        "--format",
        "json",
    )
    assert cli(*args) == cli(*args)


def test_fact_order_in_evidence_does_not_matter(plan) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(FOUNDING_EVIDENCE.read_text(encoding="utf-8"))
    data["facts"] = dict(reversed(list(data["facts"].items())))
    reordered = score(plan, yaml.safe_dump(data, allow_unicode=True))
    assert reordered.points == TABLE_5


def test_a_ledger_read_late_shows_its_own_record(plan) -> None:  # type: ignore[no-untyped-def]
    """The ledger is packaged when first read: reading it after other records were scored
    with the same plan (whose rules share constant lines) must show this record's facts."""
    from jixiao.engine.render.json_report import render
    from jixiao.engine.runtime.evidence import load_bytes

    def run(text: str):  # type: ignore[no-untyped-def]
        evidence, _ = load_bytes(text.encode("utf-8"), "evidence.yaml", plan.program)
        return evaluate(plan, evidence)

    founding = FOUNDING_EVIDENCE.read_text(encoding="utf-8")
    expected = render(run(founding))
    late = run(founding)
    for changes in ({"实际支出": 90000}, {"故障总数": 0, "及时修复故障数": 0}, {"满意样本数": 20}):
        other = run(evidence_with(**changes))
        assert render(other) != expected
    assert render(late) == expected
    c231 = next(i for i in late.indicators if i.code == "C2.3.1")
    read = {u.name: u.value for ln in c231.lines for u in ln.facts}
    assert read["满意度"] == Decimal(21) / Decimal(23)
    assert [d.value for d in late.derived if d.name == "满意度"] == [read["满意度"]]
