"""`jixiao diff`: a pack against itself is empty and exits 0; a moved band edge flips exactly
the projects on it; the text of a structural diff (golden); for generated packs, diff(A, A) is
empty and a random re-weighting reports Δ = new score − old score for every project."""

from __future__ import annotations

import csv
import json
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.dsl.parser import parse
from jixiao.dsl.source import Source
from jixiao.engine import compile_source, run
from jixiao.engine.tools import diff, diff_report
from jixiao.engine.tools.diff_batch import impact_batch
from jixiao.engine.tools.strategies import evidence_yaml, facts_for, pack_texts

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, check_golden, cli

GOLDENS = Path(__file__).parent / "goldens" / "diff"


def changes_of(old_text: str, new_text: str) -> list[diff.Change]:
    old, _ = compile_source(Source("old.jx", old_text))
    new, _ = compile_source(Source("new.jx", new_text))
    return diff.structure(
        old.program, new.program, parse(old.program.source), parse(new.program.source)
    )


# ----- a pack against itself --------------------------------------------------------------------


def test_founding_pack_against_itself_is_empty() -> None:
    code, out, err = cli("diff", str(FOUNDING_PACK), str(FOUNDING_PACK))
    assert code == 0, err
    assert "no structural change" in out


def test_founding_pack_against_itself_with_evidence_exits_0() -> None:
    code, out, err = cli("diff", str(FOUNDING_PACK), str(FOUNDING_PACK), str(FOUNDING_EVIDENCE))
    assert code == 0, err
    assert "total: 87.74 良 → 87.74 良 (Δ 0.00)" in out
    assert "no indicator's points change" in out


def test_reformatted_pack_is_no_change(tmp_path: Path) -> None:
    """Layout and comments are not structure: the diff compares checked programs."""
    text = FOUNDING_PACK.read_text(encoding="utf-8")
    other = tmp_path / "other.jx"
    other.write_text(re.sub(r"#[^\n]*", "", text).replace("    ", "  "), encoding="utf-8")
    code, out, _ = cli("diff", str(FOUNDING_PACK), str(other))
    assert code == 0
    assert "no structural change" in out


def test_json_of_an_unchanged_pack_has_no_changes() -> None:
    code, out, _ = cli("diff", str(FOUNDING_PACK), str(FOUNDING_PACK), "--format", "json")
    assert code == 0
    assert json.loads(out)["changes"] == []


# ----- a moved band edge ------------------------------------------------------------------------

BAND_PACK = """pack "分档" {{
    total 100
    rounding 2 half_up
    grades {{ 优 >= 90; 良 >= 80; 中 >= 60; 差 else }}
}}
fact 完成率: percent
indicator A "完成" 100 {{
    tiers 完成率 {{ >= {edge}: full; [80%, {edge}): 50%; else: 0 }}
}}
"""


def test_raising_one_threshold_flips_exactly_the_projects_on_the_edge(tmp_path: Path) -> None:
    old, new = tmp_path / "old.jx", tmp_path / "new.jx"
    old.write_text(BAND_PACK.format(edge="90%"), encoding="utf-8")
    new.write_text(BAND_PACK.format(edge="92%"), encoding="utf-8")
    rates = [Decimal(850) + Decimal(5) * i for i in range(21)]  # 85.0% … 95.0% per mille
    sheet = tmp_path / "projects.csv"
    with sheet.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "项目名称", "完成率"])
        for i, r in enumerate(rates):
            w.writerow([f"P{i:02d}", f"项目{i}", f"{r / 10}%"])
    code, out, err = cli("diff", str(old), str(new), "--batch", str(sheet), "--format", "json")
    assert code == 1, err
    doc = json.loads(out)["portfolio"]
    on_edge = {f"P{i:02d}" for i, r in enumerate(rates) if 900 <= r < 920}
    assert on_edge  # the portfolio straddles the moved edge
    assert {p["id"] for p in doc["projects_changed"]} == on_edge
    assert {p["delta"] for p in doc["projects_changed"]} == {"-50.00"}
    assert {(p["old_grade"], p["new_grade"]) for p in doc["projects_changed"]} == {("优", "差")}
    flips = {(g["old"], g["new"]): g["projects"] for g in doc["grades"]}
    assert flips[("优", "差")] == len(on_edge)
    assert doc["drivers"] == [
        {"code": "A", "name": "完成", "abs_delta": f"{50 * len(on_edge)}.00", "projects": 4}
    ]
    assert doc["projects"] == len(rates) and doc["scored"] == len(rates)
    # and the change itself: the edge, in both files, twice (both bands name it)
    changes = json.loads(out)["changes"]
    assert [(c["what"], c["old"]["text"], c["new"]["text"]) for c in changes] == [
        ("band", "90%", "92%"),
        ("band", "90%", "92%"),
    ]
    # the same pack on both sides: nothing moves, exit 0
    code, out, _ = cli("diff", str(old), str(old), "--batch", str(sheet))
    assert code == 0
    assert "0 changed" in out


