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


def weighting_note(weighting: dict[str, Any]) -> str:
    """`2个项目没有预算金额（未给出或不大于0），未计入加权平均：P4、P5`; "" when none is
    left out (projects not scored are in no mean, weighted or not)."""
    n = weighting["without_weight"]
    if not n:
        return ""
    ids = "、".join(weighting["without_weight_ids"])
    cut = more(len(weighting["without_weight_ids"]), n, "个")
    return f"{n}个项目没有{weighting['by']}（未给出或不大于0），未计入加权平均：{ids}" + (
        f"{cut}" if cut else ""
    )


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


def more(shown: int, total: int, what: str = "项") -> str:
    """What a cut list says after its last entry: `…等45项（此处列出20项）`; "" when none is cut."""
    if total <= shown:
        return ""
    return f"…等{total}{what}（此处列出{shown}{what}）"


def _nearest_note(shown: int, scored: int) -> str:
    if scored <= shown:
        return ""
    return f"…等{scored}个已计分项目（此处列出最接近分界的{shown}个）"


def render_json(summary: Summary) -> str:
    return json.dumps(document(summary), ensure_ascii=False, indent=2) + "\n"


def render_markdown(summary: Summary) -> str:
    doc = document(summary)
    out = [
        f"# {doc['pack']}：项目组合评价汇总",
        "",
        f"项目 {doc['projects']} 个，其中未能计分 {doc['failed']} 个。",
        "",
    ]
    weighting = doc.get("weighting")
    if weighting:
        out += [
            f"## 资金量加权（按{weighting['by']}）",
            "",
            f"加权平均按各项目的{weighting['by']}加权，计入 {weighting['projects']} 个已计分项目。",
            "",
            "| | 平均 | 加权平均 |",
            "|---|---:|---:|",
            f"| 总分 | {weighting['mean_total']} | {weighting['weighted_mean_total']} |",
            "",
        ]
        if note := weighting_note(weighting):
            out += [note, ""]
    out += [
        "## 等级分布",
        "",
        "| 等级 | 项目数 |",
        "|---|---:|",
    ]
    out += [f"| {g} | {n} |" for g, n in doc["grades"].items()]
    out += [
        "",
        "## 各指标得分率",
        "",
        "| 指标 | 平均得分率 |"
        + (f" 加权平均得分率（按{weighting['by']}） |" if weighting else "")
        + " 标准差 | 最低 | 最高 | 累计失分 |",
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
        "## 主要失分原因",
        "",
        "| 指标 | 原因 | 累计失分 | 涉及项目 |",
        "|---|---|---:|---:|",
    ]
    out += [
        f"| {r['code']} | {r['reason']} | {r['points_lost']} | {r['projects']} |"
        for r in doc["reasons"]
    ]
    if cut := more(len(doc["reasons"]), doc["reasons_total"]):
        out += ["", cut]
    out += [
        "",
        "## 最接近等级分界的项目",
        "",
        "| 项目 | 总分 | 分界 | 差距 |",
        "|---|---:|---:|---:|",
    ]
    out += [
        f"| {r['id']} {r['name']} | {r['total']} | {r['boundary']} | {r['distance']} |"
        for r in doc["nearest_boundary"]
    ]
    scored = doc["projects"] - doc["failed"]
    if cut := _nearest_note(len(doc["nearest_boundary"]), scored):
        out += ["", cut]
    if doc["failures"]:
        out += ["", "## 未能计分的项目", ""]
        out += [f"- {f['id']}：{f['error']}" for f in doc["failures"]]
        if cut := more(len(doc["failures"]), doc["failed"], "个"):
            out += ["", cut]
    return "\n".join(out) + "\n"


