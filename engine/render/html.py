"""A self-contained HTML page in the form of an evaluation report's scoring section.

Sections, as Chinese reports lay them out: the conclusion with the level summary (权重, 得分,
得分率 — the score table's names: one name for one thing on a page) and a chart of 得分率 by
一级指标, the score table (一级/二级/三级/四级指标, 权重, 得分, 得分率) with merged cells like the
published Table 5, 主要扣分原因 ranked by points with their evidence (in words: never the pack's
source text), then each indicator's standard, facts and ledger. No scripts, no external
resources: the file opens anywhere and can be archived with the result (it records both SHA-256
digests); printed, every indicator is on paper, the collapsed ones too.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from ..common.lang import say
from ..common.messages import failure_detail
from ..common.result import IndicatorResult, Line, LineKind, Result
from ..common.version import VERSION
from .explain import (
    derivation,
    fixed,
    grade_text,
    level_heading,
    line_text,
    losses,
    percent,
    plain,
    points_text,
    rate_text,
    signed,
    sources_of,
    words,
)
from .highlight import HIGHLIGHT_CSS, highlight
from .prose import line_words

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from ..common.ir import Indicator

CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d2430;line-height:1.55}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;border-bottom:2px solid #2b5797;
padding-bottom:.2rem;margin-top:2rem}.meta{color:#5a6270;font-size:.8rem;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #b9c0cc;padding:.3rem .5rem;vertical-align:top}
th{background:#e9eef6}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:bold;background:#f3f6fb}.lost{color:#b3261e}.gain{color:#1b6e3a}
.verdict{display:flex;gap:2rem;align-items:baseline}.big{font-size:2.4rem;font-weight:bold}
.grade{font-size:1.6rem;font-weight:bold;color:#2b5797}ol.reasons li{margin:.35rem 0}
.src{color:#5a6270;font-size:.82rem}.std{white-space:pre-wrap;background:#f6f7f9;
padding:.4rem .6rem;border-left:3px solid #b9c0cc;font-size:.85rem}
details{margin:.4rem 0}summary{cursor:pointer}code{font-size:.85rem;white-space:pre-wrap}
svg.chart{display:block;max-width:100%;height:auto;margin:.6rem 0}.more{color:#5a6270}
@media print{
body{max-width:none;margin:0;padding:0;font-size:10.5pt;line-height:1.45}
details{display:block}details>summary{list-style:none;cursor:auto}
details>summary::-webkit-details-marker{display:none}
details::details-content{content-visibility:visible;display:block;height:auto}
details:not([open])>*{display:block}
thead{display:table-header-group}th{white-space:nowrap}tr,li,.std,svg.chart{break-inside:avoid}
h1,h2,h3,summary{break-after:avoid}a{color:inherit;text-decoration:none}
}
"""
CSS += HIGHLIGHT_CSS + "\n"  # the rule text, highlighted with the editors' TextMate grammar


def _e(text: object) -> str:
    return escape(str(text))


