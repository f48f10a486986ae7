"""Evidence files → typed fact values with provenance. PyYAML is read here (evidence; a panel
fact's node by `panels`, this reader's own) and, for their own YAML files, by packtest (test
suites) and strategies (generated evidence).

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
from types import MappingProxyType

import yaml

from jixiao.dsl.ast import MAX_DIGITS
from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.record import record, spec
from jixiao.dsl.source import DecodeError, Source, Span, decode

from ..check.units import (
    COUNT_UNITS,
    KNOWN_UNITS,
    MONEY_UNITS,
    YUAN,
    Unit,
    convert,
    domain_problem,
    fact_unit,
    unit_named,
)
from ..common import messages as msg
from ..common.ir import Fact, Program
from ..common.result import NA, Item, Judgement, NotApplicable, Provenance, Value
from ..common.types import Kind
from . import files, numerals

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


#: A findings cell or list that says "nothing was found" the way tables write it: a dash, a
#: slash, 无. Anything else is a finding, and each finding costs points.
NOTHING_FOUND = frozenset(
    {"", "无", "暂无", "没有", "[]", "-", "--", "—", "——", "–", "－", "/", "／", "\\", "、"}
)
visible = files.visible


def nothing_found(text: str) -> bool:
    """Whether a findings cell (or YAML scalar) says that nothing was found."""
    return unicodedata.normalize("NFKC", visible(text)) in NOTHING_FOUND or visible(text) in (
        NOTHING_FOUND
    )


def not_a_finding(text: str) -> str | None:
    """Why one entry of a findings list cannot be a finding, or None: an entry with no visible
    text, a dash or 无 (nothing found, written among findings), or a bare number (a count typed
    where the findings are listed — `3` would be one finding, not three)."""
    shown = visible(text)
    if not shown:
        return "it is empty"
    if nothing_found(shown):
        return "it says nothing was found"
    if files.is_error_text(shown):
        return "it is an Excel error value, not data (fix the formula that gives it)"
    if files.looks_like_formula(shown):
        return "it is a spreadsheet formula, not its value (export values, not formulas)"
    folded = unicodedata.normalize("NFKC", shown)
    if _NUMBER.fullmatch(folded):
        return "it is a number (a count where the findings are listed?)"
    if folded.lower() in ("true", "false"):
        return "it is a yes/no value"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")
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
    # Facts given with a value the reader refused (fact → why), left out of `values`: the
    # evaluator finds them missing, so every indicator reading one is undecided while the others
    # are scored; `engine.run` says so and gives no total.
    refused: Mapping[str, str] = spec(default=MappingProxyType({}))
    # Every other file that contributed a value (survey responses): (path, SHA-256), so a
    # result's digests cover all it was scored from.
    inputs: tuple[tuple[str, str], ...] = ()


def load(
    path: str | os.PathLike[str], program: Program
) -> tuple[Evidence | None, list[Diagnostic]]:
    """Read an evidence file for a program: the evidence it could read, with the errors.

    None only when the file itself cannot be used (unreadable, not YAML, not a mapping with
    `facts:`). A fact whose value is malformed is left out and named in `Evidence.refused`;
    callers that need all of it check `has_errors` on the diagnostics."""
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
    """Read evidence already in memory; `path` names it in diagnostics. As `load`."""
    try:
        text, encoding = decode(data)
    except DecodeError as exc:
        return None, [msg.evidence_unreadable(path, str(exc))]
    source = Source(path, text, encoding)
    diags: list[Diagnostic] = []
    if encoding != "utf-8":
        diags.append(msg.encoding_note(path, encoding))
    return _Reader(source, program, diags).read(), diags


def _span(source: Source, node: yaml.Node) -> Span:
    return Span(source, node.start_mark.index, max(node.end_mark.index, node.start_mark.index))


class _Reader:
    def __init__(self, source: Source, program: Program, diags: list[Diagnostic]) -> None:
        self.source = source
        self.program = program
        self.diags = diags
        self.inputs: list[tuple[str, str]] = []

    def span(self, node: yaml.Node) -> Span:
        return _span(self.source, node)

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
            problem = _yaml_problem(exc.problem or exc.context or "malformed YAML")
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
        if self.duplicate_keys(root):
            return None  # a text no output can encode: nothing of the file is used
        if root is None or not isinstance(root, yaml.MappingNode):
            self.shape(
                "the evidence must be a mapping with a `facts:` key",
                root,
                f"start the file with `facts:`, e.g.\n{example}",
            )
            return None
        self.refused: dict[str, str] = {}
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
                if declared and name is not None:
                    self.refused[name] = f"`{name}` is not under `facts:`"
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
            before = len(self.diags)
            self.surveys(surveys_node, values, origins, seen)
            if any(d.is_error for d in self.diags[before:]):
                # the facts a survey would have given are not missing: its responses were refused
                from .survey import surveys_of

                for aggregates in surveys_of(self.program).values():
                    for agg in aggregates:
                        if agg.name.text not in values:
                            self.refused.setdefault(agg.name.text, "its survey was refused")
        refused = {k: why for k, why in self.refused.items() if k not in values}
        return Evidence(
            self.source, values, origins, project, MappingProxyType(refused), tuple(self.inputs)
        )

    def duplicate_keys(self, root: yaml.Node | None) -> bool:
        """Refuse a key given twice in any mapping, at any depth (YAML and JSON would keep the
        last silently). Fact names under `facts:`/`params:` are reported by `entries` (E604),
        surveys named twice by `surveys` (E651)."""
        facts = {
            id(value)
            for key, value in (root.value if isinstance(root, yaml.MappingNode) else ())
            if isinstance(key, yaml.ScalarNode) and key.value in ("facts", "params", "surveys")
        }
        stack: list[yaml.Node] = [root] if root is not None else []
        broken = False
        # An alias shares its anchor's node, so the tree is a graph: each node is walked once,
        # or nine aliases of nine aliases (a "billion laughs") would be walked 9⁹ times.
        seen: set[int] = set()
        while stack:  # iterative: the nesting depth is the document's, not ours
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.ScalarNode) and _SURROGATE.search(node.value):
                # JSON writes a character past U+FFFF as two escapes (`"\ud83d\ude00"`), which
                # YAML leaves as two halves: joined, they are the character; a half alone
                # (`"\ud800"`) is no character at all, and no output could encode it
                try:
                    node.value = node.value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
                except UnicodeDecodeError:
                    broken = True
                    self.shape(
                        "a text holds half of a character (a lone `\\ud800`–`\\udfff` escape)",
                        node,
                        "write the character itself, or both halves of its escape",
                    )
            if isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            if not isinstance(node, yaml.MappingNode):
                continue
            first: dict[str, yaml.Node] = {}
            for key, value in node.value:
                stack.append(value)
                stack.append(key)
                if not isinstance(key, yaml.ScalarNode) or id(node) in facts:
                    continue
                name = unicodedata.normalize("NFC", key.value.strip())
                if name in first:
                    self.diags.append(
                        msg.evidence_duplicate_key(
                            name, _span(self.source, key), _span(self.source, first[name])
                        )
                    )
                else:
                    first[name] = key
        return broken

    def surveys(
        self,
        node: yaml.Node,
        values: dict[str, Value | NotApplicable],
        origins: dict[str, Provenance],
        seen: dict[str, Span],
    ) -> None:
        """Aggregate each survey's responses into the facts its `survey` block declares."""
        from .survey import SurveyError, aggregate, check_respondents, read_responses, surveys_of

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
                check_respondents(responses, where)
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
            if key.tag == "tag:yaml.org,2002:merge":
                # `<<: *base` would copy facts in from elsewhere; the reader never expands
                # it, so those facts would be missing with no word of why
                self.shape(
                    "a YAML merge key (`<<:`) is not read in evidence",
                    key,
                    "write each fact under `facts:` itself",
                )
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
            before = len(self.diags)
            parsed = self.fact(fact, node)
            if parsed is not None:
                values[name], origins[name] = parsed
            else:
                why = next((d.message for d in self.diags[before:] if d.is_error), "refused")
                self.refused[name] = why
        if params:
            self.kept_own_values(values, seen)

    def kept_own_values(
        self, values: dict[str, Value | NotApplicable], seen: dict[str, Span]
    ) -> None:
        """W782: a parameter the evidence sets that some indicators give their own value
        (`达成线@B1`, see `common.own`): those keep theirs, unless the evidence names them."""
        kept: dict[str, list[str]] = {}
        for name in self.program.facts:
            param, _, code = name.partition("@")
            if code and param in values and name not in seen:
                kept.setdefault(param, []).append(code)
        for param, codes in kept.items():
            self.diags.append(msg.evidence_param_kept(param, codes, seen[param]))

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
        if fact.kind is Kind.RECORDS:  # a list of records, inline or a sheet beside the file
            from . import records

            if isinstance(node, yaml.ScalarNode) and node.value.strip().lower() in _NOT_APPLICABLE:
                return NA, Provenance(_span(self.source, node))

            return records.read(self, fact, node, parse_typed, _NOT_APPLICABLE)
        if fact.kind is Kind.PANEL and _names_experts(node):
            return self.panel(fact, node, Provenance(_span(self.source, node)))
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
        if fact.kind is Kind.PANEL:
            return self.panel(fact, value_node, origin)
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
        value, why = parse_typed(fact, raw)
        if value is None:
            self.bad(fact, value_node, why)
            return None
        problem = domain_problem(fact, value)
        if problem is not None:
            shown, domain, how = problem
            self.diags.append(
                msg.outside_domain(
                    fact.name, shown, domain, _span(self.source, value_node), fact.span, how
                )
            )
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

    def panel(
        self, fact: Fact, node: yaml.Node, origin: Provenance
    ) -> tuple[Value, Provenance] | None:
        from .panels import read_panel

        value = read_panel(fact.name, node, self.source, self.diags, parse_typed)
        return (value, origin) if value is not None else None

    def items(self, fact: Fact, node: yaml.Node) -> tuple[Item, ...] | None:
        if isinstance(node, yaml.ScalarNode):
            if node.value.strip() in ("~", "null") or nothing_found(node.value):
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
                # `- ` or `- ~` is YAML's null: an empty entry, never a finding called `~`
                text = "" if entry.tag == "tag:yaml.org,2002:null" else entry.value
                why = not_a_finding(text)
                if why is not None:
                    self.diags.append(msg.not_a_finding(fact.name, text, why, span))
                    return None
                items.append(Item(visible(entry.value), Provenance(span)))
                continue
            if isinstance(entry, yaml.MappingNode):
                fields = {
                    k.value: v.value
                    for k, v in entry.value
                    if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
                }
                text = fields.pop("item", None) or fields.pop("description", None)
                why = not_a_finding(text) if text else None
                if text and why is not None:
                    self.diags.append(msg.not_a_finding(fact.name, text, why, span))
                    return None
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
                    name,
                    day.isoformat(),
                    period[0].isoformat(),
                    period[1].isoformat(),
                    _span(self.source, node),
                )
            )


