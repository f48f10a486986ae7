"""Renderers: Result → text. Each format is one module; none computes anything."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from ..common.result import Result

FORMATS = ("table", "json", "markdown", "html")


def render(result: Result, fmt: str = "table", lang: str = "zh") -> str:
    # Each format is imported when asked for: a warm `jixiao eval` pays only for the one it prints.
    if fmt == "json":
        from . import json_report

        return json_report.render(result, lang)
    if fmt == "html":
        from . import html

        return html.render(result, lang)
    if fmt == "markdown":
        from . import markdown

        return markdown.render(result, lang)
    from . import table

    return table.render(result, lang)
