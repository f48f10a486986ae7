"""Portfolios in Parquet and Arrow IPC: the records of a typed columnar file are, byte for byte,
those of the same portfolio given as CSV; each Arrow type is read exactly; a bad column stops
the run with its name, a bad cell fails its own row; nothing imports pyarrow unless asked to."""

from __future__ import annotations

import csv
import datetime
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, cli
from .test_batch import portfolio

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
feather = pytest.importorskip("pyarrow.feather")

BOOL_FACTS = ("项目与职能规划相符", "预算有明细测算", "已出具验收报告")


def _rows(n: int) -> list[list[Any]]:
    """The batch tests' portfolio without its deliberate typos (compared rows all score)."""
    rows = portfolio(n)
    header = rows[0]
    count, budget = header.index("重复故障次数"), header.index("预算金额")
    rate = header.index("设备运行正常率")
    for row in rows[1:]:
        if row[count] == "很多":
            row[count] = 3
        if row[budget] == 0:
            row[budget] = 100000
        if row[rate] == "90%":
            row[rate] = 0.9
    return rows


def _write_csv(path: Path, rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _typed(rows: list[list[Any]]) -> Any:
    """The portfolio as an analyst's table: money as decimal(18, 2), counts as int64, the
    rate as float64, yes/no facts as bool, the rest as text."""
    header, body = rows[0], rows[1:]
    columns: dict[str, Any] = {}
    for j, name in enumerate(header):
        values = [r[j] for r in body]
        if name in ("预算金额", "实际支出"):
            columns[name] = pa.array([Decimal(str(v)).quantize(Decimal("0.01")) for v in values])
        elif name == "设备运行正常率":
            columns[name] = pa.array([float(v) for v in values], pa.float64())
        elif name in BOOL_FACTS:
            columns[name] = pa.array([v in (True, "是") for v in values], pa.bool_())
        elif all(type(v) is int for v in values):
            columns[name] = pa.array(values, pa.int64())
        else:
            columns[name] = pa.array([str(v) for v in values], pa.string())
    return pa.table(columns)


def _as_csv_values(rows: list[list[Any]]) -> list[list[Any]]:
    """The same table as a person would type it in a CSV: what `_typed` stores, as text."""
    header = rows[0]
    out = [header]
    for row in rows[1:]:
        cells = []
        for name, v in zip(header, row, strict=True):
            if name in ("预算金额", "实际支出"):
                cells.append(str(Decimal(str(v)).quantize(Decimal("0.01"))))
            elif name in BOOL_FACTS:
                cells.append("是" if v in (True, "是") else "否")
            else:
                cells.append(v)
        out.append(cells)
    return out


def _eval(path: Path, *more: str) -> tuple[int, str, str]:
    return cli("eval", str(FOUNDING_PACK), "--batch", str(path), *more)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("columnar")
    rows = _rows(120)
    table = _typed(rows)
    paths = {
        "csv": folder / "p.csv",
        "parquet": folder / "p.parquet",
        "feather": folder / "p.feather",
        "arrow": folder / "p.arrow",
        "stream": folder / "p.arrows",
    }
    _write_csv(paths["csv"], _as_csv_values(rows))
    pq.write_table(table, paths["parquet"], row_group_size=50)  # several row groups
    feather.write_feather(table, paths["feather"])
    with pa.ipc.new_file(paths["arrow"], table.schema) as w:
        for batch in table.to_batches(max_chunksize=40):
            w.write_batch(batch)
    with pa.ipc.new_stream(paths["stream"], table.schema) as w:
        w.write_table(table)
    return paths


@pytest.mark.parametrize("kind", ["parquet", "feather", "arrow", "stream"])
def test_records_byte_identical_to_csv(tables: dict[str, Path], kind: str) -> None:
    code, expected, _ = _eval(tables["csv"])
    assert code == 0
    code, out, err = _eval(tables[kind])
    assert code == 0, err
    assert out == expected
    assert "120 projects: 120 scored, 0 failed" in err


def test_summary_identical_but_for_the_input(tables: dict[str, Path], tmp_path: Path) -> None:
    docs = []
    for kind in ("csv", "parquet"):
        summary = tmp_path / f"{kind}.json"
        assert _eval(tables[kind], "--summary", str(summary))[0] == 0
        doc = json.loads(summary.read_text(encoding="utf-8"))
        doc.pop("input"), doc.pop("input_sha256")
        docs.append(doc)
    assert docs[0] == docs[1]


def test_parquet_output_holds_the_records_exactly(tables: dict[str, Path], tmp_path: Path) -> None:
    _, lines, _ = _eval(tables["csv"])
    out = tmp_path / "r.parquet"
    assert _eval(tables["parquet"], "--output", str(out))[0] == 0
    table = pq.read_table(out)
    assert table.schema.field("total").type == pa.decimal128(38, 2)
    records = [json.loads(line) for line in lines.splitlines()]
    assert table.schema.metadata[b"jixiao.pack_sha256"].decode() == records[0]["pack_sha256"]
    for record, row in zip(records, table.to_pylist(), strict=True):
        assert row["id"] == record["id"] and row["grade"] == record["grade"]
        assert str(row["total"]) == record["total"]  # Decimal at the pack's places: 87.70
        assert {c: str(row[c]) for c in record["scores"]} == record["scores"]
        assert row["errors"] == []


def test_parquet_output_keeps_failed_rows(tmp_path: Path) -> None:
    src = tmp_path / "p.csv"
    _write_csv(src, portfolio(60))  # rows 7 and 57 have a typo, 3 a zero budget
    out = tmp_path / "r.parquet"
    code, _, _ = _eval(src, "--output", str(out))
    assert code == 1
    rows = pq.read_table(out).to_pylist()
    assert [r["id"] for r in rows] == [f"P{i:03d}" for i in range(60)]
    failed = {r["id"]: r["errors"] for r in rows if r["total"] is None}
    assert set(failed) == {"P003", "P007", "P057"}
    assert "column Z (重复故障次数)" in failed["P007"][0]


def _one(tmp_path: Path, name: str, column: Any, fact: str = "预算金额") -> tuple[int, str, str]:
    """A two-fact pack's portfolio with `column` for `fact`; the other fact is 100."""
    pack = tmp_path / "p.jx"
    pack.write_text(
        'pack "示例" { total 100 }\n'
        "fact 预算金额: money\nfact 实际支出: money\n"
        "let 执行率: percent = 实际支出 / 预算金额\n"
        'indicator A "a" 100 { full when 执行率 >= 100% else proportional 执行率 }\n',
        encoding="utf-8",
    )
    n = len(column)
    other = "实际支出" if fact == "预算金额" else "预算金额"
    table = pa.table({"id": [f"P{i}" for i in range(n)], fact: column, other: [100] * n})
    path = tmp_path / name
    pq.write_table(table, path)
    return cli("eval", str(pack), "--batch", str(path))


def test_a_float_of_money_is_read_through_its_shortest_text(tmp_path: Path) -> None:
    # 0.1 + 0.2 as a double is 0.3000000000000000444…: read as its shortest repr, 300000…4
    # would be a different number; 0.3 is what was typed and 33.33 % is what it scores
    code, out, err = _one(tmp_path, "f.parquet", pa.array([300.0, 0.1 + 0.2, 1e16], pa.float64()))
    assert code == 0, err
    totals = [json.loads(line)["total"] for line in out.splitlines()]
    assert totals == ["33.33", "100.00", "0.00"]


def test_decimal_and_integer_columns_are_exact(tmp_path: Path) -> None:
    money = pa.array([Decimal("300.00"), Decimal("99.995"), None], pa.decimal128(12, 3))
    code, out, _ = _one(tmp_path, "d.parquet", money)
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["total"] for r in records[:2]] == ["33.33", "100.00"]
    assert records[2]["total"] is None and "预算金额" in records[2]["errors"][0]
    assert code == 1


