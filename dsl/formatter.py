"""The canonical printer: AST → text that parses back to the same AST.

`format_expr` is also how explanations show arithmetic: with `show`, each name is printed as its
value (`实际支出 / 预算金额` → `100000 / 100000`), so a derivation reads as the author wrote it.
`format_rule` prints one clause on one line, as the report's "standard" column shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from . import ast, record
from .source import display_width

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

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
            unit = e.unit or ""
            return number(value) + unit if value >= 0 else f"-{number(-value)}{unit}"
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
            # `达成线@B1`, the checker's name for indicator B1's own value of 达成线
            # (engine/common/own.py), reads as the author wrote it
            return shown if shown is not None else name.partition("@")[0]
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
        case ast.Aggregate(func, records, field, weight, where):
            what = records.name + (f".{field.text}" if field is not None else "")
            by = f" by {weight.text}" if weight is not None else ""
            tail = f" where {_expr(where, 0, show)}" if where is not None else ""
            return f"{func}({what}{by}{tail})"
        case ast.Field(_, name):
            return name  # a field of the record at hand, never a fact's value
        case _:
            ast.assert_never(e)
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
        case _:
            ast.assert_never(award)


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


def format_rule(rule: ast.Clause) -> str:
    match rule:
        case ast.Full() | ast.Points() | ast.Share() | ast.AwardExpr():
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
            return f"levels {format_expr(subject)} score {_score(score)} {{ {rows} }}"
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
        case ast.Panel(subject, mode, least):
            text = f"panel {format_expr(subject)} {mode.text}"
            text += f" of {number(rule.scale.value)}" if rule.scale is not None else ""
            return text + (f" min {number(least.value)}" if least is not None else "")
        case ast.Dispatch(subject, branches):
            return f"by {format_expr(subject)} {{ " + "; ".join(_branches(branches)) + " }"
        case ast.Unless(inner, cond, reason):
            return f"{format_rule(inner)} unless {format_expr(cond)} {string(reason.value)}"
        case _:
            ast.assert_never(rule)


def _score(score: ast.Expr | ast.Panel) -> str:
    """The score of `levels … score`: an expression, or a panel's experts."""
    return format_rule(score) if isinstance(score, ast.Panel) else format_expr(score)


def _branches(branches: tuple[ast.DispatchBranch, ...]) -> list[str]:
    """The rows of `by`: each branch's labels (or `else`) and its rule."""
    return [
        (", ".join(string(s.value) for s in b.labels) if b.labels else "else")
        + f": {format_rule(b.then)}"
        for b in branches
    ]


# ----- whole packs -----------------------------------------------------------------------------

WIDTH = 100
INDENT = "    "


class FormatError(Exception):
    """The formatter's own output would change the pack's meaning: a bug, never written out."""


def _label(text: str) -> str:
    return text if text.isidentifier() else string(text)


def format_pack(pack: ast.Pack, check: Callable[[str], ast.Pack] | None = None) -> str:
    """Print a pack canonically, keeping its comments and blank-line grouping.

    With `check` (the parser), the output is re-parsed and must give an equal AST, or
    FormatError is raised and nothing should be written.
    """
    text = _Printer(pack).run()
    if check is not None:
        again = check(text)
        if again != pack:
            raise FormatError("the formatted pack does not parse to the same pack")
        if _Printer(again).run() != text:
            raise FormatError("formatting is not idempotent on this pack")
    return text