def _names_experts(node: yaml.Node) -> bool:
    """A panel given as a mapping of experts (`{张三: 4.5, 李四: 4}`), not as a value with its
    provenance (`{value: […], source: …}`)."""
    return isinstance(node, yaml.MappingNode) and not any(
        isinstance(k, yaml.ScalarNode) and k.value == "value" for k, _ in node.value
    )


# ----- values typed by hand --------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
# A date, and the time of day Excel exports put after it (`2018-05-01 00:00:00`), which a date
# fact does not keep: the day is not in doubt.
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:T?\s*(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?"
)


def _number(text: str) -> Decimal | None:
    """Arabic digits, or Chinese numerals read by `numerals` (which refuses what is ambiguous
    or malformed rather than guess: `三五`, `十十`)."""
    if not _NUMBER.fullmatch(text):
        number = numerals.read(text)[0]
    else:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            return None
    # `-0` (a sign typed before a zero, or Excel's -0.0) is zero: never shown as `-0.00`
    return abs(number) if number is not None and number.is_zero() else number


def _numeral_reason(text: str, what: str) -> str:
    """`what`, with the numeral reader's reason when the text is written in Chinese numerals:
    `十十` is refused because it is malformed, `三五` because it is ambiguous — say which."""
    if re.fullmatch(_SCIENTIFIC, text):
        return (
            f"{what}: `{text}` is scientific notation, as Excel shows a number too wide for its "
            "column, and may have lost digits; format the cells as numbers (0.00), widen the "
            "column and export again, or type the number in full"
        )
    if re.fullmatch(_ACCOUNTING, text):
        return f"{what}: write a negative number with a minus sign (`-{text[1:-1]}`)"
    if not any(
        ch in numerals.DIGITS or ch in numerals.SMALL_UNITS or ch in numerals.BIG_UNITS
        for ch in text
    ):
        return what
    return f"{what}: {numerals.read(text)[1]}"


