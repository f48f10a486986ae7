"""The columnar experiment: is a numpy path for points-only portfolio scoring worth building?

`python bench/columnar.py [--records N]` (needs the `bench` extra: numpy). It scores the
founding pack's 26 standards over prepared columns twice, written by hand like
`bench/baseline.py`:

- in float64, rounding half-up with `floor(x * 100 + 0.5) / 100` — how a numpy port is usually
  written;
- exactly, in int64: every value scaled to an integer, every rate kept as a numerator and a
  denominator, every rounding done on integers — what "identical to the ledger path on every
  record" demands (the numpy reference jixiao's own columns are measured against);

then jixiao's columnar path (`plan.vector`, what `eval --batch … --points-only` runs): the
pack compiled over columns, with branches, totals, grades and the marks of what it cannot
decide;

and compares both, leaf by leaf, with jixiao's own points for every record. The figures go to
bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import EVIDENCE, PACK, records  # noqa: E402

from jixiao.engine import compile_pack  # noqa: E402
from jixiao.engine.plan.vector import compile_vector  # noqa: E402
from jixiao.engine.plan.vector import run as vector_run  # noqa: E402
from jixiao.engine.runtime.columnar import columns as vector_columns  # noqa: E402
from jixiao.engine.runtime.evaluator import evaluate  # noqa: E402
from jixiao.engine.runtime.evidence import Evidence, load  # noqa: E402

SCALE = 10_000  # every number in the generated workload has at most 4 decimal places

Columns = dict[str, Any]


def columns(data: list[dict[str, Any]]) -> Columns:
    """Facts as arrays: numbers scaled to integers, flags as booleans, lists as counts."""
    out: Columns = {}
    for name in data[0]:
        first = data[0][name]
        if isinstance(first, bool):
            out[name] = np.array([r[name] for r in data], dtype=bool)
        elif isinstance(first, tuple):
            out[name] = np.array([len(r[name]) for r in data], dtype=np.int64)
        else:
            out[name] = np.array([int(r[name] * SCALE) for r in data], dtype=np.int64)
    return out


# ----- float64, as a numpy port is usually written ----------------------------------------


def _r(x: Any) -> Any:
    return np.floor(x * 100 + 0.5) / 100


def score_float(c: Columns) -> dict[str, Any]:
    f = {k: (v / SCALE if v.dtype == np.int64 and k not in _LISTS else v) for k, v in c.items()}
    p: dict[str, Any] = {}
    floor0 = lambda x: np.maximum(x, 0)  # noqa: E731
    p["A1.1"] = np.where(f["项目与职能规划相符"], 2.0, 0.0)
    p["A1.2"] = _r(floor0(2 - 0.5 * f["立项依据缺失项"]))
    p["A1.3"] = _r(floor0(2 - 1.0 * f["立项程序缺失环节"]))
    p["A2.1"] = np.where(f["绩效目标与内容预算匹配"], 2.0, 1.0)
    p["A2.2"] = _r(floor0(2 - 0.5 * f["未量化绩效指标"]))
    p["B1.1.1"] = _r(floor0(3 - 1.0 * ~f["预算有明细测算"] - 2.0 * ~f["预算与工作内容匹配"]))
    rate = f["实际支出"] / f["预算金额"]
    p["B1.1.2"] = np.where(rate >= 1, 3.0, _r(floor0(3 * rate)))
    p["B1.2"] = np.where(f["资金管理办法健全"], 2.0, 0.0)
    b13 = _r(floor0(5 - 1.0 * f["违规使用资金"]))
    p["B1.3"] = np.where(f["存在截留挤占挪用"], 0.0, b13)
    p["B2.1.1"] = _r(floor0(3 - 0.5 * f["采购文件缺失项"]))
    for code, a, b in (
        ("B2.1.2", "合同含服务质量考核条款", "已制定运维方案"),
        ("B2.2", "已建立过程管理制度", "留存过程监督记录"),
        ("B2.3", "已建立验收管理制度", "已出具验收报告"),
    ):
        p[code] = 3.0 - ~f[a] - ~f[b] * 1.0
    done = (f["完成巡检次数"] + f["录像存档次数"]) / (f["计划巡检次数"] + f["会议次数"])
    p["C1.1"] = _r(np.minimum(11, 11 * done))
    p["C1.2.1"] = _r(floor0(4 - f["重复故障次数"]))
    with np.errstate(divide="ignore", invalid="ignore"):
        fixed = np.minimum(4, 4 * f["及时修复故障数"] / f["故障总数"])
    p["C1.2.2"] = np.where(f["故障总数"] == 0, 4.0, _r(fixed))
    p["C1.2.3"] = _r(floor0(4 - f["录像存档缺失次数"]))
    ontime = f["按时完成任务数"] / f["运维任务总数"]
    p["C1.3"] = np.where(ontime >= 1, 6.0, _r(floor0(6 * ontime)))
    p["C2.1.1"] = np.where(f["重大故障次数"] == 0, 6.0, 0.0)
    p["C2.1.2"] = _r(np.minimum(6, 6 * f["使用效果肯定回答数"] / f["使用效果回答数"]))
    p["C2.1.3"] = _r(np.minimum(6, 6 * f["顺利召开会议次数"] / f["会议次数"]))
    p["C2.2.1"] = np.where(f["已建立长效管理机制"], 2.0, 0.0)
    p["C2.2.2"] = np.where(f["配置专职运维联络人员"], 2.0, 1.0)
    p["C2.2.3"] = np.where(f["已制定故障应急预案"], 2.0, 0.0)
    normal = f["设备运行正常率"]
    p["C2.2.4"] = np.where(normal >= 0.95, 2.0, np.where(normal >= 0.90, 1.0, 0.0))
    sat = f["满意样本数"] / f["有效问卷数"]
    p["C2.3.1"] = np.where(sat >= 0.85, 10.0, _r(np.minimum(10, 10 * sat / 0.85)))
    return p


_LISTS = ("立项依据缺失项", "立项程序缺失环节", "未量化绩效指标", "违规使用资金", "采购文件缺失项")


# ----- exact, in int64: points in cents -----------------------------------------------------


def _half_up(num: Any, den: Any) -> Any:
    """round_half_up(num / den) for num >= 0, den > 0, on integers."""
    return (2 * num + den) // (2 * den)


def score_exact(c: Columns) -> dict[str, Any]:
    """Points in cents (int64). A rate a/b times w points rounds as (100·w·a)/b, half up."""
    p: dict[str, Any] = {}
    pos = lambda x: np.maximum(x, 0)  # noqa: E731
    p["A1.1"] = np.where(c["项目与职能规划相符"], 200, 0)
    p["A1.2"] = pos(200 - 50 * c["立项依据缺失项"])
    p["A1.3"] = pos(200 - 100 * c["立项程序缺失环节"])
    p["A2.1"] = np.where(c["绩效目标与内容预算匹配"], 200, 100)
    p["A2.2"] = pos(200 - 50 * c["未量化绩效指标"])
    p["B1.1.1"] = pos(300 - 100 * ~c["预算有明细测算"] - 200 * ~c["预算与工作内容匹配"])
    spent, budget = c["实际支出"], c["预算金额"]
    p["B1.1.2"] = np.where(spent >= budget, 300, _half_up(300 * pos(spent), budget))
    p["B1.2"] = np.where(c["资金管理办法健全"], 200, 0)
    p["B1.3"] = np.where(c["存在截留挤占挪用"], 0, pos(500 - 100 * c["违规使用资金"]))
    p["B2.1.1"] = pos(300 - 50 * c["采购文件缺失项"])
    for code, a, b in (
        ("B2.1.2", "合同含服务质量考核条款", "已制定运维方案"),
        ("B2.2", "已建立过程管理制度", "留存过程监督记录"),
        ("B2.3", "已建立验收管理制度", "已出具验收报告"),
    ):
        p[code] = 300 - 100 * ~c[a] - 100 * ~c[b]
    num = c["完成巡检次数"] + c["录像存档次数"]
    den = c["计划巡检次数"] + c["会议次数"]
    p["C1.1"] = np.minimum(1100, _half_up(1100 * num, den))
    p["C1.2.1"] = pos(400 - 100 * c["重复故障次数"] // SCALE)
    total = c["故障总数"]
    safe = np.where(total == 0, 1, total)
    p["C1.2.2"] = np.where(
        total == 0, 400, np.minimum(400, _half_up(400 * c["及时修复故障数"], safe))
    )
    p["C1.2.3"] = pos(400 - 100 * c["录像存档缺失次数"] // SCALE)
    ok, tasks = c["按时完成任务数"], c["运维任务总数"]
    p["C1.3"] = np.where(ok >= tasks, 600, _half_up(600 * ok, tasks))
    p["C2.1.1"] = np.where(c["重大故障次数"] == 0, 600, 0)
    p["C2.1.2"] = np.minimum(600, _half_up(600 * c["使用效果肯定回答数"], c["使用效果回答数"]))
    p["C2.1.3"] = np.minimum(600, _half_up(600 * c["顺利召开会议次数"], c["会议次数"]))
    p["C2.2.1"] = np.where(c["已建立长效管理机制"], 200, 0)
    p["C2.2.2"] = np.where(c["配置专职运维联络人员"], 200, 100)
    p["C2.2.3"] = np.where(c["已制定故障应急预案"], 200, 0)
    normal = c["设备运行正常率"]  # scaled by 10,000
    p["C2.2.4"] = np.where(normal >= 9500, 200, np.where(normal >= 9000, 100, 0))
    yes, valid = c["满意样本数"], c["有效问卷数"]
    # 满意度 >= 85% ⇔ 100·yes >= 85·valid; else 10 × 满意度 / 85% = 1000·100·yes / (85·valid)
    p["C2.3.1"] = np.where(
        100 * yes >= 85 * valid, 1000, np.minimum(1000, _half_up(100_000 * yes, 85 * valid))
    )
    return p


def mismatches(points: dict[str, Any], truth: dict[str, list[Decimal]], cents: bool) -> int:
    """Records where any leaf differs from jixiao's ledger path."""
    bad = np.zeros(len(next(iter(truth.values()))), dtype=bool)
    for code, expected in truth.items():
        want = np.array([int(x * 100) for x in expected], dtype=np.int64)
        got = points[code] if cents else np.rint(points[code] * 100).astype(np.int64)
        bad |= got != want
    return int(bad.sum())


