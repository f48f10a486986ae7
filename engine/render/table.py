"""The terminal report: the score table of an evaluation report, then why points were lost.

Columns are aligned by display width, so Chinese names line up in a terminal.
"""

from __future__ import annotations

from jixiao.dsl.source import display_width

from ..result import IndicatorResult, LineKind, Result
from .explain import (
    derivation,
    fixed,
    line_text,
    percent,
    plain,
    provenance_text,
    signed,
    use_text,
    words,
)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _rpad(text: str, width: int) -> str:
    return " " * max(0, width - display_width(text)) + text


def render(result: Result, lang: str = "zh") -> str:
    w = words(lang)
    s = result.settings
    places = s.places
    out: list[str] = [s.title]
    meta = [f"{w['pack']} {result.pack_path}"]
    if s.version:
        meta.append(s.version)
    if s.authority:
        meta.append(s.authority)
    out.append(" · ".join(meta) + f" · {w['evidence']} {result.evidence_path}")
    out.append("")

    labels = [("  " * (i.depth - 1)) + f"{i.code} {i.name}" for i in result.indicators]
    name_width = max([display_width(x) for x in labels] + [display_width(w["indicator"]), 8]) + 2
    header = (
        _pad(w["indicator"], name_width)
        + _rpad(w["weight"], 8)
        + _rpad(w["points"], 10)
        + _rpad(w["rate"], 10)
    )
    out.append(w["score_table"])
    out.append(header)
    out.append("-" * display_width(header))
    for label, ind in zip(labels, result.indicators, strict=False):
        out.append(
            _pad(label, name_width)
            + _rpad(plain(ind.weight), 8)
            + _rpad(_points(ind, places), 10)
            + _rpad(_rate(ind), 10)
        )
    out.append("-" * display_width(header))
    total_weight = sum((i.weight for i in result.indicators if i.parent is None), s.total * 0)
    total = fixed(result.total, places) if result.total is not None else "—"
    rate = (
        percent(result.total / total_weight) if result.total is not None and total_weight else "—"
    )
    out.append(
        _pad(w["total"], name_width)
        + _rpad(plain(total_weight), 8)
        + _rpad(total, 10)
        + _rpad(rate, 10)
    )
    out.append(
        f"{w['grade']}：{result.grade or '—'}"
        if lang == "zh"
        else f"{w['grade']}: {result.grade or '—'}"
    )

    out.append("")
    out.append(w["losses"])
    any_loss = False
    for ind in result.indicators:
        if not ind.is_leaf or (
            ind.points is not None
            and ind.points == ind.weight
            and not any(ln.kind is LineKind.WARN for ln in ind.lines)
        ):
            continue
        any_loss = True
        if ind.points is None:
            out.append(f"{ind.code} {ind.name}  {w['failed']}")
            continue
        out.append(
            f"{ind.code} {ind.name}  {fixed(ind.points, places)} / {plain(ind.weight)}"
            f"  ({w['lost'].format(lost=fixed(ind.lost, places))})"
        )
        for line in ind.lines:
            if line.kind is LineKind.BASE:
                continue
            text = line_text(line, ind, result, lang)
            out.append(f"    {_rpad(signed(line.points), 8)}  {text}")
            if line.item is not None:
                where = provenance_text(line.item.origin, lang)
                if where:
                    out.append(f"              {w['facts']}：{where}")
            elif line.facts:
                for use in line.facts:
                    out.append(f"              {use_text(use, result, lang)}")
    if not any_loss:
        out.append(f"    {w['none_lost']}")

    if result.derived:
        out.append("")
        out.append(w["derived"])
        for d in result.derived:
            out.append(f"    {derivation(d, lang)}")
    return "\n".join(out) + "\n"


def _points(ind: IndicatorResult, places: int) -> str:
    return fixed(ind.points, places) if ind.points is not None else "—"


def _rate(ind: IndicatorResult) -> str:
    if ind.points is None or not ind.weight:
        return "—"
    return percent(ind.points / ind.weight)