def render(result: Result, lang: str = "zh") -> str:
    w = words(lang)
    s = result.settings
    places = s.places
    zh = lang == "zh"
    out: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(s.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(s.title)}</h1>",
        f'<p class="meta">{_e(w["pack"])} {_e(result.pack_path)}'
        + (f" · {_e(s.version)}" if s.version else "")
        + (f" · {_e(s.authority)}" if s.authority else "")
        + f" · SHA-256 {_e(result.pack_sha256)}<br>{_e(w['evidence'])} {_e(result.evidence_path)}"
        f" · SHA-256 {_e(result.evidence_sha256)}"
        + "".join(
            f"<br>{_e(path)} · SHA-256 {_e(digest)}"
            for path, digest in (*result.imports, *result.inputs)
        )
        + f" · jixiao {VERSION}</p>",
    ]
    # ----- conclusion and level summary
    total = fixed(result.total, places) if result.total is not None else "—"
    out.append(f"<h2>{'评价结论' if zh else 'Conclusion'}</h2>")
    out.append(
        f'<div class="verdict"><span>{_e(w["total"])}</span><span class="big">{total}</span>'
        f'<span>{_e(w["grade"])}</span><span class="grade">'
        f"{_e(grade_text(result, lang))}</span></div>"
    )
    # one name for one thing on the page: the score table's 权重 and 得分
    head = ("指标", "权重", "得分", "得分率") if zh else ("Indicator", "Weight", "Points", "Rate")
    out.append("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>")
    out.append("<tbody>")
    roots = [i for i in result.indicators if i.parent is None]
    for ind in roots:
        out.append(
            f"<tr><td>{_e(ind.code)} {_e(ind.name)}</td><td class=n>{plain(ind.weight)}"
            f"</td><td class=n>{points_text(ind, places, lang)}</td>"
            f"<td class=n>{rate_text(ind)}</td></tr>"
        )
    top = sum((i.weight for i in roots), s.total * 0)
    rate = percent(result.total / top) if result.total is not None and top else "—"
    out.append(
        f'<tr class="total"><td>{_e(w["total"])}</td><td class=n>{plain(top)}</td>'
        f"<td class=n>{total}</td><td class=n>{rate}</td></tr></tbody></table>"
    )

    out.append(_rate_chart(roots, lang))
    out += _score_table(result, lang)
    out += _reasons(result, lang)
    out += _details(result, lang)
    if result.extras or any(v.fired for v in result.vetoes) or result.total_lines:
        out += _adjustments(result, lang)
    if result.derived:
        out.append(f"<h2>{_e(w['derived'])}</h2><ul>")
        out += [f"<li><code>{_e(derivation(d, lang))}</code></li>" for d in result.derived]
        out.append("</ul>")
    if result.diagnostics:
        out.append(f"<h2>{'提示' if zh else 'Notes'}</h2><ul>")
        for d in result.diagnostics:
            where = d.labels[0].span.location() if d.labels else (d.path or "")
            out.append(
                f"<li><code>{_e(d.severity.value)}[{_e(d.code)}]</code> "
                f"{_e(say(d.message))} <span class=src>{_e(where)}</span></li>"
            )
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _rate_chart(roots: list[IndicatorResult], lang: str) -> str:
    """得分率 by 一级指标 as horizontal bars: inline SVG, no script, the same bytes for the same
    result (every coordinate is worked out in decimals and written with one decimal place)."""
    zh = lang == "zh"
    row, label_w, bar_w, pad = 26, 220, 400, 8
    title = "各一级指标得分率" if zh else "Rate by top-level indicator"
    height = row * len(roots) + 2 * pad + 18
    width = label_w + bar_w + 90
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
    ]
    for i, ind in enumerate(roots):
        y = pad + i * row
        rate = ind.points / ind.weight if ind.points is not None and ind.weight else None
        shown = min(max(rate, Decimal(0)), Decimal(1)) if rate is not None else Decimal(0)
        w = _coord(shown * bar_w)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13">'
            f"{_e(ind.code)} {_e(ind.name)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="17" fill="#e9eef6"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="17" fill="#2b5797"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 17}" font-size="13">'
            f"{rate_text(ind)}</text>"
        )
    axis = pad + row * len(roots) + 2
    parts.append(
        "".join(
            f'<text x="{_coord(label_w + bar_w * Decimal(t) / 100)}" y="{axis + 14}" '
            f'text-anchor="middle" font-size="11" fill="#5a6270">{t}%</text>'
            for t in (0, 50, 100)
        )
    )
    parts.append("</svg>")
    return "".join(parts)


