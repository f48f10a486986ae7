"""`jixiao whatif`'s outputs: a `Whatif` (or a portfolio's nearest projects) as text, JSON (the
contract in docs/whatif.md) and an HTML page in the style of the reports."""

from __future__ import annotations

import json
from decimal import Decimal
from html import escape

from ..common.lang import report_lang
from ..common.result import Item
from ..common.types import Kind
from ..common.version import VERSION
from ..render.html import CSS
from .whatif import Change, ChangeSet, Whatif

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

    from .whatif import Recovery

_PLACES = Decimal("0.01")

#: The report's words in both languages, chosen by its language (`lang.report_lang()`): Chinese
#: unless English is chosen. The JSON keeps its keys and values whatever the language.
_W: dict[str, dict[str, str]] = {
    "zh": {
        "yes": "是",
        "no": "否",
        "yuan": "元",
        "items": "{n} 项",
        "quoted": "「{value}」",
        "derived": "（派生事实）",
        "all": "全部",
        "list": "、",
        "removed": "消除{whole} {n} 项「{fact}」（{gone}）",
        "pp": "（{sign}{delta} 个百分点）",
        "delta": "（{sign}{delta}{unit}）",
        "top": "已是最高等级。",
        "reached": "已达到 {target}。",
        "gap": "目标 {target}（≥ {lower}），还差 {gap} 分。",
        "now": "现得分 {total}（{grade}）。{goal}",
        "pinned": "固定不变的事实：",
        "first": "一、各失分指标的最小改变（每项单独改变，按改变后的证据重新计分）",
        "none_lost": "没有失分。",
        "indicator": "指标 {code} ",
        "lost": "{code} {name}：{points} / {weight}（失 {lost} 分）",
        "nothing": "没有单项事实的改变能挽回分数",
        "all_pinned": "（其事实均已固定）",
        "unchanged": "未改变固定的事实：",
        "second": "二、达到 {target} 的最省改变组合"
        "（按改变的事实数、再按改变幅度排序；每组均已复核）",
        "through": "［经 {through}］",
        "with_total": "（总分 {total}）",
        "recovery": "{change}{through}：{code} +{gain}{total}",
        "set": "{i}. 改变 {n} 项事实 → {total}（{grade}）",
        "cut": "（组合搜索已达上限而停止：可能另有更省的组合）",
        "fixed_if": "在固定{facts}的前提下，",
        "not_found": "在搜索上限内未找到达到 {target} 的改变组合（不等于无法达到）。",
        "no_rise": "无法达到 {target}：{pinned}没有任何事实的改变能提高总分。",
        "capped": "无法达到 {target}：{pinned}所有可改事实同时取最优，总分 {total}，"
        "但等级为 {grade}（否决或等级限制）。",
        "below": "无法达到 {target}：{pinned}所有可改事实同时取最优，总分最高 {total}（{grade}），"
        "仍低于 {lower}。",
        "html_lang": "zh-CN",
        "page": "{title}：整改测算",
        "meta": "规则包 {pack} · 证据 {evidence}",
        "h_first": "各失分指标的最小改变",
        "heads": "指标|得分|改变|指标得分|总分",
        "h_second": "达到 {target} 的最省改变组合",
        "h_set": "改变 {n} 项事实 → <b>{total}（{grade}）</b>，已复核",
        "cut_html": "组合搜索已达上限而停止：可能另有更省的组合。",
        # a portfolio's projects nearest each grade boundary (whatif_run)
        "cheapest": "改变 {n} 项 → {total}（{grade}）：",
        "join": "；",
        "projects": "项目 {n} 个，已计分 {scored} 个，未能计分 {failed} 个",
        "lowest": "（所选等级是最低等级：没有等级线可达）",
        "nearest": "距 {grade}（≥ {lower}）最近的项目",
        "none_below": "（没有低于此等级线的项目）",
        "project": "{head}：{total}（{grade}）",
        "b_page": "{title}：距等级线最近的项目",
        "b_meta": "项目 {n} 个，未能计分 {failed} 个 · 数据 {source}",
        "b_heads": "项目|总分|等级|最省改变组合（已复核）",
    },
    "en": {
        "yes": "yes",
        "no": "no",
        "yuan": "yuan",
        "items": "{n} items",
        "items_1": "{n} item",
        "quoted": "“{value}”",
        "derived": " (derived fact)",
        "all": "all ",
        "list": ", ",
        "removed": "remove {whole}{n} of “{fact}” ({gone})",
        "pp": " ({sign}{delta} percentage points)",
        "delta": " ({sign}{delta}{unit})",
        "top": "Already the highest grade.",
        "reached": "{target} reached.",
        "gap": "Target {target} (≥ {lower}): {gap} points short.",
        "now": "Score now {total} ({grade}). {goal}",
        "pinned": "Facts held fixed: ",
        "first": "1. The smallest change for each indicator that lost points (each change alone, "
        "scored again on the changed evidence)",
        "none_lost": "no points lost.",
        "indicator": "indicator {code}: ",
        "lost": "{code} {name}: {points} / {weight} ({lost} points lost)",
        "nothing": "no change of a single fact recovers points",
        "all_pinned": " (its facts are all held fixed)",
        "unchanged": "fixed facts not changed: ",
        "second": "2. The cheapest sets of changes that reach {target} (by the number of facts "
        "changed, then by how far; each set scored again)",
        "through": " [through {through}]",
        "with_total": " (total {total})",
        "recovery": "{change}{through}: {code} +{gain}{total}",
        "set": "{i}. change {n} fact(s) → {total} ({grade})",
        "set_1": "{i}. change {n} fact → {total} ({grade})",
        "cut": "(the search stopped at its limit: a cheaper set of changes may exist)",
        "fixed_if": "with {facts} held fixed, ",
        "not_found": "No set of changes reaching {target} was found within the search limit "
        "(which does not mean it cannot be reached).",
        "no_rise": "{target} cannot be reached: {pinned}no change of any fact raises the total.",
        "capped": "{target} cannot be reached: {pinned}with every fact that can change at its "
        "best, the total is {total} but the grade is {grade} (a veto or a grade limit).",
        "below": "{target} cannot be reached: {pinned}with every fact that can change at its "
        "best, the total is at most {total} ({grade}), still below {lower}.",
        "html_lang": "en",
        "page": "{title}: what it would take",
        "meta": "Pack {pack} · evidence {evidence}",
        "h_first": "The smallest change for each indicator that lost points",
        "heads": "Indicator|Points|Change|Indicator points|Total",
        "h_second": "The cheapest sets of changes that reach {target}",
        "h_set": "change {n} fact(s) → <b>{total} ({grade})</b>, scored again",
        "h_set_1": "change {n} fact → <b>{total} ({grade})</b>, scored again",
        "cut_html": "The search stopped at its limit: a cheaper set of changes may exist.",
        "cheapest": "change {n} fact(s) → {total} ({grade}): ",
        "cheapest_1": "change {n} fact → {total} ({grade}): ",
        "join": "; ",
        "projects": "{n} projects, {scored} scored, {failed} not scored",
        "projects_1": "{n} project, {scored} scored, {failed} not scored",
        "lowest": "(the grade chosen is the lowest: there is no boundary to reach)",
        "nearest": "Projects nearest {grade} (≥ {lower})",
        "none_below": "(no project below this boundary)",
        "project": "{head}: {total} ({grade})",
        "b_page": "{title}: projects nearest the grade boundaries",
        "b_meta": "{n} projects, {failed} not scored · data {source}",
        "b_meta_1": "{n} project, {failed} not scored · data {source}",
        "b_heads": "Project|Total|Grade|Cheapest set of changes (scored again)",
    },
}


