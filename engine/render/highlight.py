"""Rule text highlighted with the TextMate grammar — the one the VS Code extension uses.

The grammar's single copy is package data beside this module (`jixiao.tmLanguage.json`); the
extension copies it (`npm run grammar`) and the workbench reads it from `jixiao serve`
(`/grammar/jixiao.tmLanguage.json`). This module runs the grammar itself rather than a table
generated from it: nothing generated is committed, and the grammar's patterns are plain enough
for Python's `re` once the one Oniguruma construct they use, the letter class `\\p{L}`, is
translated (`TRANSLATIONS`; a pattern with any other Oniguruma-only construct is refused when
the grammar is loaded, so a grammar edit cannot silently stop highlighting). The matching
follows TextMate's: line by line, the pattern matching earliest wins (the first listed on a
tie), a `begin`/`end` region's `end` before its inner patterns; a line longer than `MAX_LINE`
is left plain, as VS Code leaves one.

Each token gets a span whose class is `j-` and the first part of its scope (`keyword.other.rule`
→ `j-keyword`); variables and punctuation stay plain text. The output is HTML-escaped and the
same for the same text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

GRAMMAR_FILE = "jixiao.tmLanguage.json"

#: The scopes (first part) a report colours; `HIGHLIGHT_CSS` gives each its colour.
STYLED = ("comment", "string", "constant", "keyword", "storage", "entity", "support")

#: Oniguruma spellings → Python `re` spellings with the same meaning on `str`.
TRANSLATIONS = ((r"[\p{L}_]", r"[^\W\d]"),)
#: Oniguruma constructs Python's `re` lacks or reads differently.
UNSUPPORTED = (r"\p{", r"\P{", r"\h", r"\H", r"\G", r"\z", r"\Z", r"\K", "(?>", "(?~", r"\R")

#: Longer lines are left plain, as VS Code leaves lines past `editor.maxTokenizationLineLength`:
#: a pattern such as a call's `NAME(` looks ahead over a whole name at each place it is tried,
#: so one very long name costs time in the square of its length.
MAX_LINE = 2_000
#: A longer rule text is left plain altogether (a rule is a few lines; a report stays quick).
MAX_TEXT = 20_000

HIGHLIGHT_CSS = (
    ".j-keyword,.j-storage{color:#8b2fa0}.j-support{color:#0b6b74}.j-constant{color:#a3470d}"
    ".j-string{color:#1b6e3a}.j-entity{color:#2b5797}.j-comment{color:#6b7280;font-style:italic}"
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One grammar pattern, includes resolved: a `match`, or a `begin`/`end` region."""

    regex: re.Pattern[str]
    name: str | None
    captures: tuple[tuple[int, str], ...]
    end: re.Pattern[str] | None = None
    end_captures: tuple[tuple[int, str], ...] = ()
    inner: tuple[Rule, ...] = ()


def grammar_text() -> str:
    """The grammar file's text (package data)."""
    return resources.files("jixiao.engine.render").joinpath(GRAMMAR_FILE).read_text("utf-8")


def translate(pattern: str) -> str:
    """An Oniguruma pattern of the grammar as a Python pattern; ValueError if it cannot be."""
    for onig, python in TRANSLATIONS:
        pattern = pattern.replace(onig, python)
    for construct in UNSUPPORTED:
        if construct in pattern:
            raise ValueError(f"the grammar pattern {pattern!r} uses {construct!r}")
    return pattern


def _captures(spec: object) -> tuple[tuple[int, str], ...]:
    if not isinstance(spec, dict):
        return ()
    return tuple(sorted((int(k), str(v["name"])) for k, v in spec.items() if isinstance(v, dict)))


def _rules(patterns: list[dict[str, object]], repository: dict[str, object]) -> Iterator[Rule]:
    for p in patterns:
        include = p.get("include")
        if isinstance(include, str):
            section = repository[include.removeprefix("#")]
            assert isinstance(section, dict)
            yield from _rules(section["patterns"], repository)
        elif "match" in p:
            yield Rule(
                re.compile(translate(str(p["match"]))),
                None if p.get("name") is None else str(p["name"]),
                _captures(p.get("captures")),
            )
        else:
            inner = p.get("patterns", [])
            assert isinstance(inner, list)
            yield Rule(
                re.compile(translate(str(p["begin"]))),
                None if p.get("name") is None else str(p["name"]),
                _captures(p.get("beginCaptures") or p.get("captures")),
                re.compile(translate(str(p["end"]))),
                _captures(p.get("endCaptures") or p.get("captures")),
                tuple(_rules(inner, repository)),
            )