@pytest.mark.parametrize(
    ("column", "shown"),
    [
        (pa.array([100.0, float("nan")], pa.float64()), "`nan`"),
        (pa.array([100.0, float("inf")], pa.float32()), "`inf`"),
    ],
)
def test_a_float_that_is_no_number_fails_its_row(tmp_path: Path, column: Any, shown: str) -> None:
    code, out, err = _one(tmp_path, "n.parquet", column)
    assert code == 1 and "Traceback" not in err
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["total"] == "100.00"
    assert records[1]["total"] is None
    assert f"row 2, column `预算金额`: {shown} is no exact value [E846]" in records[1]["errors"][0]


@pytest.mark.parametrize(
    "column",
    [
        pa.array([datetime.date(2017, 1, 1)]),
        pa.array([True]),
        pa.array([b"100"], pa.binary()),
        pa.array([["100"]], pa.list_(pa.string())),
        pa.array([{"x": 1}]),
    ],
)
def test_a_column_that_cannot_hold_its_fact_stops_the_run(tmp_path: Path, column: Any) -> None:
    code, out, err = _one(tmp_path, "t.parquet", column)
    assert code == 1 and out == "" and "Traceback" not in err
    assert "error[E845]" in err and "column `预算金额`" in err and "cannot be a money fact" in err


def test_a_string_column_is_read_as_csv_text(tmp_path: Path) -> None:
    code, out, _ = _one(tmp_path, "s.parquet", pa.array(["300", "1,000.5元", "很多", "10万元"]))
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["total"] for r in records] == ["33.33", "10.00", None, "0.10"]  # 9.995 %
    assert "`很多` is not money" in records[2]["errors"][0]
    assert code == 1


