"""Checking the scoring rules of one indicator (or a bonus or penalty section).

A mixin of the checker: it needs the checker's `infer` and `expect_bool` and adds what is
particular to rules — one base rule per leaf, the kinds each rule form takes, awards that are
points (a number) or a share of the weight (a percent) and never more than the weight.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Span

from ..common import messages as msg
from ..common.types import DIMENSIONLESS, NUMERIC, Kind, comparable
from ..common.walk import constant_points

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
        self.check_form(rule, code, weight)
        self.check_reason(rule)

    def check_form(self, rule: ast.Clause, code: str, weight: Decimal) -> None:
        match rule:
            case ast.Full() | ast.Points() | ast.Share() | ast.AwardExpr():
                self.check_award(rule, code, weight)
            case ast.FullWhen(cond, otherwise):
                self.expect_bool(cond, "the condition of `full when`")
                if otherwise is not None:
                    self.check_rule(otherwise, code, weight)
            case ast.Proportional(rate):
                kind = self.infer(rate)
                if kind is not None and kind not in DIMENSIONLESS:
                    self.diags.append(
                        msg.expected_kind(
                            "the rate of `proportional`", "a percent or a ratio", kind, rate.span
                        )
                    )
            case (
                ast.Reverse(actual, target)
                | ast.Forward(actual, target)
                | ast.Equal(actual, target)
            ):
                self.check_pair(actual, target, rule.span)
            case ast.Tiers(subject, bands):
                self.check_tiers(subject, bands, code, weight)
            case ast.Levels(subject, levels):
                self.expect_text(subject, "levels")
                self.unique_labels(levels)
                for level in levels:
                    self.check_award(level.award, code, weight)
            case ast.LevelRange(subject, score, levels):
                self.expect_text(subject, "levels")
                self.expect_amount(score, "the evaluator's score")
                self.unique_labels(levels)
                for ranged in levels:
                    self.check_interval(ranged.interval, "a level's range")
                    self.check_sign(ranged.interval.lower.value, "the lower end of a level's range")
                    # points past the weight (`"达成": [80, 100]` on a weight of 10, meant as
                    # 80%–100%) would be capped at the weight: every score full marks
                    end = ranged.interval.upper.value
                    if isinstance(end, ast.Number) and end.value > weight:
                        self.diags.append(
                            msg.level_range_above_weight(code, end.value, weight, end.span)
                        )
            case ast.Checklist(base, items):
                if base is not None:
                    self.check_award(base, code, weight)
                for item in items:
                    self.check_award(item.award, code, weight)
                    self.expect_bool(item.cond, "a checklist element")
                constant = [constant_points(a, weight) for a in ([base] if base else [])]
                constant += [constant_points(i.award, weight) for i in items]
                if all(p is not None for p in constant):
                    total = sum((p for p in constant if p is not None), Decimal(0))
                    if total > weight:
                        self.diags.append(
                            msg.checklist_above_weight(code, total, weight, rule.span)
                        )
            case ast.Choose(choices):
                for choice in choices:
                    if choice.cond is not None:
                        self.expect_bool(choice.cond, "the condition of a `choose` branch")
                    self.check_rule(choice.then, code, weight)
            case ast.DeductPer(amount, subject, distinct, cap):
                kind = self.infer(subject)
                if kind is not None and kind not in (Kind.LIST, Kind.COUNT):
                    self.diags.append(
                        msg.expected_kind(
                            "the subject of `deduct … per`", "a list or a count", kind, subject.span
                        )
                    )
                if distinct is not None and kind is Kind.COUNT:
                    self.diags.append(msg.distinct_on_count(distinct.span))
                self.check_amount(amount, "the deduction")
                self.check_cap(cap)
            case ast.AddPer(amount, subject):
                kind = self.infer(subject)
                if kind is not None and kind not in (Kind.LIST, Kind.COUNT):
                    self.diags.append(
                        msg.expected_kind(
                            "the subject of `add … per`", "a list or a count", kind, subject.span
                        )
                    )
                self.check_amount(amount, "the bonus")
            case ast.DeductBy(subject, _, rows, cap):
                kind = self.infer(subject)
                if kind is not None and kind is not Kind.LIST:
                    self.diags.append(
                        msg.expected_kind(
                            "the subject of `deduct per … by`", "a list", kind, subject.span
                        )
                    )
                self.unique_labels(rows)
                for row in rows:
                    self.check_amount(row.amount, f"the deduction for `{row.label}`")
                    self.check_cap(row.max)
                self.check_cap(cap)
            case ast.DeductStep(amount, step, shortfall, _, cap):
                self.check_amount(amount, "the deduction per step")
                sk, fk = self.infer(step), self.infer(shortfall)
                self.check_sign(step, "the step")
                for expr, k in ((step, sk), (shortfall, fk)):
                    if k is not None and k not in NUMERIC:
                        self.diags.append(
                            msg.expected_kind(
                                "a step deduction's operand", "a number", k, expr.span
                            )
                        )
                if sk in NUMERIC and fk in NUMERIC and sk and fk and not comparable(sk, fk):
                    self.diags.append(msg.type_mismatch("per … of", sk, fk, rule.span))
                self.check_cap(cap)
            case ast.DeductJudged(subject, interval):
                kind = self.infer(subject)
                if kind is not None and kind is not Kind.JUDGEMENT:
                    self.diags.append(
                        msg.expected_kind(
                            "the subject of `deduct … within`",
                            "a judgement fact",
                            kind,
                            subject.span,
                        )
                    )
                self.check_interval(interval, "the range of a judgement")
                self.check_sign(interval.lower.value, "the lower end of the judgement's range")
            case ast.DeductWhen(amount, cond) | ast.AddWhen(amount, cond):
                self.expect_bool(cond, "the condition of a deduction or bonus")
                self.check_amount(
                    amount, "the bonus" if isinstance(rule, ast.AddWhen) else "the deduction"
                )
            case ast.ZeroWhen(cond):
                self.expect_bool(cond, "the condition of `zero when`")
            case ast.WarnWhen(cond):
                self.expect_bool(cond, "the condition of `warn when`")
            case ast.NaPolicy() | ast.CallRule():
                pass  # policies are read by the tree check; calls are already expanded
            case _:
                ast.assert_never(rule)

    def check_pair(self, actual: ast.Expr, target: ast.Expr, span: Span) -> None:
        ak, tk = self.infer(actual), self.infer(target)
        for expr, kind in ((actual, ak), (target, tk)):
            if kind is not None and kind not in NUMERIC:
                self.diags.append(
                    msg.expected_kind("an actual or target", "a number", kind, expr.span)
                )
        if ak in NUMERIC and tk in NUMERIC and ak and tk and not comparable(ak, tk):
            self.diags.append(msg.type_mismatch("target", ak, tk, span))

    def unique_labels(self, levels: Sequence[ast.Level | ast.LevelInterval | ast.ByRow]) -> None:
        """Each level (or severity) label once: a second `"达成"` could never be reached."""
        first: dict[str, Span] = {}
        for level in levels:
            if level.label in first:
                self.diags.append(msg.duplicate_level(level.label, level.span, first[level.label]))
            first.setdefault(level.label, level.span)

    def check_tiers(
        self, subject: ast.Expr, bands: tuple[ast.Band, ...], code: str, weight: Decimal
    ) -> None:
        kind = self.infer(subject)
        if kind is not None and kind not in NUMERIC and kind is not Kind.DATE:
            self.diags.append(
                msg.expected_kind(
                    "the subject of `tiers`", "a number, percent or date", kind, subject.span
                )
            )
            kind = None
        for band in bands:
            for bound in (band.lower, band.upper):
                if bound is None:
                    continue
                bk = self.infer(bound.value)
                if kind is not None and bk is not None and not comparable(kind, bk):
                    self.diags.append(msg.bound_mismatch(kind, bk, bound.value.span))
            self.check_award(band.award, code, weight)

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
            percent = expr.kind is Kind.PERCENT
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

    def check_reason(self, rule: ast.Clause) -> None:
        """E435 for a `{placeholder}` the rule does not fill: it would be printed as written."""
        reasons: list[ast.String] = []
        available: tuple[str, ...] = ()
        match rule:
            case ast.DeductPer(_, subject) | ast.AddPer(_, subject):
                kind = subject.kind
                if kind is None:
                    return  # its subject is already an error
                available = ("count",) if kind is Kind.COUNT else ("item",)
            case ast.DeductBy():
                available = ("item",)
            case ast.Checklist(_, items):
                reasons = [i.reason for i in items if i.reason is not None]
            case ast.WarnWhen(_, message):
                reasons = [message]
            case _:
                pass  # no placeholders to offer: only a `reason` below, checked against none
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
