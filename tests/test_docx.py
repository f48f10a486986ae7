"""`eval --format docx`: the Word draft of a 绩效评价报告, read back with python-docx as a user's
Word would show it — the outline in heading styles, the score table with its merged cells and
every indicator, every lost point under 主要扣分原因, the digests — the same bytes every run, and
a document even when a fact is missing, saying which."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest

from jixiao.engine import compile_pack, run
from jixiao.engine.common.version import VERSION
from jixiao.engine.render.explain import losses, plain, points_text

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, cli

OUTLINE = [
    ("Heading 1", "一、基本情况"),
    ("Heading 1", "二、评价结论"),
    ("Heading 2", "（一）评价结果"),
    ("Heading 2", "（二）绩效评价得分情况"),
    ("Heading 1", "三、主要扣分原因"),
    ("Heading 1", "附件：指标评分明细"),
]


def _write(tmp_path: Path, *extra: str, evidence: Path = FOUNDING_EVIDENCE, name: str = "r.docx"):
    out = tmp_path / name
    code, _, err = cli("eval", str(FOUNDING_PACK), str(evidence), "--output", str(out), *extra)
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


@pytest.fixture(scope="module")
def founding(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    tmp = tmp_path_factory.mktemp("docx")
    code, out, _ = _write(tmp, "--format", "docx")
    assert code == 0
    return out, docx.Document(str(out))


def _headings(document: Any) -> list[tuple[str, str]]:
    return [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]


def _section(document: Any, heading: str) -> list[str]:
    """The texts of the paragraphs under a first-level heading, up to the next one."""
    out: list[str] = []
    inside = False
    for p in document.paragraphs:
        if p.style.name == "Heading 1":
            inside = p.text == heading
            continue
        if inside:
            out.append(p.text)
    return out


def _all_text(document: Any) -> str:
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts += [c.text for c in row.cells]
    return "\n".join(texts)


def test_the_outline_is_in_word_heading_styles_in_the_published_order(founding) -> None:
    _, document = founding
    headings = _headings(document)
    picked = [h for h in headings if h in OUTLINE]
    assert picked == OUTLINE
    assert headings[-1][0] in ("Heading 1", "Heading 2")
    assert ("Heading 1", "附：计分依据与校验信息") in headings
    # the cover and the report's title use the Title style (a template restyles them)
    titles = [p.text for p in document.paragraphs if p.style.name == "Title"]
    assert titles == ["财政项目支出绩效评价报告", "2017年上海市政府驻外办事处视频会议系统运维项目"]
    # every first-level indicator and every scored leaf has its heading in the annex
    result = _founding_result()
    annex = [text for style, text in headings if style in ("Heading 2", "Heading 3")]
    for ind in result.indicators:
        if ind.is_leaf or ind.depth == 1:
            assert any(text.startswith(f"{ind.code} {ind.name}") for text in annex), ind.code


def test_basics_come_from_the_evidence_project_fields(founding) -> None:
    _, document = founding
    basics = _section(document, "一、基本情况")
    assert "项目名称：2017年上海市政府驻外办事处视频会议系统运维项目" in basics
    assert "项目单位：上海市人民政府合作交流办公室" in basics
    assert "评价机构：上海科技咨询有限公司" in basics
    assert "评价依据：沪财绩〔2014〕22号" in basics
    assert "评价期间：2018-05-01 至 2018-06-30" in basics
    cover = [p.text for p in document.paragraphs[:20]]
    assert "评价机构：上海科技咨询有限公司" in cover


def test_the_conclusion_gives_total_grade_and_each_level(founding) -> None:
    _, document = founding
    text = "\n".join(_section(document, "二、评价结论"))
    assert "该项目总体得分为 87.74 分，财政支出绩效评价等级为：良。" in text
    assert "A 项目决策类指标满分为 10 分，得分 9.00 分，得分率为 90.00%" in text
    assert "B 项目管理类指标满分为 25 分，得分 18.00 分，得分率为 72.00%" in text
    assert "C 项目绩效类指标满分为 65 分，得分 60.74 分，得分率为 93.45%" in text
    summary = document.tables[0]
    rows = [[c.text for c in row.cells] for row in summary.rows]
    assert rows[0] == ["指标", "满分值", "评价分值", "得分率"]
    assert rows[1:] == [
        ["A 项目决策", "10", "9.00", "90.00%"],
        ["B 项目管理", "25", "18.00", "72.00%"],
        ["C 项目绩效", "65", "60.74", "93.45%"],
        ["合计", "100", "87.74", "87.74%"],
    ]


def _founding_result() -> Any:
    plan, _ = compile_pack(FOUNDING_PACK)
    return run(plan, FOUNDING_EVIDENCE)


def test_the_score_table_is_table_5_with_merged_cells(founding) -> None:
    _, document = founding
    result = _founding_result()
    table = document.tables[1]
    depth = max(i.depth for i in result.indicators)
    heads = [c.text for c in table.rows[0].cells]
    assert heads == ["一级指标", "二级指标", "三级指标", "四级指标", "分值", "得分"]
    children: dict[str | None, list[Any]] = {}
    for ind in result.indicators:
        children.setdefault(ind.parent, []).append(ind)
    leaves = [i for i in result.indicators if i.code not in children]
    assert len(table.rows) == len(leaves) + 2  # header, one row per leaf, totals
    row_of = {leaf.code: n + 1 for n, leaf in enumerate(leaves)}

    def first_last(ind: Any) -> tuple[int, int]:
        kids = children.get(ind.code)
        if not kids:
            return row_of[ind.code], row_of[ind.code]
        return first_last(kids[0])[0], first_last(kids[-1])[1]

    for ind in result.indicators:
        first, last = first_last(ind)
        col = ind.depth - 1
        top = table.cell(first, col)
        assert top.text.startswith(f"{ind.code} {ind.name}"), (ind.code, top.text)
        if ind.code in children:
            # an ancestor: one cell merged down over its leaves' rows (w:vMerge)
            assert all(table.cell(r, col)._tc is top._tc for r in range(first, last + 1))
            # ... and no further: the next row (another ancestor's, or the totals) is its own
            assert table.cell(last + 1, col)._tc is not top._tc
            assert f"分值 {plain(ind.weight)}" in top.text
        else:
            # a leaf: merged across the levels it skips (w:gridSpan), then its figures
            cells = table.rows[first].cells
            assert all(cells[c]._tc is top._tc for c in range(col, depth))
            assert cells[depth].text == plain(ind.weight)
            assert cells[depth + 1].text == points_text(ind, 2, "zh")
    xml = table._tbl.xml
    assert 'w:vMerge w:val="restart"' in xml and "<w:vMerge/>" in xml
    assert '<w:gridSpan w:val="2"/>' in xml
    assert '<w:gridSpan w:val="4"/>' in xml  # the totals row's label
    total = [c.text for c in table.rows[-1].cells]
    assert total[0] == "合计" and total[depth:] == ["100", "87.74"]
    # the header row repeats on every page a long table takes
    assert "<w:tblHeader/>" in table.rows[0]._tr.xml


def _lost(texts: list[str]) -> list[tuple[str, Decimal]]:
    """(indicator code, points lost) of each numbered item of 主要扣分原因."""
    found = []
    for text in texts:
        m = re.match(r"（\d+）(\S+) .*?：失 ([\d.]+) 分。", text)
        if m:
            found.append((m[1], Decimal(m[2])))
    return found


def test_every_lost_point_is_listed_with_its_evidence(founding) -> None:
    _, document = founding
    result = _founding_result()
    texts = _section(document, "三、主要扣分原因")
    listed = _lost(texts)
    expected = losses(result, "zh")
    assert len(listed) == len(expected) == 15
    assert listed == [(loss.indicator.code, loss.points) for loss in expected]
    # all the points the project lost, and no more: 100 − 87.74
    assert sum(points for _, points in listed) == Decimal("12.26")
    body = "\n".join(texts)
    for loss in expected:
        assert loss.text in body
        for source in loss.sources:
            assert f"依据：{source}" in texts
    assert "依据：重复故障次数 = 1 次" in body


def test_the_annex_has_each_standard_and_ledger(founding) -> None:
    _, document = founding
    annex = "\n".join(_section(document, "附件：指标评分明细"))
    assert (
        "评分标准：预算有明细测算且与工作内容匹配得满分；无明细测算扣1分；与工作内容不匹配扣2分"
        in (annex)
    )
    assert "计分规则（规则包原文）：deduct 1 when not 预算有明细测算" in annex
    ledger_text = _all_text(document)
    assert "保留 2 位小数（四舍五入）：3.6522 → 3.65" in ledger_text
    assert "预算执行率 = 实际支出 / 预算金额 = 100000 / 100000 = 100.00%" in annex


def test_the_digests_and_version_are_recorded(founding) -> None:
    _, document = founding
    text = _all_text(document)
    for path in (FOUNDING_PACK, FOUNDING_EVIDENCE):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"SHA-256 {digest}" in text
    assert f"jixiao {VERSION}" in text
    assert "2017年上海市政府驻外办事处视频会议系统运维项目（版本 2017.1）" in text


def test_styles_fonts_and_page_are_as_official_documents_set_them(founding) -> None:
    from docx.oxml.ns import qn

    _, document = founding
    styles = document.styles

    def east_asian(name: str) -> str:
        fonts = styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsiaTheme")) is None  # Word would prefer a theme font
        return str(fonts.get(qn("w:eastAsia")))

    assert east_asian("Normal") == "仿宋"
    assert east_asian("Heading 1") == "黑体"
    assert east_asian("Heading 2") == "楷体"
    assert east_asian("表格文字") == "宋体"
    assert styles["Normal"].font.size.pt == 12  # 小四
    assert styles["Heading 1"].font.size.pt == 16  # 三号
    assert styles["表格文字"].font.size.pt == 10.5  # 五号
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    assert section.different_first_page_header_footer  # no number on the cover
    footer = section.footer._element.xml
    assert "PAGE" in footer and 'w:fldCharType="begin"' in footer
    for table in document.tables:
        for cell in table.rows[1].cells:
            assert cell.paragraphs[0].style.name in ("表格文字",)


def test_two_runs_give_identical_bytes(tmp_path: Path) -> None:
    _, first, _ = _write(tmp_path, name="a.docx")
    _, second, _ = _write(tmp_path, "--format", "docx", name="b.docx")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
        assert "dcterms:created" not in core and "dcterms:modified" not in core
        assert "docProps/thumbnail.jpeg" not in z.namelist()


def test_processes_with_different_hash_seeds_give_identical_bytes(tmp_path: Path) -> None:
    """Nothing in the document depends on set or dict order that varies between processes."""
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"{seed}.docx"
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from jixiao.engine.cli import main; sys.exit(main())",
                "eval",
                str(FOUNDING_PACK),
                str(FOUNDING_EVIDENCE),
                "--output",
                str(out),
            ],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_the_extension_chooses_docx(tmp_path: Path) -> None:
    code, out, _ = _write(tmp_path, name="报告.DOCX")
    assert code == 0 and zipfile.is_zipfile(out)
    assert docx.Document(str(out)).paragraphs  # a document Word can open


def test_docx_to_standard_output_is_a_usage_error() -> None:
    code, out, err = cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "docx")
    assert code == 2 and out == ""
    assert "--output FILE.docx" in err


def test_a_missing_fact_still_gives_a_document_that_says_what_is_missing(
    tmp_path: Path,
) -> None:
    text = FOUNDING_EVIDENCE.read_text(encoding="utf-8")
    evidence = tmp_path / "缺.yaml"
    evidence.write_text(
        "\n".join(line for line in text.splitlines() if "故障总数:" not in line),
        encoding="utf-8",
    )
    code, out, err = _write(tmp_path, evidence=evidence)
    assert code == 1 and "E605" in err
    document = docx.Document(str(out))
    conclusion = "\n".join(_section(document, "二、评价结论"))
    assert "无总分：" in conclusion and "C1.2.2" in conclusion
    assert "C 项目绩效类指标满分为 65 分，未能计分。" in conclusion  # not "得分 — 分"
    assert "C1.2.2 故障修复及时率：未能计分（E605）：证据中缺少事实“故障总数”" in conclusion
    assert ("Heading 2", "（三）未能计分的指标") in _headings(document)
    reasons = "\n".join(_section(document, "三、主要扣分原因"))
    assert "证据中缺少事实“故障总数”" in reasons
    table = document.tables[1]
    row = next(r for r in table.rows if r.cells[3].text.startswith("C1.2.2"))
    assert row.cells[5].text == "—"
    assert [c.text for c in table.rows[-1].cells][-1] == "—"


def test_english_labels(tmp_path: Path) -> None:
    code, out, _ = _write(tmp_path, "--lang", "en")
    assert code == 0
    headings = [text for style, text in _headings(docx.Document(str(out))) if style == "Heading 1"]
    assert headings[:3] == [
        "1 Basic information",
        "2 Conclusion",
        "3 Main reasons points were lost",
    ]


PACK = """\
pack "试点项目" {
    total 10
    rounding 2 half_up
    grades { 优 >= 9; 差 else }
}
fact 合规: bool
indicator A "单层指标" 4 {
    full when 合规
}
indicator B "两层指标" 6 {
    indicator B1 "下级甲" 3 {
        deduct 1 when not 合规 "不合规"
    }
    indicator B2 "下级乙" 3 {
        full when 合规
    }
}
"""


def test_a_shallow_tree_and_control_characters(tmp_path: Path) -> None:
    """Leaves at different depths (a first-level leaf spans both level columns), and a project
    name with a control character (written visibly, not refused by the XML writer)."""
    pack = tmp_path / "p.jx"
    pack.write_text(PACK, encoding="utf-8")
    evidence = tmp_path / "e.yaml"
    evidence.write_text(
        'project: {name: "试点\\x01项目", 自定义: 甲}\nfacts:\n  合规: false\n', encoding="utf-8"
    )
    out = tmp_path / "r.docx"
    code, _, err = cli("eval", str(pack), str(evidence), "--output", str(out))
    assert code == 0, err
    document = docx.Document(str(out))
    basics = _section(document, "一、基本情况")
    assert "项目名称：试点\\x01项目" in basics and "自定义：甲" in basics
    table = document.tables[1]
    assert [c.text for c in table.rows[0].cells] == ["一级指标", "二级指标", "分值", "得分"]
    a = table.rows[1].cells
    assert a[0]._tc is a[1]._tc and a[0].text == "A 单层指标"
    assert table.cell(2, 0)._tc is table.cell(3, 0)._tc  # B over B1 and B2
    assert [c.text for c in table.rows[-1].cells] == ["合计", "合计", "10", "2.00"]
    listed = _lost(_section(document, "三、主要扣分原因"))
    assert listed == [("A", Decimal(4)), ("B2", Decimal(3)), ("B1", Decimal(1))]


def test_a_tree_deeper_than_the_page_still_fits(tmp_path: Path) -> None:
    """Twelve levels: the level columns share the page (they once got a negative width, which
    python-docx refused with an internal error)."""
    lines = ['pack "深层" {', "    total 10", "    rounding 2 half_up", "}", "fact 合规: bool"]
    code = ""
    for depth in range(12):
        code = f"{code}.{depth}" if code else "A"
        lines.append("    " * depth + f'indicator {code} "第{depth + 1}层" 10 {{')
    lines.append("    " * 12 + 'deduct 1 when not 合规 "不合规"')
    lines += ["    " * depth + "}" for depth in reversed(range(12))]
    pack = tmp_path / "deep.jx"
    pack.write_text("\n".join(lines) + "\n", encoding="utf-8")
    evidence = tmp_path / "e.yaml"
    evidence.write_text("facts:\n  合规: false\n", encoding="utf-8")
    out = tmp_path / "r.docx"
    code, _, err = cli("eval", str(pack), str(evidence), "--output", str(out))
    assert code == 0, err
    table = docx.Document(str(out)).tables[1]
    assert len(table.columns) == 14 and len(table.rows) == 3
    assert all(column.width > 0 for column in table.columns)
    assert [c.text for c in table.rows[-1].cells][-2:] == ["10", "9.00"]


FORMS = Path(__file__).parent / "forms"


@pytest.mark.parametrize(
    "fixture",
    [
        "veto/disqualify.yaml",
        "veto/zero-subtree.yaml",
        "bonus/penalty-capped.yaml",
        "not-applicable/exclude/excluded.yaml",
        "of/r80.yaml",
        "pool/floor.yaml",
        "deduct-judged/with-who-and-when.yaml",
        "rounding/on-total",
    ],
)
def test_every_form_of_result_gives_a_document(fixture: str) -> None:
    """Vetoes, bonus and penalty sections, excluded indicators, scaled branches, floors,
    judgements and total rounding: each document lists every leaf and every lost point."""
    from jixiao.engine.render import docx as word_report

    path = FORMS / fixture
    if path.is_dir():
        path = sorted(path.glob("*.yaml"))[0]
    plan, _ = compile_pack(path.parent / "pack.jx")
    result = run(plan, path)
    document = docx.Document(io.BytesIO(word_report.render(result, "zh", "note")))
    cells = {c.text for row in document.tables[1].rows for c in row.cells}
    for ind in result.indicators:
        if ind.is_leaf:
            assert any(text.startswith(f"{ind.code} {ind.name}") for text in cells), ind.code
    assert len(_lost(_section(document, "三、主要扣分原因"))) == len(losses(result, "zh"))


@pytest.mark.parametrize("project", ["", 'project: {name: ""}\n', "project: 单名项目\n"])
def test_a_project_without_a_name_is_named_by_the_pack(tmp_path: Path, project: str) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(PACK, encoding="utf-8")
    evidence = tmp_path / "e.yaml"
    evidence.write_text(project + "facts:\n  合规: true\n", encoding="utf-8")
    out = tmp_path / "r.docx"
    code, _, err = cli("eval", str(pack), str(evidence), "--output", str(out))
    assert code == 0, err
    document = docx.Document(str(out))
    name = "单名项目" if "单名" in project else "试点项目"
    assert f"项目名称：{name}" in _section(document, "一、基本情况")
    assert document.core_properties.title == name
    assert [p.text for p in document.paragraphs if p.style.name == "Title"][1] == name
    assert _section(document, "三、主要扣分原因") == ["本项目各项指标均得满分，无扣分。"]


@pytest.mark.parametrize(
    ("fixture", "said"),
    [
        ("zero-subtree", "一票否决：存在截留挤占挪用（B 不得分）"),
        ("grade", "一票否决：发生重大以上事故（等级定为差）"),
        ("cap", "一票否决：不能评为优秀（等级最高为良）"),
        ("disqualify", "一票否决：取消绩效考核资格（取消评级资格）"),
    ],
)
def test_a_fired_veto_is_said_in_words(fixture: str, said: str) -> None:
    from jixiao.engine.render import docx as word_report

    plan, _ = compile_pack(FORMS / "veto" / "pack.jx")
    result = run(plan, FORMS / "veto" / f"{fixture}.yaml")
    document = docx.Document(io.BytesIO(word_report.render(result)))
    assert said in [p.text for p in document.paragraphs]