def test_batch_mean_and_spread_are_exact_and_rounded(tmp_path: Path) -> None:
    old, new = tmp_path / "old.jx", tmp_path / "new.jx"
    old.write_text(BAND_PACK.format(edge="90%"), encoding="utf-8")
    new.write_text(BAND_PACK.format(edge="92%"), encoding="utf-8")
    sheet = tmp_path / "p.csv"
    sheet.write_text("id,完成率\nA,91%\nB,95%\nC,85%\n", encoding="utf-8")
    code, out, _ = cli("diff", str(old), str(new), "--batch", str(sheet), "--format", "json")
    assert code == 1
    delta = json.loads(out)["portfolio"]["delta"]
    # Δ = -50, 0, 0: mean -16.666… → -16.6667; spread √(2500/3 − 277.77…) = 23.570226…
    assert delta == {"mean": "-16.6667", "spread": "23.5702", "lowest": "-50.00", "highest": "0.00"}


# ----- the text, golden -------------------------------------------------------------------------


def test_structural_diff_text_golden(monkeypatch: pytest.MonkeyPatch, update_goldens: bool) -> None:
    monkeypatch.chdir(GOLDENS)
    code, out, err = cli("diff", "old.jx", "new.jx")
    assert code == 1, err
    check_golden(GOLDENS / "structure.expected", out, update_goldens)


def test_evidence_impact_text_golden(monkeypatch: pytest.MonkeyPatch, update_goldens: bool) -> None:
    monkeypatch.chdir(GOLDENS)
    code, out, err = cli("diff", "old.jx", "new.jx", "evidence.yaml")
    assert code == 1, err
    check_golden(GOLDENS / "evidence.expected", out, update_goldens)


def test_every_kind_of_change_is_named() -> None:
    old = (GOLDENS / "old.jx").read_text(encoding="utf-8")
    new = (GOLDENS / "new.jx").read_text(encoding="utf-8")
    got = {(c.kind, c.what, c.subject) for c in changes_of(old, new)}
    assert got == {
        ("changed", "grade", "良"),
        ("changed", "parameter", "达成线"),
        ("changed", "weight", "A"),
        ("changed", "threshold", "A1"),
        ("changed", "recoded", "A9"),  # matched by its name 目标
        ("changed", "weight", "A9"),
        ("changed", "award", "A9"),
        ("changed", "weight", "B"),
        ("changed", "band", "B1"),
        ("changed", "form", "B2"),
        ("added", "indicator", "B4"),
    }


MOVES = """pack "p" {{ total 10 }}
fact 甲: bool
fact 数: count unit "次"{extra}
indicator A "一" 5 {{
    indicator A1 "甲项" {w1} {{ full when 甲 }}{inner}
}}
indicator B "二" 5 {{{b}
    indicator B2 "乙项" 5 {{ full when 甲 }}
}}
"""


