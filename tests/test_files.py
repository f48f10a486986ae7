"""Every file evidence names or a command reads as data is confined, bounded and read right:
never outside the evidence folder, never a device or FIFO, never past a named limit; XLSX read
by its cells (not its dimension record), error values and formulas refused, survey respondents
split only on real row ends, workers scoring the pack the parent read, every input digested."""

from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.runtime import files
from jixiao.engine.runtime.workbook import (
    MAX_COLUMNS,
    ErrorCell,
    FormulaCell,
    PercentCell,
    WorkbookError,
    open_workbook,
)

from .helpers import FOUNDING_PACK, ROOT, cli, rewrite_sheet, write_xlsx

SECRET = "SECRET-LINE root:x:0:0"

SURVEY_PACK = """pack "问卷" { total 10 }
survey 满意度调查 {
    fact 答卷数 = count nonzero
    fact 满意人数 = count where 总体评价 in ["很满意", "满意"]
}
let 满意率: percent = 满意人数 / 答卷数
indicator A "满意度" 10 { proportional 满意率 }
"""

PORTFOLIO_PACK = """pack "项目组合" { total 10 }
fact 完成率: percent
fact 问题清单: list
indicator A "完成情况" 5 { proportional 完成率 }
indicator B "问题整改" 5 {
    deduct 1 per 问题清单 "问题：{item}"
}
"""


def run_cli(*args: str, timeout: float = 20, stdin: bytes | None = None) -> tuple[int, str, str]:
    """The command in a process of its own, with a time limit: a hang fails the test."""
    proc = subprocess.run(
        [sys.executable, "-m", "jixiao.engine.cli", *args, "--color", "never"],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "JIXIAO_NO_CACHE": "1"},
        check=False,
    )
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


def survey_case(folder: Path, responses: str) -> tuple[Path, Path]:
    pack = folder / "pack.jx"
    pack.write_text(SURVEY_PACK, encoding="utf-8")
    evidence = folder / "evidence.yaml"
    evidence.write_text(
        f"surveys:\n  满意度调查: {json.dumps(responses, ensure_ascii=False)}\nfacts: {{}}\n",
        encoding="utf-8",
    )
    return pack, evidence


def scored_total(code: int, out: str) -> str:
    assert code == 0, out
    return str(json.loads(out)["total"])


