"""Conditions that can never hold, or always hold: interval reasoning over one fact.

A conjunction of comparisons of one fact with constants (`完成率 > 100% and 完成率 < 100%`,
`x >= 5 and x < 3`, `x == 1 and x == 2`) whose intervals do not meet never holds (W410); a
disjunction whose intervals cover every number (`x >= 5 or x < 5`) always holds (W411). A part
may itself join comparisons of one fact (`(x > 95 or x < 10) and x == 50`): it is the union or
intersection of their intervals, `!=` and `not (…)` their complement. Only those shapes are
reasoned about — a comparison with anything but a constant makes the analysis say nothing — so
a warning is never a guess. The intervals are over all numbers, never a fact's domain: a domain
is a promise of the evidence, not of the pack.

Every condition of the pack is visited once (`full when`, deductions, `zero when`, `warn when`,
vetoes, `choose`, checklist elements, `if` inside any expression, derived facts), each node
once: the work is linear in the pack's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.formatter import format_expr

from ..common import messages as msg
from ..common.ir import Program
from ..common.types import Kind
from ..forms import rule_exprs
from .intervals import Interval
from .intervals import _intersect as intersect

_FLIP = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==", "!=": "!="}


def conditions(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[int, int]] = set()  # a function's clause expanded in several leaves
    for expr in _all_exprs(program):
        stack: list[tuple[ast.Expr, str | None]] = [(expr, None)]
        while stack:
            node, parent = stack.pop()
            match node:
                case ast.Logic(op, left, right):
                    if op != parent:
                        found = _judge(node, op, program)
                        key = (node.span.start, node.span.end)
                        if found is not None and key not in seen:
                            seen.add(key)
                            out.append(found)
                    stack.append((left, op))
                    stack.append((right, op))
                case ast.Not(operand) | ast.Neg(operand):
                    stack.append((operand, None))
                case ast.Compare(_, left, right) | ast.Arith(_, left, right):
                    stack.append((left, None))
                    stack.append((right, None))
                case ast.Call(_, args):
                    stack.extend((a, None) for a in args)
                case ast.If(cond, then, otherwise):
                    stack.extend(((cond, None), (then, None), (otherwise, None)))
                case (
                    ast.Name()
                    | ast.Number()
                    | ast.Percent()
                    | ast.String()
                    | ast.Bool()
                    | ast.Date()
                    | ast.EmptyList()
                    | ast.Aggregate()
                    | ast.Field()
                ):
                    pass  # a leaf: no condition below it (a `where` is the record's own)
                case _:
                    ast.assert_never(node)
    return out


def _all_exprs(program: Program) -> Iterator[ast.Expr]:
    for derived in program.derived.values():
        yield derived.expr
    for ind in program.indicators:
        for rule in ind.rules:
            yield from rule_exprs(rule)
    for extra in program.extras:
        for clause in extra.rules:
            yield from rule_exprs(clause)
    for veto in program.vetoes:
        yield veto.cond


def _parts(node: ast.Expr, op: str) -> list[ast.Expr]:
    out, stack = [], [node]
    while stack:
        x = stack.pop()
        if isinstance(x, ast.Logic) and x.op == op:
            stack.append(x.right)
            stack.append(x.left)
        else:
            out.append(x)
    return out


def _judge(node: ast.Logic, op: str, program: Program) -> Diagnostic | None:
    sets = [_set(p, program) for p in _parts(node, op)]
    by_name: dict[str, list[list[Interval]]] = {}
    for found in sets:
        if found is not None:
            by_name.setdefault(found[0], []).append(found[1])
    text = format_expr(node)
    if op == "and":
        # never: one fact whose sets have an empty intersection (other parts don't matter)
        for name, unions in by_name.items():
            if len(unions) < 2:
                continue
            meet: list[Interval] | None = unions[0]
            for union in unions[1:]:
                meet = _meet(meet, union) if meet is not None else None
            if meet is not None and not meet:
                kind = _kind(name, program)
                shown = " and ".join(_text(u, kind) for u in unions)
                why = f"`{name}` would have to lie in {shown}, which do not meet"
                if _is_bool_fact(name, program):
                    why = f"`{name}` would have to be true and false at once"
                return msg.condition_never(text, why, node.span)
        return None
    # always: one fact whose sets cover every number (a bool fact: both values)
    for name, unions in by_name.items():
        intervals = [i for u in unions for i in u]
        both = _is_bool_fact(name, program) and _TRUE in intervals and _FALSE in intervals
        if len(unions) >= 2 and (both or _covers_all(intervals)):
            kind = _kind(name, program)
            shown = " or ".join(_text(u, kind) for u in unions)
            why = f"every value of `{name}` lies in {shown}"
            if both:
                why = f"`{name}` is either true or false"
            return msg.condition_always(text, why, node.span)
    return None


#: a union of intervals bigger than this is not reasoned about (the analysis stays linear)
_MAX_PIECES = 32


def _set(expr: ast.Expr, program: Program) -> tuple[str, list[Interval]] | None:
    """The values of one fact a condition allows, as a union of intervals: a comparison, or
    comparisons of that one fact joined by `and`/`or` (`(率 > 95% or 率 < 10%) and 率 == 50%`);
    None when it reads anything else."""
    if isinstance(expr, ast.Logic):
        parts = [_set(p, program) for p in _parts(expr, expr.op)]
        if any(p is None for p in parts) or len({p[0] for p in parts if p is not None}) != 1:
            return None
        name = parts[0][0] if parts[0] is not None else ""
        unions = [p[1] for p in parts if p is not None]
        if expr.op == "or":
            joined = [i for u in unions for i in u]
            return (name, joined) if len(joined) <= _MAX_PIECES else None
        meet: list[Interval] | None = unions[0]
        for union in unions[1:]:
            meet = _meet(meet, union) if meet is not None else None
        return (name, meet) if meet is not None else None
    if isinstance(expr, ast.Not) and not (
        isinstance(expr.operand, ast.Name) and _is_bool_fact(expr.operand.name, program)
    ):
        # `not (…)`: the complement of what it negates (`not (x == 1)` is x < 1 or x > 1)
        inner = _set(expr.operand, program)
        if inner is None:
            return None
        rest = _complement(inner[1])
        return (inner[0], rest) if rest is not None else None
    if isinstance(expr, ast.Compare) and expr.op == "!=":
        equal = _atom(ast.Compare("==", expr.left, expr.right, expr.span), program)
        if equal is None:
            return None
        rest = _complement([equal[1]])
        return (equal[0], rest) if rest is not None else None
    atom = _atom(expr, program)
    return (atom[0], [atom[1]]) if atom is not None else None


_EVERYTHING = Interval(None, False, None, False)


def _complement(union: list[Interval]) -> list[Interval] | None:
    """Every number outside the union: the intersection of each interval's complement."""
    out: list[Interval] | None = [_EVERYTHING]
    for i in union:
        outside = []
        if i.lo is not None:
            outside.append(Interval(None, False, i.lo, not i.lo_closed))
        if i.hi is not None:
            outside.append(Interval(i.hi, not i.hi_closed, None, False))
        out = _meet(out, outside) if out is not None else None
    return out


