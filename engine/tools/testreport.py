"""`jixiao test` output: a readable summary with value-level diffs, JSON, or JUnit XML for CI.

Each test file run is a `SuiteRun`; a test file that could not be run (its pack does not check,
the file cannot be read) is a run with its diagnostics and no outcomes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jixiao.dsl.diagnostics import Diagnostic

from ..common.lang import current, say
from ..common.result import IndicatorResult
from ..render.explain import fixed, line_text, percent, plain, signed
from .packtest import CaseOutcome, Coverage, Edge, Suite

#: The text report's own words around a mismatch, in the messages' language (the report goes
#: through `say` line by line; these lines are not sentences it could match).
_W = {
    "zh": {
        "colon": "：",
        "expected": "应为：",
        "got": "实为：",
        "none": "          （无）",
        "error": "错误",
    },
    "en": {
        "colon": ": ",
        "expected": "expected:",
        "got": "got:",
        "none": "          (none)",
        "error": "error",
    },
}


@dataclass
class SuiteRun:
    """One test file as run: its path, the pack, the cases' outcomes (those `-k` selected),
    coverage and band edges; `problems` when it could not be run at all."""

    path: str
    pack: str
    suite: Suite | None = None
    outcomes: list[CaseOutcome] = field(default_factory=list)
    cov: Coverage | None = None
    edges: list[Edge] | None = None
    deselected: int = 0
    problems: list[Diagnostic] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for o in self.outcomes if o.passed)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.passed


def render_text(
    suite: Suite,
    outcomes: list[CaseOutcome],
    cov: Coverage,
    edges: list[Edge] | None,
    verbose_coverage: bool,
    deselected: int = 0,
) -> str:
    out = [f"test {suite.path}"]
    for outcome in outcomes:
        mark = "✓" if outcome.passed else "✗"
        out.append(f"  {mark} {outcome.case.name}")
        for m in outcome.mismatches:
            if "\n" in m.expected or "\n" in m.got:
                w = _W[current()]
                out.append(f"      {say(m.what)}{w['colon'].rstrip()}")
                out.append(f"        {w['expected']}")
                out += [f"          {x}" for x in m.expected.splitlines()] or [w["none"]]
                out.append(f"        {w['got']}")
                out += [f"          {x}" for x in m.got.splitlines()] or [w["none"]]
            else:
                out.append(f"      {m.what}: expected {m.expected}, got {m.got}")
            if m.code and outcome.result is not None:
                found = [i for i in outcome.result.indicators if i.code == m.code]
                out += _ledger(found[0], outcome) if found else []
        for diag in outcome.errors:
            w = _W[current()]
            out.append(f"      {w['error']}[{diag.code}]{w['colon']}{say(diag.message)}")
    passed = sum(1 for o in outcomes if o.passed)
    out.append("")
    out.append(
        f"coverage: {cov.percent}% of clauses, bands and paths "
        f"({sum(r[1] for r in cov.rows)}/{sum(r[2] for r in cov.rows)})"
    )
    for code, covered, total, missed in cov.rows:
        if missed or verbose_coverage:
            out.append(
                f"  {code:<10} {covered}/{total}"
                + (say("  not exercised: " + "; ".join(missed)) if missed else "")
            )
    if edges:
        out.append("")
        out.append("band edges (points just below, at and above each bound):")
        for edge in edges:
            show = percent if edge.kind == "percent" else plain
            probes = " | ".join(f"{show(v)} → {p}" for v, p in edge.probes)
            out.append(f"  {edge.code:<10} {edge.subject} @ {show(edge.bound)}: {probes}")
    out.append("")
    tally = f"{passed} passed, {len(outcomes) - passed} failed"
    out.append(say(tally) + (say(f", {deselected} deselected by -k") if deselected else ""))
    return "\n".join(out) + "\n"


def _ledger(ind: IndicatorResult, outcome: CaseOutcome) -> list[str]:
    assert outcome.result is not None
    places = outcome.result.settings.places
    pts = fixed(ind.points, places) if ind.points is not None else "—"
    lines = [f"      ledger of {ind.code} {ind.name} ({pts} / {plain(ind.weight)}):"]
    for line in ind.lines:
        lines.append(
            f"        {signed(line.points):>9}  {line_text(line, ind.weight, outcome.result, 'zh')}"
        )
    return lines


def render_json(
    suite: Suite,
    outcomes: list[CaseOutcome],
    cov: Coverage,
    edges: list[Edge] | None,
    deselected: int = 0,
) -> str:
    return json.dumps(document(suite, outcomes, cov, edges, deselected), **_JSON) + "\n"


_JSON: dict[str, Any] = {"ensure_ascii": False, "indent": 2}


def render_runs_json(runs: list[SuiteRun], problems: Sequence[Diagnostic] = ()) -> str:
    """Several test files: `{"suites": [...], "passed": N, "failed": M}`, each suite the
    document of one file (one that could not be run: its `diagnostics`); `problems` are the
    command line's own (a test file that does not exist)."""
    from jixiao.dsl.diagnostics import to_json

    suites: list[dict[str, Any]] = []
    for run in runs:
        if run.suite is None or run.cov is None:
            suites.append(
                {
                    "suite": run.path,
                    "pack": run.pack,
                    "diagnostics": [to_json(d) for d in run.problems],
                }
            )
        else:
            doc = document(run.suite, run.outcomes, run.cov, run.edges, run.deselected)
            suites.append({"pack": run.pack, **doc})
    doc = {
        "suites": suites,
        "passed": sum(r.passed for r in runs),
        "failed": sum(r.failed for r in runs),
        "errors": sum(1 for r in runs if r.problems) + len(problems),
        "diagnostics": [to_json(d) for d in problems],
    }
    return json.dumps(doc, **_JSON) + "\n"


