"""The JSON Schema of a pack's evidence, so other systems can produce valid evidence files."""

from __future__ import annotations

from typing import Any

from .ir import Fact, Program
from .types import Kind

_NUMBER = {
    "type": ["number", "string"],
    "description": "a number, or its text (`100,000`, `10万元`)",
}


def _value(fact: Fact) -> dict[str, Any]:
    match fact.kind:
        case Kind.MONEY | Kind.NUMBER:
            schema: dict[str, Any] = dict(_NUMBER)
        case Kind.COUNT:
            schema = {"type": ["integer", "string"], "minimum": 1 if fact.nonzero else 0}
        case Kind.PERCENT:
            schema = {
                "type": ["number", "string"],
                "description": "a fraction (0.92) or a percentage text (`92%`)",
            }
        case Kind.BOOL:
            schema = {"type": ["boolean", "string"], "description": "true/false or 是/否"}
        case Kind.TEXT:
            schema = {"type": "string"}
        case Kind.DATE:
            schema = {"type": "string", "format": "date"}
        case Kind.LIST:
            item = {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "required": ["item"],
                        "properties": {"item": {"type": "string"}},
                    },
                ]
            }
            schema = {"type": ["array", "null"], "items": item}
        case Kind.JUDGEMENT:
            schema = {"type": "object", "required": ["value", "reason"]}
    if fact.label or fact.unit:
        schema["title"] = " ".join(x for x in (fact.label, fact.unit and f"({fact.unit})") if x)
    return schema


def _fact(fact: Fact) -> dict[str, Any]:
    value = _value(fact)
    if fact.kind is Kind.JUDGEMENT:
        return value
    provenance = {
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": value,
            **{
                k: {"type": "string"}
                for k in ("source", "note", "method", "date", "recorded_by", "page")
            },
        },
    }
    return {"anyOf": [value, provenance, {"const": "不适用"}]}


def evidence_schema(program: Program) -> dict[str, Any]:
    facts = {n: f for n, f in program.facts.items() if not f.is_param}
    params = {n: f for n, f in program.facts.items() if f.is_param}
    required = [n for n, f in facts.items() if f.default is None]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Evidence for {program.settings.title}",
        "type": "object",
        "required": ["facts"],
        "properties": {
            "project": {"type": ["object", "string"]},
            "facts": {
                "type": "object",
                "required": required,
                "properties": {n: _fact(f) for n, f in facts.items()},
                "additionalProperties": False,
            },
            "params": {
                "type": "object",
                "properties": {n: _value(f) for n, f in params.items()},
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    }
