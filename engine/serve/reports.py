"""A result in each report format, as the bytes `jixiao eval --format F` would write: the
same renderers, the same line about a missing total."""

from __future__ import annotations

import importlib
import os
import tempfile
from html import escape

from ..common.result import Result
from ..render import render
from ..render.outputs import FORMAT_NAMES, output_named, total_reason

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from ..runtime.partial import Ranges

MEDIA = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "table": "text/plain; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FORMATS = FORMAT_NAMES


def report(result: Result, fmt: str, lang: str) -> bytes:
    output = output_named(fmt)
    reason = total_reason(result, lang)
    if output.writer is not None:
        writer = importlib.import_module(f"jixiao.engine.render.{output.writer}")
        fd, path = tempfile.mkstemp(suffix=output.suffixes[0])
        os.close(fd)
        try:
            writer.write(result, path, lang, reason)
            with open(path, "rb") as f:
                return f.read()
        finally:
            os.unlink(path)
    text = render(result, fmt, lang)
    if reason is not None and fmt != "json":
        if fmt == "html":
            note = f'<p class="no-total">{escape(reason)}</p>\n'
            text = (
                text.replace("</body>", note + "</body>", 1) if "</body>" in text else text + note
            )
        elif fmt == "markdown":
            text += f"\n> {reason}\n"
        else:
            text += reason + "\n"
    return text.encode("utf-8")


def partial_report(result: Result, ranges: Ranges, fmt: str, lang: str) -> bytes:
    """A partial result (`?partial=1`) in each format, as the bytes `jixiao eval --partial
    --format F` writes (the text formats through `partial_report.report_text`, as the command
    line's; tests/test_serve.py compares the two for every format)."""
    from ..render import partial_report as pr

    output = output_named(fmt)
    if output.writer is not None:
        writer = importlib.import_module(f"jixiao.engine.render.{output.writer}")
        fd, path = tempfile.mkstemp(suffix=output.suffixes[0])
        os.close(fd)
        try:
            writer.write(result, path, lang, None, ranges=ranges)
            with open(path, "rb") as f:
                return f.read()
        finally:
            os.unlink(path)
    return pr.report_text(result, ranges, fmt, lang).encode("utf-8")
