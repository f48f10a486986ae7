"""The result as JSON: deterministic (fixed key order, no floats), exact decimals as strings.

Scores are strings with the pack's places (`"3.65"`); every other number is its exact decimal
(`"3.652173913043478260869565217"`), so a consumer can re-check the arithmetic of each line.

The size is linear in the result: a list fact is written out on each line that reads it only
while it has at most `INLINE_LIST_ITEMS` items. A longer list (a `deduct … per` over 2,000
findings reads it on 2,000 lines) is written once, under `lists` at the end of the document, and
each line refers to it: `"value": {"list": "问题", "count": 2000}`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from jixiao.dsl.diagnostics import to_json

from ..common.messages import failure_detail
from ..common.result import (
    NA,
    FactUse,
    IndicatorResult,
    Judgement,
    Line,
    Panel,
    Provenance,
    Records,
    Result,
)
from ..common.version import VERSION
from .explain import derivation, fixed, line_text, percent, plain, value_text

#: A list fact with more items than this is written once under `lists`, not on every line.
INLINE_LIST_ITEMS = 20


def render(result: Result, lang: str = "zh") -> str:
    return json.dumps(document(result, lang), ensure_ascii=False, indent=2) + "\n"


def document(result: Result, lang: str = "zh") -> dict[str, Any]:
    s = result.settings
    places = s.places
    lists: dict[str, Any] = {}  # the long lists, by fact name, in the order first read
    doc = {
        "jixiao": VERSION,
        "pack": {
            "title": s.title,
            "version": s.version,
            "authority": s.authority,
            "path": result.pack_path,
            "sha256": result.pack_sha256,
            # the templates it imports, when there are any
            **(
                {"imports": [{"path": p, "sha256": d} for p, d in result.imports]}
                if result.imports
                else {}
            ),
            "total": plain(s.total),
            "rounding": {"places": places, "mode": s.rounding_name},
        },
        "evidence": {
            "path": result.evidence_path,
            "sha256": result.evidence_sha256,
            # the other files the score was read from (survey responses), when there are any
            **(
                {"inputs": [{"path": p, "sha256": d} for p, d in result.inputs]}
                if result.inputs
                else {}
            ),
        },
        "total": fixed(result.total, places) if result.total is not None else None,
        "grade": result.grade,
        "disqualified": result.disqualified,
        "indicators": [_indicator(i, result, lang, lists) for i in result.indicators],
        "tree_total": plain(result.tree_total) if result.tree_total is not None else None,
        "total_lines": [_line(ln, s.total, result, lang, lists) for ln in result.total_lines],
        "extras": [
            {
                "kind": e.kind,
                "code": e.code,
                "name": e.name,
                "max": plain(e.max),
                "points": plain(e.points) if e.points is not None else None,
                "lines": [_line(ln, e.max, result, lang, lists) for ln in e.lines],
            }
            for e in result.extras
        ],
        "vetoes": [
            {
                "action": v.action,
                "target": v.target,
                "reason": v.reason,
                "fired": v.fired,
                "location": v.span.location(),
                "facts": [_fact(u, lang, lists) for u in v.facts],
            }
            for v in result.vetoes
        ],
        "derived": [
            {
                "name": d.name,
                "type": d.kind.value,
                "value": _value(d.value),
                "display": value_text(d.kind, d.value, lang) if d.value is not None else None,
                "derivation": derivation(d, lang),
                "inputs": [_fact(u, lang, lists) for u in d.reads],
            }
            for d in result.derived
        ],
        "diagnostics": [to_json(d) for d in result.diagnostics],
    }
    if lists:
        doc["lists"] = lists
    return doc


def _indicator(
    ind: IndicatorResult, result: Result, lang: str, lists: dict[str, Any]
) -> dict[str, Any]:
    places = result.settings.places
    return {
        "code": ind.code,
        "name": ind.name,
        "parent": ind.parent,
        "level": ind.depth,
        "leaf": ind.is_leaf,
        "weight": plain(ind.weight),
        "score": fixed(ind.points, places) if ind.points is not None else None,
        "excluded": ind.excluded,
        "rate": percent(ind.points / ind.weight) if ind.points is not None else None,
        "lines": [_line(line, ind.weight, result, lang, lists) for line in ind.lines],
        "failures": [
            {
                "code": f.code,
                "fact": f.fact,
                "detail": failure_detail(f),
                "location": f.span.location(),
            }
            for f in ind.failures
        ],
    }


def _line(
    line: Line, weight: Decimal, result: Result, lang: str, lists: dict[str, Any]
) -> dict[str, Any]:
    return {
        "kind": line.kind.value,
        "points": plain(line.points),
        "reason": line.reason,
        "text": line_text(line, weight, result, lang),
        "clause": {"location": line.span.location(), "text": line.span.text},
        "arithmetic": [plain(a) for a in line.args if isinstance(a, Decimal)],  # not the flags
        "item": (
            {"text": line.item.text, **_origin(line.item.origin)} if line.item is not None else None
        ),
        "facts": [_fact(u, lang, lists) for u in line.facts],
    }


def _fact(use: FactUse, lang: str, lists: dict[str, Any]) -> dict[str, Any]:
    if isinstance(use.value, tuple | Records) and len(use.value) > INLINE_LIST_ITEMS:
        if use.name not in lists:
            lists[use.name] = {
                "value": _value(use.value),
                "display": value_text(use.kind, use.value, lang),
            }
        return {
            "name": use.name,
            "type": use.kind.value,
            "value": {"list": use.name, "count": len(use.value)},
            # "2000 项：甲；乙；…" without its items: "2000 项"
            "display": lists[use.name]["display"].split("：", 1)[0],
            **_origin(use.origin),
        }
    return {
        "name": use.name,
        "type": use.kind.value,
        "value": _value(use.value),
        "display": value_text(use.kind, use.value, lang),
        **_origin(use.origin),
    }


def _origin(origin: Provenance | None) -> dict[str, Any]:
    if origin is None:
        return {"source": None, "location": None}
    return {
        "source": origin.source,
        "location": origin.span.location()
        if origin.span is not None
        else ("default" if origin.is_default else None),
        **({"note": origin.note} if origin.note else {}),
        **({"indicator": origin.indicator} if origin.indicator else {}),
        **({"details": dict(origin.details)} if origin.details else {}),
    }


def _value(value: object) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Judgement):
        return {
            "amount": plain(value.amount),
            "reason": value.reason,
            "by": value.by,
            "date": value.date,
        }
    if isinstance(value, Panel):
        return [
            {"expert": m.expert, "score": plain(m.score), "reason": m.reason} for m in value.marks
        ]
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [item.text for item in value]
    if isinstance(value, Records):
        return [
            {"record": row.index, **{k: "不适用" if v is NA else _value(v) for k, v in row.values}}
            for row in value.rows
        ]
    return str(value)
