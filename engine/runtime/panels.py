"""A panel fact's evidence (专家评分) → a `Panel`: each expert's name, score and reason.

The shapes an office types, all read alike:

```yaml
专家评分:                                  # a list of mappings, fields in Chinese or English
  - {专家: 张三, 得分: 4.5, 理由: 方案完整}
  - name: 李四
    score: 4
    reason: 绩效目标细化不足
专家评分:                                  # one `name: score` line per expert
  - 张三: 4.5
  - 李四：4                                # (a full-width colon leaves the line one text)
专家评分: {张三: 4.5, 李四: 4}              # a mapping of names to scores (or to mappings)
```

An entry needs a name and a score; in an entry of several fields, a field this module does not
know is refused with the nearest one it does (`得份` → `得分`), never dropped. Scores are read
as hand-typed numbers (`4.5`, `4.5分`, `四点五`, full-width digits); the band they must lie in
is the rule's, so it is checked when the rule scores (E665), not here. Names are compared
after folding full-width characters and spaces: an expert listed twice is refused (E664).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable
from decimal import Decimal

import yaml

from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Source, Span

from ..common import messages as msg
from ..common.result import Mark, Panel, Provenance
from ..common.types import Kind
from .files import visible

#: Each field of an expert's entry and the names it may be written with.
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("专家", "姓名", "专家姓名", "评审专家", "评委", "name", "expert"),
    "score": ("得分", "评分", "分数", "打分", "分值", "score", "points"),
    "reason": ("理由", "评分理由", "意见", "评分意见", "说明", "评语", "reason", "comment"),
    "source": ("source", "来源"),
    "date": ("date", "日期"),
}
_FIELD_OF = {alias: field for field, aliases in FIELDS.items() for alias in aliases}
_EMPTY = {"", "~", "null", "无", "[]"}


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def read_panel(
    name: str,
    node: yaml.Node,
    source: Source,
    diags: list[Diagnostic],
    parse: Callable[[Kind, str], tuple[object, str]],
) -> Panel | None:
    """The panel `node` gives for fact `name`, or None after its errors (into `diags`).
    `parse` reads a hand-typed number (the evidence reader's own)."""

    def span(n: yaml.Node) -> Span:
        return Span(source, n.start_mark.index, max(n.end_mark.index, n.start_mark.index))

    def refuse(problem: str, at: yaml.Node, help: str) -> None:
        diags.append(msg.panel_entry(name, problem, span(at), help))

    entries: list[tuple[int, yaml.Node, dict[str, yaml.Node] | None]] = []
    if isinstance(node, yaml.ScalarNode):
        if node.value.strip() in _EMPTY:
            return Panel((), span(node))
        refuse(
            f"`{node.value}` is not a list of experts",
            node,
            "list one expert a line: `- {专家: 张三, 得分: 4.5, 理由: …}`",
        )
        return None
    if isinstance(node, yaml.MappingNode):
        pairs = [(k, v) for k, v in node.value]
    elif isinstance(node, yaml.SequenceNode):
        pairs = [(None, v) for v in node.value]
    else:  # pragma: no cover - a YAML node is one of the three
        return None
    ok = True
    for index, (key, entry) in enumerate(pairs, 1):
        fields = _fields(index, key, entry, refuse)
        if fields is None:
            ok = False
            continue
        entries.append((index, entry, fields))
    if not ok:
        return None
    marks: list[Mark] = []
    first: dict[str, Span] = {}
    for index, entry, fields in entries:
        assert fields is not None
        expert_node, score_node = fields.get("name"), fields.get("score")
        expert = visible(_text(expert_node)).strip()  # a name pasted with a zero-width space
        if not expert:
            refuse(
                f"expert {index} has no name",
                entry,
                "give each expert's name: `专家: 张三` (or `name:`)",
            )
            ok = False
            continue
        where = f"expert {index} `{expert}`"
        if score_node is not None and not isinstance(score_node, yaml.ScalarNode):
            diags.append(
                msg.panel_score(name, index, expert, "…", "a single number", span(score_node))
            )
            ok = False
            continue
        if score_node is None or not _text(score_node):
            refuse(
                f"{where} has no score",
                entry,
                f"give the score: `- {{专家: {expert}, 得分: 4.5, 理由: …}}` (or `score:`)",
            )
            ok = False
            continue
        text = score_node.value.strip()
        number, why = parse(Kind.NUMBER, text.removesuffix("分").strip())
        if not isinstance(number, Decimal):
            diags.append(msg.panel_score(name, index, expert, text, why, span(score_node)))
            ok = False
            continue
        reason_node = fields.get("reason")
        if reason_node is not None and not isinstance(reason_node, yaml.ScalarNode):
            refuse(
                f"the reason of {where} is not a text",
                reason_node,
                "write the reason as one text: `理由: 方案完整，测算充分`",
            )
            ok = False
            continue
        folded = _fold(expert)
        at = span(expert_node) if expert_node is not None else span(entry)
        if folded in first:
            diags.append(msg.panel_expert_twice(name, expert, at, first[folded]))
            ok = False
            continue
        first[folded] = at
        details = tuple(
            (field, _text(fields[field])) for field in ("date",) if _text(fields.get(field))
        )
        origin = Provenance(span(entry), _text(fields.get("source")) or None, None, details)
        marks.append(Mark(expert, number, _text(reason_node), origin))
    return Panel(tuple(marks), span(node)) if ok else None


def _fields(
    index: int,
    key: yaml.Node | None,
    entry: yaml.Node,
    refuse: Callable[[str, yaml.Node, str], None],
) -> dict[str, yaml.Node] | None:
    """An entry's fields by their own names (`name`, `score`, …), from any of its shapes."""
    example = "`- {专家: 张三, 得分: 4.5, 理由: …}`"
    if key is not None:  # `张三: 4.5` or `张三: {得分: 4.5, 理由: …}` in a mapping of names
        if isinstance(entry, yaml.MappingNode):
            fields = _mapping(index, entry, refuse)
            if fields is not None:
                fields.setdefault("name", key)
            return fields
        return {"name": key, "score": entry}
    if isinstance(entry, yaml.ScalarNode):
        # `张三：4.5` (a full-width colon: YAML reads one text) or `张三 4.5`
        text = unicodedata.normalize("NFKC", entry.value).strip()
        head, colon, tail = text.rpartition(":")
        if not colon:
            head, _, tail = text.rpartition(" ")
        if head.strip() and tail.strip():
            return {
                "name": yaml.ScalarNode(
                    "tag:yaml.org,2002:str", head.strip(), entry.start_mark, entry.end_mark
                ),
                "score": yaml.ScalarNode(
                    "tag:yaml.org,2002:str", tail.strip(), entry.start_mark, entry.end_mark
                ),
            }
        refuse(f"expert {index} is `{entry.value}`, not a name and a score", entry, example)
        return None
    if not isinstance(entry, yaml.MappingNode):
        refuse(f"expert {index} is a list, not one expert", entry, f"write {example}")
        return None
    if len(entry.value) == 1:
        # `- 张三: 4.5`: a name and its score, unless the key is a field's own name (`- 得分: 4`,
        # an entry without a name). Not a near miss: 李明 is as close to 说明 as 得份 to 得分.
        (k, v) = entry.value[0]
        word = k.value if isinstance(k, yaml.ScalarNode) else ""
        if _fold(word) not in _FIELD_OF and isinstance(v, yaml.ScalarNode):
            return {"name": k, "score": v}
    return _mapping(index, entry, refuse)


def _mapping(
    index: int, entry: yaml.MappingNode, refuse: Callable[[str, yaml.Node, str], None]
) -> dict[str, yaml.Node] | None:
    fields: dict[str, yaml.Node] = {}
    for k, v in entry.value:
        word = k.value if isinstance(k, yaml.ScalarNode) else ""
        field = _FIELD_OF.get(_fold(word))
        if field is None:
            close = difflib.get_close_matches(_fold(word), list(_FIELD_OF), n=1, cutoff=0.5)
            hint = f"did you mean `{close[0]}`? " if close else ""
            refuse(
                f"expert {index} has an unknown field `{word}`",
                k,
                f"{hint}an expert's entry has {msg.PANEL_FIELDS}, and optionally `source`, `date`",
            )
            return None
        if field in fields:
            refuse(
                f"expert {index} gives its {field} twice",
                k,
                "keep one of them (`专家` and `name` are the same field)",
            )
            return None
        fields[field] = v
    return fields


def _text(node: yaml.Node | None) -> str:
    """A scalar's text, stripped; "" for none, a null or a list or mapping."""
    if not isinstance(node, yaml.ScalarNode):
        return ""
    if node.tag == "tag:yaml.org,2002:null" and node.style is None:
        return ""
    return str(node.value).strip()
