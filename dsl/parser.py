"""Text → AST. The only module that imports Lark.

One LALR parser is built lazily and cached; an explicit Transformer turns Lark's tree into the
records of `ast`, attaching a span to every node. Lark's exceptions never leave this
module: they become E1xx diagnostics that say, in words, what was found and what was expected,
with a hint for the mistakes Chinese authors make most (full-width punctuation in the wrong
place, a keyword in Chinese, an unclosed brace).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from . import ast, record
from .diagnostics import Diagnostic, Fix, JixiaoError, Label, error
from .source import Source, Span

# ----- the parser ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse(source: Source) -> ast.Pack:
    """Parse a whole pack; raise JixiaoError with E1xx diagnostics on a syntax error."""
    try:
        tree = _lark().parse(source.text)
    except UnexpectedInput as exc:
        raise JixiaoError(_every_syntax_error(source, exc)) from None
    deep = _too_deep(tree)
    if deep is not None:
        nested = "indicators" if deep.data in ("indicator", "bonus", "penalty") else "an expression"
        help_text = (
            "an indicator tree has a handful of levels (一级, 二级, 三级 指标); check the braces"
            if nested == "indicators"
            else "split it into derived facts (`let 小计 = …`), each a few terms long"
        )
        raise JixiaoError(
            [
                error(
                    "E109",
                    f"{nested} nested more than {MAX_DEPTH} levels deep",
                    Label(Span(source, deep.meta.start_pos, deep.meta.end_pos), "too deep"),
                    help=help_text,
                )
            ]
        )
    try:
        pack: ast.Pack = _ToAst(source).transform(tree)
        return record.replace(pack, comments=comments_in(source))
    except VisitError as exc:
        if isinstance(exc.orig_exc, JixiaoError):
            raise exc.orig_exc from None
        raise


MAX_DEPTH = 200  # every later stage walks the tree recursively; packs never need more
MAX_STRING = 10_000  # characters in a string literal (E115): every report repeats labels, reasons


def _too_deep(tree: Tree[Token]) -> Tree[Token] | None:
    """The first subtree deeper than MAX_DEPTH, found without recursion."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return None


def parse_text(text: str, path: str = "<text>") -> ast.Pack:
    return parse(Source(path, text))


# ----- Lark tree → AST -----------------------------------------------------------------------

_OPS = {
    "≥": ">=",
    "＞＝": ">=",
    "≤": "<=",
    "＜＝": "<=",
    "＞": ">",
    "＜": "<",
    "≠": "!=",
    "＋": "+",
    "－": "-",
    "×": "*",
    "÷": "/",
}


def _op(token: Token) -> str:
    return _OPS.get(str(token), str(token))