@pytest.mark.parametrize("name", ["bad.parquet", "bad.feather", "bad.arrow"])
def test_a_file_that_is_not_columnar_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"id,\xe9\xa2\x84\nP1,100\n")
    code, out, err = _eval(path)
    assert code == 1 and out == "" and "Traceback" not in err
    assert "error[E847]" in err


def test_a_parquet_file_cut_short_or_damaged_is_refused(
    tables: dict[str, Path], tmp_path: Path
) -> None:
    data = tables["parquet"].read_bytes()
    cut, damaged = tmp_path / "cut.parquet", tmp_path / "damaged.parquet"
    cut.write_bytes(data[: len(data) // 2])
    damaged.write_bytes(data[:200] + b"x" * 1000 + data[1200:])
    for path in (cut, damaged):
        code, _, err = _eval(path)
        assert code == 1 and "Traceback" not in err and "error[E847]" in err, err
    assert "not a Parquet file, or it is cut short" in _eval(cut)[2]


def test_a_parquet_file_under_a_csv_name_is_read_as_parquet(
    tables: dict[str, Path], tmp_path: Path
) -> None:
    disguised = tmp_path / "p.csv"
    disguised.write_bytes(tables["parquet"].read_bytes())
    assert _eval(disguised)[1] == _eval(tables["csv"])[1]


def test_header_checks_as_for_csv(tmp_path: Path) -> None:
    path = tmp_path / "h.parquet"
    pq.write_table(pa.table({"编号": ["P1", "P1"], "预算金额": [1, 2], "预算金歀": [1, 1]}), path)
    code, out, err = _eval(path)
    assert "warning[W620]" in err and "`预算金歀`" in err
    second = json.loads(out.splitlines()[1])
    assert (
        "project id `P1` is already used by" in second["errors"][0]
        and "row 1" in second["errors"][0]
    )
    no_id = tmp_path / "n.parquet"
    pq.write_table(pa.table({"预算金额": [1]}), no_id)
    code, _, err = _eval(no_id)
    assert code == 1 and "error[E620]" in err


def test_without_pyarrow_the_message_names_the_extra(
    tables: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    code, out, err = _eval(tables["parquet"])
    assert code == 1 and out == "" and "Traceback" not in err
    assert "jixiao[columnar]" in err
    folder = tmp_path / "evidence"  # (a folder: no table left open by the refusal)
    folder.mkdir()
    (folder / "a.yaml").write_bytes(FOUNDING_EVIDENCE.read_bytes())
    code, _, err = _eval(folder, "--output", str(tmp_path / "r.parquet"))
    assert code == 1 and "Traceback" not in err and "jixiao[columnar]" in err


def test_a_csv_portfolio_never_imports_pyarrow(tables: dict[str, Path]) -> None:
    script = (
        "import sys\nfrom jixiao.engine.cli import main\n"
        f"code = main(['eval', {str(FOUNDING_PACK)!r}, '--batch', {str(tables['csv'])!r}])\n"
        "assert 'pyarrow' not in sys.modules, 'pyarrow imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_bool_date_and_list_columns_read_as_their_csv_text(tmp_path: Path) -> None:
    pack = tmp_path / "k.jx"
    pack.write_text(
        'pack "示例" { total 100 }\n'
        "fact 完成: bool\nfact 日期: date\nfact 问题: list\n"
        'indicator A "a" 50 { full when 完成 and 日期 <= 2017-06-30 }\n'
        'indicator B "b" 50 { deduct 10 per 问题 }\n',
        encoding="utf-8",
    )
    day = datetime.datetime(2017, 6, 30)
    midnight = datetime.datetime(2017, 7, 1)
    columnar = tmp_path / "k.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["P1", "P2", "P3"],
                "完成": pa.array([True, True, False]),
                "日期": pa.array([day, midnight, day], pa.timestamp("s")),
                "问题": pa.array([["缺少验收报告", "未量化"], [], None], pa.list_(pa.string())),
            }
        ),
        columnar,
    )
    sheet = tmp_path / "k.csv"
    sheet.write_text(
        "id,完成,日期,问题\nP1,true,2017-06-30,缺少验收报告；未量化\nP2,true,2017-07-01,\n"
        "P3,false,2017-06-30,\n",
        encoding="utf-8",
    )
    code, out, err = cli("eval", str(pack), "--batch", str(columnar))
    assert code == 0, err
    assert out == cli("eval", str(pack), "--batch", str(sheet))[1]
    assert [json.loads(line)["total"] for line in out.splitlines()] == ["80.00", "50.00", "50.00"]
    late = tmp_path / "late.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["P1"],
                "完成": [True],
                "日期": pa.array([datetime.datetime(2017, 6, 30, 9)], pa.timestamp("s")),
            }
        ),
        late,
    )
    code, out, _ = cli("eval", str(pack), "--batch", str(late))
    assert code == 1 and "[E846]" in json.loads(out)["errors"][0]
