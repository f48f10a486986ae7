"""Record lists (`fact 子项目: records { … }`) and their aggregates: the language round trip,
the checker's errors, evaluation over inline records and over CSV/XLSX sheets (dirty ones as
offices export them), the ledger's account of the records used and left out, and the exact
arithmetic of `sum`, `mean` and `weighted mean` against a hand computation in Decimal."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import JixiaoError
from jixiao.dsl.formatter import format_pack
from jixiao.dsl.parser import parse_text
from jixiao.engine.common.result import LineKind

from .helpers import cli, compile_text, diagnostics_of, score, write_xlsx

HEAD = 'pack "t" {\n    total 10\n    grades { 优 >= 9; 良 >= 8; 中 >= 6; 差 else }\n}\n'
RECORDS = """
fact 子项目: records {
    名称: text
    预算: money unit "万元"
    完成数: count
    目标数: count nonzero
    完成率: percent = 完成数 / 目标数
}
param 目标: count = 100
"""
PACK = (
    HEAD
    + RECORDS
    + """
indicator A "合计" 4 { full when sum(子项目.完成数) >= 目标 else proportional sum(子项目.完成数) / 目标 }
indicator B "加权" 3 { proportional weighted mean(子项目.完成率 by 预算) }
indicator C "每个" 3 { full when all(子项目 where 完成率 >= 90%) else proportional mean(子项目.完成率) }
"""
)

INLINE = """
facts:
  子项目:
    - {名称: 县A, 预算: 50, 完成数: 40, 目标数: 40}
    - {名称: 县B, 预算: 300000元, 完成数: "３０", 目标数: 40}
    - {名称: 县C, 预算: 不适用, 完成数: 十, 目标数: 20}
