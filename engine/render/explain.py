"""Words for the ledger: how values, facts and lines read in a report.

The evaluator returns data; this module is the one place that turns a line into a sentence, in
Chinese (the report's language, the default) or English. Numbers shown in arithmetic are display
roundings (at most four decimals, half up); the exact values stay in the JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from jixiao.dsl.formatter import format_expr
from jixiao.dsl.record import record

from ..common.result import (
    DerivedResult,
    FactUse,
    IndicatorResult,
    Judgement,
    Line,
    LineKind,
    Provenance,
    Result,
)
from ..common.types import Kind

_T: dict[str, dict[object, str]] = {
    "zh": {
        LineKind.BASE: "满分起评 {w} 分",
        LineKind.FULL: "满足条件，得满分 {w} 分",
        LineKind.UNMET: "条件不满足：{cond}",
        LineKind.FIXED: "得 {p} 分",
        LineKind.PROPORTIONAL: "按比例计分：{w} × {rate} = {raw}",
        LineKind.REVERSE: "反向指标：{w} × {target} / {actual} = {raw}",
        LineKind.REVERSE_LINEAR: "反向指标（线性递减）：实际 {actual}，目标 {target}，得 {raw}",
        LineKind.TIER: "分档 {band}",
        LineKind.LEVEL: "等级 {level}",
        LineKind.DEDUCT: "{reason}，扣 {total} 分{how}",
        LineKind.FLOOR: "扣完为止，不低于 0 分",
        LineKind.CAP: "以满分 {w} 分为限",
        LineKind.ZERO: "本项不得分：{reason}",
        LineKind.WARN: "提示：{reason}",
        LineKind.ROUND: "保留 {places} 位小数（{mode}）：{raw} → {rounded}",
        LineKind.FORWARD: "正向指标：{w} × {actual} / {target} = {raw}",
        LineKind.EQUAL: "等于指标：实际 {actual}，目标 {target}，得 {raw}",
        LineKind.LEVEL_SCORE: "等级 `{reason}` 评价得分 {p}（区间 {low}–{high}）",
        LineKind.CHECK: "{reason}：{met}",
        LineKind.CHECK_BASE: "基础分 {p}",
        LineKind.CHOICE: "适用 {band}",
        LineKind.DUPLICATE: "{reason}：同类已扣分，不再扣",
        LineKind.CLAUSE_CAP: "{what}以 {cap} 分为限{label}",
        LineKind.ONCE: "{reason}：同一项按最高分只计入1次",
        LineKind.STEP: "{reason}：差距 {shortfall}，每 {step} 扣 {amount} 分，"
        "{steps} 步，扣 {total} 分",
        LineKind.JUDGED: "酌情扣分：{reason}，扣 {total} 分",
        LineKind.NOT_APPLICABLE: "不适用（{reason}）",
        LineKind.SUM: "下级指标得分合计 {p}",
        LineKind.SCALE: "下级指标得分 {sum} × {w}/{scale} = {raw}",
        LineKind.ADD: "{reason}，加 {total} 分{how}",
        LineKind.VETO: "一票否决：{reason}",
        LineKind.RESCALE: "不适用指标不计：{sum} / {applicable} × {total} = {raw}",
        LineKind.EXTRA: "{reason} {p}",
        LineKind.OVERFLOW: "总分以 {total} 分为限",
        "deduct": "扣分",
        "met": "满足，得 {p} 分",
        "unmet": "未满足，不得分",
        "na": "不适用",
        "extras": "加减分项",
        "vetoes": "一票否决",
        "fired": "触发",
        "not_fired": "未触发",
        "disqualified": "取消评级资格",
        "tree_total": "指标得分合计",
        "yes": "是",
        "no": "否",
        "items": "{n} 项",
        "default": "缺省值",
        "score_table": "绩效评价得分情况表",
        "indicator": "指标",
        "weight": "权重",
        "points": "得分",
        "rate": "得分率",
        "total": "合计",
        "grade": "评价等级",
        "losses": "扣分说明",
        "derived": "派生事实",
        "lost": "失 {lost} 分",
        "pack": "规则包",
        "evidence": "证据",
        "facts": "依据",
        "none_lost": "无扣分",
        "failed": "未能计分",
    },
    "en": {
        LineKind.BASE: "starts from the full weight {w}",
        LineKind.FULL: "condition met: full weight {w}",
        LineKind.UNMET: "condition not met: {cond}",
        LineKind.FIXED: "scores {p}",
        LineKind.PROPORTIONAL: "proportional: {w} × {rate} = {raw}",
        LineKind.REVERSE: "reverse indicator: {w} × {target} / {actual} = {raw}",
        LineKind.REVERSE_LINEAR: "reverse indicator (linear decay): actual {actual}, "
        "target {target}, scores {raw}",
        LineKind.TIER: "band {band}",
        LineKind.LEVEL: "level {level}",
        LineKind.DEDUCT: "{reason}: −{total}{how}",
        LineKind.FLOOR: "deductions stop at 0",
        LineKind.CAP: "capped at the weight {w}",
        LineKind.ZERO: "scores nothing: {reason}",
        LineKind.WARN: "note: {reason}",
        LineKind.ROUND: "rounded to {places} places ({mode}): {raw} → {rounded}",
        LineKind.FORWARD: "forward indicator: {w} × {actual} / {target} = {raw}",
        LineKind.EQUAL: "equality indicator: actual {actual}, target {target}, scores {raw}",
        LineKind.LEVEL_SCORE: "level `{reason}`: the evaluator's score {p} (range {low}–{high})",
        LineKind.CHECK: "{reason}: {met}",
        LineKind.CHECK_BASE: "base {p}",
        LineKind.CHOICE: "applies {band}",
        LineKind.DUPLICATE: "{reason}: same kind already deducted",
        LineKind.CLAUSE_CAP: "{what} at most {cap}{label}",
        LineKind.ONCE: "{reason}: the same item counts once, at its highest",
        LineKind.STEP: "{reason}: shortfall {shortfall}, {amount} per {step}, {steps} steps, "
        "−{total}",
        LineKind.JUDGED: "discretionary deduction: {reason}, −{total}",
        LineKind.NOT_APPLICABLE: "not applicable ({reason})",
        LineKind.SUM: "children's points {p}",
        LineKind.SCALE: "children's points {sum} × {w}/{scale} = {raw}",
        LineKind.ADD: "{reason}: +{total}{how}",
        LineKind.VETO: "veto: {reason}",
        LineKind.RESCALE: "not-applicable indicators excluded: {sum} / {applicable} × {total} "
        "= {raw}",
        LineKind.EXTRA: "{reason} {p}",
        LineKind.OVERFLOW: "the total is capped at {total}",
        "deduct": "deduction",
        "met": "met, {p}",
        "unmet": "not met, 0",
        "na": "n/a",
        "extras": "Bonus and penalty",
        "vetoes": "Vetoes",
        "fired": "fired",
        "not_fired": "not fired",
        "disqualified": "disqualified",
        "tree_total": "indicator points",
        "yes": "true",
        "no": "false",
        "items": "{n} items",
        "default": "default",
        "score_table": "Score table",
        "indicator": "Indicator",
        "weight": "Weight",
        "points": "Points",
        "rate": "Rate",
        "total": "Total",
        "grade": "Grade",
        "losses": "Points lost",
        "derived": "Derived facts",
        "lost": "lost {lost}",
        "pack": "pack",
        "evidence": "evidence",
        "facts": "facts",
        "none_lost": "nothing lost",
        "failed": "not scored",
    },
}


def words(lang: str) -> dict[object, str]:
    return _T[lang]


def level_heading(index: int, lang: str) -> str:
    """The heading of the tree's level `index` (from 0): 一级指标 … 十级指标, 十一级指标 …, or
    Level 1 …; a tree may be as deep as the parser allows, not only the usual three or four."""
    if lang != "zh":
        return f"Level {index + 1}"
    n, digits = index + 1, "一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if n >= 100:
        return f"{n}级指标"
    text = ("" if tens < 2 else digits[tens - 1]) + ("十" if tens else "")
    return text + (digits[ones - 1] if ones else "") + "级指标"


def plain(value: Decimal) -> str:
    """An exact decimal without exponent or trailing zeros."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def shown(value: Decimal, places: int = 4) -> str:
    """A decimal for reading: at most `places` decimals, half up, trailing zeros dropped."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return plain(q) if q != 0 or value == 0 else ("0" if value >= 0 else "-0") + "." + "0" * places


def fixed(value: Decimal, places: int) -> str:
    """Points as a table prints them: exactly `places` decimals."""
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


def percent(value: Decimal, places: int = 2) -> str:
    return fixed(value * 100, places) + "%"


def signed(value: Decimal, places: int = 4) -> str:
    text = shown(value, places)
    return text if text.startswith("-") else "+" + text


def value_text(kind: Kind, value: object, lang: str, unit: str | None = None) -> str:
    w = _T[lang]
    if isinstance(value, str) and kind is not Kind.TEXT:
        return value  # 不适用
    match kind:
        case Kind.JUDGEMENT:
            assert isinstance(value, Judgement)
            by = f"，{value.by}" if value.by else ""
            date = f"，{value.date}" if value.date else ""
            return f"{shown(value.amount)}（{value.reason}{by}{date}）"
        case Kind.PERCENT:
            assert isinstance(value, Decimal)
            return percent(value)
        case Kind.BOOL:
            return w["yes"] if value else w["no"]
        case Kind.LIST:
            assert isinstance(value, tuple)
            if not value:
                return "[]"
            return w["items"].format(n=len(value)) + "：" + "；".join(i.text for i in value)
        case Kind.DATE:
            assert isinstance(value, dt.date)
            return value.isoformat()
        case Kind.TEXT:
            return str(value)
    assert isinstance(value, Decimal)
    text = shown(value)
    return f"{text} {unit}" if unit else text


def provenance_text(origin: Provenance | None, lang: str) -> str:
    if origin is None:
        return ""
    if origin.is_default:
        return _T[lang]["default"]
    parts = []
    if origin.source:
        parts.append(origin.source)
    if origin.span is not None:
        parts.append(origin.span.location())
    return "；".join(parts) if lang == "zh" else "; ".join(parts)


def fact_text(use: FactUse, lang: str, units: Mapping[str, str | None]) -> str:
    return f"{use.name} = {value_text(use.kind, use.value, lang, units.get(use.name))}"


def use_text(use: FactUse, result: Result, lang: str) -> str:
    """A fact as a line read it, with where it came from: evidence, default, or derivation."""
    if use.origin is None:
        for d in result.derived:
            if d.name == use.name:
                return derivation(d, lang)
    text = fact_text(use, lang, result.units)
    where = provenance_text(use.origin, lang)
    return f"{text}  [{where}]" if where else text


def derivation(d: DerivedResult, lang: str) -> str:
    """`预算执行率 = 实际支出 / 预算金额 = 100000 / 100000 = 100.00%`"""
    values = {u.name: u for u in d.reads}

    def show(name: str) -> str | None:
        use = values.get(name)
        return value_text(use.kind, use.value, lang) if use else None

    formula = format_expr(d.expr)
    substituted = format_expr(d.expr, show)
    result = value_text(d.kind, d.value, lang) if d.value is not None else "—"
    if substituted == formula:
        return f"{d.name} = {formula} = {result}"
    return f"{d.name} = {formula} = {substituted} = {result}"


def line_text(line: Line, weight: Decimal, result: Result, lang: str) -> str:
    """One ledger line in words; `weight` is that of the indicator (or section) it belongs to."""
    template = _T[lang][line.kind]
    a = line.args
    s = result.settings
    fields: dict[str, str] = {
        "w": plain(weight),
        "p": shown(line.points),
        "reason": line.reason or _T[lang]["deduct"],
    }
    match line.kind:
        case LineKind.UNMET:
            fields["cond"] = f"`{line.span.text}`"
        case LineKind.PROPORTIONAL:
            rate = a[1]
            fields.update(w=plain(a[0]), rate=percent(rate), raw=shown(line.points))
        case LineKind.REVERSE | LineKind.REVERSE_LINEAR:
            fields.update(
                w=plain(a[0]), actual=shown(a[1]), target=shown(a[2]), raw=shown(line.points)
            )
        case LineKind.TIER:
            fields["band"] = f"`{line.span.text}`"
        case LineKind.LEVEL:
            fields["level"] = f"`{line.span.text}`"
        case LineKind.DEDUCT | LineKind.ADD:
            how = (
                ""
                if a[1] == 1
                else f"（{shown(a[0])} × {shown(a[1])}）"
                if lang == "zh"
                else f" ({shown(a[0])} × {shown(a[1])})"
            )
            fields.update(total=shown(abs(line.points)), how=how)
        case LineKind.FORWARD | LineKind.EQUAL:
            fields.update(
                w=plain(a[0]), actual=shown(a[1]), target=shown(a[2]), raw=shown(line.points)
            )
        case LineKind.LEVEL_SCORE:
            fields.update(low=shown(a[1]), high=shown(a[2]))
        case LineKind.CHECK:
            key = "met" if a[1] else "unmet"
            fields["met"] = _T[lang][key].format(p=shown(a[0]))
        case LineKind.CHOICE:
            fields["band"] = f"`{line.span.text.split(':')[0]}`"
        case LineKind.CLAUSE_CAP:
            bonus = line.points < 0
            what = (
                ("加分" if bonus else "本款扣分")
                if lang == "zh"
                else ("bonus" if bonus else "this clause deducts")
            )
            fields.update(
                cap=shown(a[0]), label=f"（{line.reason}）" if line.reason else "", what=what
            )
        case LineKind.STEP:
            fields.update(
                amount=shown(a[0]),
                steps=shown(a[1]),
                shortfall=_number(a[2], bool(a[4])),
                step=_number(a[3], bool(a[4])),
                total=shown(-line.points),
            )
        case LineKind.JUDGED:
            fields["total"] = shown(a[0])
        case LineKind.SCALE:
            fields.update(sum=shown(a[0]), w=plain(a[1]), scale=plain(a[2]), raw=shown(line.points))
        case LineKind.RESCALE:
            fields.update(
                sum=shown(a[0]),
                applicable=plain(a[1]),
                total=plain(a[2]),
                raw=shown(a[0] + line.points),
            )
        case LineKind.EXTRA:
            fields["p"] = signed(line.points)
        case LineKind.OVERFLOW:
            fields["total"] = plain(a[0])
        case LineKind.CAP:
            fields["w"] = plain(a[0])
        case LineKind.ROUND:
            rounded = a[0] + line.points
            fields.update(
                places=str(int(a[1])),
                mode=_MODES_ZH.get(s.rounding_name, s.rounding_name)
                if lang == "zh"
                else s.rounding_name,
                raw=shown(a[0]),
                rounded=fixed(rounded, int(a[1])),
            )
    return template.format(**fields)


# How a Chinese report names each rounding mode (the words `rounding` also accepts).
_MODES_ZH = {
    "half_up": "四舍五入",
    "half_even": "四舍六入五成双",
    "half_down": "五舍六入",
    "down": "去尾",
    "truncate": "去尾",
    "up": "进一",
}


def _number(value: Decimal, as_percent: bool) -> str:
    """A shortfall or step, in the kind the pack wrote it: a percent shortfall of 100 % reads
    `100.00%`, never `1`; a count shortfall of 0.5 stays 0.5."""
    return percent(value) if as_percent else shown(value)


_REMARKS = (
    LineKind.WARN,
    LineKind.VETO,
    LineKind.NOT_APPLICABLE,
    LineKind.DUPLICATE,
    LineKind.ONCE,
)


def needs_explaining(ind: IndicatorResult) -> bool:
    """An indicator the 扣分说明 lists: it lost points, was not scored, was excluded, or its
    ledger carries a remark (a warning, a veto, a not-applicable policy)."""
    if not ind.is_leaf and not ind.lines:
        return False  # a plain sum: its children explain it
    if ind.points is None or ind.excluded or ind.points != ind.weight:
        return True
    return any(line.kind in _REMARKS for line in ind.lines)


def points_text(ind: IndicatorResult, places: int, lang: str) -> str:
    if ind.excluded:
        return _T[lang]["na"]
    return fixed(ind.points, places) if ind.points is not None else "—"


def rate_text(ind: IndicatorResult) -> str:
    if ind.points is None or not ind.weight:
        return "—"
    return percent(ind.points / ind.weight)


def grade_text(result: Result, lang: str) -> str:
    if result.disqualified:
        return _T[lang]["disqualified"]
    return result.grade or "—"


def sources_of(line: Line, result: Result, lang: str) -> list[str]:
    """Where a line's numbers came from: the finding's provenance, or each fact read."""
    if line.item is not None:
        where = provenance_text(line.item.origin, lang)
        return [where] if where else []
    return [use_text(use, result, lang) for use in line.facts]


_LOSS = (LineKind.DEDUCT, LineKind.STEP, LineKind.JUDGED, LineKind.ZERO, LineKind.VETO)
_BASE = (
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


@record
class Loss:
    """One reason points were lost: how many, on which indicator, why, on what evidence."""

    points: Decimal
    indicator: IndicatorResult
    text: str
    sources: tuple[str, ...]


def losses(result: Result, lang: str) -> list[Loss]:
    """主要扣分原因: every reason points were lost, the largest first (then in tree order)."""
    out: list[tuple[Decimal, int, Loss]] = []
    for order, ind in enumerate(result.indicators):
        if not ind.is_leaf or ind.points is None or ind.points >= ind.weight:
            continue
        taken = Decimal(0)
        for line in ind.lines:
            if line.kind in _LOSS and line.points < 0:
                taken -= line.points
                out.append(
                    (
                        -line.points,
                        order,
                        Loss(
                            -line.points,
                            ind,
                            line_text(line, ind.weight, result, lang),
                            tuple(sources_of(line, result, lang)),
                        ),
                    )
                )
        given_back = sum(
            (ln.points for ln in ind.lines if ln.kind in (LineKind.FLOOR, LineKind.CLAUSE_CAP)),
            Decimal(0),
        )
        if given_back > 0 and out and out[-1][2].indicator is ind:
            # 扣完为止 / a clause's max gave some back: say what the indicator really lost
            points, at, last = out[-1]
            note = (
                f"（扣完为止，本项实扣 {plain(taken - given_back)} 分）"
                if lang == "zh"
                else f" (deductions stop at the limit: {plain(taken - given_back)} lost)"
            )
            out[-1] = (points, at, Loss(last.points, ind, last.text + note, last.sources))
            taken -= given_back
        # what the base rule did not award, after rounding: weight − points − deductions
        shortfall = ind.weight - ind.points - taken
        base = [ln for ln in ind.lines if ln.kind in _BASE]
        if shortfall > 0 and base:
            shown_lines = [ln for ln in base if ln.kind is not LineKind.CHECK or not ln.args[1]]
            text = "；".join(line_text(ln, ind.weight, result, lang) for ln in shown_lines)
            sources = tuple(dict.fromkeys(s for ln in base for s in sources_of(ln, result, lang)))
            out.append((shortfall, order, Loss(shortfall, ind, text, sources)))
    out.sort(key=lambda t: (-t[0], t[1]))
    return [loss for _, _, loss in out]