def at_boundaries(n: int) -> list[dict[str, Any]]:
    """The generated records with spending set so that 3 × 执行率 is a half cent in exact
    arithmetic (budget 300,000; spending 500, 1,500, …, 299,500): where roundings disagree."""
    out = records(n, seed=7)
    for i, rec in enumerate(out):
        rec["预算金额"] = Decimal(300_000)
        rec["实际支出"] = Decimal(500 * (2 * (i % 300) + 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    for title, data in (
        ("generated records (bench/run.py)", records(args.records)),
        ("at the rounding boundaries", at_boundaries(args.records)),
    ):
        print(f"## {title}")
        compare(data)


def compare(data: list[dict[str, Any]]) -> None:
    n = len(data)
    plan, _ = compile_pack(PACK)
    source = load(EVIDENCE, plan.program)[0]
    assert source is not None
    truth: dict[str, list[Decimal]] = {}
    start = time.perf_counter()
    for rec in data:
        result = evaluate(plan, Evidence(source.source, rec, {}, {}))  # type: ignore[arg-type]
        for ind in result.indicators:
            if ind.is_leaf and ind.points is not None:
                truth.setdefault(ind.code, []).append(ind.points)
    ledger = time.perf_counter() - start
    cols = columns(data)
    for name, fn, cents in (("float64", score_float, False), ("exact int64", score_exact, True)):
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            points = fn(cols)
            times.append(time.perf_counter() - t0)
        best = statistics.median(times)
        print(
            f"{name:12} {n / best:12,.0f} records/s; records differing from the "
            f"ledger path: {mismatches(points, truth, cents):,} of {n:,}"
        )
    # jixiao's own columnar path (`eval --batch … --points-only`): the pack compiled over
    # columns (plan.vector), every leaf, branch, total and grade, with its undecided marks
    vp = compile_vector(plan)
    t0 = time.perf_counter()
    vcols = vector_columns(vp, data)
    building = time.perf_counter() - t0
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        scored = vector_run(vp, vcols, n)
        times.append(time.perf_counter() - t0)
    best = statistics.median(times)
    leaves = {
        ind.code: scored.points[i] for i, ind in enumerate(plan.program.indicators) if ind.is_leaf
    }
    print(
        f"{'jixiao columns':12} {n / best:12,.0f} records/s (leaves, branches, totals, grades); "
        f"records differing from the ledger path: {mismatches(leaves, truth, True):,} of {n:,}; "
        f"decided over columns: {int(scored.decided.sum()):,}; columns built from parsed values "
        f"at {n / building:,.0f} records/s"
    )
    print(
        f"{'ledger path':12} {n / ledger:12,.0f} records/s (one core; evaluation, then points "
        "read through Result.indicators)"
    )


if __name__ == "__main__":
    main()