@v_args(inline=True, meta=True)
class _ToAst(Transformer[Token, Any]):
    """Builds AST nodes; every method receives Lark's `meta` for the span."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, 0, 0)
        return Span(self.source, meta.start_pos, meta.end_pos)

    def _tok(self, token: Token) -> Span:
        return Span(self.source, token.start_pos or 0, token.end_pos or 0)

    def _string(self, token: Token) -> ast.String:
        raw = str(token)
        if len(raw) - 2 > MAX_STRING:
            raise JixiaoError(
                [
                    error(
                        "E115",
                        f"a string of {len(raw) - 2} characters; the string length limit is "
                        f"{MAX_STRING}",
                        Label(
                            Span(self.source, token.start_pos or 0, (token.start_pos or 0) + 1),
                            "starts here",
                        ),
                        help="a title, label or reason is a line of text; keep long "
                        "explanations in a comment or in the report",
                    )
                ]
            )
        if raw.startswith("“"):
            value = raw[1:-1]
        else:
            value = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return ast.String(value, self._tok(token))

    def _word(self, token: Token) -> ast.Word:
        return ast.Word(str(token), self._tok(token))

    # --- top level
    def start(self, meta: Any, *items: Any) -> ast.Pack:
        return ast.Pack(
            headers=tuple(i for i in items if isinstance(i, ast.PackHeader)),
            facts=tuple(i for i in items if isinstance(i, ast.FactDecl)),
            params=tuple(i for i in items if isinstance(i, ast.ParamDecl)),
            lets=tuple(i for i in items if isinstance(i, ast.LetDecl)),
            functions=tuple(i for i in items if isinstance(i, ast.Function)),
            indicators=tuple(i for i in items if isinstance(i, ast.Indicator)),
            extras=tuple(i for i in items if isinstance(i, ast.Extra)),
            vetoes=tuple(i for i in items if isinstance(i, ast.Veto)),
            span=Span(self.source, 0, len(self.source.text)),
            surveys=tuple(i for i in items if isinstance(i, ast.Survey)),
            imports=tuple(i for i in items if isinstance(i, ast.Import)),
        )

    def import_(self, meta: Any, path: Token) -> ast.Import:
        return ast.Import(self._string(path), self._span(meta))

    def pack(self, meta: Any, title: Token, *settings: ast.Setting) -> ast.PackHeader:
        return ast.PackHeader(self._string(title), settings, self._span(meta))

    def version(self, meta: Any, value: Token) -> ast.Setting:
        return ast.Setting("version", self._string(value), self._span(meta))

    def authority(self, meta: Any, value: Token) -> ast.Setting:
        return ast.Setting("authority", self._string(value), self._span(meta))

    def total(self, meta: Any, value: Token) -> ast.Setting:
        return ast.Setting("total", self._number(value), self._span(meta))

    def rounding(
        self, meta: Any, places: Token, mode: Token | None, scope: Token | None
    ) -> ast.Setting:
        node = ast.Rounding(
            self._number(places),
            self._word(mode) if mode else None,
            self._word(scope) if scope else None,
            self._span(meta),
        )
        return ast.Setting("rounding", node, self._span(meta))

    def not_applicable(self, meta: Any, word: Token) -> ast.Setting:
        return ast.Setting("not_applicable", self._word(word), self._span(meta))

    def overflow(self, meta: Any, word: Token) -> ast.Setting:
        return ast.Setting("overflow", self._word(word), self._span(meta))

    def portfolio(self, meta: Any, name: Token) -> ast.Setting:
        return ast.Setting("portfolio", self._word(name), self._span(meta))

    def survey(self, meta: Any, name: Token, *facts: ast.SurveyFact) -> ast.Survey:
        return ast.Survey(self._word(name), facts, self._span(meta))

    def agg_count(
        self,
        meta: Any,
        name: Token,
        where: tuple[Token, tuple[str, ...]] | None,
        nonzero: Token | None,
    ) -> ast.SurveyFact:
        columns = (self._word(where[0]),) if where else ()
        return ast.SurveyFact(
            self._word(name),
            "count",
            columns,
            where[1] if where else None,
            (),
            self._span(meta),
            nonzero is not None,
        )

    def agg_answers(self, meta: Any, name: Token, *rest: Any) -> ast.SurveyFact:
        *columns, among, nonzero = rest
        return ast.SurveyFact(
            self._word(name),
            "answers",
            tuple(self._word(c) for c in columns),
            among,
            (),
            self._span(meta),
            nonzero is not None,
        )

    def agg_mean(
        self, meta: Any, name: Token, column: Token, *rows: tuple[str, Decimal]
    ) -> ast.SurveyFact:
        return ast.SurveyFact(
            self._word(name), "mean", (self._word(column),), None, rows, self._span(meta)
        )

    def where(
        self, meta: Any, column: Token, among: tuple[str, ...]
    ) -> tuple[Token, tuple[str, ...]]:
        return (column, among)

    def among(self, meta: Any, *parts: Token) -> tuple[str, ...]:
        return tuple(self._string(p).value for p in parts if p.type == "STRING")

    def scale_row(self, meta: Any, label: Token, value: Token) -> tuple[str, Decimal]:
        return (self._string(label).value, self._decimal(value))

    def param(self, meta: Any, name: Token, type_: Token, default: ast.Literal) -> ast.ParamDecl:
        return ast.ParamDecl(self._word(name), self._word(type_), default, self._span(meta))

    def param_decl(self, meta: Any, name: Token, type_: Token) -> ast.ParamDecl:
        return ast.ParamDecl(self._word(name), self._word(type_), None, self._span(meta))

    def function(self, meta: Any, name: Token, *rest: Any) -> ast.Function:
        params = tuple(r for r in rest if isinstance(r, ast.ParamDecl))
        rules = tuple(r for r in rest if r is not None and not isinstance(r, ast.ParamDecl))
        return ast.Function(self._word(name), params, rules, self._span(meta))

    def bonus(
        self, meta: Any, code: Token, name: Token, cap: Token, highest: Token | None, *rules: Any
    ) -> ast.Extra:
        return ast.Extra(
            "bonus",
            self._word(code),
            self._string(name),
            self._number(cap),
            highest is not None,
            rules,
            self._span(meta),
        )

    def penalty(self, meta: Any, code: Token, name: Token, cap: Token, *rules: Any) -> ast.Extra:
        return ast.Extra(
            "penalty",
            self._word(code),
            self._string(name),
            self._number(cap),
            False,
            rules,
            self._span(meta),
        )

    def add_per(
        self, meta: Any, amount: ast.Award, subject: ast.Expr, reason: Token | None
    ) -> ast.AddPer:
        return ast.AddPer(amount, subject, self._opt_string(reason), self._span(meta))

    def add_when(
        self, meta: Any, amount: ast.Award, cond: ast.Expr, reason: Token | None
    ) -> ast.AddWhen:
        return ast.AddWhen(amount, cond, self._opt_string(reason), self._span(meta))

    def veto(
        self, meta: Any, cond: ast.Expr, action: tuple[str, ast.Word | None], reason: Token | None
    ) -> ast.Veto:
        kind, target = action
        return ast.Veto(cond, kind, target, self._opt_string(reason), self._span(meta))

    def veto_grade(self, meta: Any, label: Token) -> tuple[str, ast.Word | None]:
        return ("grade", self._label(label))

    def veto_cap(self, meta: Any, label: Token) -> tuple[str, ast.Word | None]:
        return ("cap", self._label(label))

    def veto_zero(self, meta: Any, code: Token) -> tuple[str, ast.Word | None]:
        return ("zero", self._word(code))

    def veto_disqualify(self, meta: Any) -> tuple[str, ast.Word | None]:
        return ("disqualify", None)

    def _opt_string(self, token: Token | None) -> ast.String | None:
        return self._string(token) if token is not None else None

    def grades(self, meta: Any, *grades: ast.Grade) -> ast.Setting:
        return ast.Setting("grades", tuple(grades), self._span(meta))

    def grade_from(self, meta: Any, label: Token, _ge: Token, lower: Token) -> ast.Grade:
        return ast.Grade(self._label(label), self._number(lower), self._span(meta))

    def grade_else(self, meta: Any, label: Token) -> ast.Grade:
        return ast.Grade(self._label(label), None, self._span(meta))

    def _label(self, token: Token) -> ast.Word:
        if token.type == "STRING":
            return ast.Word(self._string(token).value, self._tok(token))
        return self._word(token)

    def period(self, meta: Any, start: Token, end: Token) -> ast.Setting:
        node = ast.Period(self._date(start), self._date(end), self._span(meta))
        return ast.Setting("period", node, self._span(meta))

    def fact(
        self,
        meta: Any,
        name: Token,
        type_: Token,
        fields: tuple[ast.FactDecl | ast.LetDecl, ...] | None,
        *options: tuple[str, Any, Span],
    ) -> ast.FactDecl:
        decl = self.field_decl(meta, name, type_, *options)
        return record.replace(decl, fields=fields) if fields else decl

    def record_fields(self, meta: Any, *fields: ast.FactDecl | ast.LetDecl) -> tuple[Any, ...]:
        return fields

    def field_let(self, meta: Any, name: Token, type_: Token, expr: ast.Expr) -> ast.LetDecl:
        return ast.LetDecl(self._word(name), self._word(type_), expr, self._span(meta))

    def field_decl(
        self, meta: Any, name: Token, type_: Token, *options: tuple[str, Any, Span]
    ) -> ast.FactDecl:
        opts: dict[str, Any] = {}
        for key, value, span in options:
            if key in opts:
                raise JixiaoError(
                    [
                        error(
                            "E105",
                            f"`{key}` is given twice for fact `{name}`",
                            Label(span, "second time here"),
                            help=f"keep one `{key}`",
                        )
                    ]
                )
            opts[key] = value
        return ast.FactDecl(
            self._word(name),
            self._word(type_),
            opts.get("unit"),
            opts.get("label"),
            opts.get("default"),
            self._span(meta),
            bool(opts.get("nonzero")),
            bool(opts.get("shared")),
            opts.get("min"),
            opts.get("max"),
            opts.get("choices", ()),
            bool(opts.get("fixed")),
        )

    def choices(self, meta: Any, _open: Token, *items: Token) -> tuple[str, Any, Span]:
        return ("choices", tuple(self._string(t) for t in items[:-1]), self._span(meta))

    def nonzero(self, meta: Any, _token: Token) -> tuple[str, Any, Span]:
        return ("nonzero", True, self._span(meta))

    def shared(self, meta: Any) -> tuple[str, Any, Span]:
        return ("shared", True, self._span(meta))

    def fixed(self, meta: Any) -> tuple[str, Any, Span]:
        return ("fixed", True, self._span(meta))

    def unit(self, meta: Any, value: Token) -> tuple[str, Any, Span]:
        return ("unit", self._string(value), self._span(meta))

    def label(self, meta: Any, value: Token) -> tuple[str, Any, Span]:
        return ("label", self._string(value), self._span(meta))

    def default(self, meta: Any, value: ast.Literal) -> tuple[str, Any, Span]:
        return ("default", value, self._span(meta))

    def fact_min(self, meta: Any, value: ast.Literal) -> tuple[str, Any, Span]:
        return ("min", value, self._span(meta))

    def fact_max(self, meta: Any, value: ast.Literal) -> tuple[str, Any, Span]:
        return ("max", value, self._span(meta))

    def let(self, meta: Any, name: Token, type_: Token | None, expr: ast.Expr) -> ast.LetDecl:
        return ast.LetDecl(
            self._word(name), self._word(type_) if type_ else None, expr, self._span(meta)
        )

    def indicator(
        self, meta: Any, code: Token, name: Token, weight: Token, scale: Token | None, *body: Any
    ) -> ast.Indicator:
        children = tuple(b for b in body if isinstance(b, ast.Indicator))
        overrides = tuple(b for b in body if isinstance(b, ast.ParamOverride))
        rules = tuple(b for b in body if not isinstance(b, ast.Indicator | ast.ParamOverride))
        return ast.Indicator(
            self._word(code),
            self._string(name),
            self._number(weight),
            self._number(scale) if scale is not None else None,
            children,
            rules,
            self._span(meta),
            overrides,
        )

    def override(
        self, meta: Any, name: Token, type_: Token | None, value: ast.Literal
    ) -> ast.ParamOverride:
        kind = self._word(type_) if type_ is not None else None
        return ast.ParamOverride(self._word(name), kind, value, self._span(meta))

    # --- rules
    def full_when(self, meta: Any, cond: ast.Expr, otherwise: Any) -> ast.FullWhen:
        return ast.FullWhen(cond, otherwise, self._span(meta))

    def proportional(self, meta: Any, rate: ast.Expr) -> ast.Proportional:
        return ast.Proportional(rate, self._span(meta))

    def reverse(
        self, meta: Any, actual: ast.Expr, target: ast.Expr, linear: Token | None
    ) -> ast.Reverse:
        return ast.Reverse(actual, target, linear is not None, self._span(meta))

    def tiers(self, meta: Any, subject: ast.Expr, *bands: ast.Band) -> ast.Tiers:
        return ast.Tiers(subject, bands, self._span(meta))

    def band_cmp(self, meta: Any, op: Token, value: ast.Expr, award: ast.Award) -> ast.Band:
        o = _op(op)
        span = self._span(meta)
        if o in (">=", ">"):
            return ast.Band(ast.Bound(value, o == ">=", span), None, award, span)
        if o in ("<=", "<"):
            return ast.Band(None, ast.Bound(value, o == "<=", span), award, span)
        # `== x` is the closed point interval [x, x]; `!=` has no interval form.
        if o == "==":
            return ast.Band(ast.Bound(value, True, span), ast.Bound(value, True, span), award, span)
        raise JixiaoError(
            [
                error(
                    "E106",
                    "a tier band cannot use `!=`",
                    Label(self._tok(op)),
                    help="write the band as `< x` and `> x` rows, or use `else`",
                )
            ]
        )

    def band_range(self, meta: Any, *parts: Any) -> ast.Band:
        tokens = [p for p in parts if isinstance(p, Token)]
        values = [p for p in parts if not isinstance(p, Token)]
        lower, upper, award = values
        lower_closed = any(t.type == "LBRACKET" for t in tokens) and isinstance(parts[0], Token)
        upper_closed = any(t.type == "RBRACKET" for t in tokens)
        span = self._span(meta)
        return ast.Band(
            ast.Bound(lower, lower_closed, span), ast.Bound(upper, upper_closed, span), award, span
        )

    def band_else(self, meta: Any, award: ast.Award) -> ast.Band:
        return ast.Band(None, None, award, self._span(meta))

    def forward(self, meta: Any, actual: ast.Expr, target: ast.Expr) -> ast.Forward:
        return ast.Forward(actual, target, self._span(meta))

    def equal(self, meta: Any, actual: ast.Expr, target: ast.Expr) -> ast.Equal:
        return ast.Equal(actual, target, self._span(meta))

    def interval(self, meta: Any, *parts: Any) -> ast.Interval:
        tokens = [p for p in parts if isinstance(p, Token)]
        lower, upper = [p for p in parts if not isinstance(p, Token)]
        span = self._span(meta)
        lower_closed = isinstance(parts[0], Token) and parts[0].type == "LBRACKET"
        upper_closed = any(t.type == "RBRACKET" for t in tokens)
        return ast.Interval(
            ast.Bound(lower, lower_closed, span), ast.Bound(upper, upper_closed, span), span
        )

    def level_range(
        self, meta: Any, subject: ast.Expr, score: ast.Expr | ast.Panel, *levels: ast.LevelInterval
    ) -> ast.LevelRange:
        return ast.LevelRange(subject, score, levels, self._span(meta))

    def level_interval(self, meta: Any, label: Token, interval: ast.Interval) -> ast.LevelInterval:
        return ast.LevelInterval(self._string(label).value, interval, self._span(meta))

    def checklist(self, meta: Any, *items: Any) -> ast.Checklist:
        bases = [i for i in items if not isinstance(i, ast.CheckItem)]
        if len(bases) > 1:
            raise JixiaoError(
                [
                    error(
                        "E107",
                        "a checklist has one `base`",
                        Label(bases[1].span, "second base"),
                        help="add the base shares together",
                    )
                ]
            )
        checks = tuple(i for i in items if isinstance(i, ast.CheckItem))
        return ast.Checklist(bases[0] if bases else None, checks, self._span(meta))

    def check_base(self, meta: Any, award: ast.Award) -> ast.Award:
        return award

    def check_item(
        self, meta: Any, award: ast.Award, cond: ast.Expr, reason: Token | None
    ) -> ast.CheckItem:
        return ast.CheckItem(award, cond, self._opt_string(reason), self._span(meta))

    def choose(self, meta: Any, *choices: ast.Choice) -> ast.Choose:
        for i, choice in enumerate(choices):
            if choice.cond is None and i != len(choices) - 1:
                raise JixiaoError(
                    [
                        error(
                            "E108",
                            "`else` must be the last branch of `choose`",
                            Label(choice.span, "not last"),
                            help="move the `else` branch to the end",
                        )
                    ]
                )
        return ast.Choose(choices, self._span(meta))

    def choice_when(self, meta: Any, cond: ast.Expr, then: Any) -> ast.Choice:
        return ast.Choice(cond, then, self._span(meta))

    def choice_else(self, meta: Any, then: Any) -> ast.Choice:
        return ast.Choice(None, then, self._span(meta))

    def call_rule(self, meta: Any, name: Token, *args: ast.Expr | None) -> ast.CallRule:
        actual = tuple(a for a in args if a is not None)
        return ast.CallRule(str(name), actual, self._span(meta), self._tok(name))

    def distinct(self, meta: Any, field: Token | None) -> ast.Distinct:
        return ast.Distinct(self._opt_string(field), self._span(meta))

    def limit(self, meta: Any, value: ast.Expr) -> ast.Expr:
        return value

    def deduct_by(self, meta: Any, subject: ast.Expr, field: Token, *rest: Any) -> ast.DeductBy:
        *rows, cap, reason = rest
        return ast.DeductBy(
            subject,
            self._string(field),
            tuple(rows),
            cap,
            self._opt_string(reason),
            self._span(meta),
        )

    def by_row(self, meta: Any, label: Token, amount: ast.Award, cap: ast.Expr | None) -> ast.ByRow:
        return ast.ByRow(self._string(label).value, amount, cap, self._span(meta))

    def deduct_step(
        self,
        meta: Any,
        amount: ast.Award,
        step: ast.Expr,
        shortfall: ast.Expr,
        mode: Token,
        cap: ast.Expr | None,
        reason: Token | None,
    ) -> ast.DeductStep:
        return ast.DeductStep(
            amount, step, shortfall, str(mode), cap, self._opt_string(reason), self._span(meta)
        )

    def deduct_judged(
        self, meta: Any, subject: ast.Expr, interval: ast.Interval, reason: Token | None
    ) -> ast.DeductJudged:
        return ast.DeductJudged(subject, interval, self._opt_string(reason), self._span(meta))

    def na(self, meta: Any, word: Token) -> ast.NaPolicy:
        return ast.NaPolicy(self._word(word), self._span(meta))

    def levels(self, meta: Any, subject: ast.Expr, *levels: ast.Level) -> ast.Levels:
        return ast.Levels(subject, levels, self._span(meta))

    def level(self, meta: Any, label: Token, award: ast.Award) -> ast.Level:
        return ast.Level(self._string(label).value, award, self._span(meta))

    def deduct_per(
        self,
        meta: Any,
        amount: ast.Award,
        subject: ast.Expr,
        distinct: ast.Distinct | None,
        cap: ast.Expr | None,
        reason: Token | None,
    ) -> ast.DeductPer:
        return ast.DeductPer(
            amount, subject, distinct, cap, self._opt_string(reason), self._span(meta)
        )

    def deduct_when(
        self, meta: Any, amount: ast.Award, cond: ast.Expr, reason: Token | None
    ) -> ast.DeductWhen:
        return ast.DeductWhen(
            amount, cond, self._string(reason) if reason else None, self._span(meta)
        )

    def panel(
        self, meta: Any, subject: Token, mode: Token, scale: Token | None, least: Token | None
    ) -> ast.Panel:
        name = ast.Name(str(subject), self._tok(subject))
        count = self._number(least) if least is not None else None
        of = self._number(scale) if scale is not None else None
        return ast.Panel(name, self._word(mode), count, self._span(meta), of)

    def dispatch(self, meta: Any, subject: ast.Expr, *branches: ast.DispatchBranch) -> ast.Dispatch:
        return ast.Dispatch(subject, branches, self._span(meta))

    def dispatch_when(self, meta: Any, *parts: Any) -> ast.DispatchBranch:
        *labels, then = parts
        return ast.DispatchBranch(
            tuple(self._string(label) for label in labels), then, self._span(meta)
        )

    def dispatch_else(self, meta: Any, then: Any) -> ast.DispatchBranch:
        return ast.DispatchBranch((), then, self._span(meta))

    def unless(self, meta: Any, rule: Any, cond: ast.Expr, reason: Token) -> ast.Unless:
        return ast.Unless(rule, cond, self._string(reason), self._span(meta))

    def zero_when(self, meta: Any, cond: ast.Expr, reason: Token | None) -> ast.ZeroWhen:
        return ast.ZeroWhen(cond, self._string(reason) if reason else None, self._span(meta))

    def warn_when(self, meta: Any, cond: ast.Expr, message: Token) -> ast.WarnWhen:
        return ast.WarnWhen(cond, self._string(message), self._span(meta))

    def award_full(self, meta: Any) -> ast.Full:
        return ast.Full(self._span(meta))

    def award_expr(self, meta: Any, expr: ast.Expr) -> ast.Award:
        # A literal number is points and a literal percent a share of the weight; anything
        # else (a parameter, a product) is decided by its type in the checker.
        if isinstance(expr, ast.Number) and expr.unit is None:
            return ast.Points(expr.value, expr.span)  # `5个` is no points: the checker says so
        if isinstance(expr, ast.Percent):
            return ast.Share(expr.value, expr.span)
        return ast.AwardExpr(expr, self._span(meta))

    # --- expressions
    def if_expr(self, meta: Any, cond: ast.Expr, then: ast.Expr, other: ast.Expr) -> ast.If:
        return ast.If(cond, then, other, self._span(meta))

    def or_op(self, meta: Any, left: ast.Expr, right: ast.Expr) -> ast.Logic:
        return ast.Logic("or", left, right, self._span(meta))

    def and_op(self, meta: Any, left: ast.Expr, right: ast.Expr) -> ast.Logic:
        return ast.Logic("and", left, right, self._span(meta))

    def not_op(self, meta: Any, operand: ast.Expr) -> ast.Not:
        return ast.Not(operand, self._span(meta))

    def compare(self, meta: Any, left: ast.Expr, op: Token, right: ast.Expr) -> ast.Compare:
        return ast.Compare(_op(op), left, right, self._span(meta))

    def arith(self, meta: Any, left: ast.Expr, op: Token, right: ast.Expr) -> ast.Arith:
        return ast.Arith(_op(op), left, right, self._span(meta))

    def neg(self, meta: Any, _minus: Token, operand: ast.Expr) -> ast.Expr:
        return ast.Neg(operand, self._span(meta))

    def name(self, meta: Any, token: Token) -> ast.Name:
        return ast.Name(str(token), self._span(meta))

    def call(self, meta: Any, func: Token, *args: ast.Expr | None) -> ast.Call:
        actual = tuple(a for a in args if a is not None)
        return ast.Call(str(func), actual, self._span(meta), self._tok(func))

    def aggregate(
        self, meta: Any, func: Token, records: Token, _dot: Token, field: Token, where: Any
    ) -> ast.Aggregate:
        return ast.Aggregate(
            str(func),
            ast.Name(str(records), self._tok(records)),
            self._word(field),
            None,
            where,
            self._span(meta),
        )

    def aggregate_rows(self, meta: Any, func: Token, records: Token, where: Any) -> ast.Aggregate:
        names = ast.Name(str(records), self._tok(records))
        return ast.Aggregate(str(func), names, None, None, where, self._span(meta))

    def weighted_mean(
        self, meta: Any, records: Token, _dot: Token, field: Token, weight: Token, where: Any
    ) -> ast.Aggregate:
        return ast.Aggregate(
            "weighted mean",
            ast.Name(str(records), self._tok(records)),
            self._word(field),
            self._word(weight),
            where,
            self._span(meta),
        )

    def agg_where(self, meta: Any, cond: ast.Expr) -> ast.Expr:
        return cond

    def number(self, meta: Any, token: Token) -> ast.Number:
        return self._number(token)

    def negative_number(self, meta: Any, _minus: Token, token: Token) -> ast.Number:
        return ast.Number(-self._decimal(token), self._span(meta))

    def quantity(self, meta: Any, token: Token) -> ast.Number:
        number, unit = _split_quantity(token)
        return ast.Number(self._decimal(number), self._tok(token), unit)

    def negative_quantity(self, meta: Any, _minus: Token, token: Token) -> ast.Number:
        number, unit = _split_quantity(token)
        return ast.Number(-self._decimal(number), self._span(meta), unit)

    def percent(self, meta: Any, token: Token) -> ast.Percent:
        return ast.Percent(self._decimal(token) / 100, self._tok(token))

    def negative_percent(self, meta: Any, _minus: Token, token: Token) -> ast.Percent:
        return ast.Percent(-self._decimal(token) / 100, self._span(meta))

    def string(self, meta: Any, token: Token) -> ast.String:
        return self._string(token)

    def true(self, meta: Any) -> ast.Bool:
        return ast.Bool(True, self._span(meta))

    def false(self, meta: Any) -> ast.Bool:
        return ast.Bool(False, self._span(meta))

    def date(self, meta: Any, token: Token) -> ast.Date:
        return self._date(token)

    def empty_list(self, meta: Any, _l: Token, _r: Token) -> ast.EmptyList:
        return ast.EmptyList(self._span(meta))

    def _number(self, token: Token) -> ast.Number:
        return ast.Number(self._decimal(token), self._tok(token))

    def _decimal(self, token: Token) -> Decimal:
        text = str(token).rstrip("%％")
        digits = len(text.replace(".", ""))
        if digits > ast.MAX_DIGITS:
            raise JixiaoError(
                [
                    error(
                        "E110",
                        f"a number of {digits} digits; at most {ast.MAX_DIGITS} are allowed",
                        Label(self._tok(token), "too long"),
                        help="check for a slip of the keyboard: points, rates and amounts "
                        "in 元 need far fewer digits",
                    )
                ]
            )
        return Decimal(text)

    def _date(self, token: Token) -> ast.Date:
        try:
            value = dt.date.fromisoformat(str(token))
        except ValueError:
            raise JixiaoError(
                [
                    error(
                        "E104",
                        f"`{token}` is not a calendar date",
                        Label(self._tok(token), "no such day"),
                        help="write dates as YYYY-MM-DD, e.g. 2017-12-31",
                    )
                ]
            ) from None
        return ast.Date(value, self._tok(token))


def _split_quantity(token: Token) -> tuple[Token, str]:
    """`50万元` → (`50`, `万元`): the number keeps the token's place for E110."""
    text = str(token)
    end = len(text) - len(text.lstrip("0123456789."))
    return Token.new_borrow_pos("NUMBER", text[:end], token), text[end:].strip()


