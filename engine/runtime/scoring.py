"""Scoring evidence against a plan, with what reading it found: the evaluator scores what could
be read; after any evidence error the total and grade are withheld."""

from __future__ import annotations

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from pathlib import Path

    from ..common.result import Result
    from ..plan.compiler import Plan
    from .evidence import Evidence


def run(plan: Plan, evidence_path: str | Path) -> Result:
    """Score one evidence file. An evidence file that cannot be used raises; a malformed value
    leaves the indicators reading it undecided and the total out (see `score`)."""
    from . import evidence as _evidence

    return _scored(plan, *_evidence.load(evidence_path, plan.program))


def _scored(plan: Plan, evidence: Evidence | None, diagnostics: list[Diagnostic]) -> Result:
    """The result of loaded evidence, with what identifies its inputs (digests, files)."""
    if evidence is None:
        raise JixiaoError(diagnostics)
    result = score(plan, evidence, diagnostics)
    return result._replace(
        pack_sha256=_sha256(plan.program.source.text),
        evidence_sha256=_sha256(evidence.source.text),
        inputs=evidence.inputs,
        imports=plan.program.imports,
        project=tuple(evidence.project.items()),
    )


def score(plan: Plan, evidence: Evidence, diagnostics: list[Diagnostic]) -> Result:
    """Evaluate evidence read with `diagnostics`: what it could read is scored; after any
    evidence error the total and grade are None (never a total over what happened to be
    readable), and the evaluator's "missing" report of a fact whose value was refused is
    dropped (the refusal already names it, at its line)."""
    from .evaluator import evaluate

    result = evaluate(plan, evidence)
    refused = evidence.refused
    kept = [
        d
        for d in result.diagnostics
        if not (d.code == "E605" and any(f"fact `{name}` " in d.message for name in refused))
    ]
    result = result._replace(diagnostics=(*diagnostics, *kept))
    if has_errors(diagnostics):
        result = result._replace(total=None, grade=None)
    return result


def _sha256(text: str) -> str:
    from ..common.digest import sha256_hex

    return sha256_hex(text.encode("utf-8"))


def run_bytes(plan: Plan, data: bytes, name: str) -> Result:
    """`run` on evidence already in memory (sent to `jixiao serve`); `name` names it in the
    report and its diagnostics. It may name no other file (see `files.seal`)."""
    from . import evidence as _evidence
    from . import files

    token = files.seal()
    try:
        loaded = _evidence.load_bytes(data, name, plan.program)
    finally:
        files.unseal(token)
    return _scored(plan, *loaded)
