"""Record lists in evidence → `Records`: inline, or a CSV/XLSX sheet beside the evidence.

```yaml
facts:
  子项目:                         # inline: one mapping per record
    - {名称: 县A, 预算: 50万元, 完成数: 12, 目标数: 12}
    - {名称: 县B, 预算: 30, 完成数: 不适用, 目标数: 10}
  培训: {file: 培训.csv}           # a CSV (UTF-8, UTF-8 with BOM, GBK, UTF-16) beside the evidence
  县: {file: 台账.xlsx, sheet: 各县}  # a sheet of a workbook (the first one without `sheet`)
```

Each cell is read like a fact of its field's type (`evidence.parse_typed`: amounts with units,
percents, Chinese numerals, full-width digits, numbers typed as text) and checked against the
field's domain and choices. The rules, each refused with a diagnostic naming the record and
the field rather than guessed:
- every declared field has a value in every record (a column in a sheet): a missing key or
  column is E671, a blank cell too unless the field declares a `default`; `不适用` is a value,
  which leaves the record out of the aggregates that read the field;
- a key or column the pack does not declare is E672 (a misspelt field would lose its values);
- a column heading twice is E674; blank rows are skipped (they are no record), and the first
  row with a value is the header;
- the file is found as survey responses are (`files.read_named`: inside the evidence's folder,
  within `MAX_DATA_BYTES`, a regular file).
"""

from __future__ import annotations

import os
import unicodedata

import yaml

from jixiao.dsl.source import Span

from ..check.units import domain_problem
from ..common import messages as msg
from ..common.result import NA, Provenance, Records, Row
from ..common.types import Kind
from . import files

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

    from ..common.ir import Fact

#: Records in one record list (rows of its sheet, entries inline).
MAX_RECORDS = 100_000
_FILE_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


class _Problem(Exception):
    """A record list that cannot be read; the diagnostic is already made."""


def read(
    reader: Any, fact: Fact, node: yaml.Node, parse: Any, not_applicable: Any
) -> tuple[Records, Provenance] | None:
    """The records of `fact` that evidence gives at `node` (see the module docstring), each cell
    read by the evidence's `parse` (`evidence.parse_typed`) and its words for 不适用; None after
    reporting why not."""
    reader.parse, reader.not_applicable = parse, not_applicable
    span = reader.span(node)
    try:
        if isinstance(node, yaml.SequenceNode):
            return _inline(reader, fact, node), Provenance(span)
        if isinstance(node, yaml.ScalarNode):
            text = files.visible(node.value)
            if node.tag == "tag:yaml.org,2002:null" or text in ("", "~", "null", "[]", "无"):
                return Records(()), Provenance(span)
            if text.lower().endswith(_FILE_EXTENSIONS):
                return _sheet(reader, fact, text, None, span)
        if isinstance(node, yaml.MappingNode):
            named = {
                k.value: v
                for k, v in node.value
                if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
            }
            keys = [k.value if isinstance(k, yaml.ScalarNode) else "…" for k, _ in node.value]
            if "file" in named and set(keys) <= {"file", "sheet", "source", "note"}:
                sheet = named["sheet"].value if "sheet" in named else None
                return _sheet(reader, fact, named["file"].value, sheet, span)
        reader.diags.append(
            msg.records_shape(
                fact.name,
                span,
                "is not a list of records nor a sheet",
                f"write one `- {{{_example(fact)}}}` line per record, or "
                f"`{fact.name}: {{file: {fact.name}.csv}}` for a sheet beside the evidence",
            )
        )
    except _Problem:
        pass
    return None


def _example(fact: Fact) -> str:
    return ", ".join(f"{f.name}: …" for f in fact.fields[:3])


def _inline(reader: Any, fact: Fact, node: yaml.SequenceNode) -> Records:
    rows = []
    if len(node.value) > MAX_RECORDS:
        reader.diags.append(
            msg.records_shape(
                fact.name,
                reader.span(node),
                f"has more than MAX_RECORDS = {MAX_RECORDS:,} records",
                "give them as a sheet, or split the list",
            )
        )
        raise _Problem
    ok = True
    for index, entry in enumerate(node.value, start=1):
        span = reader.span(entry)
        if not isinstance(entry, yaml.MappingNode):
            reader.diags.append(
                msg.records_shape(
                    fact.name,
                    span,
                    f"has record {index} that is not a mapping of fields",
                    f"write the record as `- {{{_example(fact)}}}`",
                )
            )
            ok = False
            continue
        cells: dict[str, tuple[str | None, Span]] = {}
        for key, value in entry.value:
            kspan = reader.span(key)
            name = _heading(key.value) if isinstance(key, yaml.ScalarNode) else "…"
            if not isinstance(value, yaml.ScalarNode):
                where = f"record {index}"
                reader.diags.append(
                    msg.record_bad_value(
                        fact.name,
                        where,
                        name,
                        _kind(fact, name),
                        "…",
                        "a single value is expected, not a list or mapping",
                        reader.span(value),
                        fact.span,
                    )
                )
                ok = False
                continue
            null = value.tag == "tag:yaml.org,2002:null" and value.style is None
            cells[name] = (None if null else value.value, reader.span(value))
            cells.setdefault(f"\0{name}", (None, kspan))
        row = _row(reader, fact, index, cells, span)
        if row is None:
            ok = False
        else:
            rows.append(row)
    if not ok:
        raise _Problem
    return Records(tuple(rows))