# ----- syntax errors in words ----------------------------------------------------------------

_WORDS = {
    "NAME": "a name",
    "CODE": "an indicator code such as `A1.2`",
    "STRING": 'a quoted text `"…"`',
    "NUMBER": "a number",
    "PERCENT": "a percentage such as `85%`",
    "QUANTITY": "a number",  # with its unit (`50万元`): where one goes, so does the other
    "DATE": "a date (YYYY-MM-DD)",
    "GE": "`>=`",
    "LE": "`<=`",
    "GT": "`>`",
    "LT": "`<`",
    "EQ": "`==`",
    "NE": "`!=`",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "LBRACKET": "`[`",
    "RBRACKET": "`]`",
    "_LPAR": "`(`",
    "_RPAR": "`)`",
    "_COLON": "`:`",
    "_COMMA": "`,`",
    "_SEMI": "`;`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "EQUAL": "`=`",
    "LINEAR": "`linear`",
    "$END": "the end of the file",
    "DOT": "`.`",  # `sum(记录.金额)`: the character, not the word "dot"
}

# Operators from spreadsheets and programming languages, and the words Chinese standards join
# conditions with: the DSL spells them `and`, `or`, `not`.
_OTHER_LANGUAGES = {
    "&": "conditions join with `and` (not `&` or `&&`)",
    "|": "conditions join with `or` (not `|` or `||`)",
    "!": "negate with `not` (not `!`); `!=` means 'differs from'",
}
_CONNECTIVES = {
    "且": "and",
    "并且": "and",
    "而且": "and",
    "和": "and",
    "与": "and",
    "或": "or",
    "或者": "or",
    "非": "not",
    "否则": "else",
}
# Stock phrases of 评分标准 that the DSL states otherwise.
_PHRASES = {
    "扣完为止": "every `deduct` already stops at zero (扣完为止); remove the phrase, or write "
    "`max N` before the reason to stop after N points",
    "为止": "every `deduct` already stops at zero (扣完为止); remove the phrase",
}


