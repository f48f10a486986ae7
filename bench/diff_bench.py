"""`jixiao diff --batch` against one `jixiao eval --batch`, on a generated portfolio.

    .venv/bin/python bench/diff_bench.py [--records 20000] [--jobs 1]

The portfolio is `run.records` written as a CSV sheet (rates around every threshold); the
revised pack is the founding pack with the 设备运行正常率 band edge raised from 95% to 96% and
two leaves re-weighted. Both commands run through the installed `jixiao`, each in a wrapper
process that measures its wall time and peak memory (`run.run_measured`); the figure is the
median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import PACK, records, run_measured, write_csv  # noqa: E402


def revised(text: str) -> str:
    text = text.replace(
        "tiers 设备运行正常率 { >= 95%: full; [90%, 95%): 1; < 90%: 0 }",
        "tiers 设备运行正常率 { >= 96%: full; [90%, 96%): 1; < 90%: 0 }",
    )
    text = text.replace('indicator A1.1 "战略目标适应性" 2', 'indicator A1.1 "战略目标适应性" 3')
    text = text.replace('indicator A1.2 "立项依据充分性" 2', 'indicator A1.2 "立项依据充分性" 1')
    assert text.count("96%") == 2
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--jobs", default="1")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    jixiao = shutil.which("jixiao") or str(Path(sys.executable).parent / "jixiao")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sheet = folder / "projects.csv"
        write_csv(sheet, records(args.records))
        new = folder / "revised.jx"
        new.write_text(revised(PACK.read_text(encoding="utf-8")), encoding="utf-8")
        eval_cmd = [jixiao, "eval", str(PACK), "--batch", str(sheet)]
        eval_cmd += ["--output", str(folder / "r.jsonl"), "--jobs", args.jobs]
        diff_cmd = [jixiao, "diff", str(PACK), str(new), "--batch", str(sheet)]
        diff_cmd += ["--output", str(folder / "d.json"), "--jobs", args.jobs]
        times: dict[str, list[float]] = {"eval": [], "diff": []}
        peaks: dict[str, int] = {"eval": 0, "diff": 0}
        for _ in range(args.repeat):  # alternated, so both see the same machine
            for name, cmd in (("eval", eval_cmd), ("diff", diff_cmd)):
                elapsed, peak = run_measured(cmd)
                times[name].append(elapsed)
                peaks[name] = max(peaks[name], peak)
        e, d = statistics.median(times["eval"]), statistics.median(times["diff"])
        n = args.records
        print(f"{n:,} projects, --jobs {args.jobs}, median of {args.repeat}")
        print(f"  eval --batch: {e:6.1f} s ({n / e:,.0f}/s), peak {peaks['eval'] / 1024:.0f} MiB")
        print(f"  diff --batch: {d:6.1f} s ({n / d:,.0f}/s), peak {peaks['diff'] / 1024:.0f} MiB")
        print(f"  ratio diff / eval: {d / e:.2f}×")


if __name__ == "__main__":
    main()
