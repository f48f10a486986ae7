"""Hypothesis strategies for rule packs: evidence for any pack, and packs themselves.

Public, for authors' own pytest suites (see the README's recipe) and for `jixiao verify`:

- `facts_for(plan)`: a dict of fact values (the evidence a YAML file would give) respecting
  each fact's declared type, `nonzero`, the levels its rules list and the fields its findings
  need, concentrated on and around the pack's own thresholds (`>= 95%`, `== 0`);
- `evidence_of(plan, facts)` / `evidence_yaml(facts)`: that dict as jixiao's `Evidence`, or as
  the text of an evidence file (for a counterexample an author can run);
- `pack_texts(valid=True)`: whole packs with random indicator trees and rules of every form,
  whose weights add up (or, with `valid=False`, are off somewhere).

Requires hypothesis (the `verify` or `test` extra).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import strategies as st

from jixiao.dsl import ast
from jixiao.dsl.source import Source

from ..common.ir import Fact, Program
from ..common.result import Item, Judgement, Mark, Panel, Provenance, Records, Row
from ..common.types import Kind
from ..common.walk import names_in
from ..forms import all_rules, form_of, rule_exprs
from ..forms.base import constant as _constant
from ..plan.compiler import Plan
from ..runtime.evidence import Evidence

# ----- evidence ---------------------------------------------------------------------------------


def _thresholds(program: Program) -> dict[str, set[Decimal]]:
    """Constants each fact is compared with, anywhere in the pack."""
    out: dict[str, set[Decimal]] = defaultdict(set)

    def visit(expr: ast.Expr) -> None:
        match expr:
            case ast.Compare(_, left, right):
                for a, b in ((left, right), (right, left)):
                    value = _constant(b)
                    if value is not None:
                        for n in names_in(a):
                            out[n.name].add(value)
                        if isinstance(a, ast.Field):  # `where 参训率 < 90%`: a record's field
                            out[f"{a.records}.{a.name}"].add(value)
                visit(left)
                visit(right)
            case ast.Aggregate(where=where) if where is not None:
                visit(where)
            case ast.Logic(_, left, right) | ast.Arith(_, left, right):
                visit(left)
                visit(right)
            case ast.Not(operand) | ast.Neg(operand):
                visit(operand)
            case ast.If(cond, then, otherwise):
                visit(cond)
                visit(then)
                visit(otherwise)
            case ast.Call():
                pass  # comparisons inside a call's arguments are not collected (as before)
            case (
                ast.Name()
                | ast.Number()
                | ast.Percent()
                | ast.String()
                | ast.Bool()
                | ast.Date()
                | ast.EmptyList()
                | ast.Aggregate()
                | ast.Field()
            ):
                pass  # a leaf: compared with nothing (an aggregate compares per record)
            case _:
                ast.assert_never(expr)

    for ind in program.indicators:
        for rule in all_rules(ind.rules):
            for expr in rule_exprs(rule):
                visit(expr)
            for subject, value in form_of(rule).thresholds(rule):
                for n in names_in(subject):
                    out[n.name].add(value)
    for d in program.derived.values():
        visit(d.expr)
    return out


def _labels(program: Program) -> tuple[dict[str, list[str]], dict[str, dict[str, list[str]]]]:
    """Levels each text fact may take, and the fields (with values) each list's findings need."""
    levels: dict[str, list[str]] = defaultdict(list)
    fields: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for ind in program.indicators:
        for rule in all_rules(ind.rules):
            # the forms that name the levels or finding fields a fact's values take
            for name, field, labels in form_of(rule).labels(rule):
                if field is None:
                    levels[name] += labels
                elif labels:
                    fields[name][field] = list(labels)
                else:  # any values will do: two, so that `distinct by` has something to tell
                    fields[name].setdefault(field, ["甲类", "乙类"])
    return levels, fields


def _near(values: set[Decimal], step: Decimal) -> list[Decimal]:
    return sorted({v + d for v in values for d in (-step, Decimal(0), step)})


def _panels(
    program: Program, thresholds: dict[str, set[Decimal]]
) -> dict[str, tuple[Decimal, int]]:
    """Each panel fact's band (the smallest weight of the indicators that read it) and the most
    experts any of its rules needs (a `panel` rule's threshold: its `min`)."""
    out: dict[str, tuple[Decimal, int]] = {}
    for ind in program.indicators:
        for name in ind.reads:
            fact = program.facts.get(name)
            if fact is not None and fact.kind is Kind.PANEL:
                top = out.get(name, (ind.weight, 1))[0]
                least = int(max(thresholds.get(name, ()), default=Decimal(1)))
                out[name] = (min(top, ind.weight), least)
    return out


