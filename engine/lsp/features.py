"""What an editor asks of a pack, answered from an `Analysis` in offsets and plain records: the
server turns them into protocol messages.

Hover says what the checker knows of a name (a fact's type, unit, default and where evidence
gives it; an indicator's code, weight, parent, children's sum and standard) or what a rule form
means; definition and references follow the index; completion offers keywords (read off the
grammar), the pack's names with their kinds, the labels a `levels` over a choice fact takes,
and indicator codes; symbols are the indicator tree with weights; inlay hints show a branch's
children's sum where it differs from its weight; formatting is `jixiao fmt`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.formatter import format_expr
from jixiao.dsl.source import Source, Span

from ..common.lang import say
from . import words
from .analysis import (
    ARGUMENT,
    DERIVED,
    EXTRA,
    FACT,
    FUNCTION,
    INDICATOR,
    PARAM,
    SURVEY,
    Analysis,
    Symbol,
    children_sum,
    expected_sum,
)


def _n(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


# ----- hover ----------------------------------------------------------------------------------


def hover(analysis: Analysis, offset: int) -> tuple[Span, str] | None:
    """Markdown about the name at `offset`, or about the rule form the offset is in."""
    use = analysis.index.at(analysis.source, offset)
    if use is not None:
        symbol = analysis.index.symbol(use)
        if symbol is not None:
            return use.span, describe(analysis, symbol)
        return None
    found = rule_at(analysis, offset)
    if found is None:
        return None
    rule, span = found
    return span, words.meaning(rule)


def describe(analysis: Analysis, symbol: Symbol) -> str:
    """A name's hover text, from the checked program when the pack checks, else the tree."""
    node = symbol.node
    program = analysis.program
    lines: list[str] = []
    where = _where(analysis.source, symbol.span)
    match node:
        case ast.FactDecl():
            kind = node.type.text
            if program is not None and symbol.name in program.facts:
                kind = program.facts[symbol.name].kind.value
            lines.append(f"**fact** `{symbol.name}`: {kind}")
            if node.label is not None:
                lines.append(f"label: {node.label.value}")
            if node.unit is not None:
                lines.append(f"unit: {node.unit.value}")
            if node.choices:
                lines.append("choices: " + ", ".join(f'"{c.value}"' for c in node.choices))
            if node.default is not None:
                lines.append(f"default: `{format_expr(node.default)}`")
            if node.nonzero:
                lines.append("never 0 (`nonzero`)")
            lines.append(
                f'evidence: under `facts:` — `{symbol.name}: {{value: …, source: "…"}}`'
                + (" (optional: the default applies)" if node.default is not None else "")
            )
            lines += _given(analysis, symbol, "facts")
        case ast.SurveyFact():
            lines.append(f"**fact** `{symbol.name}`: count, from a questionnaire")
            lines.append(f"aggregate: `{node.aggregate}`")
            lines.append(
                "evidence: counted from the survey's responses (`surveys:`), or given under "
                f"`facts:` as `{symbol.name}`"
            )
        case ast.ParamDecl() if symbol.kind == PARAM:
            lines.append(f"**parameter** `{symbol.name}`: {node.type.text}")
            if node.default is not None:
                lines.append(f"default: `{format_expr(node.default)}`")
            lines.append(
                f"evidence: may be overridden under `params:` — `{symbol.name}: …`; an indicator "
                f"may set its own with `param {symbol.name} = …`"
            )
            lines += _given(analysis, symbol, "params")
        case ast.ParamDecl():
            lines.append(f"**function parameter** `{symbol.name}` of `{symbol.scope}`")
            lines.append(f"type: {node.type.text}")
        case ast.LetDecl():
            kind = node.type.text if node.type is not None else "inferred"
            if program is not None and symbol.name in program.derived:
                kind = program.derived[symbol.name].kind.value
            lines.append(f"**derived fact** `{symbol.name}`: {kind}")
            lines.append(f"`{symbol.name} = {format_expr(node.expr)}`")
            lines.append("evidence: never given; computed from the facts it reads")
        case ast.Function():
            params = ", ".join(f"{p.name.text}: {p.type.text}" for p in node.params)
            lines.append(f"**function** `{symbol.name}({params})`")
            lines.append(f"{len(node.rules)} rule(s); a call copies them into the indicator")
        case ast.Indicator():
            lines.append(f"**indicator** `{node.code.text}` {node.name.value}")
            lines.append(f"weight: {_n(node.weight.value)}")
            if node.scale is not None:
                lines.append(f"children on a scale of {_n(node.scale.value)}")
            parent = analysis.index.parents.get(node.code.text)
            lines.append(f"parent: `{parent}`" if parent else "parent: none (top level)")
            if node.children:
                total = children_sum(node)
                mark = "" if total == expected_sum(node) else " — does not add up"
                lines.append(f"children: {len(node.children)}, adding up to {_n(total)}{mark}")
            standard = _standard(analysis, node)
            if standard:
                lines.append("standard:\n\n> " + standard.replace("\n", "\n> "))
        case ast.Extra():
            lines.append(f"**{node.kind}** `{node.code.text}` {node.name.value}")
            lines.append(f"at most {_n(node.max.value)} points, outside the weighted tree")
        case ast.Survey():
            lines.append(f"**survey** `{symbol.name}`: {len(node.facts)} fact(s) counted")
        case _:
            lines.append(f"**{symbol.kind}** `{symbol.name}`")
    lines.append(f"declared at {where}")
    # each line one message, in the messages' language; a standard's quoted text (its own
    # lines) as written, after its heading
    quote = "standard:\n\n> "
    heading = say(quote + "x")[:-1]
    return "\n\n".join(
        heading + line[len(quote) :] if line.startswith(quote) else say(line) for line in lines
    )


