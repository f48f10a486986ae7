"""The small type lattice of facts and expressions, and the arithmetic rules between kinds.

Kinds are what a policy author would call them: money (元), number, count, percent, bool, text,
date, list (of findings), and judgement (an evaluator's discretionary amount with its reason).
A plain number literal is `number`, which mixes with any numeric kind,
and a ratio of two like quantities (`实际支出 / 预算金额`) is a `number` too, which a `percent`
accepts — so the author writes rates naturally while money is never compared with a percent.
`Kind` itself is the language's (`dsl.ast`): the checker writes it on every expression node.
"""

from __future__ import annotations

from jixiao.dsl.ast import Kind as Kind  # the language's; shared here with its arithmetic

NUMERIC = frozenset({Kind.MONEY, Kind.NUMBER, Kind.COUNT, Kind.PERCENT})
DIMENSIONLESS = frozenset({Kind.NUMBER, Kind.PERCENT})
KIND_NAMES = {k.value: k for k in Kind}


def comparable(a: Kind, b: Kind) -> bool:
    """May `a` and `b` be compared, added or subtracted?"""
    if a == b:
        # a list, a record list, a panel or a judgement holds several values: nothing orders them
        return a not in (Kind.LIST, Kind.RECORDS, Kind.PANEL, Kind.JUDGEMENT)
    if a in NUMERIC and b in NUMERIC:
        return Kind.NUMBER in (a, b) or {a, b} == DIMENSIONLESS
    return False


def add_kind(a: Kind, b: Kind) -> Kind | None:
    if a not in NUMERIC or b not in NUMERIC or not comparable(a, b):
        return None
    if a == b:
        return a
    return b if a is Kind.NUMBER else a


def mul_kind(a: Kind, b: Kind) -> Kind | None:
    if a not in NUMERIC or b not in NUMERIC:
        return None
    if Kind.MONEY in (a, b):
        other = b if a is Kind.MONEY else a
        return Kind.MONEY if other is not Kind.MONEY else None
    if a is Kind.PERCENT and b is Kind.PERCENT:
        return Kind.PERCENT
    if Kind.COUNT in (a, b) and (a is Kind.COUNT) != (b is Kind.COUNT):
        # count × number: no longer a whole count
        return Kind.NUMBER
    return Kind.NUMBER


def div_kind(a: Kind, b: Kind) -> Kind | None:
    if a not in NUMERIC or b not in NUMERIC:
        return None
    if a == b:
        return Kind.NUMBER  # a ratio of like quantities
    if b in DIMENSIONLESS:
        return Kind.NUMBER if a is Kind.COUNT else a
    if a is Kind.MONEY and b is Kind.COUNT:
        return Kind.MONEY  # money per item
    if a in DIMENSIONLESS and b is Kind.COUNT:
        return Kind.NUMBER
    return None


def accepts(param: Kind, arg: Kind) -> bool:
    """May an argument of kind `arg` be passed for a function parameter declared `param`?
    A `number` parameter takes any quantity (count, money, percent), so one 正向 function
    serves every indicator."""
    if param is Kind.NUMBER:
        return arg in NUMERIC
    return assignable(arg, param)


def assignable(value: Kind, declared: Kind) -> bool:
    """May an expression of kind `value` define a derived fact declared `declared`?"""
    if value == declared:
        return True
    if declared in DIMENSIONLESS and value in DIMENSIONLESS:
        return True
    return value is Kind.NUMBER and declared in NUMERIC