def _kind(fact: Fact, name: str) -> Kind:
    for field in fact.fields:
        if field.name == name:
            return field.kind
    return Kind.TEXT


def _heading(text: str) -> str:
    """A key or column heading as its author sees it (a zero-width space pasted in is none)."""
    return unicodedata.normalize("NFC", files.visible(str(text)))


def _row(
    reader: Any,
    fact: Fact,
    index: int,
    cells: dict[str, tuple[str | None, Span]],
    span: Span,
    where: str | None = None,
) -> Row | None:
    """One record from its cells (field → raw text or None when blank, and its place)."""
    parse_typed, not_applicable = reader.parse, reader.not_applicable

    first = next((f.name for f in fact.fields if f.kind is Kind.TEXT), None)
    shown = files.visible(cells.get(first, (None, span))[0] or "") if first else ""
    named = (where or f"record {index}") + (f" ({shown})" if shown and not where else "")
    if where and shown:
        named = where.replace(f"record {index} (", f"record {index} ({shown}; ", 1)
    declared = [f.name for f in fact.fields]
    ok = True
    for name, (_, cspan) in cells.items() if len(cells) != len(declared) or where is None else ():
        if not name.startswith("\0") and name not in declared and name:
            key = cells.get(f"\0{name}", (None, cspan))[1]
            computed = any(d.name == name for d in fact.computed)
            reader.diags.append(
                msg.record_unknown_field(fact.name, named, name, key, declared, computed)
            )
            ok = False
    values: list[tuple[str, object]] = []
    label: str | None = None
    for field in fact.fields:
        raw, cspan = cells.get(field.name, (None, span))
        given = field.name in cells
        text = files.visible(raw) if raw is not None else ""
        if not text:
            if field.default is not None and given:
                values.append((field.name, field.default))
                continue
            reader.diags.append(
                msg.record_missing_field(fact.name, named, field.name, cspan, field.span, given)
            )
            ok = False
            continue
        if text.lower() in not_applicable:
            values.append((field.name, NA))
            continue
        value, why = parse_typed(field, text)
        if value is None:
            bad = msg.record_bad_value(
                fact.name, named, field.name, field.kind, text, why, cspan, field.span
            )
            reader.diags.append(bad)
            ok = False
            continue
        problem = domain_problem(field, value)
        if problem is None and field.nonzero and value == 0:
            reader.diags.append(
                msg.record_bad_value(
                    fact.name,
                    named,
                    field.name,
                    field.kind,
                    text,
                    "the field is declared `nonzero`: 0 is refused",
                    cspan,
                    field.span,
                )
            )
            ok = False
            continue
        if problem is not None:
            shown, domain, how = problem
            reader.diags.append(
                msg.record_bad_value(
                    fact.name,
                    named,
                    field.name,
                    field.kind,
                    text,
                    f"{shown} is outside the domain {domain}: {how}",
                    cspan,
                    field.span,
                )
            )
            ok = False
            continue
        if label is None and field.kind is Kind.TEXT and isinstance(value, str) and value:
            label = value
        values.append((field.name, value))
    if not ok:
        return None
    return Row(index, label, tuple(values), Provenance(span, where))