def counted(said: dict[str, str], key: str, n: int) -> str:
    """The words of `key` for `n` things: its `_1` form for one where the language has one
    (`1 project`, not `1 projects`; Chinese has none)."""
    return said.get(f"{key}_1", said[key]) if n == 1 else said[key]


def words(lang: str | None = None) -> dict[str, str]:
    """The report's words in `lang`, else in the language a report takes (`lang.report_lang`)."""
    return _W[lang or report_lang()]


def number(value: Decimal) -> str:
    """An exact decimal without exponent or trailing zeros."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def points(value: Decimal, places: int) -> str:
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def _percent(value: Decimal) -> str:
    """A percent to 0.01 个百分点 at most (a derived rate's 28 digits shown as ≈)."""
    shown = (value * 100).quantize(_PLACES)
    return ("" if shown == value * 100 else "≈") + number(shown) + "%"


def value_text(change: Change, value: object, units: Any, w: dict[str, str] | None = None) -> str:
    w = w or words()
    if isinstance(value, bool):
        return w["yes"] if value else w["no"]
    if isinstance(value, Decimal):
        if change.kind is Kind.PERCENT:
            return _percent(value)
        unit = _unit(change, units, w)
        return number(value) + (f" {unit}" if unit and change.kind is Kind.MONEY else "")
    if isinstance(value, tuple):
        return counted(w, "items", len(value)).format(n=len(value))
    return w["quoted"].format(value=value)


def _unit(change: Change, units: Any, w: dict[str, str]) -> str:
    return str(units.get(change.fact) or (w["yuan"] if change.kind is Kind.MONEY else ""))


def change_text(change: Change, units: Any, lang: str | None = None) -> str:
    """One change in words: 设备运行正常率 92% → 95%（+3 个百分点）."""
    w = words(lang)
    name = change.fact + (w["derived"] if change.derived else "")
    if change.kind is Kind.LIST:
        old: tuple[Item, ...] = change.old  # type: ignore[assignment]
        gone = w["list"].join(change.removed)
        whole = w["all"] if len(change.removed) == len(old) else ""
        return w["removed"].format(whole=whole, n=len(change.removed), fact=change.fact, gone=gone)
    old_text = value_text(change, change.old, units, w)
    new_text = value_text(change, change.new, units, w)
    text = f"{name} {old_text} → {new_text}"
    if isinstance(change.new, Decimal) and isinstance(change.old, Decimal):
        delta = change.new - change.old
        sign = "+" if delta > 0 else "−"
        if change.kind is Kind.PERCENT:
            text += w["pp"].format(sign=sign, delta=_percent(abs(delta))[:-1])
        else:
            unit = _unit(change, units, w)
            text += w["delta"].format(
                sign=sign, delta=number(abs(delta)), unit=(" " + unit) if unit else ""
            )
    return text


def _goal(w: Whatif, lang: str | None = None) -> str:
    said = words(lang)
    if w.target is None:
        return said["top"] if w.top else ""
    if w.reached:
        return said["reached"].format(target=w.target)
    assert w.lower is not None
    gap = points(w.lower - w.total, w.places)
    return said["gap"].format(target=w.target, lower=number(w.lower), gap=gap)


# ----- text ---------------------------------------------------------------------------------------


def render_text(w: Whatif, indicator: str | None = None, lang: str | None = None) -> str:
    p, said = w.places, words(lang)
    now = said["now"].format(total=points(w.total, p), grade=w.grade, goal=_goal(w, lang))
    out = [w.title, now.rstrip()]
    if w.pinned:
        out.append(said["pinned"] + said["list"].join(w.pinned))
    out.append("")
    out.append(said["first"])
    if not w.lost:
        out.append(f"  {said['indicator'].format(code=indicator) if indicator else ''}"
                   f"{said['none_lost']}")  # fmt: skip
    for lost in w.lost:
        out.append(
            said["lost"].format(
                code=lost.code,
                name=lost.name,
                points=points(lost.points, p),
                weight=number(lost.weight),
                lost=points(lost.weight - lost.points, p),
            )
        )
        for r in lost.recoveries:
            out.append("  · " + _recovery_text(r, lost.code, w, lang))
        if not lost.recoveries:
            why = said["all_pinned"] if lost.pinned else ""
            out.append(f"  · {said['nothing']}{why}")
        elif lost.pinned:
            out.append("  · " + said["unchanged"] + said["list"].join(lost.pinned))
    if w.target is not None and not w.reached:
        out.append("")
        out.append(said["second"].format(target=w.target))
        out.extend(_sets_text(w, lang))
    return "\n".join(out) + "\n"


def _recovery_text(r: Recovery, code: str, w: Whatif, lang: str | None = None) -> str:
    said = words(lang)
    through = said["through"].format(through=r.through) if r.through else ""
    total = (
        said["with_total"].format(total=points(r.total, w.places)) if r.total is not None else ""
    )
    return said["recovery"].format(
        change=change_text(r.change, w.units, lang),
        through=through,
        code=code,
        gain=points(r.gain, w.places),
        total=total,
    )


def _sets_text(w: Whatif, lang: str | None = None) -> list[str]:
    said = words(lang)
    out = []
    for i, s in enumerate(w.sets, 1):
        head = counted(said, "set", len(s.changes)).format(
            i=i, n=len(s.changes), total=points(s.total, w.places), grade=s.grade
        )
        out.append("  " + head)
        out.extend(f"     · {change_text(c, w.units, lang)}" for c in s.changes)
    if not w.sets:
        out.append("  " + unreachable(w, lang))
    if w.cut:
        out.append("  " + said["cut"])
    return out


def unreachable(w: Whatif, lang: str | None = None) -> str:
    said = words(lang)
    pinned = said["fixed_if"].format(facts=said["list"].join(w.pinned)) if w.pinned else ""
    if w.cut:
        return said["not_found"].format(target=w.target)
    if w.best is None:
        return said["no_rise"].format(target=w.target, pinned=pinned)
    best = points(w.best.total, w.places)
    if w.lower is not None and w.best.total >= w.lower:
        return said["capped"].format(target=w.target, pinned=pinned, total=best, grade=w.best.grade)
    return said["below"].format(
        target=w.target,
        pinned=pinned,
        total=best,
        grade=w.best.grade,
        lower=number(w.lower or Decimal(0)),
    )


# ----- JSON ---------------------------------------------------------------------------------------


def _value_json(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, tuple):
        return [i.text if isinstance(i, Item) else str(i) for i in value]
    return str(value)


def change_json(c: Change) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "fact": c.fact,
        "kind": c.kind.value,
        "derived": c.derived,
        "from": _value_json(c.old),
        "to": _value_json(c.new),
    }
    if isinstance(c.new, Decimal) and isinstance(c.old, Decimal):
        doc["delta"] = number(c.new - c.old)
    if c.kind is Kind.LIST:
        doc["removed"] = list(c.removed)
    return doc