def _full_then_when(text: str, i: int) -> bool:
    """Whether offset `i` is on a line starting `when` right after a line ending in `full`."""
    line_start = text.rfind("\n", 0, i) + 1
    before = text[:line_start].rstrip()
    return (
        text[line_start:i].lstrip().startswith("when") and re.search(r"\bfull$", before) is not None
    )


def _clause_of(text: str, i: int) -> str:
    """The clause text from its start (after the last `{`, `;` or line break) up to offset `i`."""
    start = max(text.rfind(c, 0, i) for c in "{;\n") + 1
    return text[start:i].strip()


def _word_before(text: str, i: int) -> str:
    """The word just before offset `i` (after skipping spaces): what the parser took as a name."""
    j = i
    while j > 0 and text[j - 1] in " \t\r\n":
        j -= 1
    k = j
    while k > 0 and (text[k - 1].isalnum() or text[k - 1] == "_"):
        k -= 1
    return text[k:j]


# Characters an IME produces where the grammar needs another one.
_FULL_WIDTH = {
    "｛": "{",
    "｝": "}",
    "【": "[",
    "】": "]",
    "＝": "=",
    "。": ";",
    "、": ",",
    "＂": '"',
    "‘": '"',
    "’": '"',
    "！": "!",
    "＊": "*",
    "／": "/",
    "．": ".",
    "＃": "#",
}


