"""Choice facts against the rules that branch on them: a `levels` label that is not a choice
(E315, never matched) and a choice that no `levels` row or `choose` branch covers (W315).

Which values a rule branches on is its form's `branches` hook (see `engine.forms`). Run on the
checked program, whose rules have their function calls expanded, so a template's `levels` over
a parameterised subject is checked where it is used.
"""

from __future__ import annotations

from jixiao.dsl import ast, record
from jixiao.dsl.diagnostics import Diagnostic

from ..common import messages as msg
from ..common.ir import Program
from ..forms import BY_NODE


def check_choices(program: Program) -> list[Diagnostic]:
    choices = {n: f for n, f in program.facts.items() if f.choices is not None}
    if not choices:
        return []
    diags: list[Diagnostic] = []
    for ind in program.indicators:
        for node in _nodes(ind.rules):
            form = BY_NODE.get(type(node))
            if form is None:
                continue  # not a rule: a band, a level, an expression
            for branch in form.branches(node):
                fact = choices.get(branch.fact)
                if fact is None or fact.choices is None:
                    continue
                for value, span in branch.values:
                    if span is not None and value.strip() not in fact.choices:
                        diags.append(msg.not_a_choice(branch.fact, value, fact.choices, span))
                if branch.otherwise:
                    continue
                taken = {value.strip() for value, _ in branch.values}
                missing = [c for c in fact.choices if c not in taken]
                if missing:
                    diags.append(
                        msg.choices_uncovered(
                            branch.fact, missing, branch.what, branch.span, fact.span
                        )
                    )
    return diags


def _nodes(rules: tuple[ast.Rule, ...]) -> list[object]:
    """Every syntax node inside the rules, nested branches included."""
    out: list[object] = []
    stack: list[object] = list(rules)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, tuple):
            stack.extend(node)
        elif isinstance(node, record.Record):
            stack.extend(getattr(node, f) for f in record.fields(node))
    return out
