"""Walking the AST: the names an expression reads, the expressions a rule evaluates, and
substitution of a function's parameters by a call's arguments.

Shared by the checker, the compiler and the expansion of function calls, so each of them sees
the same children of every node.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from jixiao.dsl import ast, record

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, TypeVar

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
        case _:
            return


def award_exprs(award: ast.Award | None) -> Iterator[ast.Expr]:
    if isinstance(award, ast.AwardExpr):
        yield award.expr


def interval_exprs(interval: ast.Interval) -> Iterator[ast.Expr]:
    yield interval.lower.value
    yield interval.upper.value


def rule_exprs(rule: Any) -> Iterator[ast.Expr]:
    """The expressions a rule (or award, or extra clause) evaluates, nested ones included."""
    match rule:
        case ast.FullWhen(cond, otherwise):
            yield cond
            yield from rule_exprs(otherwise)
        case ast.Proportional(rate):
            yield rate
        case ast.Reverse(actual, target) | ast.Forward(actual, target) | ast.Equal(actual, target):
            yield actual
            yield target
        case ast.Tiers(subject, bands):
            yield subject
            for band in bands:
                for bound in (band.lower, band.upper):
                    if bound is not None:
                        yield bound.value
                yield from award_exprs(band.award)
        case ast.Levels(subject, levels):
            yield subject
            for level in levels:
                yield from award_exprs(level.award)
        case ast.LevelRange(subject, score, levels):
            yield subject
            yield score
            for ranged in levels:
                yield from interval_exprs(ranged.interval)
        case ast.Checklist(base, items):
            yield from award_exprs(base)
            for item in items:
                yield from award_exprs(item.award)
                yield item.cond
        case ast.Choose(choices):
            for choice in choices:
                if choice.cond is not None:
                    yield choice.cond
                yield from rule_exprs(choice.then)
        case ast.DeductPer(amount, subject, _, cap):
            yield from award_exprs(amount)
            yield subject
            if cap is not None:
                yield cap
        case ast.AddPer(amount, subject):
            yield from award_exprs(amount)
            yield subject
        case ast.DeductBy(subject, _, rows, cap):
            yield subject
            for row in rows:
                yield from award_exprs(row.amount)
                if row.max is not None:
                    yield row.max
            if cap is not None:
                yield cap
        case ast.DeductStep(amount, step, shortfall, _, cap):
            yield from award_exprs(amount)
            yield step
            yield shortfall
            if cap is not None:
                yield cap
        case ast.DeductJudged(subject, interval):
            yield subject
            yield from interval_exprs(interval)
        case ast.DeductWhen(amount, cond) | ast.AddWhen(amount, cond):
            yield from award_exprs(amount)
            yield cond
        case ast.ZeroWhen(cond) | ast.WarnWhen(cond):
            yield cond
        case ast.CallRule(_, args):
            yield from args
        case ast.Full() | ast.Points() | ast.Share() | ast.AwardExpr():
            yield from award_exprs(rule)
        case _:
            return


def reads_of(rules: Any) -> tuple[str, ...]:
    """The distinct names a sequence of rules reads, in source order."""
    return tuple(dict.fromkeys(n.name for r in rules for e in rule_exprs(r) for n in names_in(e)))


def substitute(node: N, mapping: Mapping[str, ast.Expr]) -> N:
    """A copy of `node` with every `Name` in `mapping` replaced by its expression."""
    if isinstance(node, ast.Name):
        return mapping.get(node.name, node)  # type: ignore[return-value]
    if isinstance(node, tuple):
        return tuple(substitute(x, mapping) for x in node)  # type: ignore[return-value]
    if isinstance(node, record.Record):
        changes = {}
        for name in record.fields(node):
            if name in ("span", "name_span", "func_span"):
                continue
            value = getattr(node, name)
            new = substitute(value, mapping)
            if new is not value:
                changes[name] = new
        return record.replace(node, **changes) if changes else node
    return node
