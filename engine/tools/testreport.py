"""`jixiao test` output: a readable summary with value-level diffs, or JSON."""

from __future__ import annotations

import json
from typing import Any

from ..common.result import IndicatorResult
from ..render.explain import fixed, line_text, percent, plain, signed
from .packtest import CaseOutcome, Coverage, Edge, Suite


def render_text(
    suite: Suite,
    outcomes: list[CaseOutcome],
    cov: Coverage,
    edges: list[Edge] | None,
    verbose_coverage: bool,
) -> str:
    out = [f"test {suite.path}"]
    for outcome in outcomes:
        mark = "✓" if outcome.passed else "✗"
        out.append(f"  {mark} {outcome.case.name}")
        for m in outcome.mismatches:
            if "\n" in m.expected or "\n" in m.got:
                out.append(f"      {m.what}:")
                out.append("        expected:")
                out += [f"          {x}" for x in m.expected.splitlines()] or ["          (none)"]
                out.append("        got:")
                out += [f"          {x}" for x in m.got.splitlines()] or ["          (none)"]
            else:
                out.append(f"      {m.what}: expected {m.expected}, got {m.got}")
            if m.code and outcome.result is not None:
                found = [i for i in outcome.result.indicators if i.code == m.code]
                out += _ledger(found[0], outcome) if found else []
        for diag in outcome.errors:
            out.append(f"      error[{diag.code}]: {diag.message}")
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
                + ("  not exercised: " + "; ".join(missed) if missed else "")
            )
    if edges:
        out.append("")
        out.append("band edges (points just below, at and above each bound):")
        for edge in edges:
            show = percent if edge.kind == "percent" else plain
            probes = " | ".join(f"{show(v)} → {p}" for v, p in edge.probes)
            out.append(f"  {edge.code:<10} {edge.subject} @ {show(edge.bound)}: {probes}")
    out.append("")
    out.append(f"{passed} passed, {len(outcomes) - passed} failed")
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
    suite: Suite, outcomes: list[CaseOutcome], cov: Coverage, edges: list[Edge] | None
) -> str:
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
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
