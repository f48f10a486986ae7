"""The checked program: what the checker hands to the planner.

Names are resolved and typed, the indicator tree is flattened in tree order with parent links,
and the pack settings are plain values with their defaults applied. Rule and expression nodes are
the AST's own (already immutable and span-carrying); the checker guarantees that every name in
them is declared and every expression is well typed, so later stages never re-check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.source import Source, Span

from .types import Kind


@dataclass(frozen=True, slots=True)
class GradeBand:
    label: str
    lower: Decimal | None  # None: the lowest band, everything below the previous one


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    kind: Kind
    unit: str | None
    label: str | None
    default: object | None  # a runtime value, or None when the fact has no default
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Derived:
    name: str
    kind: Kind
    expr: ast.Expr
    reads: tuple[str, ...]  # facts and derived facts it reads directly, in source order
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    name: str
    weight: Decimal
    parent: str | None
    children: tuple[str, ...]
    depth: int  # 1 for a top-level indicator
    rules: tuple[ast.Rule, ...]
    reads: tuple[str, ...]  # names read by its rules directly
    span: Span = field(compare=False)

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True, slots=True)
class Program:
    source: Source
    settings: Settings
    facts: dict[str, Fact]
    derived: dict[str, Derived]
    indicators: tuple[Indicator, ...]  # tree order: each parent before its children
    roots: tuple[str, ...]

    def indicator(self, code: str) -> Indicator:
        return self._by_code()[code]

    def _by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}