# ----- confinement ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """root/secret.csv, root/outside/x.csv, and the evidence folder root/evid with files, a
    subfolder, and symlinks that stay inside and that leave."""
    root = tmp_path_factory.mktemp("tree")
    (root / "secret.csv").write_text(f"{SECRET}\n", encoding="utf-8")
    (root / "outside").mkdir()
    (root / "outside" / "x.csv").write_text(f"{SECRET}\n", encoding="utf-8")
    evid = root / "evid"
    (evid / "sub").mkdir(parents=True)
    (evid / "in.csv").write_text("总体评价\n满意\n", encoding="utf-8")
    (evid / "sub" / "in.csv").write_text("总体评价\n满意\n", encoding="utf-8")
    (evid / "link_in.csv").symlink_to(evid / "in.csv")
    (evid / "link_out.csv").symlink_to(root / "secret.csv")
    (evid / "dir_out").symlink_to(root / "outside")
    (evid / "sub" / "up.csv").symlink_to(Path("..") / ".." / "secret.csv")
    return root


PARTS = st.sampled_from(
    ["..", ".", "sub", "in.csv", "link_in.csv", "link_out.csv", "dir_out", "x.csv", "up.csv",
     "secret.csv", "evid", "outside", "", "\\.."]
)  # fmt: skip


@st.composite
def named_paths(draw: Any) -> str:
    parts = draw(st.lists(PARTS, min_size=1, max_size=6))
    name = "/".join(parts)
    if draw(st.booleans()):
        name = ("\\" if draw(st.booleans()) else "/").join(parts)
    if draw(st.integers(0, 4)) == 0:
        name = "/" + name  # absolute
    return name


@settings(max_examples=300)
@given(name=named_paths())
def test_any_path_an_evidence_file_names_never_reads_outside_the_evidence_folder(
    tree: Path, name: str
) -> None:
    evid = tree / "evid"
    folder = os.path.realpath(evid)
    try:
        real, data = files.read_named(name, str(evid / "evidence.yaml"))
    except files.FileRefused as exc:
        assert SECRET not in exc.refusal.text
        return
    assert os.path.commonpath([real, folder]) == folder
    assert SECRET.encode() not in data


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../secret.csv", "link_out.csv", "dir_out/x.csv", "sub/up.csv"]
)
def test_a_survey_outside_the_folder_is_refused_and_never_quoted(tree: Path, name: str) -> None:
    pack, evidence = survey_case(tree / "evid", name)
    code, out, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E640]" in err
    assert SECRET not in err + out and "root:x" not in err + out


def test_allow_dir_admits_another_folder(tree: Path) -> None:
    (tree / "outside" / "ok.csv").write_text("总体评价\n满意\n不满意\n", encoding="utf-8")
    pack, evidence = survey_case(tree / "evid", str(tree / "outside" / "ok.csv"))
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E640]" in err
    allow = ["--allow-dir", str(tree / "outside")]
    code, out, err = cli("eval", str(pack), str(evidence), *allow, "--format", "json")
    assert scored_total(code, out) == "5.00", err
    # the option does not outlive its command
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E640]" in err


def test_a_symlink_inside_the_folder_is_followed(tree: Path) -> None:
    pack, evidence = survey_case(tree / "evid", "link_in.csv")
    code, out, err = cli("eval", str(pack), str(evidence), "--format", "json")
    assert scored_total(code, out) == "10.00", err


# ----- devices, FIFOs, directories --------------------------------------------------------------


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.csv")
    pack, evidence = survey_case(tmp_path, "fifo.csv")
    code, _, err = run_cli("eval", str(pack), str(evidence))
    assert code == 1 and "[E641]" in err and "FIFO" in err
    code, _, err = run_cli("eval", str(pack), str(tmp_path / "fifo.csv"))
    assert code == 1 and "[E641]" in err
    code, _, err = run_cli("eval", str(pack), "--batch", str(tmp_path / "fifo.csv"))
    assert code == 1 and "[E641]" in err


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_without_growing(tmp_path: Path) -> None:
    pack, evidence = survey_case(tmp_path, "/dev/zero")
    code, _, err = run_cli("eval", str(pack), str(evidence), "--allow-dir", "/dev")
    assert code == 1 and "[E641]" in err and "device" in err
    for args in (
        ("eval", str(pack), "/dev/zero"),
        ("eval", "/dev/zero", str(evidence)),
        ("eval", str(pack), "--batch", "/dev/zero"),
        ("check", "/dev/zero"),
    ):
        code, _, err = run_cli(*args)
        assert code == 1 and "[E641]" in err, args


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    pack, evidence = survey_case(tmp_path, "d.csv")
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E641]" in err and "directory" in err


def test_size_limits_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_DATA_BYTES", 10)
    (tmp_path / "r.csv").write_text("总体评价\n" + "满意XYZ\n" * 10, encoding="utf-8")
    pack, evidence = survey_case(tmp_path, "r.csv")
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E642]" in err and "MAX_DATA_BYTES = 10 bytes" in err
    assert "XYZ" not in err


def test_a_folder_portfolio_never_follows_a_symlink_out(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text(f"facts: {{note: '{SECRET}'}}\n", encoding="utf-8")
    folder = tmp_path / "projects"
    folder.mkdir()
    good = (ROOT / "evidence" / "video-conference-2017.yaml").read_text(encoding="utf-8")
    (folder / "a.yaml").write_text(good, encoding="utf-8")
    (folder / "b.yaml").symlink_to(tmp_path / "secret.yaml")
    (folder / "c.yaml").symlink_to("/etc/passwd")
    os.mkfifo(folder / "d.yaml")
    code, out, err = run_cli("eval", str(FOUNDING_PACK), "--batch", str(folder))
    assert code == 1
    records = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert records["a"]["total"] == "87.74"
    for ident in ("b", "c", "d"):
        assert records[ident]["total"] is None
        assert any("E64" in e for e in records[ident]["errors"]), records[ident]
    assert SECRET not in out + err and "root:x" not in out + err


# ----- XLSX by its cells ------------------------------------------------------------------------


def stale(data: bytes) -> bytes:
    return re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:C3"/>', data)


def test_a_stale_dimension_loses_no_project(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    rows: list[list[Any]] = [["id", "完成率", "问题清单"]]
    rows += [[f"P{i}", "90%", "无"] for i in range(6)]
    table = tmp_path / "p.xlsx"
    write_xlsx(table, rows)
    rewrite_sheet(table, stale)
    # openpyxl's read-only mode trusts the record and sees 2 of the 6 projects
    old = openpyxl.load_workbook(table, read_only=True)
    assert len(list(old.active.iter_rows(values_only=True))) == 3
    old.close()
    code, out, err = cli("eval", str(pack), "--batch", str(table))
    assert code == 0, err
    assert [json.loads(x)["id"] for x in out.splitlines()] == [f"P{i}" for i in range(6)]
    assert "6 projects: 6 scored, 0 failed" in err


def test_a_stale_dimension_loses_no_respondent(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["总体评价"])
    for answer in ["满意", "不满意", "满意", "很满意", "不满意", "满意"]:
        sheet.append([answer])
    book.save(tmp_path / "r.xlsx")
    rewrite_sheet(tmp_path / "r.xlsx", stale)
    pack, evidence = survey_case(tmp_path, "r.xlsx")
    code, out, err = cli("eval", str(pack), str(evidence), "--format", "json")
    assert scored_total(code, out) == "6.67", err  # 4 of 6, not 2 of 2


def test_a_dimension_bomb_does_not_hang(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    table = tmp_path / "bomb.xlsx"
    write_xlsx(table, [["id", "完成率", "问题清单"], ["P1", "90%", "无"]])
    rewrite_sheet(
        table,
        lambda d: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', d),
    )
    assert table.stat().st_size < 10_000
    start = time.monotonic()
    code, out, err = run_cli("eval", str(pack), "--batch", str(table))
    assert time.monotonic() - start < 20
    assert code == 0 and json.loads(out)["total"] == "9.50", err


def test_a_cell_far_to_the_right_is_refused_by_name(tmp_path: Path) -> None:
    table = tmp_path / "far.xlsx"
    write_xlsx(table, [["id"], ["P1"]])
    rewrite_sheet(
        table,
        lambda d: d.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            b"</sheetData>",
        ),
    )
    with open_workbook(str(table)) as book, pytest.raises(WorkbookError) as exc:
        list(book.first_sheet().rows())
    assert exc.value.limit == "MAX_COLUMNS" and f"{MAX_COLUMNS:,}" in exc.value.text


def shared_strings_bomb(path: Path, megabytes: int) -> None:
    """A workbook whose shared strings expand to `megabytes` MB: small on disk."""
    write_xlsx(path, [["id", "完成率", "问题清单"], ["P1", "90%", "无"]])
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name != "xl/sharedStrings.xml":
                z.writestr(name, data)
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            block = b"<si><t>" + b"A" * 30_000 + b"</t></si>"
            for _ in range(megabytes * 1_000_000 // len(block)):
                f.write(block)
            f.write(b"</sst>")


def test_a_shared_strings_bomb_is_refused_quickly_and_small(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    table = tmp_path / "bomb.xlsx"
    shared_strings_bomb(table, 300)
    assert table.stat().st_size < 2_000_000
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    code, _, err = run_cli("eval", str(pack), "--batch", str(table))
    assert time.monotonic() - start < 20
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert code == 1 and "[E643]" in err and "sharedStrings" in err, err
    assert max(peak_kib, before) < 512 * 1024  # well under 1 GiB
    assert "MAX_COMPRESSION_RATIO" in err or "MAX_SHARED_STRINGS_BYTES" in err


def test_limits_are_checked_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet just over the uncompressed limit is refused from the zip's directory alone."""
    from jixiao.engine.runtime import workbook

    table = tmp_path / "t.xlsx"
    write_xlsx(table, [["id"], ["P1"]])
    monkeypatch.setattr(workbook, "MAX_SHEET_XML_BYTES", 100)
    with open_workbook(str(table)) as book, pytest.raises(WorkbookError) as exc:
        list(book.first_sheet().rows())
    assert exc.value.limit == "MAX_SHEET_XML_BYTES"
    assert "MAX_SHEET_XML_BYTES = 100 bytes" in exc.value.text


