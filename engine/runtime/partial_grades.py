"""The grades still possible and the missing facts that can move the grade (`eval --partial`,
see `runtime.partial` and docs/partial.md), from a finished search's ranges and witnesses."""

from __future__ import annotations

from .eliminate import Completion

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from decimal import Decimal
    from typing import Any

    #: The search (`partial.Search`) and a range (`partial.Range`): named loosely, as that
    #: module imports this one.
    Search = Any
    Range = Any
    #: (fact, whether changing it alone moves the grade — None: not decided —, the pair)
    Moving = tuple[str, "bool | None", "tuple[Completion, Completion] | None"]

MAX_STARTS = 64  # completions the search for a fact that moves the grade starts from
MAX_TRIES = 20_000  # evaluations that search may take, shared among the missing facts


def grade_of(search: Search, completion: Completion) -> tuple[bool, str | None]:
    """(scored, grade) of a completion: a disqualified project has no grade."""
    result = search.score(completion)
    if result.total is None:
        return False, None
    return True, None if result.disqualified else result.grade


def grades(search: Search, total: Range | None) -> tuple[str | None, ...]:
    """The grades of the bands the total's range meets, through the grade vetoes: a veto
    whose condition reads an unknown fact may or may not act."""
    if total is None:
        return ()
    settings = search.program.settings
    order = [band.label for band in settings.grades]  # best first
    lo, hi = total.low.points, total.high.points
    possible: list[str | None] = []
    upper: Decimal | None = None
    for band in settings.grades:
        floor = band.lower
        meets = (floor is None or hi >= floor) and (upper is None or lo < upper)
        if meets:
            possible.append(band.label)
        if floor is not None:
            upper = floor
    assert search.total_keys is not None
    base = search.score(search.total_keys[0])
    fired = [v.fired for v in base.vetoes] if base is not None else []
    for i, planned in enumerate(search.plan.vetoes):
        veto = planned.veto
        if veto.action == "zero":
            continue  # acts on the points, which the total's range holds already
        unknown = bool(search.veto_reads[i])
        if not unknown and not (i < len(fired) and fired[i]):
            continue
        label = veto.target.text if veto.target is not None else None
        changed: list[str | None] = []
        for g in possible:
            if g is None:
                changed.append(None)
            elif veto.action == "grade":
                changed.append(label)
            elif veto.action == "cap" and label in order:
                above = order.index(g) < order.index(label)
                changed.append(label if above else g)
            elif veto.action == "disqualify":
                changed.append(None)
            else:
                changed.append(g)
        possible = changed if not unknown else [*possible, *changed]
    seen: list[str | None] = []
    for g in sorted(possible, key=lambda g: order.index(g) if g in order else len(order)):
        if g not in seen:
            seen.append(g)
    return tuple(seen)


def missing(
    search: Search, total: Range | None, grades: tuple[str | None, ...]
) -> tuple[Moving, ...]:
    """For each unknown fact, whether changing it alone changes the grade, shown by two
    completions differing in it only. Searched from the completions along two paths from
    the lowest total to the highest (one fact at a time through its candidates, in name
    order and its reverse) and from MAX_STARTS drawn at random (seeded), over every
    candidate of the fact: a "yes" is proven by its pair; a "no" is that no pair was found
    (see docs/partial.md)."""
    if total is None or len(grades) < 2:
        return tuple((name, False, None) for name in search.unknown)
    assert search.total_keys is not None
    low, high = search.total_keys
    starts = _path(search, low, high, False) + _path(search, low, high, True) + _drawn(search)
    share = max(1, MAX_TRIES // len(search.unknown))
    out: list[Moving] = []
    for name in search.unknown:
        witness, searched = _moves(search, name, starts, share)
        if witness is not None:
            pair = (search.real(witness[0]), search.real(witness[1]))
            out.append((name, True, pair))
        else:
            out.append((name, False if searched else None, None))
    return tuple(out)


def _path(search: Search, low: Completion, high: Completion, backwards: bool) -> list[Completion]:
    """Completions from `low` to `high`, one fact changed at a time through its candidates,
    the facts in name order or its reverse (at most MAX_STARTS of them, evenly spaced)."""
    path = [low]
    current = dict(low)
    target = dict(high)
    for name in sorted(current, reverse=backwards):
        values = search.values[name]
        i, j = values.index(current[name]), values.index(target[name])
        step = 1 if j >= i else -1
        for k in range(i + step, j + step, step):
            current[name] = values[k]
            path.append(tuple(sorted(current.items())))
    if len(path) > MAX_STARTS:
        stride = len(path) / MAX_STARTS
        path = [path[int(n * stride)] for n in range(MAX_STARTS)] + [path[-1]]
    return path


def _drawn(search: Search) -> list[Completion]:
    """MAX_STARTS completions drawn from the candidates (seeded: the same every run)."""
    import random

    draw = random.Random(0)
    names = sorted(search.unknown)
    return [tuple((f, draw.choice(search.values[f])) for f in names) for _ in range(MAX_STARTS)]


def _moves(
    search: Search, name: str, starts: list[Completion], budget: int
) -> tuple[tuple[Completion, Completion] | None, bool]:
    """A pair of completions differing in `name` only, with different grades; and whether
    every start was tried within `budget` evaluations."""
    spent = 0
    for start in starts:
        scored, grade = grade_of(search, start)
        if not scored:
            continue
        for value in search.values[name]:
            other = tuple((f, value if f == name else v) for f, v in start)
            spent += other not in search.cache
            ok, moved = grade_of(search, other)
            if ok and moved != grade:
                return (start, other), True
            if spent > budget:
                return None, False
    return None, True