def _given(analysis: Analysis, symbol: Symbol, section: str) -> list[str]:
    """Where the pack's own evidence file gives the fact, when there is one: its line."""
    found = evidence_line(symbol.span.source.path, symbol.name, section)
    if found is None:
        return []
    import os

    path, number, text = found
    shown = os.path.relpath(path, os.path.dirname(os.path.abspath(analysis.source.path)))
    if len(text) > 160:
        text = text[:160] + "…"
    return [f"given in `{shown}:{number}`: `{text}`"]


def _where(source: Source, span: Span) -> str:
    line, col = span.source.line_col(span.start)
    name = say("this file") if span.source is source else span.source.path
    return f"{name}:{line}:{col}"


def _standard(analysis: Analysis, node: ast.Indicator) -> str:
    """The comment lines right above an indicator (its 评分标准), as the checker reads them."""
    from ..check.checker import _doc_comment

    return _doc_comment(node.span.source, node.span.start)


def rule_at(analysis: Analysis, offset: int) -> tuple[ast.Clause, Span] | None:
    """The innermost rule holding `offset` in the document, with the span of its first word."""
    pack = analysis.joined
    if pack is None:
        return None
    from ..forms import all_rules

    best: ast.Clause | None = None
    stack: list[ast.Indicator | ast.Extra | ast.Function] = [
        *pack.indicators,
        *pack.extras,
        *pack.functions,
    ]
    while stack:
        holder = stack.pop()
        if isinstance(holder, ast.Indicator):
            stack.extend(holder.children)
        for rule in all_rules(holder.rules):
            span = rule.span
            if span.source is analysis.source and span.start <= offset < span.end:
                if best is None or span.end - span.start < best.span.end - best.span.start:
                    best = rule
    if best is None:
        return None
    text = best.span.text
    word = re.match(r"\w+", text)
    end = best.span.start + (word.end() if word else len(text))
    return best, Span(best.span.source, best.span.start, end)


# ----- definition and references --------------------------------------------------------------


def definition(analysis: Analysis, offset: int) -> list[Span]:
    use = analysis.index.at(analysis.source, offset)
    if use is None:
        return []
    symbol = analysis.index.symbol(use)
    return [symbol.span] if symbol is not None else []


def import_at(analysis: Analysis, offset: int) -> str | None:
    """The file an `import "…"` under the cursor names, resolved as the resolver would."""
    for span, written in analysis.index.imports:
        if span.source is analysis.source and span.start <= offset <= span.end:
            import os

            folder = os.path.dirname(os.path.abspath(analysis.source.path))
            return os.path.normpath(os.path.join(folder, written))
    return None