def test_a_dtd_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "t.xlsx"
    write_xlsx(table, [["id"], ["P1"]])
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
    rewrite_sheet(table, lambda d: laughs + re.sub(rb"^<\?xml[^>]*\?>", b"", d))
    with open_workbook(str(table)) as book, pytest.raises(WorkbookError) as exc:
        list(book.first_sheet().rows())
    assert "DTD" in exc.value.text


def test_cells_that_are_not_data_are_marked(tmp_path: Path) -> None:
    table = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["a", "b", "c", "d"])
    sheet.append(["#DIV/0!", "=1+1", 0.9, 0.9])
    sheet["C2"].number_format = "0%"
    book.save(table)
    with open_workbook(str(table)) as wb:
        rows = list(wb.first_sheet().rows())
    assert rows[1] == (2, (ErrorCell("#DIV/0!"), FormulaCell("1+1"), PercentCell(0.9), 0.9))


# ----- formula and error cells in portfolios and surveys ----------------------------------------


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("#REF!", "E645"),
        ("#DIV/0!", "E645"),
        ("#N/A", "E645"),
        ("#name?", "E645"),
        ("＃REF！", "E645"),
        ("=1+1", "E646"),
        ("@SUM(A1)", "E646"),
        ("+A1+B1", "E646"),
        ("-SUM(A1:A3)", "E646"),
        ("问题一；#VALUE!", "E645"),
    ],
)
def test_a_findings_cell_that_is_not_data_is_refused(tmp_path: Path, cell: str, code: str) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    table = tmp_path / "p.csv"
    table.write_text(f'id,完成率,问题清单\nP1,90%,"{cell}"\nP2,90%,无\n', encoding="utf-8")
    code_, out, _ = cli("eval", str(pack), "--batch", str(table))
    records = [json.loads(x) for x in out.splitlines()]
    assert code_ == 1 and records[1]["total"] == "9.50"
    assert records[0]["total"] is None and f"[{code}]" in records[0]["errors"][0]
    assert "row 2, column C (问题清单)" in records[0]["errors"][0]


