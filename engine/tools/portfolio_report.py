"""The portfolio summary as HTML (with inline SVG charts: no network, no scripts), Markdown or
JSON.

Rates are shown in percent and points with two places, rounded half up once from the exact
value; a weighted mean (资金量加权) is Σ wᵢ·xᵢ ÷ Σ wᵢ summed exactly and divided once, then
rounded the same way."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import Any

from ..common.version import VERSION
from ..render.html import CSS
from .portfolio import Summary

BAR = "#2b5797"


def _pct(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return format((value * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f") + "%"


def _num(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def _num_or_dash(value: Decimal | None) -> str:
    return _num(value) if value is not None else "—"


def _weighting(summary: Summary) -> dict[str, Any]:
    """The weighted means' block: by which fact, over how many projects, who is left out."""
    tally = summary.tally
    scored = summary.projects - summary.failed
    return {
        "by": summary.weighted_by,
        "projects": scored - tally.unweighted,
        "mean_total": _num_or_dash(summary.mean_total()),
        "weighted_mean_total": _num_or_dash(summary.weighted_total()),
        "without_weight": tally.unweighted,
        "without_weight_ids": list(tally.unweighted_ids),
    }


#: The summary's own words, by the report's language (`--lang`; Chinese unless English is
#: chosen). The pack's names and reasons, and the data, stay as written.
_W = {
    "zh": {
        "title": "{pack}：项目组合评价汇总",
        "count": "项目 {projects} 个，其中未能计分 {failed} 个。",
        "meta": "项目 {projects} 个，未能计分 {failed} 个 · 规则包 {pack} SHA-256 {pack_sha} · "
        "数据 {input} SHA-256 {input_sha} · jixiao {version}",
        "weighted": "资金量加权（按{by}）",
        "weighted_how": "加权平均按各项目的{by}加权，计入 {n} 个已计分项目。",
        "mean": "平均",
        "weighted_mean": "加权平均",
        "total": "总分",
        "grades": "等级分布",
        "grade": "等级",
        "projects": "项目数",
        "rates": "各指标得分率",
        "rates_chart": "各指标平均得分率",
        "indicator": "指标",
        "mean_rate": "平均得分率",
        "weighted_rate": "加权平均得分率（按{by}）",
        "spread": "标准差",
        "lowest": "最低",
        "highest": "最高",
        "lost": "累计失分",
        "reasons": "主要失分原因",
        "reason": "原因",
        "involved": "涉及项目",
        "nearest": "最接近等级分界的项目",
        "project": "项目",
        "boundary": "分界",
        "distance": "差距",
        "failures": "未能计分的项目",
        "colon": "：",
        "sep": "、",
        "more": "…等{total}{what}（此处列出{shown}{what}）",
        "items": "项",
        "projects_unit": "个",
        "nearest_more": "…等{scored}个已计分项目（此处列出最接近分界的{shown}个）",
        "unweighted": "{n}个项目没有{by}（未给出或不大于0），未计入加权平均：{ids}",
    },
    "en": {
        "title": "{pack}: portfolio summary",
        "count": "{projects} projects, {failed} of them not scored.",
        "meta": "{projects} projects, {failed} not scored · pack {pack} SHA-256 {pack_sha} · "
        "data {input} SHA-256 {input_sha} · jixiao {version}",
        "weighted": "Weighted by funds ({by})",
        "weighted_how": "Weighted means weigh each project by its {by}; {n} scored projects count.",
        "mean": "mean",
        "weighted_mean": "weighted mean",
        "total": "Total",
        "grades": "Grades",
        "grade": "Grade",
        "projects": "Projects",
        "rates": "Score rate by indicator",
        "rates_chart": "Mean score rate by indicator",
        "indicator": "Indicator",
        "mean_rate": "Mean rate",
        "weighted_rate": "Weighted mean rate (by {by})",
        "spread": "Std. dev.",
        "lowest": "Lowest",
        "highest": "Highest",
        "lost": "Points lost",
        "reasons": "Main reasons points were lost",
        "reason": "Reason",
        "involved": "Projects",
        "nearest": "Projects nearest a grade boundary",
        "project": "Project",
        "boundary": "Boundary",
        "distance": "Distance",
        "failures": "Projects not scored",
        "colon": ": ",
        "sep": ", ",
        "more": "… {total} {what} in all ({shown} listed here)",
        "items": "items",
        "projects_unit": "projects",
        "nearest_more": "… {scored} scored projects in all (the {shown} nearest a boundary here)",
        "unweighted": "{n} projects have no {by} (not given, or not above 0) and are in no "
        "weighted mean: {ids}",
    },
}


