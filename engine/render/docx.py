"""The result as an editable Word draft of a 绩效评价报告, in the published report's outline.

Cover (the evidence's `project:` fields); 一、基本情况 (those fields, the pack, its basis and
period); 二、评价结论 (the total and grade, each 一级指标's points of its weight and rate, 表1 the
level summary, 表2 the score table as the published Table 5: one column per level, each ancestor
merged down over its leaves, a leaf above the deepest level merged across); 三、主要扣分原因
(every point lost, with the facts it rests on); 附件 (each indicator's 评分标准, rule and ledger;
the derived facts); the audit record (SHA-256 of the pack, the evidence and every other input,
the pack's version, jixiao's). An evaluation that could not give a total says why and which
indicators and facts are missing. Styling and python-docx live in `word`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

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

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from .word import Writer

#: How the cover and 基本情况 name the evidence's usual `project:` keys; others show as written.
PROJECT_LABELS = {
    "name": ("项目名称", "Project"),
    "id": ("项目编号", "Project id"),
    "unit": ("项目单位", "Implementing unit"),
    "department": ("主管部门", "Competent department"),
    "client": ("委托单位", "Commissioned by"),
    "evaluator": ("评价机构", "Evaluated by"),
    "year": ("项目年度", "Year"),
    "date": ("报告日期", "Date"),
}
#: The keys the cover shows, in this order (the others only in 基本情况).
COVER_KEYS = ("name", "id", "unit", "department", "client", "evaluator")

_W = {
    "zh": {
        "cover": "财政项目支出绩效评价报告",
        "basics": "一、基本情况",
        "conclusion": "二、评价结论",
        "result": "（一）评价结果",
        "summary_table": "表1：项目绩效得分情况表",
        "score_head": "（二）绩效评价得分情况",
        "score_table": "表2：项目绩效评价得分情况表",
        "losses": "三、主要扣分原因",
        "appendix": "附件：指标评分明细",
        "audit": "附：计分依据与校验信息",
        "pack": "评价指标体系",
        "authority": "评价依据",
        "period": "评价期间",
        "to": "至",
        "weight": "分值",
        "points": "得分",
        "rate": "得分率",
        "full": "满分值",
        "scored": "评价分值",
        "indicator": "指标",
        "total": "合计",
        "standard": "评分标准",
        "rule": "计分规则（规则包原文）",
        "change": "分值变动",
        "explain": "说明及依据",
        "facts": "依据",
        "failed": "未能计分",
        "missing": "证据中缺少事实“{fact}”",
        "undecided": "（三）未能计分的指标",
        "none_lost": "本项目各项指标均得满分，无扣分。",
        "derived": "派生事实",
        "notes": "提示",
        "digests": "本报告的得分由 jixiao {version} 按下列规则包和证据计算；"
        "文件的 SHA-256 摘要可用于核对所用文件未经改动。",
        "file": "文件",
        "role": "用途",
        "evidence": "证据",
        "input": "其他输入",
        "rules_file": "规则包",
        "version": "版本",
        "adjust": "（三）加减分与一票否决",
        "veto": "一票否决",
        "tree_total": "指标得分合计",
        "program": "计分程序",
    },
    "en": {
        "cover": "Performance Evaluation Report",
        "basics": "1 Basic information",
        "conclusion": "2 Conclusion",
        "result": "2.1 Result",
        "summary_table": "Table 1: Points by first-level indicator",
        "score_head": "2.2 Score table",
        "score_table": "Table 2: Score table",
        "losses": "3 Main reasons points were lost",
        "appendix": "Annex: indicator by indicator",
        "audit": "Audit record",
        "pack": "Indicator system",
        "authority": "Basis",
        "period": "Evaluation period",
        "to": "to",
        "weight": "Weight",
        "points": "Points",
        "rate": "Rate",
        "full": "Weight",
        "scored": "Points",
        "indicator": "Indicator",
        "total": "Total",
        "standard": "Standard",
        "rule": "Rule (as written in the pack)",
        "change": "Change",
        "explain": "Explanation and evidence",
        "facts": "Evidence",
        "failed": "not scored",
        "missing": "the evidence lacks the fact `{fact}`",
        "undecided": "2.3 Indicators not scored",
        "none_lost": "Every indicator scored its full weight: nothing was lost.",
        "derived": "Derived facts",
        "notes": "Notes",
        "digests": "The points in this report were computed by jixiao {version} from the pack "
        "and evidence below; their SHA-256 digests show that the files used are unchanged.",
        "file": "File",
        "role": "Role",
        "evidence": "evidence",
        "input": "other input",
        "rules_file": "pack",
        "version": "version",
        "adjust": "2.3 Bonus, penalty and vetoes",
        "veto": "Veto",
        "tree_total": "indicator points",
        "program": "Scored by",
    },
}


def write(
    result: Result, path: Path, lang: str = "zh", note: str | None = None, ranges: object = None
) -> None:
    """Write the report to `path`; `note` says why there is no total, when there is none;
    `ranges`: the score ranges of `eval --partial`, in the conclusion."""
    data = render(result, lang, note, ranges)
    with open(path, "wb") as f:
        f.write(data)


def render(
    result: Result, lang: str = "zh", note: str | None = None, ranges: object = None
) -> bytes:
    """The .docx file's bytes: the same result always gives the same bytes."""
    from .word import Writer

    w = _W[lang]
    title = dict(result.project).get("name") or result.settings.title
    out = Writer(lang, title, w["cover"], f"jixiao {VERSION}")
    _cover(out, result, lang)
    out.heading(w["basics"], 1)
    _basics(out, result, lang)
    out.heading(w["conclusion"], 1)
    _conclusion(out, result, lang, note)
    if ranges is not None:
        from .partial_report import docx_section

        docx_section(out, ranges, result, lang)
    out.heading(w["losses"], 1)
    _losses(out, result, lang)
    out.heading(w["appendix"], 1, new_page=True)
    _appendix(out, result, lang)
    out.heading(w["audit"], 1)
    _audit(out, result, lang)
    return out.save()


