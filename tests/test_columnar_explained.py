"""`eval --batch` over columns with its explanations — what `--engine local` runs wherever numpy
and the pack allow: every record, its points, its errors and why each of its leaves lost points
(JSON `losses`, the 扣分说明 column), is the ledger path's, byte for byte, however often the
cells a leaf reads repeat, whichever projects the columns leave to the ledger path."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.dsl.diagnostics import JixiaoError
from jixiao.dsl.source import Source
from jixiao.engine import compile_source
from jixiao.engine.common.result import NA
from jixiao.engine.common.types import Kind
from jixiao.engine.tools.strategies import facts_for, rounded_pack_texts

np = pytest.importorskip("numpy")

from jixiao.engine.tools import batch_columnar  # noqa: E402
from jixiao.engine.tools.batch import (  # noqa: E402
    read_table,
    record_json,
    score_block,
    score_row,
)
from jixiao.engine.tools.batch_columnar import score_columns, vector_plan  # noqa: E402
from jixiao.engine.tools.portfolio import Summary, explanation_text  # noqa: E402
from jixiao.engine.tools.portfolio_report import render_json  # noqa: E402

from .test_columnar import PACK, _jixiao  # noqa: E402

#: Kinds a portfolio's cell cannot hold (a list of records, a panel, a judgement with its
#: reason): their columns are left out, so the projects whose rules read them fail both ways.
_NOT_CELLS = (Kind.RECORDS, Kind.PANEL, Kind.JUDGEMENT)


def _cell(value: Any, kind: Kind) -> str:
    """A generated value as an office would type it in a sheet."""
    if value is NA:
        return "不适用"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value * 100, "f") + "%" if kind is Kind.PERCENT else format(value, "f")
    if isinstance(value, tuple):
        return "；".join(item.text for item in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _write(path: Path, program: Any, projects: list[dict[str, Any]]) -> None:
    names = [n for n, f in program.facts.items() if not f.is_param and f.kind not in _NOT_CELLS]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", *names])
        for i, facts in enumerate(projects):
            kinds = program.facts
            out.writerow(
                [f"P{i}", *(_cell(facts[n], kinds[n].kind) if n in facts else "" for n in names)]
            )


def _both(
    text: str, projects: list[dict[str, Any]], lang: str, weight_by: int = 0
) -> tuple[int, int] | None:
    """Score `projects` as a CSV portfolio both ways, each with a plan of its own; every record
    must be the same, and the summary of each (weighted by the `weight_by`th number fact, if
    any). Returns (projects the columns decided, projects), None for a pack the columns cannot
    run."""
    plans = []
    for _ in range(2):
        try:
            plans.append(compile_source(Source("generated.jx", text))[0])
        except JixiaoError:
            return None  # a weight the rounding cannot reach (E431): the checker refuses it
    ledger_plan, plan = plans
    vp = vector_plan(plan)[0]
    if vp is None:
        return None
    numbers = [n for n, f in plan.program.facts.items() if f.kind in (Kind.MONEY, Kind.NUMBER)]
    weigh = numbers[weight_by % len(numbers)] if weight_by and numbers else None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "projects.csv"
        _write(path, plan.program, projects)
        source = str(path)
        rows = list(read_table(path, plan.program)[0])
        expected = [
            score_row(ledger_plan, row, source, summary=False, explain=True, lang=lang)
            for row in list(read_table(path, ledger_plan.program)[0])
        ]
        tallied, ledger_tally = score_block(
            ledger_plan, list(read_table(path, ledger_plan.program)[0]), source, None, weigh
        )
    decided = sum(1 for row in rows if not row.problem)
    got, _ = score_columns(plan, vp, rows, source, "sha", explain=True, lang=lang)
    # again, with the words of every leaf remembered from the first time
    again, _ = score_columns(plan, vp, rows, source, "sha", explain=True, lang=lang)
    assert [r.line for r in again] == [r.line for r in got]
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert a.line == record_json(b, "sha"), (a.line, record_json(b, "sha"))
        assert a.explained == b.explained
        assert explanation_text(a.explained, lang) == explanation_text(b.explained, lang)
    # with a summary: each record's points, losses and weight as the tally reads them, and
    # the summary itself
    summed, tally = score_columns(plan, vp, rows, source, None, True, "zh", True, weigh)
    for a, b in zip(summed, tallied, strict=True):
        assert (a.scores, a.losses, a.weight, a.errors) == (b.scores, b.losses, b.weight, b.errors)
    assert _summary(plan, tally, weigh) == _summary(ledger_plan, ledger_tally, weigh)
    return decided, len(rows)


def _summary(plan: Any, tally: Any, weight_by: str | None) -> str:
    summary = Summary(plan.program, weight_by=weight_by)
    summary.merge(tally)
    return render_json(summary)


def _projects(data: Any, plan_text: str) -> list[dict[str, Any]]:
    """Projects for a pack, some given twice or more (a leaf's words are then remembered by
    the cells it reads), some with a fact missing or 不适用."""
    plan = compile_source(Source("generated.jx", plan_text))[0]
    projects = data.draw(st.lists(facts_for(plan), min_size=1, max_size=10))
    for facts in projects:
        gone = data.draw(st.sampled_from([None, None, *sorted(facts)]))
        if gone is not None:
            if data.draw(st.booleans()):
                del facts[gone]
            else:
                facts[gone] = NA
    again = data.draw(st.lists(st.sampled_from(range(len(projects))), max_size=10))
    return projects + [dict(projects[k]) for k in again]


def test_explained_records_over_columns_are_the_ledger_paths_on_generated_packs() -> None:
    """Generated packs of every rule form (the leaves the columns cannot run are scored by
    their ledger closures), any places and rounding mode, in both languages: the same records,
    explanations included. The same examples every run, so the count below cannot flake."""
    seen = [0, 0]

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def agree(data: Any) -> None:
        text = data.draw(rounded_pack_texts())
        try:
            projects = _projects(data, text)
        except JixiaoError:
            return
        lang = data.draw(st.sampled_from(["zh", "en"]))
        counted = _both(text, projects, lang, data.draw(st.integers(0, 3)))
        if counted is not None:
            seen[0] += counted[0]
            seen[1] += counted[1]

    agree()
    assert seen[1] >= 200 and seen[0], seen  # enough portfolios were scored both ways


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_explained_records_over_columns_on_any_generated_pack(data: Any) -> None:
    """As above, drawn afresh on every run (and with CI's larger profile)."""
    text = data.draw(rounded_pack_texts())
    try:
        projects = _projects(data, text)
    except JixiaoError:
        return
    _both(text, projects, "zh", data.draw(st.integers(0, 3)))


def test_a_leaf_whose_own_ledger_disagrees_sends_its_projects_to_the_ledger_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where a leaf's words cannot be had from its own ledger (`leaves_only` gives none, as for
    a leaf a veto could zero), the projects are scored whole by the ledger path: their records
    are the same, never a record without its reasons."""
    from jixiao.engine.runtime import evaluator

    monkeypatch.setattr(evaluator, "leaves_only", lambda *a: None)
    text = PACK.read_text(encoding="utf-8")
    plan = compile_source(Source(str(PACK), text))[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "projects.csv"
        _founding_projects(path, 50, seed=3)
        rows = list(read_table(path, plan.program)[0])
        vp = vector_plan(plan)[0]
        assert vp is not None
        got, _ = score_columns(plan, vp, rows, str(path), "sha", explain=True)
        ledger_plan = compile_source(Source(str(PACK), text))[0]
        for a, row in zip(got, rows, strict=True):
            b = score_row(ledger_plan, row, str(path), summary=False, explain=True)
            assert a.line == record_json(b, "sha")
    assert any(record.explained for record in got)


@pytest.fixture(scope="module")
def unique_amounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The founding pack's generated projects with amounts of their own (no two alike, as in a
    real province's portfolio), rows that fail, and rows given twice."""
    path = tmp_path_factory.mktemp("explained") / "projects.csv"
    _founding_projects(path, 600, seed=11, unique=True)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".xlsx", ".parquet"])
