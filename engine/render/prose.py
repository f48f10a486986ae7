"""Rules in words, for the prose a reader meets (主要扣分原因, the portfolio's 主要失分原因): a
condition, a band or a level as a sentence says it, never the pack's source text (`[90%, 95%): 1`,
`故障总数 == 0`); and a reason the author wrote, folded back to its template so the same reason
groups across lines and projects (`发生重复故障3次` and `…2次` are `发生重复故障{count}次`).

The ledger keeps, per line, the span of the clause, band or level that produced it; the node is
found again in the indicator's rules by that span.
"""

from __future__ import annotations

import re
from decimal import Decimal

from jixiao.dsl import ast, record
from jixiao.dsl.formatter import format_expr, number
from jixiao.dsl.source import Span

from ..common.result import Line, LineKind
from ..forms import BY_NODE, LINES

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

    from ..common.ir import Indicator

_ZH = {
    ">=": "不低于",
    ">": "高于",
    "<=": "不高于",
    "<": "低于",
    "==": "等于",
    "!=": "不等于",
    "in": "属于",
    "and": "且",
    "or": "或",
}
_EN = {
    ">=": "at least",
    ">": "above",
    "<=": "at most",
    "<": "below",
    "==": "equal to",
    "!=": "not equal to",
    "in": "one of",
    "and": "and",
    "or": "or",
}
#: Words for the arithmetic of an expression, as a report prints a formula.
_ARITH = {" / ": " ÷ ", " * ": " × "}


def words_of(expr: ast.Expr, lang: str = "zh") -> str:
    """An expression as a sentence says it: `故障总数 == 0` → `故障总数等于0`,
    `满意度 >= 85% and not 有投诉` → `满意度不低于85%且“有投诉”不成立`."""
    zh = lang == "zh"
    table = _ZH if zh else _EN
    match expr:
        case ast.Compare(op, left, right):
            sep = "" if zh else " "
            return f"{_value(left, lang)}{sep}{table.get(op, op)}{sep}{_value(right, lang)}"
        case ast.Logic(op, left, right):
            sep = table[op] if zh else f" {table[op]} "
            return f"{words_of(left, lang)}{sep}{words_of(right, lang)}"
        case ast.Not(ast.Name(name)):
            return f"“{name}”不成立" if zh else f"not “{name}”"
        case ast.Not(operand):
            return f"并非“{words_of(operand, lang)}”" if zh else f"not ({words_of(operand, lang)})"
        case ast.Name(name):
            return f"“{name}”成立" if zh else f"“{name}” holds"
        case _:
            return _value(expr, lang)


def _value(expr: ast.Expr, lang: str) -> str:
    text = format_expr(expr)
    for op, word in _ARITH.items():
        text = text.replace(op, word)
    return text


def unmet(expr: ast.Expr, lang: str = "zh") -> str:
    """An unmet condition of full marks: `未达到满分条件（故障总数等于0）`."""
    if lang == "zh":
        return f"未达到满分条件（{words_of(expr, lang)}）"
    return f"the condition of full marks is not met ({words_of(expr, lang)})"


def band_words(band: ast.Band, lang: str = "zh") -> str:
    """A band's range as a sentence says it: `[90%, 95%)` → `不低于90%且低于95%`."""
    zh = lang == "zh"
    table = _ZH if zh else _EN
    sep = "" if zh else " "
    parts = []
    if band.lower is not None:
        op = ">=" if band.lower.inclusive else ">"
        parts.append(f"{table[op]}{sep}{_value(band.lower.value, lang)}")
    if band.upper is not None:
        op = "<=" if band.upper.inclusive else "<"
        parts.append(f"{table[op]}{sep}{_value(band.upper.value, lang)}")
    if not parts:
        return "其余情况" if zh else "any other value"
    return ("且" if zh else " and ").join(parts)


# ----- finding the node a ledger line came from -------------------------------------------------


def node_at(ind: Indicator, span: Span) -> object | None:
    """The node of `ind`'s rules whose span is `span` (the clause, band or level of a line):
    found once per (indicator, span) — a portfolio words the same lines project after project
    — and kept with both, so an id is never taken for another's."""
    key = (id(ind), id(span))
    hit = _NODES.get(key)
    if hit is not None and hit[0] is ind and hit[1] is span:
        return hit[2]
    node = _node_at(ind, span)
    if len(_NODES) < 4096:
        _NODES[key] = (ind, span, node)
    return node


_NODES: dict[tuple[int, int], tuple[Indicator, Span, object | None]] = {}


