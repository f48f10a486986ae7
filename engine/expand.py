"""Calls of pack functions, expanded in place.

A function is a named list of clauses with typed parameters (`function 正向(目标: number,
实际: number) { forward 实际 target 目标 }`). A call is checked for arity and argument kinds,
then replaced by the function's clauses with each parameter substituted by its argument, so
the checker, the planner and the ledger see ordinary rules. Recursion is refused (E502): the
expansion is finite, and evaluation always terminates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic

from . import messages as msg
from .types import KIND_NAMES, Kind, accepts
from .walk import substitute


class _Host(Protocol):
    diags: list[Diagnostic]

    def infer(self, expr: ast.Expr) -> Kind | None: ...


def expand_calls(
    rules: Sequence[ast.Rule],
    functions: dict[str, ast.Function],
    host: _Host,
    stack: tuple[str, ...] = (),
) -> tuple[ast.Rule, ...]:
    out: list[ast.Rule] = []
    for rule in rules:
        if not isinstance(rule, ast.CallRule):
            out.append(rule)
            continue
        fn = functions.get(rule.name)
        if fn is None:
            host.diags.append(msg.unknown_rule_function(rule.name, rule.name_span, functions))
            continue
        if rule.name in stack:
            host.diags.append(msg.recursive_function([*stack, rule.name], rule.name_span))
            continue
        if len(rule.args) != len(fn.params):
            host.diags.append(
                msg.function_arity(rule.name, len(fn.params), len(rule.args), rule.span, fn.span)
            )
            continue
        ok = True
        for param, arg in zip(fn.params, rule.args, strict=True):
            want = KIND_NAMES.get(param.type.text)
            got = host.infer(arg)
            if want is not None and got is not None and not accepts(want, got):
                host.diags.append(
                    msg.argument_kind(rule.name, param.name.text, want, got, arg.span, param.span)
                )
                ok = False
        if not ok:
            continue
        mapping = {p.name.text: a for p, a in zip(fn.params, rule.args, strict=True)}
        body = tuple(substitute(r, mapping) for r in fn.rules)
        out.extend(expand_calls(body, functions, host, (*stack, rule.name)))
    return tuple(out)
