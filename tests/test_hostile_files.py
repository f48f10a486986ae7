"""Dirty data files, variants of issue 12's classes beyond the examples of test_hostile.py:
each run as a user runs it (the `jixiao` command in its own process, bounded in time and
memory), and each asserting what the user would notice — the score, or a refusal at its place.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.runtime import files
from jixiao.engine.runtime.evidence import not_a_finding, nothing_found

from .test_hostile import BATCH_PACK, FOUNDING, SURVEY_EVIDENCE, jixiao, survey_evidence, write

# ----- evidence YAML -----------------------------------------------------------------------------

EVIDENCE = "facts:\n  预算金额: 100\n  实际支出: 80\n"


def laughs(levels: int = 9) -> str:
    """Nine aliases of nine aliases, nine deep: 9⁹ entries if anything expands them."""
    lines = ['l0: &l0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "tail",
    [
        "  问题: *l8\n",
        "  问题: [{item: *l8}]\n",
        "  问题: []\nproject: *l8\n",
        "  问题: []\nsurveys: {问卷: *l8}\n",
    ],
)
def test_a_billion_laughs_is_refused_quickly(tmp_path: Path, tail: str) -> None:
    """Duplicate keys were looked for by walking the node graph as a tree: 9⁹ visits, a hang."""
    write(tmp_path, {"p.jx": BATCH_PACK, "e.yaml": laughs() + EVIDENCE + tail})
    run = jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "e.yaml:" in run.err


@pytest.mark.parametrize(
    ("findings", "shown"),
    [
        ("\n    - \n    - 合同未留存", "is empty"),
        ("\n    - ~\n    - 合同未留存", "is empty"),
        ('["", 合同未留存]', "is empty"),
        ("[—]", "`—`"),
        ("[合同未留存, 无]", "`无`"),
        ("[3]", "`3`"),
        ("[{item: '0'}]", "`0`"),
    ],
)
def test_a_finding_that_is_none_is_never_counted(tmp_path: Path, findings: str, shown: str) -> None:
    """An empty entry, a dash or a count among findings each cost 10 points silently."""
    write(tmp_path, {"p.jx": BATCH_PACK, "e.yaml": EVIDENCE + f"  问题: {findings}\n"})
    run = jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "E652" in run.err and shown in run.err
    assert "e.yaml:" in run.err


@pytest.mark.parametrize("nothing", ["无", "—", '"-"', "/", "[]", "''"])
def test_a_findings_scalar_that_says_nothing_is_the_empty_list(
    tmp_path: Path, nothing: str
) -> None:
    write(tmp_path, {"p.jx": BATCH_PACK, "e.yaml": EVIDENCE + f"  问题: {nothing}\n"})
    run = jixiao("eval", "p.jx", "e.yaml", "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert json.loads(run.out)["total"] == "90.00"


@pytest.mark.parametrize("value", ["-0", "-0.00", "+0", "－０"])
def test_negative_zero_is_zero_not_minus_zero(tmp_path: Path, value: str) -> None:
    write(
        tmp_path,
        {
            "p.jx": BATCH_PACK,
            "e.yaml": f"facts:\n  预算金额: 100\n  实际支出: {value}\n  问题: []\n",
        },
    )
    run = jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path)
    assert run.code == 0, run.text
    assert "-0.00" not in run.out
    assert "50.00" in run.out


# ----- portfolio cells ---------------------------------------------------------------------------


def batch(tmp_path: Path, rows: list[list[str]]) -> tuple[int, str, list[dict[str, object]]]:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        [["id", "预算金额", "实际支出", "问题"], *rows]
    )
    write(tmp_path, {"p.jx": BATCH_PACK, "b.csv": out.getvalue()})
    run = jixiao("eval", "p.jx", "--batch", "b.csv", "--output", "r.jsonl", cwd=tmp_path)
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    return run.code, run.err, [json.loads(line) for line in lines]


@pytest.mark.parametrize("cell", ["", "  ", "\u00a0", "\u200b", "无", "暂无", "—", "——", "-", "/"])
def test_a_blank_looking_findings_cell_finds_nothing(tmp_path: Path, cell: str) -> None:
    """`—`, `/`, `-` and a zero-width space each counted as one finding (10 points lost)."""
    code, err, records = batch(tmp_path, [["p1", "100", "80", cell]])
    assert code == 0, err
    assert records[0]["total"] == "90.00"


@pytest.mark.parametrize(
    "cell", ["0", "3", "3.0", "甲；—", "甲；3", "[3]", "[null]", '["甲", ""]', "TRUE"]
)
def test_a_findings_cell_with_a_non_finding_is_refused_by_row_and_column(
    tmp_path: Path, cell: str
) -> None:
    """A count typed in the findings column (`3`) was one finding called "3"."""
    code, err, records = batch(tmp_path, [["p1", "100", "80", ""], ["p2", "100", "80", cell]])
    assert code == 1
    assert "b.csv, row 3, column D (问题)" in err and "E652" in err
    assert [r["total"] for r in records] == ["90.00", None]


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r", "\u2028", "；", ";"])
def test_findings_in_one_cell_are_split_at_every_line_break(tmp_path: Path, sep: str) -> None:
    code, err, records = batch(tmp_path, [["p1", "100", "100", f"甲{sep}乙"]])
    assert code == 0, err
    assert records[0]["total"] == "80.00"


@pytest.mark.parametrize("cell", ["-0", "-0.00", "-0.0"])
def test_negative_zero_in_a_cell_is_zero(tmp_path: Path, cell: str) -> None:
    code, err, records = batch(tmp_path, [["p1", "100", cell, ""]])
    assert code == 0, err
    assert records[0]["scores"] == {"A": "0.00", "B": "50.00"}


# ----- files named by evidence -------------------------------------------------------------------


def test_a_hard_link_to_a_file_outside_is_not_read(tmp_path: Path) -> None:
    """A hard link is the outside file under an inside name; confinement by path cannot see it."""
    (tmp_path / "outside").mkdir()
    secret = tmp_path / "outside" / "secret.csv"
    secret.write_text("受访者,总体满意度\nR1,很满意\n", encoding="utf-8")
    (tmp_path / "ev").mkdir()
    os.link(secret, tmp_path / "ev" / "r.csv")
    write(tmp_path, {"ev/e.yaml": survey_evidence("r.csv")})
    run = jixiao("eval", FOUNDING, "ev/e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "E640" in run.err and "hard links" in run.err


@pytest.mark.parametrize(
    ("name", "shown"),
    [("r.csv\n伪造的下一行", "r.csv\\n伪造的下一行"), ("a" * 5000 + ".csv", "a" * 120 + "…")],
)
def test_a_refused_file_name_is_shown_on_one_line(tmp_path: Path, name: str, shown: str) -> None:
    """A name with a line break printed the rest of the name as a line of its own."""
    write(tmp_path, {"e.yaml": survey_evidence(json.dumps(name, ensure_ascii=False))})
    run = jixiao("eval", FOUNDING, "e.yaml", cwd=tmp_path)
    assert run.code == 1
    line = next(x for x in run.err.splitlines() if x.startswith("error[E623]"))
    assert shown in line
    assert not any(x.startswith("伪造的下一行") for x in run.err.splitlines())


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_a_shown_file_name_is_always_one_short_line(name: str) -> None:
    shown = files.printable(name)
    assert len(shown.splitlines()) <= 1
    assert len(shown) <= 6 * files.MAX_NAME_SHOWN + 1


@given(st.text(alphabet=st.sampled_from("甲乙 \u00a0\u200b-—/无0123.,"), max_size=8))
def test_a_finding_is_either_counted_or_refused_never_blank(text: str) -> None:
    """Property: whatever an entry holds, it is a finding with visible, non-numeric text, or
    it is refused; and a cell that says nothing was found is never also a finding."""
    why = not_a_finding(text)
    if why is None:
        assert text.strip(" \u00a0\u200b")
        assert not nothing_found(text)
    if nothing_found(text):
        assert why is not None


def test_the_founding_survey_still_scores(tmp_path: Path) -> None:
    run = jixiao("eval", FOUNDING, SURVEY_EVIDENCE, "--format", "json", cwd=tmp_path)
    assert run.code == 0
    assert json.loads(run.out)["total"] == "87.74"


# ----- portfolio files and structure -------------------------------------------------------------

TABLE = "id,预算金额,实际支出,问题\np1,100,80,甲\np2,100,100,\n"


def scored(tmp_path: Path, name: str, data: bytes) -> tuple[int, str, list[tuple[str, object]]]:
    write(tmp_path, {"p.jx": BATCH_PACK, name: data})
    run = jixiao("eval", "p.jx", "--batch", name, "--output", "r.jsonl", cwd=tmp_path)
    out = tmp_path / "r.jsonl"
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return run.code, run.err, [(r["id"], r["total"]) for r in map(json.loads, lines)]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("u16.csv", TABLE.encode("utf-16")),  # Excel's "Unicode text": UTF-16 with a BOM …
        ("u16.txt", TABLE.replace(",", "\t").encode("utf-16")),  # … separated by tabs
        ("tabs.tsv", TABLE.replace(",", "\t").encode()),
        ("semi.csv", TABLE.replace(",", ";").encode()),
        ("gbk.csv", TABLE.encode("gb18030")),
        ("bom.csv", b"\xef\xbb\xbf" + TABLE.replace("\n", "\r\n").encode()),
        ("zw.csv", TABLE.replace("预算金额", "预算金额\u200b").encode()),
    ],
)
def test_a_table_is_read_by_what_it_is(tmp_path: Path, name: str, data: bytes) -> None:
    code, err, totals = scored(tmp_path, name, data)
    assert code == 0, err
    assert totals == [("p1", "80.00"), ("p2", "100.00")]


def test_a_quote_left_open_never_swallows_the_rows_after_it(tmp_path: Path) -> None:
    """`"甲` with no closing quote made p2's row a second finding of p1: 70.00, p2 gone."""
    code, err, totals = scored(tmp_path, "b.csv", (TABLE.replace("甲", '"甲')).encode())
    assert code == 1
    assert "b.csv" in err and "row 2" in err and "unexpected end of data" in err
    assert totals == []