def _bars_vertical(data: list[tuple[str, int]]) -> str:
    width, height, pad = 60 * max(len(data), 1) + 40, 220, 30
    top = max([n for _, n in data] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="等级分布">'
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


def _bars_horizontal(data: list[tuple[str, Decimal]]) -> str:
    row, label_w, bar_w = 22, 260, 420
    height = row * len(data) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" '
        f'height="{height}" role="img" aria-label="各指标平均得分率">'
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


def render_html(summary: Summary) -> str:
    doc = document(summary)
    e = escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(doc['pack'])}：项目组合评价汇总</title><style>{CSS}</style></head><body>",
        f"<h1>{e(doc['pack'])}：项目组合评价汇总</h1>",
        f'<p class="meta">项目 {doc["projects"]} 个，未能计分 {doc["failed"]} 个 · '
        f"规则包 {e(doc['pack_path'])} SHA-256 {doc['pack_sha256']} · 数据 {e(doc['input'])} "
        f"SHA-256 {doc['input_sha256']} · jixiao {VERSION}</p>",
    ]
    weighting = doc.get("weighting")
    if weighting:
        by = e(weighting["by"])
        out += [
            f"<h2>资金量加权（按{by}）</h2>",
            f"<p>加权平均按各项目的{by}加权，计入 {weighting['projects']} 个已计分项目。</p>",
            "<table><thead><tr><th></th><th>平均</th><th>加权平均</th></tr></thead><tbody>",
            f"<tr><td>总分</td><td class=n>{weighting['mean_total']}</td>"
            f"<td class=n>{weighting['weighted_mean_total']}</td></tr>",
            "</tbody></table>",
        ]
        if note := weighting_note(weighting):
            out.append(f'<p class="more">{e(note)}</p>')
    out += [
        "<h2>等级分布</h2>",
        _bars_vertical(list(doc["grades"].items())),
    ]
    leaves = [
        (f"{i['code']} {i['name']}", summary.stats[i["code"]].mean or Decimal(0))
        for i in doc["indicators"]
        if i["leaf"]
    ]
    out += ["<h2>各指标平均得分率</h2>", _bars_horizontal(leaves)]
    out += [
        "<table><thead><tr><th>指标</th><th>平均得分率</th>"
        + (f"<th>加权平均得分率（按{e(weighting['by'])}）</th>" if weighting else "")
        + "<th>标准差</th><th>最低</th><th>最高</th><th>累计失分</th></tr></thead><tbody>"
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
        "<h2>主要失分原因</h2>",
        "<table><thead><tr><th>指标</th><th>原因</th><th>累计失分</th><th>涉及项目</th></tr>"
        "</thead><tbody>",
    ]
    out += [
        f"<tr><td>{e(r['code'])}</td><td>{e(r['reason'])}</td>"
        f"<td class=n>{r['points_lost']}</td><td class=n>{r['projects']}</td></tr>"
        for r in doc["reasons"]
    ]
    out.append("</tbody></table>")
    if cut := more(len(doc["reasons"]), doc["reasons_total"]):
        out.append(f'<p class="more">{e(cut)}</p>')
    out += [
        "<h2>最接近等级分界的项目</h2>",
        "<table><thead><tr><th>项目</th><th>总分</th><th>分界</th><th>差距</th></tr></thead>"
        "<tbody>",
    ]
    out += [
        f"<tr><td>{e(r['id'])} {e(r['name'])}</td><td class=n>{r['total']}</td>"
        f"<td class=n>{r['boundary']}</td><td class=n>{r['distance']}</td></tr>"
        for r in doc["nearest_boundary"]
    ]
    out.append("</tbody></table>")
    scored = doc["projects"] - doc["failed"]
    if cut := _nearest_note(len(doc["nearest_boundary"]), scored):
        out.append(f'<p class="more">{e(cut)}</p>')
    if doc["failures"]:
        out += ["<h2>未能计分的项目</h2><ul>"]
        out += [f"<li>{e(f['id'])}：{e(f['error'])}</li>" for f in doc["failures"]]
        out.append("</ul>")
        if cut := more(len(doc["failures"]), doc["failed"], "个"):
            out.append(f'<p class="more">{e(cut)}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"
