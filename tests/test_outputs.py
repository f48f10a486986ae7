"""Outputs: never written over an input — by path, symlink or hard link — and every way writing
can fail is a diagnostic with exit 1, before the work where it can be told; and every workbook
jixiao writes is a spreadsheet a bureau can use as it is."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, ROOT, cli

SELFEVAL_TABLE = ROOT / "evidence" / "selfeval" / "clean.xlsx"


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    """A two-project portfolio of the founding pack, as CSV."""
    import yaml

    facts = yaml.safe_load(FOUNDING_EVIDENCE.read_text(encoding="utf-8"))["facts"]
    cells = {}
    for name, value in facts.items():
        value = value["value"] if isinstance(value, dict) else value
        if isinstance(value, list):
            value = "；".join(x["item"] if isinstance(x, dict) else str(x) for x in value)
        cells[name] = value
    path = tmp_path / "p.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", *cells])
        out.writerow(["P1", *cells.values()])
        out.writerow(["P2", *cells.values()])
    return path


def _refused(result: tuple[int, str, str], code: str = "E680") -> str:
    status, _, err = result
    assert status == 1 and f"error[{code}]" in err, err
    assert "internal error" not in err and "Traceback" not in err
    return err


def _links(tmp_path: Path, target: Path) -> list[Path]:
    """The same file under three other names: a copy of its path, a symlink, a hard link."""
    symlink, hardlink = tmp_path / "link.out", tmp_path / "hard.out"
    symlink.symlink_to(target)
    os.link(target, hardlink)
    return [target, Path(os.path.relpath(target)), symlink, hardlink]


def test_batch_output_over_the_portfolio_is_refused(portfolio: Path, tmp_path: Path) -> None:
    """The finding: `--batch p.csv --output p.csv` truncated the portfolio, scored 0 projects
    and exited 0."""
    before = portfolio.read_bytes()
    for name in _links(tmp_path, portfolio):
        for option in ("--output", "--summary"):
            err = _refused(
                cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio), option, str(name))
            )
            assert "the portfolio" in err and " scored, " not in err
            assert portfolio.read_bytes() == before
    status, _, err = cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio))
    assert status == 0 and "2 projects: 2 scored, 0 failed" in err


def test_batch_output_over_the_pack_or_each_other_is_refused(
    portfolio: Path, tmp_path: Path
) -> None:
    pack = tmp_path / "pack.jx"
    shutil.copy(FOUNDING_PACK, pack)
    before = pack.read_bytes()
    _refused(cli("eval", str(pack), "--batch", str(portfolio), "--output", str(pack)))
    assert pack.read_bytes() == before
    same = str(tmp_path / "r.json")
    err = _refused(
        cli("eval", str(pack), "--batch", str(portfolio), "--output", same, "--summary", same)
    )
    assert "--output" in err and not Path(same).exists()


def test_batch_output_inside_the_folder_scored_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    shutil.copy(FOUNDING_EVIDENCE, folder / "a.yaml")
    (folder / "responses.csv").write_text("q1\n5\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for name in ("a.yaml", "b.yaml", "responses.csv"):
        err = _refused(
            cli("eval", str(FOUNDING_PACK), "--batch", str(folder), "--output", str(folder / name))
        )
        assert "inside" in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # a new report beside the evidence is no input: it may be written there
    status, _, err = cli(
        "eval", str(FOUNDING_PACK), "--batch", str(folder), "--summary", str(folder / "s.html")
    )
    assert status == 0, err


def test_eval_output_over_its_inputs_is_refused(tmp_path: Path) -> None:
    pack, evidence = tmp_path / "p.jx", tmp_path / "e.yaml"
    shutil.copy(FOUNDING_PACK, pack)
    shutil.copy(FOUNDING_EVIDENCE, evidence)
    for target, role in ((pack, "the pack"), (evidence, "the evidence")):
        before = target.read_bytes()
        for name in _links(tmp_path, target):
            for fmt in ("json", "xlsx"):
                err = _refused(
                    cli("eval", str(pack), str(evidence), "--output", str(name), "--format", fmt)
                )
                assert role in err
            assert target.read_bytes() == before
        (tmp_path / "link.out").unlink()
        (tmp_path / "hard.out").unlink()


def test_selfeval_outputs_over_the_table_are_refused(tmp_path: Path) -> None:
    table = tmp_path / "t.xlsx"
    shutil.copy(SELFEVAL_TABLE, table)
    before = table.read_bytes()
    for option in ("--output", "--emit-pack"):
        err = _refused(cli("selfeval", str(table), option, str(table)))
        assert "the table" in err
    assert table.read_bytes() == before
    template = tmp_path / "template.jx"
    shutil.copy(ROOT / "rules" / "self-evaluation.jx", template)
    _refused(cli("selfeval", str(table), "--template", str(template), "--emit-pack", str(template)))


@pytest.mark.parametrize("where", ["missing/r.json", "missing/deeper/r.xlsx"])
def test_a_missing_output_folder_is_a_clear_error(tmp_path: Path, where: str) -> None:
    """It was exit 3 (an internal error) after all the work."""
    out = str(tmp_path / where)
    err = _refused(cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--output", out), "E681")
    assert "does not exist" in err


def test_a_missing_folder_stops_a_batch_before_scoring(portfolio: Path, tmp_path: Path) -> None:
    for option in ("--output", "--summary"):
        out = str(tmp_path / "missing" / "r.csv")
        err = _refused(
            cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio), option, out), "E681"
        )
        assert "scored" not in err


def test_an_output_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    err = _refused(
        cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--output", str(tmp_path)), "E681"
    )
    assert "folder" in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_a_clear_error(portfolio: Path) -> None:
    """/dev/full fails every write with ENOSPC, as a full disk does."""
    for fmt in ("json", "xlsx"):
        args = ("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", fmt)
        err = _refused(cli(*args, "--output", "/dev/full"), "E681")
        assert "the disk is full" in err
    for option, name in (("--output", "/dev/full"), ("--summary", "/dev/full")):
        err = _refused(
            cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio), option, name), "E681"
        )
        assert "the disk is full" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_folder_without_permission_is_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        out = str(locked / "r.json")
        err = _refused(
            cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--output", out), "E681"
        )
        assert "permission" in err
    finally:
        locked.chmod(0o700)


# ----- a terminal that cannot encode Chinese ------------------------------------------------------


def _jixiao(*args: str, encoding: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUTF8", "LC_ALL", "LANG")}
    env["PYTHONIOENCODING"] = encoding
    return subprocess.run(
        [sys.executable, "-m", "jixiao.engine.cli", *args],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("encoding", ["ascii", "cp1252", "latin-1"])
def test_a_terminal_without_chinese_gets_escapes_and_a_note(encoding: str, tmp_path: Path) -> None:
    """It was exit 3 (UnicodeEncodeError) for every command that prints Chinese."""
    broken = tmp_path / "broken.jx"
    broken.write_text('fact 完成: bool\nindicator A "产出" 100 { full when 完成率 }\n', "utf-8")
    runs = [
        (_jixiao("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), encoding=encoding), 0),
        (_jixiao("check", str(broken), encoding=encoding), 1),
        (_jixiao("eval", "--help", encoding=encoding), 0),
    ]
    for proc, status in runs:
        err = proc.stderr.decode(encoding)
        assert proc.returncode == status, err
        assert "Traceback" not in err and "internal error" not in err
        assert err.startswith("note: the output encoding") and "PYTHONIOENCODING=utf-8" in err
        proc.stdout.decode(encoding)  # every byte in the terminal's encoding
    eval_out = runs[0][0].stdout.decode(encoding)
    assert "87.74" in eval_out and "\\u826f" in eval_out  # 良, escaped
    assert "\\u5b8c\\u6210\\u7387" in runs[1][0].stderr.decode(encoding)  # `完成率`


def test_a_terminal_with_chinese_gets_no_note() -> None:
    for encoding in ("utf-8", "gb18030"):
        proc = _jixiao("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), encoding=encoding)
        assert proc.returncode == 0 and not proc.stderr.decode(encoding).startswith("note:")
        assert "良" in proc.stdout.decode(encoding)


def test_fmt_reads_a_piped_pack_whatever_the_locale() -> None:
    text = 'fact 完成: bool\nindicator A "产出" 100 { full when 完成 }\n'
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUTF8", "LC_ALL", "LANG")}
    env["PYTHONIOENCODING"] = "ascii"
    proc = subprocess.run(
        [sys.executable, "-m", "jixiao.engine.cli", "fmt", "-"],
        input=text.encode("utf-8"),
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\\u4ea7\\u51fa" in proc.stdout.decode("ascii")  # 产出


# ----- property: however an input is spelled, it is never an output ------------------------------


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    spelling=st.lists(
        st.sampled_from(["dot", "parent", "symlink", "hardlink", "folder-link", "absolute"]),
        min_size=1,
        max_size=4,
    )
)
def test_any_spelling_of_an_input_is_refused(tmp_path: Path, spelling: list[str]) -> None:
    import tempfile

    from jixiao.dsl.diagnostics import JixiaoError
    from jixiao.engine.render.outputs import refuse

    base = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example
    (base / "data" / "sub").mkdir(parents=True)
    original = base / "data" / "p.csv"
    original.write_text("id\n1\n", encoding="utf-8")
    target, n = original, 0
    for step in spelling:
        n += 1
        if step == "dot":
            target = target.parent / "." / target.name
        elif step == "parent":
            (target.parent / "sub").mkdir(exist_ok=True)
            target = target.parent / "sub" / ".." / target.name
        elif step == "symlink":
            link = base / f"link{n}.csv"
            link.symlink_to(target)
            target = link
        elif step == "hardlink":
            link = base / f"hard{n}.csv"
            os.link(os.path.realpath(target), link)
            target = link
        elif step == "folder-link":
            folder = base / f"folder{n}"
            folder.symlink_to(target.parent, target_is_directory=True)
            target = folder / target.name
        else:
            target = Path(os.path.abspath(target))
    with pytest.raises(JixiaoError) as caught:
        refuse({"--output": str(target)}, [("the portfolio", str(original))])
    assert [d.code for d in caught.value.diagnostics] == ["E680"]
    assert original.read_text(encoding="utf-8") == "id\n1\n"


def test_fmt_never_leaves_a_pack_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fmt` rewrites its input: a full disk used to truncate the pack (and exit 3)."""
    import errno

    from jixiao.engine.render import outputs

    pack = tmp_path / "p.jx"
    messy = 'fact 完成: bool\nindicator A "产出" 100 {   full when 完成 }\n'
    pack.write_text(messy, encoding="utf-8")
    pack.chmod(0o640)

    def full_disk(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as m:
        m.setattr(outputs.os, "replace", full_disk)
        err = _refused(cli("fmt", str(pack)), "E681")
    assert "the disk is full" in err
    assert pack.read_text(encoding="utf-8") == messy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jx"]  # no temporary file left
    link = tmp_path / "link.jx"
    link.symlink_to(pack)
    status, _, err = cli("fmt", str(link))
    assert status == 0, err
    assert link.is_symlink() and pack.read_text(encoding="utf-8") != messy  # the target, formatted
    assert pack.stat().st_mode & 0o777 == 0o640


def test_eval_output_over_the_survey_responses_is_refused(tmp_path: Path) -> None:
    """The responses file the evidence names is an input as much as the evidence."""
    evidence = tmp_path / "e.yaml"
    shutil.copy(ROOT / "evidence" / "video-conference-2017-survey.yaml", evidence)
    responses = tmp_path / "video-conference-2017-responses.csv"
    shutil.copy(ROOT / "evidence" / "video-conference-2017-responses.csv", responses)
    before = responses.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(responses)
    for name in (responses, Path(os.path.relpath(responses)), link):
        err = _refused(cli("eval", str(FOUNDING_PACK), str(evidence), "--output", str(name)))
        assert "a file the evidence names" in err
    assert responses.read_bytes() == before
    status, _, err = cli(
        "eval", str(FOUNDING_PACK), str(evidence), "--output", str(tmp_path / "r.md")
    )
    assert status == 0, err


# ----- workbooks as spreadsheets (#15 item 1) ----------------------------------------------------
#
# Read back with openpyxl as a user's Excel would hold them: every score, weight and rate a
# number with its number format (never the text `'87.74'`), sums that add up, Table 5's merged
# cells where the HTML merges, frozen headers, filters, print setup, and the same bytes each run.

FOUNDING_TOTAL = Decimal("87.74")


def _decimal(value: Any) -> Decimal:
    """A numeric cell as the decimal it shows: openpyxl hands back an int or a float, whose
    `repr` is the shortest text that round-trips, i.e. the decimal written."""
    assert isinstance(value, int | float | Decimal) and not isinstance(value, bool), value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _eval_book(tmp_path: Path, *extra: str, name: str = "r.xlsx") -> Path:
    path = tmp_path / name
    code, _, err = cli(
        "eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), *extra, "--output", str(path)
    )
    assert code == 0, err
    return path


def _html_merges(html: str) -> set[str]:
    """The merged cells of the HTML report's score table (its rowspan/colspan), as the sheet's
    ranges would be: the table's first body row is the sheet's row 3, its first column A."""
    from html.parser import HTMLParser

    from openpyxl.utils import get_column_letter

    table = html.split("<h2>绩效评价得分情况表</h2>", 1)[1].split("</table>", 1)[0]
    taken: set[tuple[int, int]] = set()
    merges: set[str] = set()

    class Cells(HTMLParser):
        row = 1  # the header row is 2: the first <tr> makes it so
        column = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "tr":
                self.row += 1
                self.column = 0
            elif tag in ("td", "th") and self.row > 2:
                self.column += 1
                while (self.row, self.column) in taken:
                    self.column += 1
                spans = dict(attrs)
                down = int(spans.get("rowspan") or 1)
                across = int(spans.get("colspan") or 1)
                for r in range(self.row, self.row + down):
                    for c in range(self.column, self.column + across):
                        taken.add((r, c))
                if down > 1 or across > 1:
                    first = f"{get_column_letter(self.column)}{self.row}"
                    last = f"{get_column_letter(self.column + across - 1)}{self.row + down - 1}"
                    merges.add(f"{first}:{last}")
                self.column += across - 1

    Cells().feed(table)
    return merges


def test_the_score_table_is_table_5_with_numbers(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(_eval_book(tmp_path))
    sheet = book["得分表"]
    assert [c.value for c in sheet[2]] == [
        "一级指标", "二级指标", "三级指标", "四级指标", "权重", "得分", "得分率",
    ]  # fmt: skip
    doc = json.loads(cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "json")[1])
    leaves = [
        i for i in doc["indicators"] if not any(j["parent"] == i["code"] for j in doc["indicators"])
    ]
    body = list(sheet.iter_rows(min_row=3, max_row=2 + len(leaves)))
    scores = []
    for cells, leaf in zip(body, leaves, strict=True):
        label = next(
            c.value for c in cells[:4] if c.value and str(c.value).startswith(leaf["code"] + " ")
        )
        assert label == f"{leaf['code']} {leaf['name']}"
        weight, points, rate = cells[4], cells[5], cells[6]
        assert (weight.number_format, points.number_format, rate.number_format) == (
            "0",
            "0.00",
            "0.00%",
        )
        assert _decimal(weight.value) == Decimal(leaf["weight"])
        assert _decimal(points.value) == Decimal(leaf["score"])  # exactly the report's 2 places
        shown = (Decimal(leaf["score"]) / Decimal(leaf["weight"])).quantize(
            Decimal("0.0001"), "ROUND_HALF_UP"
        )
        assert _decimal(rate.value) == shown
        scores.append(_decimal(points.value))
    # SUM over the 得分 column is the total, and the total row says so as a number
    total = sheet.cell(3 + len(leaves), 6)
    assert sheet.cell(3 + len(leaves), 1).value == "合计"
    assert sum(scores) == _decimal(total.value) == FOUNDING_TOTAL and total.number_format == "0.00"
    assert _decimal(sheet.cell(3 + len(leaves), 5).value) == 100
    assert _decimal(sheet.cell(3 + len(leaves), 7).value) == Decimal("0.8774")
    assert sheet.cell(4 + len(leaves), 5).value == "良"
    # the merged 一级/二级/三级 cells are the HTML report's rowspans and colspans
    html = cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "html")[1]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    table_merges = {m for m in merged if m != "A1:G1" and not m.startswith(f"A{4 + len(leaves)}")}
    table_merges -= {f"E{4 + len(leaves)}:G{4 + len(leaves)}"}
    assert table_merges == _html_merges(html)
    assert {
        "A3:A7",
        "B3:B5",
        "A8:A15",
        "C5:D5",
    } <= merged  # A 项目决策, A1 项目立项, a leaf of level 3
    # frozen under the header, header repeated on every printed page, A4 fitted to the width
    assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$2:$2"
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0 and sheet.sheet_properties.pageSetUpPr.fitToPage


