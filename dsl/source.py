"""Source text and spans: the one place that knows how bytes become lines and columns.

Packs and evidence files both arrive as bytes from real offices: UTF-8 with or without a BOM,
GB18030 from older Windows editors, CRLF line ends. `decode` turns them into text once, and
`Source` answers "which line and column is offset N" for every later stage, so a diagnostic can
point at a fact in a YAML file exactly as it points at a clause in a pack.

Columns are 1-based code points (what editors show); `display_width` measures terminal cells so
carets line up under CJK text.
"""

from __future__ import annotations

import bisect
import os
import unicodedata

from .record import record, spec


class DecodeError(Exception):
    """The bytes are not text in any encoding an office is likely to have used."""


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding). UTF-8 (BOM stripped) first, then GB18030.

    GB18030 decodes almost any byte string, so it is tried only when UTF-8 fails and the bytes
    contain no NUL (a NUL means a binary file, which no encoding will make sensible).
    """
    if b"\x00" in data:
        raise DecodeError("the file contains NUL bytes; it looks binary, not text")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:  # pragma: no cover - gb18030 rarely fails
        raise DecodeError(f"the file is neither UTF-8 nor GB18030 ({exc.reason})") from None


def display_width(text: str) -> int:
    """Terminal cells: wide and full-width characters take two, combining marks none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


@record(eq=False)
class Source:
    """A named text with a line index. Identity, not content, makes two sources the same."""

    path: str
    text: str
    encoding: str = "utf-8"
    _line_starts: tuple[int, ...] = spec(default=(), repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        text = self.text
        i = text.find("\n")
        while i != -1:
            starts.append(i + 1)
            i = text.find("\n", i + 1)
        object.__setattr__(self, "_line_starts", tuple(starts))

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Source:
        """Read and decode a file; OSError and DecodeError are the caller's to report."""
        with open(path, "rb") as f:  # not pathlib: a warm `jixiao eval` never imports it
            data = f.read()
        text, encoding = decode(data)
        return cls(str(path), text, encoding)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def offset(self, line: int, col: int) -> int:
        """Inverse of line_col, clamped to the text."""
        line = max(1, min(line, len(self._line_starts)))
        return min(self._line_starts[line - 1] + col - 1, len(self.text))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line end."""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] if line < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def span(self, start: int, end: int) -> Span:
        return Span(self, start, end)


@record
class Span:
    """A half-open range of characters in a Source. Spans never take part in AST equality."""

    source: Source
    start: int
    end: int

    def __init__(self, source: Source, start: int, end: int) -> None:  # the parser makes many
        put = object.__setattr__
        put(self, "source", source)
        put(self, "start", start)
        put(self, "end", end)

    @property
    def line(self) -> int:
        return self.source.line_col(self.start)[0]

    @property
    def column(self) -> int:
        return self.source.line_col(self.start)[1]

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def location(self) -> str:
        line, col = self.source.line_col(self.start)
        return f"{self.source.path}:{line}:{col}"
