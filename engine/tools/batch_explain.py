"""`eval PACK --batch PORTFOLIO --explain ID`: the full ledger of chosen projects of a portfolio.

The portfolio is read as `--batch` reads it (a CSV, XLSX, Parquet or Arrow sheet, or a folder of
evidence files), streaming, and reading stops once every project asked for is found: memory
stays flat however large it is. A chosen row's cells become evidence exactly as the batch's own
record of it was scored (the same reader, the same plan), and the result is the one a plain
`eval` gives on an evidence file holding those facts: the same indicators, lines, totals and
words. What differs is what identifies the evidence: its name is the portfolio's with the
project's id (`projects.csv [P001]`), its digest the portfolio file's, and each fact's origin its
cell (`projects.csv, row 3, column D (预算有明细测算)`) where an evidence file gives its line.
A folder portfolio's project is its own evidence file, scored as `eval` scores it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError

from ..runtime import files
from ..runtime.evidence import Evidence
from .batch import Row, refusal, row_evidence

if TYPE_CHECKING:
    from ..common.result import Result
    from ..plan.compiler import Plan


def asked_ids(values: list[str]) -> list[str]:
    """The project ids of `--explain` options, each repeatable and comma-separated (`,` or
    `，`), in the order given, each once."""
    out: dict[str, None] = {}
    for value in values:
        for part in value.replace("，", ",").split(","):
            if part.strip():
                out.setdefault(part.strip(), None)
    return list(out)


def _key(ident: str) -> str:
    """An id as the portfolio's reader compares ids (`batch._unique`): NFKC, trimmed, so a
    full-width `Ｐ００１` typed in Excel is the project `P001`."""
    return unicodedata.normalize("NFKC", ident).strip()


def chosen(
    plan: Plan, rows: Iterator[Row], ids: list[str], source: str, digest: str
) -> Iterator[tuple[str, Result | None, list[str] | list[Diagnostic]]]:
    """(id asked, its result or None, what kept it from being scored: a row's problems as
    texts, or an evidence file's diagnostics) for each project asked for, in the portfolio's
    order, the first row of each id; reading stops once all are found. `digest` is the
    portfolio file's SHA-256, the evidence's digest of a row."""
    from ..runtime.scoring import run, score

    wanted = {_key(i): i for i in ids}
    for row in rows:
        asked = wanted.pop(_key(row.id), None)
        if asked is None:
            continue
        if row.problem:
            yield asked, None, [row.problem]
        elif row.path is not None:  # a folder's evidence file: `eval` on the file itself
            try:
                files.read_in_folder(str(row.path), row.folder)
            except files.FileRefused as exc:
                yield asked, None, [refusal(exc.refusal, table=False).message]
            else:
                try:
                    yield asked, run(plan, str(row.path)), []
                except JixiaoError as exc:  # as `eval` of the file: its own diagnostics
                    yield asked, None, list(exc.diagnostics)
        else:
            evidence, problems = row_evidence(row, plan.program, source)
            if evidence is None:
                yield asked, None, problems
            else:
                result = score(plan, _found_in_cells(evidence), [])
                project = (("id", row.id), *((("name", row.name),) if row.name else ()))
                yield (
                    asked,
                    result._replace(
                        pack_sha256=_sha256(plan.program.source.text),
                        evidence_sha256=digest,
                        imports=plan.program.imports,
                        project=project,
                    ),
                    [],
                )
        if not wanted:
            return


def _found_in_cells(evidence: Evidence) -> Evidence:
    """The row's evidence with each finding of a list cell placed in its cell, as an evidence
    file's are at their line (`依据：projects.csv, row 3, column F (采购文件缺失项)`): the batch
    leaves them unplaced (its records name no cells, and one cell's findings are shared by
    every row that repeats its text)."""
    from ..common.result import Item

    values = dict(evidence.values)
    for name, value in values.items():
        if isinstance(value, tuple) and value and all(isinstance(i, Item) for i in value):
            where = evidence.origins[name]
            values[name] = tuple(Item(i.text, where) for i in value)
    return Evidence(evidence.source, values, evidence.origins, evidence.project)


def _sha256(text: str) -> str:
    from ..common.digest import sha256_hex

    return sha256_hex(text.encode("utf-8"))


def output_for(output: str, ident: str, several: bool) -> str:
    """The file a project's report goes to: `--output` itself for one project; for several,
    the id before the suffix (`report.html` → `report-P001.html`), the id made safe for a file
    name."""
    if not several:
        return output
    import os
    import re

    root, suffix = os.path.splitext(output)
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", ident).strip("._") or "project"
    return f"{root}-{safe}{suffix}"