def test_every_number_in_the_eval_workbook_is_a_number(tmp_path: Path) -> None:
    """No sheet holds a score, weight or rate as text: the finding was `'87.74'`, `'90.00%'`."""
    import openpyxl

    book = openpyxl.load_workbook(_eval_book(tmp_path))
    numbers = {"权重", "得分", "得分率", "失分", "扣分", "分值", "级次"}
    for sheet in book.worksheets:
        if sheet.title == "来源":
            continue
        header = 2 if sheet.title == "得分表" else 1
        heads = [c.value for c in sheet[header]]
        for column, head in enumerate(heads, start=1):
            if head not in numbers:
                continue
            for row in range(header + 1, sheet.max_row + 1):
                cell = sheet.cell(row, column)
                if cell.value is None or cell.value in ("—", "良"):
                    continue
                assert cell.data_type == "n", (sheet.title, cell.coordinate, cell.value)
                expected = "0.00%" if head == "得分率" else cell.number_format
                assert cell.number_format == expected != "General", (sheet.title, cell.coordinate)
        for row in sheet.iter_rows(min_row=header + 1):
            for cell in row:
                text = cell.value if isinstance(cell.value, str) else ""
                assert not re.fullmatch(r"-?\d+(\.\d+)?%?", text), (sheet.title, cell.coordinate)


