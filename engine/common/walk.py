"""Walking the AST: the names an expression reads, the expressions of awards and intervals, and
substitution of a function's parameters by a call's arguments. (What each rule form reads is
its own: `engine.forms.rule_exprs`.)

Shared by the checker, the compiler and the expansion of function calls, so each of them sees
the same children of every node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from jixiao.dsl import ast, record
from jixiao.dsl.source import Span

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from decimal import Decimal
    from typing import TypeVar

    N = TypeVar("N")


def names_in(expr: ast.Expr) -> Iterator[ast.Name]:
    """Every name an expression reads, in source order (duplicates included)."""
    match expr:
        case ast.Name():
            yield expr
        case ast.Neg(operand) | ast.Not(operand):
            yield from names_in(operand)
        case ast.Arith(_, left, right) | ast.Compare(_, left, right) | ast.Logic(_, left, right):
            yield from names_in(left)
            yield from names_in(right)
        case ast.Call(_, args):
            for arg in args:
                yield from names_in(arg)
        case ast.If(cond, then, otherwise):
            yield from names_in(cond)
            yield from names_in(then)
            yield from names_in(otherwise)
        case ast.Aggregate(_, records, _, _, where):
            # the record list, and the facts its condition reads (a field of the record is an
            # `ast.Field` in a checked tree, no name)
            yield records
            if where is not None:
                yield from names_in(where)
        case (
            ast.Number()
            | ast.Percent()
            | ast.String()
            | ast.Bool()
            | ast.Date()
            | ast.EmptyList()
            | ast.Field()
        ):
            return
        case _:
            ast.assert_never(expr)


def award_exprs(award: ast.Award | None) -> Iterator[ast.Expr]:
    match award:
        case ast.AwardExpr(expr):
            yield expr
        case ast.Full() | ast.Points() | ast.Share() | None:
            return
        case _:
            ast.assert_never(award)


def interval_exprs(interval: ast.Interval) -> Iterator[ast.Expr]:
    yield interval.lower.value
    yield interval.upper.value


def substitute(node: N, mapping: Mapping[str, ast.Expr]) -> N:
    """A copy of `node` with every `Name` in `mapping` replaced by its expression."""
    return map_names(node, lambda name: mapping.get(name.name, name))


def map_names(node: N, change: Callable[[ast.Name], ast.Expr]) -> N:
    """A copy of `node` with every `Name` replaced by what `change` makes of it; the parts
    `change` leaves as they are (the same object) are shared, not copied, and spans are kept."""
    if isinstance(node, ast.Name):
        return change(node)  # type: ignore[return-value]
    if isinstance(node, tuple):
        out = tuple(map_names(x, change) for x in node)
        same = all(a is b for a, b in zip(out, node, strict=True))
        return node if same else out  # type: ignore[return-value]
    if isinstance(node, record.Record):
        changes = {}
        for name in record.fields(node):
            if name in ("span", "name_span", "func_span"):
                continue
            value = getattr(node, name)
            new = map_names(value, change)
            if new is not value:
                changes[name] = new
        return record.replace(node, **changes) if changes else node
    return node


# ----- sizes and depths, without recursion ----------------------------------------------------
# Expanded function calls share their arguments (a parameter used twice is one node in two
# places), so a tree can be exponentially larger than the objects it is made of: these measure
# the tree as the later stages will walk it, in time linear in the objects, with no recursion.


def _children(node: object) -> list[object]:
    """The nodes below a node: records and tuples of them, never its spans (nor their source)."""
    if isinstance(node, tuple):
        return [x for x in node if isinstance(x, record.Record | tuple) and not isinstance(x, Span)]
    if isinstance(node, record.Record):
        kids: list[object] = []
        for name in record.fields(node):
            value = getattr(node, name)
            if isinstance(value, record.Record | tuple) and not isinstance(value, Span):
                kids.append(value)
        return kids
    return []


class Measure:
    """The tree size (nodes, as walked: a shared node counts once per place) and the depth
    (records from the root to the deepest leaf) of nodes, remembered across calls."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[object, int, int]] = {}  # id → (node kept alive, size, depth)

    def __call__(self, node: object) -> tuple[int, int]:
        seen = self._seen
        stack: list[tuple[object, bool]] = [(node, False)]
        while stack:
            x, ready = stack.pop()
            if id(x) in seen:
                continue
            kids = _children(x)
            if not ready:
                stack.append((x, True))
                stack.extend((k, False) for k in kids if id(k) not in seen)
                continue
            size = 1 + sum(seen[id(k)][1] for k in kids)
            depth = max((seen[id(k)][2] for k in kids), default=0)
            seen[id(x)] = (x, size, depth + (1 if isinstance(x, record.Record) else 0))
        _, size, depth = seen[id(node)]
        return size, depth