#: What Excel writes for a number too wide for its column (`1.5E+05`), and an accounting
#: format's negative (`(5,000.00)`): refused, each with the reason, never guessed at. (Compiled
#: on a refusal's first use, not by every warm run.)
_SCIENTIFIC = r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+"
_ACCOUNTING = r"\([\d,]+(?:\.\d+)?\)"


#: Plain ASCII digits with a fraction (`123456.78`): an amount or a number as it is.
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")
#: Kinds whose plain digits ("12") are the number itself, as most cells of a portfolio are.
_DIGITS_ARE_VALUE = (Kind.COUNT, Kind.NUMBER, Kind.MONEY)


def parse_value(kind: Kind | Fact, raw: str) -> tuple[Value | None, str]:
    """Parse hand-typed text as a value of `kind`. Returns (value, "") or (None, why not).

    Given the `Fact` itself, an amount with a unit (`50万元`) is converted into the fact's
    unit and the value is checked against the fact's domain (E660's rule, as one sentence in
    `why`); given a kind alone, against the kind's own domain (money and counts 0 or more, a
    percent in [0%, 100%])."""
    value, why = parse_typed(kind, raw)
    if value is None:
        return None, why
    problem = domain_problem(kind, value)
    if problem is not None:
        shown, domain, how = problem
        return None, f"{shown} is outside the domain {domain}: {how}"
    return value, ""