@pytest.mark.parametrize("second", ["p1", " p1 ", "ｐ1"])
def test_a_project_id_given_twice_fails_its_later_row(tmp_path: Path, second: str) -> None:
    """Two projects under one id were both scored: which 80.00 or 100.00 is `p1`?"""
    code, err, totals = scored(tmp_path, "b.csv", TABLE.replace("p2", second).encode())
    assert code == 1
    assert "E653" in err and "b.csv, row 3" in err and "b.csv, row 2" in err
    assert totals == [("p1", "80.00"), (second.strip(), None)]


def test_two_files_of_a_folder_with_one_stem_are_one_id_twice(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "p.jx": BATCH_PACK,
            "f/a.yaml": EVIDENCE + "  问题: []\n",
            "f/a.json": '{"facts": {"预算金额": 100, "实际支出": 100, "问题": []}}',
        },
    )
    run = jixiao("eval", "p.jx", "--batch", "f", "--output", "r.jsonl", cwd=tmp_path)
    assert run.code == 1 and "E653" in run.err


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
        ("u16.csv", TABLE.encode("utf-16-le"), "byte-order mark"),
        ("cut.xlsx", b"PK\x03\x04" + b"\0" * 40, "XLSX"),
        ("empty.csv", b"", "empty"),
        ("bom.csv", b"\xef\xbb\xbf", "empty"),
    ],
)
def test_a_table_that_cannot_be_read_says_what_it_is(
    tmp_path: Path, name: str, data: bytes, said: str
) -> None:
    code, err, totals = scored(tmp_path, name, data)
    assert code == 1
    assert name in err and said in err
    assert "evidence is a YAML file" not in err
    assert totals == []