def _node_at(ind: Indicator, span: Span) -> object | None:
    for node in _walk(ind.rules):
        at = getattr(node, "span", None)
        if at is not None and at.start == span.start and at.end == span.end:
            if at.source is span.source or at.source.path == span.source.path:
                return node
    return None


def _walk(nodes: object) -> Iterator[object]:
    """Every record below `nodes`, parents first, each once (expanded function calls share
    their arguments: a tree walked place by place may be exponentially larger)."""
    stack, seen = [nodes], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, tuple):
            stack.extend(reversed([x for x in node if isinstance(x, record.Record | tuple)]))
            continue
        if not isinstance(node, record.Record) or isinstance(node, Span):
            continue
        yield node
        kids = [getattr(node, name) for name in record.fields(node) if name != "span"]
        stack.extend(reversed([k for k in kids if isinstance(k, record.Record | tuple)]))


def holder_of(ind: Indicator, node: object) -> object | None:
    """The first rule of `ind`'s rules (any record a form handles) that holds `node` itself
    among its parts: the `tiers` of a band, the `levels` of a level."""
    for rule in _walk(ind.rules):
        if type(rule) not in BY_NODE or not isinstance(rule, record.Record):
            continue
        for name in record.fields(rule):
            part = getattr(rule, name)
            if isinstance(part, tuple) and any(x is node for x in part):
                return rule
    return None


# ----- reasons folded to their templates --------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(item|count)\}")


def templates(ind: Indicator) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The reasons `ind`'s rules write with `{item}` or `{count}`, each with a pattern that
    matches it filled in; the more specific (longer) first."""
    found = {
        node.value
        for node in _walk(ind.rules)
        if isinstance(node, ast.String) and _PLACEHOLDER.search(node.value)
    }
    out = []
    for template in sorted(found, key=lambda t: (-len(t), t)):
        pieces = _PLACEHOLDER.split(template)
        pattern = "".join(
            re.escape(piece) if i % 2 == 0 else (".+?" if piece == "item" else r"-?[\d.,]+")
            for i, piece in enumerate(pieces)
        )
        out.append((template, re.compile(pattern, re.DOTALL)))
    return tuple(out)


def fold(reason: str, known: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    """`reason` as the template of `known` it fills in whole, or None."""
    for template, pattern in known:
        if pattern.fullmatch(reason):
            return template
    return None


# ----- why a base rule did not award full marks ------------------------------------------------

_KIND, _SPAN, _REASON, _ARGS = 0, 2, 3, 5  # places of a ledger line (raw, or a `Line`)


def base_cause(ind: Indicator, lines: Sequence[Sequence[Any]], lang: str = "zh") -> str:
    """Why `ind`'s base rule did not award full marks, in words and without the project's
    values, so that projects losing points for the same cause group together: `未达到满分条件
    （满意度不低于85%）`, `设备运行正常率在“不低于90%且低于95%”档`, `评为“基本健全”`,
    `使用效果肯定比例未达到100%`; the indicator's name when no rule says more."""
    zh = lang == "zh"
    causes: list[str] = []
    for line in lines:
        kind = line[_KIND]
        text = _cached_cause(ind, line, lang)
        if text and text not in causes:
            causes.append(text)
        if kind is LineKind.UNMET and text:
            break  # the condition of full marks says why; what the else gave follows from it
    if causes:
        return "；".join(causes)
    return f"{ind.name}未得满分" if zh else f"{ind.name}: not full marks"


#: A line's cause by (indicator, kind, clause, reason, met, language): the portfolio asks the
#: same few questions for every project. The indicator is kept with its answer, so an id is
#: never taken for another indicator's.
_CAUSES: dict[tuple[Any, ...], tuple[Indicator, str | None]] = {}
_TEMPLATES: dict[
    int, tuple[Indicator, tuple[tuple[str, re.Pattern[str]], ...], dict[str, str | None]]
] = {}


def _cached_cause(ind: Indicator, line: Sequence[Any], lang: str) -> str | None:
    kind, span, args = line[_KIND], line[_SPAN], line[_ARGS]
    met = bool(args[1]) if kind is LineKind.CHECK and len(args) > 1 else None
    key = (id(ind), kind, span.start, span.end, line[_REASON], met, lang)
    hit = _CAUSES.get(key)
    if hit is not None and hit[0] is ind:
        return hit[1]
    text = _cause(ind, line, lang)
    if len(_CAUSES) > 100_000:
        _CAUSES.clear()
    _CAUSES[key] = (ind, text)
    return text


