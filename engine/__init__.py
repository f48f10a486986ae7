"""jixiao's engine: the pipeline, one line per stage.

    file ──read──▶ Source ──parse──▶ AST ──check──▶ Program ──analyse──▶ proofs
         ──order──▶ Order ──compile──▶ Plan
    Plan + evidence file ──load──▶ Evidence ──evaluate──▶ Result ──render──▶ text

Where each stage lives: dsl/ (parse), check/, plan/ (analyse, order, compile, the cache),
runtime/ (read, load, evaluate), render/; common/ holds what they share, tools/ the products
built on them, cli.py the command line. Every stage reports problems as diagnostics; a stage
that cannot go on raises `JixiaoError` carrying all of them.
"""

from __future__ import annotations

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors
from jixiao.dsl.source import Source

from .common.result import Result
from .plan import cache
from .plan.compiler import Plan, compile_program

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from pathlib import Path

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


def load_pack(path: str | Path) -> Source:
    """Read a pack file, turning every way it can fail into a diagnostic."""
    from .runtime.packfile import read_pack

    return read_pack(str(path))


def compile_source(source: Source, use_cache: bool = False) -> tuple[Plan, list[Diagnostic]]:
    """Parse, check, analyse, order and compile a pack; returns the plan and its warnings.

    With `use_cache`, a pack checked before (same path and text, same jixiao down to the byte)
    comes from the verified cache as its checked program, order and warnings: the parser, the
    checker and the analyses are not even imported, nor Lark and networkx — a warm run costs
    little more than its imports. Only compiling to closures is done again (they cannot be
    stored), which takes a few milliseconds.
    """
    name = cache.entry_name(source.path, _keyed(source.text)) if use_cache else ""
    cached = cache.load(name) if use_cache else None
    if cached is not None:
        program, ordered, warnings, files = cached
        if not files or _unchanged(files):  # every imported template as it was
            return compile_program(program, ordered), list(warnings)
    from .common.collector import paused

    with paused():  # see `common.collector`: a large pack builds many objects, frees few
        return _compile_cold(source, use_cache, name)


def _compile_cold(source: Source, use_cache: bool, name: str) -> tuple[Plan, list[Diagnostic]]:
    from jixiao.dsl import record
    from jixiao.dsl.parser import parse

    from .check.checker import check
    from .check.expand import bound_chains
    from .plan.analysis import analyse
    from .plan.graph import order

    pack = parse(source)
    made_of: tuple[tuple[str, str], ...] = ()
    imported: tuple[tuple[str, str], ...] = ()
    if pack.imports:
        from .check.imports import resolve, search_path
        from .runtime.packfile import read_pack

        joined = resolve(pack, read_pack, search_path())
        pack, imported, made_of = joined.pack, joined.files, joined.real
    _stop_on_errors(bound_chains(pack))  # before the checker follows those chains recursively
    checked, diagnostics = check(pack, pack.span.source)
    if checked is None:
        raise JixiaoError(diagnostics)
    _stop_on_errors(diagnostics)
    diagnostics += analyse(checked)
    _stop_on_errors(diagnostics)
    if imported:
        checked = record.replace(checked, imports=imported)
    ordered = order(checked)
    if use_cache:
        cache.store(name, (checked, ordered, tuple(diagnostics), made_of))
    return compile_program(checked, ordered), diagnostics


def compile_pack(path: str | Path, use_cache: bool = False) -> tuple[Plan, list[Diagnostic]]:
    return compile_source(load_pack(path), use_cache)


def run(plan: Plan, evidence_path: str | Path) -> Result:
    """Score one evidence file. An evidence file that cannot be used raises; a malformed value
    leaves the indicators reading it undecided and the total out (see `score`)."""
    from .runtime import scoring

    return scoring.run(plan, evidence_path)


def score(plan: Plan, evidence: Evidence, diagnostics: list[Diagnostic]) -> Result:
    """Evaluate evidence read with `diagnostics`; after any evidence error the total and grade
    are None (never a total over what happened to be readable)."""
    from .runtime import scoring

    return scoring.score(plan, evidence, diagnostics)


def _keyed(text: str) -> str:
    """The text the cache entry is named by: with the import path when the pack may import, as
    another folder on it may hold another template of the same name."""
    if "import" not in text:
        return text
    from .check.imports import search_path

    return text + "\0" + "\0".join(search_path())


def _unchanged(made_of: tuple[tuple[str, str], ...]) -> bool:
    from .check.imports import unchanged
    from .runtime.packfile import read_pack

    return unchanged(made_of, read_pack)


def _stop_on_errors(diagnostics: list[Diagnostic]) -> None:
    if has_errors(diagnostics):
        raise JixiaoError(diagnostics)