def references(analysis: Analysis, offset: int, declaration: bool) -> list[Span]:
    use = analysis.index.at(analysis.source, offset)
    if use is None or analysis.index.symbol(use) is None:
        return []
    symbol = analysis.index.symbols[use.key]
    return [
        u.span
        for u in analysis.index.uses_of(use.key)
        if declaration or not (u.span.source is symbol.span.source and u.span == symbol.span)
    ]


# ----- completion -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # keyword | fact | derived fact | parameter | function | indicator | label | …
    detail: str = ""
    insert: str | None = None


def keywords() -> tuple[str, ...]:
    """Every word the grammar spells out, read off the grammar itself."""
    from importlib import resources

    grammar = resources.files("jixiao.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return tuple(sorted(set(re.findall(r'"([a-z_]+)"', grammar))))


_LEVELS = re.compile(r"levels\s+([^\s{]+)[^{}]*\{[^{}]*$")


def completion(analysis: Analysis, text: str, offset: int) -> list[Item]:
    """What may be written at `offset`: inside a `levels` over a choice fact, its labels;
    anywhere else the keywords, the pack's names and the indicator codes."""
    levels = _LEVELS.search(text[max(0, offset - 2000) : offset])
    if levels is not None:
        labels = level_labels(analysis, levels.group(1))
        if labels:
            subject = levels.group(1)
            opened = text[:offset].endswith('"')
            return [
                Item(f'"{label}"', "label", f"a value of `{subject}`", _quoted(label, opened))
                for label in labels
            ]
    items = [Item(word, "keyword", say("keyword")) for word in keywords()]
    for (scope, name), symbol in sorted(analysis.index.symbols.items()):
        if scope:
            continue  # a function's parameters are its own
        detail = symbol.kind
        if isinstance(symbol.node, ast.Indicator):
            detail = f"indicator {symbol.node.name.value}, weight {_n(symbol.node.weight.value)}"
        elif isinstance(symbol.node, ast.FactDecl):
            detail = f"fact: {symbol.node.type.text}"
        items.append(Item(name, symbol.kind, say(detail)))
    from ..check.checker import FUNCTIONS

    builtin = say("built-in function")
    items.extend(Item(name, "built-in function", builtin) for name in sorted(FUNCTIONS))
    return items


def _quoted(label: str, opened: bool) -> str:
    return f'{label}"' if opened else f'"{label}"'


def level_labels(analysis: Analysis, subject: str) -> list[str]:
    """The values a `levels` over `subject` may list: a choice fact's choices, then the labels
    other rules of the pack already give it (the forms' `labels` hook)."""
    symbol = analysis.index.symbols.get(("", subject))
    labels: list[str] = []
    if symbol is not None and isinstance(symbol.node, ast.FactDecl):
        labels += [c.value for c in symbol.node.choices]
    pack = analysis.joined
    if pack is not None:
        from ..forms import BY_NODE, all_rules

        stack: list[ast.Indicator] = list(pack.indicators)
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            for rule in all_rules(node.rules):
                form = BY_NODE.get(type(rule))
                if form is None:
                    continue
                for fact, column, given in form.labels(rule):
                    if fact == subject and column is None:
                        labels += given
    return list(dict.fromkeys(labels))


# ----- symbols and inlay hints ----------------------------------------------------------------


@dataclass
class Outline:
    name: str
    detail: str
    kind: str  # indicator | fact | derived fact | parameter | function | …
    span: Span
    selection: Span
    children: list[Outline] = field(default_factory=list)


def outline(analysis: Analysis) -> list[Outline]:
    """The pack as an outline: its facts, derived facts and functions each gathered under one
    entry, then the indicator tree with weights (Table 5 of a report), then bonus and penalty
    sections. Only what this document declares: an imported template has its own outline."""
    pack = analysis.pack
    if pack is None:
        return []
    facts: list[Outline] = []
    for fact in pack.facts:
        facts.append(Outline(fact.name.text, fact.type.text, FACT, fact.span, fact.name.span))
    for survey in pack.surveys:
        counted = [
            Outline(f.name.text, f.aggregate, FACT, f.span, f.name.span) for f in survey.facts
        ]
        facts.append(
            Outline(survey.name.text, "survey", SURVEY, survey.span, survey.name.span, counted)
        )
    for param in pack.params:
        facts.append(Outline(param.name.text, param.type.text, PARAM, param.span, param.name.span))
    derived = [
        Outline(let.name.text, let.type.text if let.type else "", DERIVED, let.span, let.name.span)
        for let in pack.lets
    ]
    functions = [
        Outline(f.name.text, "function", FUNCTION, f.span, f.name.span) for f in pack.functions
    ]
    out = [
        group
        for group in (
            _group(say("facts"), facts),
            _group(say("derived facts"), derived),
            _group(say("functions"), functions),
        )
        if group is not None
    ]
    out.extend(_tree(node) for node in pack.indicators)
    for extra in pack.extras:
        detail = say(f"{extra.kind}, at most {_n(extra.max.value)}")
        out.append(
            Outline(
                f"{extra.code.text} {extra.name.value}", detail, EXTRA, extra.span, extra.code.span
            )
        )
    return out


def _group(name: str, members: list[Outline]) -> Outline | None:
    """One entry holding `members`, spanning from the first to the last of them."""
    if not members:
        return None
    first = min(members, key=lambda m: m.span.start)
    start, end = first.span.start, max(m.span.end for m in members)
    whole = Span(first.span.source, start, end)
    return Outline(name, str(len(members)), "group", whole, first.selection, members)


def _tree(node: ast.Indicator) -> Outline:
    detail = _n(node.weight.value)
    if node.children and children_sum(node) != expected_sum(node):
        detail = say(f"{detail} (children add up to {_n(children_sum(node))})")
    return Outline(
        f"{node.code.text} {node.name.value}",
        detail,
        INDICATOR,
        node.span,
        node.code.span,
        [_tree(c) for c in node.children],
    )


def inlay_hints(analysis: Analysis, start: int, end: int) -> list[tuple[int, str]]:
    """After each branch's weight (or scale) between `start` and `end`: the sum of its
    children, where it differs."""
    pack = analysis.pack
    if pack is None:
        return []
    hints: list[tuple[int, str]] = []
    stack = list(pack.indicators)
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if not node.children:
            continue
        total = children_sum(node)
        if total == expected_sum(node):
            continue
        at = (node.scale or node.weight).span.end
        if start <= at <= end:
            hints.append((at, f"Σ {_n(total)}"))
    return sorted(hints)


__all__ = [
    "ARGUMENT",
    "DERIVED",
    "FACT",
    "FUNCTION",
    "INDICATOR",
    "PARAM",
    "Item",
    "Outline",
    "completion",
    "definition",
    "hover",
    "import_at",
    "inlay_hints",
    "outline",
    "references",
]


# ----- where the evidence gives a fact --------------------------------------------------------

#: Evidence files read for hover, at most this many bytes each.
EVIDENCE_BYTES = 2_000_000


def evidence_files(pack_path: str) -> list[str]:
    """The evidence files named after the pack: beside it, or in an `evidence/` folder beside
    its folder (rules/x.jx and evidence/x.yaml, as in this repository)."""
    import os

    folder, file = os.path.split(os.path.abspath(pack_path))
    stem = os.path.splitext(file)[0]
    places = (folder, os.path.join(os.path.dirname(folder), "evidence"))
    names = [os.path.join(p, stem + ext) for p in places for ext in (".yaml", ".yml")]
    return [n for n in names if os.path.isfile(n)]


def evidence_line(pack_path: str, name: str, section: str) -> tuple[str, int, str] | None:
    """Where an evidence file of the pack gives `name` under `section:` (`facts`, `params`):
    (file, line, the line's text), found by reading the lines, not by loading the file."""
    for path in evidence_files(pack_path):
        try:
            with open(path, "rb") as f:
                text = f.read(EVIDENCE_BYTES).decode("utf-8-sig", errors="replace")
        except OSError:
            continue
        current, indent = None, -1
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if line[:1] not in (" ", "\t"):
                current, indent = line.split(":", 1)[0].strip(), -1
                continue
            if current != section:
                continue
            depth = len(line) - len(line.lstrip())
            indent = depth if indent < 0 else indent
            if depth == indent and stripped.startswith((f"{name}:", f'"{name}":')):
                return path, number, stripped
    return None
