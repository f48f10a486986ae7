"""`eval PACK --batch DATASET --engine dask [--scheduler ADDRESS]`: a Parquet portfolio scored
past one machine, on a Dask distributed cluster (the `distributed` extra; the one module that
imports it, and only for that option).

Why Dask: it is Python end to end — a worker runs jixiao's own scorer in its own process, fed
with the same `Row`s and giving the same `ScoredProject`s and mergeable tallies as `--jobs`
workers, so the records cannot drift from the single-machine run's; it reads Parquet through
the pyarrow jixiao already uses; a cluster is one `pip install` and `dask scheduler` / `dask
worker` on each machine (or Kubernetes, YARN, HPC queues through dask-kubernetes, dask-yarn,
dask-jobqueue), and a `LocalCluster` tests it on one machine. Ray would serve as well (its
tasks are the same shape: `_score` is a plain function of picklable arguments); Spark's
`mapInArrow` would run the scorer in Python workers behind a JVM, a second runtime to install
and keep for no gain in exactness.

A partition is one row group of one Parquet file: the file itself (a file or a folder of files,
a dataset) is read by the worker that scores it, where it lies (a path every worker can read: a
shared disk, or an fsspec URL the workers resolve). The pack's text goes to each worker once,
with a worker plugin that compiles it there; tasks name it by its digest. The client reads only
the id columns first, to fail a row whose project id an earlier row of its file has (E653) as
the single-machine reader does. Records come back partition by partition in input order and are
written by the usual writers (JSON lines, CSV, XLSX, Parquet), byte for byte the single run's;
with `--output DIR/` each worker writes its partition's records as `DIR/part-NNNNN.parquet`
instead (a partitioned dataset). The tallies merge exactly into the summary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError
from jixiao.dsl.source import Source

from ..common import messages as msg
from .arrow import PARQUET, row_groups
from .batch_arrow import id_problems, read_columnar

if TYPE_CHECKING:
    from ..plan.compiler import Plan
    from ..plan.vector import VectorPlan
    from .portfolio import ScoredProject, Tally

EXTRA = "--engine dask needs the `distributed` extra: pip install 'jixiao[distributed]'"
WINDOW = 64  # partitions in flight at most, whatever the cluster's size (memory stays flat)

#: The compiled packs of this worker process, by the digest of their text.
_PLANS: dict[str, Plan] = {}


@dataclass(frozen=True, slots=True)
class Part:
    """One partition: rows of one row group of a Parquet file (all of them, or a slice of at
    most `PART_ROWS` of a larger one), with the rows of the file before it."""

    path: str
    row_group: int
    first: int
    rows: int
    skip: int = 0  # rows of the row group before the part


#: Rows of a partition at most: a row group of a million rows (pyarrow's default) is scored in
#: slices, so no worker holds more than this many rows and records at once.
PART_ROWS = 65_536
#: Records packed (pickled, compressed) together by a worker: the client holds a partition
#: compressed while it waits its turn, and only this many records unpacked at a time.
PACK_ROWS = 1024


def dataset_parts(dataset: Path) -> list[Path]:
    """The Parquet files of a dataset: the file itself, or a folder's `.parquet` files at any
    depth, in path order (a dataset written by Spark, Dask or pyarrow is such a folder)."""
    if dataset.is_dir():
        found = sorted(
            p
            for p in dataset.rglob("*")
            if p.suffix.lower() in PARQUET and p.is_file() and not p.name.startswith((".", "_"))
        )
        if not found:
            raise JixiaoError([msg.dataset_not_parquet(str(dataset), "it holds no .parquet file")])
        return found
    if dataset.suffix.lower() not in PARQUET:
        raise JixiaoError(
            [msg.dataset_not_parquet(str(dataset), "it is not a .parquet file or a folder")]
        )
    return [dataset]


def prepare(
    dataset: Path, program: Any
) -> tuple[list[Part], dict[str, dict[int, str]], int | None, list[Diagnostic]]:
    """The partitions, the rows failed for a project id used twice (by file), how many rows
    there are, and the header warnings — all read on this machine, from the files' metadata
    and id columns only."""
    paths = dataset_parts(dataset)
    problems, counts, diags = id_problems(paths, program)
    parts: list[Part] = []
    for path in paths:
        first = 0
        for i, rows in enumerate(row_groups(path)):
            for skip in range(0, max(rows, 1), PART_ROWS):
                take = min(PART_ROWS, rows - skip)
                parts.append(Part(str(path), i, first + skip, take, skip))
            first += rows
    return parts, problems, sum(n or 0 for n in counts), diags


def _client(scheduler: str | None) -> Any:
    try:
        import distributed
    except ImportError:
        raise JixiaoError([msg.engine_unavailable("dask", EXTRA)]) from None
    dd: Any = distributed  # (no type information)
    if scheduler is None:
        return dd.Client(dd.LocalCluster(processes=True, dashboard_address=None))
    try:
        return dd.Client(scheduler, timeout="30s")
    except ValueError:  # not an address: `tcp://HOST:PORT`
        why = f"`{scheduler}` is not a scheduler's address (tcp://HOST:PORT)"
        raise JixiaoError([msg.engine_unavailable("dask", why)]) from None
    except (OSError, TimeoutError):
        why = f"no scheduler answered at `{scheduler}` within 30 s"
        raise JixiaoError([msg.engine_unavailable("dask", why)]) from None


def _load(sha: str, pack_path: str, pack_text: str) -> None:
    """Compile the pack on this worker, once (a worker plugin's setup)."""
    if sha not in _PLANS:
        from .. import compile_source

        _PLANS[sha] = compile_source(Source(pack_path, pack_text))[0]


def _plugin(sha: str, pack_path: str, pack_text: str) -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class PackPlugin(WorkerPlugin):
        name = f"jixiao-pack-{sha[:16]}"

        def setup(self, worker: Any) -> None:
            _load(sha, pack_path, pack_text)

    return PackPlugin()


def _columns(plan: Plan) -> VectorPlan | None:
    """The pack over columns, where the worker has numpy and the columns run the pack."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return None
    from .batch_columnar import vector_plan

    return vector_plan(plan)[0]


def _score(
    part: Part,
    sha: str,
    twice: dict[int, str],
    json_sha256: str | None,
    weight_by: str | None,
    out: str | None,
    codes: list[str],
    summary: bool = True,
    explain: bool = True,
    lang: str = "zh",
) -> tuple[list[bytes], Tally | None, int, tuple[Diagnostic, ...]]:
    """Score one partition on a worker, a block at a time: its records packed `PACK_ROWS` at a
    time (`unpack`; with `out`, its records written there as a Parquet file and only the failed
    ones returned), its tally and its row count — or the diagnostics of a partition that cannot
    be read (returned as data: they cross processes)."""
    import itertools

    from .batch import BLOCK, score_block
    from .batch_columnar import BLOCK as COLUMN_BLOCK
    from .batch_columnar import score_columns

    plan = _PLANS[sha]
    at = (part.row_group, part.first, part.skip, part.rows)
    try:
        read, _, _ = read_columnar(Path(part.path), plan.program, at)
        rows = (
            replace(row, problem=twice[row.number])
            if not row.problem and row.number in twice
            else row
            for row in read
        )
        packed: list[bytes] = []
        waiting: list[ScoredProject] = []
        tally: Tally | None = None
        writer = None
        if out is not None:
            from .arrow import ParquetRecords

            writer = ParquetRecords(Path(out), plan.program, codes, sha, explain=explain)
        count = 0
        columns = _columns(plan)
        size = BLOCK if columns is None else COLUMN_BLOCK
        for block in iter(lambda: list(itertools.islice(rows, size)), []):
            if columns is not None:  # as `--engine local` scores it: the same records
                # (written here as Parquet: from their points, not their JSON lines)
                worded = json_sha256 if writer is None else None
                records, t = score_columns(
                    plan, columns, block, part.path, worded, explain, lang, summary, weight_by
                )
            else:
                records, t = score_block(
                    plan, block, part.path, json_sha256, weight_by, summary, explain, lang
                )
            count += len(records)
            if tally is None:
                tally = t
            else:
                tally.merge(t)
            for record in records:
                if writer is not None:
                    writer.write(record)
                    if record.total is not None:
                        continue
                elif record.line is not None:  # worded: the client writes the line only
                    record.scores, record.losses, record.explained = {}, [], []
                waiting.append(record)
                if len(waiting) >= PACK_ROWS:
                    packed.append(_pack(waiting))
                    waiting = []
        if waiting:
            packed.append(_pack(waiting))
        if writer is not None:
            writer.close()
    except JixiaoError as exc:
        return [], None, 0, exc.diagnostics
    except OSError as exc:  # writing the partition (pyarrow's input/output errors are OSErrors)
        why = exc.strerror or str(exc) or type(exc).__name__
        return [], None, 0, (msg.output_unwritable("--output", out or "", why),)
    if tally is None:  # a partition of no rows
        from .portfolio import tally_for

        tally = tally_for(plan.program, weight_by=weight_by, counts_only=not summary)
    return packed, tally, count, ()


def _pack(records: list[ScoredProject]) -> bytes:
    import pickle
    import zlib

    return zlib.compress(pickle.dumps(records, pickle.HIGHEST_PROTOCOL), 1)


def unpack(packed: list[bytes]) -> Iterator[ScoredProject]:
    """A partition's records, `PACK_ROWS` unpacked at a time."""
    import pickle
    import zlib

    for data in packed:
        yield from pickle.loads(zlib.decompress(data))  # (from this run's own workers)


def run_dask(
    plan: Plan,
    pack_path: str,
    parts: list[Part],
    problems: dict[str, dict[int, str]],
    scheduler: str | None,
    json_sha256: str | None,
    weight_by: str | None,
    out_dir: Path | None = None,
    summary: bool = True,
    explain: bool = True,
    lang: str = "zh",
) -> Iterator[tuple[Iterable[ScoredProject], Tally]]:
    """(records, tally) partition by partition, in input order, scored on the cluster at
    `scheduler` (a local cluster of one worker process per core when None); with `out_dir`
    the records are there and only the failed ones come back. `summary`: whether the tallies
    keep what a summary needs (else counts only). Partitions are submitted two per worker
    thread ahead of the one being written (at most `WINDOW`), so the client's memory stays
    flat: each waits packed, and is unpacked `PACK_ROWS` records at a time."""
    text = plan.program.source.text
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    codes = [i.code for i in plan.program.indicators]
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            for stale in out_dir.glob("part-*.parquet"):  # they would join this run's dataset
                stale.unlink()
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            raise JixiaoError([msg.output_unwritable("--output", str(out_dir), why)]) from None
    client = _client(scheduler)
    try:
        client.register_plugin(_plugin(sha, pack_path, text))
        futures: list[tuple[Part, Any]] = []
        pending = iter(enumerate(parts))

        def submit() -> None:
            item = next(pending, None)
            if item is not None:
                n, part = item
                out = str(out_dir / f"part-{n:05d}.parquet") if out_dir is not None else None
                twice = problems.get(part.path, {})
                mine = {k: v for k, v in twice.items() if part.first < k <= part.first + part.rows}
                future = client.submit(
                    _score,
                    *(part, sha, mine, json_sha256, weight_by, out, codes, summary, explain, lang),
                    pure=False,
                )
                futures.append((part, future))

        threads = sum(client.nthreads().values()) or 1
        for _ in range(min(2 * threads + 1, WINDOW)):
            submit()
        while futures:
            part, future = futures.pop(0)
            submit()
            try:
                packed, tally, _, diagnostics = future.result()
            except Exception as exc:  # a worker lost, or killed, while scoring the partition
                why = f"a worker failed scoring {part.path}, row group {part.row_group} ({exc})"
                raise JixiaoError([msg.engine_unavailable("dask", why)]) from None
            future.release()
            if tally is None:
                raise JixiaoError(list(diagnostics))
            yield unpack(packed), tally
    finally:
        cluster = client.cluster
        client.close()
        if cluster is not None and scheduler is None:
            cluster.close()
