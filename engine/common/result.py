"""The points ledger: what evaluation returns and every renderer reads.

A `Result` holds one `IndicatorResult` per indicator in tree order. A leaf's `lines` take it from
nothing to its points — the base award, each deduction, floors, caps, zeroing and rounding as
separate lines — and always sum exactly to `points`; a parent's points are the exact sum of its
children's. Lines carry data (kind, points, the numbers of the arithmetic, the facts read with
their values and provenance, the clause's span), never prose: renderers word them.

The records of the ledger (lines, facts read, indicator results) are named tuples: immutable
like the rest, and several times cheaper to create than frozen dataclasses. Evaluation records
them as plain tuples and `ledger.Ledger` packages them on first read (see there why), from plain
data: a result pickles without the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from types import MappingProxyType

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.record import record
from jixiao.dsl.source import Span

from .ir import Settings
from .types import Kind

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from jixiao.dsl.record import NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Protocol, TypeAlias

    from .ir import Indicator

    #: A failure's typed argument: a number, a name or text, a flag, names, or (name, number)
    #: pairs.
    FailureArg: TypeAlias = "Decimal | str | bool | tuple[str, ...] | tuple[tuple[str, Any], ...]"

    #: One indicator's entry as evaluation records it: (points, raw lines, failures, excluded).
    Entry: TypeAlias = (
        "tuple[Decimal | None, tuple[tuple[Any, ...], ...], tuple[Failure, ...], bool]"
    )

    class Ledger(Protocol):
        """What a result reads of its ledger: `runtime.ledger.Ledger`, which packages the
        entries on first read. Named here as a protocol, since shared data imports no stage."""

        def raw(self) -> Iterator[tuple[Indicator, Entry]]: ...
        def indicators(self) -> tuple[IndicatorResult, ...]: ...
        def derived(self) -> tuple[DerivedResult, ...]: ...
        def line(self, raw: tuple[Any, ...]) -> Line: ...


@record
class Provenance:
    """Where a value came from: its place in the evidence file and what the evaluator noted."""

    span: Span | None
    source: str | None = None
    note: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    is_default: bool = False
    # the indicator whose own value of a parameter it is (`param 达成线 = 95%` inside it; the
    # span is that line)
    indicator: str | None = None

    def __init__(  # written out: one per fact of every row of a portfolio (see `record`)
        self,
        span: Span | None,
        source: str | None = None,
        note: str | None = None,
        details: tuple[tuple[str, str], ...] = (),
        is_default: bool = False,
        indicator: str | None = None,
    ) -> None:
        put = object.__setattr__
        put(self, "span", span)
        put(self, "source", source)
        put(self, "note", note)
        put(self, "details", details)
        put(self, "is_default", is_default)
        put(self, "indicator", indicator)


@record
class Item:
    """One entry of a list fact (a finding, a missing document)."""

    text: str
    origin: Provenance

    def __init__(self, text: str, origin: Provenance) -> None:  # one per finding: see `record`
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "origin", origin)


@record
class Row:
    """One record of a record list: its place (1-based, as the author counts them), its label
    (the first text field, when it has one), and each field's value — `NA` when the evidence
    says 不适用, which leaves the record out of what reads that field."""

    index: int
    label: str | None
    values: tuple[tuple[str, object], ...]  # (field, value) in the declared order
    origin: Provenance

    def get(self, field: str) -> object:
        for name, value in self.values:
            if name == field:
                return value
        raise KeyError(field)

    @property
    def named(self) -> str:
        """How a message names it: `record 3 (县A)`."""
        return f"record {self.index} ({self.label})" if self.label else f"record {self.index}"


@record
class Records:
    """The value of a record list fact: its rows in the evidence's order."""

    rows: tuple[Row, ...]

    def __len__(self) -> int:
        return len(self.rows)


@record
class Judgement:
    """An evaluator's discretionary amount (酌情扣分) with the reason, who and when."""

    amount: Decimal
    reason: str
    by: str | None
    date: str | None


@record
class Mark:
    """One expert's score of a panel (专家评分): the expert, the score, the reason given."""

    expert: str
    score: Decimal
    reason: str
    origin: Provenance


@record
class Panel:
    """A panel fact's value: each expert's mark, in the order the evidence lists them."""

    marks: tuple[Mark, ...]
    span: Span | None = None  # the list in the evidence (None: generated)


@record
class NotApplicable:
    """The evidence marks the fact 不适用."""


NA = NotApplicable()

Value = Decimal | bool | str | dt.date | tuple[Item, ...] | Judgement | Records | Panel


class FactUse(NamedTuple):
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
    FORWARD = "forward"  # weight × actual / target
    EQUAL = "equal"  # an `= target` indicator
    LEVEL_SCORE = "level_score"  # the evaluator's score inside a level's range
    CHECK = "check"  # a checklist element, met (its points) or not (0)
    CHECK_BASE = "check_base"  # a checklist's base share
    CHOICE = "choice"  # which branch of `choose` applied
    DUPLICATE = "duplicate"  # a finding already deducted (`distinct`): 0
    ONCE = "once"  # a bonus item counted once, at its highest (`highest`): 0
    CLAUSE_CAP = "clause_cap"  # a deduction's own `max` (扣完N分为止)
    STEP = "step"  # amount × steps of a shortfall
    JUDGED = "judged"  # an evaluator's discretionary deduction
    NOT_APPLICABLE = "not_applicable"  # the indicator's policy for 不适用 evidence
    SUM = "sum"  # a branch with its own rules starts from its children's sum
    SCALE = "scale"  # `of 100`: children's sum scaled to the weight
    ADD = "add"  # a bonus
    VETO = "veto"  # a veto zeroed the indicator
    RESCALE = "rescale"  # not-applicable indicators excluded: total rescaled
    EXTRA = "extra"  # a bonus or penalty section's points taken into the total
    OVERFLOW = "overflow"  # the total may not pass the pack's total
    AGGREGATE = "aggregate"  # an aggregate over a record list: the records used and left out
    PANEL_MARK = "panel_mark"  # one expert's score of a panel (0 points: the combination counts)
    PANEL = "panel"  # the experts' scores combined (mean, trimmed mean, median)
    DISPATCH = "dispatch"  # which branch of `by` the choice fact's value took
    EXEMPT = "exempt"  # `unless` held: the deduction is not made


