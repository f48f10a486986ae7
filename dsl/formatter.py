"""The canonical printer: AST → text that parses back to the same AST.

`format_expr` is also how explanations show arithmetic: with `show`, each name is printed as its
value (`实际支出 / 预算金额` → `100000 / 100000`), so a derivation reads as the author wrote it.
`format_rule` prints one clause on one line, as the report's "standard" column shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from . import ast

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def number(value: Decimal) -> str:
    """A decimal as written in a pack: plain digits, no exponent, no trailing zeros."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def percent(value: Decimal) -> str:
    return number(value * 100) + "%"


def string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_expr(expr: ast.Expr, show: Callable[[str], str | None] | None = None) -> str:
    """Print an expression; `show(name)` may replace a name by its value's text."""
    return _expr(expr, 0, show)


def _expr(e: ast.Expr, outer: int, show: Callable[[str], str | None] | None) -> str:
    match e:
        case ast.Number(value):
            return number(value) if value >= 0 else f"-{number(-value)}"
        case ast.Percent(value):
            return percent(value) if value >= 0 else f"-{percent(-value)}"
        case ast.String(value):
            return string(value)
        case ast.Bool(value):
            return "true" if value else "false"
        case ast.Date(value):
            return value.isoformat()
        case ast.EmptyList():
            return "[]"
        case ast.Name(name):
            shown = show(name) if show else None
            return shown if shown is not None else name
        case ast.Neg(operand):
            text = "-" + _expr(operand, _PREC["neg"], show)
            prec = _PREC["neg"]
        case ast.Not(operand):
            text = "not " + _expr(operand, _PREC["not"], show)
            prec = _PREC["not"]
        case ast.Logic(op, left, right):
            prec = _PREC[op]
            text = f"{_expr(left, prec, show)} {op} {_expr(right, prec + 1, show)}"
        case ast.Compare(op, left, right):
            prec = _PREC["cmp"]
            text = f"{_expr(left, prec + 1, show)} {op} {_expr(right, prec + 1, show)}"
        case ast.Arith(op, left, right):
            prec = _PREC[op]
            text = f"{_expr(left, prec, show)} {op} {_expr(right, prec + 1, show)}"
        case ast.Call(func, args):
            return f"{func}(" + ", ".join(_expr(a, 0, show) for a in args) + ")"
        case ast.If(cond, then, otherwise):
            prec = 0
            text = (
                f"if {_expr(cond, 1, show)} then {_expr(then, 0, show)} "
                f"else {_expr(otherwise, 0, show)}"
            )
        case _:  # pragma: no cover
            raise AssertionError(f"unhandled expression {e!r}")
    return f"({text})" if prec < outer else text


def format_award(award: ast.Award) -> str:
    match award:
        case ast.Full():
            return "full"
        case ast.Points(value):
            return number(value)
        case ast.Share(value):
            return percent(value)
    raise AssertionError(award)  # pragma: no cover


def format_band(band: ast.Band) -> str:
    award = format_award(band.award)
    low, high = band.lower, band.upper
    if low is None and high is None:
        return f"else: {award}"
    if low is not None and high is None:
        return f"{'>=' if low.inclusive else '>'} {format_expr(low.value)}: {award}"
    if low is None and high is not None:
        return f"{'<=' if high.inclusive else '<'} {format_expr(high.value)}: {award}"
    assert low is not None and high is not None
    if low.inclusive and high.inclusive and low.value == high.value:
        return f"== {format_expr(low.value)}: {award}"
    return (
        f"{'[' if low.inclusive else '('}{format_expr(low.value)}, "
        f"{format_expr(high.value)}{']' if high.inclusive else ')'}: {award}"
    )


def format_rule(rule: ast.Rule | ast.Award) -> str:
    match rule:
        case ast.Full() | ast.Points() | ast.Share():
            return format_award(rule)
        case ast.FullWhen(cond, otherwise):
            text = f"full when {format_expr(cond)}"
            return text + (f" else {format_rule(otherwise)}" if otherwise is not None else "")
        case ast.Proportional(rate):
            return f"proportional {format_expr(rate)}"
        case ast.Reverse(actual, target, linear):
            text = f"reverse {format_expr(actual)} target {format_expr(target)}"
            return text + (" linear" if linear else "")
        case ast.Tiers(subject, bands):
            return (
                f"tiers {format_expr(subject)} {{ "
                + "; ".join(format_band(b) for b in bands)
                + " }"
            )
        case ast.Levels(subject, levels):
            return (
                f"levels {format_expr(subject)} {{ "
                + "; ".join(f"{string(lv.label)}: {format_award(lv.award)}" for lv in levels)
                + " }"
            )
        case ast.DeductPer(amount, subject, reason):
            text = f"deduct {format_award(amount)} per {format_expr(subject)}"
            return text + (f" {string(reason.value)}" if reason else "")
        case ast.DeductWhen(amount, cond, reason):
            text = f"deduct {format_award(amount)} when {format_expr(cond)}"
            return text + (f" {string(reason.value)}" if reason else "")
        case ast.ZeroWhen(cond, reason):
            return f"zero when {format_expr(cond)}" + (f" {string(reason.value)}" if reason else "")
        case ast.WarnWhen(cond, message):
            return f"warn when {format_expr(cond)} {string(message.value)}"
    raise AssertionError(f"unhandled rule {rule!r}")  # pragma: no cover
