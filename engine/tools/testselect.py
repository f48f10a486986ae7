"""What `jixiao test` runs: the test files a command line names, and the cases `-k` selects.

`collect` pairs packs with their test files: a pack (`x.jx`) with `x.test.yaml` beside it, or
with the test file named right after it (`jixiao test x.jx cases.yaml`); a test file alone
(`x.test.yaml`) with the pack beside it; a folder with every `*.test.yaml` under it. Patterns
(`rules/*.jx`) are expanded here too, for shells that do not expand them (Windows').

`selector` reads a `-k` expression as pytest does: words matched as substrings (ignoring case)
of a case's name or its test file's name, combined with `and`, `or`, `not` and parentheses
(full-width `（）` too); a word with spaces is quoted (`"case 1"`). It is parsed by a small
recursive descent — never evaluated as Python.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from jixiao.dsl.diagnostics import Diagnostic

from ..common import messages as msg

SUITE_SUFFIX = ".test.yaml"

#: A case as `-k` sees it: its name, and the name of its test file.
Matcher = Callable[[str, str], bool]


# ----- paths ------------------------------------------------------------------------------------


def is_pattern(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def files_under(folder: str, suffix: str) -> list[str]:
    """The files under `folder` whose names end in `suffix`, sorted; hidden folders
    (`.git`, `.venv`) are not searched."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, n) for n in names if n.lower().endswith(suffix)]
    return sorted(found)


def expand(
    paths: Sequence[str], suffix: str, what: str, accept: tuple[str, ...] = ()
) -> tuple[list[str], list[Diagnostic]]:
    """Each path as given; a folder replaced by the files under it ending in `suffix`; a
    pattern that names no existing file by the files it matches (sorted) that end in `suffix`
    or one of `accept` (`rules/*` checks the packs in rules/, not its test files). A folder or
    pattern that gives nothing is E740. Each file once, in the order first named."""
    import glob

    out: list[str] = []
    diags: list[Diagnostic] = []
    for path in paths:
        if path != "-" and os.path.isdir(path):
            found = files_under(path, suffix)
            if not found:
                diags.append(msg.nothing_matches(path, f"the folder holds no {what}"))
        elif path != "-" and not os.path.lexists(path) and is_pattern(path):
            ends = tuple(e.lower() for e in (suffix, *accept))
            matched = glob.glob(path, recursive=True)
            found = sorted(f for f in matched if os.path.isfile(f) and f.lower().endswith(ends))
            if not found:
                why = f"it matches no {what}" if matched else "no file matches it"
                diags.append(msg.nothing_matches(path, why))
        else:
            found = [path]
        out += [f for f in found if f not in out]
    return out, diags


def pack_of(suite: str) -> str:
    """`rules/x.test.yaml` → `rules/x.jx`."""
    if suite.lower().endswith(SUITE_SUFFIX):
        return suite[: -len(SUITE_SUFFIX)] + ".jx"
    return os.path.splitext(suite)[0] + ".jx"


def suite_of(pack: str) -> str:
    """`rules/x.jx` → `rules/x.test.yaml`."""
    base = pack[:-3] if pack.lower().endswith(".jx") else pack
    return base + SUITE_SUFFIX


def collect(paths: Sequence[str]) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    """(pack, test file) pairs for the paths of `jixiao test`, each pair once, with E740–E742
    for what names nothing. A test file pairs with the pack before it only when both are
    named as such (`test PACK TESTS`), never when a folder or pattern produced it."""
    pairs: list[tuple[str, str]] = []
    diags: list[Diagnostic] = []

    def add(pack: str, suite: str) -> None:
        if (pack, suite) not in pairs:
            pairs.append((pack, suite))

    i = 0
    while i < len(paths):
        path = paths[i]
        following = paths[i + 1] if i + 1 < len(paths) else None
        if (
            path.lower().endswith(".jx")
            and following is not None
            and following.lower().endswith((".yaml", ".yml"))
            and not os.path.isdir(following)
            and not (is_pattern(following) and not os.path.lexists(following))
        ):
            if os.path.exists(following):
                add(path, following)
            else:
                diags.append(msg.test_file_missing(following, path, given=True))
            i += 2
            continue
        expanded, missing = expand(
            [path], SUITE_SUFFIX, "test files (*.test.yaml)", (".jx", ".yaml", ".yml")
        )
        diags += missing
        for name in expanded:
            if name.lower().endswith(".jx"):
                suite = suite_of(name)
                if os.path.exists(suite):
                    add(name, suite)
                else:
                    diags.append(msg.test_file_missing(suite, name, given=False))
            elif not os.path.exists(name):
                diags.append(msg.test_file_missing(name, None, given=True))
            elif os.path.exists(pack_of(name)):
                add(pack_of(name), name)
            else:
                diags.append(msg.test_file_without_pack(name, pack_of(name)))
        i += 1
    return pairs, diags