def parse_typed(kind: Kind | Fact, raw: str) -> tuple[Value | None, str]:
    """`parse_value` without the domain check."""
    fact = kind if isinstance(kind, Fact) else None
    kind = kind.kind if isinstance(kind, Fact) else kind
    # Fast paths for what most cells hold — plain ASCII digits, or a yes/no word — giving
    # exactly what the general path below gives them.
    if raw.isdigit() and raw.isascii() and kind in _DIGITS_ARE_VALUE and len(raw) <= MAX_DIGITS:
        return Decimal(raw), ""
    if (kind is Kind.MONEY or kind is Kind.NUMBER) and _DECIMAL.fullmatch(raw):
        if len(raw) <= MAX_DIGITS + 1:  # (a bare number: in the fact's own unit)
            value = Decimal(raw)
            return (abs(value) if value.is_zero() else value), ""
    if kind is Kind.BOOL:
        low = raw.strip().lower()
        if low in _TRUE:
            return True, ""
        if low in _FALSE:
            return False, ""
    unit = fact_unit(kind, fact.unit) if fact is not None else fact_unit(kind, None)
    return _parse(kind, raw, unit)


def _parse(kind: Kind, raw: str, unit: Unit | None = None) -> tuple[Value | None, str]:
    raw = files.visible(raw)  # `100` and `是` pasted with a zero-width space are 100 and 是
    # (NFKC makes a full-width `－5` -5, but leaves the minus sign U+2212 that Word and WPS
    # type for `-`: in a number it means nothing else)
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "").replace("\u2212", "-")
    if kind is Kind.TEXT:
        if files.is_error_text(raw):  # a formula's failure copied out of a sheet is no text
            return None, "an Excel error value, not data; fix the formula that gives it"
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
        if text.startswith(numerals.PERCENT_WORD):  # 百分之九十二
            try:
                return numerals.percent(text), ""
            except numerals.NumeralError as exc:
                return None, f"not a percentage: {exc}"
        if text.endswith("%"):
            number = _number(text[:-1])
            if number is None:
                return None, _numeral_reason(text[:-1], "not a percentage")
            return number / 100, ""
        number = _number(text)
        if number is None:
            return None, _numeral_reason(text, "not a percentage")
        if abs(number) > 2:
            return None, f"`{text}` as a fraction is {number * 100}%; write `{text}%` for a percent"
        return number, ""
    if kind is Kind.MONEY:
        body = text
        for mark in ("¥", "￥", "RMB", "CNY", "rmb", "cny"):
            body = body.removeprefix(mark)
        return _amount(body, unit or unit_named("元"), "not an amount")
    if kind is Kind.COUNT:
        number, why = _amount(text, unit, "not a whole number")
        if number is None:
            return None, why
        if number != number.to_integral_value() or number < 0:
            return None, "a count is a whole number, 0 or more"
        return number.quantize(Decimal(1)), ""
    if kind is Kind.NUMBER:
        return _amount(text, unit, "not a number")
    return None, f"a {kind} cannot be given as a single value"


