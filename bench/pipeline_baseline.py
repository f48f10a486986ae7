"""The hand-written portfolio pipeline, file to file: a CSV of projects (as `bench/run.py`
writes them) in, one JSON line per project out, with its total, grade, leaf points and the
reasons points were lost. What a careful programmer would write instead of `jixiao eval
--batch`: every column's parser written by hand for the founding pack, `bench/baseline.py`'s
standards, no checking of hostile cells.

    python bench/pipeline_baseline.py projects.csv records.jsonl
    python bench/pipeline_baseline.py projects.parquet records.jsonl   (the `columnar` extra)

A Parquet file's typed columns are taken as they are (decimals, integers, booleans, lists of
texts), a record batch at a time, as a careful programmer would read them with pyarrow.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from baseline import score

LISTS = {
    "立项依据缺失项", "立项程序缺失环节", "未量化绩效指标", "违规使用资金", "采购文件缺失项",
}  # fmt: skip


def grade(total: Decimal) -> str:
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def csv_projects(source: str) -> Iterator[tuple[str, dict[str, object]]]:
    with open(source, encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        for row in rows:
            facts: dict[str, object] = {}
            for name, cell in zip(header[1:], row[1:], strict=True):
                if name in LISTS:
                    facts[name] = tuple(i for i in cell.split("；") if i)
                elif cell in ("是", "否"):
                    facts[name] = cell == "是"
                else:
                    facts[name] = Decimal(cell)
            yield row[0], facts


def parquet_projects(source: str) -> Iterator[tuple[str, dict[str, object]]]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(source).iter_batches(batch_size=4096):
        columns = batch.to_pydict()
        ids = columns.pop("id")
        for i, ident in enumerate(ids):
            facts: dict[str, object] = {}
            for name, values in columns.items():
                value = values[i]
                if name in LISTS:
                    facts[name] = tuple(value or ())
                elif isinstance(value, bool):
                    facts[name] = value
                else:
                    facts[name] = Decimal(value)
            yield ident, facts


def main(source: str, target: str) -> None:
    projects = parquet_projects if source.endswith(".parquet") else csv_projects
    with open(target, "w", encoding="utf-8") as out:
        for ident, facts in projects(source):
            points, total, why = score(facts)
            record = {
                "id": ident,
                "total": str(total),
                "grade": grade(total),
                "scores": {code: str(p) for code, p in points.items()},
                "reasons": why,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