def document(
    suite: Suite,
    outcomes: list[CaseOutcome],
    cov: Coverage,
    edges: list[Edge] | None,
    deselected: int = 0,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "suite": str(suite.path),
        "cases": [
            {
                "name": o.case.name,
                "passed": o.passed,
                "mismatches": [
                    {"what": m.what, "expected": m.expected, "got": m.got, "indicator": m.code}
                    for m in o.mismatches
                ],
                "errors": [{"code": d.code, "message": d.message} for d in o.errors],
            }
            for o in outcomes
        ],
        "coverage": {
            "percent": str(cov.percent),
            "indicators": [
                {"code": c, "covered": k, "total": t, "missed": list(m)} for c, k, t, m in cov.rows
            ],
        },
        "edges": [
            {
                "indicator": e.code,
                "subject": e.subject,
                "bound": plain(e.bound),
                "probes": [{"value": plain(v), "points": p} for v, p in e.probes],
            }
            for e in edges or []
        ],
        "passed": sum(1 for o in outcomes if o.passed),
        "failed": sum(1 for o in outcomes if not o.passed),
    }
    if deselected:
        doc["deselected"] = deselected
    return doc


def render_junit(runs: list[SuiteRun]) -> str:
    """JUnit XML as CI servers read it (`<testsuites>`, a `<testsuite>` per test file, a
    `<testcase>` per case run, `<failure>` with expected and got). No times or host names:
    the same run gives the same bytes. A test file that could not be run is one `<error>`."""
    from xml.etree import ElementTree as ET

    root = ET.Element("testsuites", name="jixiao test")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for run in runs:
        failures = run.failed
        errors = 1 if run.problems else 0
        tests = len(run.outcomes) + errors
        suite = ET.SubElement(
            root,
            "testsuite",
            name=run.path,
            tests=str(tests),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
        )
        classname = _classname(run.pack)
        if run.problems:
            case = ET.SubElement(suite, "testcase", classname=classname, name=run.path)
            first = run.problems[0]
            error = ET.SubElement(case, "error", message=f"{first.code}: {first.message}")
            error.text = "\n".join(f"{d.code}: {d.message}" for d in run.problems)
        for outcome in run.outcomes:
            case = ET.SubElement(suite, "testcase", classname=classname, name=outcome.case.name)
            if outcome.passed:
                continue
            details = [
                f"{m.what}: expected {m.expected}, got {m.got}" for m in outcome.mismatches
            ] + [f"{d.code}: {d.message}" for d in outcome.errors]
            failure = ET.SubElement(case, "failure", message=details[0].splitlines()[0])
            failure.text = "\n".join(details)
        totals["tests"] += tests
        totals["failures"] += failures
        totals["errors"] += errors
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _classname(pack: str) -> str:
    """The pack's file name without `.jx`, dots as `_` (CI servers split classnames at dots)."""
    name = pack.replace("\\", "/").rsplit("/", 1)[-1]
    return name.removesuffix(".jx").replace(".", "_")
