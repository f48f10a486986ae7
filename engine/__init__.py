"""jixiao's engine: the pipeline, one line per stage.

    text ──parse──▶ AST ──check──▶ Program ──analyse──▶ proofs ──order──▶ Order ──compile──▶ Plan
    Plan + evidence file ──load──▶ Evidence ──evaluate──▶ Result ──render──▶ text

`compile_pack` runs the first four stages once; `run` scores one evidence file against the plan.
Every stage reports problems as diagnostics; a stage that cannot go on raises `JixiaoError`
carrying all of them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors
from jixiao.dsl.source import DecodeError, Source

from . import cache, messages
from .analysis import analyse
from .checker import check
from .compiler import Plan, compile_program
from .result import Result

if TYPE_CHECKING:
    from jixiao.dsl import ast

    from .ir import Order

__all__ = ["JixiaoError", "Plan", "Result", "compile_pack", "compile_source", "load_pack", "run"]


def compile_source(source: Source, use_cache: bool = False) -> tuple[Plan, list[Diagnostic]]:
    """Parse, check, order and compile a pack; returns the plan and its warnings.

    With `use_cache`, a pack parsed and ordered before (same path, text, grammar and jixiao)
    is taken from the verified cache: neither Lark nor networkx is imported then.
    """
    name = cache.entry_name(source.path, source.text, _grammar()) if use_cache else ""
    cached = cache.load(name) if use_cache else None
    pack: ast.Pack
    ordered: Order | None = None
    if cached is not None:
        pack, ordered = cached
    else:
        from jixiao.dsl.parser import parse

        pack = parse(source)
    program, diagnostics = check(pack, pack.span.source)
    if program is None or has_errors(diagnostics):
        raise JixiaoError(diagnostics)
    diagnostics += analyse(program)
    if has_errors(diagnostics):
        raise JixiaoError(diagnostics)
    if ordered is None:
        from .graph import order

        ordered = order(program)
        if use_cache:
            cache.store(name, (pack, ordered))
    return compile_program(program, ordered), diagnostics


def _grammar() -> str:
    from importlib import resources

    return resources.files("jixiao.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")


def load_pack(path: str | Path) -> Source:
    """Read a pack file, turning every way it can fail into a diagnostic."""
    try:
        return Source.from_path(path)
    except FileNotFoundError:
        raise JixiaoError([messages.pack_unreadable(str(path), "no such file")]) from None
    except IsADirectoryError:
        raise JixiaoError([messages.pack_unreadable(str(path), "it is a directory")]) from None
    except DecodeError as exc:
        raise JixiaoError([messages.pack_unreadable(str(path), str(exc))]) from None
    except OSError as exc:
        raise JixiaoError([messages.pack_unreadable(str(path), exc.strerror or str(exc))]) from None


def compile_pack(path: str | Path, use_cache: bool = False) -> tuple[Plan, list[Diagnostic]]:
    return compile_source(load_pack(path), use_cache)


def run(plan: Plan, evidence_path: str | Path) -> Result:
    """Score one evidence file. Evidence errors raise; evaluation failures are in the result."""
    from . import evidence as _evidence
    from .evaluator import evaluate

    evidence, diagnostics = _evidence.load(evidence_path, plan.program)
    if evidence is None:
        raise JixiaoError(diagnostics)
    result = evaluate(plan, evidence)
    return result._replace(
        diagnostics=(*diagnostics, *result.diagnostics),
        pack_sha256=_sha256(plan.program.source.text),
        evidence_sha256=_sha256(evidence.source.text),
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
