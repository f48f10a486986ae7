"""`jixiao diff` as text, JSON or HTML: the structural changes and their score impact.

Each change is drawn as a diagnostic is (dsl/diagnostics.py renders it): the new file's lines
with the changed text underlined `^`, then the old file's, underlined `-`. Points are printed
with the new pack's places, rounded half up; Δ with a sign; the mean and spread of Δ over a
portfolio with two more places (see `diff_batch.EXTRA_PLACES`). The JSON document is described in
docs/diff.md ("The JSON contract").
"""

from __future__ import annotations

import json
from decimal import Decimal
from html import escape
from typing import Any

from jixiao.dsl.diagnostics import Diagnostic, Label, Severity, render_text
from jixiao.dsl.source import Span, display_width

from ..common.lang import current, report_lang, say
from ..common.version import VERSION
from ..render.explain import fixed, line_text
from .diff import Change, OneImpact, ledger_of
from .diff_batch import BatchImpact

#: How many changed projects the text and HTML list (JSON lists them all).
PROJECTS_SHOWN = 200
DRIVERS_SHOWN = 20

#: The words drawn around the changes: the text's follow the messages' language (its sentences
#: are messages, translated through the catalogue); the HTML page's follow the report's language
#: (`lang.report_lang()`), as every report does. The JSON keeps its keys and English messages.
_W: dict[str, dict[str, str]] = {
    "zh": {
        "now": "现",
        "was": "原",
        "added": "新增",
        "removed": "删除",
        "changed": "修改",
        "colon": "：",
        "old": "旧版",
        "new": "新版",
        "html_lang": "zh-CN",
        "title": "规则包修订对比",
        "meta": "旧版 {old} · 新版 {new}",
        "structure": "结构变化（{n} 处）",
        "change_heads": "变化\t说明\t旧版位置\t新版位置",
        "no_change": "无结构变化。",
        "impact": "对 {path} 的得分影响",
        "total": "总分 {old} {old_grade} → {new} {new_grade}（Δ {delta}）",
        "heads": "指标\t旧版\t新版\tΔ",
        "ledgers": "得分变化指标的计分过程",
        "portfolio": "对项目组合的得分影响",
        "counts": "项目 {projects} 个，两版均计分 {scored} 个，得分变化 {changed} 个，未能计分 "
        "{failed} 个。总分变化：平均 {mean}，标准差 {spread}，最低 {lowest}，最高 {highest}。",
        "grades": "等级变化",
        "grade_heads": "旧版等级\t新版等级\t项目数",
        "drivers": "影响最大的指标",
        "driver_heads": "指标\tΣ|Δ|\t涉及项目",
        "projects": "得分变化的项目",
        "project_heads": "项目\t旧版\t新版\tΔ",
        "more": "…等{n}个（此处列出{shown}个）",
    },
    "en": {
        "now": "now",
        "was": "was",
        "added": "added",
        "removed": "removed",
        "changed": "changed",
        "colon": ": ",
        "old": "old",
        "new": "new",
        "html_lang": "en",
        "title": "Revision of a rule pack",
        "meta": "old {old} · new {new}",
        "structure": "Structural changes ({n})",
        "change_heads": "Change\tWhat it is\tIn the old pack\tIn the new pack",
        "no_change": "No structural change.",
        "impact": "Score impact on {path}",
        "total": "Total {old} {old_grade} → {new} {new_grade} (Δ {delta})",
        "heads": "Indicator\tOld\tNew\tΔ",
        "ledgers": "How the indicators whose points change are scored",
        "portfolio": "Score impact on the portfolio",
        "counts": "{projects} projects, {scored} scored by both packs, {changed} changed, "
        "{failed} not scored. Δ total: mean {mean}, spread {spread}, lowest {lowest}, "
        "highest {highest}.",
        "grades": "Grades",
        "grade_heads": "Old grade\tNew grade\tProjects",
        "drivers": "Indicators driving the change",
        "driver_heads": "Indicator\tΣ|Δ|\tProjects",
        "projects": "Projects whose points change",
        "project_heads": "Project\tOld\tNew\tΔ",
        "more": "… {n} in all ({shown} listed here)",
    },
}


