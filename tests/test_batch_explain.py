"""Every batch record says why its leaves lost points, in the reports' own words: the same
reasons and points as the single-project report's 主要扣分原因 (`explain.losses`) for every rule
form, worded once per distinct line and still the same; the same in JSON lines, CSV, XLSX and
Parquet, serial or parallel; left out, with its column, when a writer is told not to explain."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import FOUNDING_PACK, ROOT, cli, compile_text
from .test_batch import portfolio

#: Facts whose cells vary in the generated tables, and texts they may hold (good and bad).
VARIED = [
    "实际支出",
    "满意样本数",
    "设备运行正常率",
    "重复故障次数",
    "预算有明细测算",
    "采购文件缺失项",
]
VALUES = ["100000", "90000", "21", "15", "0.92", "90%", "0.89", "1", "0", "是", "否", "",
          "比选记录未留存", "甲；乙", "很多", "不适用"]  # fmt: skip
SHARED = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))

FORMS = sorted(p.parent for p in (ROOT / "tests" / "forms").glob("**/pack.jx"))


def _expected(result: Any, program: Any, lang: str) -> list[tuple[str, str, list[Any]]]:
    """What the record should say, from the packaged ledger and the report's 主要扣分原因:
    per leaf that lost points, in tree order, its points lost and its reasons (as a sorted
    list: the report orders them by points)."""
    from jixiao.engine.render.explain import fixed, losses, plain
    from jixiao.engine.render.html import _in_words

    rules = {i.code: i for i in program.indicators}
    places = result.settings.places
    out = []
    items = losses(result, lang)
    for ind in result.indicators:
        mine = [x for x in items if x.indicator.code == ind.code]
        if not mine:
            continue
        reasons = sorted(
            (plain(x.points), _in_words(x.text, ind, rules[ind.code], result, lang)) for x in mine
        )
        out.append((ind.code, fixed(ind.weight - ind.points, places), reasons))
    return out


def _said(record: Any) -> list[tuple[str, str, list[Any]]]:
    return [(code, lost, sorted(reasons)) for code, _, lost, reasons in record.explained]


@pytest.mark.parametrize("folder", FORMS, ids=lambda p: str(p.relative_to(ROOT / "tests/forms")))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_records_say_what_the_report_says_for_every_form(folder: Path, lang: str) -> None:
    """A folder of a form's fixtures read as a portfolio, twice with one plan (the second time
    every line's words come from the memo): each record's reasons are the report's."""
    from jixiao.engine.runtime.evaluator import evaluate
    from jixiao.engine.runtime.evidence import load
    from jixiao.engine.tools.batch import read_folder, score_row

    plan = compile_text((folder / "pack.jx").read_text(encoding="utf-8"), str(folder / "pack.jx"))
    for _ in range(2):
        rows, _, _ = read_folder(folder)
        for row in rows:
            record = score_row(plan, row, str(folder), lang=lang)
            if record.total is None:
                continue
            evidence, _ = load(str(row.path), plan.program)
            assert evidence is not None
            result = evaluate(plan, evidence)
            assert _said(record) == _expected(result, plan.program, lang), row.path
            for _, _, lost, reasons in record.explained:
                assert Decimal(lost) > 0 and all(text for _, text in reasons)


