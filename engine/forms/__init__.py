"""The rule forms: one module each, and the registry the stages call through.

Each module of this folder declares one `Form` (see `base`), found by name when the package is
imported (`_discover`): how the form is checked, what it reads,
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


def _discover() -> tuple[Form, ...]:
    """The `FORM` of every module in this folder, in the order of their names: a new form is a
    new module, with nothing to list anywhere else."""
    import os

    forms = []
    for file in sorted(os.listdir(os.path.dirname(__file__))):
        name, ext = os.path.splitext(file)
        if ext == ".py" and not name.startswith("_"):
            module = __import__(f"{__name__}.{name}", fromlist=["FORM"])
            form = getattr(module, "FORM", None)
            if form is not None:
                forms.append(form)
    return tuple(forms)


FORMS: tuple[Form, ...] = _discover()

#: The form of each AST class a rule (or an award standing as one) may be.
BY_NODE: dict[type, Form] = {node: form for form in FORMS for node in form.nodes}

#: Each ledger line kind with its named arguments and words: the forms' and the engine's own.
LINES: dict[LineKind, LineSpec] = {
    spec.kind: spec for specs in (*(f.lines for f in FORMS), steps.STEPS) for spec in specs
}


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