def test_moved_removed_and_fact_changes() -> None:
    old = MOVES.format(extra="", w1=3, inner='\n    indicator A2 "丙项" 2 { full when 甲 }', b="")
    new = MOVES.format(
        extra="\nfact 乙: bool",
        w1=5,
        inner="",
        b="",
    ).replace('fact 数: count unit "次"', 'fact 数: count unit "个"')
    got = [(c.kind, c.what, c.subject) for c in changes_of(old, new)]
    assert ("changed", "fact", "数") in got
    assert ("added", "fact", "乙") in got
    assert ("removed", "indicator", "A2") in got
    assert ("changed", "weight", "A1") in got
    moved_old = MOVES.format(extra="", w1=5, inner="", b="")
    moved_new = (
        MOVES.format(extra="", w1=0, inner="", b="")
        .replace('    indicator A1 "甲项" 0 { full when 甲 }\n', "")
        .replace(
            'indicator A "一" 5 {\n}',
            'indicator A "一" 5 {\n    indicator A1 "甲项" 5 { full when 甲 }\n}',
        )
    )
    assert changes_of(moved_old, moved_new) == []  # the same tree written the same way
    swapped = (
        'pack "p" { total 10 }\nfact 甲: bool\nfact 数: count unit "次"\n'
        'indicator A "一" 5 {\n    indicator B2 "乙项" 5 { full when 甲 }\n}\n'
        'indicator B "二" 5 {\n    indicator A1 "甲项" 5 { full when 甲 }\n}\n'
    )
    got = [(c.what, c.subject, c.message) for c in changes_of(moved_old, swapped)]
    assert ("moved", "A1", "indicator `A1` moved from under `A` under `B`") in got
    assert ("moved", "B2", "indicator `B2` moved from under `B` under `A`") in got


# ----- exit codes and errors ----------------------------------------------------------------------


def test_errors_of_either_pack_are_the_checkers_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jx"
    bad.write_text('pack "x" { total 100 }\nindicator A "a" 100 { full when 乙 }\n', "utf-8")
    code, out, err = cli("diff", str(FOUNDING_PACK), str(bad))
    assert code == 2
    assert out == ""
    assert "error[E201]: unknown fact `乙`" in err
    assert f"{bad}:2:33" in err
    code, _, err = cli("diff", str(tmp_path / "missing.jx"), str(bad))
    assert code == 2
    assert "missing.jx" in err and "E201" in err  # both packs' errors, each naming its file


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    p = str(FOUNDING_PACK)
    assert cli("diff", p, p, str(FOUNDING_EVIDENCE), "--batch", "x.csv")[0] == 2
    assert cli("diff", p, p, "--jobs", "2")[0] == 2
    assert cli("diff", p, p, "--output", str(tmp_path / "r.xlsx"))[0] == 2
    assert cli("diff", p, p, "--format", "json", "--output", str(tmp_path / "r.html"))[0] == 2
    assert cli("diff", p)[0] == 2
    code, _, err = cli("diff", p, p, "--batch", str(tmp_path / "none.csv"))
    assert code == 2 and "none.csv" in err


def test_bad_evidence_is_reported_and_exits_2(tmp_path: Path) -> None:
    ev = tmp_path / "e.yaml"
    ev.write_text("facts:\n  预算金额: abc\n", encoding="utf-8")
    code, _, err = cli("diff", str(FOUNDING_PACK), str(FOUNDING_PACK), str(ev))
    assert code == 2
    assert "e.yaml" in err and "Traceback" not in err


def test_html_and_json_outputs(tmp_path: Path) -> None:
    page = tmp_path / "d.html"
    old, new = GOLDENS / "old.jx", GOLDENS / "new.jx"
    sheet = tmp_path / "p.csv"
    sheet.write_text("id,预算金额,实际支出,完成率,问题\nA,100,92,96%,\nB,100,100,99%,甲\n", "utf-8")
    code, _, err = cli("diff", str(old), str(new), "--batch", str(sheet), "--output", str(page))
    assert code == 1, err
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "等级变化" in html and "<script" not in html
    code, out, _ = cli(
        "diff", str(old), str(new), str(GOLDENS / "evidence.yaml"), "--format", "json"
    )
    doc = json.loads(out)
    assert code == 1
    a1 = next(i for i in doc["evidence"]["indicators"] if i["code"] == "A1")
    assert (a1["old"], a1["new"], a1["delta"]) == ("20.00", "0.00", "-20.00")
    assert a1["old_lines"] and a1["new_lines"]
    code, out, _ = cli(
        "diff", str(old), str(new), str(GOLDENS / "evidence.yaml"), "--format", "html"
    )
    assert code == 1
    assert "得分变化指标的计分过程" in out and "条件不满足" in out  # both ledgers, in words


# ----- properties over generated packs ------------------------------------------------------------


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(pack_texts())
def test_a_generated_pack_against_itself_is_empty(text: str) -> None:
    assert changes_of(text, text) == []