def _write_csv(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_csv(tmp_path_factory.mktemp("explain") / "p.csv", portfolio(120))


def test_the_founding_case_in_its_record(table: Path) -> None:
    """P001 is the founding case itself: its record names each of the report's losses."""
    _, out, _ = cli("eval", str(FOUNDING_PACK), "--batch", str(table))
    record = json.loads(out.splitlines()[1])
    assert record["total"] == "87.74"
    losses = {x["code"]: x for x in record["losses"]}
    assert list(losses)[:2] == ["A2.2", "B1.1.1"]
    assert losses["B1.1.1"] == {
        "code": "B1.1.1",
        "name": "预算编制合理性",
        "lost": "1.00",
        "reasons": [{"points": "1", "text": "预算无明细测算，扣 1 分"}],
    }
    assert losses["C1.2.2"]["reasons"] == [
        {
            "points": "0.35",
            "text": "未达到满分条件（故障总数等于0）；按比例计分：4 × 91.30% = 3.6522",
        }
    ]
    assert (
        losses["C2.2.4"]["reasons"][0]["text"] == "设备运行正常率在“不低于90%且低于95%”档，得 1 分"
    )
    lost = sum(Decimal(x["lost"]) for x in record["losses"])
    assert lost == 100 - Decimal(record["total"])  # every point lost is explained
    for x in record["losses"]:
        assert sum(Decimal(r["points"]) for r in x["reasons"]) == Decimal(x["lost"])


def test_every_output_carries_the_same_explanations(table: Path, tmp_path: Path) -> None:
    """JSON lines, CSV, XLSX and Parquet, one process and two: the same reasons."""
    _, lines, _ = cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--jobs", "1")
    _, parallel, _ = cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--jobs", "2")
    assert parallel == lines
    records = [json.loads(line) for line in lines.splitlines()]
    assert any(r["total"] is None for r in records)
    assert all(r["losses"] == [] for r in records if r["total"] is None)

    def cell(record: dict[str, Any]) -> str:
        return "\n".join(
            f"{x['code']} {x['name']} 失 {x['lost']} 分："
            + "；".join(r["text"] for r in x["reasons"])
            for x in record["losses"]
        )

    out = tmp_path / "r.csv"
    cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--output", str(out))
    rows = _csv(out)
    assert rows[0][-2:] == ["错误", "扣分说明"]
    assert [r[-1] for r in rows[1:]] == [cell(r) for r in records]

    out = tmp_path / "r.xlsx"
    cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--output", str(out))
    sheet = openpyxl.load_workbook(out).active
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert got[0][-1] == "扣分说明"
    assert [r[-1] or "" for r in got[1:]] == [cell(r) for r in records]
    assert sheet.cell(2, len(got[0])).alignment.wrap_text  # an indicator a line

    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "r.parquet"
    cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--output", str(out))
    for record, row in zip(records, pq.read_table(out).to_pylist(), strict=True):
        assert [{**x, "lost": str(x["lost"])} for x in row["losses"]] == record["losses"]


def test_english_reports_word_them_in_english(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--output", str(out), "--lang", "en")
    rows = _csv(out)
    assert rows[0][-1] == "Points lost"
    assert "B1.1.1 预算编制合理性 lost 1.00: " in rows[2][-1]
    assert "the condition of full marks is not met" in rows[2][-1]


def test_a_writer_told_not_to_explain_leaves_them_out(table: Path, tmp_path: Path) -> None:
    """`explain=False` (the points-only run): no `losses`, no 扣分说明 column, and no words."""
    from jixiao.engine.tools.batch import Writer, read_table, record_json, run_blocks

    plan = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))
    rows, count, _ = read_table(table, plan.program)
    pytest.importorskip("pyarrow")
    writers = {
        kind: Writer(tmp_path / f"r.{kind}", plan.program, explain=False)
        for kind in ("jsonl", "csv", "xlsx", "parquet")
    }
    lines = []
    json_sha = writers["jsonl"].json_sha256
    for records, _ in run_blocks(plan, "p.jx", rows, "p.csv", count, 1, json_sha, explain=False):
        for record in records:
            assert record.explained == []
            lines.append(record_json(record, json_sha or "", explain=False))
            assert record.line == lines[-1]
            for writer in writers.values():
                writer.write(record)
    for writer in writers.values():
        writer.close()
    assert "losses" not in json.loads(lines[0]) and "losses" in json.loads(record_json(record, ""))
    assert (tmp_path / "r.jsonl").read_text(encoding="utf-8") == "".join(lines)
    header = _csv(tmp_path / "r.csv")[0]
    assert header[-1] == "错误"
    assert next(openpyxl.load_workbook(tmp_path / "r.xlsx").active.values)[-1] == "错误"
    import pyarrow.parquet as pq

    assert pq.read_schema(tmp_path / "r.parquet").names[-1] == "errors"