def _cover(out: Writer, result: Result, lang: str) -> None:
    from .word import COVER_PT

    zh = lang == "zh"
    project = dict(result.project)
    out.blank(6)
    out.title(_W[lang]["cover"], COVER_PT)
    out.blank(4)
    project["name"] = project.get("name") or result.settings.title
    for key in COVER_KEYS:
        if key in project:
            out.cover_line(PROJECT_LABELS[key][0 if zh else 1], project[key])
    out.blank(6)
    out.centred(project.get("date") or ("年    月" if zh else ""))  # for the evaluator to date
    out.title(project["name"], new_page=True)


def _basics(out: Writer, result: Result, lang: str) -> None:
    w = _W[lang]
    zh = lang == "zh"
    s = result.settings
    project = dict(result.project)
    project["name"] = project.get("name") or s.title  # `name:` left empty: the pack's
    for key, value in sorted(project.items(), key=lambda kv: kv[0] != "name"):
        labels = PROJECT_LABELS.get(key)
        out.labelled(labels[0 if zh else 1] if labels else key, value)
    version = (f"（{s.version}）" if zh else f" ({s.version})") if s.version else ""
    out.labelled(w["pack"], s.title + version)
    if s.authority:
        out.labelled(w["authority"], s.authority)
    if s.period is not None:
        start, end = s.period
        out.labelled(w["period"], f"{start.isoformat()} {w['to']} {end.isoformat()}")


def _conclusion(out: Writer, result: Result, lang: str, note: str | None) -> None:
    w = _W[lang]
    zh = lang == "zh"
    s = result.settings
    places = s.places
    roots = [i for i in result.indicators if i.parent is None]
    out.heading(w["result"], 2)
    if result.total is not None:
        total, grade = fixed(result.total, places), grade_text(result, lang)
        out.para(
            f"该项目总体得分为 {total} 分，财政支出绩效评价等级为：{grade}。"
            if zh
            else f"The project scores {total} in total; its grade is {grade}."
        )
    else:
        out.para(note or ("未能得出总分。" if zh else "No total could be given."))
    parts = [_level(i, places, lang) for i in roots]
    if parts:
        out.para("其中，" + "；".join(parts) + "。" if zh else "; ".join(parts) + ".")
    out.caption(w["summary_table"])
    table = out.table(len(roots) + 2, [6.4, 2.8, 2.8, 2.8])
    for cell, head in zip(
        table.rows[0].cells, ("indicator", "full", "scored", "rate"), strict=True
    ):
        out.put(cell, w[head], bold=True, align="center")
    for row, ind in zip(table.rows[1:], roots, strict=False):
        name, weight, points, rate = row.cells
        out.put(name, f"{ind.code} {ind.name}")
        out.put(weight, plain(ind.weight), align="center")
        out.put(points, points_text(ind, places, lang), align="center")
        out.put(rate, rate_text(ind), align="center")
    for i, text in enumerate(_totals(result, roots, lang)):
        out.put(table.rows[-1].cells[i], text, bold=True, align="center" if i else "left")

    out.heading(w["score_head"], 2)
    out.caption(w["score_table"])
    _score_table(out, result, lang)
    undecided = [i for i in result.indicators if i.points is None and i.failures]
    if undecided:
        out.heading(w["undecided"], 2)
        for ind in undecided:
            out.para("；".join(_failures(ind, lang)), bold=f"{ind.code} {ind.name}：")
    if result.extras or any(v.fired for v in result.vetoes) or result.total_lines:
        out.heading(w["adjust"], 2)
        _adjustments(out, result, lang)