def _leaf_siblings(text: str) -> list[tuple[int, int]]:
    """Pairs of line numbers of sibling leaves (same indent, written one after the other)."""
    lines = text.split("\n")
    heads = [
        (i, len(line) - len(line.lstrip()))
        for i, line in enumerate(lines)
        if line.lstrip().startswith("indicator")
    ]
    leaf = {
        i
        for i, indent in heads
        if i + 1 < len(lines) and not lines[i + 1].lstrip().startswith("indicator")
    }
    pairs = []
    for x, (i, a) in enumerate(heads):
        for j, b in heads[x + 1 :]:
            if b < a:
                break
            if b == a and i in leaf and j in leaf:
                pairs.append((i, j))
                break
    return pairs


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_random_reweighting_reports_new_minus_old(data: st.DataObject) -> None:
    text = data.draw(pack_texts())
    pairs = _leaf_siblings(text)
    if not pairs:
        return
    i, j = data.draw(st.sampled_from(pairs))
    lines = text.split("\n")
    head_i, w_i, brace_i = lines[i].rsplit(" ", 2)
    head_j, w_j, brace_j = lines[j].rsplit(" ", 2)
    moved = data.draw(st.integers(1, int(w_i) - 1)) if int(w_i) > 1 else 0
    if not moved:
        return
    lines[i] = f"{head_i} {int(w_i) - moved} {brace_i}"
    lines[j] = f"{head_j} {int(w_j) + moved} {brace_j}"
    new_text = "\n".join(lines)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "old.jx").write_text(text, encoding="utf-8")
        (root / "new.jx").write_text(new_text, encoding="utf-8")
        old, _ = compile_source(Source(str(root / "old.jx"), text))
        new, _ = compile_source(Source(str(root / "new.jx"), new_text))
        changes = diff.structure(
            old.program, new.program, parse(old.program.source), parse(new.program.source)
        )
        assert {c.what for c in changes} == {"weight"} and len(changes) == 2
        projects = root / "projects"
        projects.mkdir()
        records = data.draw(st.lists(facts_for(old), min_size=1, max_size=4))
        kinds = {n: f.kind for n, f in old.program.facts.items()}
        for k, facts in enumerate(records):
            (projects / f"p{k}.yaml").write_text(evidence_yaml(facts, kinds=kinds), "utf-8")
        impact, _ = impact_batch(old, new, projects, jobs=1)
        reported = {p.id: p for p in impact.changed}
        assert impact.projects == len(records)
        for k in range(len(records)):
            path = projects / f"p{k}.yaml"
            a, b = run(old, path), run(new, path)
            if a.total is None or b.total is None:
                continue
            expected = b.total - a.total
            if expected or a.grade != b.grade:
                assert f"p{k}" in reported
            if f"p{k}" in reported:
                assert reported[f"p{k}"].delta == expected
            moved = [
                (x.code, x.points)
                for x, y in zip(a.indicators, b.indicators, strict=True)
                if x.points != y.points
            ]
            assert (f"p{k}" in reported) == bool(moved or expected or a.grade != b.grade)


FUNCTION_PACK = """pack "f" {{ total 10 }}
fact 率: percent
function 超出扣分(实际: percent, 控制线: percent) {{
    deduct 1 per {step} of 实际 - 控制线 whole "超出控制线"
}}
indicator A "甲" 5 {{ 超出扣分(率, {line}) }}
indicator B "乙" 5 {{ 超出扣分(率, 100%) }}
"""


def test_a_function_change_is_shown_once_where_it_is_written() -> None:
    old = FUNCTION_PACK.format(step="1%", line="0")
    new = FUNCTION_PACK.format(step="2%", line="5%")
    got = [(c.what, c.subject, c.message, c.new and c.new.text) for c in changes_of(old, new)]
    assert got == [
        (
            "step",
            "超出扣分",
            "step of function `超出扣分` changed: `1%` → `2%` (also in `A`, `B`)",
            "2%",
        ),
        ("subject", "A", "subject of indicator `A` changed: `0` → `5%`", "5%"),
    ]


def test_parallel_equals_serial_and_a_pack_with_other_facts_reads_the_sheet_again(
    tmp_path: Path,
) -> None:
    old, new = GOLDENS / "old.jx", GOLDENS / "new.jx"  # 达成线's default differs: other facts
    sheet = tmp_path / "p.csv"
    rows = [f"P{i},100,{80 + i % 25},{70 + i % 31}%,{'甲；乙' if i % 3 else ''}" for i in range(60)]
    sheet.write_text("id,预算金额,实际支出,完成率,问题\n" + "\n".join(rows) + "\n", "utf-8")
    outs = [
        cli("diff", str(old), str(new), "--batch", str(sheet), "--format", "json", "--jobs", j)
        for j in ("1", "2")
    ]
    assert outs[0] == outs[1]
    assert outs[0][0] == 1
    doc = json.loads(outs[0][1])["portfolio"]
    assert doc["projects"] == doc["scored"] == 60


