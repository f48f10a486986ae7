"""Benchmarks for jixiao, in one run: `python bench/run.py [--records N]`.

Measures, with medians over repetitions:
- compile time of the founding pack (parse, check, order, compile), cold and cached-parser;
- one evaluation with the full ledger (p50, p99) and its ratio to the hand-written baseline;
- evaluating N generated evidence records (default 10,000), against the baseline;
- loading one YAML evidence file.
Generated records put rates around each threshold and counts past the point where deductions
run out, so every branch of every rule is taken. Results are checked against the baseline:
a benchmark of wrong answers is worthless.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from baseline import score as baseline_score  # noqa: E402

from jixiao.engine import compile_pack  # noqa: E402
from jixiao.engine.common.result import Item, Provenance, Result  # noqa: E402
from jixiao.engine.runtime.evaluator import evaluate  # noqa: E402
from jixiao.engine.runtime.evidence import Evidence, load  # noqa: E402

PACK = ROOT / "rules" / "video-conference-2017.jx"
EVIDENCE = ROOT / "evidence" / "video-conference-2017.yaml"


def records(n: int, seed: int = 2017) -> list[dict[str, object]]:
    return list(iter_records(n, seed))


def iter_records(n: int, seed: int = 2017, unique: bool = False) -> Iterator[dict[str, object]]:
    """`records`, one at a time (a million of them do not fit in memory as dicts). With
    `unique`, each project's budget and spending are its own, to the cent (the rest as
    before), as in a real portfolio: the cells a leaf reads then rarely repeat."""
    rng = random.Random(seed)
    amounts = random.Random(seed + 1)
    origin = Provenance(None)

    def items(k: int) -> tuple[Item, ...]:
        return tuple(Item(f"问题{i}", origin) for i in range(k))

    for _ in range(n):
        budget = Decimal(rng.choice([100000, 200000, 50000]))
        f: dict[str, object] = {
            "预算金额": budget,
            "实际支出": budget * Decimal(rng.choice(["1", "0.9", "0.95", "1.1", "0.5"])),
            "项目与职能规划相符": rng.random() < 0.9,
            "立项依据缺失项": items(rng.choice([0, 0, 1, 5])),
            "立项程序缺失环节": items(rng.choice([0, 0, 1, 3])),
            "绩效目标与内容预算匹配": rng.random() < 0.8,
            "未量化绩效指标": items(rng.choice([0, 1, 2, 6])),
            "预算有明细测算": rng.random() < 0.5,
            "预算与工作内容匹配": rng.random() < 0.8,
            "资金管理办法健全": rng.random() < 0.9,
            "违规使用资金": items(rng.choice([0, 0, 1, 7])),
            "存在截留挤占挪用": rng.random() < 0.05,
            "采购文件缺失项": items(rng.choice([0, 2, 8])),
            "合同含服务质量考核条款": rng.random() < 0.5,
            "已制定运维方案": rng.random() < 0.8,
            "已建立过程管理制度": rng.random() < 0.5,
            "留存过程监督记录": rng.random() < 0.5,
            "已建立验收管理制度": rng.random() < 0.5,
            "已出具验收报告": rng.random() < 0.5,
            "计划巡检次数": Decimal(12),
            "完成巡检次数": Decimal(rng.choice([12, 11, 13, 6])),
            "会议次数": Decimal(6),
            "录像存档次数": Decimal(rng.choice([6, 5, 0])),
            "重复故障次数": Decimal(rng.choice([0, 1, 3, 9])),
            "故障总数": Decimal(rng.choice([0, 23, 10])),
            "及时修复故障数": Decimal(0),
            "录像存档缺失次数": Decimal(rng.choice([0, 1, 5])),
            "运维任务总数": Decimal(18),
            "按时完成任务数": Decimal(rng.choice([18, 17, 9])),
            "重大故障次数": Decimal(rng.choice([0, 0, 1])),
            "使用效果回答数": Decimal(46),
            "使用效果肯定回答数": Decimal(rng.randint(20, 46)),
            "顺利召开会议次数": Decimal(rng.choice([6, 5])),
            "已建立长效管理机制": rng.random() < 0.8,
            "配置专职运维联络人员": rng.random() < 0.5,
            "已制定故障应急预案": rng.random() < 0.8,
            "设备运行正常率": Decimal(
                rng.choice(["0.9499", "0.95", "0.92", "0.90", "0.8999", "1"])
            ),
            "问卷发放数": Decimal(30),
            "有效问卷数": Decimal(23),
            "满意样本数": Decimal(rng.randint(10, 23)),
        }
        if unique:
            budget = Decimal(amounts.randint(5_000_000, 20_000_000)).scaleb(-2)
            rate = Decimal(amounts.choice(["1", "0.9", "0.95", "1.1", "0.5", "0.99"]))
            f["预算金额"] = budget
            f["实际支出"] = (budget * rate).quantize(Decimal("0.01"))
        total = f["故障总数"]
        assert isinstance(total, Decimal)
        f["及时修复故障数"] = Decimal(rng.randint(0, int(total)))
        yield f


def tie_records(plan, source, n: int) -> None:  # type: ignore[no-untyped-def]
    """One evaluation where 17.5 % of the records land on a half-cent tie (B1.1.2: 3 × 99.5 %
    = 2.985, 四舍五入 2.99), mean and p50 against the baseline, alternated record by record."""
    rng = random.Random(17)
    data = records(n, seed=175)
    for rec in data:
        if rng.random() < 0.175:
            rec["实际支出"] = rec["预算金额"] * Decimal("0.995")  # type: ignore[operator]
    evidences = [Evidence(source.source, r, {}, {}) for r in data]  # type: ignore[arg-type]
    for ev, rec in zip(evidences, data, strict=True):
        got = {i.code: i.points for i in evaluate(plan, ev).indicators if i.is_leaf}
        assert got == baseline_score(rec)[0], rec
    engine, base = [], []
    clock = time.perf_counter
    for ev, rec in zip(evidences, data, strict=True):
        t0 = clock()
        evaluate(plan, ev)
        t1 = clock()
        baseline_score(rec)
        base.append(clock() - t1)
        engine.append(t1 - t0)
    mean, b_mean = statistics.fmean(engine), statistics.fmean(base)
    p50, b50 = percentile(engine, 50), percentile(base, 50)
    print(
        f"… 17.5 % of records on a half-cent tie: mean {mean * 1e6:.0f} µs, p50 "
        f"{p50 * 1e6:.0f} µs; baseline mean {b_mean * 1e6:.0f} µs, p50 {b50 * 1e6:.0f} µs; "
        f"ratio of means {mean / b_mean:.2f}×, of p50 {p50 / b50:.2f}×"
    )


def percentile(times: list[float], p: int) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, len(ordered) * p // 100)]


def read_ledger(result: Result) -> int:
    """Touch every line of the ledger and every fact it read, as a renderer would."""
    n = 0
    for ind in result.indicators:
        for line in ind.lines:
            n += len(line.facts)
    return n + len(result.derived)


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--cli-only",
        action="store_true",
        help="measure only the CLI (run it with the Python of any installation, editable or not)",
    )
    parser.add_argument(
        "--cli-instructions",
        action="store_true",
        help="count the CPU instructions of a warm CLI eval and of `import yaml` under "
        "valgrind (repeatable on a busy machine, where wall times are not)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the portfolio, CLI and checker-at-scale measurements",
    )
    parser.add_argument(
        "--batch-only",
        metavar="SIZES",
        help="measure only portfolios of these sizes, comma-separated (e.g. 10000,100000)",
    )
    parser.add_argument(
        "--formats",
        default="csv,parquet",
        help="the portfolio formats of --batch-only, comma-separated (default csv,parquet)",
    )
    parser.add_argument(
        "--dask",
        action="store_true",
        help="with --batch-only: also `--engine dask` on a local cluster, over the Parquet "
        "file and the same rows as a dataset folder (the `distributed` extra)",
    )
    parser.add_argument(
        "--million",
        nargs="?",
        const=1_000_000,
        type=int,
        metavar="ROWS",
        help="the flat-memory run: a generated Parquet portfolio of a million rows (or ROWS) "
        "with --jobs 1 and 2, JSON lines and Parquet out, and on a local Dask cluster "
        "(takes many minutes)",
    )
    parser.add_argument(
        "--parquet",
        nargs=2,
        metavar=("ROWS", "PATH"),
        help="only write a generated portfolio of ROWS projects as Parquet to PATH (a folder "
        "of --files files when PATH ends with /) and stop",
    )
    parser.add_argument("--files", type=int, default=4, help="files of a --parquet folder")
    parser.add_argument(
        "--row-group", type=int, default=ROW_GROUP, help="rows per row group of --parquet"
    )
    parser.add_argument(
        "--check-only",
        metavar="SIZES",
        help="measure only `check` of generated packs of these sizes (e.g. 1000,10000,100000)",
    )
    args = parser.parse_args()
    if args.parquet:
        rows, target = int(args.parquet[0]), args.parquet[1]
        folder = target.endswith("/")
        write_parquet(Path(target), rows, args.row_group, args.files if folder else 1)
        return
    if args.batch_only or args.check_only or args.million:
        print(f"# jixiao portfolios — {time.strftime('%Y-%m-%d %H:%M')}, load {_load()}")
        if args.batch_only:
            formats = tuple(args.formats.split(","))
            sizes = tuple(int(n) for n in args.batch_only.split(","))
            batch_benchmarks(sizes, formats, dask=args.dask)
        if args.million:
            million_benchmark(args.million)
        if args.check_only:
            check_benchmarks(tuple(int(n) for n in args.check_only.split(",")))
        return
    if args.cli_instructions:
        import shutil

        cli_instructions(shutil.which("jixiao") or str(Path(sys.executable).parent / "jixiao"))
        return
    if args.cli_only:
        import shutil

        cli_benchmark(shutil.which("jixiao") or str(Path(sys.executable).parent / "jixiao"))
        return

    print(
        f"# jixiao benchmarks — {platform.python_implementation()} {platform.python_version()}"
        f", {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    start = time.perf_counter()
    plan, _ = compile_pack(PACK)
    cold = time.perf_counter() - start
    compile_times = timed(lambda: compile_pack(PACK), args.repeat * 4)
    print(f"compile founding pack, first (builds the LALR parser): {cold * 1000:.1f} ms")
    print(
        f"compile founding pack, parser cached (median):        "
        f"{statistics.median(compile_times) * 1000:.2f} ms"
    )

    load_times = timed(lambda: load(EVIDENCE, plan.program), args.repeat * 4)
    print(
        f"load the founding YAML evidence (median):              "
        f"{statistics.median(load_times) * 1000:.2f} ms"
    )

    data = records(args.records)
    source = load(EVIDENCE, plan.program)[0]
    assert source is not None
    evidences = [Evidence(source.source, r, {}, {}) for r in data]  # type: ignore[arg-type]

    # correctness first: the engine agrees with the hand-written baseline on every record
    for ev, rec in zip(evidences, data, strict=False):
        result = evaluate(plan, ev)
        points, total, _ = baseline_score(rec)
        got = {i.code: i.points for i in result.indicators if i.is_leaf}
        assert got == points, (rec, got, points)
        assert result.total == total

    # Engine and baseline alternate record by record, so both see the same machine state (a
    # shared machine drifts by tens of per cent within a minute).
    singles, read_in_full, base_singles = [], [], []
    clock = time.perf_counter
    for ev, rec in zip(evidences[:5000], data[:5000], strict=False):
        t0 = clock()
        evaluate(plan, ev)
        t1 = clock()
        baseline_score(rec)
        t2 = clock()
        read_ledger(evaluate(plan, ev))
        t3 = clock()
        singles.append(t1 - t0)
        base_singles.append(t2 - t1)
        read_in_full.append(t3 - t2)
    p50, p99 = percentile(singles, 50), percentile(singles, 99)
    b50, b99 = percentile(base_singles, 50), percentile(base_singles, 99)
    r50 = percentile(read_in_full, 50)
    mean, b_mean = statistics.fmean(singles), statistics.fmean(base_singles)
    print(
        f"one evaluation with full ledger: p50 {p50 * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs; "
        f"hand-written baseline p50 {b50 * 1e6:.0f} µs, p99 {b99 * 1e6:.0f} µs; "
        f"ratio {p50 / b50:.2f}×"
    )
    print(
        f"… mean {mean * 1e6:.0f} µs; baseline mean {b_mean * 1e6:.0f} µs; "
        f"ratio of means {mean / b_mean:.2f}×"
    )
    print(
        f"… and every line and fact of it read as objects: p50 {r50 * 1e6:.0f} µs; "
        f"ratio {r50 / b50:.2f}×"
    )
    tie_records(plan, source, min(args.records, 5000))

    def engine_batch() -> None:
        for ev in evidences:
            evaluate(plan, ev)

    def baseline_batch() -> None:
        for rec in data:
            baseline_score(rec)

    engine_times, base_times = [], []
    for _ in range(args.repeat):
        engine_times += timed(engine_batch, 1)
        base_times += timed(baseline_batch, 1)
    eng, base = statistics.median(engine_times), statistics.median(base_times)
    print(
        f"evaluate {args.records} records: {eng:.2f} s ({args.records / eng:,.0f}/s); "
        f"baseline {base:.2f} s ({args.records / base:,.0f}/s); ratio {eng / base:.2f}×"
    )
    if not args.quick:
        scale_benchmarks()


# ----- portfolios, the CLI and the checker at scale -------------------------------------------


def _cell(value: object) -> str:
    if isinstance(value, tuple):
        return "；".join(item.text for item in value)  # type: ignore[attr-defined]
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def write_csv(path: Path, data: Iterable[dict[str, object]]) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        for i, rec in enumerate(data):
            if i == 0:
                out.writerow(["id", *rec])
            out.writerow([_project_id(i), *[_cell(v) for v in rec.values()]])


def _project_id(i: int) -> str:
    return f"P{i:06d}" if i < 1_000_000 else f"P{i}"


#: rows per row group of a generated Parquet file (a 100,000-row file has several; so does each
#: file of a dataset folder)
ROW_GROUP = 16_384


def write_parquet(path: Path, n: int, row_group: int = ROW_GROUP, files: int = 1) -> None:
    """`n` generated projects (`iter_records`, the CSV's) as Parquet with typed columns: money
    and rates as decimals, counts as integers, yes/no as booleans, findings as lists of texts.
    `files` > 1: a dataset folder `path/` of that many files (`part-NNNNN.parquet`), as Spark or
    Dask write one. Written a row group at a time: a million rows need no more memory than one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    per_file = -(-n // files)
    if files > 1:
        path.mkdir(parents=True, exist_ok=True)
    data = iter_records(n)
    writer, schema, written = None, None, 0
    while written < n:
        take = min(row_group, n - written, per_file - written % per_file)
        chunk = [next(data) for _ in range(take)]
        if schema is None:
            schema = pa.schema(
                [pa.field("id", pa.string())]
                + [pa.field(name, _arrow_type(pa, name, chunk[0][name])) for name in chunk[0]]
            )
        columns: dict[str, list[object]] = {"id": [_project_id(written + i) for i in range(take)]}
        for field in schema:
            if field.name != "id":
                whole = pa.types.is_integer(field.type)
                columns[field.name] = [_typed(rec[field.name], whole) for rec in chunk]
        if writer is None:
            target = path / f"part-{written // per_file:05d}.parquet" if files > 1 else path
            writer = pq.ParquetWriter(str(target), schema)
        writer.write_table(pa.table(columns, schema=schema), row_group_size=row_group)
        written += take
        if written % per_file == 0 or written == n:
            writer.close()
            writer = None


def _typed(value: object, whole: bool) -> object:
    if isinstance(value, tuple):
        return [item.text for item in value]  # type: ignore[attr-defined]
    return int(value) if whole else value  # type: ignore[call-overload]


def _arrow_type(pa, name: str, value: object):  # type: ignore[no-untyped-def]
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, tuple):
        return pa.list_(pa.string())
    if name in ("预算金额", "实际支出"):
        return pa.decimal128(18, 2)
    if name == "设备运行正常率":
        return pa.decimal128(9, 4)
    return pa.int64()


_MEASURE = (
    "import json, os, resource, subprocess, sys, threading, time\n"
    "def tree(root):\n"
    "    kids = {}\n"
    "    for d in os.listdir('/proc'):\n"
    "        if d.isdigit():\n"
    "            try:\n"
    "                with open(f'/proc/{d}/stat') as f:\n"
    "                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])\n"
    "            except (OSError, IndexError, ValueError):\n"
    "                continue\n"
    "            kids.setdefault(ppid, []).append(int(d))\n"
    "    out, todo = [], [root]\n"
    "    while todo:\n"
    "        p = todo.pop()\n"
    "        out.append(p)\n"
    "        todo += kids.get(p, [])\n"
    "    return out\n"
    "peaks = {}\n"
    "def sample(proc):\n"
    "    while proc.poll() is None:\n"
    "        for p in tree(proc.pid):\n"
    "            try:\n"
    "                with open(f'/proc/{p}/status') as f:\n"
    "                    hwm = [l for l in f if l.startswith('VmHWM')]\n"
    "                with open(f'/proc/{p}/cmdline', 'rb') as f:\n"
    "                    cmd = f.read().split(b'\\0')\n"
    "            except OSError:\n"
    "                continue\n"
    "            if hwm:\n"
    "                name = ' '.join(os.path.basename(c.decode(errors='replace'))\n"
    "                                for c in cmd[:3] if c)[:60]\n"
    "                peaks[p] = (name, max(int(hwm[0].split()[1]), peaks.get(p, ('', 0))[1]))\n"
    "        time.sleep(0.25)\n"
    "t = time.perf_counter()\n"
    "proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "watch = threading.Thread(target=sample, args=(proc,))\n"
    "watch.start()\n"
    "err = proc.stderr.read()\n"
    "code = proc.wait()\n"
    "watch.join()\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(time.perf_counter() - t, u.ru_maxrss, code, u.ru_utime + u.ru_stime)\n"
    "print(json.dumps({'root': proc.pid, 'peaks': peaks}))\n"
    "sys.stderr.write(err.decode()[-2000:])\n"
)


def run_measured(args: list[str]) -> tuple[float, int]:
    """Wall time and peak memory (KiB, the largest process) of a command, measured in a
    wrapper process of its own, so no other run's peak is counted. The peak of every process
    of the command (sampled from /proc every 0.25 s, Linux) goes to `PEAKS`."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args], capture_output=True, check=True, text=True
    )
    first, second = out.stdout.splitlines()[:2]
    elapsed, peak, code, cpu = first.split()
    if code not in ("0", "1"):
        raise SystemExit(out.stderr)
    CPU_SECONDS.append(float(cpu))
    sampled = json.loads(second)
    root = str(sampled["root"])
    peaks = sampled["peaks"]
    parent = peaks.pop(root, ["", 0])[1]
    PEAKS.append((parent, sorted(kib for _, kib in peaks.values())))
    return float(elapsed), int(peak)


#: the processor time (user and system, every process of the command) of each `run_measured`:
#: on a shared machine, rows per CPU-second are steadier than rows per second
CPU_SECONDS: list[float] = []
#: the sampled peak of each `run_measured`'s command (KiB) and of each process it started
PEAKS: list[tuple[int, list[int]]] = []


def peaks_text() -> str:
    """The last command's peaks: its own, and its worker processes' (the largest, how many)."""
    parent, others = PEAKS[-1]
    text = f"process {parent / 1024:.0f} MiB"
    if others:
        text += f", {len(others)} more up to {others[-1] / 1024:.0f} MiB"
    return text


def generated_pack(n: int) -> str:
    """About `n` indicators in ten branches. Every leaf weighs 1 point and the pack's total is
    their sum: weights that divide 100 points by `n` would not terminate (100 / 30,000) and a
    number may have at most 20 digits (E110), so such a pack is refused from 30,000 on."""
    per_root = max(1, n // 10)
    roots = n // per_root
    lines = [f'pack "生成" {{ total {roots * per_root} }}', "fact 率: percent", "fact 问题: list"]
    for r in range(roots):
        lines.append(f'indicator R{r} "一级{r}" {per_root} {{')
        leaf = 1
        for i in range(per_root):
            rule = "proportional 率" if i % 2 else 'deduct 0.5 per 问题 "问题：{item}"'
            lines.append(f'    indicator R{r}.{i} "指标{i}" {leaf} {{ {rule} }}')
        lines.append("}")
    return "\n".join(lines) + "\n"


def scale_benchmarks() -> None:
    import shutil

    batch_benchmarks((1_000, 100_000), formats=("csv",))
    cli_benchmark(shutil.which("jixiao") or str(Path(sys.executable).parent / "jixiao"))
    check_benchmarks((100, 1_000, 10_000))


def batch_benchmarks(
    sizes: tuple[int, ...], formats: tuple[str, ...] = ("csv", "parquet"), dask: bool = False
) -> None:
    """File to file, CSV or Parquet in and JSON lines out, side by side in one run: `jixiao
    eval --batch` with 1 and 2 processes (without and with `--summary`), the hand-written
    pipeline (`bench/pipeline_baseline.py`), GoRules ZEN's if the `bench` extra is installed
    (`bench/zen_pipeline.py`), the columnar path's runs (`columnar_runs`), and with `dask` the
    Parquet file and the same rows as a dataset folder on a local Dask cluster. Each in a
    process of its own; peak memory of the largest, and of every process. jixiao's records must
    be byte-identical whatever the input's format, `--jobs` or engine."""
    import importlib.util
    import tempfile

    missing = [m for m in ("pyarrow", "distributed") if importlib.util.find_spec(m) is None]
    if "pyarrow" in missing and "parquet" in formats:
        print("(Parquet left out: the `columnar` extra is not installed)")
        formats = tuple(f for f in formats if f != "parquet")
    if "distributed" in missing and dask:
        print("(Dask left out: the `distributed` extra is not installed)")
        dask = False
    compile_bytecode()  # every jixiao run starts as an installed one does
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            digests: dict[str, str] = {}
            points: dict[str, str] = {}  # the records without their explanations (`losses`)
            for fmt in formats:
                path = Path(tmp) / f"p{n}.{fmt}"
                if fmt == "csv":
                    write_csv(path, iter_records(n))
                else:
                    write_parquet(path, n)
                runs = _batch_runs(path, Path(tmp), n, fmt)
                if dask and fmt == "parquet":
                    folder = Path(tmp) / f"p{n}-dataset"
                    write_parquet(folder, n, files=4)
                    runs += _dask_runs(path, folder, Path(tmp))
                for label, command, out in runs:
                    _measure_batch(n, fmt, label, command)
                    if label.startswith("jixiao"):
                        digests[f"{fmt}, {label}"] = _digest(out)
                        points[f"{fmt}, {label}"] = _digest(out, unexplained=True)
                    elif label.startswith("points-only"):
                        points[f"{fmt}, {label}"] = _digest(out)
                    out.unlink(missing_ok=True)
            _same_records(n, digests)
            _same_records(n, points, "without explanations, every jixiao and points-only run")
        if "csv" in formats:
            _unique_amounts(max(sizes), Path(tmp))
    if importlib.util.find_spec("numpy") is not None:
        # the columns' scoring alone, against numpy written by hand (bench/columnar.py)
        print(f"# scoring over columns, {max(sizes):,} records, against numpy written by hand")
        sys.stdout.flush()
        here = Path(__file__).parent
        command = [sys.executable, str(here / "columnar.py"), "--records", str(max(sizes))]
        subprocess.run(command, check=True)


def _unique_amounts(n: int, tmp: Path) -> None:
    """The same pipelines over a portfolio whose amounts are each project's own
    (`iter_records(unique=True)`): the leaves that read them are worded project by project."""
    path = tmp / f"u{n}.csv"
    write_csv(path, iter_records(n, unique=True))
    digests: dict[str, str] = {}
    for label, command, out in _batch_runs(path, tmp, n, "csv", summary=False):
        label = label + ", amounts of their own"
        _measure_batch(n, "csv", label, command)
        if label.startswith("jixiao"):
            digests[label] = _digest(out)
        out.unlink(missing_ok=True)
    _same_records(n, digests)


#: what each command writes, by the label it is measured under
BatchRun = tuple[str, list[str], Path]


def _jixiao() -> str:
    import shutil

    return shutil.which("jixiao") or str(Path(sys.executable).parent / "jixiao")


def _batch_runs(path: Path, tmp: Path, n: int, fmt: str, summary: bool = True) -> list[BatchRun]:
    """`jixiao eval --batch` as a user runs it (over columns, with numpy: the `columnar`
    extra) and project by project (`--engine ledger`), with 1 and 2 processes; with a summary
    (scored project by project); the points-only runs; the hand-written and ZEN pipelines."""
    import importlib.util

    here = Path(__file__).parent
    zen = importlib.util.find_spec("zen") is not None and (here / "zen_pipeline.py").exists()
    runs: list[BatchRun] = []
    for engine in ("local", "ledger"):
        for jobs in ("1", "2"):
            out = tmp / f"jobs{jobs}-{engine}.jsonl"
            command = [_jixiao(), "eval", str(PACK), "--batch", str(path), "--jobs", jobs]
            command += ["--engine", engine, "--output", str(out)]
            label = f"jixiao --jobs {jobs}" + (" --engine ledger" if engine == "ledger" else "")
            runs.append((label, command, out))
    if summary:
        out = tmp / "summary.jsonl"
        command = [*runs[1][1][:-1], str(out), "--summary", str(tmp / "summary.json")]
        runs.append(("jixiao --jobs 2 --summary", command, out))
        runs += columnar_runs(path, tmp)
    out = tmp / "other.jsonl"
    runs.append(
        (
            "hand-written Decimal, with reasons",
            [sys.executable, str(here / "pipeline_baseline.py"), str(path), str(out)],
            out,
        )
    )
    if zen:
        runs.append(
            (
                "GoRules ZEN, no explanations",
                [sys.executable, str(here / "zen_pipeline.py"), str(path), str(out)],
                out,
            )
        )
    return runs


def columnar_runs(path: Path, tmp: Path) -> list[BatchRun]:
    """The columnar path's commands, measured beside the others: `eval --batch …
    --points-only` with 1 and 2 processes (label `points-only …`: its records are compared
    with the others' without their explanations). Left out without numpy. Its scoring alone,
    against a numpy hand-written reference, is `bench/columnar.py`."""
    import importlib.util

    if importlib.util.find_spec("numpy") is None:
        return []
    runs: list[BatchRun] = []
    for jobs in ("1", "2"):
        out = tmp / f"points{jobs}.jsonl"
        command = [_jixiao(), "eval", str(PACK), "--batch", str(path), "--points-only"]
        command += ["--jobs", jobs, "--output", str(out)]
        runs.append((f"points-only --jobs {jobs}", command, out))
    return runs


def _dask_runs(path: Path, folder: Path, tmp: Path) -> list[BatchRun]:
    """`--engine dask` on jixiao's own local cluster (one worker process of one thread per
    core: two on this machine), over the Parquet file and over the same rows as a folder."""
    runs: list[BatchRun] = []
    for what, source in (("file", path), ("dataset folder", folder)):
        out = tmp / "dask.jsonl"
        command = [_jixiao(), "eval", str(PACK), "--batch", str(source), "--engine", "dask"]
        runs.append((f"jixiao --engine dask, {what}", [*command, "--output", str(out)], out))
    return runs


def _measure_batch(
    n: int, fmt: str, label: str, command: list[str], into: str = "JSON lines"
) -> None:
    elapsed, peak = run_measured(command)
    cpu = CPU_SECONDS[-1]
    name = {"csv": "CSV", "parquet": "Parquet"}[fmt]
    print(
        f"batch of {n:>9,} records, {name} → {into}, {label:<36}: {elapsed:6.1f} s,"
        f" {n / elapsed:7,.0f}/s; CPU {cpu:6.1f} s, {n / cpu:7,.0f}/CPU-s; "
        f"peak memory {peak / 1024:.0f} MiB ({peaks_text()}); load {_load()}",
        flush=True,
    )


def _load() -> str:
    import os

    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _digest(path: Path, unexplained: bool = False) -> str:
    """The records' SHA-256; `unexplained`: of JSON lines without their `losses`, as
    `--points-only` writes them (re-encoded as the writer encodes them, `json.dumps`)."""
    import hashlib
    import json

    h = hashlib.sha256()
    with path.open("rb") as f:
        if unexplained:
            for line in f:
                record = json.loads(line)
                record.pop("losses", None)
                h.update((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
            return h.hexdigest()
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _same_records(n: int, digests: dict[str, str], what: str = "every jixiao run above") -> None:
    if not digests:
        return
    distinct = set(digests.values())
    if len(distinct) == 1:
        print(f"… records of {n:,} rows, {what}: sha256 {distinct.pop()[:16]}")
        return
    for label, digest in digests.items():
        print(f"… records of {n:,} rows DIFFER: {label}: sha256 {digest[:16]}")
    raise SystemExit("jixiao's records differ between runs of the same rows")


def million_benchmark(n: int = 1_000_000, dask: bool = True) -> None:
    """The flat-memory run (opt-in, minutes): a generated Parquet portfolio of `n` rows (row
    groups of `ROW_GROUP`) scored by `jixiao eval --batch` with `--jobs 1` and `--jobs 2`, into
    JSON lines and into Parquet, and on a local Dask cluster from the file and from the same
    rows as a dataset folder of 8 files, and project by project (`--engine ledger`, two
    processes); the peak memory of every process, to set beside the 10,000 and 100,000-row
    runs of `--batch-only`, and the records' digests, which must agree."""
    import tempfile

    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        path = tmp / f"p{n}.parquet"
        start = time.perf_counter()
        write_parquet(path, n)
        print(f"wrote {n:,} generated projects as Parquet in {time.perf_counter() - start:.0f} s")
        command = [_jixiao(), "eval", str(PACK), "--batch", str(path)]
        runs: list[BatchRun] = []
        for jobs in ("1", "2"):
            for suffix in ("jsonl", "parquet"):
                out = tmp / f"jobs{jobs}.{suffix}"
                label = f"jixiao --jobs {jobs}"
                runs.append((label, [*command, "--jobs", jobs, "--output", str(out)], out))
        out = tmp / "ledger.jsonl"  # project by project, beside the columns
        ledger = [*command, "--engine", "ledger", "--jobs", "2", "--output", str(out)]
        runs.append(("jixiao --jobs 2 --engine ledger", ledger, out))
        if dask:
            folder = tmp / "dataset"
            write_parquet(folder, n, files=8)
            runs += _dask_runs(path, folder, tmp)
            out = tmp / "dask.parquet"
            dask_parquet = [*command, "--engine", "dask", "--output", str(out)]
            runs.append(("jixiao --engine dask, file", dask_parquet, out))
        digests: dict[str, dict[str, str]] = {"jsonl": {}, "parquet": {}}
        for label, cmd, out in runs:
            into = "Parquet" if out.suffix == ".parquet" else "JSON lines"
            _measure_batch(n, "parquet", label, cmd, into)
            digests[out.suffix[1:]][label] = _digest(out)
            out.unlink(missing_ok=True)
        for each in digests.values():
            _same_records(n, each)


def check_benchmarks(sizes: tuple[int, ...]) -> None:
    """`check` (parse, check, analyse, order, compile) of generated packs, in this process."""
    import gc

    from jixiao.dsl.source import Source
    from jixiao.engine import compile_source

    for n in sizes:
        text = generated_pack(n)
        gc.collect()
        start = time.perf_counter()
        compile_source(Source("generated.jx", text))
        elapsed = time.perf_counter() - start
        print(f"check a generated pack of {n:>7,} indicators: {elapsed:6.2f} s", flush=True)


def compile_bytecode() -> None:
    """A user's installation has its bytecode compiled (pip does it); a checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile jixiao from source on every start."""
    import compileall

    import jixiao.dsl
    import jixiao.engine

    for package in (jixiao.dsl, jixiao.engine):
        compileall.compile_dir(str(Path(package.__file__ or "").parent), quiet=1)


def cli_benchmark(jixiao_cli: str) -> None:
    """The founding case through the installed `jixiao` command, cold and warm, against
    starting Python to import PyYAML (and Lark, PyYAML and networkx)."""
    import os
    import tempfile

    compile_bytecode()
    eval_cmd = [jixiao_cli, "eval", str(PACK), str(EVIDENCE)]
    with tempfile.TemporaryDirectory() as empty:
        os.environ["JIXIAO_CACHE"] = empty
        cold = run_measured(eval_cmd)[0]  # an empty plan cache: parse, check, analyse, order
        runs: dict[str, list[float]] = {"warm": [], "yaml": [], "libs": []}
        for _ in range(21):  # interleaved, so all three see the same machine
            runs["warm"].append(run_measured(eval_cmd)[0])
            runs["yaml"].append(run_measured([sys.executable, "-c", "import yaml"])[0])
            runs["libs"].append(
                run_measured([sys.executable, "-c", "import lark, yaml, networkx"])[0]
            )
        del os.environ["JIXIAO_CACHE"]
    warm, yaml_only, libs = (statistics.median(runs[k]) for k in ("warm", "yaml", "libs"))
    print(
        f"CLI eval of the founding case: cold {cold * 1000:.0f} ms, warm median "
        f"{warm * 1000:.0f} ms; python -c 'import yaml' {yaml_only * 1000:.0f} ms "
        f"(warm ratio {warm / yaml_only:.2f}×); 'import lark, yaml, networkx' "
        f"{libs * 1000:.0f} ms"
    )


def cli_instructions(jixiao_cli: str) -> None:
    """The warm CLI against `python -c "import yaml"` in instructions executed (callgrind):
    the same count run after run whatever else the machine does, so two versions can be
    compared while other work shares the cores. Instructions are not time (a cache miss costs
    more than an add), but an import or a class built shows up in both alike."""
    import os
    import re
    import subprocess
    import tempfile

    def count(command: list[str]) -> int:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
            capture_output=True,
            text=True,
        )
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if found is None:
            raise SystemExit(f"valgrind gave no count (is it installed?):\n{proc.stderr[-500:]}")
        return int(found.group(1))

    compile_bytecode()
    eval_cmd = [jixiao_cli, "eval", str(PACK), str(EVIDENCE)]
    with tempfile.TemporaryDirectory() as empty:
        os.environ["JIXIAO_CACHE"] = empty
        subprocess.run(eval_cmd, capture_output=True)  # fills the plan cache
        warm = count(eval_cmd)
        del os.environ["JIXIAO_CACHE"]
    yaml_only = count([sys.executable, "-c", "import yaml"])
    print(
        f"CLI eval of the founding case, warm: {warm / 1e6:.1f} M instructions; "
        f"python -c 'import yaml' {yaml_only / 1e6:.1f} M (ratio {warm / yaml_only:.2f}×)"
    )


if __name__ == "__main__":
    main()