def name_depths(expr: ast.Expr) -> tuple[int, list[tuple[str, int]]]:
    """An expression's depth, and every name it reads with the depth it is read at (the root
    is at depth 1), without recursion."""
    deepest, names = 0, []
    stack: list[tuple[object, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, record.Record):
            deepest = max(deepest, depth)
            if isinstance(node, ast.Name):
                names.append((node.name, depth))
            stack.extend((k, depth + 1) for k in _children(node))
        elif isinstance(node, tuple):
            stack.extend((k, depth) for k in _children(node))
    return deepest, names


def longest_chains(
    own: Mapping[str, int], edges: Mapping[str, list[tuple[str, int]]]
) -> dict[str, tuple[int, str | None]]:
    """For a graph of names (functions calling functions, derived facts reading derived facts):
    the weight of the heaviest chain from each name — its own weight, or an edge's weight plus
    the chain from where it leads, whichever is more — and the next name on that chain.
    Iterative depth-first search; an edge back into the current chain (a cycle, reported by
    other checks) is not followed."""
    best: dict[str, tuple[int, str | None]] = {}
    for root in own:
        if root in best:
            continue
        path = [root]
        on_path = {root}
        todo: list[Iterator[tuple[str, int]]] = [iter(edges.get(root, []))]
        while todo:
            for target, _ in todo[-1]:
                if target in own and target not in best and target not in on_path:
                    path.append(target)
                    on_path.add(target)
                    todo.append(iter(edges.get(target, [])))
                    break
            else:
                todo.pop()
                name = path.pop()
                on_path.discard(name)
                weight, nxt = own[name], None
                for target, step in edges.get(name, []):
                    if target in best and step + best[target][0] > weight:
                        weight, nxt = step + best[target][0], target
                best[name] = (weight, nxt)
    return best


def chain_from(best: Mapping[str, tuple[int, str | None]], start: str) -> list[str]:
    """The names along the heaviest chain from `start`."""
    chain, seen = [start], {start}
    nxt = best[start][1]
    while nxt is not None and nxt not in seen:
        chain.append(nxt)
        seen.add(nxt)
        nxt = best[nxt][1]
    return chain


def constant_amount(expr: ast.Expr, weight: Decimal) -> Decimal | None:
    """An amount written as a constant, in points: a number as it is, a percent as that share
    of `weight`; None for anything the evidence decides. Caps and judgement ranges use it."""
    match expr:
        case ast.Number(value):
            return value
        case ast.Percent(value):
            return value * weight
        case _:
            return None  # not a constant


def constant_points(award: ast.Award, weight: Decimal) -> Decimal | None:
    """The points of an award that never depends on the evidence (most of them), or None: the
    checker and the analyses reason with it, and rules use the number instead of calling a
    closure for it on every record."""
    match award:
        case ast.Full():
            return weight
        case ast.Points(value):
            return value
        case ast.Share(value):
            return weight * value
        case ast.AwardExpr():
            return None
        case _:
            ast.assert_never(award)