"""


# ----- the language -------------------------------------------------------------------------


EXPRESSIONS = [
    "sum(子项目.预算)",
    "mean(子项目.完成率 where 预算 > 10)",
    "min(子项目.完成率)",
    'max(子项目.预算 where 名称 != "县A")',
    "count(子项目 where 完成率 < 90% and 预算 > 0)",
    "all(子项目 where 完成率 >= 90%)",
    "any(子项目 where not 完成数 >= 目标数)",
    "weighted mean(子项目.完成率 by 预算)",
    "weighted mean(子项目.完成率 by 预算 where 完成数 > 0)",
    "sum(子项目.完成数) / 目标 + count(子项目)",
]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_aggregates_round_trip_through_the_formatter(expr: str) -> None:
    text = HEAD + RECORDS + f"let x = {expr}\n"
    pack = parse_text(text)
    again = format_pack(pack)
    assert parse_text(again) == pack
    assert f"let x = {expr}" in again
    checked = diagnostics_of(text + 'indicator A "a" 10 { full when x == x }\n')
    assert [d.code for d in checked if d.is_error] == []


def test_a_record_declaration_reads_as_written_and_formats_stably() -> None:
    pack = parse_text(HEAD + RECORDS)
    decl = pack.facts[0]
    assert decl.type.text == "records"
    assert [f.name.text for f in decl.fields] == ["名称", "预算", "完成数", "目标数", "完成率"]
    assert isinstance(decl.fields[-1], ast.LetDecl)
    once = format_pack(pack)
    assert format_pack(parse_text(once)) == once
    # written on one line, with full-width punctuation, it is the same declaration
    one_line = HEAD + (
        'fact 子项目： records { 名称: text； 预算: money unit "万元"; 完成数: count; '
        "目标数: count nonzero; 完成率: percent = 完成数 / 目标数 }\nparam 目标: count = 100\n"
    )
    assert parse_text(one_line) == pack


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("proportional mean(子项目.完成律)", "E324"),
        ("full when sum(子项目.名称) > 0", "E326"),
        ("full when sum(目标.x) > 0", "E323"),
        ("full when count(子项目.预算 where 预算 > 0) > 0", "E325"),
        ("full when sum(子项目 where 预算 > 0) > 0", "E325"),
        ("full when average(子项目.预算) > 0", "E325"),
        ("full when sum(子项目.预算) > 50%", "E301"),
        ("full when sum(子项目.预算) >= 3个", "E310"),
        ("full when all(子项目 where 预算) ", "E302"),
        ("full when weighted mean(子项目.完成率 by 名称) > 0", "E326"),
    ],
)
def test_aggregates_are_checked(rule: str, code: str) -> None:
    codes = [d.code for d in diagnostics_of(HEAD + RECORDS + f'indicator A "a" 10 {{ {rule} }}\n')]
    assert code in codes


def test_a_sum_of_money_is_money_in_its_unit() -> None:
    """`sum(子项目.预算) >= 100万元` compares in 万元; `500000元` converts to 50."""
    pack = HEAD + RECORDS + 'indicator A "a" 10 { full when sum(子项目.预算) >= 500000元 }\n'
    assert score(compile_text(pack), INLINE).points == {"A": "10.00"}  # 50 + 30 = 80 万元
    pack = pack.replace("500000元", "900000元")
    assert score(compile_text(pack), INLINE).points == {"A": "0.00"}


# ----- evaluation -----------------------------------------------------------------------------


def test_inline_records_score_and_leave_out_not_applicable_fields() -> None:
    scored = score(compile_text(PACK), INLINE)
    # A: 40 + 30 + 10 = 80 of 100 → 3.20; B: (50 × 100% + 30 × 75%) / 80 = 90.625% → 2.72;
    # C: 县B 75% < 90% → mean(100%, 75%, 50%) = 75% → 2.25
    assert scored.points == {"A": "3.20", "B": "2.72", "C": "2.25"}


def test_the_ledger_shows_the_records_used_and_left_out() -> None:
    scored = score(compile_text(PACK), INLINE)
    b = next(i for i in scored.result.indicators if i.code == "B")
    line = b.lines[0]
    assert line.kind is LineKind.AGGREGATE and line.points == 0
    assert line.args.used == ((1, "县A"), (2, "县B"))
    assert line.args.left == ((3, "县C", "预算"),)
    assert line.args.value == Decimal("0.90625")
    c = next(i for i in scored.result.indicators if i.code == "C")
    first = c.lines[0]
    assert first.args.left == ((2, "县B", "where"), (3, "县C", "where"))
    assert sum((x.points for x in b.lines), Decimal(0)) == b.points


def test_the_ledger_words_in_both_languages(tmp_path: Path) -> None:
    (tmp_path / "pack.jx").write_text(PACK, encoding="utf-8")
    (tmp_path / "e.yaml").write_text(INLINE, encoding="utf-8")
    code, out, _ = cli("eval", str(tmp_path / "pack.jx"), str(tmp_path / "e.yaml"))
    assert code == 0
    assert "未计入 第3条（县C）：预算 不适用" in out
    code, out, _ = cli(
        "eval",
        str(tmp_path / "pack.jx"),
        str(tmp_path / "e.yaml"),
        "--format",
        "json",
        "--lang",
        "en",
    )
    report = json.loads(out)
    texts = [line["text"] for ind in report["indicators"] for line in ind["lines"]]
    assert any("left out #3 (县C): 预算 not applicable" in t for t in texts)
    facts = report["indicators"][1]["lines"][0]["facts"][0]
    assert facts["value"][2] == {
        "record": 3,
        "名称": "县C",
        "预算": "不适用",
        "完成数": "10",
        "目标数": "20",
    }


SHEET_ROWS = [
    ["名称", "预算", "完成数", "目标数"],
    ["县A", 50, 40, 40],
    [None, None, None, None],  # a blank row: no record
    ["县B", "30万元", "３０", "40"],  # numbers typed as text, full-width digits
    ["县C", "不适用", "十", 20],
]


def test_records_from_a_workbook_sheet(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "说明"
    first.append(["本表为子项目台账"])
    sheet = book.create_sheet("子项目")
    for row in SHEET_ROWS:
        sheet.append(row)
    book.save(tmp_path / "台账.xlsx")
    evidence = "facts:\n  子项目: {file: 台账.xlsx, sheet: 子项目}\n"
    (tmp_path / "e.yaml").write_text(evidence, encoding="utf-8")
    from jixiao.engine import run

    plan = compile_text(PACK)
    result = run(plan, tmp_path / "e.yaml")
    assert [str(i.points) for i in result.indicators] == ["3.20", "2.72", "2.25"]
    assert result.inputs and result.inputs[0][0].endswith("台账.xlsx")
    # a sheet the workbook lacks is named with the sheets it has
    (tmp_path / "e.yaml").write_text(evidence.replace("sheet: 子项目", "sheet: 子项"), "utf-8")
    (tmp_path / "pack.jx").write_text(PACK, encoding="utf-8")
    code, _, err = cli("eval", str(tmp_path / "pack.jx"), str(tmp_path / "e.yaml"))
    assert code == 1 and "E674" in err and "`说明`, `子项目`" in err


def test_records_from_the_first_sheet_and_from_csv(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "子项目.xlsx", SHEET_ROWS)
    (tmp_path / "e.yaml").write_text("facts:\n  子项目: 子项目.xlsx\n", encoding="utf-8")
    from jixiao.engine import run

    result = run(compile_text(PACK), tmp_path / "e.yaml")
    assert [str(i.points) for i in result.indicators] == ["3.20", "2.72", "2.25"]
    for encoding, bom in (("gbk", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")):
        text = "名称,预算,完成数,目标数\n县A,50,40,40\n,,,\n县B,30万元,３０,40\n县C,不适用,十,20\n"
        (tmp_path / "子项目.csv").write_bytes(bom + text.encode(encoding))
        (tmp_path / "e.yaml").write_text("facts:\n  子项目: {file: 子项目.csv}\n", "utf-8")
        result = run(compile_text(PACK), tmp_path / "e.yaml")
        assert [str(i.points) for i in result.indicators] == ["3.20", "2.72", "2.25"], encoding


@pytest.mark.parametrize(
    ("csv", "code", "said"),
    [
        ("名称,预算,完成数\n县A,1,2\n", "E671", "has no field `目标数`"),
        ("名称,预算,完成数,目标数,备注\n县A,1,2,3,x\n", "E672", "gives `备注`"),
        ("名称,预算,完成数,目标数,完成率\n县A,1,2,3,x\n", "E672", "computes"),
        ("名称,预算,完成数,目标数\n县A,1,,3\n", "E671", "record 1 (县A; 子项目.csv, row 2)"),
        ("名称,预算,完成数,目标数\n县A,一些,2,3\n", "E673", "field `预算`"),
        ("名称,预算,完成数,目标数\n县A,1,2,0\n", "E673", "nonzero"),
        ("名称,预算,完成数,目标数\n县A,-1,2,3\n", "E673", "outside the domain"),
        ("名称,预算,预算,目标数\n县A,1,2,3\n", "E674", "heads columns B and C"),
        ("名称,预算,完成数,目标数\n县A,1,2,3,多出来\n", "E672", "column E"),
        ("名称,预算,完成数,目标数\n县A,#REF!,2,3\n", "E645", ""),
        ("", "E674", "no header row"),
    ],
)
def test_dirty_sheets_are_refused_naming_record_and_field(
    tmp_path: Path, csv: str, code: str, said: str
) -> None:
    (tmp_path / "子项目.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "e.yaml").write_text("facts:\n  子项目: {file: 子项目.csv}\n", "utf-8")
    (tmp_path / "pack.jx").write_text(PACK, encoding="utf-8")
    status, _, err = cli("eval", str(tmp_path / "pack.jx"), str(tmp_path / "e.yaml"))
    assert status == 1 and "Traceback" not in err and "internal error" not in err
    assert f"[{code}]" in err and said in err


@pytest.mark.parametrize(
    ("evidence", "code"),
    [
        ("facts:\n  子项目: {file: ../x.csv}\n", "E640"),
        ("facts:\n  子项目: {file: 无此文件.csv}\n", "E674"),
        ("facts:\n  子项目: {file: a.csv, sheet: s}\n", "E674"),
        ("facts:\n  子项目: 3\n", "E670"),
        ("facts:\n  子项目: [1, 2]\n", "E670"),
        ("facts:\n  子项目:\n    - {名称: 县A, 预算: [1], 完成数: 1, 目标数: 1}\n", "E673"),
    ],
)
def test_record_lists_in_a_shape_that_is_none(tmp_path: Path, evidence: str, code: str) -> None:
    (tmp_path / "a.csv").write_text("名称\n", encoding="utf-8")
    (tmp_path / "e.yaml").write_text(evidence, "utf-8")
    (tmp_path / "pack.jx").write_text(PACK, encoding="utf-8")
    status, _, err = cli("eval", str(tmp_path / "pack.jx"), str(tmp_path / "e.yaml"))
    assert status == 1 and "internal error" not in err
    assert f"[{code}]" in err


@pytest.mark.parametrize(
    ("evidence", "codes"),
    [
        ("facts:\n  子项目: []\n", {"B": "E675", "C": "E675"}),
        (
            "facts:\n  子项目:\n    - {名称: 县A, 预算: 0, 完成数: 1, 目标数: 2}\n",
            {"B": "E676"},
        ),
    ],
)
def test_no_aggregate_invents_a_value(evidence: str, codes: dict[str, str]) -> None:
    scored = score(compile_text(PACK), evidence)
    failures = {i.code: i.failures[0].code for i in scored.result.indicators if i.failures}
    assert failures == codes
    assert scored.result.total is None


def test_a_derived_fact_over_records_is_ordered_after_them_and_explained() -> None:
    pack = (
        HEAD
        + RECORDS
        + (
            "let 合计 = sum(子项目.完成数 where 完成率 >= 阈值)\nlet 阈值: percent = 80%\n"
            'indicator A "a" 10 { full when 合计 >= 40 }\n'
        )
    )
    scored = score(compile_text(pack), INLINE)
    assert scored.points == {"A": "10.00"}  # only 县A (100%) reaches 80%: 40
    lines = next(i for i in scored.result.indicators if i.code == "A").lines
    assert lines[0].kind is LineKind.AGGREGATE
    assert lines[0].args.used == ((1, "县A"),)
    assert lines[0].args.left == ((2, "县B", "where"), (3, "县C", "where"))


# ----- exact arithmetic -------------------------------------------------------------------------

AMOUNTS = st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False)
RATES = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(AMOUNTS, RATES), min_size=1, max_size=12))
def test_sum_mean_and_weighted_mean_equal_the_hand_computation(
    rows: list[tuple[Decimal, Decimal]],
) -> None:
    pack = HEAD + (
        "fact 县: records { 预算: money; 率: percent }\n"
        "let 合计 = sum(县.预算)\nlet 均值 = mean(县.率)\n"
        "let 加权 = if sum(县.预算) > 0 then weighted mean(县.率 by 预算) else 0%\n"
        'indicator A "a" 10 { full when 合计 >= 0 and 均值 >= 0% and 加权 >= 0% }\n'
    )
    evidence = "facts:\n  县:\n" + "".join(
        f"    - {{预算: '{a}', 率: '{r * 100}%'}}\n" for a, r in rows
    )
    scored = score(compile_text(pack), evidence)
    derived = {d.name: d.value for d in scored.result.derived}
    total = Decimal(0)
    for a, _ in rows:
        total += a
    assert derived["合计"] == total
    rates = Decimal(0)
    for _, r in rows:
        rates += r
    assert derived["均值"] == rates / Decimal(len(rows))
    if total > 0:
        top = Decimal(0)
        for a, r in rows:
            top += a * r
        assert derived["加权"] == top / total


def test_check_errors_never_reach_evaluation() -> None:
    with pytest.raises(JixiaoError):
        compile_text(HEAD + RECORDS + 'indicator A "a" 10 { full when sum(子项目.名称) > 0 }\n')


# ----- the evidence schema describes record lists ------------------------------------------------


@pytest.mark.parametrize(
    ("records", "valid"),
    [
        ([{"名称": "县A", "预算": "50万元", "完成数": 3, "目标数": "4"}], True),
        ([{"名称": "县A", "预算": "不适用", "完成数": "十", "目标数": 4}], True),
        ([], True),
        ({"file": "子项目.csv"}, True),
        ({"file": "台账.xlsx", "sheet": "子项目"}, True),
        ([{"名称": "县A", "预算": 5, "完成数": 3}], False),  # 目标数 missing (E671)
        ([{"名称": "县A", "预算": 5, "完成数": 3, "目标数": 4, "备注": "x"}], False),  # E672
        ([{"名称": "县A", "预算": 5, "完成数": 3.5, "目标数": 4}], False),  # E673
        ([{"名称": "县A", "预算": 5, "完成数": 3, "目标数": 0}], False),  # nonzero
        ({"file": "子项目.csv", "sheets": "x"}, False),  # E670
        (3, False),
    ],
)
def test_the_schema_and_the_reader_agree_on_records(
    tmp_path: Path, records: object, valid: bool
) -> None:
    import jsonschema

    from jixiao.engine.runtime.evidence import load
    from jixiao.engine.tools.schema import evidence_schema

    (tmp_path / "子项目.csv").write_text("名称,预算,完成数,目标数\n县A,1,2,3\n", "utf-8")
    write_xlsx(tmp_path / "台账.xlsx", [["名称", "预算", "完成数", "目标数"]], "子项目")
    data = {"facts": {"子项目": records}}
    (tmp_path / "e.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    program = compile_text(PACK).program
    evidence, diags = load(tmp_path / "e.json", program)
    read = evidence is not None and not [d for d in diags if d.is_error]
    schema = evidence_schema(program)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert read == valid, [d.message for d in diags]
    assert (errors == []) == valid, [e.message for e in errors]


def test_a_pack_test_case_gives_its_records(tmp_path: Path) -> None:
    """`jixiao test` cases give record lists as any fact: inline, replacing the base's."""
    (tmp_path / "pack.jx").write_text(PACK, encoding="utf-8")
    (tmp_path / "e.yaml").write_text(INLINE, encoding="utf-8")
    suite = """
evidence: e.yaml
cases:
  - name: 示例
    expect:
      points: {A: 3.20, B: 2.72, C: 2.25}
      lines:
        B: [+0 aggregate, +2.7188 proportional, +0.0013 round]
  - name: 全部完成
    facts:
      子项目:
        - {名称: 县A, 预算: 50, 完成数: 60, 目标数: 60}
        - {名称: 县B, 预算: 50, 完成数: 40, 目标数: 40}
    expect: {total: 10.00, grade: 优}
  - name: 没有子项目
    facts: {子项目: []}
    expect: {errors: [E675]}
"""
    (tmp_path / "pack.test.yaml").write_text(suite, encoding="utf-8")
    code, out, err = cli("test", str(tmp_path / "pack.jx"))
    assert code == 0, out + err
    assert "3 passed" in out or "3 passed" in err


