"""Score ranges under missing evidence (`eval --partial`) in every report format: the section
each renderer adds after its own report, and the keys the JSON report gains. The ranges are
data (`runtime.partial.Ranges`); this module only words them."""

from __future__ import annotations

from html import escape
from typing import Any

from ..common.result import Result
from .explain import fixed

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from ..runtime.partial import Range, Ranges

_W: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "得分区间（证据不全）",
        "head": ("指标", "权重", "最低", "最高", "说明"),
        "final": "已确定",
        "open": "未定",
        "outer": "搜索所得（未穷尽）",
        "total": "合计",
        "grades": "可能的评价等级",
        "none_grade": "取消资格",
        "missing": "缺少的事实",
        "moves": "单独改变可改变等级",
        "stays": "单独改变不改变等级（未找到）",
        "undecided": "未判定（搜索已达上限）",
        "no_missing": "证据齐全：得分即最终得分",
        "final_total": "总分已确定：缺少的证据不改变得分",
    },
    "en": {
        "title": "Score ranges (evidence incomplete)",
        "head": ("Indicator", "Weight", "Lowest", "Highest", "Note"),
        "final": "final",
        "open": "open",
        "outer": "searched (not exhaustive)",
        "total": "Total",
        "grades": "Grades still possible",
        "none_grade": "disqualified",
        "missing": "Missing facts",
        "moves": "changing it alone can change the grade",
        "stays": "changing it alone was not found to change the grade",
        "undecided": "not decided (the search reached its limit)",
        "no_missing": "the evidence is complete: the scores are final",
        "final_total": "the total is final: the missing evidence does not change it",
    },
}


def _note(r: Range, w: dict[str, Any]) -> str:
    if not r.exact:
        return str(w["outer"])
    return str(w["final"] if r.final else w["open"])


def rows(ranges: Ranges, result: Result, lang: str) -> list[tuple[str, str, str, str, str, str]]:
    """(code, name, weight, lowest, highest, note) for each indicator that reads a missing
    fact, then the total."""
    w, places = _W[lang], result.settings.places
    out = []
    for ind in result.indicators:
        r = ranges.indicators.get(ind.code)
        if r is not None:
            out.append(
                (
                    ind.code,
                    ind.name,
                    fixed(ind.weight, places),
                    fixed(r.low.points, places),
                    fixed(r.high.points, places),
                    _note(r, w),
                )
            )
    t = ranges.total
    total = result.settings.total
    if t is not None:
        out.append(
            (
                "",
                str(w["total"]),
                fixed(total, places),
                fixed(t.low.points, places),
                fixed(t.high.points, places),
                _note(t, w),
            )
        )
    else:
        out.append(("", str(w["total"]), fixed(total, places), "—", "—", str(w["open"])))
    return out


def grades(ranges: Ranges, lang: str) -> str:
    names = [str(g if g is not None else _W[lang]["none_grade"]) for g in ranges.grades]
    return ("、" if lang == "zh" else ", ").join(names) or "—"


def missing(ranges: Ranges, lang: str) -> list[tuple[str, str]]:
    w = _W[lang]
    says = {True: w["moves"], False: w["stays"], None: w["undecided"]}
    return [(m.fact, str(says[m.moves_grade])) for m in ranges.missing]


def _summary(ranges: Ranges, lang: str) -> list[str]:
    w = _W[lang]
    out = [
        f"{w['grades']}：{grades(ranges, lang)}"
        if lang == "zh"
        else f"{w['grades']}: {grades(ranges, lang)}"
    ]
    if not ranges.missing:
        out.append(str(w["no_missing"]))
    elif ranges.total is not None and ranges.total.final:
        out.append(str(w["final_total"]))
    return out


# ----- the formats --------------------------------------------------------------------------------


def text(ranges: Ranges, result: Result, lang: str) -> str:
    from jixiao.dsl.source import display_width

    def pad(x: str, width: int, right: bool = False) -> str:
        room = " " * max(0, width - display_width(x))
        return room + x if right else x + room

    w = _W[lang]
    found = rows(ranges, result, lang)
    labels = [f"{code} {name}".strip() for code, name, *_ in found]
    width = max([display_width(x) for x in labels] + [display_width(w["head"][0])]) + 2
    head = w["head"]
    lines = ["", str(w["title"])]
    lines.append(
        pad(head[0], width) + "".join(pad(h, 10, True) for h in head[1:4]) + "  " + head[4]
    )
    for label, (_, _, weight, lo, hi, note) in zip(labels, found, strict=True):
        lines.append(
            pad(label, width) + "".join(pad(x, 10, True) for x in (weight, lo, hi)) + "  " + note
        )
    lines += _summary(ranges, lang)
    if ranges.missing:
        lines.append(f"{w['missing']}{'：' if lang == 'zh' else ':'}")
        lines += [f"    {fact}  {says}" for fact, says in missing(ranges, lang)]
    return "\n".join(lines) + "\n"


