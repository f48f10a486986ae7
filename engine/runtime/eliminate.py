"""Variable elimination over tables of points (`eval --partial`, see `runtime.partial`): the
completion of the unknown facts that gives the least or the most sum of several tables, each
over a few of the facts.

A table maps each combination of its facts' candidate values to points (a combination the
evaluator refused is absent). Eliminating a fact replaces the tables that read it by one table
over their other facts, holding the best sum over the fact's values and which value gave it;
the facts are taken cheapest first (the smallest table made). The kept choices rebuild the
best completion. Exact over the candidates; the work is the size of the largest table made,
which `MAX_CELLS` bounds (`TooLarge` beyond it).
"""

from __future__ import annotations

from decimal import Decimal
from itertools import product

from jixiao.dsl.record import record

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)

#: A completion: values for the unknown facts, sorted by name (hashable, deterministic).
Completion = tuple[tuple[str, object], ...]

MAX_CELLS = 2_000_000  # cells × values a single elimination step may go through


class TooLarge(Exception):
    """The facts are too entangled to eliminate within `MAX_CELLS`."""


@record
class Factor:
    """A table: its facts (sorted), and for each combination of their values the points read
    (by key: `indicator:CODE`, `extra:N`); `key` is the one this factor adds to the sum."""

    key: str
    facts: tuple[str, ...]
    rows: dict[Completion, dict[str, Decimal]]


def optimise(
    factors: list[Factor], values: dict[str, list[object]]
) -> tuple[Completion | None, Completion | None]:
    """The completions of the facts the factors read that give the least and the most sum of
    their points (each factor's own value at `key`), by variable elimination; None for an end
    no combination reaches (every one refused). Raises `TooLarge`."""
    ends: list[Completion | None] = []
    for sign in (-1, 1):
        tables = []
        for f in factors:
            table: dict[Completion, Decimal] = {}
            for completion, got in f.rows.items():
                table[completion] = sign * got[f.key]
            tables.append((f.facts, table))
        ends.append(_eliminate(tables, values))
    return ends[0], ends[1]


def _cost(
    v: str,
    pending: list[tuple[tuple[str, ...], dict[Completion, Decimal]]],
    values: dict[str, list[object]],
) -> int:
    """The cells × values eliminating `v` goes through."""
    scope = {f for facts, _ in pending if v in facts for f in facts}
    size = 1
    for f in scope:
        size *= len(values[f])
    return size


def _eliminate(
    tables: list[tuple[tuple[str, ...], dict[Completion, Decimal]]],
    values: dict[str, list[object]],
) -> Completion | None:
    """Max-sum over the tables (each over its facts, a missing row refused), keeping the
    argmax: returns the maximising completion of every fact read."""
    pending = list(tables)
    variables = sorted({f for facts, _ in pending for f in facts})
    chosen_by: list[tuple[str, tuple[str, ...], dict[Completion, object]]] = []
    while variables:
        # the fact whose elimination makes the smallest table
        v = min(variables, key=lambda x: (_cost(x, pending, values), x))
        if _cost(v, pending, values) > MAX_CELLS:
            raise TooLarge
        variables.remove(v)
        touching = [t for t in pending if v in t[0]]
        pending = [t for t in pending if v not in t[0]]
        scope = tuple(sorted({f for facts, _ in touching for f in facts} - {v}))
        new: dict[Completion, Decimal] = {}
        argmax: dict[Completion, object] = {}
        for combo in product(*(values[f] for f in scope)):
            assign = dict(zip(scope, combo, strict=True))
            best: tuple[Decimal, object] | None = None
            for value in values[v]:
                assign[v] = value
                total = Decimal(0)
                for facts, table in touching:
                    row = table.get(tuple((f, assign[f]) for f in facts))
                    if row is None:
                        break
                    total += row
                else:
                    if best is None or total > best[0]:
                        best = (total, value)
            if best is not None:
                key = tuple(zip(scope, combo, strict=True))
                new[key] = best[0]
                argmax[key] = best[1]
        if not new:
            return None
        pending.append((scope, new))
        chosen_by.append((v, scope, argmax))
    for _, table in pending:  # the scopes left are empty: one row each
        if () not in table:
            return None
    assignment: dict[str, object] = {}
    for v, scope, argmax in reversed(chosen_by):
        assignment[v] = argmax[tuple((f, assignment[f]) for f in scope)]
    return tuple(sorted(assignment.items()))


def climb(
    factors: list[Factor], values: dict[str, list[object]]
) -> tuple[Completion | None, Completion | None]:
    """When elimination is `TooLarge`: the least and the most sum found by changing one fact
    at a time to its best value, from every fact's first value, until nothing improves — a
    sum some completion reaches, not necessarily the extreme (the range says it is not
    exact)."""
    facts = sorted({f for factor in factors for f in factor.facts})
    ends: list[Completion | None] = []
    for sign in (-1, 1):

        def value(assign: dict[str, object], sign: int = sign) -> Decimal | None:
            total = Decimal(0)
            for factor in factors:
                got = factor.rows.get(tuple((f, assign[f]) for f in factor.facts))
                if got is None:
                    return None
                total += sign * got[factor.key]
            return total

        assign = {f: values[f][0] for f in facts}
        best = value(assign)
        for _ in range(8):  # rounds: each is one pass over the facts
            moved = False
            for f in facts:
                for candidate in values[f]:
                    trial = {**assign, f: candidate}
                    got = value(trial)
                    if got is not None and (best is None or got > best):
                        assign, best, moved = trial, got, True
            if not moved:
                break
        ends.append(tuple(sorted(assign.items())) if best is not None else None)
    return ends[0], ends[1]
