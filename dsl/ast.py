"""The syntax tree of a rule pack: frozen, slotted records with a span on every node.

The AST says what the author wrote, nothing more: names are unresolved strings, types are the
words the author used, numbers are `Decimal`s exactly as written. Spans are excluded from
equality (`compare=False`), so two packs that differ only in layout or comments compare equal —
the formatter's round-trip check and the parser tests rely on that. So is each expression's
`kind`: empty as parsed, filled in by the checker, whose program is this same tree rebuilt with
a kind on every expression (no side table keyed by node).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from enum import Enum

from .record import record, spec
from .source import Span

TYPE_CHECKING = False  # typing is not imported at run time (see record.py)
if TYPE_CHECKING:
    from typing import ClassVar, NoReturn

#: Digits a number may have, in a pack (E110) or in evidence. Points and money in real packs need
#: 15 at most; the limit keeps every value well inside `Decimal`'s 28-digit context, so rounding
#: and formatting stay exact instead of failing on a number nobody meant to type.
MAX_DIGITS = 20


def assert_never(node: NoReturn) -> NoReturn:
    """The last case of a `match` over a union of nodes: mypy rejects the call when a class of
    the union has no case of its own, and at run time it names the class nobody handled.
    (`typing.assert_never`, without importing `typing` on the warm path.)"""
    raise AssertionError(f"unhandled syntax node {type(node).__name__}")


def _span() -> Span:
    """A span field: excluded from equality and repr (a fresh Field per use)."""
    return spec(compare=False, repr=False)  # type: ignore[no-any-return]


class Kind(Enum):
    """What a value is, in the words a pack declares it with (`fact 预算金额: money`). The
    parser leaves an expression's `kind` None; the checker returns every expression of the
    program rebuilt with its kind on it (engine/check), and `engine.common.types` holds the
    arithmetic between kinds."""

    MONEY = "money"
    NUMBER = "number"
    COUNT = "count"
    PERCENT = "percent"
    BOOL = "bool"
    TEXT = "text"
    DATE = "date"
    LIST = "list"
    JUDGEMENT = "judgement"  # an evaluator's amount with its reason, who and when
    RECORDS = "records"  # a list of records with typed fields (子项目, 各县, 各期培训)
    PANEL = "panel"  # experts' scores (专家评分), each with its expert's name and reason

    def __str__(self) -> str:
        return self.value


def _kind() -> Kind | None:
    """An expression's kind: None as parsed, set by the checker; like a span, never part of
    equality or the repr, so a checked tree compares equal to the tree as written."""
    return spec(default=None, compare=False, repr=False)  # type: ignore[no-any-return]


# ----- expressions ---------------------------------------------------------------------------


@record
class Number:
    """`12`, or `50万元` / `3个` with its unit as written (engine/check/units.py reads it)."""

    value: Decimal
    span: Span = _span()
    unit: str | None = spec(default=None, repr=False)  # in repr only when given (see below)
    kind: Kind | None = _kind()

    def __init__(  # written out, as for every node made in bulk (see `record`)
        self, value: Decimal, span: Span, unit: str | None = None, kind: Kind | None = None
    ) -> None:
        put = object.__setattr__
        put(self, "value", value)
        put(self, "span", span)
        put(self, "unit", unit)
        put(self, "kind", kind)

    def __repr__(self) -> str:
        unit = f", unit={self.unit!r}" if self.unit is not None else ""
        return f"Number(value={self.value!r}{unit})"


@record
class Percent:
    """`85%`; `value` holds the fraction (0.85), so arithmetic never sees the factor 100."""

    value: Decimal
    span: Span = _span()
    kind: ClassVar[Kind] = Kind.PERCENT  # (a literal's kind is its class's)


@record
class String:
    value: str
    span: Span = _span()
    kind: ClassVar[Kind] = Kind.TEXT  # (a literal's kind is its class's)


@record
class Bool:
    value: bool
    span: Span = _span()
    kind: ClassVar[Kind] = Kind.BOOL  # (a literal's kind is its class's)


@record
class Date:
    value: _dt.date
    span: Span = _span()
    kind: ClassVar[Kind] = Kind.DATE  # (a literal's kind is its class's)


@record
class EmptyList:
    span: Span = _span()
    kind: ClassVar[Kind] = Kind.LIST  # (a literal's kind is its class's)


@record
class Name:
    name: str
    span: Span = _span()
    kind: Kind | None = _kind()

    def __init__(self, name: str, span: Span, kind: Kind | None = None) -> None:
        put = object.__setattr__  # (written out: see `Number`)
        put(self, "name", name)
        put(self, "span", span)
        put(self, "kind", kind)


@record
class Neg:
    operand: Expr
    span: Span = _span()
    kind: Kind | None = _kind()


@record
class Not:
    operand: Expr
    span: Span = _span()
    kind: Kind | None = _kind()


@record
class Arith:
    """`+ - * /` (`×` and `÷` are read as `*` and `/`)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()
    kind: Kind | None = _kind()

    def __init__(
        self, op: str, left: Expr, right: Expr, span: Span, kind: Kind | None = None
    ) -> None:
        put = object.__setattr__  # (written out: see `Number`)
        put(self, "op", op)
        put(self, "left", left)
        put(self, "right", right)
        put(self, "span", span)
        put(self, "kind", kind)


