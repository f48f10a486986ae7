"""`jixiao eval PACK --batch SHEET --partial`: the score ranges of every project of a portfolio,
one JSON line each (see docs/partial.md).

Rows are read as `--batch` reads them (`tools.batch`: a sheet's cells or a folder's evidence
files); an empty cell is a missing fact, never an error. A row that cannot be read (a refused
cell, an evidence file that is not one) gets a line with its `errors`, as in `--batch`. Serial:
a project's ranges cost hundreds of evaluations, so a portfolio is for the projects still in
fieldwork, not for the final 20,000.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..plan.compiler import Plan
from ..render.explain import fixed
from ..runtime.partial import Ranges, ranges
from .batch import Row, _folder_evidence, row_evidence


def records(plan: Plan, rows: Iterator[Row], source: str) -> Iterator[tuple[str, bool]]:
    """(JSON line, whether the project failed) for each row."""
    places = plan.program.settings.places
    for row in rows:
        head: dict[str, Any] = {"id": row.id, "name": row.name}
        if row.problem:
            yield _line({**head, "errors": [row.problem]}), True
            continue
        if row.path is not None:
            inputs: list[tuple[str, str]] = []
            evidence, problems = _folder_evidence(row, plan.program, inputs)
        else:
            evidence, problems = row_evidence(row, plan.program, source)
        if evidence is None or problems:
            yield _line({**head, "errors": problems}), True
            continue
        found = ranges(plan, evidence)
        yield _line({**head, **document(found, places)}), found.total is None


def document(found: Ranges, places: int) -> dict[str, Any]:
    """A project's ranges as JSON: the total's, the grades still possible, each missing fact,
    and each indicator reading one."""
    t = found.total
    return {
        "total": fixed(t.low.points, places) if t is not None and t.final else None,
        "grade": found.grades[0] if t is not None and t.final and len(found.grades) == 1 else None,
        "min": fixed(t.low.points, places) if t is not None else None,
        "max": fixed(t.high.points, places) if t is not None else None,
        "final": t is not None and t.final,
        "exact": t is not None and t.exact,
        "grades_possible": list(found.grades),
        "missing": [{"fact": m.fact, "moves_grade": m.moves_grade} for m in found.missing],
        "indicators": {
            code: {"min": fixed(r.low.points, places), "max": fixed(r.high.points, places)}
            for code, r in found.indicators.items()
        },
    }


def _line(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False) + "\n"