def weighting_note(weighting: dict[str, Any], lang: str = "zh") -> str:
    """`2个项目没有预算金额（未给出或不大于0），未计入加权平均：P4、P5`; "" when none is
    left out (projects not scored are in no mean, weighted or not)."""
    n = weighting["without_weight"]
    if not n:
        return ""
    w = _W[lang]
    ids = w["sep"].join(weighting["without_weight_ids"])
    cut = more(len(weighting["without_weight_ids"]), n, w["projects_unit"], lang)
    return w["unweighted"].format(n=n, by=weighting["by"], ids=ids) + (f"{cut}" if cut else "")


def document(summary: Summary) -> dict[str, Any]:
    names = {i.code: i.name for i in summary.program.indicators}
    weighted = summary.weighted_by is not None
    return {
        "jixiao": VERSION,
        "pack": summary.program.settings.title,
        "pack_path": summary.program.source.path,
        "pack_sha256": summary.pack_sha256,
        "input": summary.input_path,
        "input_sha256": summary.input_sha256,
        "projects": summary.projects,
        "failed": summary.failed,
        "grades": summary.grades,
        **({"weighting": _weighting(summary)} if weighted else {}),
        "indicators": [
            {
                "code": i.code,
                "name": i.name,
                "leaf": i.is_leaf,
                "mean_rate": _pct(s.mean),
                **({"weighted_mean_rate": _pct(s.weighted_mean)} if weighted else {}),
                "spread": _pct(s.spread),
                "lowest": _pct(s.low),
                "highest": _pct(s.high),
                "points_lost": _num(s.lost),
            }
            for i in summary.program.indicators
            if (s := summary.stats.get(i.code)) is not None
        ],
        "losing_indicators": [
            {"code": c, "name": names[c], "points_lost": _num(p)}
            for c, p in summary.losing_indicators()
        ],
        "reasons": [
            {"code": c, "reason": r, "points_lost": _num(p), "projects": n}
            for c, r, p, n in summary.ranked_reasons()
        ],
        "nearest_boundary": [
            {"id": i, "name": n, "total": t, "boundary": b, "distance": _num(d)}
            for d, i, n, t, b in summary.nearest()
        ],
        "reasons_total": len(summary.reasons),
        "failures": [{"id": i, "error": e} for i, e in summary.failures],
    }


def more(shown: int, total: int, what: str = "项", lang: str = "zh") -> str:
    """What a cut list says after its last entry: `…等45项（此处列出20项）`; "" when none is cut."""
    if total <= shown:
        return ""
    if lang != "zh" and what in ("项", "个"):
        what = _W[lang]["items" if what == "项" else "projects_unit"]
    return _W[lang]["more"].format(total=total, what=what, shown=shown)


def _nearest_note(shown: int, scored: int, lang: str = "zh") -> str:
    if scored <= shown:
        return ""
    return _W[lang]["nearest_more"].format(scored=scored, shown=shown)


def render_json(summary: Summary) -> str:
    return json.dumps(document(summary), ensure_ascii=False, indent=2) + "\n"