def _value(
    fact: Fact,
    thresholds: set[Decimal],
    levels: list[str],
    fields: dict[str, list[str]],
    panel: tuple[Decimal, int] | None = None,
) -> st.SearchStrategy[Any]:
    low = 1 if fact.nonzero else 0

    def scaled(lo: int, hi: int, scale: int) -> st.SearchStrategy[Decimal]:
        return st.integers(lo, hi).map(lambda n: Decimal(n) / scale)

    def around(base: st.SearchStrategy[Decimal], near: list[Decimal]) -> st.SearchStrategy[Any]:
        return st.sampled_from(near) | base if near else base

    match fact.kind:
        case Kind.COUNT:
            near = [v for v in _near(thresholds, Decimal(1)) if v >= low and v == int(v)]
            return around(scaled(low, 60, 1), near)
        case Kind.PERCENT:
            # inside the fact's domain: [0%, 100%] unless it declares `min`/`max`
            top = int((fact.max if fact.max is not None else 1) * 10000)
            near = [
                v
                for v in _near(thresholds, Decimal("0.0001"))
                if v >= 0 and (v or not low) and v <= top / 10000
            ]
            return around(scaled(low, top, 10000), near)
        case Kind.MONEY:
            top = min(2_000_000, int(fact.max)) if fact.max is not None else 2_000_000
            near = [v for v in _near(thresholds, Decimal("0.01")) if low <= v <= top]
            return around(scaled(low, top, 1), near)
        case Kind.NUMBER:
            base = scaled(-10000, 10000, 100)
            if fact.nonzero:
                base = base.filter(bool)
            near = [v for v in _near(thresholds, Decimal("0.01")) if v or not fact.nonzero]
            return around(base, near)
        case Kind.BOOL:
            return st.booleans()
        case Kind.TEXT:
            if fact.choices:
                return st.sampled_from(fact.choices)
            return st.sampled_from(levels) if levels else st.sampled_from(["甲", "乙", "丙"])
        case Kind.DATE:
            return st.dates(dt.date(2015, 1, 1), dt.date(2020, 12, 31))
        case Kind.LIST:
            item = st.fixed_dictionaries(
                {
                    "item": st.sampled_from(["问题一", "问题二", "问题三", "问题四"]),
                    **{f: st.sampled_from(v) for f, v in fields.items()},
                }
            )
            return st.lists(item, max_size=6)
        case Kind.PANEL:
            # experts' scores within the band of every rule that reads the panel ([0, weight]),
            # as many as the most demanding `min` asks, and a few more
            band, least = panel or (Decimal(10), 1)
            mark = st.integers(0, int(band * 10)).map(lambda n: Decimal(n) / 10)
            scores = st.lists(mark, min_size=least, max_size=least + 4)
            return scores.map(
                lambda xs: [{"专家": f"专家{i + 1}", "得分": x} for i, x in enumerate(xs)]
            )
        case Kind.JUDGEMENT:
            return st.fixed_dictionaries(
                {
                    "value": st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(1), Decimal(2)]),
                    "reason": st.just("评价人判断"),
                    "by": st.just("评价人"),
                }
            )
        case Kind.RECORDS:
            return _rows(fact, {})
    raise AssertionError(fact.kind)  # pragma: no cover


def _rows(fact: Fact, thresholds: dict[str, set[Decimal]]) -> st.SearchStrategy[Any]:
    """One to six records, each field drawn as a fact of its kind would be (its own `nonzero`,
    domain and choices), near the constants a `where` compares it with (`records.field`)."""
    row = st.fixed_dictionaries(
        {
            f.name: _value(f, thresholds.get(f"{fact.name}.{f.name}", set()), [], {})
            for f in fact.fields
        }
    )
    return st.lists(row, min_size=1, max_size=6).map(_Rows)


class _Rows(list):  # type: ignore[type-arg]
    """Generated records (a list of field → value), told apart from a list of findings."""


def _records(fact: Fact, rows: list[dict[str, Any]]) -> Records:
    first = next((f.name for f in fact.fields if f.kind is Kind.TEXT), None)
    return Records(
        tuple(
            Row(
                i,
                str(row[first]) if first else None,
                tuple((f.name, row[f.name]) for f in fact.fields),
                Provenance(None),
            )
            for i, row in enumerate(rows, start=1)
        )
    )


def facts_for(plan: Plan) -> st.SearchStrategy[dict[str, Any]]:
    """Evidence values for every fact of a pack (parameters keep their defaults)."""
    program = plan.program
    thresholds = _thresholds(program)
    levels, fields = _labels(program)
    panels = _panels(program, thresholds)
    parts = {
        name: _rows(fact, thresholds)
        if fact.kind is Kind.RECORDS
        else _value(
            fact,
            thresholds.get(name, set()),
            levels.get(name, []),
            fields.get(name, {}),
            panels.get(name),
        )
        for name, fact in program.facts.items()
        if not fact.is_param
    }
    return st.fixed_dictionaries(parts)