def _amount(text: str, unit: Unit | None, what: str) -> tuple[Decimal | None, str]:
    """A number with an optional unit, in `unit`: money converts exactly; any other unit must
    be the fact's own (or the fact has none).

    Every way of reading the text is tried — the whole as a numeral (`一万二千`, `1.2万`), as
    money in 元/角/分 (`壹拾万元整`), and a number before each unit it may end with (`一万二千元`
    is 一万二千 of 元, never 一万二 of 千元) — and those that read must agree: a text two
    readings give two values is refused. As money, a numeral naming 万 or 亿 counts 元 (`3万`
    is 3 万元) whatever unit the fact is held in; any other bare number is in the fact's unit."""
    whole = _number(text)
    if whole is not None:
        if unit is not None and unit.dimension == "money" and numerals.has_magnitude(text):
            return convert(whole, Unit("money", YUAN), unit), ""
        return whole, ""  # a bare number is in the fact's own unit
    readings: list[tuple[Decimal | None, str]] = []
    if numerals.is_money(text):
        try:
            yuan = numerals.money(text)
        except numerals.NumeralError as exc:
            readings.append((None, str(exc)))
        else:
            readings.append(_in_unit(yuan, text, Unit("money", YUAN), unit, what))
    for body, written in _splits(text, unit):
        number = _number(body)
        if number is None:
            readings.append((None, _numeral_reason(body, what)))
        else:
            readings.append(_in_unit(number, text, written, unit, what))
    values = sorted({value for value, _ in readings if value is not None})
    if len(values) > 1:
        shown = " or ".join(f"{v:f}" for v in values)
        return None, f"`{text}` reads as {shown}; write the amount in digits with its unit"
    for reading in readings:
        if reading[0] is not None:
            return reading
    if not readings:
        return None, _numeral_reason(text, what)
    # what the longest unit's reading says (a cheque form's own reason, when it is one)
    return readings[0]


def _splits(text: str, unit: Unit | None) -> list[tuple[str, Unit]]:
    """(number, unit) for every unit `text` may end with, the longest first."""
    out = []
    if unit is not None and unit.name not in KNOWN_UNITS and text.endswith(unit.name):
        out.append((text[: -len(unit.name)], unit))  # the fact's own unit (平方米, 美元)
    low = text.lower()
    for name in sorted((*MONEY_UNITS, *COUNT_UNITS), key=len, reverse=True):
        if low.endswith(name) and len(text) > len(name):
            out.append((text[: -len(name)], unit_named(text[len(text) - len(name) :])))
    return out


def _in_unit(
    number: Decimal, text: str, written: Unit, unit: Unit | None, what: str
) -> tuple[Decimal | None, str]:
    """`number` written in `written`, in the fact's `unit`."""
    if unit is None:
        if written.dimension == "money":
            return None, f"`{text}` is money, not {what.removeprefix('not ')}"
        return number, ""
    if written.dimension != unit.dimension:
        return None, f"`{text}` is in {written.name}, but the fact is in {unit.name}"
    return convert(number, written, unit), ""


#: PyYAML's problems, in words of our own (so that they are translated like every message; a
#: problem not listed keeps PyYAML's English). Matched by their start: some end in a character.
_YAML_PROBLEMS = (
    (
        "mapping values are not allowed here",
        "a `:` where no value may start (a value holding `: ` needs quotes)",
    ),
    ("could not find expected ':'", "a line without the `:` between a name and its value"),
    ("found character '\\t' that cannot start any token", "a tab: YAML indents with spaces only"),
    ("found character", "a character that cannot start a value (quote the value)"),
    (
        "found unexpected end of stream",
        "the file ends inside a quoted value (a quote is not closed)",
    ),
    ("expected <block end>", "a line indented differently from the lines around it"),
    ("expected ',' or ']'", "a `[` list not closed with `]` (or a `,` missing)"),
    ("expected ',' or '}'", "a `{` mapping not closed with `}` (or a `,` missing)"),
    (
        "found unknown escape character",
        "a `\\` in a double-quoted value (use single quotes, or write `\\\\`)",
    ),
    ("found undefined alias", "a `*` that names no `&` anchor (quote a value starting with `*`)"),
    (
        "found undefined tag handle",
        "a `!` that starts no known tag (quote a value starting with `!`)",
    ),
    ("expected the node content", "a value missing where one must be (after `-`, `?` or a tag)"),
    (
        "expected alphabetic or numeric character",
        "a `&` or `*` not followed by a name (quote the value)",
    ),
    ("found duplicate anchor", "an `&` anchor named twice"),
    (
        "expected a single document in the stream",
        "more than one document (a `---` line inside the file)",
    ),
)


def _yaml_problem(problem: str) -> str:
    for start, words in _YAML_PROBLEMS:
        if problem.startswith(start):
            return words
    return problem