def _coord(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.1")), "f")


def _score_table(result: Result, lang: str) -> list[str]:
    """Table 5: one row per leaf, ancestors in merged cells, one column per level."""
    zh = lang == "zh"
    places = result.settings.places
    depth = max((i.depth for i in result.indicators), default=1)  # a library pack has none
    heads = [level_heading(i, "zh" if zh else "en") for i in range(depth)]
    heads += ["权重", "得分", "得分率"] if zh else ["Weight", "Points", "Rate"]
    out = [
        f"<h2>{_e(words(lang)['score_table'])}</h2>",
        "<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in heads) + "</tr></thead><tbody>",
    ]
    children: dict[str | None, list[IndicatorResult]] = {}
    for ind in result.indicators:
        children.setdefault(ind.parent, []).append(ind)

    def leaves(ind: IndicatorResult) -> int:
        kids = children.get(ind.code, [])
        return sum(leaves(k) for k in kids) if kids else 1

    def cell(ind: IndicatorResult) -> str:
        pts = points_text(ind, places, lang)
        return (
            f"{_e(ind.code)} {_e(ind.name)}<br><span class=src>{plain(ind.weight)} · {pts}</span>"
        )

    def rows(ind: IndicatorResult, prefix: list[str]) -> None:
        kids = children.get(ind.code, [])
        if not kids:
            span = depth - ind.depth + 1
            name = f'<td colspan="{span}">{_e(ind.code)} {_e(ind.name)}</td>'
            lost = (
                ' class="n lost"'
                if ind.points is not None and ind.points < ind.weight
                else " class=n"
            )
            out.append(
                "<tr>" + "".join(prefix) + name + f"<td class=n>{plain(ind.weight)}</td>"
                f"<td{lost}>{points_text(ind, places, lang)}</td>"
                f"<td class=n>{rate_text(ind)}</td></tr>"
            )
            return
        mine = f'<td rowspan="{leaves(ind)}">{cell(ind)}</td>'
        for i, kid in enumerate(kids):
            rows(kid, [*prefix, mine] if i == 0 else [])

    for root in children.get(None, []):
        rows(root, [])
    total = fixed(result.total, places) if result.total is not None else "—"
    top = sum((i.weight for i in children.get(None, [])), result.settings.total * 0)
    rate = percent(result.total / top) if result.total is not None and top else "—"
    out.append(
        f'<tr class="total"><td colspan="{depth}">{_e(words(lang)["total"])}</td>'
        f"<td class=n>{plain(top)}</td><td class=n>{total}</td><td class=n>{rate}</td>"
        "</tr></tbody></table>"
    )
    return out


def _reasons(result: Result, lang: str) -> list[str]:
    zh = lang == "zh"
    out = [f"<h2>{'主要扣分原因' if zh else 'Main reasons points were lost'}</h2>"]
    items = losses(result, lang)
    if not items:
        return [*out, f"<p>{_e(words(lang)['none_lost'])}</p>"]
    out.append('<ol class="reasons">')
    rules = {ind.code: ind for ind, _ in result.ledger.raw()}
    for loss in items:
        ind = loss.indicator
        lost = f"−{plain(loss.points.normalize())}"
        src = "".join(f"<div class=src>{_e(x)}</div>" for x in loss.sources)
        text = _in_words(loss.text, ind, rules.get(ind.code), result, lang)
        colon = "：" if zh else ": "
        out.append(
            f"<li><b class=lost>{lost}</b> {_e(ind.code)} {_e(ind.name)}{colon}{_e(text)}{src}</li>"
        )
    out.append("</ol>")
    return out


#: The lines `losses` words a base rule's shortfall with (explain's own list).
_BASE_KINDS = (
    LineKind.FULL,
    LineKind.UNMET,
    LineKind.FIXED,
    LineKind.PROPORTIONAL,
    LineKind.REVERSE,
    LineKind.REVERSE_LINEAR,
    LineKind.TIER,
    LineKind.LEVEL,
    LineKind.LEVEL_SCORE,
    LineKind.FORWARD,
    LineKind.EQUAL,
    LineKind.CHECK,
    LineKind.CHECK_BASE,
    LineKind.NOT_APPLICABLE,
)


def _in_words(
    text: str, ind: IndicatorResult, rules: Indicator | None, result: Result, lang: str
) -> str:
    """A reason of 主要扣分原因 without the pack's source text: what a base rule did not award
    is worded by `explain` line by line, some lines quoting the rule (`分档 `[90%, 95%): 1``);
    those lines are said in words (`设备运行正常率在“不低于90%且低于95%”档，得1分`)."""
    shown = [
        ln
        for ln in ind.lines
        if ln.kind in _BASE_KINDS and (ln.kind is not LineKind.CHECK or not ln.args[1])
    ]
    if not shown or text != "；".join(line_text(ln, ind.weight, result, lang) for ln in shown):
        return text  # a deduction's reason: the author's words
    return "；".join(
        line_words(ln, rules, lang) or line_text(ln, ind.weight, result, lang) for ln in shown
    )


def _details(result: Result, lang: str) -> list[str]:
    zh = lang == "zh"
    places = result.settings.places
    out = [f"<h2>{'指标评分明细' if zh else 'Indicator by indicator'}</h2>"]
    for ind in result.indicators:
        if not ind.is_leaf and not ind.lines:
            continue
        pts = points_text(ind, places, lang)
        opened = " open" if ind.points is None or ind.points != ind.weight else ""
        out.append(
            f"<details{opened}><summary><b>{_e(ind.code)} {_e(ind.name)}</b> "
            f"{pts} / {plain(ind.weight)}</summary>"
        )
        if ind.doc:
            out.append(f'<div class="std">{_e(ind.doc)}</div>')
        if ind.standard:
            rule = "规则：" if zh else "Rule: "
            out.append(f"<div class=src>{rule}<code>{highlight(ind.standard)}</code></div>")
        if ind.failures:
            out.append(
                "<ul>"
                + "".join(
                    f"<li class=lost>{_e(f.code)} {_e(f.fact or '')} {_e(failure_detail(f))}</li>"
                    for f in ind.failures
                )
                + "</ul>"
            )
        out += _ledger(ind.lines, ind.weight, result, lang)
        out.append("</details>")
    return out


def _ledger(lines: tuple[Line, ...], weight: Decimal, result: Result, lang: str) -> list[str]:
    rows = [line for line in lines if line.kind is not LineKind.BASE]
    if not rows:
        return []
    out = ["<table><tbody>"]
    for line in rows:
        cls = "n lost" if line.points < 0 else ("n gain" if line.points > 0 else "n")
        src = "".join(f"<div class=src>{_e(x)}</div>" for x in sources_of(line, result, lang))
        out.append(
            f'<tr><td class="{cls}">{signed(line.points)}</td><td>'
            f"{_e(line_text(line, weight, result, lang))}{src}</td>"
            f"<td class=src>{_e(line.span.location())}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _adjustments(result: Result, lang: str) -> list[str]:
    zh = lang == "zh"
    w = words(lang)
    out = [f"<h2>{'加减分与一票否决' if zh else 'Bonus, penalty and vetoes'}</h2>"]
    for extra in result.extras:
        pts = plain(extra.points) if extra.points is not None else "—"
        out.append(f"<h3>{_e(extra.code)} {_e(extra.name)} {pts} / {plain(extra.max)}</h3>")
        out += _ledger(extra.lines, extra.max, result, lang)
    for veto in result.vetoes:
        if veto.fired:
            out.append(
                f"<p><b>{_e(w['vetoes'])}</b> <code>{_e(veto.action)} "
                f"{_e(veto.target or '')}</code> {_e(veto.reason or '')}</p>"
            )
    if result.total_lines and result.tree_total is not None:
        out.append(f"<p>{_e(w['tree_total'])} {plain(result.tree_total)}</p>")
        out += _ledger(result.total_lines, result.settings.total, result, lang)
    return out
