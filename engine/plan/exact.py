"""Exact arithmetic for the scores that land on a rounding boundary, and the decisions that
land on their bound.

Evaluation runs in `Decimal` with 28 significant digits. A quotient that does not terminate is
cut there, and a score computed from it can fall a hair short of half a cent: 3 × (5,500 ÷
300,000) is exactly 0.055 — 四舍五入 0.06 — but 3 × 0.01833…3 is 0.05499…9, which rounds to 0.05.
Only a score that lies within a hair of a rounding boundary can be misjudged that way, and
those are rare; where the pack rounds — a leaf, a branch with rules of its own, the total — the
value is checked (`scorer.near_boundary`). A leaf that is that close is first run again in 28
digits with the decimal context's `Inexact` flag cleared (`scorer.CONFIRMING`): if neither its
own arithmetic nor a derived fact it reads was rounded, its 28 digits are exact and so is the
pack's rounding of them (a tie of 3 × 99.5 % = 2.985). Otherwise it is computed again with
`Exact` numbers — rationals, which never round — so the pack's rounding is the only rounding
that shapes a score (`round_exact`). This module is imported only then.

Decisions are the other place 28 digits could speak: 10/12 × 40% + 4/9 × 60% is exactly 60 %,
but 0.5999…9 in 28 digits, below a band's bound of 60 %. Every compiled decision whose operands
may have been rounded (comparisons, band bounds, level and judgement ranges, step counts, the
targets of `forward` and `reverse`, divisors against 0, floors and caps) checks whether its two
sides lie within a hair of each other (`compile_expr.close`) and, if they were rounded on the
way (`compile_expr.rounded_on_the_way`), raises `NearBoundary`; the evaluator then computes the
leaf, branch, derived fact, veto or section that decided again here, from the facts.

The rules are the same closures, compiled a second time over `Exact` constants (see
`compiler.compile_exact`): one set of semantics, two kinds of number.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any


class Exact(Fraction):
    """A rational that also takes `Decimal` operands (exactly) and stays `Exact`, so the
    closures written for `Decimal` compute exactly when their inputs are `Exact`."""

    __slots__ = ()


def exact(value: Any) -> Any:
    """`value` as `Exact` if it is a number, else unchanged (a flag, a text, a list)."""
    if type(value) is Exact:
        return value
    if isinstance(value, Decimal) and value.is_finite():
        return Exact(value)
    if isinstance(value, int | Fraction) and not isinstance(value, bool):
        return Exact(value)
    return value


def _operand(value: Any) -> Any:
    if isinstance(value, Fraction | int | Decimal) and not isinstance(value, bool):
        return exact(value)
    return None


def _binary(op: Callable[[Any, Any], Any]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def forward(a: Exact, b: Any) -> Any:
        other = _operand(b)
        return NotImplemented if other is None else Exact(op(Fraction(a), Fraction(other)))

    def reverse(a: Exact, b: Any) -> Any:
        other = _operand(b)
        return NotImplemented if other is None else Exact(op(Fraction(other), Fraction(a)))

    return forward, reverse


for _name, _op in (
    ("add", operator.add),
    ("sub", operator.sub),
    ("mul", operator.mul),
    ("truediv", operator.truediv),
    ("floordiv", operator.floordiv),
    ("mod", operator.mod),
):
    _forward, _reverse = _binary(_op)
    setattr(Exact, f"__{_name}__", _forward)
    setattr(Exact, f"__r{_name}__", _reverse)
Exact.__neg__ = lambda self: Exact(-Fraction(self))  # type: ignore[method-assign]
Exact.__pos__ = lambda self: self  # type: ignore[method-assign]
Exact.__abs__ = lambda self: Exact(abs(Fraction(self)))  # type: ignore[method-assign]


def to_decimal(value: Any) -> Any:
    """An `Exact` number as the `Decimal` the ledger shows (28 digits, the run's context);
    anything else unchanged."""
    if type(value) is Exact:
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value


def round_exact(value: Fraction, places: int, mode: str) -> Decimal:
    """`value` rounded to `places` decimals under a `decimal` rounding mode, exactly."""
    negative = value < 0
    scaled = abs(value) * 10**places
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    twice, den = 2 * rest, scaled.denominator
    away = {
        decimal.ROUND_DOWN: False,
        decimal.ROUND_UP: rest > 0,
        decimal.ROUND_HALF_UP: twice >= den,
        decimal.ROUND_HALF_DOWN: twice > den,
        decimal.ROUND_HALF_EVEN: twice > den or (twice == den and whole % 2 == 1),
        decimal.ROUND_CEILING: rest > 0 and not negative,
        decimal.ROUND_FLOOR: rest > 0 and negative,
        decimal.ROUND_05UP: rest > 0 and whole % 5 == 0,
    }[mode]
    whole += 1 if away else 0
    return Decimal(-whole if negative else whole).scaleb(-places)
