"""Reports that name causes (issue #15 item 4), as a reader of the portfolio summary and of the
single-project HTML notices them: reasons grouped by their template with the counts folded,
涉及项目 counting projects, causes instead of rule types, "…等N项" where a list is cut, no pack
source text in prose, a chart of 得分率 by 一级指标, print CSS that prints every indicator, and
one name for the weight on a page."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jixiao.engine.tools.portfolio import ScoredProject, Summary
from jixiao.engine.tools.portfolio_report import render_html, render_markdown

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, ROOT, cli
from .test_batch import portfolio

GENERIC = ("按比例计分", "条件不满足", "分档", "未得满分")
#: Pack source text a reader must not meet in prose: backticks, a band, a comparison.
SOURCE = re.compile(r"`|\[\d+%, \d+%\)|==|>=|<=")


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, str]:
    """40 projects: 重复故障次数 1, 2 or 3 (one reason in three wordings), 设备运行正常率 in
    different bands, and 25 projects failing (a bad count), more than the 20 listed."""
    rows = portfolio(40)
    header = rows[0]
    faults = header.index("重复故障次数")
    for i, row in enumerate(rows[1:]):
        row[faults] = "很多" if i < 25 else str(1 + i % 3)
    folder = tmp_path_factory.mktemp("causes")
    data = folder / "projects.csv"
    with data.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    texts = {}
    for suffix in ("json", "md", "html"):
        out = folder / f"summary.{suffix}"
        cli("eval", str(FOUNDING_PACK), "--batch", str(data), "--summary", str(out))
        texts[suffix] = out.read_text(encoding="utf-8")
    return json.loads(texts["json"]), texts["md"], texts["html"]


def test_counts_in_a_reason_fold_into_its_template(
    summary: tuple[dict[str, Any], str, str],
) -> None:
    doc, md, _ = summary
    faults = [r for r in doc["reasons"] if r["code"] == "C1.2.1"]
    assert [r["reason"] for r in faults] == ["发生重复故障{count}次"]
    assert faults[0]["projects"] == 15  # the 15 scored projects, whatever their count
    assert "发生重复故障{count}次" in md and "发生重复故障1次" not in md


def test_projects_are_counted_once_per_reason(summary: tuple[dict[str, Any], str, str]) -> None:
    doc, _, _ = summary
    scored = doc["projects"] - doc["failed"]
    assert all(r["projects"] <= scored for r in doc["reasons"])
    # two unquantified indicators in every project: 15 projects, not 30 ledger lines
    a22 = next(r for r in doc["reasons"] if r["code"] == "A2.2")
    assert a22["reason"] == "绩效指标未量化：{item}" and a22["projects"] == 15


def test_reasons_name_causes_not_rule_types(summary: tuple[dict[str, Any], str, str]) -> None:
    doc, md, html = summary
    reasons = {(r["code"], r["reason"]) for r in doc["reasons"]}
    assert not [r for _, r in reasons if r in GENERIC or any(g in r for g in GENERIC)]
    assert ("C2.3.1", "未达到满分条件（满意度不低于85%）") in reasons
    assert ("C2.2.4", "设备运行正常率在“不低于90%且低于95%”档") in reasons
    assert ("C2.1.2", "使用效果肯定比例未达到100%") in reasons
    section = md.split("## 主要失分原因")[1].split("## ")[0]
    assert not SOURCE.search(section), section
    cause_table = html.split("<h2>主要失分原因</h2>")[1].split("</table>")[0]
    assert not SOURCE.search(cause_table)


def test_a_cut_list_says_how_many_there_are(summary: tuple[dict[str, Any], str, str]) -> None:
    doc, md, html = summary
    assert doc["failed"] == 25 and len(doc["failures"]) == 20
    assert "…等25个（此处列出20个）" in md and "…等25个（此处列出20个）" in html
    assert "…等15个已计分项目（此处列出最接近分界的10个）" in md


def test_reasons_past_twenty_are_counted() -> None:
    from jixiao.dsl.source import Source
    from jixiao.engine import compile_source

    source = Source(str(FOUNDING_PACK), FOUNDING_PACK.read_text(encoding="utf-8"))
    plan = compile_source(source)[0]
    summary = Summary(plan.program)
    for i in range(30):  # an evaluator's own words each time: 30 reasons
        summary.add(ScoredProject(f"P{i}", "x", "90", "优", {}, losses=[("A1.1", f"理由{i}", "1")]))
    md, html = render_markdown(summary), render_html(summary)
    assert "…等30项（此处列出20项）" in md and "…等30项（此处列出20项）" in html


# ----- the single-project HTML ------------------------------------------------------------------


@pytest.fixture(scope="module")
def founding_html() -> str:
    code, out, _ = cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "html")
    assert code == 0
    return out


def test_main_reasons_are_in_words(founding_html: str) -> None:
    reasons = founding_html.split('<ol class="reasons">')[1].split("</ol>")[0]
    assert not SOURCE.search(reasons)
    assert "设施完备性：设备运行正常率在“不低于90%且低于95%”档，得 1 分" in reasons
    assert "故障修复及时率：未达到满分条件（故障总数等于0）" in reasons


def test_a_chart_of_rates_by_top_level_indicator(founding_html: str) -> None:
    chart = founding_html.split('<svg class="chart"')[1].split("</svg>")[0]
    assert "各一级指标得分率" in chart
    for label, rate in (
        ("A 项目决策", "90.00%"),
        ("B 项目管理", "72.00%"),
        ("C 项目绩效", "93.45%"),
    ):
        assert label in chart and rate in chart
    assert chart.count('fill="#2b5797"') == 3  # one bar per 一级指标
    assert '<rect x="220" y="12" width="360.0"' in chart  # 90% of the 400-wide bar
    assert "<script" not in founding_html
    again = cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "html")[1]
    assert again == founding_html


def test_one_name_for_the_weight(founding_html: str) -> None:
    assert "满分值" not in founding_html and "评价分值" not in founding_html
    assert founding_html.count("<th>权重</th>") == 2


def test_print_css_opens_every_indicator(founding_html: str) -> None:
    css = founding_html.split("@media print{")[1].split("</style>")[0]
    assert "details::details-content{content-visibility:visible" in css


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftotext") is None, reason="needs chromium and pdftotext"
)
def test_printed_pdf_holds_collapsed_indicators(founding_html: str, tmp_path: Path) -> None:
    """A1.1 scored full marks, so its <details> is closed on screen; printed, its standard,
    rule and ledger are all on paper."""
    page = tmp_path / "report.html"
    page.write_text(founding_html, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    assert CHROMIUM is not None
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", page.as_uri()],
        check=True, capture_output=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "A1.1 战略目标适应性 2.00 / 2" in text
    assert "项目与部门职能及规划相符得满分" in text  # its standard, collapsed on screen
    assert "满足条件，得满分 2 分" in text  # its ledger


FORMS = """pack "形式" { total 12  grades { 优 >= 10.8; 良 >= 9.6; 中 >= 7.2; 差 else } }
fact 率: percent
fact 数: count
fact 成本: money
fact 档次: text
fact 健全: bool
fact 有投诉: bool
indicator A "分档指标" 2 { tiers 率 { >= 95%: full; [90%, 95%): 1; < 90%: 0 } }
indicator B "定性指标" 2 { levels 档次 { "健全": full; "基本健全": 1; "不健全": 0 } }
indicator C "正向指标" 2 { forward 数 target 50 }
indicator D "反向指标" 2 { reverse 成本 target 90000 }
indicator E "条件指标" 2 { full when 率 >= 85% and not 有投诉 else proportional 率 }
indicator F "要素指标" 2 { checklist { 50%: 健全 "制度健全"; 50%: not 有投诉 "无投诉记录" } }
"""
FORMS_EVIDENCE = "facts: {率: 91%, 数: 40, 成本: 100000, 档次: 基本健全, 健全: 否, 有投诉: 是}\n"


def test_every_rule_form_is_said_in_words(tmp_path: Path) -> None:
    pack, evidence = tmp_path / "p.jx", tmp_path / "e.yaml"
    pack.write_text(FORMS, encoding="utf-8")
    evidence.write_text(FORMS_EVIDENCE, encoding="utf-8")
    code, html, _ = cli("eval", str(pack), str(evidence), "--format", "html")
    assert code == 0
    reasons = html.split('<ol class="reasons">')[1].split("</ol>")[0]
    assert not SOURCE.search(reasons)
    for said in (
        "分档指标：率在“不低于90%且低于95%”档，得 1 分",
        "定性指标：评为“基本健全”，得 1 分",
        "条件指标：未达到满分条件（率不低于85%且“有投诉”不成立）",
    ):
        assert said in reasons
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id,名称,率,数,成本,档次,健全,有投诉\nP1,甲,91%,40,100000,基本健全,否,是\n",
        encoding="utf-8",
    )
    out = tmp_path / "s.json"
    cli("eval", str(pack), "--batch", str(rows), "--summary", str(out))
    causes = {
        r["code"]: r["reason"] for r in json.loads(out.read_text(encoding="utf-8"))["reasons"]
    }
    assert causes == {
        "A": "率在“不低于90%且低于95%”档",
        "B": "评为“基本健全”",
        "C": "数未达到目标50",
        "D": "成本高于目标90000",
        "E": "未达到满分条件（率不低于85%且“有投诉”不成立）",
        "F": "要素未满足：制度健全；要素未满足：无投诉记录",
    }
