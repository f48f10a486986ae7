"""Aggregates over record lists, compiled: `sum(子项目.预算)`, `mean`, `min`, `max`, `count(培训
where 参训率 < 90%)`, `all`/`any`, `weighted mean(子项目.完成率 by 预算)`.

Each record is evaluated in a `Scope`: its fields (and the values computed per record) first,
the run's facts behind them, so a `where` reads `完成数` of the record and `目标` of the pack alike.
A field given as 不适用 leaves the record out of an aggregate that reads it; a `where` that does
not hold leaves it out of `sum`/`mean`/`min`/`max`/`weighted mean` and `count`. Both are
recorded (`Taken`), and the ledger shows them (the `aggregate` line, `forms/steps.py`).

An aggregate never invents a value: the mean, minimum or maximum of no record, `all` over no
record, and a weighted mean whose weights add up to 0 fail (E675, E676) naming the record list;
a per-record value that cannot be computed fails naming the record (E677). The sum of no
record is 0, `count` of none is 0 and `any` of none is false.
"""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import NA, Failure, Records, Row
from .compile_expr import UNSET, Faulted, LeftOut, Unusable, field_fn, read

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..common.ir import Fact
    from .compile_expr import Env, ExprCompiler

ZERO = Decimal(0)


class Scope(dict[str, "Any"]):
    """The environment inside one record: its fields, then the run's facts (`outer`)."""

    __slots__ = ("outer",)

    def __init__(self, fields: dict[str, Any], outer: Env) -> None:
        super().__init__(fields)
        self.outer = outer

    def __missing__(self, name: str) -> Any:
        return self.outer[name]

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name, self.outer.get(name, default))


class Taken:
    """What an aggregate made of the records: its value, the rows it used, and the rows it
    left out with why (`where`: the condition did not hold; a field name: it was 不适用)."""

    __slots__ = ("left", "used", "value")

    def __init__(self, value: Any, used: list[Row], left: list[tuple[Row, str]]) -> None:
        self.value, self.used, self.left = value, used, left


class RecordPlan:
    """One record list's per-record values, compiled once: each row's `Scope` is built with
    them computed in order (a value computed from a 不适用 field is 不适用 too)."""

    def __init__(self, c: ExprCompiler, fact: Fact) -> None:
        self.name = fact.name
        self.exact = c.exact
        self.computed = tuple((d.name, c.expr(d.expr), d.span) for d in fact.computed)
        self._scopes: tuple[Env, Records, list[Scope]] | None = None

    def scopes(self, env: Env, records: Records) -> list[Scope]:
        """A `Scope` per row (kept for the run: a rule and its ledger line read the same)."""
        cached = self._scopes
        if cached is not None and cached[0] is env and cached[1] is records:
            return cached[2]
        out = []
        if self.exact:
            from .exact import exact
        for row in records.rows:
            values = {k: (exact(v) if self.exact else v) for k, v in row.values}
            scope = Scope(values, env)
            for name, fn, span in self.computed:
                try:
                    scope[name] = fn(scope)
                except LeftOut:
                    scope[name] = NA
                except Faulted as exc:
                    why = _why(exc.failure)
                    failure = Failure.of(
                        "E677", self.name, span, name, record=row.named, field=name, why=why
                    )
                    scope[name] = Unusable(failure)
            out.append(scope)
        self._scopes = (env, records, out)  # (one run at a time: the last one only)
        return out


def _why(failure: Failure) -> str:
    if failure.code == "E606":
        from ..common.messages import failure_detail

        return "division by zero: " + failure_detail(failure)
    if failure.code == "E677":
        return str(failure.arg("why"))
    return failure.code


