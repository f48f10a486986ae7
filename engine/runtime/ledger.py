"""The ledger as evaluation records it, and its reading as named tuples.

Evaluation keeps, per indicator, its points and its lines as plain tuples in `Line`'s field
order, with the clause's `Reads` (which facts it read, decided at compile time) where the facts
go. Nothing is left out: the kind, the points, the numbers of the arithmetic, the reason and the
item are all recorded as the rule ran, and the values of the facts read are those of the run's
environment, which no step changes once the derived facts are computed. What is deferred is
only the packaging — `IndicatorResult`, `Line` and `FactUse` named tuples cost several times a
plain tuple to create, some 120 of them a record — and it happens once, the first time a
renderer reads `Result.indicators` or `Result.derived`. A portfolio that keeps only totals never
pays for it; one that writes every line pays once, as before.

What the packaging reads is plain data, never the plan: the records, the run's environment (the
values the lines read), where the evidence's values came from, and the pack's `Shape` — its
indicators and derived facts, the same for every record, built once per plan. So a result
pickles on its own (`pickle.dumps(result)` takes no plan, closure or evidence reader along: the
origins are written out as the dict they are), and renders the same once read back.
"""

from __future__ import annotations

from collections.abc import Mapping

from jixiao.dsl.record import record

from ..common.ir import Derived, Indicator
from ..common.result import DerivedResult, FactUse, IndicatorResult, Line, Provenance
from ..forms import LINES
from ..plan.compile_expr import Broken, Env, Origins, Reads

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..common.result import Entry
    from ..plan.compiler import Plan
    from .evidence import Evidence

#: Where a raw line keeps what `Line` calls kind, points and reason (the same places).
KIND, POINTS, REASON = 0, 1, 3

_new = tuple.__new__
#: Each line kind's record of named arguments, by the kind's identity: an `Enum` member hashes
#: in Python, several times slower than `id` (a lookup per line of every ledger read). Filled
#: as kinds are met: a form's lines are known once the form is loaded (see `forms._load`).
_ARGS: dict[int, Any] = {}
_DEFAULT = Provenance(None, is_default=True)


@record
class Shape:
    """What every record of a pack shares: the indicators in tree order, the derived facts in
    evaluation order with what each reads, and the facts that have a default."""

    indicators: tuple[Indicator, ...]
    derived: tuple[tuple[Derived, Reads], ...]
    defaults: frozenset[str]
    # an indicator's own value of a parameter, by the name it is declared as: where it came from
    own: tuple[tuple[str, Provenance], ...] = ()


def shape(plan: Plan) -> Shape:
    """The plan's shape, made the first time a record of it is scored."""
    memo = plan.memo
    made: Shape | None = memo.get("shape")
    if made is None:
        program = plan.program
        made = memo["shape"] = Shape(
            program.indicators,
            tuple((program.derived[name], reads) for name, _, reads in plan.derived),
            frozenset(plan.defaults),
            # `达成线@B1`: B1's own value of 达成线 (see `common.own`, kept off the warm path)
            tuple(
                (name, Provenance(fact.span, indicator=name.partition("@")[2]))
                for name, fact in program.facts.items()
                if fact.is_param and "@" in name
            ),
        )
    return made


