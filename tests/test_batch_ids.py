"""A project id used twice (E653) is found in flat memory (`engine/tools/batch_ids.py`): digests
sorted in runs on disk narrow the search, and ids, never digests, decide. Held to a plain dict of
every id, with runs of 3 digests and digests of 2 bits (so nearly every id collides with
another), with and without a temporary file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.engine.tools import batch_ids
from jixiao.engine.tools.batch import Row

from .helpers import FOUNDING_PACK, cli

IDS = st.lists(st.sampled_from(["P1", "P2", "Ｐ1", " P1 ", "P3", "p1", "项目1", "项目１", "row 4"]))


def _rows(ids: list[str]) -> list[Row]:
    return [Row(i, "", n, (), (), f"t.csv, row {n}") for n, i in enumerate(ids, start=2)]


def _expected(ids: list[str]) -> list[str]:
    """Each row's problem, from a dict of every id seen (what flat memory must agree with)."""
    first: dict[str, int] = {}
    out = []
    for n, ident in enumerate(ids, start=2):
        k = batch_ids.key(ident)
        if k in first:
            out.append(
                f"t.csv, row {n}: project id `{ident}` is already used by t.csv, row {first[k]}"
            )
        else:
            first[k] = n
            out.append("")
    return out


def _weak(text: str) -> int:
    return batch_ids._digest(text) & 3  # four digests for every id there is


def _found(ids: list[str], digest: Any = batch_ids._digest, run: int = 3) -> list[str]:
    repeats = batch_ids.Repeats(run=run, digest=digest)
    for ident in ids:
        repeats.add(ident)
    rows = batch_ids.unique(iter(_rows(ids)), repeats.found(), digest)
    return [r.problem.split(" [E653]")[0] for r in rows]


@given(IDS)
def test_every_repeated_id_and_only_those_are_refused(ids: list[str]) -> None:
    assert _found(ids) == _expected(ids)


@given(IDS)
def test_ids_sharing_a_digest_are_never_refused_for_it(ids: list[str]) -> None:
    """Two different ids with one digest are both scored: the ids are compared, not digests."""
    assert _found(ids, _weak) == _expected(ids)
    assert _found(ids, _weak, run=1 << 16) == _expected(ids)  # one run, sorted in memory


@given(IDS)
def test_without_a_temporary_file_the_runs_stay_in_memory(ids: list[str]) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise OSError(28, "No space left on device")

    saved = tempfile.TemporaryFile
    tempfile.TemporaryFile = refuse  # type: ignore[assignment]
    try:
        assert _found(ids, _weak) == _expected(ids)
    finally:
        tempfile.TemporaryFile = saved  # type: ignore[assignment]


def test_many_runs_are_merged() -> None:
    """200,000 ids in 4 runs of 65,536 on disk: the three repeats are found, nothing else."""
    ids = [f"P{i}" for i in range(200_000)] + ["P7", "P199999", "P65536"]
    repeats = batch_ids.Repeats()
    for ident in ids:
        repeats.add(ident)
    found = repeats.found()
    assert found == {batch_ids._digest(i) for i in ("P7", "P199999", "P65536")}


@pytest.mark.parametrize("run", [None, 2])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_repeated_id_in_a_table_names_its_first_row(
    tmp_path: Path, suffix: str, run: int | None, monkeypatch: Any
) -> None:
    """Kept in memory (a small table), and found by a first pass over the ids (runs of 2)."""
    from .test_batch import portfolio, write_xlsx

    if run is not None:
        monkeypatch.setattr(batch_ids, "RUN", run)

    rows = portfolio(6)
    rows[5][0] = "Ｐ001"  # the id of row 3, typed in full-width
    path = tmp_path / f"p{suffix}"
    if suffix == ".csv":
        import csv

        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    elif suffix == ".xlsx":
        write_xlsx(path, rows)
    else:
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        header, body = rows[0], rows[1:]
        table = {h: pa.array([str(r[j]) for r in body]) for j, h in enumerate(header)}
        pq.write_table(pa.table(table), path)
    code, out, err = cli("eval", str(FOUNDING_PACK), "--batch", str(path))
    assert code == 1 and "Traceback" not in err
    lines = out.splitlines()
    first = "row 2" if suffix == ".parquet" else "row 3"  # (a Parquet file has no header row)
    assert "project id `Ｐ001` is already used by" in lines[4]
    assert (
        json.loads(lines[4])["errors"][0].split(" used by ")[1].split(" [E653]")[0].endswith(first)
    )
    assert all("already used" not in line for line in lines[:4] + lines[5:])