def test_the_local_engine_writes_the_ledger_paths_records(
    unique_amounts: Path, tmp_path: Path, suffix: str
) -> None:
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    ledger, local = tmp_path / f"ledger{suffix}", tmp_path / f"local{suffix}"
    summary = ".html" if suffix == ".csv" else ".json"  # and a summary, weighted or not
    weighted = ["--weight-by", "预算金额"] if suffix in (".csv", ".xlsx") else []
    sums = {engine: tmp_path / f"{engine}{summary}" for engine in ("ledger", "local")}
    a = _jixiao(
        *("eval", str(PACK), "--batch", str(unique_amounts), "--output", str(ledger)),
        *("--engine", "ledger", "--summary", str(sums["ledger"]), *weighted),
    )
    b = _jixiao(
        *("eval", str(PACK), "--batch", str(unique_amounts), "--output", str(local)),
        *("--summary", str(sums["local"]), *weighted),
    )
    assert a[0] == b[0] == 1 and a[2] == b[2]  # some projects failed, both ways, said alike
    assert sums["ledger"].read_bytes() == sums["local"].read_bytes()
    if suffix == ".xlsx":
        import openpyxl

        def cells(p: Path) -> list[Any]:
            book = openpyxl.load_workbook(p, read_only=True)
            return [list(r) for ws in book.worksheets for r in ws.iter_rows(values_only=True)]

        assert cells(ledger) == cells(local)
    else:
        assert ledger.read_bytes() == local.read_bytes()
    if suffix == ".jsonl":
        lines = [json.loads(line) for line in local.read_text(encoding="utf-8").splitlines()]
        assert sum(bool(r["losses"]) for r in lines) > len(lines) // 2