def test_a_survey_in_utf16_is_counted_like_its_utf8_original(tmp_path: Path) -> None:
    from .test_hostile import RESPONSES

    text = RESPONSES.read_text(encoding="utf-8")
    write(tmp_path, {"r.csv": text.encode("utf-16"), "e.yaml": survey_evidence("r.csv")})
    run = jixiao("eval", FOUNDING, "e.yaml", "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert json.loads(run.out)["total"] == "87.74"


def test_a_survey_with_a_quote_left_open_is_refused(tmp_path: Path) -> None:
    from .test_hostile import RESPONSES

    lines = RESPONSES.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",", ',"', 1)
    write(tmp_path, {"r.csv": "".join(lines), "e.yaml": survey_evidence("r.csv")})
    run = jixiao("eval", FOUNDING, "e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "r.csv" in run.err and "87.74" not in run.out


def test_a_workbook_saved_under_a_csv_name_is_read_as_a_workbook(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(TABLE)):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    code, err, totals = scored(tmp_path, "book.csv", data.getvalue())
    assert code == 0, err
    assert totals == [("p1", "80.00"), ("p2", "100.00")]


# ----- 自评表 cells --------------------------------------------------------------------------------

SELFEVAL_CLEAN = Path(__file__).resolve().parent.parent / "evidence" / "selfeval" / "clean.xlsx"


def selfeval_csv(tmp_path: Path, row: int, col: int, value: str) -> str:
    """The clean sample table as CSV, with one cell (0-based row and column) replaced."""
    import openpyxl

    grid = [
        ["" if v is None else v for v in r]
        for r in openpyxl.load_workbook(SELFEVAL_CLEAN).active.iter_rows(values_only=True)
    ]
    grid[row][col] = value
    out = io.StringIO()
    csv.writer(out).writerows(grid)
    (tmp_path / "t.csv").write_text(out.getvalue(), encoding="utf-8")
    return "t.csv"


@pytest.mark.parametrize(
    ("col", "value"),
    [(4, "1,2"), (5, "9,5"), (5, "10,0")],  # 实际完成值 `1,2` was 12; 分值 `9,5` was 95
)
def test_a_comma_that_groups_no_thousands_is_not_removed_in_a_selfeval_table(
    tmp_path: Path, col: int, value: str
) -> None:
    name = selfeval_csv(tmp_path, 9, col, value)
    run = jixiao("selfeval", name, cwd=tmp_path)
    assert run.code == 1
    assert "总分 —" in run.out
    assert "未发现问题" not in run.out


@pytest.mark.parametrize(("col", "value"), [(4, "1,000次"), (5, "10"), (4, "１２")])
def test_thousands_separators_and_full_width_digits_still_read_in_a_selfeval_table(
    tmp_path: Path, col: int, value: str
) -> None:
    name = selfeval_csv(tmp_path, 9, col, value)
    run = jixiao("selfeval", name, cwd=tmp_path)
    assert "总分 94.61" in run.out, run.text


# ----- invisible characters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [("很满意", "很满意\u200b"), ("很满意", "\ufeff很满意"), ("总体满意度", "总体满意度\u200b")],
)
def test_an_answer_or_question_with_an_invisible_character_counts_as_seen(
    tmp_path: Path, old: str, new: str
) -> None:
    """`很满意` pasted with a zero-width space was not 很满意: 83.88 where 87.74 is right."""
    from .test_hostile import RESPONSES

    text = RESPONSES.read_text(encoding="utf-8").replace(old, new)
    write(tmp_path, {"r.csv": text, "e.yaml": survey_evidence("r.csv")})
    run = jixiao("eval", FOUNDING, "e.yaml", "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert json.loads(run.out)["total"] == "87.74"


@pytest.mark.parametrize("value", ["100\u200b", "\u200b100", "1\u200b00", '"100\\u00ad"'])
def test_a_value_with_an_invisible_character_is_the_value_seen(tmp_path: Path, value: str) -> None:
    write(
        tmp_path,
        {
            "p.jx": BATCH_PACK,
            "e.yaml": f"facts:\n  预算金额: {value}\n  实际支出: 80\n  问题: []\n",
        },
    )
    run = jixiao("eval", "p.jx", "e.yaml", "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert json.loads(run.out)["total"] == "90.00"
    code, err, records = batch(tmp_path, [["p1", value.strip('"'), "80", ""]])
    if "\\" not in value:
        assert code == 0, err
        assert records[0]["total"] == "90.00"


# ----- escapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("e.json", '{"facts": {"预算金额": 100, "实际支出": 80, "问题": ["\\ud800"]}}'),
        ("e.yaml", 'facts:\n  预算金额: "\\udfff"\n  实际支出: 80\n  问题: []\n'),
        ("e.yaml", 'project: {name: "\\ud800"}\nfacts:\n  预算金额: 100\n  实际支出: 80\n'),
    ],
)
def test_half_a_character_is_refused_at_its_place(tmp_path: Path, name: str, text: str) -> None:
    """A lone surrogate escape (`"\\ud800"`) ended in exit 3 when the report was printed."""
    write(tmp_path, {"p.jx": BATCH_PACK, name: text})
    run = jixiao("eval", "p.jx", name, cwd=tmp_path)
    assert run.code == 1
    assert f"{name}:1:" in run.err or f"{name}:2:" in run.err