class _Printer:
    def __init__(self, pack: ast.Pack) -> None:
        self.pack = pack
        self.text = pack.span.source.text if pack.span is not None else ""
        self.comments = list(pack.comments)
        self.out: list[str] = []
        self.last_end = 0

    def run(self) -> str:
        items: list[object] = [
            *self.pack.headers,
            *self.pack.imports,
            *self.pack.facts,
            *self.pack.params,
            *self.pack.surveys,
            *self.pack.lets,
            *self.pack.functions,
            *self.pack.indicators,
            *self.pack.extras,
            *self.pack.vetoes,
        ]
        items.sort(key=lambda n: n.span.start)  # type: ignore[attr-defined]
        previous: object | None = None
        for item in items:
            span = item.span  # type: ignore[attr-defined]
            self.before(
                span.start, "", separate=_kind(item) != _kind(previous) and previous is not None
            )
            self.item(item)
            self.last_end = span.end
            previous = item
        self.before(len(self.text), "", separate=False)
        while self.out and not self.out[-1]:
            self.out.pop()
        return "\n".join(self.out) + "\n"

    # --- comments and blank lines
    def before(self, offset: int, indent: str, separate: bool) -> None:
        """Comments before `offset`, and a blank line where the author left one."""
        first = True
        while self.comments and self.comments[0].span.start < offset:
            comment = self.comments.pop(0)
            if not comment.own_line and self.out:
                self.out[-1] += "  " + comment.text
                self.last_end = comment.span.end
                continue
            if first and self.blank_between(self.last_end, comment.span.start):
                self.blank()
            first = False
            self.out.append(indent + comment.text)
            self.last_end = comment.span.end
        if self.blank_between(self.last_end, offset) or (first and separate):
            self.blank()

    def blank_between(self, start: int, end: int) -> bool:
        gap = self.text[start:end]
        return gap.count("\n") >= 2 and any(not ln.strip() for ln in gap.split("\n")[1:-1])

    def blank(self) -> None:
        if self.out and self.out[-1] != "" and not self.out[-1].endswith("{"):
            self.out.append("")

    # --- items
    def item(self, node: object) -> None:
        match node:
            case ast.PackHeader(title, settings):
                self.out.append(f"pack {string(title.value)} {{")
                for setting in settings:
                    self.before(setting.span.start, INDENT, False)
                    self.out.append(INDENT + _setting(setting))
                    self.last_end = setting.span.end
                self.close(node.span.end, "")
            case ast.Import(path):
                self.out.append(f"import {string(path.value)}")
            case ast.FactDecl(name, type_):
                if not node.fields:
                    self.out.append("fact " + _fact_decl(node))
                    return
                self.out.append(f"fact {name.text}: {type_.text} {{")
                for field in node.fields:
                    self.before(field.span.start, INDENT, False)
                    if isinstance(field, ast.LetDecl):
                        kind = field.type.text if field.type else "number"
                        text = f"{field.name.text}: {kind} = {format_expr(field.expr)}"
                    else:
                        text = _fact_decl(field)
                    self.out.append(INDENT + text)
                    self.last_end = field.span.end
                options = _fact_decl(record.replace(node, fields=()))
                self.out.append("}" + options.removeprefix(f"{name.text}: {type_.text}"))
            case ast.ParamDecl(name, type_, default):
                assert default is not None
                self.out.append(f"param {name.text}: {type_.text} = {format_expr(default)}")
            case ast.LetDecl(name, type_, expr):
                kind = f": {type_.text}" if type_ else ""
                self.out.append(f"let {name.text}{kind} = {format_expr(expr)}")
            case ast.Survey(name, facts):
                self.out.append(f"survey {name.text} {{")
                self.body(facts, INDENT, _survey_fact)
                self.close(node.span.end, "")
            case ast.Function(name, params, rules):
                ps = ", ".join(f"{p.name.text}: {p.type.text}" for p in params)
                self.out.append(f"function {name.text}({ps}) {{")
                self.body(rules, INDENT)
                self.close(node.span.end, "")
            case ast.Indicator():
                self.indicator(node, "")
            case ast.Extra(kind, code, name, cap, highest, rules):
                flag = " highest" if highest else ""
                self.out.append(
                    f"{kind} {code.text} {string(name.value)} max {number(cap.value)}{flag} {{"
                )
                self.body(rules, INDENT)
                self.close(node.span.end, "")
            case ast.Veto(cond, action, target, reason):
                what = {
                    "grade": f"grade {_label(target.text) if target else ''}",
                    "cap": f"cap {_label(target.text) if target else ''}",
                    "zero": f"zero {target.text if target else ''}",
                    "disqualify": "disqualify",
                }[action]
                self.out.append(f"veto when {format_expr(cond)} {what}{_reason(reason)}")

    def indicator(self, node: ast.Indicator, indent: str) -> None:
        scale = f" of {number(node.scale.value)}" if node.scale is not None else ""
        head = (
            f"{indent}indicator {node.code.text} {string(node.name.value)} "
            f"{number(node.weight.value)}{scale} {{"
        )
        self.out.append(head)
        body: list[object] = [*node.children, *node.overrides, *node.rules]
        body.sort(key=lambda n: n.span.start)  # type: ignore[attr-defined]
        inner = indent + INDENT
        for child in body:
            self.before(child.span.start, inner, False)  # type: ignore[attr-defined]
            if isinstance(child, ast.Indicator):
                self.indicator(child, inner)
            elif isinstance(child, ast.ParamOverride):
                kind = f": {child.type.text}" if child.type is not None else ""
                self.out.append(
                    f"{inner}param {child.name.text}{kind} = {format_expr(child.value)}"
                )
            else:
                self.rule(child, inner)
            self.last_end = child.span.end  # type: ignore[attr-defined]
        self.close(node.span.end, indent)

    def body(
        self, rules: tuple[object, ...], indent: str, show: Callable[[Any], str] | None = None
    ) -> None:
        for rule in rules:
            self.before(rule.span.start, indent, False)  # type: ignore[attr-defined]
            if show is not None:
                self.out.append(indent + show(rule))
            else:
                self.rule(rule, indent)
            self.last_end = rule.span.end  # type: ignore[attr-defined]

    def rule(self, rule: object, indent: str) -> None:
        line = indent + format_rule(rule)  # type: ignore[arg-type]
        if display_width(line) <= WIDTH or not isinstance(
            rule, (ast.Tiers, ast.Levels, ast.LevelRange, ast.Checklist, ast.Choose, ast.Dispatch)
        ):
            self.out.append(line)
            return
        head, rows = _rows(rule)
        self.out.append(f"{indent}{head} {{")
        self.out.extend(f"{indent}{INDENT}{row}" for row in rows)
        self.out.append(f"{indent}}}")

    def close(self, end: int, indent: str) -> None:
        self.before(end - 1, indent + INDENT, False)
        if self.out and self.out[-1] == "":
            self.out.pop()
        self.out.append(indent + "}")
        self.last_end = end