def test_the_deductions_sheet_lists_every_lost_point(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(_eval_book(tmp_path))
    sheet = book["扣分说明"]
    assert [c.value for c in sheet[1]] == ["编码", "指标", "权重", "扣分", "扣分原因", "依据"]
    rows = list(sheet.iter_rows(min_row=2))
    lost = [_decimal(r[3].value) for r in rows]
    assert all(r[3].number_format == "0.00" for r in rows)
    assert sum(lost) == 100 - FOUNDING_TOTAL  # every lost point, once
    assert lost == sorted(lost, reverse=True)  # the largest first
    assert (rows[0][0].value, lost[0], rows[0][4].value) == ("B1.1.1", 1, "预算无明细测算，扣 1 分")
    assert "evidence/video-conference-2017.yaml:27:20" in rows[0][5].value  # the fact read
    assert all(r[4].value for r in rows)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:F{len(rows) + 1}"
    for name in ("指标明细", "计分过程"):
        other = book[name]
        assert other.freeze_panes == "A2" and other.auto_filter.ref.endswith(str(other.max_row))
        assert other.print_title_rows == "$1:$1"
    # 指标明细: the first level's points add up to the total too
    flat = list(book["指标明细"].iter_rows(min_row=2, values_only=True))
    assert sum(_decimal(r[5]) for r in flat if r[2] == 1) == FOUNDING_TOTAL


def test_columns_fit_chinese_text(tmp_path: Path) -> None:
    """A Chinese character is as wide as two digits; long text wraps at a cap, its row tall
    enough to show it."""
    import openpyxl

    from jixiao.engine.render.sheets import MAX_WIDTH, text_width

    assert text_width("预算执行率") == 10 and text_width("B1.1") == 4 and text_width("（Ａ）") == 6
    book = openpyxl.load_workbook(_eval_book(tmp_path))
    sheet = book["扣分说明"]
    longest = max(text_width(c.value) for c in sheet["B"])
    assert sheet.column_dimensions["B"].width >= longest  # 运维合同及方案签订管理落实情况: 30
    assert all(d.width <= MAX_WIDTH for d in sheet.column_dimensions.values())
    evidence = [
        c for c in sheet["F"][1:] if text_width(c.value) > sheet.column_dimensions["F"].width
    ]
    assert evidence and all(c.alignment.wrap_text for c in evidence)
    assert all((sheet.row_dimensions[c.row].height or 0) >= 30 for c in evidence)
    table = book["得分表"]
    assert table.column_dimensions["A"].width >= text_width("A 项目决策")
    assert table.page_setup.orientation == "landscape"  # four levels and three numbers
    assert book["来源"].column_dimensions["C"].width >= 64  # a SHA-256 whole


def test_the_same_input_gives_the_same_workbook_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: two runs differed (a timestamp in docProps/core.xml, and the zip entries')."""
    import time
    import zipfile

    first = _eval_book(tmp_path, name="a.xlsx").read_bytes()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 86400 * 400)  # a year later
    second = _eval_book(tmp_path, name="b.xlsx").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml")
    # read as XML: openpyxl writes its namespaces differently with and without lxml installed
    from xml.etree import ElementTree

    root = ElementTree.fromstring(core)
    dc, terms = "{http://purl.org/dc/elements/1.1/}", "{http://purl.org/dc/terms/}"
    assert root.findtext(f"{dc}creator") == "jixiao"
    assert root.findtext(f"{terms}created") == root.findtext(f"{terms}modified")
    assert root.findtext(f"{terms}created") == "1980-01-01T00:00:00Z"


def test_the_english_workbook(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(_eval_book(tmp_path, "--lang", "en"))
    assert book.sheetnames == ["Scores", "Indicators", "Deductions", "Ledger", "Provenance"]
    assert [c.value for c in book["Scores"][2]][-3:] == ["Weight", "Points", "Rate"]
    assert book["Deductions"]["D2"].data_type == "n"


@given(
    value=st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=6),
    places=st.integers(min_value=0, max_value=4),
)
def test_a_number_reads_back_as_the_decimal_written(value: Decimal, places: int) -> None:
    """openpyxl writes a number as `%.16g` of its float (`9074.700000000001`), which parses back
    to the same float: a value quantized to the pack's places (at most 15 digits in all) reads
    back as exactly that decimal, so Excel shows the report's figure, not a float's neighbour
    (3.645 shown as 3.64)."""
    from jixiao.engine.render.sheets import number

    written = number(value, places)
    text = "%.16g" % written  # noqa: UP031 (openpyxl's own formatting, of the float)
    assert float(text) == float(written) and Decimal(repr(float(text))) == written


# ----- the --batch result sheet --------------------------------------------------------------------


def test_the_batch_sheet_holds_numbers(portfolio: Path, tmp_path: Path) -> None:
    import openpyxl

    from jixiao.engine.tools import batch_xlsx

    rows = portfolio.read_text(encoding="utf-8").splitlines()
    with portfolio.open("a", encoding="utf-8") as f:
        f.write(rows[1].replace("P1,", "P3,").replace("100000", "0", 1) + "\n")  # fails: budget 0
    outputs = []
    for name in ("a.xlsx", "b.xlsx"):
        out = tmp_path / name
        code, _, err = cli(
            "eval", str(FOUNDING_PACK), "--batch", str(portfolio), "--output", str(out)
        )
        assert code == 1 and "P3" in err
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]  # the same portfolio, the same bytes
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx").worksheets[0]
    head = [c.value for c in sheet[1]]
    # the last column says why points were lost (扣分说明, issue #17), after 错误
    assert head[:4] == ["id", "名称", "总分", "等级"] and head[-2:] == ["错误", "扣分说明"]
    p1, p2, p3 = list(sheet.iter_rows(min_row=2))
    for row in (p1, p2):
        assert _decimal(row[2].value) == FOUNDING_TOTAL and row[2].number_format == "0.00"
        assert row[3].value == "良"
        for cell in row[4:-2]:
            assert cell.data_type == "n" and cell.number_format == "0.00"
        assert row[-1].value.startswith("A2.2 绩效指标明确性 失 1.00 分：")
    assert sum(_decimal(r[2].value) for r in (p1, p2)) == 2 * FOUNDING_TOTAL
    # a project that could not be scored: empty score cells (SUM skips them), the reason given
    assert [c.value for c in p3[2:-2]] == [None] * (len(head) - 4) and "0" in p3[-2].value
    assert p3[-1].value is None
    assert (
        sheet.freeze_panes == "C2"
        and sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(head)).column_letter}4"
    )
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["C"] >= 6 and all(w <= 40 for w in widths.values())
    assert max(widths.values()) <= 40 and batch_xlsx.SCORE_WIDTH + 2 in widths.values()


