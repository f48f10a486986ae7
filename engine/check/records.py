"""Record lists: the fields of `fact 子项目: records { … }` and the aggregates over them.

A record list is a fact whose value is a list of records; each field is declared like a fact
(its type, unit, domain, choices, default) and read like one, cell by cell. A field may also be
computed per record (`完成率: percent = 完成数 / 目标数`). Aggregates (`sum(子项目.预算)`,
`count(培训 where 参训率 < 90%)`, `weighted mean(子项目.完成率 by 预算)`) are typed here: inside
`where` and a computed field, a bare name is a field of the record when it declares one — the
typed tree holds an `ast.Field` there — and a fact or parameter otherwise.
"""

from __future__ import annotations

from jixiao.dsl import ast
from jixiao.dsl.record import replace

from ..common import messages as msg
from ..common.ir import Derived, Fact
from ..common.types import KIND_NAMES, NUMERIC, Kind, assignable

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

    from jixiao.dsl.source import Span

    from .units import Unit

#: The kinds a field may have: a single value, read like a fact of that kind.
FIELD_KINDS = frozenset(
    {Kind.MONEY, Kind.NUMBER, Kind.COUNT, Kind.PERCENT, Kind.BOOL, Kind.TEXT, Kind.DATE}
)
#: Aggregates of a field's values, and those of records meeting a condition.
OF_FIELD = ("sum", "mean", "min", "max")
OF_RECORDS = ("count", "all", "any")
WEIGHTED = "weighted mean"


def check_fields(c: Any, decl: ast.FactDecl, fact: Fact) -> Fact:
    """The record list `fact` with its plain fields checked (E320–E322); its computed fields
    are typed once every fact and parameter is declared (`check_computed`)."""
    name = decl.name.text
    if fact.kind is not Kind.RECORDS:
        c.diags.append(msg.fields_on_other_type(name, decl.type.text, decl.fields[0].span))
        return fact
    if not decl.fields:
        c.diags.append(msg.records_without_fields(name, decl.type.span))
        return fact
    # a field's name is the record's own: the pack's tables of units and choices stay as they were
    saved_units, saved_choices = dict(c.fact_units), dict(c.choices)
    seen: dict[str, Span] = {}
    fields: list[Fact] = []
    kinds: dict[str, Kind] = {}
    units: dict[str, Unit | None] = {}
    try:
        for field in decl.fields:
            fname = field.name.text
            if fname in seen:
                c.diags.append(msg.field_twice(name, fname, field.name.span, seen[fname]))
                continue
            seen[fname] = field.name.span
            if isinstance(field, ast.LetDecl):
                continue
            kind = KIND_NAMES.get(field.type.text)
            if field.type.text == "choice":
                kind = Kind.TEXT
                if not field.choices:
                    c.diags.append(msg.choice_without_choices(fname, field.type.span))
            elif field.choices:
                c.diags.append(
                    msg.choices_on_other_type(fname, field.type.text, field.choices[0].span)
                )
            if kind is None:
                c.diags.append(msg.unknown_type(field.type.text, field.type.span, FIELD_NAMES))
                continue
            if kind not in FIELD_KINDS:
                c.diags.append(msg.field_type(name, fname, kind.value, field.type.span))
                continue
            made = c.fact_of(field, kind)
            kinds[fname], units[fname] = kind, c.fact_units.get(fname)
            fields.append(made)
    finally:
        c.fact_units.clear()
        c.fact_units.update(saved_units)
        c.choices.clear()
        c.choices.update(saved_choices)
    c.record_kinds[name] = kinds
    c.units.records[name] = units
    return replace(fact, fields=tuple(fields))


#: The type names a field may be declared with (E204's list).
FIELD_NAMES = ("money", "number", "count", "percent", "bool", "text", "date", "choice")


