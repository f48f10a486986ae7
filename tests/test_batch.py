"""Portfolios: every good row scored, every bad row reported with its sheet, row and column,
nothing lost; the summary adds up; parallel output equals serial output byte for byte."""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, cli, write_xlsx

BASE = yaml.safe_load(FOUNDING_EVIDENCE.read_text(encoding="utf-8"))["facts"]
NAMES = list(BASE)


def _cell(value: Any) -> Any:
    value = value["value"] if isinstance(value, dict) else value
    if isinstance(value, list):
        return "；".join(x["item"] if isinstance(x, dict) else x for x in value)
    return value


def portfolio(n: int, seed: int = 1) -> list[list[Any]]:
    """Rows like an Excel export: spending and satisfaction vary; every 50th row has a typo in
    a count and every 70th a zero budget."""
    rng = random.Random(seed)
    rows = [["id", "项目名称", *NAMES]]
    for i in range(n):
        row = {name: _cell(BASE[name]) for name in NAMES}
        row["实际支出"] = rng.choice([100000, 90000, 95000])
        row["满意样本数"] = rng.randint(15, 23)
        row["设备运行正常率"] = rng.choice([0.92, 0.95, 0.89, "90%"])
        if i % 50 == 7:
            row["重复故障次数"] = "很多"
        if i % 70 == 3:
            row["预算金额"] = 0
        rows.append([f"P{i:03d}", f"项目{i}", *[row[name] for name in NAMES]])
    return rows


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "projects.xlsx"
    write_xlsx(path, portfolio(300))
    return path


def test_every_row_scored_or_reported(xlsx: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    code, out, err = cli(
        "eval", str(FOUNDING_PACK), "--batch", str(xlsx), "--summary", str(summary)
    )
    assert code == 1  # some projects failed
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == [f"P{i:03d}" for i in range(300)]  # nothing lost
    bad = {r["id"]: r["errors"] for r in records if r["total"] is None}
    expected_bad = {f"P{i:03d}" for i in range(300) if i % 50 == 7 or i % 70 == 3}
    assert set(bad) == expected_bad
    assert "sheet 项目, cell Z9 (重复故障次数)" in bad["P007"][0]
    assert "cell C5 (预算金额)" in bad["P003"][0] and "must not be 0" in bad["P003"][0]
    assert "300 projects: 289 scored, 11 failed" in err
    doc = json.loads(summary.read_text(encoding="utf-8"))
    assert doc["projects"] == 300 and doc["failed"] == 11
    assert len(doc["pack_sha256"]) == len(doc["input_sha256"]) == 64
    assert {r["pack_sha256"] for r in records} == {doc["pack_sha256"]}
    assert sum(doc["grades"].values()) == 289
    good = [r for r in records if r["total"] is not None]
    mean = sum(float(r["scores"]["B1.1.2"]) / 3 for r in good) / len(good)
    row = next(i for i in doc["indicators"] if i["code"] == "B1.1.2")
    assert abs(float(row["mean_rate"].rstrip("%")) - mean * 100) < 0.01
    assert doc["nearest_boundary"] and doc["reasons"][0]["points_lost"]


def test_outputs_csv_xlsx_and_html(xlsx: Path, tmp_path: Path) -> None:
    for suffix in ("csv", "xlsx"):
        out_path = tmp_path / f"results.{suffix}"
        cli("eval", str(FOUNDING_PACK), "--batch", str(xlsx), "--output", str(out_path))
        if suffix == "csv":
            rows = list(csv.reader(out_path.read_text(encoding="utf-8-sig").splitlines()))
        else:
            rows = [
                list(r) for r in openpyxl.load_workbook(out_path).active.iter_rows(values_only=True)
            ]
        assert len(rows) == 301 and rows[0][:4] == ["id", "名称", "总分", "等级"]
        assert rows[2][0] == "P001"
    html = tmp_path / "summary.html"
    cli("eval", str(FOUNDING_PACK), "--batch", str(xlsx), "--summary", str(html))
    text = html.read_text(encoding="utf-8")
    assert text.count("<svg") == 2 and "等级分布" in text and "最接近等级分界的项目" in text


def test_csv_input_and_folder_input(tmp_path: Path) -> None:
    rows = portfolio(20)
    path = tmp_path / "projects.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    code, out, _ = cli("eval", str(FOUNDING_PACK), "--batch", str(path))
    assert len(out.splitlines()) == 20 and code == 1
    folder = tmp_path / "projects"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.yaml").write_text(
            FOUNDING_EVIDENCE.read_text(encoding="utf-8"), encoding="utf-8"
        )
    code, out, _ = cli("eval", str(FOUNDING_PACK), "--batch", str(folder))
    assert code == 0 and [json.loads(x)["total"] for x in out.splitlines()] == ["87.74"] * 2