def test_a_large_batch_sheet_fits_widths_from_its_first_rows(
    portfolio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows past the sample stream straight through; every row is written, in order."""
    import openpyxl

    from jixiao.engine.tools import batch_xlsx

    monkeypatch.setattr(batch_xlsx, "SAMPLE", 1)
    lines = portfolio.read_text(encoding="utf-8").splitlines()
    with portfolio.open("a", encoding="utf-8") as f:
        for i in range(3, 8):
            f.write(lines[1].replace("P1,", f"P{i},") + "\n")
    out = tmp_path / "r.xlsx"
    code, _, err = cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio), "--output", str(out))
    assert code == 0, err
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        "P1", "P2", "P3", "P4", "P5", "P6", "P7",
    ]  # fmt: skip
    assert sheet.auto_filter.ref.endswith("8") and sheet.freeze_panes == "C2"


# ----- the selfeval write-back -----------------------------------------------------------------------


def _styled_table(tmp_path: Path) -> Path:
    """The sample table with the office's own touches: a fill, a custom format, a width, a
    comment, a merge beside the table, a second sheet, and a print setup."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = openpyxl.load_workbook(SELFEVAL_TABLE)
    sheet = book.worksheets[0]
    sheet["G10"].fill = PatternFill("solid", fgColor="FFFF00")
    sheet["G10"].font = Font(name="仿宋", bold=True)
    sheet["C4"].number_format = "#,##0.00"
    sheet.column_dimensions["H"].width = 33
    sheet["H12"].comment = Comment("请核实", "处室")
    sheet.page_setup.orientation = "landscape"
    notes = book.create_sheet("备注")
    notes["A1"] = "自评人：张三"
    path = tmp_path / "自评表.xlsx"
    book.save(path)
    return path


def test_selfeval_writes_numbers_back_and_keeps_the_office_s_own_cells(tmp_path: Path) -> None:
    import openpyxl

    table = _styled_table(tmp_path)
    before = openpyxl.load_workbook(table)
    outs = []
    for name in ("a.xlsx", "b.xlsx"):
        out = tmp_path / name
        code, _, err = cli("selfeval", str(table), "--output", str(out))
        assert code == 0, err
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    after = openpyxl.load_workbook(tmp_path / "a.xlsx")
    old, new = before.worksheets[0], after.worksheets[0]
    # every cell of the office's sheet as it was: value, style, format
    for row in old.iter_rows():
        for cell in row:
            mine = new[cell.coordinate]
            assert (mine.value, mine.number_format) == (cell.value, cell.number_format)
            assert (repr(mine.font), repr(mine.fill), repr(mine.border)) == (
                repr(cell.font), repr(cell.fill), repr(cell.border),
            ), cell.coordinate  # fmt: skip
    assert {str(r) for r in old.merged_cells.ranges} == {str(r) for r in new.merged_cells.ranges}
    assert new["H12"].comment.text == "请核实" and new.column_dimensions["H"].width == 33
    assert new.page_setup.orientation == "landscape" and after["备注"]["A1"].value == "自评人：张三"
    assert after.properties.created == before.properties.created
    # jixiao's two columns: the scores as numbers with the pack's places
    assert (new["I9"].value, new["J9"].value) == ("jixiao得分", "jixiao说明")
    assert _decimal(new["I12"].value) == Decimal("9.61") and new["I12"].number_format == "0.00"
    assert _decimal(new["I19"].value) == Decimal("94.61") and new["J19"].value == "等级：优"
    scored = [new.cell(r, 9) for r in range(10, 19)]
    assert all(c.data_type == "n" and c.number_format == "0.00" for c in scored)
    assert sum(_decimal(c.value) for c in scored) + _decimal(new["I4"].value) == Decimal("94.61")
    assert new.freeze_panes == "A10"
    # written back again: the same two columns, rewritten
    again = tmp_path / "c.xlsx"
    code, _, err = cli("selfeval", str(tmp_path / "a.xlsx"), "--output", str(again))
    assert code == 0, err
    third = openpyxl.load_workbook(again).worksheets[0]
    assert third.max_column == new.max_column and _decimal(third["I12"].value) == Decimal("9.61")


def test_selfeval_csv_table_becomes_a_workbook_with_numbers(tmp_path: Path) -> None:
    import openpyxl

    grid = [
        [c for c in r]
        for r in openpyxl.load_workbook(SELFEVAL_TABLE).worksheets[0].iter_rows(values_only=True)
    ]
    table = tmp_path / "t.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["" if v is None else v for v in r] for r in grid])
    out = tmp_path / "t.xlsx"
    code, _, err = cli("selfeval", str(table), "--output", str(out))
    assert code == 0, err
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert _decimal(sheet["F12"].value) == 10 and _decimal(sheet["G12"].value) == Decimal("9.61")
    assert sheet["G12"].number_format == "0.00" and sheet["I12"].number_format == "0.00"
    assert sheet["D10"].value == "≥12次" and sheet["E10"].value == "12"  # text stays text
    assert sheet.freeze_panes == "A10" and sheet.print_title_rows == "$9:$9"


SECTIONS_PACK = """pack "加减分" {
    rounding 2 half_up on total
    not_applicable exclude
}
fact 完成率: percent
fact 满意度: percent
fact 事故: count
fact 推广: list
indicator A "产出" 60 {
    indicator A1 "完成率情况" 30 { proportional 完成率 }
    indicator A2 "满意度" 30 { proportional 满意度 }
}
indicator B "效益" 40 {
    indicator B1 "事故情况" 40 { deduct 2.5 per 事故 "发生事故" }
}
bonus E1 "附加分" max 5 { add 1 per 推广 "推广：{item}" }
penalty P1 "扣分项" max 10 { deduct 2 per 事故 "发生安全事故{count}起" }
"""


def test_sections_exclusions_and_unrounded_leaves_in_the_workbook(tmp_path: Path) -> None:
    """A leaf scored 27.411 (rounded on the total only) shows as 27.41, as every report shows
    it; a 不适用 leaf says so in words; the penalty's points are lost points too; the bonus and
    the total's rescaling are in the ledger."""
    import openpyxl

    pack, evidence, out = tmp_path / "p.jx", tmp_path / "e.yaml", tmp_path / "r.xlsx"
    pack.write_text(SECTIONS_PACK, encoding="utf-8")
    evidence.write_text(
        "facts:\n  完成率: 91.37%\n  满意度: 不适用\n  事故: 1\n  推广: [甲, 乙]\n",
        encoding="utf-8",
    )
    code, _, err = cli("eval", str(pack), str(evidence), "--output", str(out))
    assert code == 0, err
    book = openpyxl.load_workbook(out)
    rows = list(book["得分表"].iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("A 产出", "A1 完成率情况", 30, 27.41, 0.9137)
    assert rows[1] == (None, "A2 满意度", 30, "不适用", "—")
    assert rows[3] == ("合计", None, 100, 92.73, 0.9273)
    lost = {r[0]: r[3] for r in book["扣分说明"].iter_rows(min_row=2, values_only=True)}
    assert lost == {"A1": 2.589, "B1": 2.5, "P1": 2}
    assert book["扣分说明"]["D2"].number_format == "0.000"  # every place of 2.589 shown
    ledger = [(r[0], r[2]) for r in book["计分过程"].iter_rows(min_row=2, values_only=True)]
    assert ("E1", 1) in ledger and ("P1", -2) in ledger and (None, 27.819) in ledger
    flat = {r[0]: r[8] for r in book["指标明细"].iter_rows(min_row=2, values_only=True)}
    assert flat["A2"] == "不适用" and flat["A1"] is None


def test_selfeval_keeps_pictures_and_says_what_it_cannot_copy(tmp_path: Path) -> None:
    """The copy keeps a picture (a pasted seal); a drawn shape, which openpyxl cannot copy, and
    macros written to an .xlsx are named in a note, never dropped silently. The table itself is
    never written."""
    import io
    import zipfile

    import openpyxl
    from openpyxl.drawing.image import Image
    from PIL import Image as Picture

    png = io.BytesIO()
    Picture.new("RGB", (40, 20), (200, 0, 0)).save(png, "PNG")
    book = openpyxl.load_workbook(SELFEVAL_TABLE)
    book.worksheets[0].add_image(Image(io.BytesIO(png.getvalue())), "K2")
    table = tmp_path / "t.xlsm"
    book.save(table)
    shape = (  # a text box, as openpyxl names the drawing's namespace (the default one)
        b"<twoCellAnchor><from><col>11</col><colOff>0</colOff><row>5</row><rowOff>0</rowOff>"
        b"</from><to><col>13</col><colOff>0</colOff><row>7</row><rowOff>0</rowOff></to>"
        b'<sp macro="" textlink=""><nvSpPr><cNvPr id="9" name="TextBox 1"/><cNvSpPr txBox="1"/>'
        b"</nvSpPr><spPr/></sp><clientData/></twoCellAnchor></wsDr>"
    )

    def add_shape(data: bytes) -> bytes:
        return data.replace(b"</wsDr>", shape)

    with zipfile.ZipFile(table) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(table, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, add_shape(data) if "drawings/drawing" in name else data)
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macros")
    before = table.read_bytes()
    out = tmp_path / "scored.xlsx"
    code, _, err = cli("selfeval", str(table), "--output", str(out))
    assert code == 0 and "Traceback" not in err and "Warning" not in err, err
    assert "lacks what jixiao cannot copy: drawn shapes" in err
    assert "the macros (write the table back as .xlsm to keep them)" in err
    assert table.read_bytes() == before
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/media/") for n in z.namelist())  # the picture
    macro = tmp_path / "scored.xlsm"
    code, _, err = cli("selfeval", str(table), "--output", str(macro))
    assert code == 0 and "macros" not in err, err
    with zipfile.ZipFile(macro) as z:
        assert z.read("xl/vbaProject.bin") == b"\xd0\xcf\x11\xe0macros"


_FOUNDING_PLAN: list[Any] = []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spent=st.integers(min_value=50_000, max_value=100_000),
    satisfied=st.integers(min_value=0, max_value=46),
    fixed_on_time=st.integers(min_value=0, max_value=23),
    uptime=st.decimals(min_value=Decimal("0.80"), max_value=Decimal("1"), places=4),
)
def test_the_score_column_sums_to_the_total_whatever_the_evidence(
    spent: int, satisfied: int, fixed_on_time: int, uptime: Decimal
) -> None:
    """Property: for any evidence, the 得分 cells of the leaf rows, read back as the decimals
    they show, add up to the 合计 cell, which is the total the JSON report gives; every rate
    cell is points ÷ weight at the places it shows."""
    import io
    import tempfile

    import openpyxl
    import yaml

    from jixiao.engine.render import xlsx

    from .helpers import compile_text, score

    if not _FOUNDING_PLAN:
        _FOUNDING_PLAN.append(compile_text(FOUNDING_PACK.read_text(encoding="utf-8")))
    data = yaml.safe_load(FOUNDING_EVIDENCE.read_text(encoding="utf-8"))
    facts = data["facts"]
    for name, value in (
        ("实际支出", spent),
        ("使用效果肯定回答数", satisfied),
        ("及时修复故障数", fixed_on_time),
        ("设备运行正常率", f"{uptime * 100}%"),
    ):
        if isinstance(facts.get(name), dict):
            facts[name]["value"] = value
        elif name in facts:
            facts[name] = value
    scored = score(_FOUNDING_PLAN[0], yaml.safe_dump(data, allow_unicode=True))
    with tempfile.TemporaryDirectory() as folder:
        xlsx.write(scored.result, Path(folder) / "r.xlsx")
        data = (Path(folder) / "r.xlsx").read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["得分表"]
    leaves = [i for i in scored.result.indicators if i.is_leaf]
    rows = list(sheet.iter_rows(min_row=3, max_row=2 + len(leaves) + 1))
    points = [_decimal(r[5].value) for r in rows[:-1]]
    assert [str(p.quantize(Decimal("0.01"))) for p in points] == [
        scored.points[i.code] for i in leaves
    ]
    assert sum(points) == _decimal(rows[-1][5].value) == scored.result.total
    for r, leaf in zip(rows, leaves, strict=False):
        rate = (leaf.points / leaf.weight).quantize(Decimal("0.0001"), "ROUND_HALF_UP")
        assert _decimal(r[6].value) == rate