def _level(ind: IndicatorResult, places: int, lang: str) -> str:
    """`A 项目决策类指标满分为 10 分，得分 9.00 分，得分率为 90.00%`, or why it has no points."""
    zh = lang == "zh"
    if ind.points is None or ind.excluded:
        what = _W[lang]["failed"] if ind.points is None else words(lang)["na"]
        if zh:
            return f"{ind.code} {ind.name}类指标满分为 {plain(ind.weight)} 分，{what}"
        return f"{ind.code} {ind.name}: {what} (weight {plain(ind.weight)})"
    points, rate = fixed(ind.points, places), rate_text(ind)
    if zh:
        return (
            f"{ind.code} {ind.name}类指标满分为 {plain(ind.weight)} 分，得分 {points} 分，"
            f"得分率为 {rate}"
        )
    return f"{ind.code} {ind.name}: {points} of {plain(ind.weight)} ({rate})"


def _totals(result: Result, roots: list[IndicatorResult], lang: str) -> tuple[str, ...]:
    """合计, the weights' sum, the total and its rate."""
    top = sum((i.weight for i in roots), result.settings.total * 0)
    total = fixed(result.total, result.settings.places) if result.total is not None else "—"
    rate = percent(result.total / top) if result.total is not None and top else "—"
    return _W[lang]["total"], plain(top), total, rate


def _failures(ind: IndicatorResult, lang: str) -> list[str]:
    """Why an indicator was not scored, one sentence a failure: a missing fact by its name."""
    w = _W[lang]
    out = []
    for f in ind.failures:
        if f.code == "E605" and f.fact:
            out.append(f"{w['failed']}（{f.code}）：{w['missing'].format(fact=f.fact)}")
        else:
            what = " ".join(
                x for x in (f"`{f.fact}`" if f.fact else "", failure_detail(f), f.expr) if x
            )
            out.append(f"{w['failed']}（{f.code}）" + (f"：{what}" if what else ""))
    return out


def _score_table(out: Writer, result: Result, lang: str) -> None:
    """The published Table 5: a row per leaf; one column per level, each ancestor merged down
    over its leaves' rows (its weight and points under its name), a leaf above the deepest level
    merged across the levels it skips; then 分值 and 得分 (the rates are in 表1), and the
    totals row."""
    from .word import TEXT_CM

    w = _W[lang]
    places = result.settings.places
    indicators = result.indicators
    depth = max((i.depth for i in indicators), default=1)  # a library pack has none
    children: dict[str | None, list[IndicatorResult]] = {}
    for ind in indicators:
        children.setdefault(ind.parent, []).append(ind)
    leaves = [i for i in indicators if not children.get(i.code)]
    numbers = [1.3, 1.5] if lang == "zh" else [1.6, 1.6]  # 分值, 得分 / Weight, Points
    widths = _level_widths(indicators, children, depth, TEXT_CM - sum(numbers)) + numbers
    table = out.table(len(leaves) + 2, widths)
    heads = [level_heading(i, lang) for i in range(depth)] + [w["weight"], w["points"]]
    for cell, head in zip(table.rows[0].cells, heads, strict=True):
        out.put(cell, head, bold=True, align="center")
    row_of = {leaf.code: n + 1 for n, leaf in enumerate(leaves)}

    def rows(ind: IndicatorResult) -> tuple[int, int]:
        """The first and last table row of an indicator's leaves."""
        kids = children.get(ind.code)
        if not kids:
            return row_of[ind.code], row_of[ind.code]
        return rows(kids[0])[0], rows(kids[-1])[1]

    for ind in indicators:
        first, last = rows(ind)
        col = ind.depth - 1
        if children.get(ind.code):
            cell = out.cell(table, first, col)
            if last > first:
                cell = cell.merge(out.cell(table, last, col))
            pts = points_text(ind, places, lang)
            note = f"{w['weight']} {plain(ind.weight)}\n{w['points']} {pts}"
            out.put(cell, f"{ind.code} {ind.name}", note=note)
            continue
        cell = out.cell(table, first, col)
        if col < depth - 1:
            cell = cell.merge(out.cell(table, first, depth - 1))
        out.put(cell, f"{ind.code} {ind.name}")
        out.put(out.cell(table, first, depth), plain(ind.weight), align="center")
        out.put(out.cell(table, first, depth + 1), points_text(ind, places, lang), align="center")
    n = len(leaves) + 1
    label = out.cell(table, n, 0)
    if depth > 1:
        label = label.merge(out.cell(table, n, depth - 1))
    total, *figures, _ = _totals(result, children.get(None, []), lang)
    out.put(label, total, bold=True, align="center")
    for col, text in enumerate(figures, start=depth):
        out.put(out.cell(table, n, col), text, bold=True, align="center")


