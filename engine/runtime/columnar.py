"""Evidence as columns, for the columnar plan (`plan.vector`): each fact's values for a batch
of projects as numpy arrays, exactly.

A value the columns cannot hold as the ledger path would read it — a missing fact, 不适用, a
number whose numerator or denominator leaves 62 bits, anything of another type — marks its
project undecided for that fact (see `plan.vector`): the project is scored by the ledger path
if, and only if, a rule it takes reads the fact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from ..common.types import Kind
from ..plan.vector import Cols, Flag, Items, Num, Text, VectorPlan

_BIG = 2**62


def columns(vp: VectorPlan, rows: Sequence[Mapping[str, object]]) -> Cols:
    """The facts of `rows` (each a project's evidence values, name → value) as columns; a
    fact a row lacks takes the pack's default, else it is missing."""
    defaults = vp.defaults
    cols: Cols = {}
    for name, kind in vp.facts.items():
        default = defaults.get(name, MISSING)
        cols[name] = coded(kind, [row.get(name, default) for row in rows])
    return cols


#: A fact the evidence does not give and the pack gives no default for.
MISSING: Any = object()


def coded(kind: Kind, values: list[Any]) -> Any:
    """One fact's values as a column, each distinct value converted once."""
    index: dict[Any, int] = {}
    table: list[Any] = []
    codes = []
    for x in values:
        key = (type(x), x) if type(x) is not tuple else (tuple, id(x))
        k = index.get(key)
        if k is None:
            k = index[key] = len(table)
            table.append(x)
        codes.append(k)
    return take(encode(kind, table), np.array(codes, dtype=np.intp))


def take(v: Any, codes: Any) -> Any:
    """A column over a table of distinct values, gathered for each project by its code."""
    if isinstance(v, Num):
        d = v.d if np.ndim(v.d) == 0 else v.d[codes]
        return Num(v.n[codes], d, v.bad[codes], v.hi, v.dhi)
    if isinstance(v, Flag):
        return Flag(v.v[codes], v.bad[codes])
    if isinstance(v, Items):
        return Items(v.count[codes], v.bad[codes])
    return Text(v.codes[codes], v.labels, v.bad[codes])


def encode(kind: Kind, values: list[Any]) -> Any:
    """Values of one fact as a column; what the columns cannot hold is marked undecided."""
    n = len(values)
    bad = np.zeros(n, dtype=bool)
    if kind is Kind.BOOL:
        v = np.zeros(n, dtype=bool)
        for i, x in enumerate(values):
            if x is True:
                v[i] = True
            elif x is not False:
                bad[i] = True
        return Flag(v, bad)
    if kind is Kind.LIST:
        count = np.zeros(n, dtype=np.int64)
        for i, x in enumerate(values):
            if type(x) is tuple:
                count[i] = len(x)
            else:
                bad[i] = True
        return Items(count, bad)
    if kind is Kind.TEXT:
        labels: dict[str, int] = {}
        codes = np.full(n, -1, dtype=np.int64)
        for i, x in enumerate(values):
            if type(x) is str:
                codes[i] = labels.setdefault(x, len(labels))
            else:
                bad[i] = True
        return Text(codes, labels, bad)
    if kind in (Kind.MONEY, Kind.NUMBER, Kind.COUNT, Kind.PERCENT):
        num = np.zeros(n, dtype=np.int64)
        den = np.ones(n, dtype=np.int64)
        for i, x in enumerate(values):
            if type(x) is not Decimal or not x.is_finite():
                bad[i] = True
                continue
            p, q = x.as_integer_ratio()
            if abs(p) >= _BIG or q >= _BIG:
                bad[i] = True
                continue
            num[i], den[i] = p, q
        whole = not n or int(den.max()) == 1  # counts, whole amounts: one denominator, 1
        return Num(num, np.int64(1) if whole else den, bad)
    # dates, judgements, record lists, panels: no rule the columnar plan runs reads them
    return Flag(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))


def ledger_leaves(
    plan: Any, vp: VectorPlan, rows: Sequence[Mapping[str, object]]
) -> dict[int, tuple[Any, Any]]:
    """The leaves no column runs (`vp.ledger`), each project's scored by the ledger path's own
    leaf closure over the facts it reads and the derived facts it needs, in the evaluator's
    decimal context: (points in units, undecided marks) by place. A project is undecided for a
    leaf that faults, lands a hair from a boundary (the evaluator decides those exactly), moves
    a score the wrong way (E505) or reads a fact the evidence lacks."""
    import decimal

    from ..common.ir import Program
    from ..plan.compile_expr import Broken, Faulted, Missing, NearBoundary
    from .evaluator import CONTEXT, _formula_amount, _gain

    program: Program = plan.program
    closures = {place: fn for place, _, fn in plan.leaves}
    derived = {name: fn for name, fn, _ in plan.derived}
    reads = vp.ledger_reads
    facts = program.facts
    defaults = plan.defaults
    guarded = {
        place
        for place, _ in vp.ledger
        if any(_formula_amount(r) for r in program.indicators[place].rules)
    }
    scale = vp.places
    n = len(rows)
    out = {place: (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)) for place, _ in vp.ledger}
    with decimal.localcontext(CONTEXT):
        for j, row in enumerate(rows):
            env: dict[str, Any] = {}
            for name in reads:
                if name in facts:
                    value = row.get(name, defaults.get(name, MISSING))
                    env[name] = Missing(name, facts[name].span) if value is MISSING else value
                    continue
                try:
                    env[name] = derived[name](env)
                except Faulted as exc:
                    env[name] = Broken(exc.failure)
                except (NearBoundary, decimal.DecimalException, TypeError):
                    env[name] = _UNDECIDED  # the evaluator decides it (exactly, or as a failure)
            unsure = any(env[k] is _UNDECIDED for k in reads if k in derived)
            for place, _ in vp.ledger:
                units, undecided = out[place]
                if unsure:
                    undecided[j] = True
                    continue
                try:
                    points, lines, _, _ = closures[place](env)
                except (Faulted, NearBoundary):
                    undecided[j] = True
                    continue
                shifted = points.scaleb(scale) if points is not None else None
                if (
                    shifted is None
                    or shifted != shifted.to_integral_value()
                    or (place in guarded and _gain(lines) is not None)
                ):
                    undecided[j] = True
                    continue
                units[j] = int(shifted)
    return out


_UNDECIDED: Any = object()


__all__ = ["MISSING", "coded", "columns", "encode", "ledger_leaves", "take"]
