"""Real intervals with open and closed ends, over which the analyses reason about tier tables,
conditions and domains (`analysis`, `conditions`, `verify`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from jixiao.dsl.formatter import number

from ..common.types import Kind


@dataclass(frozen=True, slots=True)
class Interval:
    """A real interval; None ends are infinite (and always open)."""

    lo: Decimal | None
    lo_closed: bool
    hi: Decimal | None
    hi_closed: bool

    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_closed and self.hi_closed))

    def text(self, kind: Kind) -> str:
        def show(v: Decimal | None, low: bool) -> str:
            if v is None:
                return "-∞" if low else "+∞"
            return number(v * 100) + "%" if kind is Kind.PERCENT else number(v)

        return (
            f"{'[' if self.lo_closed else '('}{show(self.lo, True)}, "
            f"{show(self.hi, False)}{']' if self.hi_closed else ')'}"
        )


def _intersect(a: Interval, b: Interval) -> Interval:
    if a.lo is None or (b.lo is not None and b.lo > a.lo):
        lo, lo_c = b.lo, b.lo_closed
    elif b.lo is None or a.lo > b.lo:
        lo, lo_c = a.lo, a.lo_closed
    else:
        lo, lo_c = a.lo, a.lo_closed and b.lo_closed
    if a.hi is None or (b.hi is not None and b.hi < a.hi):
        hi, hi_c = b.hi, b.hi_closed
    elif b.hi is None or a.hi < b.hi:
        hi, hi_c = a.hi, a.hi_closed
    else:
        hi, hi_c = a.hi, a.hi_closed and b.hi_closed
    return Interval(lo, lo_c, hi, hi_c)


def _subtract(a: Interval, b: Interval) -> list[Interval]:
    """a − b as at most two intervals."""
    if _intersect(a, b).empty():
        return [a]
    out = []
    if b.lo is not None:
        left = _intersect(a, Interval(None, False, b.lo, not b.lo_closed))
        if not left.empty():
            out.append(left)
    if b.hi is not None:
        right = _intersect(a, Interval(b.hi, not b.hi_closed, None, False))
        if not right.empty():
            out.append(right)
    return out


def _minus(parts: list[Interval], b: Interval) -> list[Interval]:
    return [piece for part in parts for piece in _subtract(part, b)]


def _domain(kind: Kind) -> Interval:
    if kind in (Kind.COUNT, Kind.MONEY, Kind.PERCENT):
        return Interval(Decimal(0), True, None, False)
    return Interval(None, False, None, False)