def test_the_words_remembered_are_bounded(table: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan keeps at most `MEMO_LINES` lines worded; past it, lines are worded afresh, and
    the records say the same."""
    from jixiao.engine.tools import batch

    plan = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))
    rows, _, _ = batch.read_table(table, plan.program)
    rows = list(rows)
    free = [batch.score_row(plan, row, "p.csv").explained for row in rows]
    monkeypatch.setattr(batch, "MEMO_LINES", 3)
    small = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))
    assert [batch.score_row(small, row, "p.csv").explained for row in rows] == free
    assert len(small.memo["lines"]) == 3 and len(plan.memo["lines"]) > 3


def test_a_line_worded_in_pieces_is_the_record_in_full(table: Path) -> None:
    """The JSON line a block words (each leaf's losses encoded once, then reused) is
    `record_json`'s, byte for byte."""
    from jixiao.engine.tools.batch import Writer, read_table, record_json, run_blocks

    plan = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))
    sha = Writer(None, plan.program).json_sha256
    assert sha is not None
    for _ in range(2):  # the second time, every leaf's words and JSON are remembered
        rows, count, _ = read_table(table, plan.program)
        for records, _ in run_blocks(plan, "p.jx", rows, "p.csv", count, 1, sha):
            for record in records:
                assert record.line == record_json(record, sha)


# ----- `eval --batch … --explain ID` ----------------------------------------------------------


def _evidence_of(row: list[Any], header: list[str], path: Path) -> Path:
    """The row's facts as an evidence file, as an evaluator would type them."""
    import yaml

    plan = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))
    facts: dict[str, Any] = {}
    for name, value in zip(header[2:], row[2:], strict=True):
        if plan.program.facts[name].kind.value == "list":
            facts[name] = [x for x in str(value).split("；") if x]
        else:
            facts[name] = value
    doc = {"project": {"id": row[0], "name": row[1]}, "facts": facts}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _same_but_where(report: str, fmt: str) -> Any:
    """A report without what identifies its evidence — the evidence's name and digest, and
    where each fact was read (a file's line, or a sheet's cell): all the rest must be equal."""
    import re

    if fmt == "json":
        doc = json.loads(report)
        doc.pop("evidence")

        def strip(node: Any) -> Any:
            if isinstance(node, dict):
                if ("type" in node and "value" in node) or set(node) >= {"text", "source"}:
                    node = {k: v for k, v in node.items() if k not in ("source", "location")}
                return {k: strip(v) for k, v in node.items()}
            if isinstance(node, list):
                return [strip(x) for x in node]
            return node

        return strip(doc)
    lines = report.splitlines()
    lines = [
        re.sub(r"  \[[^\]]*\]$", "", ln) for ln in lines if not ln.lstrip().startswith("依据：")
    ]
    return [
        re.sub(r"证据 \S+( \[P\d+\])?", "证据", re.sub(r"证据 SHA-256 \w+", "", ln)) for ln in lines
    ]


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_explain_gives_the_report_eval_gives_on_the_same_facts(
    table: Path, tmp_path: Path, fmt: str
) -> None:
    rows = portfolio(120)
    for index in (1, 2, 5):  # the founding case itself, and two others
        row = rows[index + 1]
        evidence = _evidence_of(row, rows[0], tmp_path / f"{row[0]}.yaml")
        code, plain, err = cli("eval", str(FOUNDING_PACK), str(evidence), "--format", fmt)
        assert code == 0, err
        code, chosen, err = cli(
            "eval", str(FOUNDING_PACK), "--batch", str(table), "--explain", row[0], "--format", fmt
        )
        assert code == 0, err
        assert _same_but_where(chosen, fmt) == _same_but_where(plain, fmt)
        assert chosen != plain  # the facts' places differ: the cells, not the file's lines
        if fmt == "table":
            assert f"[{table}, row {index + 2}, column" in chosen
            assert f"证据 {table} [{row[0]}]" in chosen


