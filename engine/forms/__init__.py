"""The rule forms: one module each, and the registry the stages call through.

Each module of this folder declares one `Form` (see `base`), found by name: the module of AST
class `FullWhen` is `full_when`, imported the first time a stage asks for that class (or every
module, for a class no module is named after, and for `FORMS`), so a warm `eval` imports only the
forms its pack uses. It declares how the form is checked, what it reads,
how it compiles, what is known of it before any evidence, what a pack test should reach, and
the ledger lines it writes with their words. The checker, the analyses, the compiler, coverage,
the strategies, `verify` and the explanations look a rule up here (`form_of`) and know no form
by name; `steps` declares the lines the engine's own steps write.

Where is a form …  checked, compiled, scored, explained?  In `engine/forms/<form>.py`:
`check`, `compile` (its closure is its scoring), `lines` (the words).
"""

from __future__ import annotations

from jixiao.dsl import ast

from ..common.result import Line, LineKind
from . import steps
from .base import Form, LineSpec

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from decimal import Decimal


def _module_of(node: type) -> str:
    """The module a form of AST class `node` is first looked for in: its name in snake case
    (`FullWhen` → `full_when`), the convention every form module follows for its main class."""
    name = node.__name__
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _load(name: str) -> bool:
    """Import the form module `name` of this folder and register its `FORM`; False when there is
    no such module. Forms are loaded when a stage first asks for one, so a warm `eval` imports
    the forms its pack uses, not all of them."""
    full = f"{__name__}.{name}"
    if full not in _IMPORTED:
        try:
            module = __import__(full, fromlist=["FORM"])
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise  # a module the form itself imports is missing: a broken installation
            return False
        _IMPORTED.add(full)
        form = getattr(module, "FORM", None)
        if form is not None:
            _register(form)
    return True


def _register(form: Form) -> None:
    for node in form.nodes:
        dict.__setitem__(BY_NODE, node, form)
    for spec in form.lines:
        dict.__setitem__(LINES, spec.kind, spec)


def _load_all() -> tuple[Form, ...]:
    """Every form of this folder, in the order of their module names: a new form is a new
    module, with nothing to list anywhere else."""
    import os

    global _ALL
    if _ALL is None:
        names = sorted(os.listdir(os.path.dirname(__file__)))
        for file in names:
            name, ext = os.path.splitext(file)
            if ext == ".py" and not name.startswith("_"):
                _load(name)
        _ALL = tuple(dict.fromkeys(BY_NODE.values()))
        _ALL = tuple(sorted(_ALL, key=lambda f: _module_of(f.nodes[0])))
    return _ALL


class _ByNode(dict[type, Form]):
    """The form of each AST class, its module loaded on first use (or every form's, for a
    class no module is named after)."""

    def __missing__(self, node: type) -> Form:
        if _ALL is None:  # (once every form is loaded, a class not here has none)
            if not _load(_module_of(node)) or not dict.__contains__(self, node):
                _load_all()
        form = dict.get(self, node)  # (not `dict.__getitem__`: it calls this method again)
        if form is None:
            raise KeyError(node)  # no form takes this class
        return form

    def __contains__(self, node: object) -> bool:
        return self.get(node) is not None  # type: ignore[arg-type]

    def get(self, node: type, default: Form | None = None) -> Form | None:  # type: ignore[override]
        """As `dict.get`, but loading the form first (`dict.get` never calls `__missing__`)."""
        try:
            return self[node]
        except (KeyError, TypeError):
            return default


class _Lines(dict[LineKind, "LineSpec"]):
    """Each line kind's spec; a kind whose form is not loaded yet (a result read in another
    process, say) loads every form."""

    def __missing__(self, kind: LineKind) -> LineSpec:
        _load_all()
        spec = dict.get(self, kind)  # (not `dict.__getitem__`: it calls this method again)
        if spec is None:
            raise KeyError(kind)
        return spec

    def get(self, kind: LineKind, default: LineSpec | None = None) -> LineSpec | None:  # type: ignore[override]
        try:
            return self[kind]
        except KeyError:
            return default

    def __contains__(self, kind: object) -> bool:
        return self.get(kind) is not None  # type: ignore[arg-type]


_IMPORTED: set[str] = set()
_ALL: tuple[Form, ...] | None = None

#: The form of each AST class a rule (or an award standing as one) may be.
BY_NODE: dict[type, Form] = _ByNode()

#: Each ledger line kind with its named arguments and words: the forms' and the engine's own.
LINES: dict[LineKind, LineSpec] = _Lines({spec.kind: spec for spec in steps.STEPS})


def __getattr__(name: str) -> object:
    """`FORMS`, every form, loads them all (the registry's own tests, the documentation)."""
    if name == "FORMS":
        return _load_all()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def named(line: Line) -> Line:
    """A line whose `args` are its kind's named record (`LineSpec.args`). The compiled
    closures append plain tuples (cheaper on the hot path); `Ledger.line` names them when the
    ledger is read, and this names those a stage built itself (the total's lines)."""
    record = LINES[line.kind].args
    args = line.args
    if type(args) is record:
        return line
    return line._replace(args=record._make(args))


def form_of(rule: ast.Rule | ast.ExtraRule | ast.Award) -> Form:
    """The form of a rule. INVARIANT: calls are expanded and not-applicable policies taken out
    of the rules by the checker before any stage asks (see `rule_exprs` for the one that may
    see them)."""
    return BY_NODE[type(rule)]


def rule_exprs(rule: ast.Clause | None) -> Iterator[ast.Expr]:
    """The expressions a rule (or award, or extra clause) evaluates, nested ones included."""
    match rule:
        case ast.CallRule(_, args):
            yield from args  # not yet expanded: its arguments are what it reads
        case ast.NaPolicy() | None:
            return  # a not-applicable policy evaluates nothing; no `else` clause, nothing
        case _:
            yield from BY_NODE[type(rule)].exprs(rule, rule_exprs)


def reads_of(rules: Iterable[ast.Rule | ast.ExtraRule]) -> tuple[str, ...]:
    """The distinct names a sequence of rules reads, in source order."""
    from ..common.walk import names_in

    return tuple(dict.fromkeys(n.name for r in rules for e in rule_exprs(r) for n in names_in(e)))


def all_rules(rules: Iterable[ast.Clause]) -> Iterator[ast.Clause]:
    """Each rule, then the rules it nests (`full when … else`, `choose` branches), depth first."""
    for rule in rules:
        yield rule
        if type(rule) in BY_NODE:
            yield from all_rules(BY_NODE[type(rule)].nested(rule))


def best_of(rule: ast.Base | ast.Award, weight: Decimal) -> Decimal | None:
    """The most a base rule (or an award) can give, when known before any evidence."""
    return BY_NODE[type(rule)].best(rule, weight, best_of)


__all__ = [
    "BY_NODE",
    "FORMS",
    "LINES",
    "Form",
    "LineSpec",
    "all_rules",
    "best_of",
    "form_of",
    "named",
    "rule_exprs",
]
