"""The result as Markdown: the score table and the deductions, for a report draft."""

from __future__ import annotations

from decimal import Decimal

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
    words,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(result: Result, lang: str = "zh") -> str:
    w = words(lang)
    s = result.settings
    places = s.places
    out = [f"# {_cell(s.title)}", ""]
    meta = [f"{w['pack']} `{result.pack_path}`"]
    if s.version:
        meta.append(s.version)
    if s.authority:
        meta.append(s.authority)
    out += [" · ".join(meta) + f" · {w['evidence']} `{result.evidence_path}`", ""]
    out += [
        f"## {w['score_table']}",
        "",
        f"| {w['indicator']} | {w['weight']} | {w['points']} | {w['rate']} |",
        "|---|---:|---:|---:|",
    ]
    for ind in result.indicators:
        indent = "&emsp;" * (ind.depth - 1)
        pts = points_text(ind, places, lang)
        rate = rate_text(ind)
        name = f"{indent}{ind.code} {_cell(ind.name)}"
        if ind.depth == 1:
            name = f"**{name}**"
        out.append(f"| {name} | {plain(ind.weight)} | {pts} | {rate} |")
    top = sum((i.weight for i in result.indicators if i.parent is None), s.total * 0)
    total = fixed(result.total, places) if result.total is not None else "—"
    rate = percent(result.total / top) if result.total is not None and top else "—"
    out.append(f"| **{w['total']}** | **{plain(top)}** | **{total}** | **{rate}** |")
    out += [
        "",
        f"**{w['grade']}{_colon(lang)}{grade_text(result, lang)}**",
        "",
        f"## {w['losses']}",
        "",
    ]
    for ind in result.indicators:
        if not needs_explaining(ind):
            continue
        if ind.excluded:
            out.append(f"- **{ind.code} {_cell(ind.name)}**{_colon(lang)}{w['na']}")
        elif ind.points is None:
            out.append(f"- **{ind.code} {_cell(ind.name)}**{_colon(lang)}{w['failed']}")
            continue
        else:
            out.append(
                f"- **{ind.code} {_cell(ind.name)}** {fixed(ind.points, places)} / "
                f"{plain(ind.weight)}（{w['lost'].format(lost=fixed(ind.lost, places))}）"
            )
        _lines(out, ind.lines, ind.weight, result, lang)
    for extra in result.extras:
        pts = fixed(extra.points, places) if extra.points is not None else "—"
        out += [
            "",
            f"## {w['extras']}{_colon(lang)}{extra.code} {_cell(extra.name)} {pts} / "
            f"{plain(extra.max)}",
            "",
        ]
        _lines(out, extra.lines, extra.max, result, lang)
    fired = [v for v in result.vetoes if v.fired]
    if fired:
        out += ["", f"## {w['vetoes']}", ""]
        for veto in fired:
            target = f" {veto.target}" if veto.target else ""
            out.append(f"- `{veto.action}{target}` {_cell(veto.reason or '')}")
    if result.total_lines and result.tree_total is not None:
        out += [
            "",
            f"## {w['total']}",
            "",
            f"{w['tree_total']} {fixed(result.tree_total, places)}",
            "",
        ]
        _lines(out, result.total_lines, s.total, result, lang)
    if result.derived:
        out += ["", f"## {w['derived']}", ""]
        out += [f"- {_cell(derivation(d, lang))}" for d in result.derived]
    out += [
        "",
        f"<small>{w['pack']} SHA-256 `{result.pack_sha256}` · {w['evidence']} SHA-256 "
        f"`{result.evidence_sha256}` · jixiao {VERSION}</small>",
    ]
    # the other files the score was read from (survey responses)
    out += [
        f"<small>{_cell(path)} SHA-256 `{digest}`</small>"
        for path, digest in (*result.imports, *result.inputs)
    ]
    return "\n".join(out) + "\n"


def _lines(
    out: list[str], lines: tuple[Line, ...], weight: Decimal, result: Result, lang: str
) -> None:
    for line in lines:
        if line.kind is LineKind.BASE:
            continue
        out.append(f"  - `{signed(line.points)}` {_cell(line_text(line, weight, result, lang))}")
        for source in sources_of(line, result, lang):
            out.append(f"    - {_cell(source)}")


def _colon(lang: str) -> str:
    """The label's colon: full-width in Chinese, `: ` in English."""
    return "：" if lang == "zh" else ": "