def test_explain_a_folder_project_is_eval_of_its_file_byte_for_byte(tmp_path: Path) -> None:
    from .helpers import FOUNDING_EVIDENCE

    folder = tmp_path / "projects"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.yaml").write_bytes(FOUNDING_EVIDENCE.read_bytes())
    for fmt in ("table", "json", "markdown"):
        _, plain, _ = cli("eval", str(FOUNDING_PACK), str(folder / "b.yaml"), "--format", fmt)
        code, chosen, _ = cli(
            "eval", str(FOUNDING_PACK), "--batch", str(folder), "--explain", "b", "--format", fmt
        )
        assert code == 0 and chosen == plain


def test_several_projects_in_the_portfolios_order(table: Path, tmp_path: Path) -> None:
    code, out, _ = cli(
        "eval", str(FOUNDING_PACK), "--batch", str(table), "--explain", "P005,P001", "--explain",
        "Ｐ００２", "--format", "json",
    )  # fmt: skip
    assert code == 0
    decoder, docs, at = json.JSONDecoder(), [], 0
    while at < len(out):
        doc, at = decoder.raw_decode(out, at)
        docs.append(doc["evidence"]["path"])
        at += 1
    assert docs == [f"{table} [P001]", f"{table} [P002]", f"{table} [P005]"]
    out_file = tmp_path / "report.html"
    code, _, _ = cli(
        "eval", str(FOUNDING_PACK), "--batch", str(table), "--explain", "P001,P002",
        "--output", str(out_file),
    )  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report-P001.html", "report-P002.html"]


def test_an_id_not_in_the_portfolio_is_named_and_exits_2(table: Path) -> None:
    code, out, err = cli(
        "eval", str(FOUNDING_PACK), "--batch", str(table), "--explain", "P001,P999,X"
    )
    assert code == 2
    assert "error[E850]: no projects `P999`, `X` in the portfolio" in err
    assert out.count("评价等级：") == 1  # the one found is still reported


def test_a_row_that_cannot_be_scored_says_why(table: Path) -> None:
    code, out, err = cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--explain", "P007")
    assert code == 1 and out == ""
    assert "error[E851]: project `P007`" in err and "column Z (重复故障次数)" in err


def test_reading_stops_once_every_project_is_found(table: Path) -> None:
    import itertools

    from jixiao.engine.tools.batch import read_table
    from jixiao.engine.tools.batch_explain import chosen

    plan = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))
    rows, _, _ = read_table(table, plan.program)

    def never() -> Any:
        raise AssertionError("read past the last project asked for")
        yield

    found = list(
        chosen(
            plan, itertools.chain(itertools.islice(rows, 3), never()), ["P002", "P000"], "p.csv", ""
        )
    )
    assert [(i, r is not None and r.total is not None) for i, r, _ in found] == [
        ("P000", True),
        ("P002", True),
    ]


@pytest.mark.parametrize(
    "more",
    [["--summary", "s.json"], ["--jobs", "2"], ["--partial"], ["--engine", "dask"]],
)
def test_explain_refuses_what_it_cannot_do(table: Path, more: list[str]) -> None:
    code, _, err = cli("eval", str(FOUNDING_PACK), "--batch", str(table), "--explain", "P1", *more)
    assert code == 2 and "Traceback" not in err