def compile_aggregate(
    c: ExprCompiler, node: ast.Aggregate, plan: RecordPlan
) -> Callable[[Env], Taken]:
    """The closure that takes one aggregate over the records in `env`."""
    name, span, func = node.records.name, node.records.span, node.func
    where = c.expr(node.where) if node.where is not None else None
    field = field_fn(node.field.text) if node.field is not None else None
    weight = field_fn(node.weight.text) if node.weight is not None else None
    text = node.span.text

    def take(env: Env) -> Taken:
        records = env[name]
        if type(records) in UNSET:
            read(env, name, span)  # raises the fault
        used: list[Row] = []
        left: list[tuple[Row, str]] = []
        values: list[Any] = []
        weights: list[Any] = []
        for row, scope in zip(records.rows, plan.scopes(env, records), strict=True):
            try:
                if where is not None and not where(scope):
                    left.append((row, "where"))
                    continue
                if field is not None:
                    values.append(field(scope))
                if weight is not None:
                    weights.append(weight(scope))
            except LeftOut as out:
                if field is not None and len(values) > len(used):
                    values.pop()
                left.append((row, out.field))
                continue
            used.append(row)
        return Taken(_value(func, values, weights, used, left, name, node, text), used, left)

    return take


def _value(
    func: str,
    values: list[Any],
    weights: list[Any],
    used: list[Row],
    left: list[tuple[Row, str]],
    name: str,
    node: ast.Aggregate,
    text: str,
) -> Any:
    if func == "count":
        return Decimal(len(used))
    if func == "any":
        return bool(used)
    if func == "all":
        if not used and not any(why == "where" for _, why in left):
            raise Faulted(Failure.of("E675", name, node.span, text, left=Decimal(len(left))))
        return not any(why == "where" for _, why in left)
    if func == "sum":
        total = ZERO
        for v in values:
            total += v
        return total
    if not values:
        raise Faulted(Failure.of("E675", name, node.span, text, left=Decimal(len(left))))
    if func == "min":
        return min(values)
    if func == "max":
        return max(values)
    if func == "mean":
        total = ZERO
        for v in values:
            total += v
        return total / Decimal(len(values))
    # weighted mean: Σ wᵢ·xᵢ ÷ Σ wᵢ
    top, bottom = ZERO, ZERO
    for v, w in zip(values, weights, strict=True):
        top += v * w
        bottom += w
    if not bottom:
        assert node.weight is not None
        raise Faulted(Failure.of("E676", name, node.span, text, weight=node.weight.text))
    return top / bottom


def aggregates_in(exprs: Any, derived: Any) -> list[ast.Aggregate]:
    """The aggregates `exprs` take, and those of the derived facts they read (directly or
    not), each once, in source order: the ones a rule's ledger lines explain."""
    from jixiao.dsl import record

    out: dict[str, ast.Aggregate] = {}  # by its text: the same aggregate written twice is one
    seen: set[str] = set()
    stack: list[Any] = list(reversed(list(exprs)))
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, record.Record):
            continue
        if isinstance(node, ast.Aggregate):
            from jixiao.dsl.formatter import format_expr

            out.setdefault(format_expr(node), node)
        if isinstance(node, ast.Name) and node.name in derived and node.name not in seen:
            seen.add(node.name)
            stack.append(derived[node.name].expr)
            continue
        kids = [getattr(node, f) for f in record.fields(node) if f not in ("span", "kind")]
        stack.extend(reversed([k for k in kids if isinstance(k, record.Record | tuple)]))
    return list(out.values())


def explain_fn(c: ExprCompiler, node: ast.Aggregate) -> Callable[[Env], tuple[Any, ...] | None]:
    """The closure of an aggregate's ledger line (`LineKind.AGGREGATE`, no points): its value,
    the records it used and those it left out with why; None when it has no value (its
    failure is the rule's)."""
    from ..common.result import LineKind
    from ..common.types import Kind

    take = c.aggregate(node)
    reads = c.uses(node.records)
    percent = node.kind is Kind.PERCENT

    def explain(env: Env) -> tuple[Any, ...] | None:
        try:
            taken = take(env)
        except Faulted:
            return None
        from .exact import to_decimal

        used = tuple((r.index, r.label) for r in taken.used)
        left = tuple((r.index, r.label, why) for r, why in taken.left)
        args = (to_decimal(taken.value), percent, used, left)
        return (LineKind.AGGREGATE, ZERO, node.span, None, reads, args, None)

    return explain