def markdown(ranges: Ranges, result: Result, lang: str) -> str:
    w = _W[lang]
    head = w["head"]
    out = ["", f"## {w['title']}", "", "| " + " | ".join(head) + " |", "|---|---:|---:|---:|---|"]
    for code, name, weight, lo, hi, note in rows(ranges, result, lang):
        label = f"{code} {name}".strip().replace("|", "\\|")
        out.append(f"| {label} | {weight} | {lo} | {hi} | {note} |")
    out.append("")
    out += [f"- {line}" for line in _summary(ranges, lang)]
    if ranges.missing:
        out += ["", f"**{w['missing']}**", ""]
        colon = "：" if lang == "zh" else ": "
        out += [f"- `{fact}`{colon}{says}" for fact, says in missing(ranges, lang)]
    return "\n".join(out) + "\n"


def html(ranges: Ranges, result: Result, lang: str) -> str:
    w = _W[lang]
    cells = "".join(f"<th>{escape(h)}</th>" for h in w["head"])
    body = "".join(
        "<tr>"
        + f"<td>{escape(f'{code} {name}'.strip())}</td>"
        + "".join(f'<td class="num">{escape(x)}</td>' for x in (weight, lo, hi))
        + f"<td>{escape(note)}</td></tr>"
        for code, name, weight, lo, hi, note in rows(ranges, result, lang)
    )
    summary = "".join(f"<p>{escape(line)}</p>" for line in _summary(ranges, lang))
    facts = "".join(
        f"<li><code>{escape(fact)}</code>{'：' if lang == 'zh' else ': '}{escape(says)}</li>"
        for fact, says in missing(ranges, lang)
    )
    listed = f"<h3>{escape(str(w['missing']))}</h3><ul>{facts}</ul>" if facts else ""
    return (
        f'<section class="partial"><h2>{escape(str(w["title"]))}</h2>'
        f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"
        f"{summary}{listed}</section>\n"
    )


def in_html(page: str, ranges: Ranges, result: Result, lang: str) -> str:
    section = html(ranges, result, lang)
    return page.replace("</body>", section + "</body>", 1) if "</body>" in page else page + section


def in_json(doc: dict[str, Any], ranges: Ranges, result: Result) -> dict[str, Any]:
    """The JSON report with the ranges: `min`/`max` on each indicator (equal to its score when
    it reads no missing fact), and at the top `min`, `max`, `grades_possible`, `missing`."""
    places = result.settings.places
    for item in doc["indicators"]:
        r = ranges.indicators.get(item["code"])
        if r is not None:
            item["min"], item["max"] = fixed(r.low.points, places), fixed(r.high.points, places)
            item["final"] = r.final
            item["exact"] = r.exact
        else:
            item["min"] = item["max"] = item["score"]
            item["final"] = item["score"] is not None
            item["exact"] = True
    t = ranges.total
    doc["min"] = fixed(t.low.points, places) if t is not None else None
    doc["max"] = fixed(t.high.points, places) if t is not None else None
    doc["final"] = t is not None and t.final
    doc["grades_possible"] = list(ranges.grades)
    doc["missing"] = [{"fact": m.fact, "moves_grade": m.moves_grade} for m in ranges.missing]
    return doc


def xlsx_sheet(sheet: Any, ranges: Any, result: Result, lang: str) -> None:
    w = _W[lang]
    sheet.append([str(w["title"])])
    sheet.append(list(w["head"]))
    for code, name, weight, lo, hi, note in rows(ranges, result, lang):
        sheet.append([f"{code} {name}".strip(), weight, lo, hi, note])
    sheet.append([])
    for line in _summary(ranges, lang):
        sheet.append([line])
    if ranges.missing:
        sheet.append([str(w["missing"])])
        for fact, says in missing(ranges, lang):
            sheet.append([fact, says])


def docx_section(out: Any, ranges: Any, result: Result, lang: str) -> None:
    w = _W[lang]
    out.heading(str(w["title"]), 2)
    found = rows(ranges, result, lang)
    table = out.table(len(found) + 1, [6.0, 1.8, 1.8, 1.8, 3.0])
    for col, head in enumerate(w["head"]):
        out.put(out.cell(table, 0, col), head, bold=True)
    for i, (code, name, weight, lo, hi, note) in enumerate(found, 1):
        for col, value in enumerate((f"{code} {name}".strip(), weight, lo, hi, note)):
            out.put(out.cell(table, i, col), value)
    for line in _summary(ranges, lang):
        out.para(line)
    for fact, says in missing(ranges, lang):
        out.para(f"{fact}：{says}" if lang == "zh" else f"{fact}: {says}")


def report_text(result: Result, ranges: Ranges, fmt: str, lang: str) -> str:
    """The report of a text format (table, JSON, Markdown, HTML) with its ranges: what
    `jixiao eval --partial --format F` prints and `jixiao serve` answers to `?partial=1`."""
    from . import render

    if fmt == "json":
        import json

        from .json_report import document

        doc = in_json(document(result, lang), ranges, result)
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return in_html(render(result, fmt, lang), ranges, result, lang)
    if fmt == "markdown":
        return render(result, fmt, lang) + markdown(ranges, result, lang)
    return render(result, fmt, lang) + text(ranges, result, lang)