def _change_text(change: Change, colour: bool) -> str:
    """A change in the diagnostics' layout, its head line our own."""
    w = _W[current()]
    labels = []
    if change.new is not None:
        labels.append(Label(change.new, w["now"] if change.old is not None else w["added"]))
    if change.old is not None:
        labels.append(Label(change.old, w["was"] if change.new is not None else w["removed"]))
    message = say(change.message)
    drawn = render_text(
        [Diagnostic(change.what, Severity.WARNING, message, tuple(labels))], colour=colour
    )
    body = drawn.split("\n")[1:]
    while body and not body[-1].strip().startswith("|") and not body[-1].startswith(" "):
        body.pop()  # the "1 warning" count and the blank line before it
    sign = {"added": "+", "removed": "-"}.get(change.kind, "~")
    head = f"{sign} {w.get(change.kind, change.kind)}{_what(change.what)}{w['colon']}"
    return head + message + "\n" + "\n".join(body) + "\n"


#: A change's part (`Change.what`, the JSON's `what`) as the Chinese text names it: `修改（等级）`
#: where the English reads `changed[grade]`.
_WHAT_ZH = {
    "title": "标题",
    "setting": "设置",
    "grade": "等级",
    "fact": "事实",
    "parameter": "参数",
    "derived": "派生事实",
    "function": "函数",
    "indicator": "指标",
    "bonus": "加分项",
    "penalty": "扣分项",
    "recoded": "编号",
    "moved": "位置",
    "weight": "分值",
    "scale": "计分基数",
    "rule": "规则",
    "veto": "否决",
    "form": "计分方式",
    "band": "分档",
    "threshold": "阈值",
    "condition": "条件",
    "award": "得分",
    "step": "步长",
    "cap": "上限",
    "target": "目标值",
    "subject": "计分对象",
    "reason": "理由",
    "argument": "参数值",
}


def _what(what: str) -> str:
    """The tag after `changed`: `[grade]` in English, `（等级）` in Chinese (a part this table
    does not know yet is left out rather than shown as a field name)."""
    if current() == "en":
        return f"[{what}]"
    return f"（{_WHAT_ZH[what]}）" if what in _WHAT_ZH else ""


def _counts(changes: list[Change]) -> str:
    n = {k: sum(1 for c in changes if c.kind == k) for k in ("added", "removed", "changed")}
    noun = "change" if len(changes) == 1 else "changes"
    return say(
        f"{len(changes)} {noun}: {n['added']} added, {n['removed']} removed, "
        f"{n['changed']} changed\n"
    )


def _signed(value: Decimal | None, places: int) -> str:
    if value is None:
        return "—"
    text = fixed(value, places)
    return text if text.startswith("-") or not value else "+" + text


def _points(value: Decimal | None, places: int) -> str:
    return fixed(value, places) if value is not None else "—"


# ----- text -------------------------------------------------------------------------------------


def text(
    old_path: str,
    new_path: str,
    changes: list[Change],
    one: OneImpact | None = None,
    batch: BatchImpact | None = None,
    colour: bool = False,
) -> str:
    out = [f"--- {old_path}\n+++ {new_path}\n"]
    if not changes:
        out.append(say("no structural change\n"))
    else:
        out += [_change_text(c, colour) + "\n" for c in changes]
        out.append(_counts(changes))
    if one is not None:
        out.append("\n" + _one_text(one))
    if batch is not None:
        out.append("\n" + _batch_text(batch))
    return "".join(out)


def _one_text(impact: OneImpact) -> str:
    places = impact.new.settings.places
    old, new = impact.old, impact.new
    delta = (new.total - old.total) if old.total is not None and new.total is not None else None
    out = [
        say(f"score impact on {new.evidence_path}\n"),
        say(
            f"total: {_points(old.total, places)} {old.grade or '—'} → "
            f"{_points(new.total, places)} {new.grade or '—'} (Δ {_signed(delta, places)})\n"
        ),
    ]
    moved = [r for r in impact.rows if r.old != r.new]
    if not moved:
        out.append(say("no indicator's points change\n"))
        return "".join(out)
    width = max(display_width(f"{r.code} {r.name}") for r in moved)
    for r in moved:
        label = f"{r.code} {r.name}"
        out.append(
            f"  {label}{' ' * (width - display_width(label))}  {_points(r.old, places):>8} → "
            f"{_points(r.new, places):>8}  Δ {_signed(r.delta, places)}\n"
        )
    for r in moved:
        out.append(f"\n{r.code} {r.name}\n")
        for side, result, code in (("old", old, r.old_code), ("new", new, r.code)):
            ind = ledger_of(result, code)
            side = _W[current()][side]
            if ind is None:
                out.append(say(f"  {side}: not in this pack\n"))
                continue
            shown = f"  {side}: {_points(ind.points, places)} of {fixed(ind.weight, places)}\n"
            out.append(say(shown))
            lang = report_lang()
            out += [f"    {line_text(line, ind.weight, result, lang)}\n" for line in ind.lines]
    return "".join(out)


