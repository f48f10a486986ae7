"""Evidence files → typed fact values with provenance. The only PyYAML user.

Evidence is typed by hand in offices, so every value is read from its raw text, never through
YAML's own typing (which would turn `0.92` into a binary float and `否` into a string): the pack
declares each fact's kind and this module parses the text for that kind — `92%` or `0.92` for a
percent, `100,000` or `10万元` for money, `是`/`否` for a bool, full-width digits folded to ASCII.
Every value keeps its place in the file (a `Span`), so a wrong value is reported at its line and
column with the pack's declaration as a second label. The YAML is composed with the safe loader
into nodes and walked to a fixed depth: no tags are constructed, no code can run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import yaml

from jixiao.dsl.ast import MAX_DIGITS
from jixiao.dsl.diagnostics import Diagnostic, has_errors
from jixiao.dsl.record import record
from jixiao.dsl.source import DecodeError, Source, Span, decode

from . import messages as msg
from .ir import Fact, Program
from .result import NA, Item, Judgement, NotApplicable, Provenance, Value
from .types import Kind

#: libyaml's safe loader where PyYAML was built with it (the wheels on PyPI are): it composes
#: the evidence several times faster, reports the same character offsets, and refuses nesting
#: deeper than 1,000 levels instead of recursing. The pure-Python safe loader is the fallback.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_hint(text: str, line: int | None) -> str:
    """What to fix near a YAML syntax error, from the slips Windows editors and Chinese input
    methods make: tabs for indentation, full-width colons."""
    lines = text.splitlines()
    near = lines[max(0, (line or 0) - 1) : (line or 0) + 1] if line is not None else lines
    if any("\t" in x[: len(x) - len(x.lstrip())] for x in near):
        return "indent with spaces: YAML does not allow tabs"
    if any("：" in x for x in near):
        return "`：` is a full-width colon; YAML needs `:` followed by a space"
    return "check indentation and quotes near here"


def compose(text: str) -> yaml.Node | None:
    """The document's node tree, read by libyaml; a faulty document is read again by the
    pure-Python loader, whose messages say what was expected and what was found instead."""
    try:
        return yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        if SAFE_LOADER is yaml.SafeLoader:
            raise
    return yaml.compose(text, Loader=yaml.SafeLoader)


_PROVENANCE_KEYS = ("source", "note", "method", "date", "recorded_by", "page", "reason", "by")
_NOT_APPLICABLE = {"不适用", "n/a", "na", "not applicable", "不涉及"}
_TRUE = {"true", "yes", "y", "on", "是", "有", "对", "√", "✓", "已", "1"}
_FALSE = {"false", "no", "n", "off", "否", "无", "没有", "错", "×", "✗", "未", "0"}
_COUNT_UNITS = "次个项份台人件处家套天户条"


@record
class Evidence:
    source: Source
    # Declared facts and parameters only: every loader refuses or drops the others, and the
    # evaluator counts on it to tell that none is missing by the number of values.
    values: dict[str, Value | NotApplicable]
    origins: Mapping[str, Provenance]
    project: dict[str, str]
    # Every other file that contributed a value (survey responses): (path, SHA-256), so a
    # result's digests cover all it was scored from.
    inputs: tuple[tuple[str, str], ...] = ()


def load(
    path: str | os.PathLike[str], program: Program
) -> tuple[Evidence | None, list[Diagnostic]]:
    """Read an evidence file for a program. Returns None with the errors when it cannot."""
    from . import files

    path = str(path)
    try:  # a regular file (or a piped standard input) within MAX_TEXT_BYTES, never a device
        data = files.read_given(path, files.MAX_TEXT_BYTES, "MAX_TEXT_BYTES")
    except files.FileRefused as exc:
        r = exc.refusal
        return None, [
            msg.refused_file(r.kind, path, r.text) or msg.evidence_unreadable(path, r.text)
        ]
    return load_bytes(data, path, program)


def load_bytes(
    data: bytes, path: str, program: Program
) -> tuple[Evidence | None, list[Diagnostic]]:
    """Read evidence already in memory; `path` names it in diagnostics."""
    try:
        text, encoding = decode(data)
    except DecodeError as exc:
        return None, [msg.evidence_unreadable(path, str(exc))]
    source = Source(path, text, encoding)
    diags: list[Diagnostic] = []
    if encoding != "utf-8":
        diags.append(msg.encoding_note(path, encoding))
    evidence = _Reader(source, program, diags).read()
    if has_errors(diags):
        return None, diags
    return evidence, diags


def _span(source: Source, node: yaml.Node) -> Span:
    return Span(source, node.start_mark.index, max(node.end_mark.index, node.start_mark.index))


class _Reader:
    def __init__(self, source: Source, program: Program, diags: list[Diagnostic]) -> None:
        self.source = source
        self.program = program
        self.diags = diags
        self.inputs: list[tuple[str, str]] = []

    def shape(self, message: str, node: yaml.Node | None, help: str) -> None:
        span = _span(self.source, node) if node is not None else None
        self.diags.append(msg.evidence_shape(message, span, self.source.path, help))

    def read(self) -> Evidence | None:
        try:
            root = compose(self.source.text)
        except RecursionError:
            self.diags.append(
                msg.evidence_shape(
                    "the evidence is nested too deeply to read",
                    None,
                    self.source.path,
                    "facts are a flat mapping of names to values; remove the nested brackets",
                )
            )
            return None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            span = None
            if mark is not None:
                span = Span(self.source, mark.index, mark.index + 1)
            problem = exc.problem or exc.context or "malformed YAML"
            self.diags.append(
                msg.evidence_shape(
                    f"the evidence is not valid YAML: {problem}",
                    span,
                    self.source.path,
                    _yaml_hint(self.source.text, mark.line if mark is not None else None),
                )
            )
            return None
        except yaml.YAMLError as exc:
            self.diags.append(
                msg.evidence_shape(
                    f"the evidence is not valid YAML: {exc}",
                    None,
                    self.source.path,
                    "check the file's syntax",
                )
            )
            return None
        example = "facts:\n  预算金额: 100000"
        if root is None or not isinstance(root, yaml.MappingNode):
            self.shape(
                "the evidence must be a mapping with a `facts:` key",
                root,
                f"start the file with `facts:`, e.g.\n{example}",
            )
            return None
        facts_node: yaml.Node | None = None
        params_node: yaml.Node | None = None
        surveys_node: yaml.Node | None = None
        project: dict[str, str] = {}
        for key, value in root.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name == "facts":
                facts_node = value
            elif name == "params":
                params_node = value
            elif name == "surveys":
                surveys_node = value
            elif name == "project":
                project = self.project(value)
            else:
                declared = name is not None and name in self.program.facts
                self.shape(
                    f"unknown top-level key `{name}`",
                    key,
                    f"`{name}` is a fact: indent it under `facts:` with two spaces"
                    if declared
                    else "the evidence has `facts:` and, optionally, `params:`, `surveys:` and "
                    "`project:`",
                )
        if facts_node is None:
            self.shape("the evidence has no `facts:` key", root, f"add it, e.g.\n{example}")
            return None
        if not isinstance(facts_node, yaml.MappingNode):
            if isinstance(facts_node, yaml.ScalarNode) and facts_node.value in ("", "~", "null"):
                entries = []
            else:
                full_width = isinstance(facts_node, yaml.ScalarNode) and "：" in facts_node.value
                self.shape(
                    "`facts:` must map fact names to values",
                    facts_node,
                    "`：` is a full-width colon; YAML needs `:` followed by a space"
                    if full_width
                    else "write one `名称: 值` line per fact, indented under `facts:`",
                )
                return None
        else:
            entries = facts_node.value
        values: dict[str, Value | NotApplicable] = {}
        origins: dict[str, Provenance] = {}
        seen: dict[str, Span] = {}
        self.entries(entries, values, origins, seen, params=False)
        if params_node is not None:
            if isinstance(params_node, yaml.MappingNode):
                self.entries(params_node.value, values, origins, seen, params=True)
            else:
                self.shape(
                    "`params:` must map parameter names to values",
                    params_node,
                    "write one `名称: 值` line per parameter, indented under `params:`",
                )
        if surveys_node is not None:
            self.surveys(surveys_node, values, origins, seen)
        return Evidence(self.source, values, origins, project, tuple(self.inputs))

    def surveys(
        self,
        node: yaml.Node,
        values: dict[str, Value | NotApplicable],
        origins: dict[str, Provenance],
        seen: dict[str, Span],
    ) -> None:
        """Aggregate each survey's responses into the facts its `survey` block declares."""
        from .survey import SurveyError, aggregate, read_responses, surveys_of

        declared = surveys_of(self.program)
        if not isinstance(node, yaml.MappingNode):
            self.shape(
                "`surveys:` must map survey names to responses",
                node,
                "write `surveys: {用户问卷: 问卷.csv}` or list the responses inline",
            )
            return
        named: dict[str, Span] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else ""
            span = _span(self.source, key)
            if name not in declared:
                self.diags.append(msg.unknown_survey(name, span, list(declared)))
                continue
            if name in named:  # YAML would let the last one win, silently
                self.diags.append(msg.survey_twice(name, span, named[name]))
                continue
            named[name] = span
            try:
                if isinstance(value, yaml.ScalarNode):
                    asked = {c.text for agg in declared[name] for c in agg.columns}
                    responses, _, digest = read_responses(value.value, self.source.path, asked)
                    shown = os.path.join(os.path.dirname(self.source.path), value.value)
                    self.inputs.append((os.path.normpath(shown), digest))
                    where = f"{value.value}"
                elif isinstance(value, yaml.SequenceNode):
                    inline = self.inline_responses(value)
                    if inline is None:
                        continue
                    responses = inline
                    where = f"{self.source.path} (inline)"
                else:
                    self.shape(
                        f"the responses of `{name}` must be a file name or a list",
                        value,
                        "write `用户问卷: 问卷.csv` or `- {问题: 回答, …}` lines",
                    )
                    continue
                for agg in declared[name]:
                    fact = agg.name.text
                    if fact in seen:
                        self.diags.append(msg.given_twice_by_survey(fact, seen[fact], span))
                        continue
                    number, how = aggregate(agg, responses, where)
                    if agg.nonzero and number == 0:
                        self.diags.append(
                            msg.evidence_zero(fact, _span(self.source, value), agg.name.span)
                        )
                        continue
                    values[fact] = number
                    origins[fact] = Provenance(
                        _span(self.source, value),
                        f"问卷 {name}：{where}（{len(responses)} 份）",
                        how,
                    )
            except SurveyError as exc:
                at = _span(self.source, value)
                make = exc.make
                self.diags.append(make(at) if make else msg.survey_problem(str(exc), at))

    def inline_responses(self, node: yaml.SequenceNode) -> list[dict[str, str]] | None:
        """Responses listed in the evidence, one `{问题: 回答, …}` mapping a respondent; any
        other shape is refused (skipping it would lose a respondent without a word)."""
        responses = []
        for item in node.value:
            if not isinstance(item, yaml.MappingNode):
                self.shape(
                    "a respondent must be a mapping of questions to answers",
                    item,
                    "write one `- {问题: 回答, …}` line per respondent",
                )
                return None
            answers: dict[str, str] = {}
            for k, v in item.value:
                if not isinstance(k, yaml.ScalarNode) or not isinstance(v, yaml.ScalarNode):
                    self.shape(
                        "an answer must be a single value",
                        v if isinstance(k, yaml.ScalarNode) else k,
                        "write the answer as text: `问题: 回答`",
                    )
                    return None
                answers[str(k.value)] = str(v.value)
            responses.append(answers)
        return responses

    def entries(
        self,
        entries: list[tuple[yaml.Node, yaml.Node]],
        values: dict[str, Value | NotApplicable],
        origins: dict[str, Provenance],
        seen: dict[str, Span],
        params: bool,
    ) -> None:
        for key, node in entries:
            if not isinstance(key, yaml.ScalarNode):
                self.shape("a fact name must be plain text", key, "write `名称: 值`")
                continue
            name = unicodedata.normalize("NFC", key.value.strip())
            key_span = _span(self.source, key)
            if name in seen:
                self.diags.append(msg.evidence_duplicate_fact(name, key_span, seen[name]))
                continue
            seen[name] = key_span
            fact = self.program.facts.get(name)
            if fact is None or fact.is_param != params:
                if fact is not None:
                    self.diags.append(msg.evidence_wrong_section(name, key_span, fact.is_param))
                    continue
                known = [n for n, f in self.program.facts.items() if f.is_param == params]
                self.diags.append(msg.evidence_unknown_fact(name, key_span, known))
                continue
            parsed = self.fact(fact, node)
            if parsed is not None:
                values[name], origins[name] = parsed

    def project(self, node: yaml.Node) -> dict[str, str]:
        if isinstance(node, yaml.ScalarNode):
            return {"name": node.value}
        if isinstance(node, yaml.MappingNode):
            return {
                str(k.value): str(v.value)
                for k, v in node.value
                if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
            }
        self.shape(
            "`project:` must be a name or a mapping of text",
            node,
            "write e.g. `project: {name: …, id: …}`",
        )
        return {}

    def fact(self, fact: Fact, node: yaml.Node) -> tuple[Value | NotApplicable, Provenance] | None:
        provenance: dict[str, str] = {}
        date_node: yaml.Node = node
        value_node: yaml.Node | None = node
        if isinstance(node, yaml.MappingNode):
            value_node = None
            for key, sub in node.value:
                k = key.value if isinstance(key, yaml.ScalarNode) else None
                if k == "value":
                    value_node = sub
                elif k in _PROVENANCE_KEYS and isinstance(sub, yaml.ScalarNode):
                    provenance[k] = sub.value
                    if k == "date":
                        date_node = sub
                else:
                    self.shape(
                        f"unknown key `{k}` in fact `{fact.name}`",
                        key,
                        "a fact's mapping holds `value:` and provenance: "
                        + ", ".join(f"`{p}:`" for p in _PROVENANCE_KEYS),
                    )
            if value_node is None:
                self.shape(
                    f"fact `{fact.name}` has no `value:`",
                    node,
                    f"write `{fact.name}: {{value: …, source: …}}`",
                )
                return None
        assert value_node is not None
        span = _span(self.source, value_node)
        origin = Provenance(
            span,
            provenance.get("source"),
            provenance.get("note"),
            tuple(
                (k, provenance[k])
                for k in _PROVENANCE_KEYS
                if k in provenance and k not in ("source", "note")
            ),
        )
        self.check_date(fact.name, provenance.get("date"), date_node)
        if (
            isinstance(value_node, yaml.ScalarNode)
            and value_node.value.strip().lower() in _NOT_APPLICABLE
        ):
            return NA, origin
        if fact.kind is Kind.JUDGEMENT:
            return self.judgement(fact, value_node, provenance, origin)
        if fact.kind is Kind.LIST:
            items = self.items(fact, value_node)
            return (items, origin) if items is not None else None
        if not isinstance(value_node, yaml.ScalarNode):
            self.bad(fact, value_node, "a single value is expected, not a list or mapping")
            return None
        raw = value_node.value
        if (
            value_node.tag == "tag:yaml.org,2002:null"
            and value_node.style is None
            and raw in ("", "~", "null", "Null", "NULL")
        ):
            self.bad(fact, value_node, "no value given")
            return None
        value, why = parse_value(fact.kind, raw)
        if value is None:
            self.bad(fact, value_node, why)
            return None
        if fact.nonzero and isinstance(value, Decimal) and value == 0:
            self.diags.append(
                msg.evidence_zero(fact.name, _span(self.source, value_node), fact.span)
            )
            return None
        return value, origin

    def judgement(
        self, fact: Fact, node: yaml.Node, provenance: dict[str, str], origin: Provenance
    ) -> tuple[Value, Provenance] | None:
        if not isinstance(node, yaml.ScalarNode):
            self.bad(fact, node, "an amount is expected")
            return None
        amount, why = parse_value(Kind.NUMBER, node.value)
        if not isinstance(amount, Decimal):
            self.bad(fact, node, why)
            return None
        reason = provenance.get("reason") or provenance.get("note")
        if amount != 0 and not reason:
            self.diags.append(msg.judgement_without_reason(fact.name, _span(self.source, node)))
            return None
        by = provenance.get("by") or provenance.get("recorded_by")
        return Judgement(amount, reason or "", by, provenance.get("date")), origin

    def items(self, fact: Fact, node: yaml.Node) -> tuple[Item, ...] | None:
        if isinstance(node, yaml.ScalarNode):
            if node.value.strip() in ("", "~", "null", "[]", "无"):
                return ()
            self.bad(fact, node, "a list is expected")
            return None
        if not isinstance(node, yaml.SequenceNode):
            self.bad(fact, node, "a list is expected")
            return None
        items = []
        for entry in node.value:
            span = _span(self.source, entry)
            if isinstance(entry, yaml.ScalarNode):
                items.append(Item(entry.value.strip(), Provenance(span)))
                continue
            if isinstance(entry, yaml.MappingNode):
                fields = {
                    k.value: v.value
                    for k, v in entry.value
                    if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
                }
                text = fields.pop("item", None) or fields.pop("description", None)
                if text:
                    details = tuple(
                        sorted(
                            (k, str(v)) for k, v in fields.items() if k not in ("source", "note")
                        )
                    )
                    items.append(
                        Item(
                            str(text).strip(),
                            Provenance(span, fields.get("source"), fields.get("note"), details),
                        )
                    )
                    continue
            self.shape(
                f"an entry of `{fact.name}` has no text",
                entry,
                "write each entry as `- 说明` or `- {item: 说明, source: 文件}`",
            )
            return None
        return tuple(items)

    def bad(self, fact: Fact, node: yaml.Node, why: str) -> None:
        text = node.value if isinstance(node, yaml.ScalarNode) else "…"
        self.diags.append(
            msg.evidence_bad_value(
                fact.name, fact.kind, str(text), _span(self.source, node), fact.span, why
            )
        )

    def check_date(self, name: str, text: str | None, node: yaml.Node) -> None:
        period = self.program.settings.period
        if text is None or period is None:
            return
        day, _ = parse_value(Kind.DATE, text)
        if isinstance(day, dt.date) and not period[0] <= day <= period[1]:
            self.diags.append(
                msg.outside_period(
                    name, day.isoformat(), f"{period[0]} to {period[1]}", _span(self.source, node)
                )
            )