def _describe(name: str) -> str:
    if name in _WORDS:
        return _WORDS[name]
    terminal = next((t for t in _lark().terminals if t.name == name), None)
    if terminal is not None and terminal.pattern.type == "str":
        return f"`{terminal.pattern.value}`"
    return name.lower()


def _expected(names: set[str] | frozenset[str] | None) -> str:
    words = sorted({_describe(n) for n in (names or ()) if n != "COMMENT"})
    if not words:
        return "nothing more"
    if len(words) > 8:
        return ", ".join(words[:8]) + f" or one of {len(words) - 8} more"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _unexpected(token: Token) -> str:
    """`unexpected word `x``: what the token is, in one word, then the token as written; each
    kind its own sentence, so that the catalogue translates it whole."""
    if re.fullmatch(r"\d+(\.\d+)?", str(token)) or token.type in ("NUMBER", "QUANTITY"):
        return f"unexpected number `{token}`"
    if token.type in ("NAME", "CODE"):
        return f"unexpected word `{token}`"
    if token.type == "STRING":
        return f"unexpected text `{token}`"
    if token.type == "PERCENT":
        return f"unexpected percentage `{token}`"
    if token.type == "DATE":
        return f"unexpected date `{token}`"
    return f"unexpected `{token}`"


def _scan(text: str) -> Iterator[tuple[str, int, int]]:
    """Walk a pack's text as the lexer sees it: ("comment" | "char", start, end), strings
    skipped whole (a `#` inside a reason is not a comment)."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in ('"', "“"):
            close = "”" if ch == "“" else '"'
            j = i + 1
            while j < len(text) and text[j] not in (close, "\n"):
                j += 2 if ch == '"' and text[j] == "\\" else 1
            i = j + 1
            continue
        if ch == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end == -1 else end
            yield ("comment", i, end)
            i = end
            continue
        yield ("char", i, i + 1)
        i += 1


def comments_in(source: Source) -> tuple[ast.Comment, ...]:
    text = source.text
    out = []
    for kind, start, end in _scan(text):
        if kind == "comment":
            line_start = text.rfind("\n", 0, start) + 1
            own = not text[line_start:start].strip()
            out.append(ast.Comment(text[start:end].rstrip(), own, Span(source, start, end)))
    return tuple(out)


_TOP = (
    "pack",
    "fact",
    "param",
    "let",
    "function",
    "indicator",
    "bonus",
    "penalty",
    "veto",
    "survey",
)


def _every_syntax_error(source: Source, first: UnexpectedInput) -> list[Diagnostic]:
    """All syntax errors of a file, not only the first: each top-level item (a line starting
    with `fact`, `indicator`, … outside any braces) is parsed on its own, the rest of the text
    blanked so positions stay true, and each broken item reports its first error."""
    text = source.text
    starts = [0]
    depth = 0
    for kind, i, _ in _scan(text):
        if kind != "char":
            continue
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif (
            depth == 0
            and (i == 0 or text[i - 1] == "\n")
            and any(
                text.startswith(k, i) and not (text[i + len(k) : i + len(k) + 1].isidentifier())
                for k in _TOP
            )
        ):
            starts.append(i)
    starts = [*sorted(set(starts)), len(text)]
    found: dict[tuple[str, int], Diagnostic] = {}
    for a, b in itertools.pairwise(starts):
        try:
            _lark().parse(text[a:b])
        except UnexpectedInput as exc:
            diag = _shifted(source, exc, a, b)
            found.setdefault((diag.code, diag.labels[0].span.start if diag.labels else -1), diag)
    if not found:
        return [_syntax_diagnostic(source, first)]
    return list(found.values())


def _shifted(source: Source, exc: UnexpectedInput, a: int, b: int) -> Diagnostic:
    """The diagnostic of an error found in text[a:b], placed in the whole source."""
    token = getattr(exc, "token", None)
    at_end = isinstance(exc, UnexpectedEOF) or (token is not None and token.type == "$END")
    if at_end and b < len(source.text):
        end = len(source.text[a:b].rstrip()) + a
        return error(
            "E103",
            "this item ends too early",
            Label(Span(source, max(a, end - 1), max(end, a + 1)), "it ends here"),
            help="is a `}` or a value missing?",
        )
    if isinstance(exc, UnexpectedCharacters):
        exc.pos_in_stream = (exc.pos_in_stream or 0) + a  # type: ignore[assignment]
    elif token is not None and token.type != "$END":
        token.start_pos = (token.start_pos or 0) + a
        token.end_pos = (token.end_pos or 0) + a
    return _syntax_diagnostic(source, exc)


def _unclosed_brace(source: Source) -> Label | None:
    """The `{` that no `}` closes, skipping strings and comments: where to look.

    Braces pair innermost-first, so counting alone blames the outermost block when an inner one
    lost its `}`. Indentation says more: the first `}` that closes a `{` opened on a more
    indented line (as rustc notes) marks the block that was really left open.
    """
    stack: list[tuple[int, int]] = []
    text = source.text
    suspect: int | None = None
    for kind, i, _ in _scan(text):
        if kind != "char":
            continue
        if text[i] == "{":
            stack.append((i, _indent(text, i)))
        elif text[i] == "}" and stack:
            start, indent = stack.pop()
            line_start = text.rfind("\n", 0, i) + 1
            closes_alone = not text[line_start:i].strip()
            if suspect is None and closes_alone and i - line_start < indent:
                suspect = start
    if not stack:
        return None
    where = suspect if suspect is not None else stack[-1][0]
    return Label(Span(source, where, where + 1), "this `{` is never closed")


def _indent(text: str, i: int) -> int:
    line_start = text.rfind("\n", 0, i) + 1
    line = text[line_start:i]
    return len(line) - len(line.lstrip(" \t"))


def _eof(source: Source, expected: str) -> Diagnostic:
    end = len(source.text.rstrip())
    labels = [Label(Span(source, max(0, end - 1), max(end, 1)), "the file ends here")]
    brace = _unclosed_brace(source)
    if brace is not None:
        labels.append(brace)
    return error(
        "E103",
        "the pack ends too early",
        *labels,
        help=f"expected {expected}; add the missing `}}`" if brace else f"expected {expected}",
    )


def _syntax_diagnostic(source: Source, exc: UnexpectedInput) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        ch = source.text[pos] if pos < len(source.text) else ""
        span = Span(source, pos, pos + 1)
        help_text = None
        repairs: tuple[Fix, ...] = ()
        if ch in _FULL_WIDTH:
            help_text = f"`{ch}` is a full-width character; write `{_FULL_WIDTH[ch]}` instead"
            repairs = (Fix(span, _FULL_WIDTH[ch], f"write `{_FULL_WIDTH[ch]}`"),)
        elif ch == '"' or ch == "“":
            help_text = "a text must close on the same line it opens"
        elif ch in _OTHER_LANGUAGES:
            help_text = _OTHER_LANGUAGES[ch]
        elif ch in "%％" and pos and source.text[pos - 1] in " \t":
            help_text = "write a percentage without a space: `85%`"
            blank = pos - (len(source.text[:pos]) - len(source.text[:pos].rstrip(" \t")))
            repairs = (Fix(Span(source, blank, pos), "", "remove the space"),)
        else:
            help_text = f"expected {_expected(exc.allowed)} here"
        made = error(
            "E101", f"unexpected character `{ch}`", Label(span, "not allowed here"), help=help_text
        )
        return record.replace(made, fixes=repairs) if repairs else made
    if isinstance(exc, UnexpectedEOF):
        return _eof(source, _expected(set(exc.expected)))
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    if token.type == "$END":
        return _eof(source, _expected(exc.expected))
    start = token.start_pos or 0
    span = Span(source, start, token.end_pos or start + len(str(token)))
    expected = exc.expected
    help_text = f"expected {_expected(expected)}"
    fixes: tuple[Fix, ...] = ()
    before = _word_before(source.text, start)
    if (
        token.type == "NAME"
        and str(token).startswith("分")
        and start
        and source.text[start - 1].isdigit()
    ):
        help_text = (
            "write points as a plain number, `10` not `10分`: weights and awards are "
            "always in points"
        )
    elif token.type == "NAME" and "CODE" in expected:
        help_text = (
            "an indicator code starts with a Latin letter, e.g. `A1.2`, then its name in quotes"
        )
    elif (before == "param" and token.type == "NAME") or str(token) == "param":
        # `param 达成线 = 95%` where only an indicator body or the pack's top level takes it
        help_text = (
            "a parameter is declared at the top of the pack (`param 达成线: percent = 90%`) and "
            "may take its own value inside an indicator (`param 达成线 = 95%`); a function "
            "reads the value of the indicator that calls it, a bonus or penalty section the "
            "pack's"
        )
    elif before in _PHRASES:
        help_text = _PHRASES[before]
    elif token.type == "_COLON" and _full_then_when(source.text, start):
        help_text = (
            "the branch above ends in `full` and this line starts with `when`, so the two read "
            "as one `full when …`: end the branch with `;` (`when …: full;`)"
        )
    elif before in ("deduct", "zero", "warn") and "NAME" not in expected:
        # `deduct` read as a name: a clause where only points may stand (a `choose` branch,
        # the `else` of `full when`, a band)
        help_text = (
            f"a branch gives points and cannot hold a `{before}` clause: write the clause "
            "beside the `choose` and make its amount depend on the branch, e.g. "
            '`deduct (if 类别 == "培训" then 1 else 0) per 问题`'
        )
    elif str(token) == "when" and re.match(r"deduct\b.*\bper\b", _clause_of(source.text, start)):
        step = re.search(r"\b(whole|started|continuous)\b", _clause_of(source.text, start))
        example = (
            "deduct (if 政策调整 then 0 else 1) per 5% of 偏差 whole max 10"
            if step
            else "deduct (if 已整改 then 0 else 0.5) per 问题"
        )
        help_text = (
            "`deduct … per …` takes no `when`; to exempt a case, make its amount "
            f"conditional: `{example}`"
        )
    elif "ELSE" in expected and "GE" in expected and token.type in ("RBRACE", "_SEMI"):
        help_text = "each grade has a lower bound, the lowest takes `else`: `优 >= 90; … 差 else`"
        end = len(source.text[:start].rstrip(" \t\r\n"))
        if token.type == "RBRACE" and before:  # the last grade: it is the `else` one
            fixes = (Fix(Span(source, end, end), " else", f"make `{before}` the `else` grade"),)
    elif token.type == "_COMMA" and "_SEMI" in expected:
        help_text = "separate bands and clauses with `;` or a new line, not `,`"
        fixes = (Fix(span, ";", "write `;`"),)
    elif before == "max" and source.text[:start].rstrip()[: -len("max")].rstrip().endswith('"'):
        help_text = 'a clause\'s `max` comes before its reason: `deduct 0.5 per 问题 max 2 "…"`'
    elif before in _CONNECTIVES and "NAME" not in expected:
        help_text = f"write `{_CONNECTIVES[before]}` for `{before}`" + (
            "" if before == "否则" else ": conditions join with `and`, `or`, `not`"
        )
        end = len(source.text[:start].rstrip(" \t\r\n"))
        if source.text[end - len(before) : end] == before:
            word = Span(source, end - len(before), end)
            fixes = (Fix(word, _CONNECTIVES[before], f"write `{_CONNECTIVES[before]}`"),)
    elif token.type == "EQUAL" and "EQ" in expected:
        fixes = (Fix(span, "==", "compare with `==`"),)
        help_text = (
            "to compare, write `==` (as in `目标 == 0`); "
            "a single `=` only gives a `let` or `param` its value"
        )
    elif re.fullmatch(r"\d+(\.\d+)?", str(token)) and "STRING" in expected:
        help_text = (
            'the indicator name comes before its weight, in quotes: `indicator A1 "名称" 2 { … }`'
        )
    made = error("E102", _unexpected(token), Label(span, "not expected here"), help=help_text)
    return record.replace(made, fixes=fixes) if fixes else made
