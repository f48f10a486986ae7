"""The checked program: what the checker hands to the planner.

Names are resolved and typed, the indicator tree is flattened in tree order with parent links,
and the pack settings are plain values with their defaults applied. Rule and expression nodes are
the AST's own classes (immutable and span-carrying), rebuilt by the checker with the kind of every
expression on its node (`ast.Expr.kind`, never None here): the compiler reads an award's kind to
tell points (number) from a share (percent), and nothing keys a table by a node's identity, so a
program pickles (the plan cache) and compares as the plain data it is. The checker guarantees
that every name is declared and every expression well typed, so later stages never re-check.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.record import record, spec
from jixiao.dsl.source import Source, Span

from .types import Kind


@record
class GradeBand:
    label: str
    lower: Decimal | None  # None: the lowest band, everything below the previous one


@record
class Settings:
    title: str
    version: str | None
    authority: str | None
    total: Decimal
    places: int
    rounding: str  # a decimal module rounding constant, e.g. ROUND_HALF_UP
    rounding_name: str  # as the author wrote it, e.g. half_up
    grades: tuple[GradeBand, ...]
    period: tuple[dt.date, dt.date] | None
    rounding_scope: str = "leaves"  # leaves: each leaf once; total: the total only
    not_applicable: str | None = None  # full | exclude | zero; None: a 不适用 fact is an error
    overflow: str = "cap"  # cap: bonus never takes the total past `total`; allow
    # `portfolio weighted by`: the fact a portfolio summary weights projects by (资金量加权)
    portfolio_weight: str | None = None


@record
class Fact:
    name: str
    kind: Kind
    unit: str | None
    label: str | None
    default: object | None  # a runtime value, or None when the fact has no default
    span: Span = spec(compare=False)
    is_param: bool = False  # a pack parameter: has a default, evidence may override it
    nonzero: bool = False  # the evidence may never give 0
    shared: bool = False  # may drive deductions in several indicators
    survey: str | None = None  # aggregated from this questionnaire's responses
    aggregate: ast.SurveyFact | None = None
    # The declared domain (`min`/`max`, in the fact's unit); None: the kind's own bound (money
    # and counts 0 or more, a percent in [0, 1]; see `evidence.domain`).
    min: Decimal | None = None
    max: Decimal | None = None
    choices: tuple[str, ...] | None = None  # a choice fact: the only values it may take
    fixed: bool = False  # cannot change: `jixiao whatif` never changes it
    # A record list (`records { … }`): each field as a fact of its own (its kind, unit, domain
    # and choices read and check a cell as they do a fact's value), and the values computed
    # per record (`完成率: percent = 完成数 / 目标数`), in the order declared.
    fields: tuple[Fact, ...] = ()
    computed: tuple[Derived, ...] = ()


@record
class Derived:
    name: str
    kind: Kind
    expr: ast.Expr
    reads: tuple[str, ...]  # facts and derived facts it reads directly, in source order
    span: Span = spec(compare=False)


@record
class Indicator:
    code: str
    name: str
    weight: Decimal
    parent: str | None
    children: tuple[str, ...]
    depth: int  # 1 for a top-level indicator
    rules: tuple[ast.Rule, ...]  # function calls already expanded
    reads: tuple[str, ...]  # names read by its rules directly
    span: Span = spec(compare=False)
    scale: Decimal | None = None  # `of 100`: children add up to it; points scaled to weight
    na_policy: str | None = None  # overrides the pack's not_applicable for this indicator
    doc: str = ""  # the comment lines right above it: the 评分标准 as the author wrote it
    standard: str = ""  # its rules as the pack states them, one clause per line

    @property
    def is_leaf(self) -> bool:
        return not self.children


@record
class Extra:
    """A bonus or penalty section outside the weighted tree."""

    kind: str  # bonus | penalty
    code: str
    name: str
    max: Decimal
    highest: bool
    rules: tuple[ast.ExtraRule, ...]
    reads: tuple[str, ...]
    span: Span = spec(compare=False)


@record
class Program:
    source: Source
    settings: Settings
    facts: dict[str, Fact]  # evidence facts and pack parameters (`is_param`)
    derived: dict[str, Derived]
    indicators: tuple[Indicator, ...]  # tree order: each parent before its children
    roots: tuple[str, ...]
    extras: tuple[Extra, ...]
    vetoes: tuple[ast.Veto, ...]
    # Every imported file the pack was made of: (path as shown, SHA-256 of its text).
    imports: tuple[tuple[str, str], ...] = ()


@record
class Order:
    """What the dependency graph decides (see `graph`), kept as plain data so a cached plan
    loads without networkx."""

    derived: tuple[str, ...]  # derived facts, dependencies first
    needs: dict[str, tuple[str, ...]]  # indicator code → evidence facts it rests on, sorted
    users: dict[str, tuple[str, ...]]  # fact or derived fact → indicator codes that read it
