"""The points ledger: what evaluation returns and every renderer reads.

A `Result` holds one `IndicatorResult` per indicator in tree order. A leaf's `lines` take it from
nothing to its points — the base award, each deduction, floors, caps, zeroing and rounding as
separate lines — and always sum exactly to `points`; a parent's points are the exact sum of its
children's. Lines carry data (kind, points, the numbers of the arithmetic, the facts read with
their values and provenance, the clause's span), never prose: renderers word them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Span

from .ir import Settings
from .types import Kind


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a value came from: its place in the evidence file and what the evaluator noted."""

    span: Span | None
    source: str | None = None
    note: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a list fact (a finding, a missing document)."""

    text: str
    origin: Provenance


Value = Decimal | bool | str | dt.date | tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class FactUse:
    """A fact or derived fact as a rule read it."""

    name: str
    kind: Kind
    value: Value
    origin: Provenance | None  # None for a derived fact (see Result.derived)


class LineKind(Enum):
    BASE = "base"  # a leaf scored by deductions only starts from its weight
    FULL = "full"  # `full when` held (or a reverse indicator met its target)
    UNMET = "unmet"  # `full when` did not hold; scores 0 unless `else` follows
    FIXED = "fixed"  # `else 1`: fixed points
    PROPORTIONAL = "proportional"  # weight × rate
    REVERSE = "reverse"  # weight × target / actual
    REVERSE_LINEAR = "reverse_linear"  # (1 − (actual − target) / target) × weight
    TIER = "tier"  # a band of a tier table
    LEVEL = "level"  # a qualitative level
    DEDUCT = "deduct"  # amount × count
    FLOOR = "floor"  # 扣完为止: raised back to 0
    CAP = "cap"  # not above the weight
    ZERO = "zero"  # `zero when`: the leaf scores nothing
    WARN = "warn"  # `warn when`: no points, a remark
    ROUND = "round"  # the pack's rounding


@dataclass(frozen=True, slots=True)
class Line:
    kind: LineKind
    points: Decimal
    span: Span  # the clause, band or level that produced the line
    reason: str | None = None  # the author's words, `{item}` filled in
    facts: tuple[FactUse, ...] = ()
    args: tuple[Decimal, ...] = ()  # the arithmetic's numbers; their meaning is fixed per kind
    item: Item | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an indicator has no points: a missing fact, a division by zero, an unknown level."""

    code: str
    fact: str | None
    span: Span
    detail: str = ""
    expr: str = ""  # the failing expression as the author wrote it


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    code: str
    name: str
    parent: str | None
    depth: int
    weight: Decimal
    points: Decimal | None  # None when a failure prevented scoring
    lines: tuple[Line, ...]
    is_leaf: bool
    span: Span
    failures: tuple[Failure, ...] = ()

    @property
    def lost(self) -> Decimal:
        return self.weight - self.points if self.points is not None else self.weight


@dataclass(frozen=True, slots=True)
class DerivedResult:
    name: str
    kind: Kind
    value: Value | None  # None when it could not be computed
    expr: ast.Expr
    reads: tuple[FactUse, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Result:
    settings: Settings
    pack_path: str
    evidence_path: str
    total: Decimal | None
    grade: str | None
    indicators: tuple[IndicatorResult, ...]
    derived: tuple[DerivedResult, ...]
    units: dict[str, str | None] = field(default_factory=dict)  # fact → unit, for display
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    pack_sha256: str = ""
    evidence_sha256: str = ""