# ----- values typed by hand --------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def _cn_int(text: str) -> int | None:
    """A whole number in Chinese numerals below 10000 (`二十三` → 23), as typed in forms."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


def _number(text: str) -> Decimal | None:
    if not _NUMBER.fullmatch(text):
        cn = _cn_int(text)
        return Decimal(cn) if cn is not None else None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


#: Kinds whose plain digits ("12") are the number itself, as most cells of a portfolio are.
_DIGITS_ARE_VALUE = (Kind.COUNT, Kind.NUMBER, Kind.MONEY)


def parse_value(kind: Kind, raw: str) -> tuple[Value | None, str]:
    """Parse hand-typed text as a value of `kind`. Returns (value, "") or (None, why not)."""
    # Fast paths for what most cells hold — plain ASCII digits, or a yes/no word — giving
    # exactly what the general path below gives them.
    if raw.isdigit() and raw.isascii() and kind in _DIGITS_ARE_VALUE and len(raw) <= MAX_DIGITS:
        return Decimal(raw), ""
    if kind is Kind.BOOL:
        low = raw.strip().lower()
        if low in _TRUE:
            return True, ""
        if low in _FALSE:
            return False, ""
    return _parse(kind, raw)


def _parse(kind: Kind, raw: str) -> tuple[Value | None, str]:
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if kind is Kind.TEXT:
        return raw.strip(), ""
    if kind is Kind.BOOL:
        low = text.lower()
        if low in _TRUE:
            return True, ""
        if low in _FALSE:
            return False, ""
        return None, "not a yes/no value"
    if kind is Kind.DATE:
        m = _DATE.fullmatch(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3])), ""
            except ValueError:
                return None, "no such day"
        return None, "not a date"
    digits = sum(ch.isdigit() for ch in text)
    if digits > MAX_DIGITS:
        return None, f"a number of {digits} digits; at most {MAX_DIGITS} are allowed"
    if kind is Kind.PERCENT:
        if text.endswith("%"):
            number = _number(text[:-1])
            return (number / 100, "") if number is not None else (None, "not a percentage")
        number = _number(text)
        if number is None:
            return None, "not a percentage"
        if abs(number) > 2:
            return None, f"`{text}` as a fraction is {number * 100}%; write `{text}%` for a percent"
        return number, ""
    if kind is Kind.MONEY:
        body = text.lstrip("¥￥")
        factor = Decimal(1)
        for suffix, f in (("万元", 10000), ("亿元", 100000000), ("万", 10000), ("元", 1)):
            if body.endswith(suffix):
                body, factor = body[: -len(suffix)], Decimal(f)
                break
        number = _number(body)
        return (number * factor, "") if number is not None else (None, "not an amount")
    if kind is Kind.COUNT:
        body = text.rstrip(_COUNT_UNITS)
        number = _number(body)
        if number is None:
            return None, "not a whole number"
        if number != number.to_integral_value() or number < 0:
            return None, "a count is a whole number, 0 or more"
        return number.quantize(Decimal(1)), ""
    if kind is Kind.NUMBER:
        number = _number(text)
        return (number, "") if number is not None else (None, "not a number")
    return None, f"a {kind} cannot be given as a single value"