def _meet(a: list[Interval], b: list[Interval]) -> list[Interval] | None:
    """The intersection of two unions (None when it grows past `_MAX_PIECES`)."""
    out = [m for x in a for y in b if not (m := intersect(x, y)).empty()]
    return out if len(out) <= _MAX_PIECES else None


def _text(union: list[Interval], kind: Kind) -> str:
    if not union:
        return "∅"
    return " ∪ ".join(i.text(kind) for i in union)


def _kind(name: str, program: Program) -> Kind:
    if name in program.facts:
        return program.facts[name].kind
    if name in program.derived:
        return program.derived[name].kind
    return Kind.NUMBER


_NOT = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
_TRUE, _FALSE = (
    Interval(Decimal(1), True, Decimal(1), True),
    Interval(Decimal(0), True, Decimal(0), True),
)


def _atom(expr: ast.Expr, program: Program) -> tuple[str, Interval] | None:
    """`fact op constant` (either way round) as the interval of the fact it allows; a bool
    fact `甲` as 1 and `not 甲` as 0; `not (fact op constant)` as its complement."""
    if isinstance(expr, ast.Name) and _is_bool_fact(expr.name, program):
        return expr.name, _TRUE
    if isinstance(expr, ast.Not):
        inner = expr.operand
        if isinstance(inner, ast.Name) and _is_bool_fact(inner.name, program):
            return inner.name, _FALSE
        if isinstance(inner, ast.Compare) and inner.op in _NOT:
            flipped = ast.Compare(_NOT[inner.op], inner.left, inner.right, inner.span)
            return _atom(flipped, program)
        return None
    if not isinstance(expr, ast.Compare):
        return None
    op, left, right = expr.op, expr.left, expr.right
    if isinstance(right, ast.Name) and not isinstance(left, ast.Name):
        op, left, right = _FLIP[op], right, left
    if not isinstance(left, ast.Name):
        return None
    if left.name not in program.facts and left.name not in program.derived:
        return None
    fact = program.facts.get(left.name)
    if fact is not None and fact.is_param:
        return None  # evidence may override a parameter: compare it as a constant, not a fact
    value = _constant(right)
    if value is None:
        return None
    match op:
        case ">=":
            return left.name, Interval(value, True, None, False)
        case ">":
            return left.name, Interval(value, False, None, False)
        case "<=":
            return left.name, Interval(None, False, value, True)
        case "<":
            return left.name, Interval(None, False, value, False)
        case "==":
            return left.name, Interval(value, True, value, True)
    return None  # `!=`: not an interval


def _is_bool_fact(name: str, program: Program) -> bool:
    fact = program.facts.get(name)
    if fact is not None:
        return fact.kind is Kind.BOOL and not fact.is_param
    derived = program.derived.get(name)
    return derived is not None and derived.kind is Kind.BOOL


def _constant(expr: ast.Expr) -> Decimal | None:
    match expr:
        case ast.Number(value) | ast.Percent(value):
            return value
        case ast.Neg(ast.Number(value) | ast.Percent(value)):
            return -value
        case _:
            return None  # anything else is not a literal number


def _covers_all(intervals: list[Interval]) -> bool:
    """Whether the union of the intervals is every number: sweep from -∞ upwards."""
    pieces: list[Any] = sorted(
        intervals,
        key=lambda i: (i.lo is not None, i.lo if i.lo is not None else 0, not i.lo_closed),
    )
    if not pieces or pieces[0].lo is not None:
        return False
    hi, hi_closed = pieces[0].hi, pieces[0].hi_closed
    for piece in pieces[1:]:
        if hi is None:
            return True
        if piece.lo is not None and (
            piece.lo > hi or (piece.lo == hi and not (hi_closed or piece.lo_closed))
        ):
            return False
        if piece.hi is None or piece.hi > hi or (piece.hi == hi and piece.hi_closed):
            hi, hi_closed = piece.hi, piece.hi_closed if piece.hi is not None else False
    return hi is None