def set_json(s: ChangeSet, places: int) -> dict[str, Any]:
    return {
        "facts": len(s.changes),
        "changes": [change_json(c) for c in s.changes],
        "total": points(s.total, places),
        "grade": s.grade,
        "verified": True,
    }


def document(w: Whatif) -> dict[str, Any]:
    p = w.places
    target = None
    if w.target is not None:
        target = {
            "grade": w.target,
            "lower": number(w.lower) if w.lower is not None else None,
            "gap": points(max(w.lower - w.total, Decimal(0)), p) if w.lower is not None else None,
            "reached": w.reached,
            # null: the search stopped short without finding a set (unknown, not unreachable)
            "reachable": True if w.reached or w.sets else (None if w.cut else False),
        }
    return {
        "pack": w.title,
        "pack_path": w.pack_path,
        "evidence": w.evidence_path,
        "project": dict(w.project),
        "total": points(w.total, p),
        "grade": w.grade,
        "target": target,
        "pinned": list(w.pinned),
        "indicators": [
            {
                "code": lost.code,
                "name": lost.name,
                "weight": number(lost.weight),
                "points": points(lost.points, p),
                "pinned": list(lost.pinned),
                "changes": [
                    {
                        **change_json(r.change),
                        "through": r.through,
                        "points": points(r.points, p),
                        "gain": points(r.gain, p),
                        "total": points(r.total, p) if r.total is not None else None,
                    }
                    for r in lost.recoveries
                ],
            }
            for lost in w.lost
        ],
        "sets": [set_json(s, p) for s in w.sets],
        "best": set_json(w.best, p) if w.best is not None else None,
        "search_cut": w.cut,
        "jixiao": VERSION,
    }