@cache
def grammar() -> tuple[Rule, ...]:
    """The grammar's top-level patterns, compiled once."""
    data = json.loads(grammar_text())
    return tuple(_rules(data["patterns"], data["repository"]))


def _open(scope: str | None) -> str:
    head = (scope or "").split(".", 1)[0]
    return f'<span class="j-{head}">' if head in STYLED else ""


def _close(scope: str | None) -> str:
    return "</span>" if (scope or "").split(".", 1)[0] in STYLED else ""


def _wrap(scope: str | None, html: str) -> str:
    return _open(scope) + html + _close(scope) if html else html


def _captured(m: re.Match[str], name: str | None, captures: tuple[tuple[int, str], ...]) -> str:
    """A match as HTML: its captured groups in their scopes, the rest in the match's own."""
    if not captures:
        return _wrap(name, escape(m.group(0)))
    whole = dict(captures).get(0)
    out, at = [], m.start()
    for group, scope in captures:
        if group == 0 or m.start(group) < at:  # a whole-match scope, an absent or nested group
            continue
        out.append(escape(m.string[at : m.start(group)]))
        out.append(_wrap(scope, escape(m.group(group))))
        at = m.end(group)
    out.append(escape(m.string[at : m.end()]))
    return _wrap(whole or name, "".join(out))


def _search(
    pattern: re.Pattern[str], line: str, pos: int, seen: dict[int, re.Match[str] | None]
) -> re.Match[str] | None:
    """`pattern.search(line, pos)`, reusing the pattern's last answer on this line while it
    still holds (no match at all, or a match at or after `pos`: searching from further on finds
    the same), as vscode-textmate does: a line is then scanned in linear time, not quadratic."""
    key = id(pattern)
    if key in seen:
        m = seen[key]
        if m is None or m.start() >= pos:
            return m
    m = seen[key] = pattern.search(line, pos)
    return m


def _line(line: str, stack: list[Rule]) -> str:
    out: list[str] = []
    pos = 0
    seen: dict[int, re.Match[str] | None] = {}
    while pos < len(line):
        region = stack[-1] if stack else None
        best: tuple[int, re.Match[str], Rule | None] | None = None
        if region is not None and region.end is not None:
            m = _search(region.end, line, pos, seen)
            if m:
                best = (m.start(), m, None)
        for candidate in region.inner if region else grammar():
            m = _search(candidate.regex, line, pos, seen)
            if m and (best is None or m.start() < best[0]) and m.end() > m.start():
                best = (m.start(), m, candidate)
        if best is None:
            out.append(escape(line[pos:]))
            break
        start, m, rule = best
        out.append(escape(line[pos:start]))
        if rule is None:  # the region ends
            assert region is not None
            out.append(_captured(m, None, region.end_captures) + _close(region.name))
            stack.pop()
        elif rule.end is not None:  # a region begins
            out.append(_open(rule.name) + _captured(m, None, rule.captures))
            stack.append(rule)
        else:
            out.append(_captured(m, rule.name, rule.captures))
        pos = m.end()  # progress: a match is never empty, save an `end` that closes a region
    while stack and stack[-1].end is not None and stack[-1].end.match(line, len(line)):
        out.append(_close(stack.pop().name))  # an `end` such as `$` at the end of the line
    return "".join(out)


def highlight(text: str) -> str:
    """Rule text as escaped HTML with a span per highlighted token (plain past `MAX_TEXT`
    characters, and a line past `MAX_LINE`)."""
    if len(text) > MAX_TEXT:
        return escape(text)
    stack: list[Rule] = []
    lines = [
        _line(line, stack) if len(line) <= MAX_LINE else escape(line) for line in text.split("\n")
    ]
    return "\n".join(lines) + "".join(_close(r.name) for r in reversed(stack))