class Line(NamedTuple):
    kind: LineKind
    points: Decimal
    span: Span  # the clause, band or level that produced the line
    reason: str | None = None  # the author's words, `{item}` filled in
    facts: tuple[FactUse, ...] = ()
    # the arithmetic's numbers, named per kind: `engine.forms.LINES[kind].args` (e.g. `StepArgs`)
    args: tuple[Decimal | bool, ...] = ()
    item: Item | None = None


@record
class Failure:
    """Why an indicator has no points: a missing fact, a division by zero, an unknown level.

    Its particulars are typed arguments by name (`args`: numbers as `Decimal`s, names as
    strings), put into words by the messages module (`messages.failure_detail`, the
    diagnostics), never packed into a string that is split again."""

    code: str
    fact: str | None
    span: Span
    text: str = ""  # particulars already in words, from a site that gives no `args`
    expr: str = ""  # the failing expression as the author wrote it
    args: tuple[tuple[str, FailureArg], ...] = ()  # (name, value), in the order given

    @classmethod
    def of(
        cls, code: str, fact: str | None, span: Span, expr: str = "", **args: FailureArg
    ) -> Failure:
        """A failure with its particulars as named arguments: `Failure.of("E610", name, span,
        amount=a, lower=lo, upper=hi, low_in=True, high_in=True)`."""
        return cls(code, fact, span, "", expr, tuple(args.items()))

    def arg(self, name: str) -> FailureArg:
        for key, value in self.args:
            if key == name:
                return value
        raise KeyError(name)


class IndicatorResult(NamedTuple):
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
    excluded: bool = False  # not applicable, excluded from the total (which is rescaled)
    standard: str = ""  # the rules as written in the pack, one clause per line
    doc: str = ""  # the author's comment above the indicator (the 评分标准 in words)

    @property
    def lost(self) -> Decimal:
        return self.weight - self.points if self.points is not None else self.weight


class DerivedResult(NamedTuple):
    name: str
    kind: Kind
    value: Value | None  # None when it could not be computed
    expr: ast.Expr
    reads: tuple[FactUse, ...]
    span: Span


@record
class ExtraResult:
    """A bonus or penalty section: its points (never above `max`) and their lines."""

    kind: str
    code: str
    name: str
    max: Decimal
    points: Decimal | None
    lines: tuple[Line, ...]
    span: Span
    failures: tuple[Failure, ...] = ()


@record
class VetoResult:
    action: str  # grade | cap | zero | disqualify
    target: str | None
    reason: str | None
    fired: bool
    facts: tuple[FactUse, ...]
    span: Span


class Result(NamedTuple):
    """A scored record. A named tuple, like the ledger's records: a portfolio creates one per
    project, and a frozen dataclass of this many fields costs a microsecond more to build.

    Plain data: nothing in it refers to the plan or its closures, so it pickles on its own (to
    another process, to disk) and renders the same once read back (see `ledger`)."""

    settings: Settings
    pack_path: str
    evidence_path: str
    total: Decimal | None
    grade: str | None
    ledger: Ledger  # every indicator's points and lines, and the derived facts
    units: Mapping[str, str | None] = MappingProxyType({})  # fact → unit, for display
    tree_total: Decimal | None = None  # the indicator tree's sum, before extras and rescaling
    total_lines: tuple[Line, ...] = ()  # from the tree's sum to the total
    extras: tuple[ExtraResult, ...] = ()
    vetoes: tuple[VetoResult, ...] = ()
    disqualified: bool = False
    diagnostics: tuple[Diagnostic, ...] = ()
    pack_sha256: str = ""
    evidence_sha256: str = ""
    # (path, SHA-256) of every other file a value came from: survey responses
    inputs: tuple[tuple[str, str], ...] = ()
    # (path, SHA-256) of every pack file the pack imports (`import "template.jx"`)
    imports: tuple[tuple[str, str], ...] = ()
    # the evidence's `project:` fields (name, unit, evaluator …) as (key, text), in its order
    project: tuple[tuple[str, str], ...] = ()

    @property
    def indicators(self) -> tuple[IndicatorResult, ...]:
        """One result per indicator, in tree order."""
        return self.ledger.indicators()

    @property
    def derived(self) -> tuple[DerivedResult, ...]:
        """The derived facts in evaluation order, with what they read."""
        return self.ledger.derived()

    def __reduce__(self) -> tuple[Any, ...]:
        values = list(self)
        values[_UNITS] = dict(self.units)  # (a read-only view does not pickle)
        return _read_back, (tuple(values),)


_UNITS = Result._fields.index("units")


def _read_back(values: tuple[Any, ...]) -> Result:
    fields = list(values)
    fields[_UNITS] = MappingProxyType(fields[_UNITS])
    return Result(*fields)