def test_coverage_asks_for_both_outcomes_of_an_aggregates_where(tmp_path: Path) -> None:
    """`all(培训 where 参训率 >= 90%)` is tested only when one case leaves a session out and
    another takes every one: `jixiao test --coverage` lists the outcome no case reached."""
    from jixiao.engine import compile_pack
    from jixiao.engine.tools.packtest import coverage_items

    pack = Path(__file__).parent / "forms" / "records" / "pack.jx"
    plan, _ = compile_pack(pack)
    (c,) = [ind for ind in plan.program.indicators if ind.code == "C"]
    labels = [i.label for i in coverage_items(c, plan.program.derived)]
    assert "`all(培训 where 参训率 >= 90%)` leaves a record out" in labels
    assert "`count(培训 where 参训率 < 90%)` takes every record" in labels
    (tmp_path / "pack.jx").write_text(pack.read_text(encoding="utf-8"), encoding="utf-8")
    for name in ("inline.yaml", "all-met.yaml"):
        text = (pack.parent / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text, encoding="utf-8")

    def missed(cases: str) -> str:
        suite = f"evidence: inline.yaml\ncases:\n{cases}"
        (tmp_path / "pack.test.yaml").write_text(suite, encoding="utf-8")
        _, out, err = cli("test", str(tmp_path / "pack.jx"), "--verbose")
        return out + err

    one = missed("  - name: 示例\n    expect: {}\n")
    assert "takes every record" in one
    both = missed(
        "  - name: 示例\n    expect: {}\n"
        "  - name: 全部达标\n    evidence: all-met.yaml\n    expect: {}\n"
    )
    assert "`all(培训 where 参训率 >= 90%)` takes every record" not in both
    assert "`all(培训 where 参训率 >= 90%)` leaves a record out" not in both
