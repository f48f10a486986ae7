"""Diagnostics as data, rendered once.

Every stage (parser, checker, graph, evidence loader, evaluator) collects `Diagnostic` values;
nothing prints. `render_text` draws them the way rustc and Elm do — the source line, the exact
text underlined (caret widths measured in terminal cells, so CJK lines up), a help line — and
`render_json` gives editors and CI the same data.

Message style: lowercase, one line, no trailing period, user names in backticks; the fix goes in
`help`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum

from .record import record, spec
from .source import Span, display_width


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@record
class Label:
    """A place in a source with a short remark; the first label of a diagnostic is primary."""

    span: Span
    message: str = ""


@record
class Fix:
    """A fix an editor may apply as it stands: `text` in place of `span` (an empty span inserts).
    `title` says what it does, in the words of a code action ("replace with `预算执行率`")."""

    span: Span
    text: str
    title: str


@record
class Diagnostic:
    code: str
    severity: Severity
    message: str
    labels: tuple[Label, ...] = ()
    help: str | None = None
    notes: tuple[str, ...] = spec(default=())
    # A diagnostic about a file as a whole (missing, unreadable) has no span but a path.
    path: str | None = None
    # Fixes the checker knows for certain (`jixiao lsp` offers them as code actions); the help
    # says the same in words.
    fixes: tuple[Fix, ...] = spec(default=(), repr=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, str]:
        if self.labels:
            span = self.labels[0].span
            return (span.source.path, span.start, self.code)
        return (self.path or "", -1, self.code)


class JixiaoError(Exception):
    """Raised by a stage that cannot produce its output; carries every diagnostic it found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        first = self.diagnostics[0].message if self.diagnostics else "failed"
        super().__init__(first)


def error(code: str, message: str, *labels: Label, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, tuple(labels), help)


def warning(code: str, message: str, *labels: Label, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, tuple(labels), help)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


# ---------------------------------------------------------------------------------------------
# Rendering

WINDOW = 120  # characters of a source line shown around a mark
_RED, _YELLOW, _BLUE, _BOLD, _RESET = "\x1b[31m", "\x1b[33m", "\x1b[34m", "\x1b[1m", "\x1b[0m"


def _paint(text: str, colour: str, enabled: bool) -> str:
    return f"{colour}{text}{_RESET}" if enabled else text


def render_text(diagnostics: Sequence[Diagnostic], *, colour: bool = False, limit: int = 50) -> str:
    """All diagnostics, sorted, at most `limit` shown, then a count of the rest."""
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    parts = [_render_one(d, colour) for d in ordered[:limit]]
    rest = len(ordered) - limit
    if rest > 0:
        parts.append(f"... {rest} more diagnostics not shown\n")
    errors = sum(1 for d in ordered if d.is_error)
    warnings = len(ordered) - errors
    if ordered:
        summary = []
        if errors:
            summary.append(f"{errors} error{'s' if errors != 1 else ''}")
        if warnings:
            summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        parts.append(", ".join(summary) + "\n")
    return "\n".join(parts)


def _render_one(d: Diagnostic, colour: bool) -> str:
    sev_colour = _RED if d.is_error else _YELLOW
    head = _paint(f"{d.severity.value}[{d.code}]", sev_colour + _BOLD, colour)
    out = [f"{head}: {d.message}"]
    if not d.labels:
        if d.path:
            out.append(f"  --> {d.path}")
    else:
        gutter = max(len(str(lb.span.line)) for lb in d.labels)
        pad = " " * gutter
        bar = _paint("|", _BLUE, colour)
        out.append(f"{pad}--> {d.labels[0].span.location()}")
        previous_source = d.labels[0].span.source
        for i, label in enumerate(d.labels):
            span = label.span
            if span.source is not previous_source:
                out.append(f"{pad}::: {span.location()}")
                previous_source = span.source
            line, col = span.source.line_col(span.start)
            end_line, end_col = span.source.line_col(max(span.start, span.end))
            text = span.source.line_text(line)
            # A span over several lines is underlined to the end of its first line.
            stop = end_col - 1 if end_line == line else len(text)
            stop = max(stop, col)  # at least one caret, even for an empty span
            if len(text) > WINDOW:
                # a very long line: show a window around the mark, elided on both sides
                first = max(0, col - 1 - WINDOW // 2)
                last = min(len(text), max(stop, first + WINDOW))
                prefix = "…" if first else ""
                text = prefix + text[first:last] + ("…" if last < len(text) else "")
                col, stop = col - first + len(prefix), min(stop, last) - first + len(prefix)
            lead = display_width(text[: col - 1].expandtabs(4))
            width = max(1, display_width(text[col - 1 : stop].expandtabs(4)))
            mark = "^" if i == 0 else "-"
            underline = " " * lead + _paint(mark * width, sev_colour if i == 0 else _BLUE, colour)
            if label.message:
                underline += " " + label.message
            out.append(f"{pad} {bar}")
            out.append(f"{str(line).rjust(gutter)} {bar} {text.expandtabs(4)}")
            out.append(f"{pad} {bar} {underline}")
        out.append(f"{pad} {bar}")
    for note in d.notes:
        out.append(f"  = note: {note}")
    if d.help:
        out.append(f"  = help: {d.help}")
    return "\n".join(out) + "\n"


def to_json(d: Diagnostic) -> dict[str, object]:
    labels = []
    for label in d.labels:
        line, col = label.span.source.line_col(label.span.start)
        end_line, end_col = label.span.source.line_col(label.span.end)
        labels.append(
            {
                "file": label.span.source.path,
                "line": line,
                "column": col,
                "end_line": end_line,
                "end_column": end_col,
                "text": label.span.text,
                "message": label.message,
            }
        )
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "file": labels[0]["file"] if labels else d.path,
        "line": labels[0]["line"] if labels else None,
        "column": labels[0]["column"] if labels else None,
        "labels": labels,
        "help": d.help,
        "notes": list(d.notes),
    }


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    import json

    return json.dumps([to_json(d) for d in ordered], ensure_ascii=False, indent=2) + "\n"