def test_a_row_neither_pack_can_score_exits_2_with_the_report(tmp_path: Path) -> None:
    sheet = tmp_path / "p.csv"
    sheet.write_text("id,完成率\nA,91%\nB,abc\n", encoding="utf-8")
    old = tmp_path / "old.jx"
    old.write_text(BAND_PACK.format(edge="90%"), encoding="utf-8")
    code, out, _ = cli("diff", str(old), str(old), "--batch", str(sheet))
    assert code == 2
    assert "projects neither pack could score" in out and "B:" in out


def test_a_sheet_as_evidence_or_evidence_as_a_pack_is_a_usage_error(tmp_path: Path) -> None:
    p = str(FOUNDING_PACK)
    sheet = tmp_path / "p.csv"
    sheet.write_text("id\n", encoding="utf-8")
    code, _, err = cli("diff", p, p, str(sheet))
    assert code == 2 and f"give it as `--batch {sheet}`" in err
    code, _, err = cli("diff", p, p, str(tmp_path))
    assert code == 2 and "--batch" in err
    code, _, err = cli("diff", str(FOUNDING_EVIDENCE), p)
    assert code == 2 and "OLD is a pack" in err


def test_an_evidence_mistake_both_packs_find_is_reported_once(tmp_path: Path) -> None:
    ev = tmp_path / "e.yaml"
    ev.write_text("facts:\n  预算金额: abc\n", encoding="utf-8")
    code, _, err = cli("diff", str(FOUNDING_PACK), str(FOUNDING_PACK), str(ev))
    assert code == 2
    assert err.count("error[E603]") == 1


def test_a_fact_change_points_at_the_part_and_what_it_changes_downstream() -> None:
    old = (GOLDENS / "old.jx").read_text(encoding="utf-8")
    new = old.replace('fact 预算金额: money unit "元"', 'fact 预算金额: money unit "万元"')
    got = [
        (c.what, c.message, c.old and c.old.text, c.new and c.new.text)
        for c in changes_of(old, new)
    ]
    assert got[0] == ("fact", "fact `预算金额` changed: unit `元` → `万元`", '"元"', '"万元"')
    # the derived fact reading it now converts units: written the same, checked differently
    assert got[1][0] == "derived"
    assert "is written the same but checked differently" in got[1][1]
    param = [c for c in changes_of(old, old.replace("= 95%", "= 97%"))]
    assert [(c.what, c.old and c.old.text, c.new and c.new.text) for c in param] == [
        ("parameter", "95%", "97%")
    ]


def test_bonus_penalty_and_vetoes() -> None:
    old = (GOLDENS / "sections-old.jx").read_text(encoding="utf-8")
    new = (GOLDENS / "sections-new.jx").read_text(encoding="utf-8")
    got = [(c.kind, c.what, c.message) for c in changes_of(old, new)]
    assert got == [
        ("changed", "bonus", "bonus section `E1` changed: max `5` → `3`"),
        ("changed", "award", "award of bonus section `E1` changed: `5` → `4`"),
        ("removed", "penalty", "penalty section `P1` 扣分项 removed"),
        (
            "changed",
            "veto",
            'veto changed: `veto when 发生重大事故 grade 差 "一票否决"` → '
            '`veto when 发生重大事故 disqualify "一票否决"`',
        ),
        ("added", "veto", 'veto added: `veto when not 甲 cap 良 "不能评为优秀"`'),
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack_texts(), pack_texts())
def test_two_generated_packs_diff_without_failing_each_change_placed(a: str, b: str) -> None:
    changes = changes_of(a, b)
    assert all(c.old is not None or c.new is not None for c in changes)
    assert all(c.kind in ("added", "removed", "changed") for c in changes)
    if a == b:
        assert changes == []
    else:
        drawn = diff_report.text("old.jx", "new.jx", changes)
        assert drawn.startswith("--- old.jx\n+++ new.jx\n")
