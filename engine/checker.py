"""AST → checked Program, or every error found.

The checker resolves names, infers and checks the kind of every expression, applies the pack
settings' defaults and validates the indicator tree (weights add up exactly, codes are unique,
every leaf is scored by exactly one base rule). It never stops at the first error: a policy
author fixing a pack wants the whole list in one run. Cycles between derived facts are left to
`graph`, which sees the whole dependency structure.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic, has_errors
from jixiao.dsl.source import Source, Span

from . import messages as msg
from .ir import Derived, Fact, GradeBand, Indicator, Program, Settings
from .types import (
    DIMENSIONLESS,
    KIND_NAMES,
    NUMERIC,
    Kind,
    add_kind,
    assignable,
    comparable,
    div_kind,
    mul_kind,
)

ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "down": decimal.ROUND_DOWN,
    "truncate": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
}
FUNCTIONS = ("count", "min", "max", "abs")
NATIONAL_GRADES: tuple[GradeBand, ...] = (
    GradeBand("优", Decimal(90)),
    GradeBand("良", Decimal(80)),
    GradeBand("中", Decimal(60)),
    GradeBand("差", None),
)


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


def rule_exprs(rule: ast.Rule | ast.Award | None) -> Iterator[ast.Expr]:
    """The expressions a rule evaluates, including those of an `else` branch."""
    match rule:
        case ast.FullWhen(cond, otherwise):
            yield cond
            yield from rule_exprs(otherwise)
        case ast.Proportional(rate):
            yield rate
        case ast.Reverse(actual, target):
            yield actual
            yield target
        case ast.Tiers(subject) | ast.Levels(subject) | ast.DeductPer(_, subject):
            yield subject
        case ast.DeductWhen(_, cond) | ast.ZeroWhen(cond) | ast.WarnWhen(cond):
            yield cond
        case _:
            return


def _unique(names: Iterator[ast.Name]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.name for n in names))


def check(pack: ast.Pack, source: Source) -> tuple[Program | None, list[Diagnostic]]:
    """Check a parsed pack. Returns the program (None when there are errors) and diagnostics."""
    return _Checker(pack, source).run()


class _Checker:
    def __init__(self, pack: ast.Pack, source: Source) -> None:
        self.pack = pack
        self.source = source
        self.diags: list[Diagnostic] = []
        self.kinds: dict[str, Kind] = {}
        self.decl_spans: dict[str, Span] = {}
        self.let_nodes: dict[str, ast.LetDecl] = {}
        self.let_kinds: dict[str, Kind] = {}
        self.in_progress: set[str] = set()
        self.poisoned: set[str] = set()

    def run(self) -> tuple[Program | None, list[Diagnostic]]:
        settings = self.check_header()
        facts = self.check_facts()
        derived = self.check_lets()
        indicators, roots = self.check_tree(settings)
        self.check_unused(facts, derived, indicators)
        if has_errors(self.diags):
            return None, self.diags
        program = Program(self.source, settings, facts, derived, indicators, roots)
        return program, self.diags

    # ----- header --------------------------------------------------------------------------

    def check_header(self) -> Settings:
        headers = self.pack.headers
        for extra in headers[1:]:
            self.diags.append(msg.duplicate_header(extra.span, headers[0].span))
        header = headers[0] if headers else None
        seen: dict[str, ast.Setting] = {}
        for setting in header.settings if header else ():
            if setting.key in seen:
                self.diags.append(
                    msg.duplicate_setting(setting.key, setting.span, seen[setting.key].span)
                )
            else:
                seen[setting.key] = setting

        def text(key: str) -> str | None:
            node = seen.get(key)
            return node.value.value if node and isinstance(node.value, ast.String) else None

        total_node = seen.get("total")
        total = (
            total_node.value.value
            if total_node and isinstance(total_node.value, ast.Number)
            else Decimal(100)
        )
        places, mode, mode_name = 2, decimal.ROUND_HALF_UP, "half_up"
        rounding = seen.get("rounding")
        if rounding and isinstance(rounding.value, ast.Rounding):
            value = rounding.value.places.value
            if value != value.to_integral_value() or not 0 <= value <= 6:
                self.diags.append(msg.bad_rounding_places(rounding.value.places.span))
            else:
                places = int(value)
            if rounding.value.mode is not None:
                word = rounding.value.mode
                if word.text in ROUNDING_MODES:
                    mode, mode_name = ROUNDING_MODES[word.text], word.text
                else:
                    self.diags.append(msg.unknown_rounding(word.text, word.span, ROUNDING_MODES))
        grades = NATIONAL_GRADES
        grades_node = seen.get("grades")
        if grades_node and isinstance(grades_node.value, tuple):
            grades = self.check_grades(grades_node.value, grades_node.span, total)
        period = None
        period_node = seen.get("period")
        if period_node and isinstance(period_node.value, ast.Period):
            period = (period_node.value.start.value, period_node.value.end.value)
        title = header.title.value if header else self.source.path.rsplit("/", 1)[-1]
        return Settings(
            title,
            text("version"),
            text("authority"),
            total,
            places,
            mode,
            mode_name,
            grades,
            period,
        )

    def check_grades(
        self, nodes: tuple[ast.Grade, ...], span: Span, total: Decimal
    ) -> tuple[GradeBand, ...]:
        bands: list[GradeBand] = []
        previous: Decimal | None = None
        for i, node in enumerate(nodes):
            lower = node.lower.value if node.lower else None
            last = i == len(nodes) - 1
            if lower is None and not last:
                self.diags.append(msg.grades_out_of_order(node.label.text, node.span))
            elif lower is not None and (
                (previous is not None and lower >= previous) or lower > total
            ):
                self.diags.append(msg.grades_out_of_order(node.label.text, node.span))
            previous = lower if lower is not None else previous
            bands.append(GradeBand(node.label.text, lower))
        if not nodes or nodes[-1].lower is not None:
            self.diags.append(msg.grades_need_else(span))
        return tuple(bands)

    # ----- declarations --------------------------------------------------------------------

    def declare(self, name: str, span: Span) -> bool:
        if name in self.decl_spans:
            self.diags.append(msg.duplicate_name(name, span, self.decl_spans[name]))
            return False
        self.decl_spans[name] = span
        return True

    def check_facts(self) -> dict[str, Fact]:
        facts: dict[str, Fact] = {}
        for decl in self.pack.facts:
            kind = KIND_NAMES.get(decl.type.text)
            if kind is None:
                self.diags.append(msg.unknown_type(decl.type.text, decl.type.span, KIND_NAMES))
            if not self.declare(decl.name.text, decl.name.span):
                continue
            if kind is None:
                self.poisoned.add(decl.name.text)  # already reported; stay quiet about uses
                continue
            self.kinds[decl.name.text] = kind
            default = None
            if decl.default is not None:
                default = _default_value(decl.default, kind)
                if default is None:
                    self.diags.append(msg.default_mismatch(decl.name.text, kind, decl.default.span))
            facts[decl.name.text] = Fact(
                decl.name.text,
                kind,
                decl.unit.value if decl.unit else None,
                decl.label.value if decl.label else None,
                default,
                decl.name.span,
            )
        return facts

    def check_lets(self) -> dict[str, Derived]:
        for decl in self.pack.lets:
            if self.declare(decl.name.text, decl.name.span):
                self.let_nodes[decl.name.text] = decl
        derived: dict[str, Derived] = {}
        for name, decl in self.let_nodes.items():
            kind = self.let_kind(name)
            derived[name] = Derived(
                name, kind, decl.expr, _unique(names_in(decl.expr)), decl.name.span
            )
        return derived

    def let_kind(self, name: str) -> Kind:
        """The kind of a derived fact: its declared type if any, else its expression's."""
        if name in self.let_kinds:
            return self.let_kinds[name]
        decl = self.let_nodes[name]
        declared = KIND_NAMES.get(decl.type.text) if decl.type else None
        if decl.type and declared is None:
            self.diags.append(msg.unknown_type(decl.type.text, decl.type.span, KIND_NAMES))
        if name in self.in_progress:  # a cycle; graph reports it
            return declared or Kind.NUMBER
        self.in_progress.add(name)
        got = self.infer(decl.expr)
        self.in_progress.discard(name)
        kind = declared or got or Kind.NUMBER
        if declared and got and not assignable(got, declared):
            self.diags.append(msg.declared_kind_mismatch(name, declared, got, decl.expr.span))
        self.let_kinds[name] = kind
        return kind

    # ----- expressions ---------------------------------------------------------------------

    def infer(self, expr: ast.Expr) -> Kind | None:
        """The kind of an expression, or None after reporting why it has none."""
        match expr:
            case ast.Number():
                return Kind.NUMBER
            case ast.Percent():
                return Kind.PERCENT
            case ast.String():
                return Kind.TEXT
            case ast.Bool():
                return Kind.BOOL
            case ast.Date():
                return Kind.DATE
            case ast.EmptyList():
                return Kind.LIST
            case ast.Name(name):
                if name in self.kinds:
                    return self.kinds[name]
                if name in self.let_nodes:
                    return self.let_kind(name)
                if name in self.poisoned:
                    return None
                self.diags.append(msg.unknown_name(name, expr.span, self.decl_spans))
                return None
            case ast.Neg(operand):
                kind = self.infer(operand)
                if kind is not None and kind not in NUMERIC:
                    self.diags.append(
                        msg.expected_kind("the operand of `-`", "a number", kind, operand.span)
                    )
                    return None
                return kind
            case ast.Not(operand):
                self.expect_bool(operand, "the operand of `not`")
                return Kind.BOOL
            case ast.Logic(op, left, right):
                self.expect_bool(left, f"the left side of `{op}`")
                self.expect_bool(right, f"the right side of `{op}`")
                return Kind.BOOL
            case ast.Compare(op, left, right):
                lk, rk = self.infer(left), self.infer(right)
                if lk is None or rk is None:
                    return Kind.BOOL
                ordered = op not in ("==", "!=")
                if not comparable(lk, rk) or (ordered and lk in (Kind.BOOL, Kind.TEXT, Kind.LIST)):
                    self.diags.append(msg.type_mismatch(op, lk, rk, expr.span))
                return Kind.BOOL
            case ast.Arith(op, left, right):
                lk, rk = self.infer(left), self.infer(right)
                if lk is None or rk is None:
                    return None
                rule = {"+": add_kind, "-": add_kind, "*": mul_kind, "/": div_kind}[op]
                kind = rule(lk, rk)
                if lk is Kind.DATE and rk is Kind.DATE and op == "-":
                    return Kind.COUNT  # days between two dates
                if kind is None:
                    self.diags.append(msg.type_mismatch(op, lk, rk, expr.span))
                return kind
            case ast.Call(func, args):
                return self.infer_call(expr, func, args)
            case ast.If(cond, then, otherwise):
                self.expect_bool(cond, "the condition of `if`")
                tk, ok = self.infer(then), self.infer(otherwise)
                if tk is None or ok is None:
                    return None
                if not comparable(tk, ok):
                    self.diags.append(msg.type_mismatch("if … else", tk, ok, expr.span))
                    return None
                return add_kind(tk, ok) or tk
        raise AssertionError(f"unhandled expression {expr!r}")  # pragma: no cover

    def infer_call(self, expr: ast.Call, func: str, args: tuple[ast.Expr, ...]) -> Kind | None:
        if func not in FUNCTIONS:
            self.diags.append(msg.unknown_function(func, expr.func_span, FUNCTIONS))
            for arg in args:
                self.infer(arg)
            return None
        kinds = [self.infer(arg) for arg in args]
        if func == "count":
            if len(args) != 1:
                self.diags.append(msg.wrong_arity(func, "one list", len(args), expr.span))
            elif kinds[0] is not None and kinds[0] is not Kind.LIST:
                self.diags.append(
                    msg.expected_kind("the argument of `count`", "a list", kinds[0], args[0].span)
                )
            return Kind.COUNT
        if func == "abs":
            if len(args) != 1:
                self.diags.append(msg.wrong_arity(func, "one number", len(args), expr.span))
                return None
            if kinds[0] is not None and kinds[0] not in NUMERIC:
                self.diags.append(
                    msg.expected_kind("the argument of `abs`", "a number", kinds[0], args[0].span)
                )
                return None
            return kinds[0]
        if len(args) < 2:
            self.diags.append(msg.wrong_arity(func, "two or more values", len(args), expr.span))
            return None
        result: Kind | None = None
        for arg, kind in zip(args, kinds, strict=False):
            if kind is None:
                return None
            if kind not in NUMERIC:
                self.diags.append(
                    msg.expected_kind(f"an argument of `{func}`", "a number", kind, arg.span)
                )
                return None
            if result is not None and add_kind(result, kind) is None:
                self.diags.append(msg.type_mismatch(func, result, kind, arg.span))
                return None
            result = kind if result is None else add_kind(result, kind)
        return result

    def expect_bool(self, expr: ast.Expr, what: str) -> None:
        kind = self.infer(expr)
        if kind is not None and kind is not Kind.BOOL:
            self.diags.append(msg.expected_kind(what, "a condition (bool)", kind, expr.span))

    # ----- the indicator tree --------------------------------------------------------------

    def check_tree(self, settings: Settings) -> tuple[tuple[Indicator, ...], tuple[str, ...]]:
        flat: list[Indicator] = []
        seen: dict[str, Span] = {}
        for node in self.pack.indicators:
            self.check_indicator(node, None, 1, flat, seen)
        roots = tuple(n.code.text for n in self.pack.indicators)
        top = sum((n.weight.value for n in self.pack.indicators), Decimal(0))
        if self.pack.indicators and top != settings.total:
            span = self.pack.headers[0].span if self.pack.headers else self.pack.span
            self.diags.append(
                msg.top_level_total(
                    top,
                    settings.total,
                    span,
                    [(n.code.text, n.weight.value, n.weight.span) for n in self.pack.indicators],
                )
            )
        return tuple(flat), roots

    def check_indicator(
        self,
        node: ast.Indicator,
        parent: ast.Indicator | None,
        depth: int,
        flat: list[Indicator],
        seen: dict[str, Span],
    ) -> None:
        code = node.code.text
        if code in seen:
            self.diags.append(msg.duplicate_code(code, node.code.span, seen[code]))
        else:
            seen[code] = node.code.span
        if parent is not None and not (
            code.startswith(parent.code.text) and len(code) > len(parent.code.text)
        ):
            self.diags.append(msg.code_not_nested(code, parent.code.text, node.code.span))
        weight = node.weight.value
        if weight <= 0:
            self.diags.append(msg.non_positive_weight(code, node.weight.span))
        if node.children and node.rules:
            self.diags.append(msg.rules_and_children(code, node.rules[0].span))
        if not node.children and not node.rules:
            self.diags.append(msg.leaf_without_rule(code, node.code.span))
        if node.children:
            total = sum((c.weight.value for c in node.children), Decimal(0))
            if total != weight:
                self.diags.append(
                    msg.weights_do_not_add_up(
                        code,
                        weight,
                        total,
                        node.weight.span,
                        [(c.code.text, c.weight.value, c.weight.span) for c in node.children],
                    )
                )
        self.check_rules(node)
        reads = _unique(n for rule in node.rules for e in rule_exprs(rule) for n in names_in(e))
        flat.append(
            Indicator(
                code,
                node.name.value,
                weight,
                parent.code.text if parent else None,
                tuple(c.code.text for c in node.children),
                depth,
                node.rules,
                reads,
                node.code.span,
            )
        )
        for child in node.children:
            self.check_indicator(child, node, depth + 1, flat, seen)

    def check_rules(self, node: ast.Indicator) -> None:
        base: ast.Rule | None = None
        for rule in node.rules:
            if isinstance(
                rule, (ast.FullWhen, ast.Proportional, ast.Reverse, ast.Tiers, ast.Levels)
            ):
                if base is not None:
                    self.diags.append(msg.two_base_rules(node.code.text, rule.span, base.span))
                base = rule
            self.check_rule(rule, node)

    def check_rule(self, rule: ast.Rule | ast.Award, node: ast.Indicator) -> None:
        match rule:
            case ast.Full() | ast.Points() | ast.Share():
                self.check_award(rule, node)
            case ast.FullWhen(cond, otherwise):
                self.expect_bool(cond, "the condition of `full when`")
                if otherwise is not None:
                    self.check_rule(otherwise, node)
            case ast.Proportional(rate):
                kind = self.infer(rate)
                if kind is not None and kind not in DIMENSIONLESS:
                    self.diags.append(
                        msg.expected_kind(
                            "the rate of `proportional`", "a percent or a ratio", kind, rate.span
                        )
                    )
            case ast.Reverse(actual, target):
                ak, tk = self.infer(actual), self.infer(target)
                for expr, kind in ((actual, ak), (target, tk)):
                    if kind is not None and kind not in NUMERIC:
                        self.diags.append(
                            msg.expected_kind("a `reverse` operand", "a number", kind, expr.span)
                        )
                if ak in NUMERIC and tk in NUMERIC and ak and tk and not comparable(ak, tk):
                    self.diags.append(msg.type_mismatch("target", ak, tk, rule.span))
            case ast.Tiers(subject, bands):
                kind = self.infer(subject)
                if kind is not None and kind not in NUMERIC and kind is not Kind.DATE:
                    self.diags.append(
                        msg.expected_kind(
                            "the subject of `tiers`",
                            "a number, percent or date",
                            kind,
                            subject.span,
                        )
                    )
                    kind = None
                for band in bands:
                    for bound in (band.lower, band.upper):
                        if bound is None or kind is None:
                            continue
                        bk = self.infer(bound.value)
                        if bk is not None and not comparable(kind, bk):
                            self.diags.append(msg.bound_mismatch(kind, bk, bound.value.span))
                    self.check_award(band.award, node)
            case ast.Levels(subject, levels):
                kind = self.infer(subject)
                if kind is not None and kind is not Kind.TEXT:
                    self.diags.append(msg.level_not_text(kind, subject.span))
                labels: dict[str, Span] = {}
                for level in levels:
                    if level.label in labels:
                        self.diags.append(
                            msg.duplicate_level(level.label, level.span, labels[level.label])
                        )
                    labels.setdefault(level.label, level.span)
                    self.check_award(level.award, node)
            case ast.DeductPer(amount, subject):
                kind = self.infer(subject)
                if kind is not None and kind not in (Kind.LIST, Kind.COUNT):
                    self.diags.append(
                        msg.expected_kind(
                            "the subject of `deduct … per`", "a list or a count", kind, subject.span
                        )
                    )
                self.check_amount(amount)
            case ast.DeductWhen(amount, cond):
                self.expect_bool(cond, "the condition of `deduct … when`")
                self.check_amount(amount)
            case ast.ZeroWhen(cond):
                self.expect_bool(cond, "the condition of `zero when`")
            case ast.WarnWhen(cond):
                self.expect_bool(cond, "the condition of `warn when`")

    def check_award(self, award: ast.Award, node: ast.Indicator) -> None:
        if isinstance(award, ast.Points) and award.value > node.weight.value:
            self.diags.append(
                msg.award_above_weight(node.code.text, award.value, node.weight.value, award.span)
            )
        self.check_amount(award)

    def check_amount(self, award: ast.Award) -> None:
        if isinstance(award, ast.Share) and award.value > 1:
            self.diags.append(msg.share_above_full(award.span))

    def check_unused(
        self, facts: dict[str, Fact], derived: dict[str, Derived], indicators: tuple[Indicator, ...]
    ) -> None:
        read = {n for d in derived.values() for n in d.reads}
        read.update(n for i in indicators for n in i.reads)
        for fact in facts.values():
            if fact.name not in read:
                self.diags.append(msg.unused_fact(fact.name, fact.span))


def _default_value(node: ast.Literal, kind: Kind) -> object | None:
    """The runtime value of a fact's default, or None when it does not fit the kind."""
    match node:
        case ast.Number(value) if kind in NUMERIC:
            if kind is Kind.COUNT and value != value.to_integral_value():
                return None
            return value
        case ast.Percent(value) if kind in DIMENSIONLESS:
            return value
        case ast.Bool(value) if kind is Kind.BOOL:
            return value
        case ast.String(value) if kind is Kind.TEXT:
            return value
        case ast.Date(value) if kind is Kind.DATE:
            return value
        case ast.EmptyList() if kind is Kind.LIST:
            return ()
    return None