def _fact_decl(node: ast.FactDecl) -> str:
    """`预算金额: money unit "元" …`: a fact's (or a record field's) name, type and options."""
    text = f"{node.name.text}: {node.type.text}"
    if node.choices:
        text += " [" + ", ".join(string(c.value) for c in node.choices) + "]"
    text += f" unit {string(node.unit.value)}" if node.unit else ""
    text += f" label {string(node.label.value)}" if node.label else ""
    text += f" default {format_expr(node.default)}" if node.default is not None else ""
    text += " nonzero" if node.nonzero else ""
    text += " shared" if node.shared else ""
    text += f" min {format_expr(node.min)}" if node.min is not None else ""
    text += f" max {format_expr(node.max)}" if node.max is not None else ""
    text += " fixed" if node.fixed else ""
    return text


def _survey_fact(agg: ast.SurveyFact) -> str:
    among = (
        " in [" + ", ".join(string(v) for v in agg.values) + "]" if agg.values is not None else ""
    )
    head = f"fact {agg.name.text} = "
    nonzero = " nonzero" if agg.nonzero else ""
    if agg.aggregate == "count":
        where = f" where {agg.columns[0].text}{among}" if agg.columns else ""
        return head + "count" + where + nonzero
    if agg.aggregate == "answers":
        return head + "answers " + ", ".join(c.text for c in agg.columns) + among + nonzero
    rows = "; ".join(f"{string(label)}: {number(value)}" for label, value in agg.scale)
    return head + f"mean {agg.columns[0].text} {{ {rows} }}"


def _kind(node: object) -> str:
    return type(node).__name__


def _setting(setting: ast.Setting) -> str:
    value = setting.value
    match value:
        case ast.String(text):
            return f"{setting.key} {string(text)}"
        case ast.Number(n):
            return f"{setting.key} {number(n)}"
        case ast.Rounding(places, mode, scope):
            text = f"rounding {number(places.value)}"
            text += f" {mode.text}" if mode else ""
            return text + (f" on {scope.text}" if scope else "")
        case ast.Period(start, end):
            return f"period {start.value.isoformat()} to {end.value.isoformat()}"
        case ast.Word(text) if setting.key == "portfolio":
            return f"portfolio weighted by {text}"
        case ast.Word(text):
            return f"{setting.key} {text}"
        case tuple():
            grades = "; ".join(
                f"{_label(g.label.text)} >= {number(g.lower.value)}"
                if g.lower is not None
                else f"{_label(g.label.text)} else"
                for g in value
            )
            return f"grades {{ {grades} }}"
        case _:
            ast.assert_never(value)


def _rows(
    rule: ast.Tiers | ast.Levels | ast.LevelRange | ast.Checklist | ast.Choose | ast.Dispatch,
) -> tuple[str, list[str]]:
    """The head and rows of a rule too wide for one line (only these forms have rows)."""
    match rule:
        case ast.Tiers(subject, bands):
            return f"tiers {format_expr(subject)}", [format_band(b) for b in bands]
        case ast.Levels(subject, levels):
            return f"levels {format_expr(subject)}", [
                f"{string(lv.label)}: {format_award(lv.award)}" for lv in levels
            ]
        case ast.LevelRange(subject, score, levels):
            return f"levels {format_expr(subject)} score {_score(score)}", [
                f"{string(lv.label)}: {format_interval(lv.interval)}" for lv in levels
            ]
        case ast.Checklist(base, items):
            rows = [f"base {format_award(base)}"] if base is not None else []
            rows += [
                f"{format_award(i.award)}: {format_expr(i.cond)}{_reason(i.reason)}" for i in items
            ]
            return "checklist", rows
        case ast.Choose(choices):
            rows = [
                (f"when {format_expr(c.cond)}" if c.cond is not None else "else")
                + f": {format_rule(c.then)}"
                for c in choices
            ]
            # `…: full` then `when …` on the next line would read as one `full when …`
            return "choose", [
                row + ";" if row.endswith(": full") and following.startswith("when") else row
                for row, following in zip(rows, [*rows[1:], ""], strict=True)
            ]
        case ast.Dispatch(subject, branches):
            return f"by {format_expr(subject)}", _branches(branches)
        case _:
            ast.assert_never(rule)