def test_explain_needs_a_portfolio() -> None:
    from .helpers import FOUNDING_EVIDENCE

    code, _, err = cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--explain", "P1")
    assert code == 2 and "`--explain` works only with `--batch`" in err


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.sampled_from(VALUES), min_size=len(VARIED), max_size=len(VARIED)),
        min_size=1,
        max_size=12,
    )
)
def test_a_leaf_known_by_its_cells_says_what_it_says_afresh(
    tmp_path_factory: Any, table: list[Any]
) -> None:
    """Leaves remembered by the texts of the cells they read (one plan over many rows and
    tables) explain and tally exactly as a plan that has seen nothing."""
    from jixiao.engine.tools.batch import read_table, score_row

    base = portfolio(1)
    header = base[0]
    at = [header.index(n) for n in VARIED]
    rows = [header]
    for i, cells in enumerate(table):
        row = list(base[1])
        row[0] = f"P{i}"
        for j, value in zip(at, cells, strict=True):
            row[j] = value
        rows.append(row)
    path = _write_csv(tmp_path_factory.mktemp("cells") / "p.csv", rows)
    read, _, _ = read_table(path, SHARED.program)
    for row in read:
        kept = score_row(SHARED, row, "p.csv")
        fresh = score_row(compile_text(FOUNDING_PACK.read_text(encoding="utf-8")), row, "p.csv")
        assert (kept.explained, kept.losses, kept.scores) == (
            fresh.explained,
            fresh.losses,
            fresh.scores,
        )
        # leaves taken whole from earlier rows (`batch._evaluated`) score as afresh too
        assert (kept.total, kept.grade, kept.errors) == (fresh.total, fresh.grade, fresh.errors)


@settings(max_examples=200, deadline=None)
@given(
    st.text(),
    st.text(),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text()),
    st.lists(st.text(), max_size=3),
    st.booleans(),
)
def test_a_json_line_worded_in_pieces_is_json_dumps(
    ident: str, name: str, total: str | None, grade: str | None, errors: list[str], explain: bool
) -> None:
    """Whatever a sheet's id, name or errors hold (quotes, line breaks, control characters,
    any script), the line worded piece by piece is `json.dumps`'s."""
    from jixiao.engine.tools.batch import _json_words, _record_line, record_json
    from jixiao.engine.tools.portfolio import ScoredProject

    scores = {"A": "1.00", 'B\\"1': None, "甲": "0.50"}
    entry = ("A", '名称\n"x"', "1.00", (("0.5", "理由\t“甲”"),))
    record = ScoredProject(ident, name, total, grade, scores, errors, explained=[entry])
    assert _record_line(record, _json_words("abc"), explain) == record_json(
        record, "abc", explain=explain
    )


def test_deductions_past_the_floor_are_not_counted_as_lost(tmp_path: Path) -> None:
    """`deduct 1 per 缺失项` over three items on a leaf of 2: the record says all three with
    扣完为止 on the last, as the report does, and the summary counts the 2 points lost, not 3
    (what the floor gave back is taken off the last deduction)."""
    here = ROOT / "tests" / "forms" / "deduct-per" / "floor"
    folder = tmp_path / "projects"
    folder.mkdir()
    (folder / "three.yaml").write_bytes((here / "three.yaml").read_bytes())
    summary = tmp_path / "s.json"
    code, out, err = cli(
        "eval", str(here / "pack.jx"), "--batch", str(folder), "--summary", str(summary)
    )
    assert code == 0, err
    (losses,) = json.loads(out)["losses"]
    assert losses["lost"] == "2.00" and len(losses["reasons"]) == 3
    assert losses["reasons"][-1]["text"] == "缺少：丙，扣 1 分（扣完为止，本项实扣 2 分）"
    reasons = json.loads(summary.read_text(encoding="utf-8"))["reasons"]
    assert sum(Decimal(r["points_lost"]) for r in reasons) == 2


def test_a_folder_project_that_cannot_be_read_says_why_as_eval_does(tmp_path: Path) -> None:
    from .helpers import FOUNDING_EVIDENCE

    folder = tmp_path / "projects"
    folder.mkdir()
    (folder / "a.yaml").write_text("facts: [not, a, mapping\n", encoding="utf-8")
    (folder / "b.yaml").write_bytes(FOUNDING_EVIDENCE.read_bytes())
    _, _, plain = cli("eval", str(FOUNDING_PACK), str(folder / "a.yaml"))
    code, out, err = cli("eval", str(FOUNDING_PACK), "--batch", str(folder), "--explain", "a,b")
    assert code == 1 and "Traceback" not in err
    assert plain.splitlines()[0] in err  # the evidence file's own diagnostic
    assert out.count("评价等级：良") == 1  # and the other project's report
