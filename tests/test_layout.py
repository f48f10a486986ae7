"""The layout holds the pipeline's direction: every import in dsl/ and engine/ (at the top, inside
functions, under TYPE_CHECKING) points to the same stage or an earlier one, there is no cycle
among engine modules, and renderers are imported only by the products and the command line.

    dsl ← engine.common ← exact numbers, intervals, the expression compiler ← forms ← check ← plan ← runtime
        ← engine (the pipeline) ← render ← tools ← lsp ← cli

The rule forms (engine/forms/) sit before the checker: each form module holds the hooks of every
stage (its kind check, what it reads, how it compiles, its static facts, its ledger lines and
their words), so the checker, the planner, the evaluator, the renderers and the tools all call
through the registry. A form compiles itself with the expression compiler
(`plan.compile_expr`, with `plan.exact`) and reasons about ranges with `plan.intervals`: these
depend on `dsl` and `engine.common` only, and are layers of their own, below the forms. A form never imports the
checker, the rest of `plan`, the runtime, a renderer or a tool: what it needs of the checker
and the compiler it is handed (`forms.base.Checking`, `forms.base.Compiling`), and its words
are plain templates that `render.explain` fills.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .helpers import ROOT

#: Each layer by the prefix of its modules, earliest first; a module may import its own layer
#: and the ones before it.
LAYERS = (
    "jixiao.dsl",
    "jixiao.engine.common",
    # exact numbers, interval arithmetic and the expression compiler, which the forms build on
    # (see above)
    "jixiao.engine.plan.exact",
    "jixiao.engine.plan.intervals",
    "jixiao.engine.plan.compile_expr",
    "jixiao.engine.forms",
    "jixiao.engine.check",
    "jixiao.engine.plan",
    "jixiao.engine.runtime",
    "jixiao.engine",  # engine/__init__.py: compile_pack, run — the pipeline itself
    "jixiao.engine.render",
    "jixiao.engine.tools",
    "jixiao.engine.lsp",  # `jixiao lsp`: built on the pipeline like a tool, beside the CLI
    "jixiao.engine.serve",  # `jixiao serve`: above the tools, beside the command line
    "jixiao.engine.cli",
)


def _module_files() -> dict[str, Path]:
    out = {}
    for folder, package in ((ROOT / "dsl", "jixiao.dsl"), (ROOT / "engine", "jixiao.engine")):
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join((package, *parts))] = path
    return out


MODULES = _module_files()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imports_of(name: str) -> set[str]:
    """The jixiao modules `name` imports anywhere in its text: `from . import files` is an
    import of the module `files`, `from . import run` one of the package (a function in it)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if _is_package(name) else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("jixiao")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("jixiao"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in MODULES else target)
    out.discard(name)
    return {m for m in out if m in MODULES or m == "jixiao"}


GRAPH = {name: imports_of(name) for name in MODULES}


def layer(name: str) -> int:
    """The latest layer whose prefix names the module (so `jixiao.engine.cli` is the CLI's, not
    the pipeline's, and `jixiao.engine.plan.cache` is plan's)."""
    best = -1
    for i, prefix in enumerate(LAYERS):
        if name == prefix or name.startswith(prefix + "."):
            if best < 0 or len(prefix) > len(LAYERS[best]):
                best = i
    assert best >= 0, f"{name} belongs to no layer: add it to LAYERS"
    return best


def test_the_layers_name_every_module() -> None:
    assert len(MODULES) > 40
    for name in MODULES:
        layer(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_a_later_stage(name: str) -> None:
    later = sorted(m for m in GRAPH[name] if m != "jixiao" and layer(m) > layer(name))
    assert later == [], f"{name} ({LAYERS[layer(name)]}) imports later stages: {later}"


def test_renderers_are_imported_only_by_products_and_the_cli() -> None:
    render = LAYERS.index("jixiao.engine.render")
    for name, imported in GRAPH.items():
        if layer(name) < render:
            assert not {m for m in imported if m in MODULES and layer(m) == render}, name


def test_no_import_cycle_among_engine_modules() -> None:
    """Depth-first search for a back edge; a cycle is shown as the modules along it."""
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in path, "import cycle: " + " → ".join([*path[path.index(name) :], name])
        path.append(name)
        for other in sorted(GRAPH[name]):
            if other in MODULES:
                visit(other)
        path.pop()
        done.add(name)

    for name in sorted(MODULES):
        visit(name)


def test_the_forms_sit_before_the_checker_and_after_the_expression_compiler() -> None:
    forms, check = LAYERS.index("jixiao.engine.forms"), LAYERS.index("jixiao.engine.check")
    assert LAYERS.index("jixiao.engine.plan.compile_expr") < forms < check
    assert layer("jixiao.engine.forms.tiers") == forms
    assert layer("jixiao.engine.plan.compiler") == LAYERS.index("jixiao.engine.plan")
    for name in MODULES:
        if name.startswith("jixiao.engine.forms"):
            assert all(layer(m) <= forms for m in GRAPH[name] if m != "jixiao"), name


def test_the_direction_test_sees_lazy_and_type_only_imports() -> None:
    """The graph is built from the text, so an import inside a function or under
    TYPE_CHECKING counts like one at the top."""
    assert "jixiao.dsl.parser" in GRAPH["jixiao.engine"]  # inside compile_source
    assert "jixiao.engine.runtime.evidence" in GRAPH["jixiao.engine.runtime.ledger"]  # typing


def test_every_package_is_installed() -> None:
    """Each folder of dsl/ and engine/ with an `__init__.py` is in pyproject's `packages`: one
    left out imports in the editable checkout and is missing from a wheel."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    packages = {name for name in MODULES if _is_package(name)}
    assert packages <= listed, sorted(packages - listed)


def test_pygls_is_owned_by_the_language_servers_protocol_module() -> None:
    """pygls and lsprotocol (the `lsp` extra) are imported by engine/lsp/server.py alone, and
    nothing but the command line's `lsp` command imports that module."""
    owners = set()
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            if any(n.split(".")[0] in ("pygls", "lsprotocol") for n in names):
                owners.add(name)
    assert owners == {"jixiao.engine.lsp.server"}
    importers = {n for n, imported in GRAPH.items() if "jixiao.engine.lsp.server" in imported}
    assert importers == {"jixiao.engine.cli"}