# ----- -k ---------------------------------------------------------------------------------------


class SelectionError(ValueError):
    """A `-k` expression that cannot be read; the message says where and what was expected."""


_KEYWORDS = ("and", "or", "not")
#: How deep `not` and parentheses may nest in a `-k` expression.
MAX_DEPTH = 50
_OPEN, _CLOSE = ("(", "（"), (")", "）")


def _tokens(expr: str) -> list[tuple[str, str]]:
    """(kind, text): kind is `(`, `)`, a keyword, or `word`."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch.isspace():
            i += 1
        elif ch in _OPEN or ch in _CLOSE:
            out.append(("(" if ch in _OPEN else ")", ch))
            i += 1
        elif ch in "\"'“‘":
            close = {'"': '"', "'": "'", "“": "”", "‘": "’"}[ch]
            end = expr.find(close, i + 1)
            if end < 0:
                raise SelectionError(f"the quote opened at character {i + 1} is not closed")
            out.append(("word", expr[i + 1 : end]))
            i = end + 1
        else:
            j = i
            while j < len(expr) and not (
                expr[j].isspace() or expr[j] in _OPEN or expr[j] in _CLOSE
            ):
                j += 1
            word = expr[i:j]
            out.append((word, word) if word in _KEYWORDS else ("word", word))
            i = j
    return out


def selector(expr: str) -> Matcher:
    """The matcher of a `-k` expression; SelectionError if it cannot be read."""
    tokens = _tokens(expr)
    if not tokens:
        raise SelectionError("the expression is empty; give a word of the case names")
    pos = 0
    depth = 0

    def peek() -> str | None:
        return tokens[pos][0] if pos < len(tokens) else None

    def take(kind: str) -> str:
        nonlocal pos
        if peek() != kind:
            got = f"`{tokens[pos][1]}`" if pos < len(tokens) else "the end"
            wanted = "a word, `not` or `(`" if kind == "word" else f"`{kind}`"
            raise SelectionError(f"expected {wanted}, found {got}")
        pos += 1
        return tokens[pos - 1][1]

    def either() -> Matcher:
        parts = [both()]
        while peek() == "or":
            take("or")
            parts.append(both())
        return parts[0] if len(parts) == 1 else lambda n, f: any(p(n, f) for p in parts)

    def both() -> Matcher:
        parts = [negated()]
        while peek() == "and":
            take("and")
            parts.append(negated())
        return parts[0] if len(parts) == 1 else lambda n, f: all(p(n, f) for p in parts)

    def negated() -> Matcher:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:  # a recursive descent: bounded, never a RecursionError
            raise SelectionError(f"nested more than {MAX_DEPTH} deep (`not` and parentheses)")
        try:
            return _negated()
        finally:
            depth -= 1

    def _negated() -> Matcher:
        if peek() == "not":
            take("not")
            inner = negated()
            return lambda n, f: not inner(n, f)
        if peek() == "(":
            take("(")
            inner = either()
            take(")")
            return inner
        word = take("word").casefold()
        return lambda n, f: word in n.casefold() or word in f.casefold()

    matcher = either()
    if pos < len(tokens):
        raise SelectionError(f"expected `and`, `or` or the end, found `{tokens[pos][1]}`")
    return matcher
