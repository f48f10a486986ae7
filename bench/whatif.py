"""`jixiao whatif --batch` against `jixiao eval --batch` on the same generated portfolio:
`python bench/whatif.py [--records N]` (default 20,000), from the repository root.

Both run as the command line does, each timed in a process of its own (`run.run_measured`);
`eval --batch` once with its default workers and once in one process (whatif scores the
portfolio in one process, then works out what it would take for the projects nearest each
grade boundary only)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import PACK, records, run_measured, write_csv  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    jixiao = shutil.which("jixiao", path=str(Path(sys.executable).parent)) or "jixiao"
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "portfolio.csv"
        write_csv(sheet, records(args.records))
        out = Path(tmp) / "r.jsonl"
        runs = {
            "eval --batch (default workers)": [
                jixiao,
                "eval",
                str(PACK),
                "--batch",
                str(sheet),
                "--output",
                str(out),
            ],
            "eval --batch --jobs 1": [
                jixiao,
                "eval",
                str(PACK),
                "--batch",
                str(sheet),
                "--output",
                str(out),
                "--jobs",
                "1",
            ],
            "whatif --batch (json)": [
                jixiao,
                "whatif",
                str(PACK),
                "--batch",
                str(sheet),
                "--format",
                "json",
            ],
        }
        best: dict[str, float] = {}
        for name, command in runs.items():
            times = [run_measured(command)[0] for _ in range(args.repeat)]
            best[name] = min(times)
            print(f"{name}: best of {args.repeat} {best[name]:.2f} s", flush=True)
        base = best["eval --batch --jobs 1"]
        print(f"whatif / eval (one process): {best['whatif --batch (json)'] / base:.2f}x")
        default = best["eval --batch (default workers)"]
        print(f"whatif / eval (default workers): {best['whatif --batch (json)'] / default:.2f}x")


if __name__ == "__main__":
    main()
