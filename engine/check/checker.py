"""AST → checked Program, or every error found.

The checker resolves names, infers and checks the kind of every expression, applies the pack
settings' defaults and validates the indicator tree (weights add up exactly, codes are unique,
every leaf is scored by exactly one base rule). It never stops at the first error: a policy
author fixing a pack wants the whole list in one run. Cycles between derived facts are left to
`graph`, which sees the whole dependency structure.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic, has_errors
from jixiao.dsl.formatter import format_rule
from jixiao.dsl.record import Record
from jixiao.dsl.source import Source, Span

from ..common import messages as msg
from ..common.ir import Derived, Extra, Fact, GradeBand, Indicator, Program, Settings
from ..common.types import (
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
from ..common.walk import names_in
from ..forms import form_of, reads_of
from .check_reach import check_grades, check_rounding, check_something_to_score
from .check_rules import RuleChecker
from .expand import expand_calls
from .overrides import declare_overrides, rename, warn_unread
from .rollup import check_weight
from .units import (
    COUNT_UNITS,
    PERCENT_UNITS,
    Unit,
    UnitPass,
    domain,
    domain_problem,
    fact_unit,
    unit_named,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, TypeVar

    N = TypeVar("N")

#: The expression classes: where `typed_clauses` stops walking and starts typing; the literals
#: among them have their class's kind already.
_EXPRS: frozenset[type] = frozenset(ast.Expr.__args__)
_LITERALS: frozenset[type] = frozenset({ast.Percent, ast.String, ast.Bool, ast.Date, ast.EmptyList})
#: Fields that never hold a node: spans, and those declared as plain values.
_PLAIN = {"Span", "Decimal", "str", "bool", "str | None", "Decimal | None"}
#: The fields of each other syntax node that may hold nodes: where `typed_clauses` walks.
_INNER: dict[type, tuple[str, ...]] = {
    cls: tuple(f for f, t in cls.__annotations__.items() if f in cls._fields and t not in _PLAIN)
    for cls in vars(ast).values()
    if isinstance(cls, type) and issubclass(cls, Record) and cls not in _EXPRS
}
_INNER.pop(Span, None)  # (a span holds no node)

ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "down": decimal.ROUND_DOWN,
    "truncate": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
}
#: The modes as 评分标准 name them, written straight into a pack (`rounding 2 四舍五入`).
ROUNDING_ALIASES = {
    "四舍五入": "half_up",
    "四舍六入五成双": "half_even",
    "四舍六入": "half_even",
    "银行家舍入": "half_even",
    "五舍六入": "half_down",
    "去尾": "down",
    "截尾": "down",
    "舍去": "down",
    "进一": "up",
    "进位": "up",
}
FUNCTIONS = ("count", "min", "max", "abs", "days", "workdays", "length", "empty")
NA_POLICIES = ("full", "exclude", "zero")
ROUNDING_SCOPES = {"leaves": "leaves", "leaf": "leaves", "total": "total"}
OVERFLOW = ("cap", "allow")
NATIONAL_GRADES: tuple[GradeBand, ...] = (
    GradeBand("优", Decimal(90)),
    GradeBand("良", Decimal(80)),
    GradeBand("中", Decimal(60)),
    GradeBand("差", None),
)


def check(pack: ast.Pack, source: Source) -> tuple[Program | None, list[Diagnostic]]:
    """Check a parsed pack. Returns the program (None when there are errors) and diagnostics."""
    program, diags = _Checker(pack, source).run()
    if program is not None:
        from .choices import check_choices

        diags += check_choices(program)
        if has_errors(diags):
            return None, diags
    return program, diags


class _Checker(RuleChecker):
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
        self.let_exprs: dict[str, ast.Expr] = {}  # each derived fact's expression, typed
        self.param_defaults: dict[str, Decimal] = {}
        self.choices: dict[str, tuple[str, ...]] = {}  # choice fact → the values it may take
        self.folded: dict[str, tuple[Decimal, str | None] | None] = {}  # see `fold`
        # Units: of every fact and parameter; the pass rewrites expressions into one unit.
        self.fact_units: dict[str, Unit | None] = {}
        self.units = UnitPass(self.diags, self.fact_units, self.let_nodes, self.declared_kind)
        # Record lists: each one's field kinds, and the record whose fields are in scope (its
        # name and field kinds) while a `where` or a per-record value is typed.
        self.record_kinds: dict[str, dict[str, Kind]] = {}
        self.scope: tuple[str, dict[str, Kind]] | None = None

    def run(self) -> tuple[Program | None, list[Diagnostic]]:
        self.settings = settings = self.check_header()
        facts = self.facts = self.check_facts()
        if self.record_kinds:
            from .records import check_computed

            for decl in self.pack.facts:
                if decl.fields and decl.name.text in facts:
                    facts[decl.name.text] = check_computed(self, decl, facts[decl.name.text])
        derived = self.check_lets()
        self.check_portfolio_weight(settings, facts, derived)
        self.functions = self.check_functions()
        indicators, roots = self.check_tree(settings)
        self.diags.extend(warn_unread(self.overrides, indicators, derived))
        extras = self.check_extras({i.code for i in indicators})
        self.check_vetoes(settings, {i.code for i in indicators})
        self.check_unused(facts, derived, indicators, extras)
        self.check_reach(settings, indicators)
        if has_errors(self.diags):
            return None, self.diags
        program = Program(
            self.source,
            settings,
            facts,
            derived,
            indicators,
            roots,
            extras,
            self.vetoes,
        )
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
                name = ROUNDING_ALIASES.get(word.text, word.text)
                if name in ROUNDING_MODES:
                    mode, mode_name = ROUNDING_MODES[name], name
                else:
                    known = [*ROUNDING_MODES, *ROUNDING_ALIASES]
                    self.diags.append(msg.unknown_rounding(word.text, word.span, known))
        grades = NATIONAL_GRADES
        grades_node = seen.get("grades")
        if grades_node and isinstance(grades_node.value, tuple):
            grades = self.check_grades(grades_node.value, grades_node.span, total)
        period = None
        period_node = seen.get("period")
        if period_node and isinstance(period_node.value, ast.Period):
            period = (period_node.value.start.value, period_node.value.end.value)
        scope = "leaves"
        if rounding and isinstance(rounding.value, ast.Rounding) and rounding.value.scope:
            word = rounding.value.scope
            scope = self.choose_word(word, ROUNDING_SCOPES, "rounding scope") or scope
        na = None
        if (node := seen.get("not_applicable")) and isinstance(node.value, ast.Word):
            na = self.choose_word(node.value, NA_POLICIES, "not_applicable policy")
        overflow = "cap"
        if (node := seen.get("overflow")) and isinstance(node.value, ast.Word):
            overflow = self.choose_word(node.value, OVERFLOW, "overflow policy") or overflow
        weight = None
        if (node := seen.get("portfolio")) and isinstance(node.value, ast.Word):
            weight = node.value.text  # checked against the facts by `check_portfolio_weight`
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
            scope,
            na,
            overflow,
            weight,
        )

    def check_portfolio_weight(
        self, settings: Settings, facts: dict[str, Fact], derived: dict[str, Derived]
    ) -> None:
        """`portfolio weighted by NAME`: a money, number or count fact of the evidence."""
        node = next(
            (s for h in self.pack.headers[:1] for s in h.settings if s.key == "portfolio"), None
        )
        if settings.portfolio_weight is None or node is None:
            return
        span = node.value.span if isinstance(node.value, ast.Word) else node.span
        problem = check_weight(settings.portfolio_weight, facts, derived, span)
        if problem is not None:
            self.diags.append(problem)

    def choose_word(self, word: ast.Word, options: Iterable[str], what: str) -> str | None:
        """The option an author's word names, or None after an E210 with a did-you-mean."""
        table = options if isinstance(options, dict) else {o: o for o in options}
        if word.text in table:
            return str(table[word.text])
        self.diags.append(msg.unknown_word(what, word.text, word.span, list(table)))
        return None

    def check_grades(
        self, nodes: tuple[ast.Grade, ...], span: Span, total: Decimal
    ) -> tuple[GradeBand, ...]:
        bands: list[GradeBand] = []
        previous: Decimal | None = None
        seen: dict[str, Span] = {}
        for i, node in enumerate(nodes):
            lower = node.lower.value if node.lower else None
            last = i == len(nodes) - 1
            if lower is None and not last:
                self.diags.append(msg.grades_out_of_order(node.label.text, node.span))
            elif lower is not None and previous is not None and lower >= previous:
                # (a bound above `total` is out of reach, not out of order: E433, which counts
                # the bonus sections under `overflow allow`)
                self.diags.append(msg.grades_out_of_order(node.label.text, node.span))
            if node.label.text in seen:
                self.diags.append(
                    msg.grade_twice(node.label.text, node.label.span, seen[node.label.text])
                )
            seen.setdefault(node.label.text, node.label.span)
            previous = lower if lower is not None else previous
            bands.append(GradeBand(node.label.text, lower))
        if not nodes or nodes[-1].lower is not None:
            self.diags.append(msg.grades_need_else(span))
        return tuple(bands)

    def check_reach(self, settings: Settings, indicators: tuple[Indicator, ...]) -> None:
        """What no evidence can change: weights and caps against the rounding, grades against
        the reachable total, a pack with nothing to score (see `check_reach`)."""
        pack = self.pack
        header = pack.headers[0] if pack.headers else None
        settings_of = {s.key: s for s in header.settings} if header else {}
        total = settings_of.get("total")
        anchor = header.span if header else pack.span
        self.diags.extend(check_something_to_score(pack))
        if has_errors(self.diags):
            return  # a broken tree or header would only add noise
        self.diags.extend(
            check_rounding(settings, pack, indicators, total.span if total else anchor)
        )
        grades = settings_of.get("grades")
        nodes = grades.value if grades and isinstance(grades.value, tuple) else None
        self.diags.extend(
            check_grades(settings, nodes, pack.extras, grades.span if grades else anchor)
        )

    # ----- declarations --------------------------------------------------------------------

    def declare(self, name: str, span: Span) -> bool:
        if name in self.decl_spans:
            self.diags.append(msg.duplicate_name(name, span, self.decl_spans[name]))
            return False
        self.decl_spans[name] = span
        return True

    def declare_typed(self, decl: ast.FactDecl | ast.ParamDecl) -> Kind | None:
        """Declare a fact or parameter and record its kind; None when it cannot be used (its
        type is unknown — reported once, then its uses stay quiet — or its name is taken)."""
        kind = KIND_NAMES.get(decl.type.text)
        if decl.type.text == "choice":
            kind = Kind.TEXT  # a text that must be one of its choices
            if isinstance(decl, ast.ParamDecl) or not decl.choices:
                self.diags.append(msg.choice_without_choices(decl.name.text, decl.type.span))
        elif isinstance(decl, ast.FactDecl) and decl.choices:
            self.diags.append(
                msg.choices_on_other_type(decl.name.text, decl.type.text, decl.choices[0].span)
            )
        if kind is None:
            known = [*KIND_NAMES, "choice"]
            self.diags.append(msg.unknown_type(decl.type.text, decl.type.span, known))
        if not self.declare(decl.name.text, decl.name.span):
            return None
        if kind is None:
            self.poisoned.add(decl.name.text)
            return None
        self.kinds[decl.name.text] = kind
        return kind

    def check_facts(self) -> dict[str, Fact]:
        facts: dict[str, Fact] = {}
        for decl in self.pack.facts:
            kind = self.declare_typed(decl)
            if kind is None:
                continue
            fact = self.fact_of(decl, kind)
            if kind is Kind.RECORDS or decl.fields:
                from .records import check_fields

                fact = check_fields(self, decl, fact)
            facts[decl.name.text] = fact
        self.check_params(facts)
        self.check_surveys(facts)
        return facts

    def fact_of(self, decl: ast.FactDecl, kind: Kind) -> Fact:
        """A declared fact (or a record's field): its unit, default, domain and choices."""
        unit = self.declared_unit(decl, kind)
        default = None
        if decl.default is not None:
            node = self.units.constant(
                decl.default, kind, unit, ast.Name(decl.name.text, decl.name.span)
            )
            default = _default_value(node, kind)
            if default is None:
                self.diags.append(msg.default_mismatch(decl.name.text, kind, decl.default.span))
        low, high = self.check_domain(decl, kind, unit)
        choices = self.check_choices(decl)
        fact = Fact(
            decl.name.text,
            kind,
            decl.unit.value if decl.unit else None,
            decl.label.value if decl.label else None,
            default,
            decl.name.span,
            nonzero=decl.nonzero,
            shared=decl.shared,
            min=low,
            max=high,
            choices=choices,
            fixed=decl.fixed,
        )
        problem = domain_problem(fact, default)
        if problem is not None and decl.default is not None and not self.units.said(decl.default):
            value, _, how = problem
            self.diags.append(
                msg.bad_domain(
                    fact.name, f"does not hold its default {value}", decl.default.span, how
                )
            )
        return fact

    def check_choices(self, decl: ast.FactDecl) -> tuple[str, ...] | None:
        """A choice fact's values, each once and none empty (E314)."""
        if decl.type.text != "choice" or not decl.choices:
            return None
        seen: dict[str, ast.String] = {}
        for choice in decl.choices:
            value = choice.value.strip()
            if not value:
                self.diags.append(msg.empty_choice(decl.name.text, choice.span))
            elif value in seen:
                self.diags.append(
                    msg.duplicate_choice(decl.name.text, value, choice.span, seen[value].span)
                )
            else:
                seen[value] = choice
        self.choices[decl.name.text] = tuple(seen)
        return tuple(seen)

    def check_choice_literal(self, left: ast.Expr, right: ast.Expr) -> None:
        """`类别 == "培训班"` where 类别 may only be 培训, 会议 or 其他: never true, so an error."""
        for name, other in ((left, right), (right, left)):
            if isinstance(name, ast.Name) and isinstance(other, ast.String):
                choices = self.choices.get(name.name)
                if choices is not None and other.value.strip() not in choices:
                    self.diags.append(msg.not_a_choice(name.name, other.value, choices, other.span))

    def declared_kind(self, name: str) -> Kind | None:
        """The kind a name is declared with (a fact, a parameter, a typed derived fact)."""
        if name in self.kinds:
            return self.kinds[name]
        decl = self.let_nodes.get(name)
        return KIND_NAMES.get(decl.type.text) if decl is not None and decl.type else None

    def declared_unit(self, decl: ast.FactDecl, kind: Kind) -> Unit | None:
        """The unit a fact's values are held in. E312 for a counted unit on money (`money unit
        "个"`) or any unit but `%` on a percent; W310 for money in a unit jixiao does not know
        (`"美元"`, `"元/年"`): it is kept as a dimension of its own, converting to nothing."""
        name, written = decl.name.text, decl.unit.value if decl.unit else None
        unit = fact_unit(kind, written)
        if written is None or decl.unit is None:
            pass
        elif kind is Kind.PERCENT and written.strip() not in PERCENT_UNITS:
            self.diags.append(msg.unit_of_kind(name, kind, written, decl.unit.span))
        elif kind is Kind.MONEY and unit is not None and unit.dimension != "money":
            if written.strip() in COUNT_UNITS:
                self.diags.append(msg.unit_of_kind(name, kind, written, decl.unit.span))
                unit = None
            else:
                self.diags.append(msg.unknown_money_unit(name, written, decl.unit.span))
        self.fact_units[name] = unit
        return unit

    def check_domain(
        self, decl: ast.FactDecl, kind: Kind, unit: Unit | None
    ) -> tuple[Decimal | None, Decimal | None]:
        """A fact's declared `min`/`max`, in its unit: numeric, of its kind, min ≤ max, and
        holding its default (E313)."""
        name = decl.name.text
        anchor = ast.Name(name, decl.name.span)
        bounds: list[Decimal | None] = []
        for node in (decl.min, decl.max):
            if node is None:
                bounds.append(None)
                continue
            if kind not in NUMERIC:
                self.diags.append(
                    msg.bad_domain(
                        name,
                        f"is declared on a {kind}",
                        node.span,
                        "`min` and `max` bound money, counts, numbers and percents; remove it",
                    )
                )
                bounds.append(None)
                continue
            value = _default_value(self.units.constant(node, kind, unit, anchor), kind)
            if not isinstance(value, Decimal):
                self.diags.append(
                    msg.bad_domain(
                        name,
                        f"is not a {kind}",
                        node.span,
                        "write a bound of the fact's kind, e.g. "
                        + ("`max 150%`" if kind is Kind.PERCENT else "`min -100万元`"),
                    )
                )
            bounds.append(value if isinstance(value, Decimal) else None)
        low, high = bounds
        if low is not None and high is not None and low > high and decl.max is not None:
            self.diags.append(
                msg.bad_domain(name, "is empty: `min` is above `max`", decl.max.span, "swap them")
            )
        return low, high

    def check_surveys(self, facts: dict[str, Fact]) -> None:
        seen: dict[str, Span] = {}
        for survey in self.pack.surveys:
            if survey.name.text in seen:
                self.diags.append(
                    msg.duplicate_name(survey.name.text, survey.name.span, seen[survey.name.text])
                )
            seen.setdefault(survey.name.text, survey.name.span)
            for agg in survey.facts:
                if not self.declare(agg.name.text, agg.name.span):
                    continue
                kind = Kind.NUMBER if agg.aggregate == "mean" else Kind.COUNT
                self.kinds[agg.name.text] = kind
                self.fact_units[agg.name.text] = None
                facts[agg.name.text] = Fact(
                    agg.name.text,
                    kind,
                    None,
                    None,
                    None,
                    agg.name.span,
                    nonzero=agg.nonzero,
                    survey=survey.name.text,
                    aggregate=agg,
                )

    def check_params(self, facts: dict[str, Fact]) -> None:
        for decl in self.pack.params:
            kind = self.declare_typed(decl)
            if kind is None:
                continue
            # A parameter is in the unit its default is written in (`= 50万元`), money in 元.
            written = decl.default.unit if isinstance(decl.default, ast.Number) else None
            unit = fact_unit(kind, written) if kind in NUMERIC else None
            self.fact_units[decl.name.text] = unit
            node = decl.default
            if kind is Kind.NUMBER and isinstance(node, ast.Number) and node.unit is None:
                self.units.param_literals[decl.name.text] = node
            if node is not None:
                node = self.units.constant(
                    node, kind, unit, ast.Name(decl.name.text, decl.name.span)
                )
            default = _default_value(node, kind) if node is not None else None
            if default is None:
                span = decl.default.span if decl.default is not None else decl.span
                self.diags.append(msg.default_mismatch(decl.name.text, kind, span))
                continue
            # A parameter has its kind's domain, except on a side its own default lies beyond:
            # `param 偏差线: percent = 130%` (广西's ≥130% rule) may be overridden by 140%, and
            # evidence is never refused a value of the kind the pack itself wrote.
            low, high = domain(kind)
            below = isinstance(default, Decimal) and low is not None and default < low
            above = isinstance(default, Decimal) and high is not None and default > high
            facts[decl.name.text] = Fact(
                decl.name.text,
                kind,
                written,
                None,
                default,
                decl.name.span,
                is_param=True,
                min=Decimal("-Infinity") if below else None,
                max=Decimal("Infinity") if above else None,
            )
            if isinstance(default, Decimal):
                self.param_defaults[decl.name.text] = default

    def check_lets(self) -> dict[str, Derived]:
        for decl in self.pack.lets:
            if self.declare(decl.name.text, decl.name.span):
                self.let_nodes[decl.name.text] = decl
        self.units.prepare()
        derived: dict[str, Derived] = {}
        for name, decl in self.let_nodes.items():
            kind = self.let_kind(name)
            derived[name] = Derived(
                name,
                kind,
                self.let_exprs[name],
                tuple(dict.fromkeys(n.name for n in names_in(self.let_exprs.get(name, decl.expr)))),
                decl.name.span,
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
        typed = self.let_exprs[name] = self.typed(self.units.let(name)[0])
        got = typed.kind
        self.in_progress.discard(name)
        kind = declared or got or Kind.NUMBER
        if declared and got and not assignable(got, declared):
            self.diags.append(msg.declared_kind_mismatch(name, declared, got, decl.expr.span))
        self.let_kinds[name] = kind
        return kind

    # ----- expressions ---------------------------------------------------------------------
    # The checked program is the tree the unit pass rewrote, rebuilt once more with the kind
    # of every expression on its node: `typed` infers and reports, `typed_clauses` does it for
    # every expression of a list of rules, and the rule checks read the kinds off the nodes.

    def infer(self, expr: ast.Expr) -> Kind | None:
        """The kind of an expression of the typed rules (see `typed_clauses`): read off the
        node; None when it has none, its error already reported."""
        return expr.kind

    def typed_clauses(self, nodes: tuple[N, ...]) -> tuple[N, ...]:
        """Rules, clauses or vetoes with every expression in them typed (see `typed`)."""
        return tuple([self._typed_node(node) for node in nodes])

    def _typed_node(self, node: Any) -> Any:
        cls = type(node)
        if cls in _EXPRS:
            return node if cls in _LITERALS else self.typed(node)
        if cls is tuple:
            return tuple([self._typed_node(x) for x in node])
        inner = _INNER.get(cls)
        if not inner:
            return node  # not a node, or one with no nodes inside (a word, a fixed award)
        changed: dict[str, Any] | None = None
        for name in inner:
            value = getattr(node, name)
            if value is not None:
                typed = self._typed_node(value)
                if typed is not value:
                    if changed is None:
                        changed = {}
                    changed[name] = typed
        if changed is None:
            return node
        return cls(*[changed[f] if f in changed else getattr(node, f) for f in cls._fields])

    def typed(self, expr: ast.Expr) -> ast.Expr:
        """The expression rebuilt with its kind on every node, or None on a node after
        reporting why it has none (an operand's error is reported once, at the operand)."""
        kind: Kind | None
        match expr:
            case ast.Name(name, span):
                if self.scope is not None and name in self.scope[1]:
                    return ast.Field(self.scope[0], name, span, self.scope[1][name])
                return ast.Name(name, span, self.name_kind(name, span))
            case ast.Field():
                return expr  # (made typed, in a record's scope)
            case ast.Aggregate():
                from .records import typed_aggregate

                return typed_aggregate(self, expr)
            case ast.Percent() | ast.String() | ast.Bool() | ast.Date() | ast.EmptyList():
                return expr  # (their kind is their class's)
            case ast.Number(value, span, unit):
                kind = Kind.NUMBER
                if unit is not None:
                    kind = Kind.MONEY if unit_named(unit).dimension == "money" else Kind.COUNT
                return ast.Number(value, span, unit, kind)
            case ast.Neg(operand, span):
                typed = self.typed(operand)
                kind = typed.kind
                if kind is not None and kind not in NUMERIC:
                    self.diags.append(
                        msg.expected_kind("the operand of `-`", "a number", kind, operand.span)
                    )
                    kind = None
                return ast.Neg(typed, span, kind)
            case ast.Not(operand, span):
                return ast.Not(self.typed_bool(operand, "the operand of `not`"), span, Kind.BOOL)
            case ast.Logic(op, left, right, span):
                lt = self.typed_bool(left, f"the left side of `{op}`")
                rt = self.typed_bool(right, f"the right side of `{op}`")
                return ast.Logic(op, lt, rt, span, Kind.BOOL)
            case ast.Compare(op, left, right, span):
                lt, rt = self.typed(left), self.typed(right)
                lk, rk = lt.kind, rt.kind
                if lk is not None and rk is not None:
                    if op in ("==", "!="):
                        self.check_choice_literal(left, right)
                    ordered = op not in ("==", "!=")
                    if not comparable(lk, rk) or (
                        ordered and lk in (Kind.BOOL, Kind.TEXT, Kind.LIST)
                    ):
                        if not self.units.said(left, right):  # E310 named the units already
                            self.diags.append(msg.type_mismatch(op, lk, rk, span))
                return ast.Compare(op, lt, rt, span, Kind.BOOL)
            case ast.Arith(op, left, right, span):
                lt, rt = self.typed(left), self.typed(right)
                return ast.Arith(op, lt, rt, span, self.arith_kind(expr, lt.kind, rt.kind))
            case ast.Call(func, args, span, func_span):
                typed_args = tuple([self.typed(arg) for arg in args])
                kind = self.call_kind(expr, typed_args)
                return ast.Call(func, typed_args, span, func_span, kind)
            case ast.If(cond, then, otherwise, span):
                ct = self.typed_bool(cond, "the condition of `if`")
                tt, ot = self.typed(then), self.typed(otherwise)
                tk, ok, kind = tt.kind, ot.kind, None
                if tk is not None and ok is not None:
                    if comparable(tk, ok):
                        kind = add_kind(tk, ok) or tk
                    else:
                        self.diags.append(msg.type_mismatch("if … else", tk, ok, span))
                return ast.If(ct, tt, ot, span, kind)
            case _:
                ast.assert_never(expr)

    def name_kind(self, name: str, span: Span) -> Kind | None:
        if name in self.kinds:
            return self.kinds[name]
        if name in self.let_nodes:
            return self.let_kind(name)
        if name not in self.poisoned:  # (a declaration of an unknown type: reported there)
            self.diags.append(msg.unknown_name(name, span, self.decl_spans))
        return None

    def arith_kind(self, expr: ast.Arith, lk: Kind | None, rk: Kind | None) -> Kind | None:
        if lk is None or rk is None:
            return None
        op = expr.op
        rule = {"+": add_kind, "-": add_kind, "*": mul_kind, "/": div_kind}[op]
        kind = rule(lk, rk)
        if lk is Kind.DATE and rk is Kind.DATE and op == "-":
            return Kind.NUMBER  # days between two dates: negative when the later is first
        if kind is None:
            if not self.units.said(expr.left, expr.right):  # E310 named the units already
                self.diags.append(msg.type_mismatch(op, lk, rk, expr.span))
        return kind

    def call_kind(self, expr: ast.Call, args: tuple[ast.Expr, ...]) -> Kind | None:
        func = expr.func
        if func not in FUNCTIONS:
            self.diags.append(msg.unknown_function(func, expr.func_span, FUNCTIONS))
            return None
        kinds = [arg.kind for arg in args]
        if func == "count":
            if len(args) != 1:
                self.diags.append(msg.wrong_arity(func, "one list", len(args), expr.span))
            elif kinds[0] is not None and kinds[0] not in (Kind.LIST, Kind.RECORDS):
                self.diags.append(
                    msg.expected_kind("the argument of `count`", "a list", kinds[0], args[0].span)
                )
            return Kind.COUNT
        if func in ("days", "workdays"):
            if len(args) != 2:
                self.diags.append(msg.wrong_arity(func, "two dates", len(args), expr.span))
                return None
            for arg, kind in zip(args, kinds, strict=True):
                if kind is not None and kind is not Kind.DATE:
                    self.diags.append(
                        msg.expected_kind(f"an argument of `{func}`", "a date", kind, arg.span)
                    )
            return Kind.NUMBER  # signed: negative when `to` is before `from`
        if func in ("length", "empty"):
            # "偏差原因说明不超过100字", "须填写整改措施": a text's characters, or none at all
            if len(args) != 1:
                self.diags.append(msg.wrong_arity(func, "one text", len(args), expr.span))
            elif kinds[0] is not None and kinds[0] is not Kind.TEXT:
                self.diags.append(
                    msg.expected_kind(f"the argument of `{func}`", "a text", kinds[0], args[0].span)
                )
            return Kind.COUNT if func == "length" else Kind.BOOL
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

    def typed_bool(self, expr: ast.Expr, what: str) -> ast.Expr:
        typed = self.typed(expr)
        self.expect_bool(typed, what)
        return typed

    def expect_bool(self, expr: ast.Expr, what: str) -> None:
        """E3xx unless a typed expression is a condition."""
        kind = expr.kind
        if kind is not None and kind is not Kind.BOOL:
            self.diags.append(msg.expected_kind(what, "a condition (bool)", kind, expr.span))

    # ----- the indicator tree --------------------------------------------------------------

    def check_tree(self, settings: Settings) -> tuple[tuple[Indicator, ...], tuple[str, ...]]:
        flat: list[Indicator] = []
        seen: dict[str, Span] = {}
        self.overrides: list[tuple[str, ast.ParamOverride, str]] = []
        for node in self.pack.indicators:
            self.check_indicator(node, None, 1, flat, seen, {})
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
        self.codes = seen
        return tuple(flat), roots

    def check_indicator(
        self,
        node: ast.Indicator,
        parent: ast.Indicator | None,
        depth: int,
        flat: list[Indicator],
        seen: dict[str, Span],
        inherited: dict[str, str],
    ) -> None:
        """Check an indicator and its children; `inherited` maps each parameter an ancestor
        gives its own value to the name that value is declared as (see `overrides`)."""
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
        self.units.calls(node.rules, self.functions)
        written = expand_calls(node.rules, self.functions, self)
        scope, own = declare_overrides(node, inherited, self, _default_value)
        self.overrides.extend((code, over, name) for over, name in own)
        read = rename(written, scope) if scope else written
        rules = self.typed_clauses(self.units.rules(read))
        base = [r for r in rules if isinstance(r, ast.BASE_RULES)]
        if node.children and base:
            self.diags.append(msg.rules_and_children(code, base[0].span))
        if not node.children and not rules:
            self.diags.append(msg.leaf_without_rule(code, node.code.span))
        if node.scale is not None and not node.children:
            self.diags.append(msg.scale_on_leaf(code, node.scale.span))
        if node.children:
            expected = node.scale.value if node.scale is not None else weight
            total = sum((c.weight.value for c in node.children), Decimal(0))
            if total != expected:
                span = node.scale.span if node.scale is not None else node.weight.span
                self.diags.append(
                    msg.weights_do_not_add_up(
                        code,
                        expected,
                        total,
                        span,
                        [(c.code.text, c.weight.value, c.weight.span) for c in node.children],
                    )
                )
        self.check_rules(code, weight, rules)
        policies = [r for r in rules if isinstance(r, ast.NaPolicy)]
        na_policy = None
        for policy in policies:
            na_policy = self.choose_word(policy.policy, NA_POLICIES, "na policy") or na_policy
        flat.append(
            Indicator(
                code,
                node.name.value,
                weight,
                parent.code.text if parent else None,
                tuple(c.code.text for c in node.children),
                depth,
                tuple(r for r in rules if not isinstance(r, ast.NaPolicy)),
                reads_of(rules),
                node.code.span,
                node.scale.value if node.scale is not None else None,
                na_policy,
                _doc_comment(node.span.source, node.span.start),
                "\n".join(format_rule(r) for r in written if not isinstance(r, ast.NaPolicy)),
            )
        )
        for child in node.children:
            self.check_indicator(child, node, depth + 1, flat, seen, scope)

    def check_functions(self) -> dict[str, ast.Function]:
        functions: dict[str, ast.Function] = {}
        for fn in self.pack.functions:
            name = fn.name.text
            if name in functions or name in FUNCTIONS:
                first = functions[name].name.span if name in functions else fn.name.span
                self.diags.append(msg.duplicate_name(name, fn.name.span, first))
                continue
            for param in fn.params:
                if param.name.text in self.decl_spans:
                    self.diags.append(
                        msg.shadowed(
                            param.name.text, param.name.span, self.decl_spans[param.name.text]
                        )
                    )
                if param.type.text not in KIND_NAMES:
                    self.diags.append(
                        msg.unknown_type(param.type.text, param.type.span, KIND_NAMES)
                    )
            functions[name] = fn
        for fn in functions.values():
            self.units.calls(fn.rules, functions)
        return functions

    def check_extras(self, codes: set[str]) -> tuple[Extra, ...]:
        extras = []
        for node in self.pack.extras:
            code = node.code.text
            if code in self.codes:
                self.diags.append(msg.duplicate_code(code, node.code.span, self.codes[code]))
            else:
                self.codes[code] = node.code.span
            rules = self.typed_clauses(self.units.rules(node.rules))
            for rule in rules:
                sign = form_of(rule).sign(rule)
                if node.kind == "penalty" and sign == "add":
                    self.diags.append(msg.wrong_extra_clause("add", "penalty", rule.span))
                if node.kind == "bonus" and sign == "deduct":
                    self.diags.append(msg.wrong_extra_clause("deduct", "bonus", rule.span))
                self.check_rule(rule, code, node.max.value)
            extras.append(
                Extra(
                    node.kind,
                    code,
                    node.name.value,
                    node.max.value,
                    node.highest,
                    rules,
                    reads_of(rules),
                    node.code.span,
                )
            )
        return tuple(extras)

    def check_vetoes(self, settings: Settings, codes: set[str]) -> None:
        labels = [g.label for g in settings.grades]
        self.vetoes = self.typed_clauses(self.units.rules(self.pack.vetoes))
        for veto in self.vetoes:
            self.expect_bool(veto.cond, "the condition of `veto when`")
            if veto.reason is not None:
                self.check_placeholders(veto.reason, ())
            if veto.target is None:
                continue
            if veto.action in ("grade", "cap") and veto.target.text not in labels:
                self.diags.append(msg.unknown_grade(veto.target.text, veto.target.span, labels))
            if veto.action == "zero" and veto.target.text not in codes:
                self.diags.append(
                    msg.unknown_indicator(veto.target.text, veto.target.span, sorted(codes))
                )

    def check_unused(
        self,
        facts: dict[str, Fact],
        derived: dict[str, Derived],
        indicators: tuple[Indicator, ...],
        extras: tuple[Extra, ...],
    ) -> None:
        read = {n for d in derived.values() for n in d.reads}
        read.update(n for i in indicators for n in i.reads)
        read.update(n for e in extras for n in e.reads)
        read.update(n.name for v in self.vetoes for n in names_in(v.cond))
        for fn in self.functions.values():
            read.update(set(reads_of(fn.rules)) - {p.name.text for p in fn.params})
        if self.settings.portfolio_weight:
            read.add(self.settings.portfolio_weight)  # weighs the portfolio: read, if not here
        for fact in facts.values():
            if fact.is_param:
                continue  # a parameter may exist for the tools that build on the pack
            if fact.name not in read:
                self.diags.append(msg.unused_fact(fact.name, fact.span))


def _doc_comment(source: Source, offset: int) -> str:
    """The comment-only lines directly above `offset`, without their markers."""
    line = source.line_col(offset)[0]
    lines: list[str] = []
    while line > 1:
        line -= 1
        text = source.line_text(line).strip()
        if text.startswith("#"):
            lines.append(text[1:].strip())
        elif text.startswith("//"):
            lines.append(text[2:].strip())
        else:
            break
    return "\n".join(reversed(lines))


def _default_value(node: ast.Literal, kind: Kind) -> object | None:
    """The runtime value of a fact's default, or None when it does not fit the kind."""
    match node:
        case ast.Number(value, unit=unit) if kind in NUMERIC:
            if kind is Kind.COUNT and value != value.to_integral_value():
                return None
            if unit is not None and (
                kind is Kind.PERCENT
                or (unit_named(unit).dimension == "money") != (kind is Kind.MONEY)
            ):
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
        case _:
            return None  # a literal of another kind: no default (the kind check reports it)