@record
class Compare:
    """`>= <= > < == !=` (`≥ ≤ ≠` are read as their ASCII forms)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()
    kind: Kind | None = _kind()

    def __init__(
        self, op: str, left: Expr, right: Expr, span: Span, kind: Kind | None = None
    ) -> None:
        put = object.__setattr__  # (written out: see `Number`)
        put(self, "op", op)
        put(self, "left", left)
        put(self, "right", right)
        put(self, "span", span)
        put(self, "kind", kind)


@record
class Logic:
    """`and` / `or`, short-circuiting."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()
    kind: Kind | None = _kind()


@record
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span = _span()
    func_span: Span = _span()
    kind: Kind | None = _kind()


@record
class If:
    cond: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()
    kind: Kind | None = _kind()


@record
class Aggregate:
    """An aggregate over a record list: `sum(子项目.预算 where 完成数 > 0)` (`func` sum, mean,
    min, max of `field`), `count(培训 where 参训率 < 90%)` / `all(…)` / `any(…)` (no field),
    `weighted mean(子项目.完成率 by 预算)` (`func` "weighted mean", `weight` a field). Inside
    `where`, a bare name is a field of the record when the records declare one (the checker
    rewrites it into a `Field`), else a fact as anywhere."""

    func: str
    records: Name
    field: Word | None
    weight: Word | None
    where: Expr | None
    span: Span = _span()
    kind: Kind | None = _kind()


@record
class Field:
    """A field of the record an aggregate is at (`完成数` in `count(县 where 完成数 > 0)`):
    made by the checker, never by the parser."""

    records: str
    name: str
    span: Span = _span()
    kind: Kind | None = _kind()


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
    | Aggregate
    | Field
)


# ----- awards and rules ----------------------------------------------------------------------


@record
class Full:
    """The whole weight of the indicator."""

    span: Span = _span()


@record
class Points:
    value: Decimal
    span: Span = _span()


@record
class Share:
    """A fraction of the weight, written as a percent (`50%` → 0.5)."""

    value: Decimal
    span: Span = _span()


@record
class AwardExpr:
    """An award given by an expression (a parameter, a product): points if it is a number,
    a share of the weight if it is a percent."""

    expr: Expr
    span: Span = _span()


Award = Full | Points | Share | AwardExpr


@record
class Bound:
    value: Expr
    inclusive: bool
    span: Span = _span()


@record
class Interval:
    lower: Bound
    upper: Bound
    span: Span = _span()


@record
class Band:
    """One row of a tier table; no bounds means `else`. A `>= x` row has only `lower`."""

    lower: Bound | None
    upper: Bound | None
    award: Award
    span: Span = _span()


@record
class Level:
    label: str
    award: Award
    span: Span = _span()


@record
class FullWhen:
    cond: Expr
    otherwise: Base | Award | None
    span: Span = _span()


@record
class Proportional:
    rate: Expr
    span: Span = _span()


@record
class Reverse:
    actual: Expr
    target: Expr
    linear: bool
    span: Span = _span()


@record
class Tiers:
    subject: Expr
    bands: tuple[Band, ...]
    span: Span = _span()


@record
class Levels:
    subject: Expr
    levels: tuple[Level, ...]
    span: Span = _span()


@record
class Forward:
    """正向: the weight when actual ≥ target, else actual / target × weight."""

    actual: Expr
    target: Expr
    span: Span = _span()


@record
class Equal:
    """等于: as forward; with a zero target, the weight only when actual ≤ 0."""

    actual: Expr
    target: Expr
    span: Span = _span()


@record
class LevelInterval:
    label: str
    interval: Interval
    span: Span = _span()


@record
class LevelRange:
    """A qualitative level whose points the evaluator chooses inside the level's range."""

    subject: Expr
    score: Expr | Panel  # a panel: each expert scores within the level's range
    levels: tuple[LevelInterval, ...]
    span: Span = _span()


