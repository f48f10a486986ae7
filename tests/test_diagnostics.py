"""Broken packs and evidence, as new users write them: each gives the right code, the exact
text underlined, a fix, exit code 1 — never a traceback.

`tests/diagnostics/NAME.jx` (with `NAME.yaml` when the mistake is in the evidence) and
`NAME.expected`, the exit code and everything printed on stderr. A file named after a code
must produce that code. Regenerate with `pytest --update-goldens`.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from jixiao.engine.cli import main

from .helpers import check_golden

HERE = Path(__file__).resolve().parent / "diagnostics"
CASES = sorted({p.stem for p in HERE.glob("*.jx")} | {p.stem for p in HERE.glob("*.args")})


def arguments(stem: str) -> list[str]:
    """`NAME.args` gives the command line; else `eval NAME.jx NAME.yaml`, else `check NAME.jx`."""
    if (HERE / f"{stem}.args").exists():
        return (HERE / f"{stem}.args").read_text(encoding="utf-8").split()
    if (HERE / f"{stem}.yaml").exists():
        return ["eval", f"{stem}.jx", f"{stem}.yaml"]
    return ["check", f"{stem}.jx"]


def sparse_files() -> None:
    """Inputs too large to commit, made on the fly (and ignored by git), for the limits on
    size: `NAME.sparse` holds a size in bytes and `NAME.big` is made that large, sparse (it
    takes no room on disk); `NAME.repeat` holds a file name, a first line, a line and how many
    times to repeat it."""
    for spec in HERE.glob("*.sparse"):
        big = spec.with_suffix(".big")
        size = int(spec.read_text(encoding="utf-8"))
        if not big.exists() or big.stat().st_size != size:
            with big.open("wb") as f:
                f.truncate(size)
    for spec in HERE.glob("*.repeat"):
        name, first, line, times = spec.read_text(encoding="utf-8").splitlines()
        text = first + "\n" + (line + "\n") * int(times)
        target = HERE / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


def run(stem: str) -> tuple[int, str]:
    args = arguments(stem)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([*args, "--color", "never"])
    return code, err.getvalue()


#: Errors in what the command line asks for, which exit with 2 as argparse's own do.
USAGE_CODES = {"E850"}


@pytest.mark.parametrize("stem", CASES)
def test_diagnostic(stem: str, update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    sparse_files()
    code, err = run(stem)
    assert "Traceback" not in err and "internal error" not in err
    expected_code = re.match(r"([EW]\d{3})", stem)
    if expected_code:
        assert f"[{expected_code[1]}]" in err
        if expected_code[1].startswith("E"):
            assert code == (2 if expected_code[1] in USAGE_CODES else 1)
    check_golden(HERE / f"{stem}.expected", f"exit: {code}\n{err}", update_goldens)
