"""Choice facts against the rules that branch on them: a `levels` label that is not a choice
(E315, never matched) and a choice that no `levels` row or `choose` branch covers (W315).

Run on the checked program, whose rules have their function calls expanded, so a template's
`levels` over a parameterised subject is checked where it is used.
"""

from __future__ import annotations

from jixiao.dsl import ast, record
from jixiao.dsl.diagnostics import Diagnostic

from ..common import messages as msg
from ..common.ir import Program


def check_choices(program: Program) -> list[Diagnostic]:
    choices = {n: f for n, f in program.facts.items() if f.choices is not None}
    if not choices:
        return []
    diags: list[Diagnostic] = []
    for ind in program.indicators:
        for node in _nodes(ind.rules):
            match node:
                case ast.Levels(ast.Name(name), levels) | ast.LevelRange(ast.Name(name), _, levels):
                    fact = choices.get(name)
                    if fact is None or fact.choices is None:
                        continue
                    for level in levels:
                        if level.label.strip() not in fact.choices:
                            diags.append(
                                msg.not_a_choice(name, level.label, fact.choices, level.span)
                            )
                    labels = {level.label.strip() for level in levels}
                    missing = [c for c in fact.choices if c not in labels]
                    if missing:
                        diags.append(
                            msg.choices_uncovered(name, missing, "`levels`", node.span, fact.span)
                        )
                case ast.Choose(branches):
                    if any(b.cond is None for b in branches):
                        continue
                    covered: dict[str, set[str]] = {}
                    for b in branches:
                        assert b.cond is not None
                        for name, value in _equalities(b.cond):
                            covered.setdefault(name, set()).add(value)
                    if len(covered) != 1:
                        continue  # branches on several facts, or on conditions: not a dispatch
                    [(name, values)] = covered.items()
                    fact = choices.get(name)
                    if fact is None or fact.choices is None:
                        continue
                    missing = [c for c in fact.choices if c not in values]
                    if missing:
                        diags.append(
                            msg.choices_uncovered(name, missing, "`choose`", node.span, fact.span)
                        )
                case _:
                    pass  # only `levels` and `choose` branch on a value
    return diags


def _equalities(cond: ast.Expr) -> list[tuple[str, str]]:
    """`类别 == "培训"`, joined by `or`: the (fact, value) pairs a branch takes."""
    match cond:
        case ast.Compare("==", ast.Name(name), ast.String(value)) | ast.Compare(
            "==", ast.String(value), ast.Name(name)
        ):
            return [(name, value.strip())]
        case ast.Logic("or", left, right):
            return _equalities(left) + _equalities(right)
        case _:
            return []


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
