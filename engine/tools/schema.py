"""The JSON Schema of a pack's evidence: the reader's contract, for systems that produce it.

It accepts what `evidence.load` reads without an error, and nothing else, as far as JSON Schema
can say it (tests/test_schema.py holds the two together with a property over generated
evidence): values as the reader parses them from their text (a percent `92%` or a fraction,
money with its unit, a count in the fact's own unit), the kinds' and facts' domains, the levels
of every `levels` rule, the keys a fact's mapping may hold, surveys with their questions, and
which facts the pack needs unless a default or a survey gives them.

What it cannot say, the reader still refuses: a calendar day that does not exist
(`2017-02-30`; a month past 12 or a day past 31 the pattern refuses), Chinese numerals it
cannot read (`十十`, `三五`, `一百一`) or whose reading is not whole where a count needs one
(`1.23456万`), a number of more than 20 digits, a declared domain on a value written as
text (JSON numbers carry `minimum`/`maximum`, and a judgement's amount the range of the rules
that read it), the open end of a judgement's range, a survey file that is missing, and a
counted survey fact declared `nonzero` that counts 0.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from jixiao.dsl import ast
from jixiao.dsl.record import replace

from ..check.units import COUNT_UNITS, MONEY_UNITS, Unit, domain, fact_unit
from ..common.ir import Fact, Program
from ..common.types import Kind
from ..common.walk import constant_amount
from ..forms import BY_NODE, all_rules

_PROVENANCE = ("source", "note", "method", "date", "recorded_by", "page", "reason", "by")
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_WS = r"\s*"
#: A number as the reader takes it (`evidence._NUMBER`, after full-width digits are folded).
_DIGITS = r"(\d{1,3}(,\d{3})+|\d+)(\.\d+)?"
#: Chinese numerals as the reader takes them (`numerals.parse`): positional and digit-string
#: numerals, financial capitals, 万/亿, a fraction after 点 (`一万二千`, `壹拾万`, `三点五`), and
#: an Arabic number with a Chinese multiplier (`1.2万`, `3亿`).
_CN_DIGITS = "零〇一二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖"
_CN = (
    f"([{_CN_DIGITS}十拾百佰千仟万萬亿億]+(点[{_CN_DIGITS}]+[万萬亿億]*)?"
    f"|{_DIGITS}[十百千万亿萬億]{{1,2}})"
)
#: 角 and 分: one digit each, after a 零 that marks a gap.
_JIAO = f"零?[1-9{_CN_DIGITS[2:]}]角"
_FEN = f"零?[1-9{_CN_DIGITS[2:]}]分"
#: Money as a cheque writes it (`numerals.money`): `壹拾万元整`, `叁元零伍分`, `五角`; `整`
#: closes an amount without 分.
_CHEQUE = (
    f"(({_CN})|{_DIGITS})[元圆]({_JIAO}{_FEN}|{_JIAO}[整正]?|{_FEN}|[整正])?"
    f"|{_JIAO[2:]}({_FEN}|[整正])?|{_FEN[2:]}"
)


def _anycase(word: str) -> str:
    """A regex matching `word` in any letter case (JSON Schema patterns have no flags)."""
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isalpha() and c.isascii() else _esc(c) for c in word
    )


def _esc(text: str) -> str:
    return "".join("\\" + c if c in r"\.^$*+?()[]{}|/-" else c for c in text)


def _alternatives(words: list[str]) -> str:
    return "(" + "|".join(_anycase(w) for w in sorted(words, key=len, reverse=True)) + ")"


_NA = "^" + _WS + _alternatives(["不适用", "n/a", "na", "not applicable", "不涉及"]) + _WS + "$"
_TRUE = ["true", "yes", "y", "on", "是", "有", "对", "√", "✓", "已", "1"]
_FALSE = ["false", "no", "n", "off", "否", "无", "没有", "错", "×", "✗", "未", "0"]


def _text(pattern: str, description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": "^" + _WS + pattern + _WS + "$",
        "description": description,
    }


def _suffixes(kind: Kind, unit: Unit | None) -> list[str]:
    """The units a value of the fact may be written with (`evidence._amount`)."""
    if unit is None:
        return list(COUNT_UNITS)
    if unit.dimension == "money":
        return list(MONEY_UNITS)
    return [unit.name]


def _numeric(fact: Fact) -> dict[str, Any]:
    kind = fact.kind
    low, high = domain(fact)
    # a side a parameter's default opened (`param 下限: money = -5万元`) has no bound
    low = None if low is not None and low.is_infinite() else low
    high = None if high is not None and high.is_infinite() else high
    unit = fact_unit(kind, fact.unit)
    signed = low is None or low < 0
    sign = "[+-]?" if signed else r"\+?"
    number: dict[str, Any] = {"type": "integer" if kind is Kind.COUNT else "number"}
    if kind is Kind.PERCENT:
        # JSON numbers are fractions; the reader refuses a bare number above 2 (it would mean
        # more than 200%), whatever the domain.
        low = max(low, Decimal(-2)) if low is not None else Decimal(-2)
        high = min(high, Decimal(2)) if high is not None else Decimal(2)
    if low is not None:
        number["minimum"] = _json_number(low)
    if high is not None:
        number["maximum"] = _json_number(high)
    if fact.nonzero:
        number["not"] = {"const": 0}
    if kind is Kind.PERCENT:
        if fact.min is None and fact.max is None:
            # the kind's own domain [0%, 100%], which a pattern can state exactly
            percent = r"\+?0*(100(\.0+)?|\d{1,2}(\.\d+)?)"
            fraction = r"\+?(0*1(\.0+)?|0+(\.\d+)?)"
        else:  # a declared domain: the sign at least (JSON numbers carry the bounds)
            percent = fraction = sign + _DIGITS
        text = _text(
            f"({percent}{_WS}[%％]|{fraction}|百分之{_WS}({_DIGITS}|{_CN}))",
            "a percentage (`92%`, `百分之九十二`) or a fraction (0.92)",
        )
    else:
        prefix = r"([¥￥]?(RMB)?(CNY)?(rmb)?(cny)?)" if kind is Kind.MONEY else ""
        body = (
            f"{sign}({_DIGITS})" if kind is not Kind.COUNT else r"\+?(\d{1,3}(,\d{3})+|\d+)(\.0+)?"
        )
        units = _alternatives(_suffixes(kind, unit))
        cheque = (
            f"|{prefix}{_WS}{_CHEQUE}" if unit is not None and unit.dimension == "money" else ""
        )
        text = _text(
            f"({prefix}{_WS}({body}|{_CN}){_WS}{units}?{cheque})",
            f"a number, or its text with a unit (`100,000`, `10万元`); in {unit.name}"
            if unit is not None
            else "a number, or its text (`12`, `12次`)",
        )
    if fact.nonzero:
        text["not"] = {"pattern": f"^[^1-9１-９{_CN_DIGITS[2:]}十拾百佰千仟]*$"}  # no digit but 0
    return {"anyOf": [number, text]}


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _value(fact: Fact, levels: dict[str, list[str]]) -> dict[str, Any]:
    match fact.kind:
        case Kind.MONEY | Kind.NUMBER | Kind.COUNT | Kind.PERCENT:
            schema = _numeric(fact)
        case Kind.BOOL:
            schema = {
                "anyOf": [
                    {"type": "boolean"},
                    {"type": "integer", "enum": [0, 1]},
                    _text(_alternatives(_TRUE + _FALSE), "true/false, 是/否, 有/无"),
                ]
            }
        case Kind.TEXT:
            if fact.choices:
                # exactly one of them, spaces around it trimmed as the reader trims them
                exact = "(" + "|".join(re.escape(c) for c in fact.choices) + ")"
                schema = _text(exact, "one of " + "、".join(fact.choices))
            elif fact.name in levels:
                # a level some `levels` rule lists; another would stop that rule (E607)
                schema = {"type": "string", "enum": levels[fact.name]}
            else:
                schema = {"type": ["string", "number", "boolean"]}
        case Kind.DATE:
            schema = _text(
                r"\d{4}\s*[-/.年]\s*(0?[1-9]|1[0-2])\s*[-/.月]\s*(0?[1-9]|[12]\d|3[01])\s*日?"
                r"(T?\s*([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?",
                "a date: 2017-12-31 or 2017年12月31日",
            )
        case Kind.LIST:
            item = {
                "anyOf": [
                    _SCALAR,
                    {
                        "type": "object",
                        "anyOf": [
                            {"required": ["item"], "properties": {"item": _FILLED}},
                            {
                                "required": ["description"],
                                "properties": {"description": _FILLED, "item": _EMPTY},
                            },
                        ],
                    },
                ]
            }
            empty = _text(r"(~|null|\[\]|无)?", "nothing found")
            schema = {"anyOf": [{"type": "array", "items": item}, {"type": "null"}, empty]}
        case Kind.JUDGEMENT:
            # the range of the rules that read it (`within [0.5, 2]`), as JSON numbers; 0 is
            # always allowed (nothing deducted)
            bounded = Fact(
                fact.name, Kind.NUMBER, None, None, None, fact.span, min=fact.min, max=fact.max
            )
            amount = {"anyOf": [_ZERO, _numeric(bounded)]}
            schema = {
                "type": "object",
                "required": ["value"],
                "properties": {"value": amount, **{k: _SCALAR for k in _PROVENANCE}},
                "additionalProperties": False,
                "anyOf": [
                    {"required": ["reason"], "properties": {"reason": _FILLED}},
                    {"required": ["note"], "properties": {"note": _FILLED}},
                    {"properties": {"value": {"anyOf": [_ZERO, _NA_VALUE]}}},
                ],
            }
            schema["properties"]["value"] = {"anyOf": [amount, _NA_VALUE]}
            schema = {"anyOf": [schema, _ZERO]}  # 0 needs no reason, and may stand alone
        case Kind.RECORDS:
            schema = _records(fact, levels)
        case Kind.PANEL:
            schema = _panel()
    if fact.label or fact.unit:
        schema["title"] = " ".join(x for x in (fact.label, fact.unit and f"({fact.unit})") if x)
    return schema


def _records(fact: Fact, levels: dict[str, list[str]]) -> dict[str, Any]:
    """A record list: a list of records, each with every declared field (a field with a
    `default` may be left blank; 不适用 leaves the record out of what reads the field), or a
    CSV/XLSX sheet beside the evidence (`runtime/records.py`)."""
    blank = {"anyOf": [{"type": "null"}, {"const": ""}]}
    fields = {
        f.name: {"anyOf": [_value(f, {}), _NA_VALUE, *([blank] if f.default is not None else [])]}
        for f in fact.fields
    }
    row = {
        "type": "object",
        "required": [f.name for f in fact.fields],
        "properties": fields,
        "additionalProperties": False,
    }
    files = r".*\.([Cc][Ss][Vv]|[Tt][Xx][Tt]|[Tt][Ss][Vv]|[Xx][Ll][Ss][XxMm])"
    sheet = {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": _text(files, "a CSV or XLSX file beside the evidence"),
            "sheet": {"type": "string", "description": "the workbook's sheet (default: first)"},
            "source": _SCALAR,
            "note": _SCALAR,
        },
        "additionalProperties": False,
    }
    empty = _text(r"(~|null|\[\]|无)?", "no records")
    return {
        "anyOf": [
            {"type": "array", "items": row, "maxItems": 100_000},
            sheet,
            _text(files, "a CSV or XLSX file beside the evidence"),
            {"type": "null"},
            empty,
        ]
    }


#: A scalar the reader takes as text that is not empty (JSON `null` arrives as the text "null").
_FILLED = {"anyOf": [{"type": ["number", "boolean", "null"]}, {"type": "string", "minLength": 1}]}
#: What the reader takes as no text: "" or a value that is not a scalar (it is dropped).
_EMPTY = {"anyOf": [{"const": ""}, {"type": ["object", "array"]}]}
_NA_VALUE = {"type": "string", "pattern": _NA, "description": "不适用"}


_ZERO = {"anyOf": [{"const": 0}, _text(r"[+-]?0+(\.0+)?", "0")]}


def _panel() -> dict[str, Any]:
    """A panel (专家评分): one entry per expert, a mapping of its fields in Chinese or English
    (`runtime.panels.FIELDS`), `张三: 4.5`, or a mapping of names to scores. A score is a number
    0 or more (the band is the rule's: the reader leaves it to the rule, E665); names must
    differ, which JSON Schema cannot say of an array (the reader refuses it, E664)."""
    from ..runtime.panels import FIELDS

    score: dict[str, Any] = {
        "anyOf": [
            {"type": "number", "minimum": 0},
            _text(f"\\+?({_DIGITS}|{_CN}){_WS}分?", "a score: `4.5`, `4.5分`, `四点五`"),
        ]
    }
    fields: dict[str, Any] = {alias: _FILLED for aliases in FIELDS.values() for alias in aliases}
    fields.update({alias: score for alias in FIELDS["score"]})

    def needs(*names: str) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": fields,
            "additionalProperties": False,
            "allOf": [
                {"anyOf": [{"required": [a], "properties": {a: _FILLED}} for a in FIELDS[f]]}
                for f in names
            ],
        }

    entry = needs("name", "score")
    named = {"anyOf": [score, needs("score")]}  # `张三: {得分: 4.5, 理由: …}`
    return {
        "anyOf": [
            {
                "type": "array",
                "items": {
                    "anyOf": [
                        entry,
                        {
                            "type": "object",
                            "minProperties": 1,
                            "maxProperties": 1,
                            "additionalProperties": score,
                        },
                    ]
                },
            },
            {"type": "object", "additionalProperties": named, "not": {"required": ["value"]}},
            {"type": "null"},
            _text(r"(~|null|\[\]|无)?", "no expert"),
        ]
    }


def _fact(fact: Fact, levels: dict[str, list[str]]) -> dict[str, Any]:
    value = _value(fact, levels)
    na = _NA_VALUE
    if fact.kind in (Kind.JUDGEMENT, Kind.RECORDS):
        return {"anyOf": [value, na]}
    provenance = {
        "type": "object",
        "required": ["value"],
        "properties": {"value": {"anyOf": [value, na]}, **{k: _SCALAR for k in _PROVENANCE}},
        "additionalProperties": False,
    }
    return {"anyOf": [value, provenance, na]}


def _levels(program: Program) -> dict[str, list[str]]:
    """The levels every rule over a plain text fact lists (a `levels` rule's labels: its form's
    `labels` without a field), per fact (their intersection)."""
    found: dict[str, set[str]] = {}
    for indicator in program.indicators:
        for rule in all_rules(indicator.rules):
            form = BY_NODE.get(type(rule))
            for name, field, listed in form.labels(rule) if form is not None else ():
                if field is not None:
                    continue  # the values of a field of a list's findings
                labels = set(listed)
                found[name] = found[name] & labels if name in found else labels
    return {n: sorted(v) for n, v in found.items() if n in program.facts}


def _survey(aggs: list[ast.SurveyFact]) -> dict[str, Any]:
    response: dict[str, Any] = {"type": "object"}
    rules: list[dict[str, Any]] = []
    for agg in aggs:
        for column in agg.columns:
            asked = {
                "type": "object",
                "required": [column.text],
                "properties": {column.text: _SCALAR},
            }
            rules.append({"anyOf": [{"maxItems": 0}, {"contains": asked}]})
        if agg.aggregate == "mean":
            question = agg.columns[0].text
            labels = [label for label, _ in agg.scale]
            blank = {"type": "string", "pattern": r"^\s*$"}
            scored = {"anyOf": [{"enum": labels}, blank, {"not": _SCALAR}]}
            rules.append(
                {
                    "items": {
                        "anyOf": [{"not": {"type": "object"}}, {"properties": {question: scored}}]
                    }
                }
            )
            answered = {
                "type": "object",
                "required": [question],
                "properties": {question: {"enum": labels}},
            }
            rules.append({"contains": answered})
    inline = {
        "type": "array",
        "items": {"anyOf": [response, {"not": {"type": "object"}}]},
        "allOf": rules,
    }
    return {
        "anyOf": [
            {"type": "string", "description": "a CSV or XLSX file beside the evidence"},
            inline,
        ]
    }


def _judged_ranges(program: Program) -> dict[str, tuple[Decimal, Decimal]]:
    """The amounts each judgement fact may take, in points: the intersection of the constant
    ranges of the `deduct … within […]` rules that read it (a share `%` of the weight counted
    in points). A fact any of whose ranges is not constant is left out (no bound)."""
    found: dict[str, tuple[Decimal, Decimal] | None] = {}

    for indicator in program.indicators:
        for rule in all_rules(indicator.rules):
            form = BY_NODE.get(type(rule))
            for name, interval in form.judged(rule) if form is not None else ():
                low = constant_amount(interval.lower.value, indicator.weight)
                high = constant_amount(interval.upper.value, indicator.weight)
                if low is None or high is None or found.get(name, (low, high)) is None:
                    found[name] = None
                    continue
                before = found.get(name)
                found[name] = (max(low, before[0]), min(high, before[1])) if before else (low, high)
    return {n: r for n, r in found.items() if r is not None and r[0] <= r[1]}


def evidence_schema(program: Program) -> dict[str, Any]:
    judged = _judged_ranges(program)
    facts = {
        n: (replace(f, min=judged[n][0], max=judged[n][1]) if n in judged else f)
        for n, f in program.facts.items()
        if not f.is_param
    }
    params = {n: f for n, f in program.facts.items() if f.is_param}
    levels = _levels(program)
    surveys: dict[str, list[ast.SurveyFact]] = {}
    for fact in facts.values():
        if fact.survey is not None and fact.aggregate is not None:
            surveys.setdefault(fact.survey, []).append(fact.aggregate)
    needs: list[dict[str, Any]] = []
    for name, fact in facts.items():
        given = {
            "required": ["facts"],
            "properties": {"facts": {"type": "object", "required": [name]}},
        }
        if fact.survey is not None:
            counted = {
                "required": ["surveys"],
                "properties": {"surveys": {"required": [fact.survey]}},
            }
            needs.append({"anyOf": [given, counted]})
            # a counted fact given directly as well (E621)
            needs.append({"not": {"allOf": [given, counted]}})
        elif fact.default is None:
            needs.append(given)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Evidence for {program.settings.title}",
        "type": "object",
        "required": ["facts"],
        "allOf": needs,
        "properties": {
            "project": {"not": {"type": "array"}},
            "facts": {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {n: _fact(f, levels) for n, f in facts.items()},
                        # an undeclared fact is a warning; a parameter here is an error
                        "propertyNames": {"not": {"enum": sorted(params)}} if params else {},
                    },
                    {"type": "null"},
                    {"type": "string", "pattern": r"^(~|null)?$"},
                ]
            },
            "params": {
                "type": "object",
                "properties": {n: _fact(f, levels) for n, f in params.items()},
                # an undeclared parameter is a warning; a fact here is an error
                "propertyNames": {"not": {"enum": sorted(facts)}} if facts else {},
            },
            "surveys": {
                "type": "object",
                "properties": {n: _survey(a) for n, a in surveys.items()},
                "propertyNames": {"enum": sorted(surveys)},
            },
        },
        "additionalProperties": False,
    }
