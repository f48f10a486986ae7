"""The batch pipeline's shortcuts change no byte: cells remembered per column parse as cells
read afresh, records are the same with or without a summary and in one process or several,
workers start from the compiled plan, and the collector is left as it was found."""

from __future__ import annotations

import csv
import gc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import FOUNDING_PACK, cli, compile_text
from .test_batch import NAMES, portfolio

PLAN = compile_text(FOUNDING_PACK.read_text(encoding="utf-8"))
#: texts a column may hold: good and bad for one kind or another, repeated across rows
TEXTS = ["0", "1", "3", "12", "90%", "0.95", "1.5", "很多", "不适用", "是", "否", "", "-1",
         "=SUM(A1)", "#N/A", "问题甲；问题乙", "无", "10万元", "100000", "２３"]  # fmt: skip


def write_csv(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(TEXTS), min_size=len(NAMES), max_size=len(NAMES)),
                min_size=2, max_size=12))  # fmt: skip
def test_remembered_cells_parse_as_fresh_ones(tmp_path_factory: Any, table: list[Any]) -> None:
    from jixiao.engine.tools.batch import column_memos, read_table, row_evidence

    rows = [["id", *NAMES], *([f"P{i}", *cells] for i, cells in enumerate(table))]
    path = write_csv(tmp_path_factory.mktemp("memo") / "p.csv", rows)
    read, _, _ = read_table(path, PLAN.program)
    memos = column_memos(PLAN.program)
    for row in read:
        kept, kept_problems = row_evidence(row, PLAN.program, "p.csv", memos)
        fresh, fresh_problems = row_evidence(row, PLAN.program, "p.csv")
        assert kept_problems == fresh_problems
        assert (kept is None) == (fresh is None)
        if kept is not None and fresh is not None:
            assert kept.values == fresh.values
            assert {n: kept.origins[n] for n in kept.origins} == {
                n: fresh.origins[n] for n in fresh.origins
            }


def test_records_are_the_same_serial_parallel_with_or_without_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of 16 rows to the workers, so many are in flight: JSON lines and CSV records
    byte for byte the serial run's, and a summary asked for changes no record."""
    from jixiao.engine.tools import batch

    monkeypatch.setattr(batch, "PARALLEL_BLOCK", 16)
    source = write_csv(tmp_path / "projects.csv", portfolio(300, seed=7))
    for suffix in ("jsonl", "csv"):
        outputs = []
        for jobs, summary in (("1", False), ("2", False), ("1", True), ("2", True)):
            out = tmp_path / f"out{jobs}{summary}.{suffix}"
            extra = ["--summary", str(tmp_path / f"s{jobs}.json")] if summary else []
            code, _, err = cli(
                "eval", str(FOUNDING_PACK), "--batch", str(source), "--jobs", jobs,
                "--output", str(out), *extra,
            )  # fmt: skip
            outputs.append((code, err, out.read_bytes()))
        assert all(o == outputs[0] for o in outputs[1:]), suffix
        assert outputs[0][0] == 1 and outputs[0][2].count(b"\n") >= 300  # some rows fail
    assert (tmp_path / "s1.json").read_bytes() == (tmp_path / "s2.json").read_bytes()


def test_a_forked_worker_starts_from_the_compiled_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    import jixiao.engine as engine
    from jixiao.engine.tools import batch

    def compiled_again(*args: Any) -> Any:
        raise AssertionError("the worker compiled the pack again")

    monkeypatch.setattr(engine, "compile_source", compiled_again)
    monkeypatch.setitem(batch._WORKER, "plan", PLAN)
    thresholds = gc.get_threshold()
    try:
        batch._init("pack.jx", "", ())
        assert batch._WORKER["plan"] is PLAN
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def test_the_collector_is_left_as_it_was(tmp_path: Path) -> None:
    from jixiao.engine.tools.batch import read_table, run_blocks

    source = write_csv(tmp_path / "projects.csv", portfolio(20))
    rows, count, _ = read_table(source, PLAN.program)
    before = (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled())
    blocks = run_blocks(PLAN, str(FOUNDING_PACK), rows, str(source), count, 1, summary=False)
    assert sum(len(records) for records, _ in blocks) == 20
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before
    with pytest.raises(RuntimeError):  # and when the loop is left by an exception
        for _ in run_blocks(
            PLAN,
            str(FOUNDING_PACK),
            iter(list(read_table(source, PLAN.program)[0])),
            str(source),
            count,
            1,
        ):
            raise RuntimeError
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before


def test_the_cells_remembered_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """However many distinct or long cells a portfolio has, a column remembers at most
    `MEMO_CELLS` texts of at most `MEMO_LENGTH` characters: memory stays flat."""
    from jixiao.engine.tools import batch

    monkeypatch.setattr(batch, "MEMO_CELLS", 3)
    rows = portfolio(12)
    column = rows[0].index("预算金额")
    findings = rows[0].index("立项依据缺失项")
    for i, row in enumerate(rows[1:]):
        row[column] = 100000 + i
        row[findings] = "缺" * 100 + str(i)
    source = write_csv(tmp_path / "p.csv", rows)
    read, _, _ = batch.read_table(source, PLAN.program)
    memos = batch.column_memos(PLAN.program)
    for row in read:
        kept, fresh = (batch.row_evidence(row, PLAN.program, "p.csv", m)[0] for m in (memos, None))
        assert (kept and kept.values) == (fresh and fresh.values)
    assert len(memos["预算金额"]) == 3 and memos["立项依据缺失项"] == {}
