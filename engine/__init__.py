"""jixiao's engine: the pipeline, one line per stage.

    text ──parse──▶ AST ──check──▶ Program ──analyse──▶ proofs ──order──▶ Order ──compile──▶ Plan
    Plan + evidence file ──load──▶ Evidence ──evaluate──▶ Result ──render──▶ text

`compile_pack` runs the first four stages once; `run` scores one evidence file against the plan.
Every stage reports problems as diagnostics; a stage that cannot go on raises `JixiaoError`
carrying all of them.
"""

from __future__ import annotations

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors
from jixiao.dsl.source import DecodeError, Source, decode

from .common.result import Result
from .plan import cache
from .plan.compiler import Plan, compile_program

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from pathlib import Path

    from .common.ir import Order, Program
    from .runtime.evidence import Evidence

__all__ = [
    "JixiaoError",
    "Plan",
    "Result",
    "compile_pack",
    "compile_source",
    "load_pack",
    "run",
    "score",
]


def compile_source(source: Source, use_cache: bool = False) -> tuple[Plan, list[Diagnostic]]:
    """Parse, check, order and compile a pack; returns the plan and its warnings.

    With `use_cache`, a pack checked before (same path and text, same jixiao down to the byte)
    comes from the verified cache as its checked program, order and warnings: the parser, the
    checker and the analyses are not even imported, nor Lark and networkx — a warm run costs
    little more than its imports. Only compiling to closures is done again (they cannot be
    stored), which takes a few milliseconds.
    """
    name = cache.entry_name(source.path, source.text) if use_cache else ""
    cached = cache.load(name) if use_cache else None
    if cached is not None:
        program, ordered, diagnostics = _thawed(cached)
        return compile_program(program, ordered), diagnostics
    from jixiao.dsl.parser import parse

    from .check.checker import check
    from .check.expand import bound_chains
    from .plan.analysis import analyse
    from .plan.graph import order

    pack = parse(source)
    too_deep = bound_chains(pack)  # before the checker follows those chains recursively
    if too_deep:
        raise JixiaoError(too_deep)
    checked, diagnostics = check(pack, pack.span.source)
    if checked is None or has_errors(diagnostics):
        raise JixiaoError(diagnostics)
    diagnostics += analyse(checked)
    if has_errors(diagnostics):
        raise JixiaoError(diagnostics)
    ordered = order(checked)
    if use_cache:
        cache.store(name, _frozen(checked, ordered, diagnostics))
    return compile_program(checked, ordered), diagnostics


def _frozen(program: Program, ordered: Order, diagnostics: list[Diagnostic]) -> tuple[Any, ...]:
    """What the cache keeps. The kind of each expression is keyed by the node's id, which does
    not survive pickling: it is stored against the node itself (pickle keeps identity)."""
    from jixiao.dsl import record

    kinds, seen, pairs = program.expr_kinds, set(), []
    stack: list[Any] = [program.derived, program.indicators, program.extras, program.vetoes]
    while stack:
        x = stack.pop()
        if isinstance(x, record.Record):
            if id(x) in seen:
                continue
            seen.add(id(x))
            if id(x) in kinds:
                pairs.append((x, kinds[id(x)]))
            stack.extend(getattr(x, n) for n in record.fields(x) if n != "span")
        elif isinstance(x, tuple | list):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
    return (record.replace(program, expr_kinds={}), pairs, ordered, tuple(diagnostics))


def _thawed(entry: Any) -> tuple[Program, Order, list[Diagnostic]]:
    from jixiao.dsl import record

    program, pairs, ordered, diagnostics = entry
    program = record.replace(program, expr_kinds={id(node): kind for node, kind in pairs})
    return program, ordered, list(diagnostics)


def load_pack(path: str | Path) -> Source:
    """Read a pack file, turning every way it can fail into a diagnostic."""
    from .runtime import files

    try:  # a regular file (or a piped standard input) within MAX_TEXT_BYTES, never a device
        data = files.read_given(str(path), files.MAX_TEXT_BYTES, "MAX_TEXT_BYTES")
        text, encoding = decode(data)
        return Source(str(path), text, encoding)
    except (files.FileRefused, DecodeError) as exc:
        from .common import messages

        if isinstance(exc, files.FileRefused):
            r = exc.refusal
            refused = messages.refused_file(r.kind, str(path), r.text)
            if refused is not None:
                raise JixiaoError([refused]) from None
            why = r.text
        else:
            why = str(exc)
        raise JixiaoError([messages.pack_unreadable(str(path), why)]) from None


def compile_pack(path: str | Path, use_cache: bool = False) -> tuple[Plan, list[Diagnostic]]:
    return compile_source(load_pack(path), use_cache)


def run(plan: Plan, evidence_path: str | Path) -> Result:
    """Score one evidence file. An evidence file that cannot be used raises; a malformed value
    leaves the indicators reading it undecided and the total out (see `score`)."""
    from .runtime import evidence as _evidence

    evidence, diagnostics = _evidence.load(evidence_path, plan.program)
    if evidence is None:
        raise JixiaoError(diagnostics)
    result = score(plan, evidence, diagnostics)
    return result._replace(
        pack_sha256=_sha256(plan.program.source.text),
        evidence_sha256=_sha256(evidence.source.text),
        inputs=evidence.inputs,
    )


def score(plan: Plan, evidence: Evidence, diagnostics: list[Diagnostic]) -> Result:
    """Evaluate evidence read with `diagnostics`: what it could read is scored; after any
    evidence error the total and grade are None (never a total over what happened to be
    readable), and the evaluator's "missing" report of a fact whose value was refused is
    dropped (the refusal already names it, at its line)."""
    from .runtime.evaluator import evaluate

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
    from .common.digest import sha256_hex

    return sha256_hex(text.encode("utf-8"))
