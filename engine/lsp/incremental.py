"""Parsing a document again after an edit, item by item: only the top-level items whose text
changed go through the parser; the others come from a cache, their spans moved to where the
items now stand.

A pack is a sequence of top-level items (`fact`, `indicator`, … at the start of a line outside
any braces: the same split the parser makes to report every syntax error), and each item alone
is a pack the parser accepts. So the document's syntax tree is the items' trees put together,
in order — what `parse` gives for the whole text, spans included (tests/test_lsp.py compares
the two on every pack of rules/). An item that does not parse, or anything unusual, falls back
to parsing the whole text, so diagnostics are always `parse`'s own.
"""

from __future__ import annotations

import functools
import itertools
import re

from jixiao.dsl import ast, record
from jixiao.dsl.diagnostics import JixiaoError
from jixiao.dsl.source import Source, Span

#: Items kept per document (an edit changes one; a paste may change many).
LIMIT = 20_000

_FIELDS = (
    "headers",
    "facts",
    "params",
    "lets",
    "functions",
    "indicators",
    "extras",
    "vetoes",
    "surveys",
    "imports",
)


class Parses:
    """The parsed items of one document's recent texts, by item text."""

    def __init__(self) -> None:
        self.items: dict[str, ast.Pack] = {}

    def parse(self, source: Source) -> ast.Pack:
        """`parse(source)`, reusing the items whose text an earlier parse has seen."""
        from jixiao.dsl.parser import parse

        try:
            pieces = []
            fresh: dict[str, ast.Pack] = {}
            for a, b in items(source.text):
                text = source.text[a:b]
                piece = self.items.get(text) or fresh.get(text)
                if piece is None:
                    piece = parse(Source(source.path, text))
                fresh[text] = piece
                pieces.append(moved(piece, source, a))
        except JixiaoError:
            return parse(source)  # the whole text's own diagnostics (raises)
        self.items = fresh if len(fresh) <= LIMIT else {}
        fields = {name: tuple(x for p in pieces for x in getattr(p, name)) for name in _FIELDS}
        pack = ast.Pack(span=Span(source, 0, len(source.text)), **fields)
        # each item's comments are those in its text, and the items cover the whole text
        return record.replace(pack, comments=tuple(c for p in pieces for c in p.comments))


def items(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each top-level item: where the parser splits a pack to report every
    syntax error (a keyword at the start of a line, outside braces, strings and comments)."""
    starts = [0]
    depth = 0
    for token in _tokens().finditer(text):
        kind = token.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "item" and depth == 0:
            starts.append(token.start())
    bounds = [*sorted(set(starts)), len(text)]
    return list(itertools.pairwise(bounds))


@functools.cache
def _tokens() -> re.Pattern[str]:
    """Strings and comments (skipped whole, as the parser's `_scan` does), braces, and the
    keywords that start a top-level item."""
    from jixiao.dsl.parser import _TOP

    keywords = "|".join((*_TOP, "import"))
    return re.compile(
        r'"(?:\\[\s\S]|[^"\\\n])*"?|“[^”\n]*”?|#[^\n]*|//[^\n]*'
        rf"|(?P<open>\{{)|(?P<close>\}})|^(?P<item>(?:{keywords}))(?!\w)",
        re.M,
    )


def moved(node: ast.Pack, source: Source, delta: int) -> ast.Pack:
    """A copy of an item's tree with every span in `source`, `delta` characters on."""
    Record = record.Record

    def move(x: object) -> object:
        if isinstance(x, Span):
            return Span(source, x.start + delta, x.end + delta)
        if isinstance(x, tuple):
            return tuple([move(y) for y in x]) if x else x
        if isinstance(x, Record):
            return type(x)(*[move(getattr(x, name)) for name in x._fields])
        return x  # text, numbers, dates, words of the language

    result = move(node)
    assert isinstance(result, ast.Pack)
    return result