@pytest.mark.parametrize("cell", ["-3", "- 整改不到位", "-", "+5"])
def test_signed_numbers_and_dashes_are_not_formulas(cell: str) -> None:
    assert not files.looks_like_formula(cell)


def test_xlsx_error_and_uncached_formula_cells_are_refused(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    table = tmp_path / "p.xlsx"
    write_xlsx(
        table,
        [["id", "完成率", "问题清单"], ["P1", "90%", "#REF!"], ["P2", "90%", '=IF(1,"","")'],
         ["P3", "=0.9", "无"], ["P4", "90%", None]],
    )  # fmt: skip
    code, out, err = cli("eval", str(pack), "--batch", str(table))
    records = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert code == 1
    assert "[E645]" in records["P1"]["errors"][0] and "sheet 项目, cell C2" in err
    assert "[E646]" in records["P2"]["errors"][0] and "saved without its value" in err
    assert "[E646]" in records["P3"]["errors"][0]
    assert records["P4"]["total"] == "9.50"  # an empty findings cell: nothing found


def test_survey_cells_that_are_not_data_name_file_row_and_column(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("编号,总体评价\n1,满意\n2,#N/A\n", encoding="utf-8")
    pack, evidence = survey_case(tmp_path, "r.csv")
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E645]" in err and "r.csv, row 3, column B" in err
    book = openpyxl.Workbook()
    book.active.append(["总体评价"])
    book.active.append(["=A1"])
    book.save(tmp_path / "r.xlsx")
    pack, evidence = survey_case(tmp_path, "r.xlsx")
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E646]" in err and "r.xlsx, row 2, column A" in err


# ----- percent cells ----------------------------------------------------------------------------


def test_an_excel_percent_cell_means_its_fraction_and_a_bare_number_above_1_is_refused(
    tmp_path: Path,
) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "项目"
    sheet.append(["id", "完成率", "问题清单"])
    sheet.append(["formatted", 0.8, "无"])  # shown as 80%
    sheet.append(["typed", 0.8, "无"])  # 0.8 in a General cell: the fraction, as before
    sheet.append(["ambiguous", 1.5, "无"])  # 1.5 % or 150 %?
    sheet["B2"].number_format = "0%"
    book.save(tmp_path / "p.xlsx")
    code, out, err = cli("eval", str(pack), "--batch", str(tmp_path / "p.xlsx"))
    records = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert code == 1
    assert records["formatted"]["total"] == records["typed"]["total"] == "9.00"
    assert records["ambiguous"]["total"] is None
    assert "[E649]" in records["ambiguous"]["errors"][0] and "cell B4" in err


# ----- survey rows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "char", ["\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x1c", "\x1d", "\x1e", "\r\n", "\n"]
)
def test_a_line_separator_inside_a_quoted_answer_does_not_split_a_respondent(
    tmp_path: Path, char: str
) -> None:
    text = f'编号,备注,总体评价\n1,"好{char}很好",满意\n2,"差{char}差",不满意\n'
    (tmp_path / "r.csv").write_bytes(text.encode("utf-8"))
    pack, evidence = survey_case(tmp_path, "r.csv")
    code, out, err = cli("eval", str(pack), str(evidence), "--format", "json")
    assert scored_total(code, out) == "5.00", err  # 1 of 2 respondents