def test_a_character_escaped_as_two_halves_is_the_character(tmp_path: Path) -> None:
    """JSON writes 😀 as `"\\ud83d\\ude00"`: one finding called 😀."""
    text = '{"facts": {"预算金额": 100, "实际支出": 80, "问题": ["\\ud83d\\ude00"]}}'
    write(tmp_path, {"p.jx": BATCH_PACK, "e.json": text})
    run = jixiao("eval", "p.jx", "e.json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert "发现问题：😀" in run.out


def test_a_portfolio_summary_counts_only_the_projects_it_scored(tmp_path: Path) -> None:
    """One project, refused, was summed up as "1 project scored, 1 failed"."""
    code, err, _ = batch(tmp_path, [["p1", "100", "abc", ""]])
    assert code == 1
    assert "1 project: 0 scored, 1 failed" in err


def test_a_folder_file_named_with_a_line_break_is_one_line_of_the_report(tmp_path: Path) -> None:
    write(tmp_path, {"p.jx": BATCH_PACK, "f/a\n伪造.yaml": EVIDENCE.replace("80", "abc")})
    run = jixiao("eval", "p.jx", "--batch", "f", "--output", "r.jsonl", cwd=tmp_path)
    assert run.code == 1
    assert "project a\\n伪造: f/a\\n伪造.yaml:3:" in run.err
    assert not any(line.startswith("伪造") for line in run.err.splitlines())


def test_a_folder_file_that_cannot_be_read_is_not_called_a_table(tmp_path: Path) -> None:
    write(tmp_path, {"p.jx": BATCH_PACK, "f/ok.yaml": EVIDENCE + "  问题: []\n"})
    (tmp_path / "f" / "gone.yaml").symlink_to("nowhere.yaml")
    (tmp_path / "out.yaml").write_text(EVIDENCE + "  问题: []\n", encoding="utf-8")
    os.link(tmp_path / "out.yaml", tmp_path / "f" / "hard.yaml")
    run = jixiao("eval", "p.jx", "--batch", "f", "--output", "r.jsonl", cwd=tmp_path)
    assert run.code == 1
    assert "portfolio table" not in run.err
    assert "project gone: cannot read evidence file" in run.err
    assert "project hard: the file `f/hard.yaml` is not read" in run.err


@pytest.mark.parametrize("entry", ['"#REF!"', '"＃N/A"', '"=1+1"', '"+SUM(A1:A3)"', '"@x"'])
def test_an_error_value_or_formula_among_yaml_findings_is_refused(
    tmp_path: Path, entry: str
) -> None:
    """A portfolio cell refused these (E645, E646); in YAML evidence each was a finding."""
    write(tmp_path, {"p.jx": BATCH_PACK, "e.yaml": EVIDENCE + f"  问题: [合同未留存, {entry}]\n"})
    run = jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "E652" in run.err and "e.yaml:4:" in run.err


def test_an_error_value_in_a_yaml_text_fact_is_refused_a_formula_stays_text(
    tmp_path: Path,
) -> None:
    for value, code in (('"#REF!"', 1), ('"=1+1"', 0)):
        write(
            tmp_path,
            {
                "p.jx": BATCH_PACK + "fact 说明: text\n",
                "e.yaml": EVIDENCE + f"  问题: []\n  说明: {value}\n",
            },
        )
        run = jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path)
        assert run.code == code, run.text
        assert ("e.yaml:5:" in run.err) == (code == 1)


def test_a_survey_workbook_with_an_instructions_sheet_first_names_the_missing_question(
    tmp_path: Path,
) -> None:
    """With no respondents read, the only errors were "`有效问卷数` must not be 0"."""
    import openpyxl

    from .test_hostile import RESPONSES

    book = openpyxl.Workbook()
    book.active.append(["填表说明：请在第二张表填写"])
    answers = book.create_sheet("答卷")
    for row in csv.reader(io.StringIO(RESPONSES.read_text(encoding="utf-8"))):
        answers.append(row)
    book.save(tmp_path / "r.xlsx")
    write(tmp_path, {"e.yaml": survey_evidence("r.xlsx")})
    run = jixiao("eval", FOUNDING, "e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "no question `" in run.err and "first sheet" in run.err and "填表说明" in run.err


def test_a_yaml_merge_key_in_facts_is_named_not_silently_ignored(tmp_path: Path) -> None:
    text = "facts:\n  <<: {预算金额: 100}\n  实际支出: 80\n  问题: []\n"
    write(tmp_path, {"p.jx": BATCH_PACK, "e.yaml": text})
    run = jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "merge key" in run.err and "e.yaml:2:3" in run.err