def test_header_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("编码,预算金额,预算全额\nP1,100,100\n", encoding="utf-8")
    code, _, err = cli("eval", str(FOUNDING_PACK), "--batch", str(path))
    assert code == 1 and "E620" in err and "no id column" in err
    path.write_text("id,预算全额\nP1,100\n", encoding="utf-8")
    _, _, err = cli("eval", str(FOUNDING_PACK), "--batch", str(path))
    assert "W620" in err and "did you mean `预算金额`" in err


def test_parallel_output_is_the_serial_output(
    xlsx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of 16 rows (serial and parallel), so that many blocks are in flight at once and come back in any
    order: the records, their failures and the summary must be the serial run's, byte for
    byte and in input order."""
    from jixiao.engine.tools import batch

    monkeypatch.setattr(batch, "BLOCK", 16)
    monkeypatch.setattr(batch, "PARALLEL_BLOCK", 16)
    runs = []
    for jobs in ("1", "2"):
        summary = tmp_path / f"summary{jobs}.json"
        out = cli(
            "eval", str(FOUNDING_PACK), "--batch", str(xlsx), "--jobs", jobs,
            "--summary", str(summary),
        )  # fmt: skip
        runs.append((out, summary.read_text(encoding="utf-8")))
    (serial, serial_summary), (parallel, parallel_summary) = runs
    assert serial == parallel and serial_summary == parallel_summary
    assert serial[1].count("\n") == 300 and serial[0] == 1  # every row; some rows fail


def test_hostile_cells_stay_text_in_xlsx_and_csv_outputs(tmp_path: Path) -> None:
    # A name typed as a formula must not become a live formula in our report, and a control
    # character (here BEL, from a broken export) must not abort the workbook.
    rows = portfolio(3)
    rows[1][1] = '=HYPERLINK("http://example.invalid","点击")'
    rows[2][1] = "项目\x07二"
    rows[3][0] = "+P3"
    source = tmp_path / "projects.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    out = tmp_path / "scores.xlsx"
    code, _, err = cli("eval", str(FOUNDING_PACK), "--batch", str(source), "--output", str(out))
    assert code == 0 and "internal error" not in err, err
    sheet = openpyxl.load_workbook(out).worksheets[0]
    names = [(c.value, c.data_type) for c in sheet["B"][1:]]
    assert names == [
        ('=HYPERLINK("http://example.invalid","点击")', "s"),
        ("项目\\x07二", "s"),
        ("项目2", "s"),
    ]
    out = tmp_path / "scores.csv"
    code, _, err = cli("eval", str(FOUNDING_PACK), "--batch", str(source), "--output", str(out))
    assert code == 0, err
    written = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r[:2] for r in written[1:]] == [
        ["P000", '\'=HYPERLINK("http://example.invalid","点击")'],
        ["P001", "项目\\x07二"],
        ["'+P3", "项目2"],
    ]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),  # a grade, or a failed project when "C"
            st.lists(st.integers(0, 200), min_size=3, max_size=3),  # leaf points, in cents
            st.lists(st.sampled_from(["缺少依据", "未按时", "超预算"]), max_size=3),
        ),
        max_size=40,
    ),
    st.lists(st.integers(0, 40), max_size=6),
)
@settings(max_examples=60, deadline=None)
def test_tallies_merged_by_block_equal_one_kept_row_by_row(
    projects: list[tuple[str, list[int], list[str]]], cuts: list[int]
) -> None:
    """A large portfolio is tallied a block at a time (in worker processes) and the blocks
    merged: the summary must be the one adding the projects in turn would give."""
    from decimal import Decimal

    from jixiao.dsl.source import Source
    from jixiao.engine import compile_source
    from jixiao.engine.tools.portfolio import ScoredProject, Summary
    from jixiao.engine.tools.portfolio_report import render_json

    plan, _ = compile_source(
        Source(
            "p.jx",
            "fact 甲: bool\n"
            + "".join(f'indicator L{i} "l{i}" 2 {{ full when 甲 }}\n' for i in range(3))
            + 'indicator R "r" 94 { full when 甲 }\n',
        )
    )
    records = []
    for i, (grade, cents, reasons) in enumerate(projects):
        scores = {f"L{j}": str(Decimal(c) / 100) for j, c in enumerate(cents)}
        total = str(sum(Decimal(c) for c in cents) / 100 + 94)
        losses = [(f"L{k % 3}", r, "0.5") for k, r in enumerate(reasons)]
        if grade == "C":
            records.append(ScoredProject(f"P{i:02d}", "", None, None, {}, ["坏了"]))
        else:
            records.append(ScoredProject(f"P{i:02d}", f"项目{i}", total, grade, scores, [], losses))
    one = Summary(plan.program)
    for record in records:
        one.add(record)
    merged = Summary(plan.program)
    bounds = sorted({0, len(records), *(c for c in cuts if c <= len(records))})
    for start, end in itertools.pairwise(bounds):
        tally = merged.new_tally()
        for record in records[start:end]:
            tally.add(record)
        merged.merge(tally)
    assert render_json(merged) == render_json(one)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a terminal's Ctrl-C: POSIX")
@pytest.mark.parametrize("engine", ["ledger", "local"])
def test_ctrl_c_in_a_terminal_stops_a_run_with_workers(tmp_path: Path, engine: str) -> None:
    """Ctrl-C typed in the terminal reaches the command and its worker processes alike: the
    run says `interrupted` and ends (exit 130) within seconds, without a traceback from any
    worker. It used to hang in the worker pool's shutdown, now and then. (The terminal is a
    pseudo-terminal opened by a small Python of its own: a fork of pytest would carry pytest's
    memory into the peak other tests measure.)"""
    import subprocess
    import sys

    sheet = tmp_path / "projects.csv"
    subprocess.run(
        [sys.executable, "-c", _WRITE_PORTFOLIO, str(BENCH), str(sheet), "60000"],
        check=True,
        timeout=120,
    )
    jixiao = str(Path(sys.executable).parent / "jixiao")
    command = [jixiao, "eval", str(FOUNDING_PACK), "--batch", str(sheet), "--engine", engine]
    command += ["--jobs", "2", "--output", str(tmp_path / "r.jsonl")]
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C, json.dumps(command)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    code, text = json.loads(done.stdout)
    assert code == 130, text
    assert "interrupted" in text and "Traceback" not in text


#: Runs a command on a pseudo-terminal, types Ctrl-C after 2 s, and prints its exit code and
#: what it wrote, as JSON; exit code None if it is still running 30 s later (then killed).
_CTRL_C = """
import json, os, pty, select, sys, time
command = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(command[0], command)
said = b""
time.sleep(2.0)
os.write(fd, b"\\x03")
end = time.monotonic() + 30
while time.monotonic() < end:
    if select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        said += chunk
code = None
for _ in range(100):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        code = os.waitstatus_to_exitcode(status)
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps([code, said.decode("utf-8", "replace")]))
"""


_WRITE_PORTFOLIO = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import run
run.write_csv(Path(sys.argv[2]), run.iter_records(int(sys.argv[3])))
"""
BENCH = Path(__file__).resolve().parent.parent / "bench"