def test_a_question_column_given_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("总体评价,编号,总体评价\n满意,1,不满意\n", encoding="utf-8")
    pack, evidence = survey_case(tmp_path, "r.csv")
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E648]" in err and "column A and column C" in err


def test_a_huge_csv_cell_is_a_clear_error(tmp_path: Path) -> None:
    huge = "x" * (files.MAX_CSV_FIELD + 10)
    (tmp_path / "r.csv").write_text(f'总体评价\n"{huge}"\n满意\n', encoding="utf-8")
    pack, evidence = survey_case(tmp_path, "r.csv")
    code, out, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E647]" in err and "MAX_CSV_FIELD = 131,072" in err
    assert huge not in err + out
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    (tmp_path / "p.csv").write_text(f'id,完成率,问题清单\nP1,90%,"{huge}\n', encoding="utf-8")
    code, out, err = cli("eval", str(pack), "--batch", str(tmp_path / "p.csv"))
    assert code == 1 and "[E647]" in err and "p.csv, row 2" in err and out == ""


# ----- workers and a piped pack -----------------------------------------------------------------


def test_a_piped_pack_scores_in_workers_as_it_does_serially(tmp_path: Path) -> None:
    from .test_batch import portfolio

    table = tmp_path / "p.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        import csv

        csv.writer(f).writerows(portfolio(600))
    text = FOUNDING_PACK.read_bytes()
    code1, serial, _ = run_cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--jobs", "1")
    code2, piped, err = run_cli(
        "eval", "/dev/stdin", "--batch", str(table), "--jobs", "2", stdin=text, timeout=120
    )
    assert code1 == code2 == 1, err  # the portfolio has bad rows on purpose
    assert piped == serial
    totals = [json.loads(x)["total"] for x in piped.splitlines()]
    assert len(totals) == 600 and "87.74" in totals


# ----- digests ----------------------------------------------------------------------------------


def test_the_responses_file_is_in_the_digests(tmp_path: Path) -> None:
    for name in ("video-conference-2017-survey.yaml", "video-conference-2017-responses.csv"):
        (tmp_path / name).write_bytes((ROOT / "evidence" / name).read_bytes())
    evidence = tmp_path / "video-conference-2017-survey.yaml"
    responses = tmp_path / "video-conference-2017-responses.csv"

    def report() -> dict[str, Any]:
        code, out, err = cli("eval", str(FOUNDING_PACK), str(evidence), "--format", "json")
        assert code == 0, err
        return dict(json.loads(out))

    before = report()
    assert before["total"] == "87.74"
    [entry] = before["evidence"]["inputs"]
    assert entry["path"].endswith("video-conference-2017-responses.csv")
    assert entry["sha256"] == files.sha256(responses.read_bytes())
    rows = responses.read_text(encoding="utf-8").splitlines()
    responses.write_text("\n".join(rows[:-1]) + "\n", encoding="utf-8")  # one respondent less
    after = report()
    assert after["evidence"]["sha256"] == before["evidence"]["sha256"]
    assert after["evidence"]["inputs"][0]["sha256"] != entry["sha256"]
    _, out, _ = cli("eval", str(FOUNDING_PACK), str(evidence))
    assert f"SHA-256 {files.sha256(responses.read_bytes())}" in out


