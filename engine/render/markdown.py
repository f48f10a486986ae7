"""The result as Markdown: the score table and the deductions, for a report draft."""

from __future__ import annotations

from ..result import LineKind, Result
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
        pts = fixed(ind.points, places) if ind.points is not None else "—"
        rate = percent(ind.points / ind.weight) if ind.points is not None else "—"
        name = f"{indent}{ind.code} {_cell(ind.name)}"
        if ind.depth == 1:
            name = f"**{name}**"
        out.append(f"| {name} | {plain(ind.weight)} | {pts} | {rate} |")
    top = sum((i.weight for i in result.indicators if i.parent is None), s.total * 0)
    total = fixed(result.total, places) if result.total is not None else "—"
    rate = percent(result.total / top) if result.total is not None and top else "—"
    out.append(f"| **{w['total']}** | **{plain(top)}** | **{total}** | **{rate}** |")
    out += ["", f"**{w['grade']}：{result.grade or '—'}**", "", f"## {w['losses']}", ""]
    for ind in result.indicators:
        if not ind.is_leaf or (
            ind.points == ind.weight and not any(ln.kind is LineKind.WARN for ln in ind.lines)
        ):
            continue
        if ind.points is None:
            out.append(f"- **{ind.code} {_cell(ind.name)}**：{w['failed']}")
            continue
        out.append(
            f"- **{ind.code} {_cell(ind.name)}** {fixed(ind.points, places)} / "
            f"{plain(ind.weight)}（{w['lost'].format(lost=fixed(ind.lost, places))}）"
        )
        for line in ind.lines:
            if line.kind is LineKind.BASE:
                continue
            out.append(f"  - `{signed(line.points)}` {_cell(line_text(line, ind, result, lang))}")
            sources = []
            if line.item is not None:
                sources.append(provenance_text(line.item.origin, lang))
            else:
                sources += [use_text(u, result, lang) for u in line.facts]
            for src in sources:
                if src:
                    out.append(f"    - {_cell(src)}")
    if result.derived:
        out += ["", f"## {w['derived']}", ""]
        out += [f"- {_cell(derivation(d, lang))}" for d in result.derived]
    return "\n".join(out) + "\n"
