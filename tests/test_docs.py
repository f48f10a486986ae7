"""docs/diagnostics.md is built from engine/common/codes.py and the examples in tests/diagnostics/:
every code the engine can emit is documented, with a wrong example, the message and the fix.
Regenerate with `pytest --update-goldens`."""

from __future__ import annotations

import re
from pathlib import Path

from jixiao.engine.common.codes import CODES

from .helpers import ROOT, check_golden

CORPUS = ROOT / "tests" / "diagnostics"


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    for path in [*(ROOT / "engine").rglob("*.py"), *(ROOT / "dsl").glob("*.py")]:
        if path.name != "codes.py":
            codes |= set(re.findall(r'"([EW]\d{3})"', path.read_text(encoding="utf-8")))
    return codes


def build() -> str:
    out = [
        "# Diagnostics",
        "",
        "Every code jixiao reports, with a wrong example, the message it gives and the fix.",
        "`jixiao check --explain CODE` prints one entry. Codes: E1xx syntax, E2xx names, "
        "E3xx types, E4xx weights and ranges, E5xx the dependency graph, E6xx evidence and "
        "evaluation, W… warnings.",
        "",
    ]
    for code, (title, text) in sorted(CODES.items()):
        out += [f"## {code}: {title}", "", text, ""]
        for example in sorted(CORPUS.glob(f"{code}-*.expected")):
            stem = example.stem
            for suffix, lang in ((".jx", "jx"), (".yaml", "yaml"), (".args", "sh")):
                source = CORPUS / f"{stem}{suffix}"
                if source.exists():
                    body = source.read_bytes().decode("utf-8", errors="replace").rstrip("\n")
                    if suffix == ".args":
                        body = "jixiao " + body
                    out += [f"`{source.name}`:", "", f"```{lang}", body, "```", ""]
            message = example.read_text(encoding="utf-8").split("\n", 1)[1].rstrip("\n")
            out += ["gives:", "", "```", message, "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def test_every_emitted_code_is_documented_with_an_example() -> None:
    emitted = emitted_codes()
    assert emitted - set(CODES) == set(), "codes without an entry in engine/common/codes.py"
    assert set(CODES) - emitted == set(), "entries for codes nothing emits"
    documented = {p.name[:4] for p in CORPUS.glob("*.expected")}
    # E861 needs numpy missing, which no example can arrange: tests/test_columnar.py holds it
    assert emitted - documented - {"E609", "E861"} == set(), "codes without an example"


def test_diagnostics_doc_is_current(update_goldens: bool) -> None:
    check_golden(ROOT / "docs" / "diagnostics.md", build(), update_goldens)


def test_explain_prints_the_entry() -> None:
    import io
    from contextlib import redirect_stdout

    from jixiao.engine.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["check", "--explain", "E201"]) == 0
    assert "## E201: unknown fact" in out.getvalue() and "预算执行律" in out.getvalue()
    err = io.StringIO()
    with redirect_stdout(err):
        assert main(["check", "--explain", "E999"]) == 2


def test_doc_ships_with_the_package() -> None:
    assert (ROOT / "engine" / "diagnostics.md").resolve() == (
        ROOT / "docs" / "diagnostics.md"
    ).resolve()


_ = Path
