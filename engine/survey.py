"""Questionnaire responses → the facts a pack's `survey` blocks declare.

The evidence names each survey's responses under `surveys:` — a CSV or XLSX file beside it (one
respondent a row, one question a column) or the responses inline. Counting is done here, by the
pack's declared aggregations, never by hand: `count` respondents (where an answer is among
given values), `answers` across several questions, `mean` of answers mapped to scores.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from jixiao.dsl import ast
from jixiao.dsl.source import DecodeError, decode

from .ir import Program


class SurveyError(Exception):
    """A responses file or answer that cannot be aggregated; the message says where."""


def read_responses(path: Path) -> list[dict[str, str]]:
    """Responses from a CSV or XLSX file: the first row names the questions."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise SurveyError(f"{path}: not a readable XLSX ({exc})") from None
        rows = [
            [("" if v is None else str(v).strip()) for v in r]
            for r in book.worksheets[0].iter_rows(values_only=True)
        ]
        book.close()
    else:
        try:
            text, _ = decode(path.read_bytes())
        except (OSError, DecodeError) as exc:
            raise SurveyError(f"{path}: {exc}") from None
        rows = [[c.strip() for c in r] for r in csv.reader(text.splitlines())]
    if not rows:
        raise SurveyError(f"{path}: no header row")
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(r)]


def aggregate(
    agg: ast.SurveyFact, responses: Sequence[dict[str, Any]], where: str
) -> tuple[Decimal, str]:
    """The value of one survey fact, and how it was counted (for the ledger)."""
    known = sorted({k for r in responses for k in r})
    for word in agg.columns:
        if responses and word.text not in known:
            raise SurveyError(
                f"{where}: no question `{word.text}` in the responses; they have {', '.join(known)}"
            )

    def answer(row: dict[str, Any], question: str) -> str:
        value = row.get(question)
        return "" if value is None else str(value).strip()

    among = set(agg.values) if agg.values is not None else None
    if agg.aggregate == "count":
        if not agg.columns:
            return Decimal(len(responses)), f"{len(responses)} 份答卷"
        column = agg.columns[0].text
        n = sum(1 for r in responses if among is None or answer(r, column) in among)
        return Decimal(n), f"{column} ∈ {{{'、'.join(agg.values or ())}}}：{n} 份"
    if agg.aggregate == "answers":
        n = sum(
            1
            for r in responses
            for c in agg.columns
            if answer(r, c.text) and (among is None or answer(r, c.text) in among)
        )
        scope = "、".join(c.text for c in agg.columns)
        which = "（" + "、".join(agg.values or ()) + "）" if among else ""
        return Decimal(n), f"{scope} 的回答{which}：{n} 个"
    column = agg.columns[0].text
    scale = dict(agg.scale)
    scores = []
    for i, row in enumerate(responses, start=1):
        value = answer(row, column)
        if not value:
            continue
        if value not in scale:
            raise SurveyError(
                f"{where}: response {i} answers `{value}` to `{column}`, which is "
                f"not on the scale ({', '.join(scale)})"
            )
        scores.append(scale[value])
    if not scores:
        raise SurveyError(f"{where}: no answers to `{column}` to average")
    mean = sum(scores, Decimal(0)) / len(scores)
    return mean, f"{column} 均分：{len(scores)} 个回答"


def surveys_of(program: Program) -> dict[str, list[ast.SurveyFact]]:
    out: dict[str, list[ast.SurveyFact]] = {}
    for fact in program.facts.values():
        if fact.survey is not None and fact.aggregate is not None:
            out.setdefault(fact.survey, []).append(fact.aggregate)
    return out
