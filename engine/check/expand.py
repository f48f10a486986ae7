"""Calls of pack functions, expanded in place — within limits.

A function is a named list of clauses with typed parameters (`function 正向(目标: number,
实际: number) { forward 实际 target 目标 }`). A call is checked for arity and argument kinds,
then replaced by the function's clauses with each parameter substituted by its argument, so
the checker, the planner and the ledger see ordinary rules. Recursion is refused (E502): the
expansion is finite, and evaluation always terminates.

Finite is not small: a 1 KB pack whose functions each call the one before twice expands to
2^n clauses, and every later stage walks the expansion recursively. So the expansion is bounded
before it is made or walked: chains of calls by the call depth limit (E111), what an indicator's
calls expand to by the expansion limit (E112), the nesting of an expanded expression by the
nesting limit (E113). Chains of derived facts, which the checker and the analyses follow
recursively, are bounded here too (`bound_chains`, E114), before the checker runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from jixiao.dsl import ast, record
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Span

from ..common import messages as msg
from ..common.types import KIND_NAMES, accepts
from ..common.walk import Measure, chain_from, longest_chains, name_depths, substitute

#: Functions calling functions: at most this many in one chain (E111).
MAX_CALL_DEPTH = 32
#: Clauses and expression nodes the function calls of a whole pack may expand to (E112).
MAX_EXPANSION = 50_000
#: Levels of nesting an expression may have once calls are expanded (E113), as the parser's E109.
MAX_NESTING = 200
#: Levels of nesting of a derived fact with the derived facts it reads written out (E114).
MAX_DERIVED_DEPTH = 200


class _Host(Protocol):
    diags: list[Diagnostic]

    def typed(self, expr: ast.Expr) -> ast.Expr: ...


class _Budget:
    """What calls have expanded to so far (one indicator's in the checker, the whole pack's in
    `bound_chains`), and the indicator's call being expanded."""

    def __init__(self) -> None:
        self.site: Span | None = None
        self.nodes = 0
        self.over = False
        self.measure = Measure()


def expand_calls(
    rules: Sequence[ast.Rule],
    functions: dict[str, ast.Function],
    host: _Host,
    stack: tuple[str, ...] = (),
    budget: _Budget | None = None,
) -> tuple[ast.Rule, ...]:
    if budget is None:
        budget = _Budget()
    out: list[ast.Rule] = []
    for rule in rules:
        if budget.over:
            break
        if not isinstance(rule, ast.CallRule):
            if stack and not _within(rule, stack, budget, host):
                break
            out.append(rule)
            continue
        if not stack:
            budget.site = rule.span
        fn = functions.get(rule.name)
        if fn is None:
            host.diags.append(msg.unknown_rule_function(rule.name, rule.name_span, functions))
            continue
        if rule.name in stack:
            host.diags.append(msg.recursive_function([*stack, rule.name], rule.name_span))
            continue
        if len(stack) >= MAX_CALL_DEPTH:  # `bound_chains` reports it first, from the pack
            host.diags.append(
                msg.call_chain_too_deep([*stack, rule.name], MAX_CALL_DEPTH, rule.name_span)
            )
            budget.over = True
            break
        if len(rule.args) != len(fn.params):
            host.diags.append(
                msg.function_arity(rule.name, len(fn.params), len(rule.args), rule.span, fn.span)
            )
            continue
        # an argument may already be an expansion of the calls around it: measure it before the
        # checker walks it
        if not all(_within(a, (*stack, rule.name), budget, host, 0) for a in rule.args):
            break
        ok = True
        for param, arg in zip(fn.params, rule.args, strict=True):
            want = KIND_NAMES.get(param.type.text)
            got = host.typed(arg).kind  # (the expanded rules are typed again, with the rest)
            if want is not None and got is not None and not accepts(want, got):
                host.diags.append(
                    msg.argument_kind(rule.name, param.name.text, want, got, arg.span, param.span)
                )
                ok = False
        if not ok:
            continue
        mapping = {p.name.text: a for p, a in zip(fn.params, rule.args, strict=True)}
        body = tuple(substitute(r, mapping) for r in fn.rules)
        out.extend(expand_calls(body, functions, host, (*stack, rule.name), budget))
    return tuple(out)