def _grades(impact: BatchImpact) -> list[str]:
    labels = [g.label for g in impact.old_program.settings.grades]
    labels += [g.label for g in impact.new_program.settings.grades if g.label not in labels]
    seen = {g for pair in impact.flips for g in pair}
    labels += sorted(g for g in seen if g not in labels)
    return labels


def _batch_text(impact: BatchImpact) -> str:
    places = impact.new_program.settings.places
    wide = impact.places
    unscored = len(impact.failed)
    rest = (
        f"{impact.scored} scored by both packs, {len(impact.changed)} changed, {unscored} not "
        "scored by one pack or both"
    )
    out = [
        say(f"score impact on the portfolio: 1 project, {rest}\n")
        if impact.projects == 1
        else say(f"score impact on the portfolio: {impact.projects} projects, {rest}\n"),
    ]
    if impact.scored:
        out.append(
            say(
                f"Δ total: mean {_signed(impact.mean, wide)}, spread {_points(impact.spread, wide)}"
                f", lowest {_signed(impact.low, places)}, highest {_signed(impact.high, places)}\n"
            )
        )
    labels = _grades(impact)
    if impact.flips:
        out.append(say("\ngrades (rows: old pack, columns: new pack)\n"))
        cells = [["", *labels]] + [
            [a, *(str(impact.flips.get((a, b), 0)) for b in labels)] for a in labels
        ]
        width = max(display_width(c) for row in cells for c in row) + 2
        out += [
            "".join(" " * (width - display_width(c)) + c for c in row).rstrip() + "\n"
            for row in cells
        ]
        flips = [(a, b, n) for (a, b), n in sorted(impact.flips.items()) if a != b]
        for a, b, n in sorted(flips, key=lambda t: (-t[2], t[0], t[1])):
            out.append(f"  {a}→{b}: {n}\n")
    drivers = impact.ranked_drivers()
    if drivers:
        names = _names(impact)
        out.append(say("\nindicators driving the change (Σ|Δ| over projects)\n"))
        for code, total, n in drivers[:DRIVERS_SHOWN]:
            name, points = names.get(code, ""), fixed(total, places)
            out.append(
                say(f"  {code} {name}  {points}  (1 project)\n")
                if n == 1
                else say(f"  {code} {name}  {points}  ({n} projects)\n")
            )
        if len(drivers) > DRIVERS_SHOWN:
            out.append(say(f"  … {len(drivers) - DRIVERS_SHOWN} more\n"))
    if impact.changed:
        out.append(say("\nprojects whose points change (the total, the grade or an indicator's)\n"))
        for p in impact.changed[:PROJECTS_SHOWN]:
            out.append(
                f"  {p.id} {p.name}  {_points(p.old, places)} {p.old_grade or '—'} → "
                f"{_points(p.new, places)} {p.new_grade or '—'}  Δ {_signed(p.delta, places)}\n"
            )
        if len(impact.changed) > PROJECTS_SHOWN:
            more = len(impact.changed) - PROJECTS_SHOWN
            out.append(say(f"  … {more} more (all of them in JSON)\n"))
    failed = [p for p in impact.failed if p.old is None and p.new is None]
    if failed:
        out.append(say("\nprojects neither pack could score\n"))
        out += [
            f"  {p.id}: {'；'.join(say(e) for e in p.errors)}\n" for p in failed[:PROJECTS_SHOWN]
        ]
    return "".join(out)


def _names(impact: BatchImpact) -> dict[str, str]:
    names = {i.code: i.name for i in impact.old_program.indicators}
    names.update({i.code: i.name for i in impact.new_program.indicators})
    return names


