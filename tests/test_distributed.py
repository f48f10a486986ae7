"""`--engine dask`: a Parquet portfolio scored on a local cluster of two worker processes gives,
byte for byte, the records and the summary of the single-machine run; `--output DIR/` writes a
partitioned dataset holding the same records. Skipped without the `distributed` extra."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import FOUNDING_PACK, cli
from .test_batch import portfolio
from .test_columnar_input import _rows, _typed

pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def scheduler() -> Any:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """350 projects in 7 row groups: typos, zero budgets, and a project id used twice across
    row groups (its second row fails, E653, as the whole file's reading fails it)."""
    rows = portfolio(350)
    rows[300][0] = rows[12][0]  # row group 6 reuses an id of row group 0
    table = pa.table(
        {name: pa.array([str(r[j]) for r in rows[1:]]) for j, name in enumerate(rows[0])}
    )
    path = tmp_path_factory.mktemp("dask") / "projects.parquet"
    pq.write_table(table, path, row_group_size=50)
    return path


def _eval(path: Path, *more: str) -> tuple[int, str, str]:
    return cli("eval", str(FOUNDING_PACK), "--batch", str(path), *more)


def test_records_and_summary_identical_to_one_machine(
    dataset: Path, scheduler: str, tmp_path: Path
) -> None:
    here, there = tmp_path / "here.json", tmp_path / "there.json"
    code, expected, err = _eval(dataset, "--summary", str(here))
    assert code == 1 and "350 projects: 337 scored, 13 failed" in err
    code, out, err = _eval(
        dataset, "--engine", "dask", "--scheduler", scheduler, "--summary", str(there)
    )
    assert code == 1 and "Traceback" not in err, err
    assert out == expected
    assert there.read_bytes() == here.read_bytes()
    twice = json.loads(out.splitlines()[299])
    assert "project id `P011` is already used by" in twice["errors"][0]


def test_a_partitioned_dataset_holds_the_same_records(
    dataset: Path, scheduler: str, tmp_path: Path
) -> None:
    single = tmp_path / "single.parquet"
    _eval(dataset, "--output", str(single))
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "part-00099.parquet").write_bytes(single.read_bytes())  # an earlier run's
    code, out, err = _eval(
        dataset, "--engine", "dask", "--scheduler", scheduler, "--output", f"{parts}/"
    )
    assert code == 1 and out == "" and "Traceback" not in err
    assert sorted(p.name for p in parts.iterdir()) == [f"part-{i:05d}.parquet" for i in range(7)]
    import pyarrow.dataset as ds

    assert ds.dataset(parts).to_table().equals(pq.read_table(single))


def test_a_folder_of_files_is_one_dataset(scheduler: str, tmp_path: Path) -> None:
    rows = _rows(40)
    header, body = rows[0], rows[1:]
    folder = tmp_path / "ds"
    folder.mkdir()
    for n in range(2):
        part = [header, *body[20 * n : 20 * (n + 1)]]
        pq.write_table(_typed(part), folder / f"part-{n}.parquet")
    code, out, err = _eval(folder, "--engine", "dask", "--scheduler", scheduler)
    assert code == 0 and "Traceback" not in err, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == [f"P{i:03d}" for i in range(40)]


def test_a_damaged_partition_stops_the_run(scheduler: str, tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(_typed(_rows(20)), good)
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "a.parquet").write_bytes(good.read_bytes())
    (folder / "b.parquet").write_bytes(b"not parquet at all")
    code, _, err = _eval(folder, "--engine", "dask", "--scheduler", scheduler)
    assert code == 1 and "Traceback" not in err and "error[E847]" in err


def test_scheduler_without_dask_is_a_usage_error(dataset: Path) -> None:
    code, _, err = _eval(dataset, "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 2 and "`--scheduler` works only with `--engine dask`" in err
    code, _, err = _eval(dataset, "--engine", "dask", "--jobs", "2")
    assert code == 2 and "`--jobs` works only with `--engine local`" in err


@pytest.fixture(scope="module")
def sliced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """3,000 typed projects, one id used twice across files, as one file of 3 row groups of
    1,000 and as a dataset folder of 3 files: at scale, CI-sized."""
    rows = _rows(3000)
    rows[2500][0] = rows[10][0]
    table = _typed(rows)
    base = tmp_path_factory.mktemp("sliced")
    one = base / "one.parquet"
    pq.write_table(table, one, row_group_size=1000)
    folder = base / "ds"
    folder.mkdir()
    for n in range(3):
        pq.write_table(table.slice(1000 * n, 1000), folder / f"part-{n}.parquet")
    return one, folder


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".csv"])
def test_row_groups_sliced_give_the_one_machine_records(
    sliced: tuple[Path, Path], scheduler: str, tmp_path: Path, suffix: str, monkeypatch: Any
) -> None:
    """A row group larger than a partition is scored in slices (`PART_ROWS`), its records
    packed `PACK_ROWS` at a time: the records and the summary are the single run's, byte for
    byte."""
    from jixiao.engine.tools import distributed

    monkeypatch.setattr(distributed, "PART_ROWS", 384)  # 3 slices a row group, the last short
    monkeypatch.setattr(distributed, "PACK_ROWS", 100)
    one, _ = sliced
    here, there = tmp_path / f"here{suffix}", tmp_path / f"there{suffix}"
    code, _, err = _eval(
        one, "--jobs", "2", "--output", str(here), "--summary", str(here) + ".json"
    )
    assert code == 1 and "3000 projects: 2999 scored, 1 failed" in err
    code, _, err = _eval(
        one,
        *("--engine", "dask", "--scheduler", scheduler, "--output", str(there)),
        *("--summary", str(there) + ".json"),
    )
    assert code == 1 and "3000 projects: 2999 scored, 1 failed" in err, err
    assert _digest(there.read_bytes()) == _digest(here.read_bytes())
    summaries = (Path(str(p) + ".json").read_bytes() for p in (there, here))
    assert _digest(next(summaries)) == _digest(next(summaries))


def test_a_dataset_folder_gives_the_one_file_records(
    sliced: tuple[Path, Path], scheduler: str, tmp_path: Path
) -> None:
    """The same projects as a folder of files: the same records, and an id used in two files
    is refused in the second, naming the first file's row."""
    one, folder = sliced
    code, expected, _ = _eval(one)
    code, out, err = _eval(folder, "--engine", "dask", "--scheduler", scheduler)
    assert code == 1 and "3000 projects: 2999 scored, 1 failed" in err, err
    got, want = out.splitlines(), expected.splitlines()
    assert got[:2499] + got[2500:] == want[:2499] + want[2500:]
    twice = json.loads(got[2499])["errors"][0]
    assert f"{folder / 'part-2.parquet'}, row 500: project id `P009` is already used by " in twice
    assert f"{folder / 'part-0.parquet'}, row 10" in twice
