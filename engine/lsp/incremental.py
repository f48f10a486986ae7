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

import itertools

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
        from jixiao.dsl.parser import comments_in, parse

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
        return record.replace(pack, comments=comments_in(source))


def items(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each top-level item: the parser's own split."""
    from jixiao.dsl.parser import _TOP, _scan

    starts = [0]
    depth = 0
    for kind, i, _ in _scan(text):
        if kind != "char":
            continue
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and (i == 0 or text[i - 1] == "\n"):
            for k in _TOP:
                if text.startswith(k, i) and not text[i + len(k) : i + len(k) + 1].isidentifier():
                    starts.append(i)
                    break
            else:
                if text.startswith("import", i):
                    starts.append(i)
    bounds = [*sorted(set(starts)), len(text)]
    return list(itertools.pairwise(bounds))


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