def template_of(ind: Indicator, reason: str) -> str | None:
    """The template of `ind`'s rules that `reason` fills in, or None (`templates`, cached, and
    each reason's answer too: the same reasons come back project after project)."""
    hit = _TEMPLATES.get(id(ind))
    if hit is None or hit[0] is not ind:
        if len(_TEMPLATES) > 10_000:
            _TEMPLATES.clear()
        hit = _TEMPLATES[id(ind)] = (ind, templates(ind), {})
    known, answers = hit[1], hit[2]
    if not known:
        return None
    if reason in answers:
        return answers[reason]
    answer = fold(reason, known)
    if len(answers) < 10_000:  # items differ project by project: keep a bounded few
        answers[reason] = answer
    return answer


class Cause:
    """What a line kind's `cause` hook is handed (see `forms.base.LineSpec`): the line, the node
    of the pack it came from (found when first asked), and the words a sentence says them in."""

    __slots__ = ("_found", "_node", "ind", "lang", "line")

    def __init__(self, ind: Indicator, line: Sequence[Any], lang: str, node: object = None):
        self.ind, self.line, self.lang = ind, line, lang
        self._node, self._found = node, node is not None

    @property
    def reason(self) -> str | None:
        reason: str | None = self.line[_REASON]
        return reason

    @property
    def args(self) -> Sequence[Any]:
        args: Sequence[Any] = self.line[_ARGS]
        return args

    @property
    def node(self) -> object | None:
        """The clause, band or level of `ind`'s rules at the line's span."""
        if not self._found:
            self._node, self._found = node_at(self.ind, self.line[_SPAN]), True
        return self._node

    @property
    def name(self) -> str:
        return self.ind.name

    def holder(self, node: object) -> object | None:
        return holder_of(self.ind, node)

    def value(self, expr: ast.Expr) -> str:
        """An expression as a report prints a formula: `完成数 ÷ 计划数`."""
        return _value(expr, self.lang)

    def expression(self, node: object) -> ast.Expr | None:
        """`node` when it is an expression a sentence can say, else None."""
        return node if isinstance(node, _EXPRS) else None

    def words(self, expr: ast.Expr) -> str:
        """A condition as a sentence says it: `故障总数等于0` (see `words_of`)."""
        return words_of(expr, self.lang)

    def band(self, band: ast.Band) -> str:
        return band_words(band, self.lang)


def _cause(ind: Indicator, line: Sequence[Any], lang: str, node: object = None) -> str | None:
    """The cause a line's kind words (`LineSpec.because`), or None."""
    spec = LINES[line[_KIND]]
    if spec.cause is None or spec.because is None:
        return None
    fields = spec.cause(Cause(ind, line, lang, node))
    if fields is None:
        return None
    template: str = spec.because.zh if lang == "zh" else spec.because.en
    return template.format(**fields)


def line_words(line: Line, ind: Indicator | None, lang: str = "zh") -> str | None:
    """A ledger line that `explain` words with the pack's source text (an unmet condition, a
    band, a level), in words with its points; None for any other line."""
    zh = lang == "zh"
    node = node_at(ind, line.span) if ind is not None else None
    points = _points(line.points, lang)
    match line.kind:
        case LineKind.UNMET:
            if isinstance(node, _EXPRS):
                return unmet(node, lang)
            return "未达到满分条件" if zh else "the condition of full marks is not met"
        case LineKind.TIER:
            if isinstance(node, ast.Band) and ind is not None:
                cause = _cause(ind, line, lang, node)
                return f"{cause}，得 {points}" if zh else f"{cause}: {points}"
            return f"分档得 {points}" if zh else f"band: {points}"
        case LineKind.LEVEL:
            if isinstance(node, ast.Level):
                return (
                    f"评为“{node.label}”，得 {points}" if zh else f"rated “{node.label}”: {points}"
                )
            return f"等级得 {points}" if zh else f"level: {points}"
        case LineKind.LEVEL_SCORE:
            _, low_arg, high_arg = line.args  # LevelScoreArgs (points, low, high)
            assert isinstance(low_arg, Decimal) and isinstance(high_arg, Decimal)
            low, high = number(low_arg), number(high_arg)
            label = line.reason or ""
            if zh:
                return f"评为“{label}”，评价得分 {points}（区间 {low}–{high}）"
            return f"rated “{label}”: the evaluator's score {points} (range {low}–{high})"
    return None


def _points(value: Decimal, lang: str) -> str:
    return f"{number(value)} 分" if lang == "zh" else f"{number(value)} points"


_EXPRS = (
    ast.Compare,
    ast.Logic,
    ast.Not,
    ast.Name,
    ast.Arith,
    ast.Call,
    ast.If,
    ast.Number,
    ast.Percent,
)
