"""Helpers for the tests: score a pack written inline, compare against golden files."""

from __future__ import annotations

import io
import sys
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors
from jixiao.dsl.source import Source
from jixiao.engine import compile_source
from jixiao.engine.common.result import Result
from jixiao.engine.plan.compiler import Plan
from jixiao.engine.render.explain import fixed, plain
from jixiao.engine.runtime.evaluator import evaluate
from jixiao.engine.runtime.evidence import load_bytes

ROOT = Path(__file__).resolve().parent.parent
FOUNDING_PACK = ROOT / "rules" / "video-conference-2017.jx"
FOUNDING_EVIDENCE = ROOT / "evidence" / "video-conference-2017.yaml"


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare with a golden file; with --update-goldens, rewrite it instead."""
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path.name} was missing and has been written; re-run")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path.name} (re-run with --update-goldens)"


def compile_text(text: str, path: str = "pack.jx") -> Plan:
    plan, _ = compile_source(Source(path, text))
    return plan


def diagnostics_of(text: str, path: str = "pack.jx") -> list[Diagnostic]:
    """The checker's diagnostics for a pack (errors raise inside compile; collect them)."""
    try:
        _, warnings = compile_source(Source(path, text))
    except JixiaoError as exc:
        return list(exc.diagnostics)
    return warnings


@dataclass
class Scored:
    result: Result
    points: dict[str, str | None]

    def lines(self, code: str) -> list[tuple[str, str, str | None]]:
        ind = next(i for i in self.result.indicators if i.code == code)
        return [(line.kind.value, plain(line.points), line.reason) for line in ind.lines]


def score(plan: Plan, evidence_yaml: str, path: str = "evidence.yaml") -> Scored:
    evidence, diags = load_bytes(evidence_yaml.encode("utf-8"), path, plan.program)
    if evidence is None or has_errors(diags):  # load_bytes returns what it could read
        raise JixiaoError(diags)
    result = evaluate(plan, evidence)
    places = plan.program.settings.places
    return Scored(
        result,
        {
            i.code: fixed(i.points, places) if i.points is not None else None
            for i in result.indicators
        },
    )


def cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    """Run the `jixiao` command in-process: exit code, standard output, standard error.
    argparse's own exits (usage errors) come back as their code."""
    from jixiao.engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    old, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def write_xlsx(path: Path, rows: list[list[Any]], title: str = "项目") -> None:
    """A workbook of one sheet holding `rows`, as Excel would save it."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)


def rewrite_sheet(path: Path, change: Any) -> None:
    """Rewrite the first worksheet's XML of a workbook (every other entry kept): how the tests
    make the files exporters and attackers write (stale dimensions, bombs)."""
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, change(data) if name == "xl/worksheets/sheet1.xml" else data)