def _sheet(
    reader: Any, fact: Fact, name: str, sheet: str | None, span: Span
) -> tuple[Records, Provenance]:
    """The records of a CSV or XLSX file beside the evidence."""
    from .survey import SurveyError, _csv_rows

    evidence = reader.source.path
    try:
        real, data = files.read_named(name, evidence)
    except files.FileRefused as exc:
        r = exc.refusal
        reader.diags.append(
            msg.refused_file(r.kind, r.path, r.text, span, evidence)
            or msg.records_file(
                fact.name, r.text, span, evidence, "name a file beside the evidence"
            )
        )
        raise _Problem from None
    try:
        if real.lower().endswith((".xlsx", ".xlsm")):
            table = _xlsx(name, data, sheet)
        else:
            if sheet is not None:
                reader.diags.append(
                    msg.records_file(
                        fact.name,
                        f"`{name}` is a CSV file, which has no sheets",
                        span,
                        evidence,
                        "remove `sheet:`, or name the workbook (.xlsx)",
                    )
                )
                raise _Problem
            table = _csv_rows(name, data, None)
    except SurveyError as exc:
        make = exc.make
        reader.diags.append(
            make(span)
            if make
            else msg.records_file(
                fact.name, str(exc), span, evidence, "export the sheet again as CSV or XLSX"
            )
        )
        raise _Problem from None
    except _NoSheet as exc:
        have = ", ".join(f"`{s}`" for s in exc.have) or "none"
        reader.diags.append(
            msg.records_file(
                fact.name,
                f"workbook `{name}` has no sheet `{sheet}`",
                span,
                evidence,
                f"its sheets are {have}",
            )
        )
        raise _Problem from None
    if not table:
        reader.diags.append(
            msg.records_file(
                fact.name,
                f"`{name}` has no header row",
                span,
                evidence,
                "put the field names in the first row: " + ", ".join(f.name for f in fact.fields),
            )
        )
        raise _Problem
    header = [_heading(h) for h in table[0][1]]
    seen: dict[str, int] = {}
    from .workbook import column_letter

    for i, heading in enumerate(header):
        if heading and heading in seen:
            reader.diags.append(
                msg.records_file(
                    fact.name,
                    f"column `{heading}` heads columns {column_letter(seen[heading])} and "
                    f"{column_letter(i)} of `{name}`",
                    span,
                    evidence,
                    "keep one column per field",
                )
            )
            raise _Problem
        seen[heading] = i
    declared = [f.name for f in fact.fields]
    where_sheet = f"{name}" + (f" [{sheet}]" if sheet else "")
    header_at = f"the header row of {where_sheet}"
    problems = [
        msg.record_missing_field(fact.name, header_at, f.name, span, f.span, False)
        for f in fact.fields
        if f.name not in seen
    ]
    computed = {d.name for d in fact.computed}
    problems += [
        msg.record_unknown_field(fact.name, header_at, h, span, declared, h in computed)
        for h in header
        if h and h not in declared
    ]
    if problems:
        reader.diags.extend(problems)
        raise _Problem
    if len(table) - 1 > MAX_RECORDS:
        reader.diags.append(
            msg.records_file(
                fact.name,
                f"`{name}` has more than MAX_RECORDS = {MAX_RECORDS:,} rows",
                span,
                evidence,
                "split the sheet",
            )
        )
        raise _Problem
    shown = os.path.normpath(os.path.join(os.path.dirname(evidence), name))
    reader.inputs.append((shown, files.sha256(data)))
    rows, ok = [], True
    for index, (number, cells_text) in enumerate(table[1:], start=1):
        cells = {
            h: (cells_text[i] if i < len(cells_text) else None, span)
            for i, h in enumerate(header)
            if h
        }
        # a value under no heading is in a column the pack cannot name
        for i in range(len(header), len(cells_text)):
            if cells_text[i].strip():
                cells[f"column {column_letter(i)}"] = (cells_text[i], span)
        for i, h in enumerate(header):
            if not h and i < len(cells_text) and cells_text[i].strip():
                cells[f"column {column_letter(i)}"] = (cells_text[i], span)
        where = f"record {index} ({where_sheet}, row {number})"
        row = _row(reader, fact, index, cells, span, where)
        if row is None:
            ok = False
        else:
            rows.append(row)
    if not ok:
        raise _Problem
    return Records(tuple(rows)), Provenance(span, where_sheet)


class _NoSheet(Exception):
    def __init__(self, have: list[str]) -> None:
        super().__init__("no sheet")
        self.have = have


def _xlsx(name: str, data: bytes, sheet: str | None) -> list[tuple[int, list[str]]]:
    import io

    from .survey import SurveyError, _at, _collect
    from .workbook import Workbook, WorkbookError

    try:
        with Workbook(name, io.BytesIO(data)) as book:
            if sheet is None:
                chosen = book.first_sheet()
            elif sheet in book.sheet_names:
                chosen = book.sheet(sheet)
            else:
                raise _NoSheet(book.sheet_names)
            return _collect(name, chosen.rows(), None)
    except WorkbookError as exc:
        why = exc.text
        if exc.limit:
            raise SurveyError(why, _at(msg.workbook_limit, name, why)) from None
        raise SurveyError(why, _at(msg.workbook_unreadable, name, why)) from None
