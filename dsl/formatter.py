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
        case ast.AwardExpr(expr):
            return _expr(expr, 5, None)
    raise AssertionError(award)  # pragma: no cover


def format_interval(interval: ast.Interval) -> str:
    low, high = interval.lower, interval.upper
    return (
        f"{'[' if low.inclusive else '('}{_expr(low.value, 5, None)}, "
        f"{_expr(high.value, 5, None)}{']' if high.inclusive else ')'}"
    )


def _reason(reason: ast.String | None) -> str:
    return f" {string(reason.value)}" if reason is not None else ""


def _limit(cap: ast.Expr | None) -> str:
    return f" max {_expr(cap, 5, None)}" if cap is not None else ""


def format_band(band: ast.Band) -> str:
    award = format_award(band.award)
    low, high = band.lower, band.upper
    if low is None and high is None:
        return f"else: {award}"
    if low is not None and high is None:
        return f"{'>=' if low.inclusive else '>'} {_expr(low.value, 5, None)}: {award}"
    if low is None and high is not None:
        return f"{'<=' if high.inclusive else '<'} {_expr(high.value, 5, None)}: {award}"
    assert low is not None and high is not None
    if low.inclusive and high.inclusive and low.value == high.value:
        return f"== {_expr(low.value, 5, None)}: {award}"
    return f"{format_interval(ast.Interval(low, high, band.span))}: {award}"


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
        case ast.Forward(actual, target):
            return f"forward {format_expr(actual)} target {format_expr(target)}"
        case ast.Equal(actual, target):
            return f"equal {format_expr(actual)} target {format_expr(target)}"
        case ast.LevelRange(subject, score, levels):
            rows = "; ".join(f"{string(lv.label)}: {format_interval(lv.interval)}" for lv in levels)
            return f"levels {format_expr(subject)} score {format_expr(score)} {{ {rows} }}"
        case ast.Checklist(base, items):
            parts = [f"base {format_award(base)}"] if base is not None else []
            parts += [
                f"{format_award(i.award)}: {format_expr(i.cond)}{_reason(i.reason)}" for i in items
            ]
            return "checklist { " + "; ".join(parts) + " }"
        case ast.Choose(choices):
            parts = [
                (f"when {format_expr(c.cond)}" if c.cond is not None else "else")
                + f": {format_rule(c.then)}"
                for c in choices
            ]
            return "choose { " + "; ".join(parts) + " }"
        case ast.CallRule(name, args):
            return f"{name}(" + ", ".join(format_expr(a) for a in args) + ")"
        case ast.DeductPer(amount, subject, distinct, cap, reason):
            text = f"deduct {format_award(amount)} per {format_expr(subject)}"
            if distinct is not None:
                text += " distinct" + (
                    f" by {string(distinct.field.value)}" if distinct.field else ""
                )
            return text + _limit(cap) + _reason(reason)
        case ast.DeductBy(subject, field, rows, cap, reason):
            body = "; ".join(
                f"{string(r.label)}: {format_award(r.amount)}{_limit(r.max)}" for r in rows
            )
            return (
                f"deduct per {format_expr(subject)} by {string(field.value)} {{ {body} }}"
                + _limit(cap)
                + _reason(reason)
            )
        case ast.DeductStep(amount, step, shortfall, mode, cap, reason):
            return (
                f"deduct {format_award(amount)} per {_expr(step, 5, None)} of "
                f"{format_expr(shortfall)} {mode}" + _limit(cap) + _reason(reason)
            )
        case ast.DeductJudged(subject, interval, reason):
            return f"deduct {format_expr(subject)} within {format_interval(interval)}" + _reason(
                reason
            )
        case ast.AddPer(amount, subject, reason):
            return f"add {format_award(amount)} per {format_expr(subject)}" + _reason(reason)
        case ast.AddWhen(amount, cond, reason):
            return f"add {format_award(amount)} when {format_expr(cond)}" + _reason(reason)
        case ast.NaPolicy(policy):
            return f"na {policy.text}"
        case ast.DeductWhen(amount, cond, reason):
            text = f"deduct {format_award(amount)} when {format_expr(cond)}"
            return text + (f" {string(reason.value)}" if reason else "")
        case ast.ZeroWhen(cond, reason):
            return f"zero when {format_expr(cond)}" + (f" {string(reason.value)}" if reason else "")
        case ast.WarnWhen(cond, message):
            return f"warn when {format_expr(cond)} {string(message.value)}"
    raise AssertionError(f"unhandled rule {rule!r}")  # pragma: no cover