def render_json(w: Whatif) -> str:
    return json.dumps(document(w), ensure_ascii=False, indent=2) + "\n"


# ----- HTML ---------------------------------------------------------------------------------------


def render_html(w: Whatif, indicator: str | None = None, lang: str | None = None) -> str:
    e = escape
    p, said = w.places, words(lang)
    page = said["page"].format(title=w.title)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{said["html_lang"]}"><head><meta charset="utf-8">',
        f"<title>{e(page)}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(page)}</h1>",
        f'<p class="meta">{e(said["meta"].format(pack=w.pack_path, evidence=w.evidence_path))}'
        f" · jixiao {VERSION}</p>",
        f'<div class="verdict"><span class="big">{points(w.total, p)}</span>'
        f'<span class="grade">{e(w.grade)}</span><span>{e(_goal(w, lang))}</span></div>',
    ]
    if w.pinned:
        out.append(f"<p>{e(said['pinned'] + said['list'].join(w.pinned))}</p>")
    out.append(f"<h2>{said['h_first']}</h2>")
    heads = "".join(f"<th>{h}</th>" for h in said["heads"].split("|"))
    out.append(f"<table><thead><tr>{heads}</tr></thead><tbody>")
    for lost in w.lost:
        rows = lost.recoveries or ()
        head = (
            f"<td>{e(lost.code)} {e(lost.name)}</td>"
            f"<td class=n>{points(lost.points, p)} / {number(lost.weight)}</td>"
        )
        if not rows:
            out.append(f"<tr>{head}<td colspan=3>{said['nothing']}</td></tr>")
        for i, r in enumerate(rows):
            through = said["through"].format(through=r.through) if r.through else ""
            cells = (
                f"<td>{e(change_text(r.change, w.units, lang) + through)}</td>"
                f'<td class="n gain">+{points(r.gain, p)}</td>'
                f"<td class=n>{points(r.total, p) if r.total is not None else '—'}</td>"
            )
            out.append(f"<tr>{head if i == 0 else '<td></td><td></td>'}{cells}</tr>")
    out.append("</tbody></table>")
    if w.target is not None and not w.reached:
        out.append(f"<h2>{e(said['h_second'].format(target=w.target))}</h2>")
        if w.sets:
            out.append("<ol class=reasons>")
            for s in w.sets:
                items = "".join(f"<li>{e(change_text(c, w.units, lang))}</li>" for c in s.changes)
                done = counted(said, "h_set", len(s.changes)).format(
                    n=len(s.changes), total=points(s.total, p), grade=e(s.grade)
                )
                out.append(f"<li>{done}<ul>{items}</ul></li>")
            out.append("</ol>")
        else:
            out.append(f"<p class=lost>{e(unreachable(w, lang))}</p>")
        if w.cut:
            out.append(f'<p class="more">{said["cut_html"]}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(w: Whatif, fmt: str, indicator: str | None = None, lang: str | None = None) -> str:
    if fmt == "json":
        return render_json(w)
    if fmt == "html":
        return render_html(w, indicator, lang)
    return render_text(w, indicator, lang)
