"""`jixiao selfeval` on the sample tables of evidence/selfeval/: the national rules, every
defect found by its cell, provincial variants as parameters, the table written back."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from jixiao.engine.selfeval import parse_target, qualitative_level

from .helpers import ROOT, cli

SAMPLES = ROOT / "evidence" / "selfeval"


@pytest.mark.parametrize(
    ("text", "kind", "value", "percent"),
    [
        ("≥50个", "forward", "50", False),
        ("≤90万元", "reverse", "90", False),
        ("=100%", "equal", "1", True),
        ("100%", "forward", "1", True),
        ("≥100百分比", "forward", "1", True),
        ("≥95%", "forward", "0.95", True),
        ("＝0", "equal", "0", False),
        ("100%完成", "forward", "1", True),
        ("≥1.5万元", "forward", "1.5", False),
        ("12月底之前完成", "deadline", None, False),
        ("效果明显", "qualitative", None, False),
        ("严格执行相关制度规定", "qualitative", None, False),
    ],
)
def test_targets(text: str, kind: str, value: str | None, percent: bool) -> None:
    target = parse_target(text)
    assert target is not None and target.kind == kind and target.percent is percent
    assert target.value == (Decimal(value) if value is not None else None)


def test_unreadable_target() -> None:
    assert parse_target("≥50个以上或80%") is None


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("达成预期指标", "达成"),
        ("部分达成", "部分达成"),
        ("未完成", "未达成"),
        ("100%", "达成"),
        ("", None),
    ],
)
def test_qualitative_levels(text: str, level: str | None) -> None:
    assert qualitative_level(text) == level


def test_clean_table_scores_as_printed() -> None:
    code, out, _ = cli("selfeval", str(SAMPLES / "clean.xlsx"), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["total"] == "94.61" and doc["findings"] == []
    assert doc["grade"] == "优"


def test_every_defect_is_found_by_its_cell(tmp_path: Path) -> None:
    out_path = tmp_path / "scored.xlsx"
    code, out, err = cli(
        "selfeval", str(SAMPLES / "defects.xlsx"), "--format", "json", "--output", str(out_path)
    )
    assert code == 1
    found = {(f["code"], f["cell"].split("!")[1]) for f in json.loads(out)["findings"]}
    assert ("S4", "D4") in found  # 年度资金总额 printed as 0
    assert ("S4", "G20") in found  # 总分 printed as 0
    assert ("S2", "E11") in found  # a word as the actual of a numeric target
    assert ("S1", "D14") in found  # an unreadable target
    assert ("S5", "H12") in found  # 150% of the target, no explanation
    assert ("S5", "A4") in found  # 预算执行率 below 90%, no explanation
    assert {("S3", "G10"), ("S3", "G13"), ("S3", "G16"), ("S3", "H4")} <= found
    assert "E612" in err  # 10 of 15 for 达成 lies below its band
    sheet = openpyxl.load_workbook(out_path).active
    header = [c.value for c in sheet[9]]
    assert header[-2:] == ["jixiao得分", "jixiao说明"]
    assert sheet.cell(10, len(header) - 1).value == "10.00"
    assert "完成" in sheet.cell(11, len(header)).value  # the reason it was not scored


def test_provincial_variant_is_a_parameter() -> None:
    table = str(SAMPLES / "hubei-20-80.xlsx")
    code, _, err = cli("selfeval", table)
    assert code == 1 and "E612" in err  # 5.5 of 10 is not 部分达成 under 80/60
    code, out, _ = cli("selfeval", table, "--param", "部分达成下限=50%", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["total"] == "94.11" and doc["findings"] == []


def test_generated_pack_is_a_valid_formatted_pack(tmp_path: Path) -> None:
    pack = tmp_path / "clean.jx"
    cli("selfeval", str(SAMPLES / "clean.xlsx"), "--emit-pack", str(pack))
    assert cli("check", str(pack))[0] == 0
    assert cli("fmt", "--check", str(pack))[0] == 0
    assert "正向(95%, 实际_R12)" in pack.read_text(encoding="utf-8")


def test_unreadable_table(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    code, _, err = cli("selfeval", str(path))
    assert code == 1 and "E630" in err and "三级指标" in err


def test_qualitative_cut_points_variant() -> None:
    table = str(SAMPLES / "cut-80-50.xlsx")
    assert cli("selfeval", table)[0] == 1  # 8 of 15 is below the national 60% band
    code, out, _ = cli("selfeval", table, "--param", "部分达成下限=50%", "--format", "json")
    assert code == 0 and json.loads(out)["total"] == "91.61"


@pytest.mark.parametrize(
    ("text", "target", "value"),
    [
        ("12", "≥12次", "12"),
        ("≥12次", "≥12次", "12"),
        ("91.3%", "≥95%", "0.913"),
        ("90", "≥95%", "0.9"),
        ("约10万元", "≤10万元", "10"),
        ("完成", "≥6次", None),
    ],
)
def test_actuals(text: str, target: str, value: str | None) -> None:
    from jixiao.engine.selfeval import parse_actual

    parsed = parse_target(target)
    assert parsed is not None
    got = parse_actual(text, parsed)
    assert got == (Decimal(value) if value is not None else None)


def test_absurd_numbers_in_cells_are_findings_not_crashes(tmp_path: Path) -> None:
    # Seen in exports: a key held down, `1e308` from a float overflow, `NaN` from a formula.
    book = openpyxl.load_workbook(SAMPLES / "clean.xlsx")
    sheet = book.active
    assert sheet is not None
    sheet["G10"] = 1e308
    sheet["E11"] = "9" * 40
    sheet["D12"] = "≥" + "9" * 30
    sheet["G13"] = "NaN"
    path = tmp_path / "absurd.xlsx"
    book.save(path)
    code, out, err = cli("selfeval", str(path), "--format", "json")
    assert code == 1 and "internal error" not in err, err
    found = {(f["code"], f["cell"].split("!")[1]) for f in json.loads(out)["findings"]}
    assert {("S2", "E11"), ("S1", "D12")} <= found