def check_computed(c: Any, decl: ast.FactDecl, fact: Fact) -> Fact:
    """The values computed per record, typed in the record's scope in the order declared: each
    may read the plain fields, the values computed before it, facts and parameters."""
    name = decl.name.text
    if fact.kind is not Kind.RECORDS or name not in c.record_kinds:
        return fact
    kinds, units = c.record_kinds[name], c.units.records[name]
    computed: list[Derived] = []
    lets = {d.name.text for d in c.pack.lets}
    let_spans = {d.name.text: d.name.span for d in c.pack.lets}
    for field in decl.fields:
        other = c.decl_spans.get(field.name.text) or let_spans.get(field.name.text)
        if other is not None:
            c.diags.append(msg.field_hides_name(name, field.name.text, field.name.span, other))
    for field in decl.fields:
        if not isinstance(field, ast.LetDecl) or field.name.text in kinds:
            continue
        fname = field.name.text
        declared = KIND_NAMES.get(field.type.text) if field.type else None
        if field.type is not None and declared not in FIELD_KINDS:
            c.diags.append(msg.unknown_type(field.type.text, field.type.span, FIELD_NAMES[:-1]))
        derived = []
        for used in _names(field.expr):
            if used.name in lets and used.name not in kinds:
                c.diags.append(msg.field_reads_derived(name, fname, used.name, used.span))
                derived.append(used.name)
        c.poisoned.update(derived)  # (E327 said it: no E201 as well)
        c.units.scopes.append(units)
        try:
            expr, unit = c.units.expr(field.expr)
        finally:
            c.units.scopes.pop()
        typed = in_scope(c, name, c.typed, expr)
        got = typed.kind
        if declared in FIELD_KINDS and got is not None and not assignable(got, declared):
            c.diags.append(msg.declared_kind_mismatch(fname, declared, got, field.expr.span))
        kind = declared if declared in FIELD_KINDS else got or Kind.NUMBER
        kinds[fname], units[fname] = kind, unit
        computed.append(Derived(fname, kind, typed, (), field.name.span))
    return replace(fact, computed=tuple(computed))


def _names(expr: ast.Expr) -> list[ast.Name]:
    from ..common.walk import names_in

    return list(names_in(expr))


def in_scope(c: Any, records: str, typing: Any, *args: Any) -> Any:
    """`typing(*args)` with the fields of `records` in scope (bare names become `ast.Field`s)."""
    outer = c.scope
    c.scope = (records, c.record_kinds.get(records, {}))
    try:
        return typing(*args)
    finally:
        c.scope = outer


def typed_aggregate(c: Any, e: ast.Aggregate) -> ast.Aggregate:
    """An aggregate with its kind, or None on it after reporting why (E323–E326)."""
    records = e.records.name
    kind = c.name_kind(records, e.records.span)
    names = ast.Name(records, e.records.span, kind)
    if kind is None:
        return ast.Aggregate(e.func, names, e.field, e.weight, e.where, e.span)
    if kind is not Kind.RECORDS:
        c.diags.append(msg.not_records(records, kind, e.records.span))
        return ast.Aggregate(e.func, names, e.field, e.weight, e.where, e.span)
    kinds: dict[str, Kind] = c.record_kinds.get(records, {})
    where = None
    if e.where is not None:
        where = in_scope(c, records, lambda: c.typed_bool(e.where, "the condition of `where`"))
    result = _result_kind(c, e, kinds)
    return ast.Aggregate(e.func, names, e.field, e.weight, where, e.span, result)


def _result_kind(c: Any, e: ast.Aggregate, kinds: dict[str, Kind]) -> Kind | None:
    records, func = e.records.name, e.func
    if func in OF_RECORDS:
        if e.field is not None:
            write = f"`{func}({records} where …)`: it counts or tests records, not a field"
            c.diags.append(msg.aggregate_form(func, records, e.span, "takes no field", write))
            return None
        if e.where is None:  # (the grammar gives a field-less aggregate its `where`)
            return None
        return Kind.COUNT if func == "count" else Kind.BOOL
    if func not in OF_FIELD and func != WEIGHTED:
        known = ", ".join(f"`{f}`" for f in (*OF_FIELD, *OF_RECORDS, WEIGHTED))
        hint = msg.did_you_mean(func, (*OF_FIELD, *OF_RECORDS))
        write = hint.removeprefix("did you mean ").rstrip("?") if hint else f"one of {known}"
        c.diags.append(msg.aggregate_form(func, records, e.span, "is no aggregate", write))
        return None
    if e.field is None:
        write = f"`{func}({records}.字段 …)`, naming the field"
        c.diags.append(msg.aggregate_form(func, records, e.span, "needs a field", write))
        return None
    field = _field_kind(c, records, e.field, kinds, f"the field of `{func}`")
    if e.weight is not None:
        weight = _field_kind(c, records, e.weight, kinds, "the weight of `weighted mean`")
        if weight is None:
            return None
    if field is None:
        return None
    if func in ("mean", WEIGHTED) and field is Kind.COUNT:
        return Kind.NUMBER  # the mean of whole numbers need not be one
    return field


def _field_kind(
    c: Any, records: str, word: ast.Word, kinds: dict[str, Kind], what: str
) -> Kind | None:
    kind = kinds.get(word.text)
    if kind is None:
        c.diags.append(msg.unknown_field(records, word.text, word.span, list(kinds)))
        return None
    if kind not in NUMERIC:
        c.diags.append(msg.aggregate_kind(what, word.text, kind, word.span))
        return None
    return kind