def test_the_local_engine_in_two_processes_and_in_english(
    unique_amounts: Path, tmp_path: Path
) -> None:
    ledger = _jixiao("eval", str(PACK), "--batch", str(unique_amounts), "--engine", "ledger")
    two = _jixiao("eval", str(PACK), "--batch", str(unique_amounts), "--jobs", "2")
    assert ledger[1] == two[1] and ledger[1]
    en_ledger = _jixiao(
        "--lang", "en", "eval", str(PACK), "--batch", str(unique_amounts), "--engine", "ledger"
    )
    en = _jixiao("--lang", "en", "eval", str(PACK), "--batch", str(unique_amounts))
    assert en_ledger[1] == en[1] != ledger[1]


def test_blocks_of_a_portfolio_share_what_they_have_worded(
    unique_amounts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of a few rows each: a leaf's words remembered in one block serve the next, and
    the records are those of one block."""
    plan = compile_source(Source(str(PACK), PACK.read_text(encoding="utf-8")))[0]
    rows = list(read_table(unique_amounts, plan.program)[0])
    vp = vector_plan(plan)[0]
    assert vp is not None
    whole, _ = score_columns(plan, vp, rows, "s", "sha", explain=True)
    monkeypatch.setattr(batch_columnar, "BLOCK", 7)
    plan = compile_source(Source(str(PACK), PACK.read_text(encoding="utf-8")))[0]
    blocks = batch_columnar.columnar_blocks(plan, vp, iter(rows), "s", "sha", explain=True)
    assert [r.line for records, _ in blocks for r in records] == [r.line for r in whole]


def test_the_generated_portfolio_varies() -> None:
    """The fixture above is what it says: amounts of their own, failures, repeats."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        _founding_projects(path, 200, seed=1, unique=True)
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))[1:]
    assert len({r[1] for r in rows}) > 150
    assert sum(r[1:] == q[1:] for r in rows for q in rows) > len(rows)
    assert any("很多" in r for r in rows)


def _founding_projects(path: Path, n: int, seed: int, unique: bool = False) -> None:
    """`n` of bench/run.py's generated projects as a CSV portfolio; with `unique`, budgets and
    spending of their own; every 40th with a count typed in words (the row fails), every 9th
    the cells of a row before it again (under an id of its own)."""
    from run import _cell as cell
    from run import iter_records

    rng = random.Random(seed)
    written: list[list[str]] = []
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        for i, record in enumerate(iter_records(n, seed)):
            cells = {name: cell(value) for name, value in record.items()}
            if i == 0:
                out.writerow(["id", *cells])
            if unique:
                budget = Decimal(rng.randint(5_000_000, 20_000_000)).scaleb(-2)
                rate = Decimal(rng.choice(["1", "0.95", "0.9", "0.8", "1.1", "0.99"]))
                cells["预算金额"] = str(budget)
                cells["实际支出"] = str((budget * rate).quantize(Decimal("0.01")))
            if i % 40 == 7:
                cells["重复故障次数"] = "很多"
            row = list(cells.values())
            if i % 9 == 8:
                row = written[i - 5]
            written.append(row)
            out.writerow([f"P{i:04d}", *row])
