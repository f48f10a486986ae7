"""Renderers: Result → text. Each format is one module; none computes anything."""

from __future__ import annotations

from ..result import Result
from . import html, json_report, markdown, table

FORMATS = ("table", "json", "markdown", "html")


def render(result: Result, fmt: str = "table", lang: str = "zh") -> str:
    if fmt == "json":
        return json_report.render(result, lang)
    if fmt == "html":
        return html.render(result, lang)
    if fmt == "markdown":
        return markdown.render(result, lang)
    return table.render(result, lang)