@record
class CheckItem:
    award: Award
    cond: Expr
    reason: String | None
    span: Span = _span()


@record
class Checklist:
    base: Award | None
    items: tuple[CheckItem, ...]
    span: Span = _span()


@record
class Choice:
    cond: Expr | None  # None: else
    then: Base | Award
    span: Span = _span()


@record
class Choose:
    choices: tuple[Choice, ...]
    span: Span = _span()


@record
class CallRule:
    name: str
    args: tuple[Expr, ...]
    span: Span = _span()
    name_span: Span = _span()


@record
class Distinct:
    field: String | None  # None: identical item texts count once
    span: Span = _span()


@record
class DeductPer:
    amount: Award
    subject: Expr
    distinct: Distinct | None
    max: Expr | None
    reason: String | None
    span: Span = _span()


@record
class ByRow:
    label: str
    amount: Award
    max: Expr | None
    span: Span = _span()


@record
class DeductBy:
    """Per item, the amount looked up by a field of the item (e.g. its severity)."""

    subject: Expr
    field: String
    rows: tuple[ByRow, ...]
    max: Expr | None
    reason: String | None
    span: Span = _span()


@record
class DeductStep:
    """每相差3%扣1分: `amount` per `step` of `shortfall`, steps counted by `mode`."""

    amount: Award
    step: Expr
    shortfall: Expr
    mode: str  # whole | started | continuous
    max: Expr | None
    reason: String | None
    span: Span = _span()


@record
class DeductJudged:
    """酌情扣分: the evaluator's judgement, within a declared range."""

    subject: Expr
    interval: Interval
    reason: String | None
    span: Span = _span()


@record
class NaPolicy:
    policy: Word
    span: Span = _span()


@record
class DeductWhen:
    amount: Award
    cond: Expr
    reason: String | None
    span: Span = _span()


@record
class ZeroWhen:
    cond: Expr
    reason: String | None
    span: Span = _span()


@record
class WarnWhen:
    cond: Expr
    message: String
    span: Span = _span()


@record
class Panel:
    """专家评分: the experts' scores of a panel fact combined by `mode` (mean, trimmed, median),
    each score within the band of the rule's weight; `min`: the fewest experts accepted."""

    subject: Expr
    mode: Word
    min: Number | None
    span: Span = _span()
    scale: Number | None = None  # `of 100`: scores out of 100, the combination scaled to the weight


@record
class DispatchBranch:
    """One branch of `by`: the choices it takes (none: `else`) and its rule."""

    labels: tuple[String, ...]
    then: Base | Award
    span: Span = _span()


@record
class Dispatch:
    """`by 类别 { "基建类": <rule>; … }`: the rule of the branch the choice fact's value names."""

    subject: Expr
    branches: tuple[DispatchBranch, ...]
    span: Span = _span()


@record
class Unless:
    """`deduct … unless <cond> "<reason>"`: the deduction, except when the condition holds (then
    nothing is deducted and the reason is a ledger line)."""

    rule: DeductPer | DeductWhen | DeductStep | DeductBy
    cond: Expr
    reason: String
    span: Span = _span()


Base = (
    FullWhen
    | Proportional
    | Reverse
    | Forward
    | Equal
    | Tiers
    | Levels
    | LevelRange
    | Checklist
    | Choose
    | Panel
    | Dispatch
)
Deduction = DeductPer | DeductWhen | DeductBy | DeductStep | DeductJudged | Unless
Rule = Base | Deduction | CallRule | ZeroWhen | WarnWhen | NaPolicy
#: The classes of the unions, for `isinstance`: read off the unions themselves (a `X | Y` union
#: keeps its members in `__args__`, no `typing` needed), so they cannot drift from them.
BASE_RULES: tuple[type[Base], ...] = Base.__args__
DEDUCTIONS: tuple[type[Deduction], ...] = Deduction.__args__


# ----- declarations --------------------------------------------------------------------------


@record
class Word:
    """A bare word with a place: a type name, a rounding mode, a grade label."""

    text: str
    span: Span = _span()


@record
class Grade:
    label: Word
    lower: Number | None  # None: the `else` band
    span: Span = _span()


@record
class Rounding:
    places: Number
    mode: Word | None
    scope: Word | None  # leaves | total
    span: Span = _span()


@record
class Period:
    start: Date
    end: Date
    span: Span = _span()


@record
class Setting:
    """One `key value` line of the pack header; `value` depends on `key`."""

    key: str
    value: String | Number | Rounding | Period | Word | tuple[Grade, ...]
    span: Span = _span()