def render_markdown(summary: Summary, lang: str = "zh") -> str:
    doc = document(summary)
    w = _W[lang]
    out = [
        "# " + w["title"].format(pack=doc["pack"]),
        "",
        w["count"].format(projects=doc["projects"], failed=doc["failed"]),
        "",
    ]
    weighting = doc.get("weighting")
    if weighting:
        out += [
            "## " + w["weighted"].format(by=weighting["by"]),
            "",
            w["weighted_how"].format(by=weighting["by"], n=weighting["projects"]),
            "",
            f"| | {w['mean']} | {w['weighted_mean']} |",
            "|---|---:|---:|",
            f"| {w['total']} | {weighting['mean_total']} | {weighting['weighted_mean_total']} |",
            "",
        ]
        if note := weighting_note(weighting, lang):
            out += [note, ""]
    out += [
        f"## {w['grades']}",
        "",
        f"| {w['grade']} | {w['projects']} |",
        "|---|---:|",
    ]
    out += [f"| {g} | {n} |" for g, n in doc["grades"].items()]
    out += [
        "",
        f"## {w['rates']}",
        "",
        f"| {w['indicator']} | {w['mean_rate']} |"
        + (" " + w["weighted_rate"].format(by=weighting["by"]) + " |" if weighting else "")
        + f" {w['spread']} | {w['lowest']} | {w['highest']} | {w['lost']} |",
        "|---|---:|" + ("---:|" if weighting else "") + "---:|---:|---:|---:|",
    ]
    out += [
        f"| {r['code']} {r['name']} | {r['mean_rate']} | "
        + (f"{r['weighted_mean_rate']} | " if weighting else "")
        + f"{r['spread']} | {r['lowest']} | {r['highest']} | {r['points_lost']} |"
        for r in doc["indicators"]
    ]
    out += [
        "",
        f"## {w['reasons']}",
        "",
        f"| {w['indicator']} | {w['reason']} | {w['lost']} | {w['involved']} |",
        "|---|---|---:|---:|",
    ]
    out += [
        f"| {r['code']} | {r['reason']} | {r['points_lost']} | {r['projects']} |"
        for r in doc["reasons"]
    ]
    if cut := more(len(doc["reasons"]), doc["reasons_total"], lang=lang):
        out += ["", cut]
    out += [
        "",
        f"## {w['nearest']}",
        "",
        f"| {w['project']} | {w['total']} | {w['boundary']} | {w['distance']} |",
        "|---|---:|---:|---:|",
    ]
    out += [
        f"| {r['id']} {r['name']} | {r['total']} | {r['boundary']} | {r['distance']} |"
        for r in doc["nearest_boundary"]
    ]
    scored = doc["projects"] - doc["failed"]
    if cut := _nearest_note(len(doc["nearest_boundary"]), scored, lang):
        out += ["", cut]
    if doc["failures"]:
        out += ["", f"## {w['failures']}", ""]
        out += [f"- {f['id']}{w['colon']}{f['error']}" for f in doc["failures"]]
        if cut := more(len(doc["failures"]), doc["failed"], "个", lang):
            out += ["", cut]
    return "\n".join(out) + "\n"