def test_folder_portfolio_records_carry_their_inputs(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    for name in ("video-conference-2017-survey.yaml", "video-conference-2017-responses.csv"):
        (folder / name).write_bytes((ROOT / "evidence" / name).read_bytes())
    code, out, err = cli("eval", str(FOUNDING_PACK), "--batch", str(folder))
    [record] = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and record["total"] == "87.74", err
    paths = [Path(i["path"]).name for i in record["inputs"]]
    assert paths == ["video-conference-2017-survey.yaml", "video-conference-2017-responses.csv"]


def test_the_founding_golden_reports_no_inputs() -> None:
    code, out, _ = cli("eval", str(FOUNDING_PACK), str(ROOT / "evidence" / "video-conference-2017.yaml"), "--format", "json")  # fmt: skip
    assert code == 0 and "inputs" not in json.loads(out)["evidence"]


def test_read_given_reads_stdin_pipes_only(tmp_path: Path) -> None:
    """A FIFO the user names is refused without blocking; only this process's own piped
    standard input is read (see the piped-pack test)."""
    os.mkfifo(tmp_path / "f")
    with pytest.raises(files.FileRefused) as exc:
        files.read_given(str(tmp_path / "f"), 10, "LIMIT")
    assert exc.value.refusal.kind == "special"


def test_a_cell_over_the_text_limit_fails_the_rest_of_the_sheet_by_name(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    table = tmp_path / "p.xlsx"
    rows: list[list[Any]] = [["id", "完成率", "问题清单"]]
    write_xlsx(table, rows + [[f"P{i}", "90%", "无"] for i in range(3000)])
    long = b"x" * 40_000
    rewrite_sheet(
        table,
        lambda d: d.replace(
            b"</sheetData>",
            b'<row r="3002"><c r="A3002" t="inlineStr"><is><t>' + long + b"</t></is></c></row>"
            b"</sheetData>",
        ),
    )
    code, out, err = run_cli("eval", str(pack), "--batch", str(table), "--jobs", "1")
    records = [json.loads(x) for x in out.splitlines()]
    assert code == 1 and records[0]["total"] == "9.50" and len(records) > 1
    assert "[E643]" in records[-1]["errors"][0] and "MAX_CELL_CHARS = 32,767" in err
    assert "xxxxxxxxxx" not in out + err
    # the same cell in the first block is refused before any project is scored
    write_xlsx(table, [*rows, ["P1", "90%", "无"]])
    rewrite_sheet(
        table,
        lambda d: d.replace(
            b"</sheetData>",
            b'<row r="3"><c r="A3" t="inlineStr"><is><t>' + long + b"</t></is></c></row>"
            b"</sheetData>",
        ),
    )
    code, out, err = run_cli("eval", str(pack), "--batch", str(table))
    assert code == 1 and out == "" and "[E643]" in err and "cell A3" in err


# ----- properties of reading cells --------------------------------------------------------------

ANSWER = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@settings(max_examples=200)
@given(answers=st.lists(st.tuples(ANSWER, ANSWER), min_size=1, max_size=8))
def test_any_quoted_answer_survives_as_one_respondent(answers: list[tuple[str, str]]) -> None:
    """Whatever an answer holds — line breaks, U+2028, VT, FF, NEL, FS/GS/RS, quotes, commas —
    a CSV written by a spreadsheet reads back as the same respondents with the same answers."""
    import csv

    from jixiao.engine.runtime.survey import SurveyError, _csv_rows

    for a, b in answers:
        for text in (a.strip(), b.strip()):
            assume_data(text)
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(["编号", "甲", "乙"])
    for i, (a, b) in enumerate(answers):
        writer.writerow([str(i), a, b])
    try:
        rows = _csv_rows("r.csv", out.getvalue().encode("utf-8"))
    except SurveyError as exc:  # pragma: no cover - a failure shows the message
        raise AssertionError(str(exc)) from None
    assert [r for _, r in rows[1:]] == [
        [str(i), a.strip(), b.strip()] for i, (a, b) in enumerate(answers)
    ]


def assume_data(text: str) -> None:
    from hypothesis import assume

    assume(not files.looks_like_formula(text) and not files.is_error_text(text))


@given(
    number=st.decimals(allow_nan=False, allow_infinity=False, places=3),
    sign=st.sampled_from(["", "+", "-"]),
    suffix=st.sampled_from(["", "%", "万元", "元"]),
)
def test_a_signed_number_is_never_a_formula(number: Any, sign: str, suffix: str) -> None:
    text = f"{sign}{abs(number)}{suffix}"
    assert not files.looks_like_formula(text)


@given(body=st.text(min_size=1, max_size=20))
def test_a_cell_starting_with_equals_or_at_is_always_a_formula(body: str) -> None:
    assert files.looks_like_formula("=" + body) and files.looks_like_formula("@" + body)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_every_report_format_records_the_responses_digest(fmt: str) -> None:
    evidence = ROOT / "evidence" / "video-conference-2017-survey.yaml"
    responses = ROOT / "evidence" / "video-conference-2017-responses.csv"
    code, out, _ = cli("eval", str(FOUNDING_PACK), str(evidence), "--format", fmt)
    assert code == 0 and files.sha256(responses.read_bytes()) in out


def test_rows_out_of_order_and_too_many_cells_are_refused_before_scoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small file cannot ask for unbounded work: rows and cells must ascend (as Excel writes
    them) and the cells of a sheet are counted against MAX_CELLS in the first pass."""
    from jixiao.engine.runtime import workbook

    table = tmp_path / "t.xlsx"
    write_xlsx(table, [["id"], ["P1"]])
    again = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>' * 3
    rewrite_sheet(table, lambda d: d.replace(b"</sheetData>", again + b"</sheetData>"))
    with open_workbook(str(table)) as book, pytest.raises(WorkbookError) as exc:
        book.first_sheet().count()
    assert "rows must ascend" in exc.value.text
    write_xlsx(table, [["id", "a", "b"], *[[f"P{i}", 1, 2] for i in range(10)]])
    monkeypatch.setattr(workbook, "MAX_CELLS", 20)
    with open_workbook(str(table)) as book, pytest.raises(WorkbookError) as exc:
        book.first_sheet().count()
    assert exc.value.limit == "MAX_CELLS" and "MAX_CELLS = 20" in exc.value.text


def test_only_the_questions_the_pack_reads_must_be_data(tmp_path: Path) -> None:
    """A free-text column the pack never reads may hold anything (`@张三`, `=)`, `#N/A`)."""
    (tmp_path / "r.csv").write_text(
        "编号,意见,总体评价\n1,@张三 很好,满意\n2,#N/A,不满意\n3,=),满意\n", encoding="utf-8"
    )
    pack, evidence = survey_case(tmp_path, "r.csv")
    code, out, err = cli("eval", str(pack), str(evidence), "--format", "json")
    assert scored_total(code, out) == "6.67", err


@pytest.mark.parametrize(
    "inline", ["[满意, {总体评价: 满意}]", "[{总体评价: [满意]}, {总体评价: 满意}]"]
)
def test_an_inline_respondent_of_another_shape_is_refused_not_skipped(
    tmp_path: Path, inline: str
) -> None:
    pack = tmp_path / "pack.jx"
    pack.write_text(SURVEY_PACK, encoding="utf-8")
    evidence = tmp_path / "e.yaml"
    evidence.write_text(f"surveys:\n  满意度调查: {inline}\nfacts: {{}}\n", encoding="utf-8")
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E602]" in err


def test_allowed_folders_reach_the_worker_processes(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "r.csv").write_text("总体评价\n满意\n不满意\n", encoding="utf-8")
    folder = tmp_path / "projects"
    folder.mkdir()
    pack = tmp_path / "pack.jx"
    pack.write_text(SURVEY_PACK, encoding="utf-8")
    for i in range(3):
        (folder / f"p{i}.yaml").write_text(
            "surveys:\n  满意度调查: ../shared/r.csv\nfacts: {}\n", encoding="utf-8"
        )
    outs = []
    for jobs in ("1", "2"):
        code, out, err = run_cli(
            "eval", str(pack), "--batch", str(folder), "--jobs", jobs, "--allow-dir", str(shared)
        )
        assert code == 0, err
        outs.append(out)
    assert outs[0] == outs[1]
    assert [json.loads(x)["total"] for x in outs[0].splitlines()] == ["5.00"] * 3
    code, out, _ = run_cli("eval", str(pack), "--batch", str(folder), "--jobs", "2")
    records = [json.loads(x) for x in out.splitlines()]
    assert code == 1 and [r["total"] for r in records] == [None] * 3
    assert all("outside the evidence folder" in r["errors"][0] for r in records)


def test_a_folder_summary_digest_covers_the_responses_beside_the_evidence(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    for name in ("video-conference-2017-survey.yaml", "video-conference-2017-responses.csv"):
        (folder / name).write_bytes((ROOT / "evidence" / name).read_bytes())
    digests = []
    for _ in range(2):
        summary = tmp_path / "s.json"
        code, _, err = cli(
            "eval", str(FOUNDING_PACK), "--batch", str(folder), "--summary", str(summary)
        )
        assert code == 0, err
        digests.append(json.loads(summary.read_text(encoding="utf-8"))["input_sha256"])
        responses = folder / "video-conference-2017-responses.csv"
        responses.write_text(responses.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert digests[0] != digests[1]


def test_piped_evidence_names_files_in_the_current_folder_only(tmp_path: Path) -> None:
    pack, evidence = survey_case(tmp_path, "r.csv")
    (tmp_path / "r.csv").write_text("总体评价\n满意\n不满意\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "jixiao.engine.cli", "eval", str(pack), "/dev/stdin",
         "--format", "json"],
        input=evidence.read_bytes(), capture_output=True, timeout=20, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["total"] == "5.00"
    for name in ("zero", "shm/x", "fd/0", "stdin"):
        text = f"surveys:\n  满意度调查: {name}\nfacts: {{}}\n".encode()
        proc = subprocess.run(
            [sys.executable, "-m", "jixiao.engine.cli", "eval", str(pack), "/dev/stdin"],
            input=text, capture_output=True, timeout=20, cwd=tmp_path, check=False,
        )  # fmt: skip
        assert proc.returncode == 1, name


@pytest.fixture(scope="module")
def small_xlsx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("x") / "p.xlsx"
    write_xlsx(path, [["id", "完成率", "问题清单"], *[[f"P{i}", "90%", "无"] for i in range(5)]])
    return path.read_bytes()


@settings(max_examples=60)
@given(data=st.data())
def test_a_damaged_workbook_scores_or_is_refused_cleanly(
    small_xlsx: bytes, tmp_path_factory: pytest.TempPathFactory, data: Any
) -> None:
    """Any few bytes changed anywhere in an XLSX: a score or a clean refusal, never exit 3."""
    damaged = bytearray(small_xlsx)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    folder = tmp_path_factory.mktemp("d")
    (folder / "p.xlsx").write_bytes(bytes(damaged))
    (folder / "p.jx").write_text(PORTFOLIO_PACK, encoding="utf-8")
    code, _, err = cli("eval", str(folder / "p.jx"), "--batch", str(folder / "p.xlsx"))
    assert code in (0, 1), err
    assert "internal error" not in err and "Traceback" not in err


def test_an_encrypted_workbook_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "p.jx").write_text(PORTFOLIO_PACK, encoding="utf-8")
    (tmp_path / "p.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    code, _, err = cli("eval", str(tmp_path / "p.jx"), "--batch", str(tmp_path / "p.xlsx"))
    assert code == 1 and "[E644]" in err and "password" in err


@settings(max_examples=100)
@given(cells=st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=4), max_size=4))
def test_any_portfolio_csv_scores_or_is_refused_cleanly(
    tmp_path_factory: pytest.TempPathFactory, cells: list[list[str]]
) -> None:
    import csv

    folder = tmp_path_factory.mktemp("c")
    (folder / "p.jx").write_text(PORTFOLIO_PACK, encoding="utf-8")
    with (folder / "p.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "完成率", "问题清单"])
        writer.writerows(cells)
    code, _, err = cli("eval", str(folder / "p.jx"), "--batch", str(folder / "p.csv"))
    assert code in (0, 1), err
    assert "internal error" not in err and "Traceback" not in err


def test_a_socket_is_refused_as_such(tmp_path: Path) -> None:
    import socket

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(tmp_path / "s.csv"))
        pack, evidence = survey_case(tmp_path, "s.csv")
        code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
        assert code == 1 and "[E641]" in err and "socket" in err
        code, _, err = cli("eval", str(pack), str(tmp_path / "s.csv"), "--color", "never")
        assert code == 1 and "[E641]" in err
    finally:
        server.close()


def test_a_line_of_a_million_cells_is_refused_by_its_length(tmp_path: Path) -> None:
    commas = "," * (files.MAX_CSV_LINE + 1)
    (tmp_path / "r.csv").write_text(f"总体评价\n满意{commas}\n", encoding="utf-8")
    pack, evidence = survey_case(tmp_path, "r.csv")
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E647]" in err and "MAX_CSV_LINE = 1,048,576" in err
    pack = tmp_path / "p.jx"
    pack.write_text(PORTFOLIO_PACK, encoding="utf-8")
    (tmp_path / "p.csv").write_text(f"id,完成率,问题清单\nP1,90%,无{commas}\n", encoding="utf-8")
    code, out, err = cli("eval", str(pack), "--batch", str(tmp_path / "p.csv"))
    assert code == 1 and "[E647]" in err and "p.csv, line 2" in err and out == ""


def test_wide_rows_are_bounded_in_surveys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jixiao.engine.runtime import survey

    monkeypatch.setattr(survey, "MAX_ANSWERS", 10)
    rows = "总体评价,a,b\n" + "满意,1,2\n" * 4
    (tmp_path / "r.csv").write_text(rows, encoding="utf-8")
    pack, evidence = survey_case(tmp_path, "r.csv")
    code, _, err = cli("eval", str(pack), str(evidence), "--color", "never")
    assert code == 1 and "[E650]" in err and "MAX_ANSWERS = 10" in err


def test_a_shells_process_substitution_is_read_but_a_named_fifo_is_not(tmp_path: Path) -> None:
    evidence = ROOT / "evidence" / "video-conference-2017.yaml"
    script = f'"{sys.executable}" -m jixiao.engine.cli eval "{FOUNDING_PACK}" <(cat "{evidence}")'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, timeout=20, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "87.74" in proc.stdout.decode()