#: Centimetres per unit of display width (half a CJK character) in 五号, and a cell's margins.
_CM_PER_UNIT, _CELL_MARGINS_CM = 0.19, 0.5


def _level_widths(
    indicators: tuple[IndicatorResult, ...],
    children: dict[str | None, list[IndicatorResult]],
    depth: int,
    room: float,
) -> list[float]:
    """Widths (cm) of the level columns sharing `room`: a column of ancestors as wide as their
    longest name (at most 4 cm, at least the heading's 4 characters); the deepest level, which
    holds only leaves, gets the rest, at least 4 cm — the widest ancestors shrink to make room.
    A tree too deep for that shares the room equally."""
    from jixiao.dsl.source import display_width

    if depth == 1:
        return [room]
    need = [0.0] * (depth - 1)
    for ind in indicators:
        if children.get(ind.code) and ind.depth < depth:
            units = display_width(f"{ind.code} {ind.name}")
            need[ind.depth - 1] = max(need[ind.depth - 1], units * _CM_PER_UNIT + _CELL_MARGINS_CM)
    heading = 8 * _CM_PER_UNIT + _CELL_MARGINS_CM
    widths = [min(max(n, heading), 4.0) for n in need]
    spare = room - 4.0
    if sum(widths) > spare:  # the widest give way first: cap them all at one width
        cap = max(widths)
        while cap > heading and sum(min(x, cap) for x in widths) > spare:
            cap -= 0.05
        widths = [min(x, cap) for x in widths]
    if sum(widths) > spare:
        return [round(room / depth, 2)] * depth
    widths = [round(x, 2) for x in widths]
    return [*widths, round(room - sum(widths), 2)]


def _losses(out: Writer, result: Result, lang: str) -> None:
    w = _W[lang]
    zh = lang == "zh"
    items = losses(result, lang)
    if not items:
        out.para(w["none_lost"])
    for n, loss in enumerate(items, start=1):
        ind = loss.indicator
        lost = plain(loss.points)
        head = f"（{n}）{ind.code} {ind.name}" if zh else f"({n}) {ind.code} {ind.name}"
        text = f"失 {lost} 分。{loss.text}。" if zh else f"−{lost}: {loss.text}."
        out.para(text, bold=head + ("：" if zh else " "))
        for source in loss.sources:
            out.labelled(w["facts"], source, "note")
    for ind in result.indicators:
        if ind.points is None and ind.failures:
            out.para("；".join(_failures(ind, lang)), bold=f"{ind.code} {ind.name}：")


