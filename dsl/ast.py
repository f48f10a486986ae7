"""The syntax tree of a rule pack: frozen, slotted dataclasses with a span on every node.

The AST says what the author wrote, nothing more: names are unresolved strings, types are the
words the author used, numbers are `Decimal`s exactly as written. Spans are excluded from
equality (`compare=False`), so two packs that differ only in layout or comments compare equal —
the formatter's round-trip check and the parser tests rely on that.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal

from .source import Span


def _span() -> Span:
    """A span field: excluded from equality and repr (a fresh Field per use)."""
    return field(compare=False, repr=False)  # type: ignore[no-any-return]


# ----- expressions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Number:
    value: Decimal
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Percent:
    """`85%`; `value` holds the fraction (0.85), so arithmetic never sees the factor 100."""

    value: Decimal
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class String:
    value: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Date:
    value: _dt.date
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class EmptyList:
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Arith:
    """`+ - * /` (`×` and `÷` are read as `*` and `/`)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    """`>= <= > < == !=` (`≥ ≤ ≠` are read as their ASCII forms)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Logic:
    """`and` / `or`, short-circuiting."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span = _span()
    func_span: Span = _span()


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()


Literal = Number | Percent | String | Bool | Date | EmptyList
Expr = (
    Number
    | Percent
    | String
    | Bool
    | Date
    | EmptyList
    | Name
    | Neg
    | Not
    | Arith
    | Compare
    | Logic
    | Call
    | If
)


# ----- awards and rules ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Full:
    """The whole weight of the indicator."""

    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Points:
    value: Decimal
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Share:
    """A fraction of the weight, written as a percent (`50%` → 0.5)."""

    value: Decimal
    span: Span = _span()


Award = Full | Points | Share


@dataclass(frozen=True, slots=True)
class Bound:
    value: Literal
    inclusive: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Band:
    """One row of a tier table; no bounds means `else`. A `>= x` row has only `lower`."""

    lower: Bound | None
    upper: Bound | None
    award: Award
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Level:
    label: str
    award: Award
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FullWhen:
    cond: Expr
    otherwise: Base | Award | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Proportional:
    rate: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Reverse:
    actual: Expr
    target: Expr
    linear: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Tiers:
    subject: Expr
    bands: tuple[Band, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Levels:
    subject: Expr
    levels: tuple[Level, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DeductPer:
    amount: Award
    subject: Expr
    reason: String | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DeductWhen:
    amount: Award
    cond: Expr
    reason: String | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ZeroWhen:
    cond: Expr
    reason: String | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class WarnWhen:
    cond: Expr
    message: String
    span: Span = _span()


Base = FullWhen | Proportional | Reverse | Tiers | Levels
Rule = (
    FullWhen
    | Proportional
    | Reverse
    | Tiers
    | Levels
    | DeductPer
    | DeductWhen
    | ZeroWhen
    | WarnWhen
)


# ----- declarations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """A bare word with a place: a type name, a rounding mode, a grade label."""

    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Grade:
    label: Word
    lower: Number | None  # None: the `else` band
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Rounding:
    places: Number
    mode: Word | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Period:
    start: Date
    end: Date
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Setting:
    """One `key value` line of the pack header; `value` depends on `key`."""

    key: str
    value: String | Number | Rounding | Period | tuple[Grade, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class PackHeader:
    title: String
    settings: tuple[Setting, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FactDecl:
    name: Word
    type: Word
    unit: String | None
    label: String | None
    default: Literal | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class LetDecl:
    name: Word
    type: Word | None
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Indicator:
    code: Word
    name: String
    weight: Number
    children: tuple[Indicator, ...]
    rules: tuple[Rule, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Pack:
    headers: tuple[PackHeader, ...]
    facts: tuple[FactDecl, ...]
    lets: tuple[LetDecl, ...]
    indicators: tuple[Indicator, ...]
    span: Span = _span()