def _bars_vertical(data: list[tuple[str, int]], title: str = "等级分布") -> str:
    width, height, pad = 60 * max(len(data), 1) + 40, 220, 30
    top = max([n for _, n in data] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">'
    ]
    for i, (label, n) in enumerate(data):
        h = (height - 2 * pad - 10) * n / top
        x = 30 + i * 60
        y = height - pad - h
        parts.append(f'<rect x="{x}" y="{y:.1f}" width="40" height="{h:.1f}" fill="{BAR}"/>')
        parts.append(
            f'<text x="{x + 20}" y="{y - 4:.1f}" text-anchor="middle" font-size="12">{n}</text>'
        )
        parts.append(
            f'<text x="{x + 20}" y="{height - pad + 16}" text-anchor="middle" '
            f'font-size="13">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _bars_horizontal(data: list[tuple[str, Decimal]], title: str = "各指标平均得分率") -> str:
    row, label_w, bar_w = 22, 260, 420
    height = row * len(data) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">'
    ]
    for i, (label, rate) in enumerate(data):
        y = 5 + i * row
        w = float(min(max(rate, Decimal(0)), Decimal(1))) * bar_w
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" '
            f'font-size="12">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="15" fill="#e9eef6"/>'
        )
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="15" fill="{BAR}"/>')
        parts.append(
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="12">{_pct(rate)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(summary: Summary, lang: str = "zh") -> str:
    doc = document(summary)
    e = escape
    w = _W[lang]
    title = e(w["title"].format(pack=doc["pack"]))
    meta = w["meta"].format(
        projects=doc["projects"],
        failed=doc["failed"],
        pack=doc["pack_path"],
        pack_sha=doc["pack_sha256"],
        input=doc["input"],
        input_sha=doc["input_sha256"],
        version=VERSION,
    )
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f'<p class="meta">{e(meta)}</p>',
    ]
    weighting = doc.get("weighting")
    if weighting:
        by = weighting["by"]
        out += [
            f"<h2>{e(w['weighted'].format(by=by))}</h2>",
            f"<p>{e(w['weighted_how'].format(by=by, n=weighting['projects']))}</p>",
            f"<table><thead><tr><th></th><th>{w['mean']}</th><th>{w['weighted_mean']}</th></tr>"
            "</thead><tbody>",
            f"<tr><td>{w['total']}</td><td class=n>{weighting['mean_total']}</td>"
            f"<td class=n>{weighting['weighted_mean_total']}</td></tr>",
            "</tbody></table>",
        ]
        if note := weighting_note(weighting, lang):
            out.append(f'<p class="more">{e(note)}</p>')
    out += [
        f"<h2>{w['grades']}</h2>",
        _bars_vertical(list(doc["grades"].items()), w["grades"]),
    ]
    leaves = [
        (f"{i['code']} {i['name']}", summary.stats[i["code"]].mean or Decimal(0))
        for i in doc["indicators"]
        if i["leaf"]
    ]
    out += [f"<h2>{w['rates_chart']}</h2>", _bars_horizontal(leaves, w["rates_chart"])]
    out += [
        f"<table><thead><tr><th>{w['indicator']}</th><th>{w['mean_rate']}</th>"
        + (f"<th>{e(w['weighted_rate'].format(by=weighting['by']))}</th>" if weighting else "")
        + f"<th>{w['spread']}</th><th>{w['lowest']}</th><th>{w['highest']}</th>"
        f"<th>{w['lost']}</th></tr></thead><tbody>"
    ]
    out += [
        f"<tr><td>{e(r['code'])} {e(r['name'])}</td><td class=n>{r['mean_rate']}</td>"
        + (f"<td class=n>{r['weighted_mean_rate']}</td>" if weighting else "")
        + f"<td class=n>{r['spread']}</td><td class=n>{r['lowest']}</td>"
        f"<td class=n>{r['highest']}</td><td class=n>{r['points_lost']}</td></tr>"
        for r in doc["indicators"]
    ]
    out += [
        "</tbody></table>",
        f"<h2>{w['reasons']}</h2>",
        f"<table><thead><tr><th>{w['indicator']}</th><th>{w['reason']}</th>"
        f"<th>{w['lost']}</th><th>{w['involved']}</th></tr></thead><tbody>",
    ]
    out += [
        f"<tr><td>{e(r['code'])}</td><td>{e(r['reason'])}</td>"
        f"<td class=n>{r['points_lost']}</td><td class=n>{r['projects']}</td></tr>"
        for r in doc["reasons"]
    ]
    out.append("</tbody></table>")
    if cut := more(len(doc["reasons"]), doc["reasons_total"], lang=lang):
        out.append(f'<p class="more">{e(cut)}</p>')
    out += [
        f"<h2>{w['nearest']}</h2>",
        f"<table><thead><tr><th>{w['project']}</th><th>{w['total']}</th>"
        f"<th>{w['boundary']}</th><th>{w['distance']}</th></tr></thead><tbody>",
    ]
    out += [
        f"<tr><td>{e(r['id'])} {e(r['name'])}</td><td class=n>{r['total']}</td>"
        f"<td class=n>{r['boundary']}</td><td class=n>{r['distance']}</td></tr>"
        for r in doc["nearest_boundary"]
    ]
    out.append("</tbody></table>")
    scored = doc["projects"] - doc["failed"]
    if cut := _nearest_note(len(doc["nearest_boundary"]), scored, lang):
        out.append(f'<p class="more">{e(cut)}</p>')
    if doc["failures"]:
        out += [f"<h2>{w['failures']}</h2><ul>"]
        out += [f"<li>{e(f['id'])}{w['colon']}{e(f['error'])}</li>" for f in doc["failures"]]
        out.append("</ul>")
        if cut := more(len(doc["failures"]), doc["failed"], "个", lang):
            out.append(f'<p class="more">{e(cut)}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"