def _appendix(out: Writer, result: Result, lang: str) -> None:
    w = _W[lang]
    zh = lang == "zh"
    places = result.settings.places
    for ind in result.indicators:
        if ind.depth == 1:
            out.heading(f"{ind.code} {ind.name}", 2)
        if not ind.is_leaf and not ind.lines:
            continue
        pts = points_text(ind, places, lang)
        weight = plain(ind.weight)
        out.heading(
            f"{ind.code} {ind.name}（{w['weight']} {weight}，{w['points']} {pts}）"
            if zh
            else f"{ind.code} {ind.name} ({pts} of {weight})",
            3,
        )
        if ind.doc:
            out.labelled(w["standard"], ind.doc, "note")
        if ind.standard:
            out.labelled(w["rule"], ind.standard.replace("\n", "；"), "note")
        for text in _failures(ind, lang):
            out.para(text, "note")
        _ledger(out, ind.lines, ind.weight, result, lang)
    if result.derived:
        out.heading(w["derived"], 2)
        for d in result.derived:
            out.para(derivation(d, lang), "note")


def _ledger(
    out: Writer, lines: tuple[Line, ...], weight: Decimal, result: Result, lang: str
) -> None:
    from .word import TEXT_CM

    rows = [line for line in lines if line.kind is not LineKind.BASE]
    if not rows:
        return
    w = _W[lang]
    table = out.table(len(rows) + 1, [2.0, TEXT_CM - 2.0])
    out.put(out.cell(table, 0, 0), w["change"], bold=True, align="center")
    out.put(out.cell(table, 0, 1), w["explain"], bold=True, align="center")
    for n, line in enumerate(rows, start=1):
        out.put(out.cell(table, n, 0), signed(line.points), align="center")
        sources = sources_of(line, result, lang)
        note = "\n".join(sources) if sources else None
        out.put(out.cell(table, n, 1), line_text(line, weight, result, lang), note=note)


def _adjustments(out: Writer, result: Result, lang: str) -> None:
    w = _W[lang]
    for extra in result.extras:
        pts = plain(extra.points) if extra.points is not None else "—"
        out.para(f"{pts} / {plain(extra.max)}", bold=f"{extra.code} {extra.name}：")
        _ledger(out, extra.lines, extra.max, result, lang)
    for veto in result.vetoes:
        if veto.fired:
            target = veto.target or ""
            effect = (
                _VETO_ZH.get(veto.action, veto.action + " {target}").format(target=target)
                if lang == "zh"
                else f"{veto.action} {target}".strip()
            )
            reason = f"{veto.reason}（{effect}）" if veto.reason else effect
            out.para(reason, bold=f"{w['veto']}：")
    if result.total_lines and result.tree_total is not None:
        out.para(f"{w['tree_total']} {plain(result.tree_total)}")
        _ledger(out, result.total_lines, result.settings.total, result, lang)


#: What a fired veto did, as a Chinese report says it (`veto when … zero B "…"`).
_VETO_ZH = {
    "zero": "{target} 不得分",
    "grade": "等级定为{target}",
    "cap": "等级最高为{target}",
    "disqualify": "取消评级资格",
}


def _audit(out: Writer, result: Result, lang: str) -> None:
    from .word import TEXT_CM

    w = _W[lang]
    s = result.settings
    out.para(w["digests"].format(version=VERSION))
    files = [
        (w["rules_file"], result.pack_path, result.pack_sha256),
        (w["evidence"], result.evidence_path, result.evidence_sha256),
        *((w["input"], path, digest) for path, digest in result.inputs),
    ]
    version = s.title + (f"（{w['version']} {s.version}）" if s.version else "")
    table = out.table(len(files) + 3, [3.0, TEXT_CM - 3.0])
    out.put(out.cell(table, 0, 0), w["role"], bold=True, align="center")
    out.put(out.cell(table, 0, 1), f"{w['file']} · SHA-256", bold=True, align="center")
    for n, (role, path, digest) in enumerate(files, start=1):
        out.put(out.cell(table, n, 0), role, align="center")
        out.put(out.cell(table, n, 1), path, note=f"SHA-256 {digest}")
    out.put(out.cell(table, len(files) + 1, 0), w["pack"], align="center")
    out.put(out.cell(table, len(files) + 1, 1), version)
    out.put(out.cell(table, len(files) + 2, 0), w["program"], align="center")
    out.put(out.cell(table, len(files) + 2, 1), f"jixiao {VERSION}")
    if result.diagnostics:
        out.heading(w["notes"], 2)
        for d in result.diagnostics:
            where = d.labels[0].span.location() if d.labels else (d.path or "")
            text = f"{d.severity.value}[{d.code}] {say(d.message)}" + (
                f"（{where}）" if where else ""
            )
            out.para(text, "note")