# ----- JSON -------------------------------------------------------------------------------------


def _place(span: Span | None) -> dict[str, Any] | None:
    if span is None:
        return None
    line, column = span.source.line_col(span.start)
    end_line, end_column = span.source.line_col(span.end)
    return {
        "file": span.source.path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "text": span.source.text[span.start : span.end],
    }


def _dec(value: Decimal | None, places: int) -> str | None:
    return fixed(value, places) if value is not None else None


def document(
    old_path: str,
    new_path: str,
    changes: list[Change],
    one: OneImpact | None = None,
    batch: BatchImpact | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "jixiao": VERSION,
        "old": old_path,
        "new": new_path,
        "changes": [
            {
                "kind": c.kind,
                "what": c.what,
                "subject": c.subject,
                "message": c.message,
                "old": _place(c.old),
                "new": _place(c.new),
            }
            for c in changes
        ],
    }
    if one is not None:
        places = one.new.settings.places
        a, b = one.old, one.new
        delta = (b.total - a.total) if a.total is not None and b.total is not None else None
        doc["evidence"] = {
            "path": b.evidence_path,
            "old": {"total": _dec(a.total, places), "grade": a.grade},
            "new": {"total": _dec(b.total, places), "grade": b.grade},
            "delta": _dec(delta, places),
            "indicators": [
                {
                    "code": r.code,
                    "old_code": r.old_code,
                    "name": r.name,
                    "old": _dec(r.old, places),
                    "new": _dec(r.new, places),
                    "delta": _dec(r.delta, places),
                    "old_lines": _lines(a, r.old_code) if r.old != r.new else [],
                    "new_lines": _lines(b, r.code) if r.old != r.new else [],
                }
                for r in one.rows
            ],
        }
    if batch is not None:
        places = batch.new_program.settings.places
        names = _names(batch)
        doc["portfolio"] = {
            "projects": batch.projects,
            "scored": batch.scored,
            "changed": len(batch.changed),
            "failed": len(batch.failed),
            "delta": {
                "mean": _dec(batch.mean, batch.places),
                "spread": _dec(batch.spread, batch.places),
                "lowest": _dec(batch.low, places),
                "highest": _dec(batch.high, places),
            },
            "grades": [
                {"old": a, "new": b, "projects": n}
                for (a, b), n in sorted(batch.flips.items(), key=lambda t: _flip_key(batch, t[0]))
            ],
            "drivers": [
                {"code": c, "name": names.get(c, ""), "abs_delta": fixed(s, places), "projects": n}
                for c, s, n in batch.ranked_drivers()
            ],
            "projects_changed": [
                {
                    "id": p.id,
                    "name": p.name,
                    "old": _dec(p.old, places),
                    "new": _dec(p.new, places),
                    "old_grade": p.old_grade,
                    "new_grade": p.new_grade,
                    "delta": _dec(p.delta, places),
                    "errors": p.errors,
                }
                for p in batch.changed
            ],
            "failures": [{"id": p.id, "errors": p.errors} for p in batch.failed],
        }
    return doc


def _flip_key(batch: BatchImpact, pair: tuple[str, str]) -> tuple[int, int]:
    labels = _grades(batch)
    return labels.index(pair[0]), labels.index(pair[1])


def _lines(result: Any, code: str | None) -> list[str]:
    ind = ledger_of(result, code)
    if ind is None:
        return []
    return [line_text(line, ind.weight, result, report_lang()) for line in ind.lines]


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# ----- HTML -------------------------------------------------------------------------------------