@record
class PackHeader:
    title: String
    settings: tuple[Setting, ...]
    span: Span = _span()


@record
class FactDecl:
    name: Word
    type: Word
    unit: String | None
    label: String | None
    default: Literal | None
    span: Span = _span()
    nonzero: bool = False  # the evidence may never give 0
    shared: bool = False  # may drive deductions in several indicators
    min: Literal | None = None  # the domain's lower bound, replacing the kind's own
    max: Literal | None = None  # the domain's upper bound (`max 150%`)
    choices: tuple[String, ...] = ()  # `choice ["培训", "会议"]`: the values it may take
    fixed: bool = False  # cannot change: `jixiao whatif` never suggests changing it
    # `records { 名称: text; 完成率: percent = 完成数 / 目标数 }`: each field, read like a fact
    # of its type, or computed per record (a `LetDecl`)
    fields: tuple[FactDecl | LetDecl, ...] = ()


@record
class LetDecl:
    name: Word
    type: Word | None
    expr: Expr
    span: Span = _span()


@record
class ParamDecl:
    name: Word
    type: Word
    default: Literal | None  # None for a function's parameter
    span: Span = _span()


@record
class Function:
    name: Word
    params: tuple[ParamDecl, ...]
    rules: tuple[Rule, ...]
    span: Span = _span()


@record
class ParamOverride:
    """`param 达成线 = 95%` inside an indicator: its own value of a pack parameter."""

    name: Word
    type: Word | None  # `param 达成线: percent = 95%`: the declared kind, repeated
    value: Literal
    span: Span = _span()


@record
class Indicator:
    code: Word
    name: String
    weight: Number
    scale: Number | None  # `of 100`: children add up to the scale, scaled to the weight
    children: tuple[Indicator, ...]
    rules: tuple[Rule, ...]
    span: Span = _span()
    overrides: tuple[ParamOverride, ...] = spec(default=())


@record
class AddPer:
    amount: Award
    subject: Expr
    reason: String | None
    span: Span = _span()


@record
class AddWhen:
    amount: Award
    cond: Expr
    reason: String | None
    span: Span = _span()


#: The clauses of a bonus (加分) or penalty (减分) section.
ExtraRule = AddPer | AddWhen | DeductPer | DeductWhen | Unless
#: Whatever a per-rule dispatcher may be handed: a rule of an indicator or function, a clause of
#: a bonus or penalty section, or the award a rule nests (`full when … else 2`).
Clause = Rule | ExtraRule | Award


@record
class Extra:
    """A bonus (加分) or penalty (减分) outside the weighted tree, capped at `max`."""

    kind: str  # bonus | penalty
    code: Word
    name: String
    max: Number
    highest: bool  # 同一项按最高分只计入1次
    rules: tuple[ExtraRule, ...]
    span: Span = _span()


@record
class Veto:
    cond: Expr
    action: str  # grade | cap | zero | disqualify
    target: Word | None  # the grade label, or the indicator code for `zero`
    reason: String | None
    span: Span = _span()


@record
class SurveyFact:
    """A fact aggregated from questionnaire responses.

    `count`: responses (where `column` is one of `values`, if given); `answers`: non-empty
    answers across `columns` (among `values`, if given); `mean`: the mean of `column`'s answers
    mapped through `scale`."""

    name: Word
    aggregate: str  # count | answers | mean
    columns: tuple[Word, ...]
    values: tuple[str, ...] | None
    scale: tuple[tuple[str, Decimal], ...]
    span: Span = _span()
    nonzero: bool = False


@record
class Survey:
    name: Word
    facts: tuple[SurveyFact, ...]
    span: Span = _span()


@record
class Import:
    """`import "path.jx"`: the path as written, relative to the importing file."""

    path: String
    span: Span = _span()


@record
class Pack:
    headers: tuple[PackHeader, ...]
    facts: tuple[FactDecl, ...]
    params: tuple[ParamDecl, ...]
    lets: tuple[LetDecl, ...]
    functions: tuple[Function, ...]
    indicators: tuple[Indicator, ...]
    extras: tuple[Extra, ...]
    vetoes: tuple[Veto, ...]
    span: Span = _span()
    surveys: tuple[Survey, ...] = spec(default=())
    imports: tuple[Import, ...] = spec(default=())
    # Comments are kept for the formatter; like spans, they never affect equality.
    comments: tuple[Comment, ...] = spec(default=(), compare=False, repr=False)


@record
class Comment:
    text: str  # as written, with its `#` or `//`
    own_line: bool  # nothing but blanks before it on its line
    span: Span = _span()