class Ledger:
    __slots__ = (
        "_derived",
        "_env",
        "_evidence",
        "_facts",
        "_indicators",
        "_origins",
        "_records",
        "_shape",
    )

    def __init__(self, plan: Plan, evidence: Evidence, env: Env, records: list[Entry]) -> None:
        self._fill(shape(plan), evidence, env, records)

    def _fill(
        self, shape: Shape, evidence: Evidence | None, env: Env, records: list[Entry]
    ) -> None:
        # INVARIANT: nothing changes `env` or `records` once the result is made (see above).
        self._shape = shape
        self._evidence = evidence
        self._env = env
        self._records = records
        self._origins: Origins | None = None
        self._indicators: tuple[IndicatorResult, ...] | None = None
        self._derived: tuple[DerivedResult, ...] | None = None
        # Reads → its facts with their values: one clause's lines (a finding each) share them.
        # Keyed by identity: every Reads is held by the records (and the shape), which the
        # ledger holds; a memo of this ledger's only, never pickled.
        self._facts: dict[int, tuple[FactUse, ...]] = {}

    def raw(self) -> Iterator[tuple[Indicator, Entry]]:
        """Each indicator with its record as evaluation left it: for a reader on a hot path
        that needs points, kinds and reasons but no facts (the portfolio summary), which the
        packaging would otherwise build for every line of every project."""
        return zip(self._shape.indicators, self._records, strict=True)

    def origins(self) -> Origins:
        """Where each fact's value came from: the evidence file, or the pack's default. Looked
        up name by name (`_Origins`): a line reads two or three of a project's forty facts,
        and a portfolio row words where a cell is only when asked (`batch._RowOrigins`)."""
        if self._origins is None:
            assert self._evidence is not None  # (a ledger read back has its origins)
            over: dict[str, Provenance] = {}
            given = self._evidence.values
            for name in self._shape.defaults:
                if name not in given:
                    over[name] = _DEFAULT
            for name, origin in self._shape.own:
                if name not in given:
                    over[name] = origin
            self._origins = _Origins(self._evidence.origins, over)
        return self._origins

    def line(self, raw: tuple[Any, ...]) -> Line:
        """A raw line packaged: its facts looked up, its arguments named by its kind's record
        (see `forms.base.LineSpec.args`: the closures append them as a plain tuple)."""
        kind, reads, args = raw[0], raw[4], raw[5]
        record = _ARGS.get(id(kind))
        if record is None:
            record = _ARGS[id(kind)] = LINES[kind].args
        args = _new(record, args)
        if type(reads) is not Reads:
            return _new(Line, (kind, raw[1], raw[2], raw[3], reads, args, raw[6]))
        facts = self._facts.get(id(reads))
        if facts is None:
            facts = self._facts[id(reads)] = reads.facts(self._env, self.origins())
        return _new(Line, (kind, raw[1], raw[2], raw[3], facts, args, raw[6]))

    def indicators(self) -> tuple[IndicatorResult, ...]:
        if self._indicators is None:
            line, out = self.line, []
            for ind, (points, lines, failures, excluded) in zip(
                self._shape.indicators, self._records, strict=True
            ):
                out.append(
                    _new(
                        IndicatorResult,
                        (
                            ind.code,
                            ind.name,
                            ind.parent,
                            ind.depth,
                            ind.weight,
                            points,
                            tuple([line(raw) for raw in lines]) if lines else (),
                            not ind.children,
                            ind.span,
                            failures,
                            excluded,
                            ind.standard,
                            ind.doc,
                        ),
                    )
                )
            self._indicators = tuple(out)
        return self._indicators

    def derived(self) -> tuple[DerivedResult, ...]:
        if self._derived is None:
            env, origins = self._env, self.origins()
            out = []
            for d, reads in self._shape.derived:
                value = env[d.name]
                out.append(
                    DerivedResult(
                        d.name,
                        d.kind,
                        None if type(value) is Broken else value,
                        d.expr,
                        self._facts.get(id(reads)) or reads.facts(env, origins),
                        d.span,
                    )
                )
            self._derived = tuple(out)
        return self._derived

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the plain data it reads: the shape, the environment, the origins (written
        out) and the records; what was packaged already is packaged again when read."""
        return _read_back, (self._shape, self._env, dict(self.origins()), self._records)


class _Origins(Mapping[str, Provenance]):
    """An evidence's origins, under those of the facts it does not give (the pack's
    defaults, an indicator's own value of a parameter)."""

    __slots__ = ("_given", "_over")

    def __init__(self, given: Mapping[str, Provenance], over: dict[str, Provenance]) -> None:
        self._given, self._over = given, over

    def __getitem__(self, name: str) -> Provenance:
        origin = self._over.get(name)
        return self._given[name] if origin is None else origin

    def get(self, name: str, default: Any = None) -> Any:
        origin = self._over.get(name)
        return self._given.get(name, default) if origin is None else origin

    def __iter__(self) -> Iterator[str]:
        yield from self._given
        yield from (name for name in self._over if name not in self._given)

    def __len__(self) -> int:
        return len(self._given) + sum(name not in self._given for name in self._over)


def _read_back(shape: Shape, env: Env, origins: Origins, records: list[Entry]) -> Ledger:
    ledger = Ledger.__new__(Ledger)
    ledger._fill(shape, None, env, records)
    ledger._origins = origins
    return ledger