def evidence_of(plan: Plan, facts: dict[str, Any], path: str = "<generated>") -> Evidence:
    """The generated values as jixiao's Evidence, without going through YAML."""
    values: dict[str, Any] = {}
    kinds = {n: f.kind for n, f in plan.program.facts.items()}
    for name, value in facts.items():
        if isinstance(value, _Rows):
            values[name] = _records(plan.program.facts[name], value)
        elif isinstance(value, list) and kinds.get(name) is Kind.PANEL:
            marks = (Mark(v["专家"], v["得分"], "", Provenance(None)) for v in value)
            values[name] = Panel(tuple(marks))
        elif isinstance(value, list):
            values[name] = tuple(
                Item(
                    v["item"],
                    Provenance(
                        None,
                        details=tuple((k, str(x)) for k, x in sorted(v.items()) if k != "item"),
                    ),
                )
                for v in value
            )
        elif isinstance(value, dict):
            values[name] = Judgement(value["value"], value["reason"], value.get("by"), None)
        else:
            values[name] = value
    return Evidence(Source(path, ""), values, {}, {})


def _yaml_value(value: Any, kind: Kind | None = None) -> Any:
    if isinstance(value, Decimal) and kind is Kind.PERCENT:
        return format((value * 100).normalize(), "f") + "%"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [
            {k: _yaml_value(x) for k, x in v.items()} if isinstance(v, dict) else v for v in value
        ]  # (a record's percent field is written as its fraction, which the reader takes)
    if isinstance(value, dict):
        return {k: _yaml_value(x) for k, x in value.items()}
    return value


def evidence_yaml(
    facts: dict[str, Any], note: str = "", kinds: dict[str, Kind] | None = None
) -> str:
    """An evidence file an author can run with `jixiao eval`."""
    kinds = kinds or {}
    head = "".join(f"# {line}\n" for line in note.splitlines())
    body = yaml.safe_dump(
        {"facts": {k: _yaml_value(v, kinds.get(k)) for k, v in facts.items()}},
        allow_unicode=True,
        sort_keys=False,
    )
    return head + body


# ----- packs ------------------------------------------------------------------------------------

_RULES = [
    "full when 甲",
    "full when 率 >= 100% else proportional 率",
    "proportional 率",
    "forward 数 target 50",
    "equal 数 target 0",
    "reverse 数 target 20 linear",
    "tiers 率 { >= 95%: full; [90%, 95%): 50%; else: 0 }",
    'levels 档次 { "好": full; "中": 50%; "差": 0 }',
    'checklist { 50%: 甲 "要素一"; 50%: 乙 }',
    'deduct 0.5 per 问题 "问题：{item}"',
    'deduct 1 when not 乙 "未满足"',
    "deduct 1 per 3% of 100% - 率 whole max 2",
    'deduct per 问题 by "severity" { "一般": 0.5; "严重": 1 } max 2',
    'zero when 丙 "本项不得分"',
    'warn when not 甲 "提示"',
    "choose { when 甲: full; when 乙: 50%; else: 0 }",
    'levels 档次 score 分 { "好": [80%, 100%]; "中": [60%, 80%); "差": [0, 60%) }',
    'deduct 酌情 within [0.5, 2] "酌情扣分"',
    'deduct 1 per 问题 distinct by "severity" max 2',
    "full when 日期 <= 2017-12-31 else 50%",
    "reverse 数 target 0",
    "full when 额 <= 50万元 else 50%",
    "reverse 额 target 500000元 linear",
    "full when 人数 >= 3人",
    # (aggregates whose values terminate: a mean's 1/3 would meet the ledger's 28 digits)
    "full when all(子项 where 完成率 >= 90%) else proportional min(子项.占比)",
    'deduct 1 per count(子项 where 完成率 < 60%) max 2 "完成率低于60%的子项"',
    "full when sum(子项.金额) >= 50万元 else proportional max(子项.占比)",
    "panel 评分 mean",
    "panel 评分 trimmed",
    "panel 评分 median min 2",
    'by 类别 { "甲类": proportional 率; "乙类": full when 甲 else 50%; else: 0 }',
    'by 类别 { "甲类", "乙类": full; "丙类": panel 评分 mean }',
    'deduct 1 per 3% of 100% - 率 whole max 2 unless 丙 "政策调整"',
    'deduct 0.5 per 问题 "{item}" unless 乙 "已整改"',
]