def render_html(doc: dict[str, Any], lang: str | None = None) -> str:
    """A page in the portfolio summary's style (its stylesheet): no scripts, no network. Its
    words in the report's language; the changes' messages in the messages' language."""
    from ..render.html import CSS

    e = escape
    w = _W[lang or report_lang()]

    def heads(names: str) -> str:
        cells = names.split("\t")
        return "<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr></thead>"

    title = w["title"]
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{w["html_lang"]}"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f'<p class="meta">{e(w["meta"].format(old=doc["old"], new=doc["new"]))}'
        f" · jixiao {VERSION}</p>",
        f"<h2>{w['structure'].format(n=len(doc['changes']))}</h2>",
    ]
    if doc["changes"]:
        out.append(heads(w["change_heads"]) + "<tbody>")
        for c in doc["changes"]:
            out.append(
                f"<tr><td>{e(w.get(c['kind'], c['kind']))} {e(c['what'])}</td>"
                f"<td>{e(say(c['message']))}</td>"
                f"<td>{_where(c['old'])}</td><td>{_where(c['new'])}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append(f"<p>{w['no_change']}</p>")
    if "evidence" in doc:
        ev = doc["evidence"]
        total = w["total"].format(
            old=ev["old"]["total"] or "—",
            old_grade=ev["old"]["grade"] or "—",
            new=ev["new"]["total"] or "—",
            new_grade=ev["new"]["grade"] or "—",
            delta=ev["delta"] or "—",
        )
        out += [
            f"<h2>{e(w['impact'].format(path=ev['path']))}</h2>",
            f"<p>{e(total)}</p>",
            heads(w["heads"]) + "<tbody>",
        ]
        moved = [r for r in ev["indicators"] if r["old"] != r["new"]]
        for r in moved:
            out.append(
                f"<tr><td>{e(r['code'])} {e(r['name'])}</td><td class=n>{r['old'] or '—'}</td>"
                f"<td class=n>{r['new'] or '—'}</td><td class=n>{r['delta'] or '—'}</td></tr>"
            )
        out.append("</tbody></table>")
        if moved:
            out += [f"<h2>{w['ledgers']}</h2>"]
        for r in moved:
            out.append(f"<h3>{e(r['code'])} {e(r['name'])}</h3>")
            for side, lines in ((w["old"], r["old_lines"]), (w["new"], r["new_lines"])):
                items = "".join(f"<li>{e(line)}</li>" for line in lines) or "<li>—</li>"
                out.append(f"<p>{side}</p><ul>{items}</ul>")
    if "portfolio" in doc:
        pf = doc["portfolio"]
        d = pf["delta"]
        counts = w["counts"].format(
            projects=pf["projects"],
            scored=pf["scored"],
            changed=pf["changed"],
            failed=pf["failed"],
            mean=d["mean"] or "—",
            spread=d["spread"] or "—",
            lowest=d["lowest"] or "—",
            highest=d["highest"] or "—",
        )
        out += [
            f"<h2>{w['portfolio']}</h2>",
            f"<p>{counts}</p>",
            f"<h2>{w['grades']}</h2>",
            heads(w["grade_heads"]) + "<tbody>",
        ]
        out += [
            f"<tr><td>{e(g['old'])}</td><td>{e(g['new'])}</td><td class=n>{g['projects']}</td></tr>"
            for g in pf["grades"]
        ]
        out += [
            "</tbody></table>",
            f"<h2>{w['drivers']}</h2>",
            heads(w["driver_heads"]) + "<tbody>",
        ]
        out += [
            f"<tr><td>{e(r['code'])} {e(r['name'])}</td><td class=n>{r['abs_delta']}</td>"
            f"<td class=n>{r['projects']}</td></tr>"
            for r in pf["drivers"][:DRIVERS_SHOWN]
        ]
        out += [
            "</tbody></table>",
            f"<h2>{w['projects']}</h2>",
            heads(w["project_heads"]) + "<tbody>",
        ]
        out += [
            f"<tr><td>{e(p['id'])} {e(p['name'])}</td>"
            f"<td class=n>{p['old'] or '—'} {e(p['old_grade'] or '')}</td>"
            f"<td class=n>{p['new'] or '—'} {e(p['new_grade'] or '')}</td>"
            f"<td class=n>{p['delta'] or '—'}</td></tr>"
            for p in pf["projects_changed"][:PROJECTS_SHOWN]
        ]
        out.append("</tbody></table>")
        if len(pf["projects_changed"]) > PROJECTS_SHOWN:
            more = w["more"].format(n=len(pf["projects_changed"]), shown=PROJECTS_SHOWN)
            out.append(f'<p class="more">{more}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _where(place: dict[str, Any] | None) -> str:
    if place is None:
        return "—"
    text = place["text"] if len(place["text"]) <= 80 else place["text"][:79] + "…"
    where = escape(f"{place['file']}:{place['line']}:{place['column']}")
    return f"{where}<br><code>{escape(text)}</code>"
