"""Messages in Chinese: the gettext catalogue and the lookup of a message written in English.

The catalogue is `locale/zh/LC_MESSAGES/jixiao.po` beside this file (committed, installed as
package data), read directly; a `jixiao.mo` beside it (`python -m jixiao.engine.tools.i18n
compile`, never committed) is read instead when it is not older. Its msgids are the English
texts as the code writes them: a plain string is its own msgid, and an f-string's msgid is
its template with a named field for each `{…}` (`unknown fact `{name}``), as
`python -m jixiao.engine.tools.i18n update` extracts them. A message is built in English (that
is the data: JSON and the goldens keep it) and translated where it is shown: an exact msgid is
a gettext lookup; otherwise the template whose literal text matches it gives the Chinese, each
field translated in turn (a field may
hold another message, such as "did you mean `x`?").

Imported only when the language is Chinese (`lang.say`), so an English run never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from jixiao.dsl.diagnostics import Diagnostic, Label

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

CATALOGUE = Path(__file__).resolve().parent / "locale" / "zh" / "LC_MESSAGES"
_FIELD = re.compile(r"\{([^{}]*)\}")
_LIST = re.compile(r"(; |, | or | and |: | → | reads )")
_SEPARATORS = {"; ": "；", ", ": "、", ": ": "：", " reads ": " 读取 "}
_WORD_SEPARATORS = {" or ": "或", " and ": "和"}  # spaced only beside code (`_joined`)
_LETTERS = re.compile(r"[A-Za-z]")
_CODED = re.compile(r"(\[[A-Z]\d{1,3}\] )(.+)\Z", re.S)
_ASIDE = re.compile(r"(.+) \(([^()]*)\)\Z", re.S)


def load_catalogue(folder: Path = CATALOGUE) -> dict[str, str]:
    """msgid → Chinese: from `jixiao.mo` if it is there and not older than the `.po`, else from
    the `.po` (an editable install or a checkout needs no build step)."""
    po, mo = folder / "jixiao.po", folder / "jixiao.mo"
    try:
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            import gettext

            with mo.open("rb") as stream:
                catalog = dict(gettext.GNUTranslations(stream)._catalog)  # type: ignore[attr-defined]
            catalog.pop("", None)
            return {str(k): str(v) for k, v in catalog.items()}
        from .catalogue import read_translations

        return read_translations(po.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a broken install: English rather than a crash
        return {}


class Template:
    """An msgid with fields, as a pattern that recognises the English text it makes."""

    __slots__ = ("anchor", "fields", "msgid", "msgstr", "names", "source", "weight")

    def __init__(self, msgid: str, msgstr: str) -> None:
        self.msgid, self.msgstr = msgid, msgstr
        pieces: list[str] = []
        self.fields: list[str] = []
        self.names: set[str] = set()  # fields in backticks: a user's name, never translated
        literals: list[str] = []
        seen: dict[str, str] = {}
        position = 0
        for match in _FIELD.finditer(msgid):
            literal = _unescape(msgid[position : match.start()])
            literals.append(literal)
            pieces.append(re.escape(literal))
            name = match.group(1)
            after = _unescape(msgid[match.end() :])
            if name in seen:
                pieces.append(f"(?P={seen[name]})")
            else:
                group = f"g{len(seen)}"
                seen[name] = group
                self.fields.append(name)
                if literal.endswith("`") and after.startswith("`"):
                    self.names.add(name)
                pieces.append(f"(?P<{group}>{_capture(literal, after)})")
            position = match.end()
        tail = _unescape(msgid[position:])
        literals.append(tail)
        pieces.append(re.escape(tail))
        self.source = "".join(pieces) + r"\Z"
        self.anchor = max(literals, key=len)
        self.weight = sum(len(lit) for lit in literals)

    def match(self, text: str) -> re.Match[str] | None:
        """The fields of `text` if this template made it (compiled on first use: a run
        translates a few messages of a thousand)."""
        found = re.match(self.source, text, re.S)
        if found is not None and any(group.count("`") % 2 for group in found.groups()):
            # each field as long as it can be: `{hint}`{name}`` splits a hint with backticks
            found = re.match(self.source.replace("*?)", "*)"), text, re.S) or found
        return found


def _capture(before: str, after: str) -> str:
    """What a field may hold: a name in backticks holds no backtick; a field right after a
    letter is a plural's ending (`error{s}`) or an aside in parentheses; anything else, as
    little as will do — and no field spans lines (a msgid's own newlines are literal)."""
    if before.endswith("`") and after.startswith("`"):
        return "[^`\n]*?"
    if after.startswith(" `"):  # a word before a name (`{noun} `{name}``): no name inside it
        return "[^`\n]*?"
    if before[-1:].isascii() and before[-1:].isalpha():
        return r"[a-z]{0,3}|\ \([^\n]*?\)"  # or an aside: `to take{why}`, ` (2 left out)`
    # a bracketed part whole: `outside {interval}, {band}` splits `[0, 10], the band …` after `]`
    return r"(?:\[[^\]\n]*\]|\([^)\n]*\)|[^\n])*?"


def _unescape(text: str) -> str:
    return text.replace("{{", "{").replace("}}", "}")


class Translator:
    """The Chinese of English messages, by exact msgid or by template."""

    def __init__(self, catalog: dict[str, str]) -> None:
        self.exact: dict[str, str] = {}
        templates: list[Template] = []
        for msgid, msgstr in catalog.items():
            if msgstr == msgid:  # the same in Chinese: nothing to do, nothing to match
                continue
            if _FIELD.search(msgid.replace("{{", "").replace("}}", "")):
                template = Template(msgid, msgstr)
                if template.anchor.strip():
                    templates.append(template)
            else:
                self.exact[_unescape(msgid)] = _unescape(msgstr)
        # the most literal text first: the most specific template wins; on a tie the one with
        # more fields (`{record} of `{name}` {what}` reads a sentence `record {index}` would
        # swallow whole)
        self.templates = sorted(templates, key=lambda t: (-t.weight, -len(t.fields), t.msgid))

    def translate(self, text: str, depth: int = 0) -> str:
        if not text or depth > 4:
            return text
        found = self.exact.get(text)
        if found is not None:
            return found
        whole = self._template(text, depth)
        if whole is not None:
            left = len(_LETTERS.findall(whole))
            if left == 0 or "\n" in text:
                return whole
            # a template for a part (`{record} of `{name}` {what}`) may match a message built of
            # parts (`{detail}; {need}`): read it as its parts too, and keep the better reading
            parts = self._listed(text, depth)
            return parts if len(_LETTERS.findall(parts)) < left else whole
        if "\n" in text:
            return "".join(self._line(line, depth) for line in text.splitlines(keepends=True))
        inner = text.strip(" ")
        if inner != text and inner:  # `did you mean `x`? ` before more words
            said = self.translate(inner, depth)
            if said != inner:
                return text[: text.index(inner)] + said
        return self._listed(text, depth)

    def _line(self, line: str, depth: int) -> str:
        """One line of several: its msgid may end with its newline, or not."""
        if "\n" in line[:-1] or not line.endswith("\n"):
            return self.translate(line, depth) if "\n" not in line else line
        found = self.exact.get(line) or self._template(line, depth)
        return found if found is not None else self.translate(line[:-1], depth) + "\n"

    def _listed(self, text: str, depth: int) -> str:
        """A list the code joined (`a, b or c`, `x; y`): its items, each translated, joined
        the Chinese way; the text as it is when no item is known."""
        if depth > 3:
            return text
        candidates = [text]
        aside = _ASIDE.match(text)  # `… (`A`)`: the words before it, and what it adds
        if aside is not None:
            head = self.translate(aside.group(1), depth + 1)
            if head != aside.group(1):
                candidates.append(f"{head}（{self.translate(aside.group(2), depth + 1)}）")
        coded = _CODED.match(text)  # `[S2] message`
        if coded is not None:
            candidates.append(coded.group(1) + self.translate(coded.group(2), depth + 1))
        head, colon, rest = text.partition(": ")  # `where: message`
        if colon and rest:
            said = self.translate(rest, depth + 1)
            if said != rest:
                candidates.append(f"{self.translate(head, depth + 1)}：{said}")
        if "; " in text:  # messages joined (`detail; needed by`): each one whole
            each = [self.translate(part, depth + 1) for part in text.split("; ")]
            candidates.append("；".join(each))
        parts = _split_list(text)
        if len(parts) > 1:
            items = [self.translate(p, depth + 1) if i % 2 == 0 else p for i, p in enumerate(parts)]
            pairs = list(zip(items[::2], parts[::2], strict=True))
            if any(a != b for a, b in pairs):
                candidates.append(_joined(items))
            if all(a != b or _code_only(b) for a, b in pairs):
                # every item translated or code (`;`, `by`): the Chinese separators even when
                # no item changed, and before the English on a tie
                candidates.insert(0, _joined(items))
        # the reading that leaves the fewest English letters
        return min(candidates, key=lambda c: len(_LETTERS.findall(c)))

    def _template(self, text: str, depth: int) -> str | None:
        """The most literal template that matches, unless its reading leaves English a less
        literal one translates: a message built from a field (`{detail}; {need}`) also matches
        templates written for parts of its detail (`{record} of `{name}` {what}`), whose
        fields then split it in the wrong places. The first few matches are read, and the one
        that leaves the fewest English letters wins (the most literal, on a tie)."""
        best: tuple[int, str] | None = None
        tried = 0
        for template in self.templates:
            if template.anchor not in text:
                continue
            match = template.match(text)
            if match is None:
                continue
            spans = [
                match.group(f"g{i}") or ""
                for i, name in enumerate(template.fields)
                if name not in template.names
            ]
            loose = template.msgid.startswith("{") and template.msgid.endswith("}")
            if loose and "; " not in template.msgid and any("; " in g for g in spans):
                continue  # `{a} of `{b}` {c}` across `; `: two messages joined, each its own
            last = match.group(f"g{len(template.fields) - 1}") if template.fields else None
            if (
                template.msgid.endswith("}")
                and template.fields[-1] not in template.names
                and last
                and _by_names(last)
            ):
                continue  # `… not one of {listed}` swallowing the ` (`A`)` added after it
            values = {
                name: match.group(f"g{i}")
                if name in template.names
                else self.translate(match.group(f"g{i}"), depth + 1)
                for i, name in enumerate(template.fields)
            }
            said_anew = {  # fields the catalogue turned into Chinese (not names, not numbers)
                name
                for i, name in enumerate(template.fields)
                if values[name] != match.group(f"g{i}")
            }
            try:
                said = _filled(template.msgstr, values, said_anew)
            except (KeyError, IndexError, ValueError):  # a broken msgstr: the English stands
                continue
            left = len(_LETTERS.findall(said))
            if best is None or left < best[0]:
                best = (left, said)
            tried += 1
            if left == 0 or tried >= _READINGS:
                break
        return best[1] if best is not None else None


def _split_list(text: str) -> list[str]:
    """`_LIST.split(text)`, but not inside backticks or brackets: an interval `[0, 5]` or
    `[90%, 95%)` and a name `a, b` are one item."""
    parts: list[str] = []
    last = depth = i = 0
    quoted = False
    while i < len(text):
        ch = text[i]
        if ch == "`":
            quoted = not quoted
        elif not quoted and ch in "[(（":
            depth += 1
        elif not quoted and ch in "])）":
            depth = max(0, depth - 1)
        elif not quoted and depth == 0:
            found = _LIST.match(text, i)
            if found is not None:
                parts += [text[last:i], found.group(1)]
                i = last = found.end()
                continue
        i += 1
    parts.append(text[last:])
    return parts


def _filled(msgstr: str, values: dict[str, str], anew: set[str]) -> str:
    """`msgstr.format_map(values)`, without the space a translation keeps between a field and
    its words where the field was translated into Chinese (`anew`): `{where} 改变` with
    `veto` reads `否决改变`, with `指标 `A`` still `指标 `A` 改变` (the space is there for code
    and Latin words), and a user's name keeps its space (`指标 战略目标适应性`)."""
    import string

    out: list[str] = []
    after_field = False  # right after a field that was translated
    for literal, name, spec, conversion in string.Formatter().parse(msgstr):
        if literal:
            if after_field and literal[:1] == " " and _ideograph(out[-1][-1:] + literal[1:2]):
                literal = literal[1:]
            out.append(literal)
            after_field = False
        if name is not None:
            if conversion or name not in values:
                return msgstr.format_map(values)  # not a plain field: as `str.format` has it
            value = format(values[name], spec or "")
            tight = name in anew
            before = "".join(out[-2:])[-2:]  # the space, and what stands before it
            if tight and before[-1:] == " " and _ideograph(before[:1] + value[:1]):
                out[-1] = out[-1][:-1]
            out.append(value)
            after_field = tight
    return "".join(out)


def _ideograph(pair: str) -> bool:
    """Are both characters of `pair` Chinese, ideographs or full-width punctuation (no space
    between them)?"""
    return len(pair) == 2 and all(
        "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
        for c in pair
    )


def _by_names(text: str) -> bool:
    """Does `text` end with an aside of names only, ` (`A`, `B`)` (the indicators that need a
    fact, added after a message)?"""
    aside = _ASIDE.match(text)
    return aside is not None and "`" in aside.group(2) and _code_only(aside.group(2))


def _code_only(item: str) -> bool:
    """An item of a list that is code, not words: `by`, `"…"`, a number (nothing to translate
    outside its backticks)."""
    return bool(item.strip()) and not _LETTERS.search(re.sub(r"`[^`]*`", "", item))


def _joined(items: list[str]) -> str:
    """Items and their separators (`_LIST`'s) joined the Chinese way: `、`, `；`, `：`, and
    `或`, `和` with a space only beside code (`甲、乙或丙`, `` `a`、`b` 或 `c` ``)."""
    out: list[str] = []
    for i, piece in enumerate(items):
        if i % 2 == 0:
            out.append(piece)
        elif piece in _WORD_SEPARATORS:
            before, after = items[i - 1][-1:], items[i + 1][:1] if i + 1 < len(items) else ""
            cjk = all(c and not c.isascii() for c in (before, after))
            word = _WORD_SEPARATORS[piece]
            out.append(word if cjk else f" {word} ")
        else:
            out.append(_SEPARATORS.get(piece, piece))
    return "".join(out)


#: Matching templates read for one message before the best reading is taken (see `_template`).
_READINGS = 6

_translator: list[Translator] = []


def translator() -> Translator:
    if not _translator:
        _translator.append(Translator(load_catalogue()))
    return _translator[0]


def translate(text: str) -> str:
    """`text` in Chinese if the catalogue has it (or its template), else as it is."""
    return translator().translate(text)


def translate_diagnostic(d: Diagnostic) -> Diagnostic:
    """The diagnostic with its message, labels, help and notes in Chinese; code, spans, path,
    severity and fixes (their titles in Chinese) as they were."""
    from jixiao.dsl.diagnostics import Fix

    return Diagnostic(
        d.code,
        d.severity,
        translate(d.message),
        tuple(Label(lb.span, translate(lb.message)) for lb in d.labels),
        translate(d.help) if d.help else d.help,
        tuple(translate(n) for n in d.notes),
        d.path,
        tuple(Fix(f.span, f.text, translate(f.title)) for f in d.fixes),
    )


_CHROME = (
    (re.compile(r"^((?:\x1b\[[0-9;]*m)*)error\["), r"\g<1>错误["),
    (re.compile(r"^((?:\x1b\[[0-9;]*m)*)warning\["), r"\g<1>警告["),
    (re.compile(r"^  = help: "), "  = 帮助："),
    (re.compile(r"^  = note: "), "  = 注："),
    (re.compile(r"^\.\.\. (\d+) more diagnostics not shown$"), r"…… 另有 \1 条诊断未显示"),
    (re.compile(r"^(\d+) errors?, (\d+) warnings?$"), r"\1 个错误，\2 个警告"),
    (re.compile(r"^(\d+) errors?$"), r"\1 个错误"),
    (re.compile(r"^(\d+) warnings?$"), r"\1 个警告"),
)


def render_text_zh(diagnostics: Sequence[Diagnostic], *, colour: bool = False) -> str:
    """`render_text` in Chinese: each diagnostic translated, then the renderer's own words
    (error, warning, help, note, the count) — the source lines and spans as they are."""
    from jixiao.dsl.diagnostics import render_text

    text = render_text([translate_diagnostic(d) for d in diagnostics], colour=colour)
    out = []
    for line in text.split("\n"):
        if not line.startswith((" ", "e", "w", ".", "\x1b")) and not line[:1].isdigit():
            out.append(line)
            continue
        for pattern, replacement in _CHROME:
            if pattern.search(line):
                line = pattern.sub(replacement, line, count=1)
                break
        out.append(line)
    return "\n".join(out)


def speak_argparse() -> None:
    """argparse's own words (usage, "the following arguments are required" …) in Chinese:
    argparse looks its `_` and `ngettext` up at each message, as gettext intends."""
    import argparse

    table = translator()

    def gettext(message: str) -> str:
        return table.exact.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    if not _argparse_own:
        _argparse_own.append((argparse._, argparse.ngettext))  # type: ignore[attr-defined]
    argparse._ = gettext  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]


