"""An indicator's own value of a pack parameter: `param 达成线 = 95%` inside an indicator.

A template's shared rule reads a pack parameter (`function 执行率计分(率: percent) { full when
率 >= 达成线 … }`); one indicator needs a stricter threshold while the rest keep the pack's. The
indicator's own value is declared as a parameter of its own (`达成线@B1`, see `common.own`)
with the value as its default, and the indicator's clauses, once its calls are expanded, read
that name instead — so the planner, the evaluator and the static analyses see a parameter like
any other, and the ledger shows the value with where it came from (`B1 的取值`).

Scope: the indicator's clauses, every function they call, and its children (a child's own
value wins over its parent's). Derived facts (`let`) are computed once for the pack and keep
the pack's value (W781 says so when that is the only way an indicator reads the parameter).
Evidence `params:` naming `达成线` changes the pack's value, never an indicator's own; it may
address the indicator's own as `达成线@B1`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol, TypeVar

from jixiao.dsl import ast, record
from jixiao.dsl.diagnostics import Diagnostic

from ..common import messages as msg
from ..common.ir import Derived, Fact, Indicator
from ..common.own import own_name
from ..common.types import NUMERIC, Kind
from ..common.walk import map_names
from .units import Unit, UnitPass, domain_problem


class _Host(Protocol):
    diags: list[Diagnostic]
    facts: dict[str, Fact]
    kinds: dict[str, Kind]
    fact_units: dict[str, Unit | None]
    param_defaults: dict[str, Decimal]
    units: UnitPass
    let_nodes: dict[str, ast.LetDecl]


def declare_overrides(
    node: ast.Indicator,
    inherited: Mapping[str, str],
    host: _Host,
    default_value: Callable[[ast.Literal, Kind], object],
) -> tuple[dict[str, str], list[tuple[ast.ParamOverride, str]]]:
    """The names the indicator's clauses read for each overridden parameter (its parent's, with
    its own on top), and its own overrides with the name each is declared as."""
    code = node.code.text
    scope = dict(inherited)
    own: list[tuple[ast.ParamOverride, str]] = []
    seen: dict[str, ast.ParamOverride] = {}
    params = [n for n, f in host.facts.items() if f.is_param and "@" not in n]
    for over in node.overrides:
        name = over.name.text
        param = host.facts.get(name)
        if param is None and name in host.kinds:
            continue  # a parameter whose own declaration is in error (reported there)
        if param is None or not param.is_param or "@" in name:
            what = None
            if param is not None:
                what = "a fact the evidence gives"
            elif name in host.let_nodes:
                what = "a derived fact"
            host.diags.append(msg.override_unknown(name, code, over.name.span, params, what))
            continue
        if name in seen:
            host.diags.append(msg.override_twice(name, code, over.span, seen[name].span))
            continue
        seen[name] = over
        kind = param.kind
        if over.type is not None and over.type.text != _kind_word(param):
            host.diags.append(
                msg.override_kind_differs(
                    name, code, over.type.text, _kind_word(param), over.type.span
                )
            )
            continue
        before = len(host.diags)
        value = _value(over, param, host, default_value)
        if len(host.diags) > before:
            continue  # (the unit pass said what is wrong with the value)
        if value is None:
            host.diags.append(msg.override_wrong_kind(name, code, kind, over.value.span))
            continue
        problem = domain_problem(param, value)
        if problem is not None:
            shown, bounds, _ = problem
            host.diags.append(
                msg.override_out_of_domain(name, code, shown, bounds, over.value.span, param.span)
            )
            continue
        synthetic = own_name(name, code)
        host.facts[synthetic] = record.replace(param, name=synthetic, default=value, span=over.span)
        host.kinds[synthetic] = kind
        host.fact_units[synthetic] = host.fact_units.get(name)
        written = over.value
        if kind is Kind.NUMBER and isinstance(written, ast.Number) and written.unit is None:
            host.units.param_literals[synthetic] = written  # (a bare number is told here)
        if isinstance(value, Decimal):
            host.param_defaults[synthetic] = value
        scope[name] = synthetic
        own.append((over, synthetic))
    return scope, own


def _kind_word(param: Fact) -> str:
    return param.kind.value


def _value(
    over: ast.ParamOverride,
    param: Fact,
    host: _Host,
    default_value: Callable[[ast.Literal, Kind], object],
) -> object:
    """The runtime value of an override, in the parameter's unit; None when it is not of the
    parameter's kind."""
    kind = param.kind
    unit = host.fact_units.get(param.name) if kind in NUMERIC else None
    node = host.units.constant(over.value, kind, unit, ast.Name(param.name, over.name.span))
    return default_value(node, kind)


N = TypeVar("N")


def rename(node: N, scope: Mapping[str, str]) -> N:
    """A copy of `node` with every name in `scope` read as the indicator's own parameter,
    each in its place (spans kept)."""

    def own(name: ast.Name) -> ast.Expr:
        new = scope.get(name.name)
        return name if new is None else ast.Name(new, name.span, name.kind)

    return map_names(node, own)


def warn_unread(
    declared: Sequence[tuple[str, ast.ParamOverride, str]],
    indicators: Sequence[Indicator],
    derived: Mapping[str, Derived],
) -> list[Diagnostic]:
    """W780 for an indicator's own value nothing in its subtree reads; W781 when the subtree
    reads the parameter only through a derived fact (which keeps the pack's value)."""
    out: list[Diagnostic] = []
    by_code = {i.code: i for i in indicators}

    def subtree(code: str) -> list[Indicator]:
        found, stack = [], [code]
        while stack:
            ind = by_code.get(stack.pop())
            if ind is not None:
                found.append(ind)
                stack.extend(ind.children)
        return found

    for code, over, synthetic in declared:
        inds = subtree(code)
        if any(synthetic in i.reads for i in inds):
            continue
        via = _through_derived(over.name.text, [n for i in inds for n in i.reads], derived)
        if via is not None:
            out.append(msg.override_through_derived(over.name.text, code, via, over.span))
        else:
            out.append(msg.override_unread(over.name.text, code, over.span))
    return out


def _through_derived(
    param: str, reads: Sequence[str], derived: Mapping[str, Derived]
) -> str | None:
    """The first derived fact among `reads` that reads `param`, directly or through others."""
    for start in dict.fromkeys(reads):
        if start not in derived:
            continue
        seen, stack = {start}, [start]
        while stack:
            for name in derived[stack.pop()].reads:
                if name == param:
                    return start
                if name in derived and name not in seen:
                    seen.add(name)
                    stack.append(name)
    return None
