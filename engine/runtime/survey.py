"""Questionnaire responses → the facts a pack's `survey` blocks declare.

The evidence names each survey's responses under `surveys:` — a CSV or XLSX file beside it (one
respondent a row, one question a column) or the responses inline. Counting is done here, by the
pack's declared aggregations, never by hand: `count` respondents (where an answer is among
given values), `answers` across several questions, `mean` of answers mapped to scores.
"""

from __future__ import annotations

import collections
import csv
import io
from collections.abc import Callable, Collection, Iterator, Sequence
from decimal import Decimal
from typing import Any

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import DecodeError, Span, decode

from ..common import messages as msg
from ..common.ir import Program
from . import files
from .workbook import (
    ErrorCell,
    FormulaCell,
    WorkbookError,
    cell_text,
    column_letter,
)


class SurveyError(Exception):
    """A responses file or answer that cannot be aggregated; the message says where. `make`,
    when given, builds the diagnostic of its own kind at the evidence's span (else E623)."""

    def __init__(self, message: str, make: Callable[[Span], Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.make = make


def _at(make: Callable[..., Diagnostic], *args: Any, **kw: Any) -> Callable[[Span], Diagnostic]:
    """A diagnostic constructor with all but its span: the evidence's span comes last."""
    return lambda span: make(*args, span=span, **kw)


def refused(refusal: files.Refusal, evidence_path: str) -> SurveyError:
    """The survey error for a responses file that `files` would not read."""
    kind, name, why = refusal.kind, refusal.path, refusal.text
    if kind in ("outside", "absolute", "special", "large"):
        return SurveyError(why, _at(_refused, kind, name, why, evidence=evidence_path))
    return SurveyError(f"{name}: {why}")


def _refused(kind: str, name: str, why: str, span: Span, evidence: str) -> Diagnostic:
    diagnostic = msg.refused_file(kind, name, why, span, evidence)
    assert diagnostic is not None  # INVARIANT: `refused` passes only the kinds it words
    return diagnostic


def read_responses(
    name: str, evidence_path: str, questions: Collection[str] | None = None
) -> tuple[list[dict[str, str]], str, str]:
    """Responses from a CSV or XLSX file that evidence at `evidence_path` names `name` (the
    first row with a value names the questions); with the file's real path and SHA-256.
    `questions` are those the pack reads: only their cells must be data."""
    try:
        real, data = files.read_named(name, evidence_path)
    except files.FileRefused as exc:
        raise refused(exc.refusal, evidence_path) from None
    if real.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(name, data, questions)
    else:
        rows = _csv_rows(name, data, questions)
    if not rows:
        raise SurveyError(f"{name}: no header row")
    # a question as the person who wrote it sees it (a zero-width space pasted in is no part)
    header = [files.visible(h) for h in rows[0][1]]
    seen: dict[str, int] = {}
    for i, question in enumerate(header):
        if question and question in seen:
            first, second = column_letter(seen[question]), column_letter(i)
            raise SurveyError(
                f"{name}: question `{question}` twice",
                _at(msg.question_twice, question, first, second, name),
            )
        seen[question] = i
    missing = [q for q in sorted(questions or ()) if q not in seen]
    if missing:
        # said here, not when counting: a file with no respondents (an instructions sheet
        # first, a header alone) would otherwise be only "must not be 0" far from its cause
        sheet = " (a workbook's first sheet is read)" if real.lower().endswith(".xlsx") else ""
        have = ", ".join(q for q in header if q) or "no questions"
        raise SurveyError(
            f"{name}: no question `{missing[0]}` in the responses{sheet}; they have {have}"
        )
    return (
        [dict(zip(header, r, strict=False)) for _, r in rows[1:] if any(r)],
        real,
        files.sha256(data),
    )


def _cell_refusal(name: str, number: int, col: int, value: Any) -> SurveyError | None:
    where = f"{name}, row {number}, column {column_letter(col)}"
    if isinstance(value, ErrorCell):
        return SurveyError(where, _at(msg.cell_error_value, where, value.text, name))
    if isinstance(value, FormulaCell):
        return SurveyError(where, _at(msg.cell_formula, where, value.formula, name, cached=False))
    if isinstance(value, str):
        text = value.strip()
        if files.is_error_text(text):
            return SurveyError(where, lambda span: msg.cell_error_value(where, text, name, span))
        if files.looks_like_formula(text):
            return SurveyError(where, lambda span: msg.cell_formula(where, text, name, span))
    return None


#: Respondents (rows) in one responses file.
MAX_RESPONSES = 100_000
#: Answers (cells, blank ones included) in one responses file: bounds its memory however the
#: rows and columns are shaped.
MAX_ANSWERS = 2_000_000


def _collect(
    name: str, rows: Iterator[tuple[int, Sequence[Any]]], questions: Collection[str] | None
) -> list[tuple[int, list[str]]]:
    """The rows as text, within MAX_RESPONSES and MAX_ANSWERS. The first row with a value
    names the questions; in the columns of `questions` (all, when None) — those the pack's
    survey reads — a cell that is not data (an Excel error value, a formula) is refused."""
    out: list[tuple[int, list[str]]] = []
    answers = 0
    checked: list[int] = []
    for number, values in rows:
        texts = [cell_text(v) for v in values]
        if not any(texts):
            continue  # a blank row is no respondent (nor, before the header, a header)
        if not out:
            checked = [i for i, q in enumerate(texts) if questions is None or q in questions]
        else:
            for col in checked:
                if col < len(values):
                    problem = _cell_refusal(name, number, col, values[col])
                    if problem is not None:
                        raise problem
        answers += len(values)
        if len(out) > MAX_RESPONSES or answers > MAX_ANSWERS:
            limit, value = (
                ("MAX_RESPONSES", MAX_RESPONSES)
                if len(out) > MAX_RESPONSES
                else ("MAX_ANSWERS", MAX_ANSWERS)
            )
            raise SurveyError(
                name, _at(msg.too_many_responses, name, f"{limit} = {value:,}", number)
            )
        out.append((number, texts))
    return out


def _xlsx_rows(
    name: str, data: bytes, questions: Collection[str] | None
) -> list[tuple[int, list[str]]]:
    from .workbook import Workbook

    try:
        with Workbook(name, io.BytesIO(data)) as book:
            return _collect(name, book.first_sheet().rows(), questions)
    except WorkbookError as exc:
        why = exc.text
        if exc.limit:
            raise SurveyError(why, _at(msg.workbook_limit, name, why)) from None
        raise SurveyError(why, _at(msg.workbook_unreadable, name, why)) from None


def _csv_rows(
    name: str, data: bytes, questions: Collection[str] | None = None
) -> list[tuple[int, list[str]]]:
    try:  # (the text is read again below, streaming)
        encoding = "utf-16" if files.utf16(data) else decode(data)[1]
    except DecodeError as exc:
        raise SurveyError(f"{name}: {exc}") from None
    # Rows end only where a CSV row ends: `newline=""` keeps U+2028, VT, FF, NEL, FS/GS/RS and
    # line breaks inside quotes as the answer's own characters (str.splitlines would split on
    # every one of them and cut a respondent in two).
    python_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=python_encoding, newline="")
    reader = files.csv_rows(stream)
    numbered = [0]

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        for number, values in enumerate(reader, start=1):
            numbered[0] = number
            yield number, values

    try:
        return _collect(name, rows(), questions)
    except files.LineTooLong as exc:
        where = f"{name}, line {exc.number}"
        raise SurveyError(
            where, _at(msg.csv_field_too_long, where, files.MAX_CSV_LINE, name, line=True)
        ) from None
    except csv.Error as exc:
        where = f"{name}, row {numbered[0] + 1}"
        if "field larger than field limit" in str(exc):
            raise SurveyError(
                where, _at(msg.csv_field_too_long, where, files.MAX_CSV_FIELD, name)
            ) from None
        raise SurveyError(f"{where}: not readable as CSV ({exc})") from None
    except UnicodeDecodeError as exc:  # a UTF-16 file cut in the middle of a character
        raise SurveyError(f"{name}: not readable as {encoding} ({exc.reason})") from None


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
        return "" if value is None else files.visible(str(value))

    among = set(agg.values) if agg.values is not None else None
    if agg.aggregate == "count":
        if not agg.columns:
            return Decimal(len(responses)), f"{len(responses)} 份答卷"
        column = agg.columns[0].text
        given = [answer(r, column) for r in responses]
        n = sum(1 for a in given if among is None or a in among)
        counted = f"{column} ∈ {{{'、'.join(agg.values or ())}}}：{n} 份"
        return Decimal(n), counted + _others(given, among, "份")
    if agg.aggregate == "answers":
        given = [answer(r, c.text) for r in responses for c in agg.columns]
        given = [a for a in given if a]
        n = sum(1 for a in given if among is None or a in among)
        scope = "、".join(c.text for c in agg.columns)
        which = "（" + "、".join(agg.values or ()) + "）" if among else ""
        return Decimal(n), f"{scope} 的回答{which}：{n} 个" + _others(given, among, "个")
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


def _others(given: Sequence[str], among: set[str] | None, measure: str) -> str:
    """The answers a `where … in […]` did not count, each with how many gave it: the ledger
    shows that `基本满意` was left out on purpose and that `很满意。` (a typing slip, which
    no list can foresee) was left out too, so an evaluator can see it and correct it."""
    if among is None:
        return ""
    left = collections.Counter(a or "（未答）" for a in given if a not in among)
    if not left:
        return ""
    ranked = sorted(left.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = "、".join(f"{answer} {n}" for answer, n in ranked[:_OTHERS_SHOWN])
    more = f" 等 {len(ranked)} 种" if len(ranked) > _OTHERS_SHOWN else ""
    return f"；未计入 {sum(left.values())} {measure}：{shown}{more}"


_OTHERS_SHOWN = 8

#: Columns that name a respondent in survey exports (问卷星, 腾讯问卷) and hand-kept registers.
RESPONDENT_COLUMNS = (
    "序号",
    "编号",
    "问卷编号",
    "答卷编号",
    "答卷序号",
    "受访者",
    "受访者编号",
    "ID",
    "id",
)


def check_respondents(responses: Sequence[dict[str, Any]], where: str) -> None:
    """Each respondent once: two responses under one number in a respondent column are the
    same answer sheet entered or exported twice (two exports pasted together), which would be
    counted twice in every fact of the survey."""
    column = next((c for c in RESPONDENT_COLUMNS if any(c in r for r in responses)), None)
    if column is None:
        return
    first: dict[str, int] = {}
    for i, row in enumerate(responses, start=1):
        value = row.get(column)
        key = "" if value is None else files.visible(str(value)).strip()
        if not key:
            continue
        if key in first:
            raise SurveyError(
                f"{where}: respondent `{key}` (column `{column}`) is listed twice, as responses "
                f"{first[key]} and {i}; remove the repeated sheet, or number the respondents "
                "apart if they are two"
            )
        first[key] = i


def surveys_of(program: Program) -> dict[str, list[ast.SurveyFact]]:
    out: dict[str, list[ast.SurveyFact]] = {}
    for fact in program.facts.values():
        if fact.survey is not None and fact.aggregate is not None:
            out.setdefault(fact.survey, []).append(fact.aggregate)
    return out
