"""Gettext catalogues without Babel: read a `.po` file, write and read a `.mo` file.

Standard library only, and no jixiao import: the messages module reads the `.po` with it in a
Chinese run, and `python -m jixiao.engine.tools.i18n compile` writes the `.mo`. The `.mo`
layout is GNU gettext's (as `msgfmt` and Babel write it, as `gettext.GNUTranslations` reads it);
only what jixiao's catalogues use is supported: `msgctxt` is not, plural forms are not.
"""

from __future__ import annotations

import ast
import json
import struct
from pathlib import Path


class PoEntry:
    """One entry: its `msgid`, `msgstr`, and the comment lines above it, as written."""

    __slots__ = ("comments", "msgid", "msgstr")

    def __init__(self, msgid: str, msgstr: str, comments: list[str]) -> None:
        self.msgid, self.msgstr, self.comments = msgid, msgstr, comments

    @property
    def fuzzy(self) -> bool:
        return any(c.startswith("#,") and "fuzzy" in c for c in self.comments)


def _unquote(line: str, where: str) -> str:
    text = line.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"{where}: expected a quoted string, got {line!r}")
    if "\\" not in text:
        return text[1:-1]
    try:  # what jixiao writes is JSON's escaping too: fast
        value = json.loads(text)
    except ValueError:  # another tool's C escapes (`\x1b`, octal)
        value = ast.literal_eval(text)
    if not isinstance(value, str):  # pragma: no cover - a literal of a "…" is a str
        raise ValueError(f"{where}: not a string")
    return value


def parse_po(text: str, name: str = "<po>") -> list[PoEntry]:
    """The entries of a `.po` file, the header (msgid "") first if there is one."""
    entries: list[PoEntry] = []
    comments: list[str] = []
    field: str | None = None
    parts: dict[str, list[str]] = {}

    def close() -> None:
        nonlocal comments, parts, field
        if "msgid" in parts:
            entries.append(
                PoEntry("".join(parts["msgid"]), "".join(parts.get("msgstr", [])), comments)
            )
            comments, parts = [], {}
        field = None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        where = f"{name}:{number}"
        if not line:
            close()
        elif line.startswith("#"):
            if "msgstr" in parts:
                close()
            comments.append(line)
        elif line.startswith("msgid "):
            if "msgid" in parts:
                close()
            field = "msgid"
            parts[field] = [_unquote(line[6:], where)]
        elif line.startswith("msgstr "):
            field = "msgstr"
            parts[field] = [_unquote(line[7:], where)]
        elif line.startswith('"') and field is not None:
            parts[field].append(_unquote(line, where))
        else:
            raise ValueError(f"{where}: cannot read {raw!r}")
    close()
    return entries


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\r": "\\r", "\n": "\n"}


def po_string(value: str, keyword: str) -> str:
    """`msgid "…"` for one value; long or multi-line values split the gettext way."""
    body = "".join(
        _ESCAPES.get(ch, ch) if ch in _ESCAPES or ch >= " " else f"\\u{ord(ch):04x}" for ch in value
    )
    lines = body.split("\n")
    if len(lines) == 1 and len(body) < 70:
        return f'{keyword} "{body}"'
    chunks = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return f'{keyword} ""\n' + "\n".join(f'"{c}"' for c in chunks)


def read_translations(text: str) -> dict[str, str]:
    """`translations(parse_po(text))`, faster: what a run reads when there is no `.mo` (a
    checkout, an editable install). Entries are blank-line separated, as gettext writes them."""
    out: dict[str, str] = {}
    for block in text.split("\n\n"):
        if "#, fuzzy" in block:
            continue
        parts: dict[str, list[str]] = {"msgid": [], "msgstr": []}
        field = None
        for line in block.split("\n"):
            if line.startswith("msgid "):
                field, line = "msgid", line[6:]
            elif line.startswith("msgstr "):
                field, line = "msgstr", line[7:]
            elif not line.startswith('"'):
                continue
            if field is not None:
                parts[field].append(_unquote(line, "po"))
        msgid, msgstr = "".join(parts["msgid"]), "".join(parts["msgstr"])
        if msgid and msgstr:
            out[msgid] = msgstr
    return out


def translations(entries: list[PoEntry]) -> dict[str, str]:
    """msgid → msgstr of every translated, not fuzzy entry (the header left out)."""
    return {e.msgid: e.msgstr for e in entries if e.msgid and e.msgstr and not e.fuzzy}


def mo_bytes(catalog: dict[str, str]) -> bytes:
    """A GNU `.mo` file (little-endian, revision 0) holding `catalog`, keys sorted."""
    keys = sorted(catalog)
    ids = [k.encode("utf-8") for k in keys]
    strs = [catalog[k].encode("utf-8") for k in keys]
    header = {"": "Content-Type: text/plain; charset=UTF-8\n"}
    if "" not in catalog:
        ids.insert(0, b"")
        strs.insert(0, header[""].encode("utf-8"))
    count = len(ids)
    key_start = 7 * 4 + 16 * count
    offsets: list[int] = []
    blob = b""
    for item in ids:
        offsets += [len(item), key_start + len(blob)]
        blob += item + b"\0"
    value_start = key_start + len(blob)
    values = b""
    value_offsets: list[int] = []
    for item in strs:
        value_offsets += [len(item), value_start + len(values)]
        values += item + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, 0)
    tables = struct.pack(f"<{2 * count}I", *offsets) + struct.pack(f"<{2 * count}I", *value_offsets)
    return head + tables + blob + values


def compile_po(po: Path, mo: Path) -> None:
    """`msgfmt po -o mo`, for jixiao's catalogues."""
    entries = parse_po(po.read_text(encoding="utf-8"), str(po))
    mo.write_bytes(mo_bytes(translations(entries)))