_DECLS = (
    "fact 甲: bool\nfact 乙: bool\nfact 丙: bool\nfact 率: percent max 150%\nfact 数: count\n"
    "fact 档次: text\nfact 问题: list\nfact 分: number\nfact 酌情: judgement\n"
    'fact 日期: date\nfact 额: money unit "万元" min -5万元 max 100亿\n'
    'fact 人数: count unit "人"\n'
    'fact 子项: records { 名称: text; 金额: money unit "万元"; 完成: count; 目标: count nonzero; '
    "占比: percent; 完成率: percent = 完成 / 目标 }\n"
    'fact 评分: panel\nfact 类别: choice ["甲类", "乙类", "丙类"]\n'
)


@st.composite
def _tree(draw: st.DrawFn, code: str, weight: int, depth: int, forms: tuple[str, ...] = ()) -> str:
    indent = "    " * depth
    if depth >= 2 or weight < 2 or draw(st.booleans()):
        drawn = st.sampled_from(forms or _RULES)
        rules = draw(st.lists(drawn, min_size=1, max_size=3, unique=True))
        base = [r for r in rules if not r.startswith(("deduct", "zero", "warn"))][:1]
        rest = [r for r in rules if r.startswith(("deduct", "zero", "warn"))]
        body = "".join(f"{indent}    {r}\n" for r in base + rest)
        return f'{indent}indicator {code} "指标{code}" {weight} {{\n{body}{indent}}}\n'
    parts = draw(st.integers(2, min(4, weight)))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, weight - 1), min_size=parts - 1, max_size=parts - 1, unique=True
            )
        )
    )
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, weight], strict=True)]
    children = "".join(
        draw(_tree(f"{code}{'.' if depth else ''}{i + 1}", w, depth + 1, forms))
        for i, w in enumerate(weights)
    )
    return f'{indent}indicator {code} "指标{code}" {weight} {{\n{children}{indent}}}\n'


ROUNDINGS = ("half_up", "half_even", "half_down", "down", "up")
#: Every rule `pack_texts` draws from (a test may draw from some of them: `forms`).
RULES: tuple[str, ...] = tuple(_RULES)


@st.composite
def rounded_pack_texts(
    draw: st.DrawFn, forms: tuple[str, ...] = (), scopes: tuple[str, ...] = ("leaves", "total")
) -> str:
    """A pack as `pack_texts` draws it, with any rounding (places 0–3, every mode, either
    scope) and weights in units of 1, 0.5, 0.25 or 0.1: many of them are not multiples of
    the rounding step, which the checker must refuse (E431) or score within the weights.
    `forms`: the rules to draw from (`RULES`: all of them)."""
    places = draw(st.integers(0, 3))
    mode = draw(st.sampled_from(ROUNDINGS))
    scope = draw(st.sampled_from(scopes))
    unit = draw(st.sampled_from([Decimal(1), Decimal("0.5"), Decimal("0.25"), Decimal("0.1")]))
    grades = "grades { 优 >= 0.9; 差 else }"  # the national ones need a total of 90
    text: str = draw(pack_texts(unit=unit, forms=forms))
    _, rest = text.split("\n", 1)
    total = format((100 * unit).normalize(), "f")
    return f'pack "生成" {{ total {total} rounding {places} {mode} on {scope} {grades} }}\n' + rest


def _scaled(text: str, unit: Decimal) -> str:
    """Every indicator weight of a generated tree multiplied by `unit`."""
    if unit == 1:
        return text
    out = []
    for line in text.split("\n"):
        if line.lstrip().startswith("indicator"):
            head, weight, brace = line.rsplit(" ", 2)
            line = f"{head} {format((Decimal(weight) * unit).normalize(), 'f')} {brace}"
        out.append(line)
    return "\n".join(out)


@st.composite
def pack_texts(
    draw: st.DrawFn, valid: bool = True, unit: Decimal = Decimal(1), forms: tuple[str, ...] = ()
) -> str:
    """A whole pack: declarations, and a tree whose weights add up exactly — or, with
    `valid=False`, one indicator's weight is off by one, so some sum no longer holds. With
    `unit`, every weight (and the total) is in that unit: 0.5 makes a pack of total 50."""
    roots = draw(st.integers(1, 3))
    cuts = sorted(
        draw(st.lists(st.integers(1, 99), min_size=roots - 1, max_size=roots - 1, unique=True))
    )
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    trees = "".join(draw(_tree(chr(ord("A") + i), w, 0, forms)) for i, w in enumerate(weights))
    if not valid:
        lines = trees.split("\n")
        heads = [i for i, line in enumerate(lines) if line.lstrip().startswith("indicator")]
        at = draw(st.sampled_from(heads))
        head, weight, brace = lines[at].rsplit(" ", 2)
        lines[at] = f"{head} {int(weight) + 1} {brace}"
        trees = "\n".join(lines)
    total = format((100 * unit).normalize(), "f")
    return f'pack "生成" {{ total {total} }}\n' + _DECLS + _scaled(trees, unit)
