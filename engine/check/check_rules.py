"""Checking the scoring rules of one indicator (or a bonus or penalty section).

A mixin of the checker: it needs the checker's `infer` and `expect_bool` and adds what is
common to rules — one base rule per leaf, awards that are points (a number) or a share of the
weight (a percent) and never more than the weight, caps, ranges, signs, placeholders. What each
form checks of its own is its `check` hook (see `engine.forms`), handed this checker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Span

from ..common import messages as msg
from ..common.types import DIMENSIONLESS, Kind
from ..forms import form_of

#: How many derived facts `fold` follows through to find a constant (a longer chain is not
#: folded: the sign check is then left to the evaluation's guard, E505).
FOLD_DEPTH = 32
#: `{item}`, and the near misses that would print as written too: `{ item }`, `｛item｝`.
_PLACEHOLDER = re.compile(r"[{｛]\s*(\w+)\s*[}｝]")


class RuleChecker:
    diags: list[Diagnostic]
    let_nodes: dict[str, ast.LetDecl]
    param_defaults: dict[str, Decimal]
    folded: dict[str, tuple[Decimal, str | None] | None]
    #: each choice fact's values and each declaration's place (the checker's; `by` reads them)
    choices: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    decl_spans: Mapping[str, Span] = MappingProxyType({})

    def infer(self, expr: ast.Expr) -> Kind | None:  # pragma: no cover - the checker's
        raise NotImplementedError

    def expect_bool(self, expr: ast.Expr, what: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def check_rules(self, code: str, weight: Decimal, rules: Sequence[ast.Rule]) -> None:
        base: ast.Rule | None = None
        for rule in rules:
            if isinstance(rule, ast.BASE_RULES):
                if base is not None:
                    self.diags.append(msg.two_base_rules(code, rule.span, base.span))
                base = rule
            self.check_rule(rule, code, weight)

    def check_rule(self, rule: ast.Clause, code: str, weight: Decimal) -> None:
        if isinstance(rule, ast.NaPolicy | ast.CallRule):
            return  # policies are read by the tree check; calls are already expanded
        form = form_of(rule)
        form.check(self, rule, code, weight)
        placeholders = form.reasons(self, rule)
        if placeholders is not None:
            self.check_reason(rule, *placeholders)

    def kind_of(self, expr: ast.Expr) -> Kind | None:
        """The kind the checker gave an expression (None: it is an error)."""
        return expr.kind

    def unique_labels(self, levels: Sequence[ast.Level | ast.LevelInterval | ast.ByRow]) -> None:
        """Each level (or severity) label once: a second `"达成"` could never be reached."""
        first: dict[str, Span] = {}
        for level in levels:
            if level.label in first:
                self.diags.append(msg.duplicate_level(level.label, level.span, first[level.label]))
            first.setdefault(level.label, level.span)

    def expect_text(self, subject: ast.Expr, form: str) -> None:
        kind = self.infer(subject)
        if kind is not None and kind is not Kind.TEXT:
            self.diags.append(
                msg.expected_kind(f"the subject of `{form}`", "text", kind, subject.span)
            )

    def expect_amount(self, expr: ast.Expr, what: str) -> None:
        """Points (a number) or a share of the weight (a percent)."""
        kind = self.infer(expr)
        if kind is not None and kind not in DIMENSIONLESS:
            self.diags.append(
                msg.expected_kind(what, "points (a number) or a share (a percent)", kind, expr.span)
            )

    def check_interval(self, interval: ast.Interval, what: str) -> None:
        for bound in (interval.lower, interval.upper):
            self.expect_amount(bound.value, what)
        lo = self.fold(interval.lower.value, FOLD_DEPTH)
        hi = self.fold(interval.upper.value, FOLD_DEPTH)
        both = interval.lower.inclusive and interval.upper.inclusive
        if lo is not None and hi is not None and (lo[0] > hi[0] or (lo[0] == hi[0] and not both)):
            # `within [2, 0.5]`, a level's `[80%, 60%)`: no amount or score is ever accepted
            why = f"no value lies in {interval.span.text}"
            self.diags.append(msg.condition_never(interval.span.text, why, interval.span))

    def check_award(self, award: ast.Award, code: str, weight: Decimal) -> None:
        if isinstance(award, ast.Points) and award.value > weight:
            self.diags.append(msg.award_above_weight(code, award.value, weight, award.span))
        self.check_amount(award)

    def check_amount(self, award: ast.Award, what: str = "the award") -> None:
        if isinstance(award, ast.Share) and award.value > 1:
            self.diags.append(msg.share_above_full(award.span))
        if isinstance(award, ast.AwardExpr):
            self.expect_amount(award.expr, "an award or deduction")
            self.check_sign(award.expr, what)
        elif isinstance(award, ast.Points | ast.Share) and award.value < 0:
            percent = isinstance(award, ast.Share)
            self.diags.append(msg.negative_amount(what, award.value, None, award.span, percent))

    def check_cap(self, cap: ast.Expr | None) -> None:
        if cap is not None:
            self.expect_amount(cap, "a `max`")
            self.check_sign(cap, "the `max`")

    def check_sign(self, expr: ast.Expr, what: str) -> None:
        """E430 when an amount is negative for certain: a constant, or reached through a
        parameter's default, a derived fact or an expanded function's argument."""
        folded = self.fold(expr, FOLD_DEPTH)
        if folded is not None and folded[0] < 0:
            percent = self.kind_of(expr) is Kind.PERCENT
            self.diags.append(msg.negative_amount(what, folded[0], folded[1], expr.span, percent))

    def fold(self, expr: ast.Expr, depth: int) -> tuple[Decimal, str | None] | None:
        """The value of an expression known before any evidence, with what it went through
        (a parameter's default may be overridden by the evidence, so it is named); None when
        it depends on the evidence. Follows at most `depth` derived facts."""
        match expr:
            case ast.Number(value) | ast.Percent(value):
                return value, None
            case ast.Neg(operand):
                inner = self.fold(operand, depth)
                return (-inner[0], inner[1]) if inner is not None else None
            case ast.Name(name) if name in self.param_defaults:
                param, _, code = name.partition("@")  # `达成线@B1`: B1's own value (common.own)
                if code:
                    return self.param_defaults[name], f"indicator `{code}`'s own `{param}`"
                return self.param_defaults[name], f"the default of parameter `{name}`"
            case ast.Name(name) if name in self.let_nodes and depth > 0:
                # each derived fact folded once: `let a2 = a1 * a1; let a3 = a2 * a2; …`
                # stays linear (a chain longer than `depth` is left unfolded, not an error)
                memo = self.folded
                if name not in memo:
                    memo[name] = None  # a cycle (E501) folds to nothing
                    inner = self.fold(self.let_nodes[name].expr, depth - 1)
                    if inner is not None:
                        memo[name] = (inner[0], inner[1] or f"derived fact `{name}`")
                folded: tuple[Decimal, str | None] | None = memo[name]
                return folded
            case ast.Arith(op, left, right):
                a = self.fold(left, depth)
                b = self.fold(right, depth) if a is not None else None
                if a is None or b is None or (op == "/" and not b[0]):
                    return None
                try:
                    value = {
                        "+": lambda: a[0] + b[0],
                        "-": lambda: a[0] - b[0],
                        "*": lambda: a[0] * b[0],
                        "/": lambda: a[0] / b[0],
                    }[op]()
                except ArithmeticError:
                    return None
                return value, a[1] or b[1]
            case ast.Call("min" | "max" | "abs" as func, args) if args:
                parts = [self.fold(arg, depth) for arg in args]
                if any(p is None for p in parts):
                    return None
                known = [p for p in parts if p is not None]
                values = [v for v, _ in known]
                value = abs(values[0]) if func == "abs" else (min if func == "min" else max)(values)
                return value, next((via for _, via in known if via), None)
            case _:
                return None  # any other expression reads the evidence, or is not a number

    def check_reason(
        self, rule: ast.Clause, available: tuple[str, ...], texts: tuple[ast.String, ...]
    ) -> None:
        """E435 for a `{placeholder}` the rule does not fill: it would be printed as written.
        `available`: the placeholders its form fills; `texts`: its words besides `reason`."""
        reasons = list(texts)
        reason = getattr(rule, "reason", None)
        if isinstance(reason, ast.String):
            reasons.append(reason)
        for text in reasons:
            self.check_placeholders(text, available)

    def check_placeholders(self, text: ast.String, available: tuple[str, ...]) -> None:
        raw = text.span.text
        for match in _PLACEHOLDER.finditer(text.value):
            name = match[1]
            if name in available and match[0] == f"{{{name}}}":
                continue
            at = raw.find(match[0])
            span = text.span
            if at >= 0:
                start = span.start + at
                span = Span(span.source, start, start + len(match[0]))
            self.diags.append(msg.unknown_placeholder(name, available, span))
