"""The terminal report: the score table of an evaluation report, then why points were lost.

Columns are aligned by display width, so Chinese names line up in a terminal.
"""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl.source import display_width

from ..common.result import Line, LineKind, Result
from ..common.version import VERSION
from .explain import (
    derivation,
    fixed,
    grade_text,
    line_text,
    needs_explaining,
    percent,
    plain,
    points_text,
    rate_text,
    signed,
    sources_of,
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
            + _rpad(points_text(ind, places, lang), 10)
            + _rpad(rate_text(ind), 10)
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
        f"{w['grade']}：{grade_text(result, lang)}"
        if lang == "zh"
        else f"{w['grade']}: {grade_text(result, lang)}"
    )

    out.append("")
    out.append(w["losses"])
    any_loss = False
    for ind in result.indicators:
        if not needs_explaining(ind):
            continue
        any_loss = True
        if ind.excluded:
            out.append(f"{ind.code} {ind.name}  {w['na']}")
        elif ind.points is None:
            out.append(f"{ind.code} {ind.name}  {w['failed']}")
            continue
        else:
            lost = w["lost"].format(lost=fixed(ind.lost, places))
            out.append(
                f"{ind.code} {ind.name}  {fixed(ind.points, places)} / {plain(ind.weight)}"
                + (f"  （{lost}）" if lang == "zh" else f"  ({lost})")  # full-width around Chinese
            )
        _lines(out, ind.lines, ind.weight, result, lang)
    if not any_loss:
        out.append(f"    {w['none_lost']}")

    for extra in result.extras:
        out.append("")
        pts = fixed(extra.points, places) if extra.points is not None else "—"
        out.append(f"{w['extras']}：{extra.code} {extra.name}  {pts} / {plain(extra.max)}")
        _lines(out, extra.lines, extra.max, result, lang)
    fired = [v for v in result.vetoes if v.fired]
    if fired:
        out.append("")
        out.append(w["vetoes"])
        for veto in fired:
            target = f" {veto.target}" if veto.target else ""
            out.append(f"    {veto.action}{target}：{veto.reason or ''}  [{veto.span.location()}]")
            for use in veto.facts:
                out.append(f"              {use_text(use, result, lang)}")
    if result.total_lines and result.tree_total is not None:
        out.append("")
        out.append(f"{w['tree_total']} {fixed(result.tree_total, places)}")
        _lines(out, result.total_lines, s.total, result, lang)

    if result.derived:
        out.append("")
        out.append(w["derived"])
        for d in result.derived:
            out.append(f"    {derivation(d, lang)}")
    out.append("")
    out.append(
        f"{w['pack']} SHA-256 {result.pack_sha256} · {w['evidence']} SHA-256 "
        f"{result.evidence_sha256} · jixiao {VERSION}"
    )
    for path, digest in (*result.imports, *result.inputs):  # templates, survey responses
        out.append(f"{path} SHA-256 {digest}")
    return "\n".join(out) + "\n"


def _lines(
    out: list[str], lines: tuple[Line, ...], weight: Decimal, result: Result, lang: str
) -> None:
    w = words(lang)
    for line in lines:
        if line.kind is LineKind.BASE:
            continue
        out.append(f"    {_rpad(signed(line.points), 8)}  {line_text(line, weight, result, lang)}")
        for source in sources_of(line, result, lang):
            colon = "：" if lang == "zh" else ": "
            prefix = f"{w['facts']}{colon}" if line.item is not None else ""
            out.append(f"              {prefix}{source}")
