"""`jixiao whatif`'s outputs: a `Whatif` (or a portfolio's nearest projects) as text, JSON (the
contract in docs/whatif.md) and an HTML page in the style of the reports."""

from __future__ import annotations

import json
from decimal import Decimal
from html import escape

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


def value_text(change: Change, value: object, units: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        if change.kind is Kind.PERCENT:
            return _percent(value)
        unit = units.get(change.fact) or ("元" if change.kind is Kind.MONEY else "")
        return number(value) + (f" {unit}" if unit and change.kind is Kind.MONEY else "")
    if isinstance(value, tuple):
        return f"{len(value)} 项"
    return f"「{value}」"


def change_text(change: Change, units: Any) -> str:
    """One change in words: 设备运行正常率 92% → 95%（+3 个百分点）."""
    name = change.fact + ("（派生事实）" if change.derived else "")
    if change.kind is Kind.LIST:
        old: tuple[Item, ...] = change.old  # type: ignore[assignment]
        gone = "、".join(change.removed)
        whole = "全部" if len(change.removed) == len(old) else ""
        return f"消除{whole}{len(change.removed)} 项「{change.fact}」（{gone}）"
    old_text = value_text(change, change.old, units)
    new_text = value_text(change, change.new, units)
    text = f"{name} {old_text} → {new_text}"
    if isinstance(change.new, Decimal) and isinstance(change.old, Decimal):
        delta = change.new - change.old
        sign = "+" if delta > 0 else "−"
        if change.kind is Kind.PERCENT:
            text += f"（{sign}{_percent(abs(delta))[:-1]} 个百分点）"
        else:
            unit = units.get(change.fact) or ("元" if change.kind is Kind.MONEY else "")
            text += f"（{sign}{number(abs(delta))}{(' ' + unit) if unit else ''}）"
    return text


def _goal(w: Whatif) -> str:
    if w.target is None:
        return "已是最高等级。" if w.top else ""
    if w.reached:
        return f"已达到 {w.target}。"
    assert w.lower is not None
    gap = w.lower - w.total
    return f"目标 {w.target}（≥ {number(w.lower)}），还差 {points(gap, w.places)} 分。"


# ----- text ---------------------------------------------------------------------------------------


def render_text(w: Whatif, indicator: str | None = None) -> str:
    p = w.places
    out = [w.title, f"现得分 {points(w.total, p)}（{w.grade}）。{_goal(w)}".rstrip()]
    if w.pinned:
        out.append("固定不变的事实：" + "、".join(w.pinned))
    out.append("")
    out.append("一、各失分指标的最小改变（每项单独改变，按改变后的证据重新计分）")
    if not w.lost:
        out.append(f"  {'指标 ' + indicator + ' ' if indicator else ''}没有失分。")
    for lost in w.lost:
        out.append(
            f"{lost.code} {lost.name}：{points(lost.points, p)} / {number(lost.weight)}"
            f"（失 {points(lost.weight - lost.points, p)} 分）"
        )
        for r in lost.recoveries:
            out.append("  · " + _recovery_text(r, lost.code, w))
        if not lost.recoveries:
            why = "（其事实均已固定）" if lost.pinned else ""
            out.append(f"  · 没有单项事实的改变能挽回分数{why}")
        elif lost.pinned:
            out.append("  · 未改变固定的事实：" + "、".join(lost.pinned))
    if w.target is not None and not w.reached:
        out.append("")
        out.append(
            f"二、达到 {w.target} 的最省改变组合（按改变的事实数、再按改变幅度排序；每组均已复核）"
        )
        out.extend(_sets_text(w))
    return "\n".join(out) + "\n"


def _recovery_text(r: Recovery, code: str, w: Whatif) -> str:
    through = f"［经 {r.through}］" if r.through else ""
    total = f"（总分 {points(r.total, w.places)}）" if r.total is not None else ""
    return f"{change_text(r.change, w.units)}{through}：{code} +{points(r.gain, w.places)}{total}"


def _sets_text(w: Whatif) -> list[str]:
    out = []
    for i, s in enumerate(w.sets, 1):
        out.append(
            f"  {i}. 改变 {len(s.changes)} 项事实 → {points(s.total, w.places)}（{s.grade}）"
        )
        out.extend(f"     · {change_text(c, w.units)}" for c in s.changes)
    if not w.sets:
        out.append("  " + unreachable(w))
    if w.cut:
        out.append("  （组合搜索已达上限而停止：可能另有更省的组合）")
    return out


def unreachable(w: Whatif) -> str:
    pinned = f"在固定{'、'.join(w.pinned)}的前提下，" if w.pinned else ""
    if w.cut:
        return f"在搜索上限内未找到达到 {w.target} 的改变组合（不等于无法达到）。"
    if w.best is None:
        return f"无法达到 {w.target}：{pinned}没有任何事实的改变能提高总分。"
    if w.lower is not None and w.best.total >= w.lower:
        return (
            f"无法达到 {w.target}：{pinned}所有可改事实同时取最优，总分 "
            f"{points(w.best.total, w.places)}，但等级为 {w.best.grade}（否决或等级限制）。"
        )
    return (
        f"无法达到 {w.target}：{pinned}所有可改事实同时取最优，总分最高 "
        f"{points(w.best.total, w.places)}（{w.best.grade}），"
        f"仍低于 {number(w.lower or Decimal(0))}。"
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


def render_html(w: Whatif, indicator: str | None = None) -> str:
    e = escape
    p = w.places
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(w.title)}：整改测算</title><style>{CSS}</style></head><body>",
        f"<h1>{e(w.title)}：整改测算</h1>",
        f'<p class="meta">规则包 {e(w.pack_path)} · 证据 {e(w.evidence_path)} · '
        f"jixiao {VERSION}</p>",
        f'<div class="verdict"><span class="big">{points(w.total, p)}</span>'
        f'<span class="grade">{e(w.grade)}</span><span>{e(_goal(w))}</span></div>',
    ]
    if w.pinned:
        out.append(f"<p>固定不变的事实：{e('、'.join(w.pinned))}</p>")
    out.append("<h2>各失分指标的最小改变</h2>")
    out.append(
        "<table><thead><tr><th>指标</th><th>得分</th><th>改变</th><th>指标得分</th>"
        "<th>总分</th></tr></thead><tbody>"
    )
    for lost in w.lost:
        rows = lost.recoveries or ()
        head = (
            f"<td>{e(lost.code)} {e(lost.name)}</td>"
            f"<td class=n>{points(lost.points, p)} / {number(lost.weight)}</td>"
        )
        if not rows:
            out.append(f"<tr>{head}<td colspan=3>没有单项事实的改变能挽回分数</td></tr>")
        for i, r in enumerate(rows):
            through = f"［经 {r.through}］" if r.through else ""
            cells = (
                f"<td>{e(change_text(r.change, w.units) + through)}</td>"
                f'<td class="n gain">+{points(r.gain, p)}</td>'
                f"<td class=n>{points(r.total, p) if r.total is not None else '—'}</td>"
            )
            out.append(f"<tr>{head if i == 0 else '<td></td><td></td>'}{cells}</tr>")
    out.append("</tbody></table>")
    if w.target is not None and not w.reached:
        out.append(f"<h2>达到 {e(w.target)} 的最省改变组合</h2>")
        if w.sets:
            out.append("<ol class=reasons>")
            for s in w.sets:
                items = "".join(f"<li>{e(change_text(c, w.units))}</li>" for c in s.changes)
                out.append(
                    f"<li>改变 {len(s.changes)} 项事实 → <b>{points(s.total, p)}（{e(s.grade)}）"
                    f"</b>，已复核<ul>{items}</ul></li>"
                )
            out.append("</ol>")
        else:
            out.append(f"<p class=lost>{e(unreachable(w))}</p>")
        if w.cut:
            out.append('<p class="more">组合搜索已达上限而停止：可能另有更省的组合。</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(w: Whatif, fmt: str, indicator: str | None = None) -> str:
    if fmt == "json":
        return render_json(w)
    if fmt == "html":
        return render_html(w, indicator)
    return render_text(w, indicator)