def quiet_argparse() -> None:
    """argparse's own words back in English (a later run in the same process)."""
    if _argparse_own:
        import argparse

        argparse._, argparse.ngettext = _argparse_own[0]  # type: ignore[attr-defined]


_argparse_own: list[tuple[Any, Any]] = []


def translate_help(parser: argparse.ArgumentParser) -> None:
    """Every help text and description of `parser` and its subcommands, in Chinese."""
    import argparse

    stack = [parser]
    while stack:
        current = stack.pop()
        if not getattr(current.formatter_class, "chinese", False):
            current.formatter_class = _chinese_headings(current.formatter_class)
        if current.description:
            current.description = translate(current.description)
        for action in current._actions:
            if action.help and action.help is not argparse.SUPPRESS:
                action.help = _help_format(action.help, translate(action.help))
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if choice.help:
                        choice.help = _help_format(choice.help, translate(choice.help))
                stack.extend(action.choices.values())


def _help_format(english: str, chinese: str) -> str:
    """A translated option help as argparse reads it, a `%` format: a `%` the translation adds
    (`N%` for "N percent") is doubled, so that `--help` prints it instead of failing."""
    if "%" in english:
        return chinese  # its own `%%` and `%(default)s`, kept by the translation
    return chinese.replace("%", "%%")


def _chinese_headings(base: Any) -> Any:
    """`base`, argparse's help formatter, ending a section's heading with `：` (`选项：`):
    argparse adds an ASCII `:` after the heading it translated."""

    class Formatter(base):  # type: ignore[misc]
        chinese = True

        def format_help(self) -> str:
            text: str = super().format_help()
            return _HEADING.sub(r"\1：", text)

    return Formatter


#: A section heading of a help text in Chinese: a line of its own, ending in `:`.
_HEADING = re.compile(r"(?m)^(\S[^\n]*[^\x00-\x7f]):$")