def _within(
    node: ast.Rule | ast.Expr, chain: tuple[str, ...], budget: _Budget, host: _Host, weight: int = 1
) -> bool:
    """Count an expanded clause (weight 1) or measure an argument (weight 0) against the
    limits; on the first one passed, report it at the indicator's call and stop expanding."""
    size, depth = budget.measure(node)
    budget.nodes += size * weight
    span = budget.site or node.span
    if budget.nodes > MAX_EXPANSION or size > MAX_EXPANSION:
        host.diags.append(msg.expansion_too_large(chain, MAX_EXPANSION, span))
    elif depth > MAX_NESTING:
        host.diags.append(msg.expanded_too_deep(chain, MAX_NESTING, span))
    else:
        return True
    budget.over = True
    return False


class _Dry:
    """A host for expanding without checking: kinds are the checker's business."""

    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []

    def typed(self, expr: ast.Expr) -> ast.Expr:
        return expr  # (kind None: no argument is refused)


def bound_chains(pack: ast.Pack) -> list[Diagnostic]:
    """Chains of function calls longer than the call depth limit, derived facts nested deeper
    than the derived depth limit, and calls that expand past the expansion or nesting limit,
    found on the pack as written — before the checker (which follows chains recursively, and
    expands each indicator's calls) runs. The expansion is made here once for the whole pack,
    under one budget, and stops at the limit: so the checker's own expansion is known small."""
    diags: list[Diagnostic] = []
    functions = {fn.name.text: fn for fn in pack.functions}
    calls = {name: [(c, 1) for c in _calls_in(fn.rules)] for name, fn in functions.items()}
    best = longest_chains(dict.fromkeys(functions, 1), calls)
    deepest = max(functions, key=lambda n: best[n][0], default=None)
    if deepest is not None and best[deepest][0] > MAX_CALL_DEPTH:
        chain = chain_from(best, deepest)
        diags.append(msg.call_chain_too_deep(chain, MAX_CALL_DEPTH, functions[deepest].name.span))
    lets = {decl.name.text: decl for decl in pack.lets}
    own: dict[str, int] = {}
    reads: dict[str, list[tuple[str, int]]] = {}
    for name, decl in lets.items():
        # a derived fact read at depth d adds its own depth below d, plus one level for the read
        own[name], names = name_depths(decl.expr)
        reads[name] = [(n, d) for n, d in names if n in lets]
    best = longest_chains(own, reads)
    deepest = max(lets, key=lambda n: best[n][0], default=None)
    if deepest is not None and best[deepest][0] > MAX_DERIVED_DEPTH:
        chain = chain_from(best, deepest)
        diags.append(msg.derived_too_deep(chain, MAX_DERIVED_DEPTH, lets[deepest].name.span))
    if diags or not functions:
        return diags
    dry, budget = _Dry(), _Budget()
    indicators = list(reversed(pack.indicators))  # a stack, popped in source order
    while indicators and not budget.over:
        indicator = indicators.pop()
        indicators.extend(reversed(indicator.children))
        expand_calls(indicator.rules, functions, dry, budget=budget)
    return [d for d in dry.diags if d.code in ("E111", "E112", "E113")]


def _calls_in(rules: Sequence[ast.Rule]) -> list[str]:
    """The functions a list of clauses calls, nested clauses (`choose`) included."""
    found: list[str] = []
    stack: list[object] = list(rules)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.CallRule):
            found.append(node.name)
        elif isinstance(node, tuple):
            stack.extend(node)
        elif isinstance(node, record.Record) and not isinstance(node, ast.Expr | Span):
            stack.extend(getattr(node, n) for n in record.fields(node))
    return list(dict.fromkeys(found))
