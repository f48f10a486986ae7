"""Words for the ledger: how values, facts and lines read in a report.

The evaluator returns data; this module is the one place that turns a line into a sentence, in
Chinese (the report's language, the default) or English. Numbers shown in arithmetic are display
roundings (at most four decimals, half up); the exact values stay in the JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from jixiao.dsl.formatter import format_expr
from jixiao.dsl.record import record

from ..common.result import (
    DerivedResult,
    FactUse,
    IndicatorResult,
    Judgement,
    Line,
    LineKind,
    Panel,
    Provenance,
    Result,
)
from ..common.types import Kind
from ..forms import LINES, named

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from ..common.ir import Settings

_T: dict[str, dict[object, str]] = {
    "zh": {
        "deduct": "扣分",
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
        "experts": "{n} 位专家",
        "default": "缺省值",
        "own": "{code} 的取值",
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
        "deduct": "deduction",
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
        "experts": "{n} experts",
        "default": "default",
        "own": "{code}'s own value",
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
    """An exact decimal without exponent or trailing zeros — every digit, however many: it is
    written out, never rounded to the 28 digits arithmetic runs in."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def shown(value: Decimal, places: int = 4) -> str:
    """A decimal for reading: at most `places` decimals, half up, trailing zeros dropped."""
    q = _quantized(value, places)
    return plain(q) if q != 0 or value == 0 else ("0" if value >= 0 else "-0") + "." + "0" * places


def fixed(value: Decimal, places: int) -> str:
    """Points as a table prints them: exactly `places` decimals."""
    return format(_quantized(value, places), "f")


def percent(value: Decimal, places: int = 2) -> str:
    hundredfold = value * 100 if value.adjusted() < 24 else value.scaleb(2, _wide(value, 2))
    return fixed(hundredfold, places) + "%"


def _quantized(value: Decimal, places: int) -> Decimal:
    """`value` to `places` decimals, half up; a value with more digits than the context holds
    (a deduction a pasted exponent made astronomical) in a context wide enough for them."""
    try:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        exponent = Decimal(1).scaleb(-places)
        return value.quantize(exponent, rounding=ROUND_HALF_UP, context=_wide(value, places))


def _wide(value: Decimal, places: int) -> Context:
    return Context(prec=max(28, value.adjusted() + places + 3), traps=[InvalidOperation])


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
            n = len(value)
            if lang == "zh":
                return w["items"].format(n=n) + "：" + "；".join(i.text for i in value)
            return f"{n} item{'s' if n != 1 else ''}: " + "; ".join(i.text for i in value)
        case Kind.RECORDS:  # each record is shown by the aggregates that read it
            n = len(value)  # type: ignore[arg-type]
            return f"{n} 条记录" if lang == "zh" else f"{n} record{'s' if n != 1 else ''}"
        case Kind.DATE:
            assert isinstance(value, dt.date)
            return value.isoformat()
        case Kind.TEXT:
            return str(value)
        case Kind.PANEL:
            assert isinstance(value, Panel)
            sep = "；" if lang == "zh" else "; "
            marks = sep.join(f"{m.expert} {shown(m.score)}" for m in value.marks)
            n = len(value.marks)
            if lang == "zh":
                return w["experts"].format(n=n) + "：" + marks
            return f"{n} expert{'s' if n != 1 else ''}: " + marks
    assert isinstance(value, Decimal)
    text = shown(value)
    return f"{text} {unit}" if unit else text


def provenance_text(origin: Provenance | None, lang: str) -> str:
    if origin is None:
        return ""
    if origin.is_default:
        return _T[lang]["default"]
    parts = []
    if origin.indicator is not None:
        parts.append(_T[lang]["own"].format(code=origin.indicator))
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


class Say:
    """The number formatting a line kind's `fields` use (see `forms.base.LineSpec`), in the
    report's language and with the pack's settings."""

    __slots__ = ("lang", "settings")

    plain = staticmethod(plain)
    shown = staticmethod(shown)
    percent = staticmethod(percent)
    fixed = staticmethod(fixed)
    signed = staticmethod(signed)

    def __init__(self, lang: str, settings: Settings) -> None:
        self.lang = lang
        self.settings = settings


def line_text(line: Line, weight: Decimal, result: Result, lang: str) -> str:
    """One ledger line in words; `weight` is that of the indicator (or section) it belongs to.
    The words and the fields beyond weight, points and reason are the line kind's own (see
    `engine.forms`)."""
    spec = LINES[line.kind]
    fields: dict[str, str] = {
        "w": plain(weight),
        "p": shown(line.points),
        "reason": line.reason or _T[lang]["deduct"],
    }
    if spec.fields is not None:
        fields.update(spec.fields(named(line), Say(lang, result.settings)))
    template: str = spec.words.zh if lang == "zh" else spec.words.en
    return template.format(**fields)


def needs_explaining(ind: IndicatorResult) -> bool:
    """An indicator the 扣分说明 lists: it lost points, was not scored, was excluded, or its
    ledger carries a remark (a warning, a veto, a not-applicable policy)."""
    if not ind.is_leaf and not ind.lines:
        return False  # a plain sum: its children explain it
    if ind.points is None or ind.excluded or ind.points != ind.weight:
        return True
    return any(LINES[line.kind].remark for line in ind.lines)


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


@record
class Loss:
    """One reason points were lost: how many, on which indicator, why, on what evidence."""

    points: Decimal
    indicator: IndicatorResult
    text: str
    sources: tuple[str, ...]


#: The lines that give back what deductions took past a limit (扣完为止, a clause's `max`).
GIVEN_BACK = (LineKind.FLOOR, LineKind.CLAUSE_CAP)


def lost_parts(
    weight: Decimal, points: Decimal, lines: Sequence[Sequence[Any]]
) -> list[tuple[Decimal, Sequence[Any] | None, Decimal | None]]:
    """How a scored leaf below its weight lost its points, in ledger order: `(points, line,
    None)` for each line that took points (a reason of its own in 扣分说明), the last of them
    `(points, line, net)` when a floor or a clause's `max` gave some back (what the indicator
    really lost to its deductions); then `(shortfall, None, None)` for what its base rule did
    not award, after rounding (`shortfall_lines` say why, when it has award lines). The one
    reading of a leaf's losses: the reports' 主要扣分原因, a portfolio's records and its
    summary all take it from here.
    `lines` are the ledger's lines, packaged (`Line`) or raw: the same places."""
    out: list[tuple[Decimal, Sequence[Any] | None, Decimal | None]] = []
    taken = Decimal(0)
    given_back = Decimal(0)
    for line in lines:
        kind, lost = line[0], line[1]
        spec = LINES[kind]
        if spec.loss and lost < 0:
            taken -= lost
            out.append((-lost, line, None))
        elif kind in GIVEN_BACK:
            given_back += lost
    if given_back > 0 and out:
        # 扣完为止 / a clause's max gave some back: what the indicator really lost
        last_lost, last, _ = out[-1]
        out[-1] = (last_lost, last, taken - given_back)
        taken -= given_back
    shortfall = weight - points - taken
    if shortfall > 0:
        out.append((shortfall, None, None))
    return out


def shortfall_lines(lines: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """The lines that say why a base rule fell short: its award lines, but for the checklist
    elements that were met (a met element is not why points were lost)."""
    return [ln for ln in lines if LINES[ln[0]].award and not _met(ln)]


def _met(line: Sequence[Any]) -> bool:
    """A line whose arguments say its condition was met (a checklist element's `met`)."""
    fields = getattr(LINES[line[0]].args, "_fields", ())
    return "met" in fields and line[5][fields.index("met")] == 1


def given_back_note(net: Decimal, lang: str) -> str:
    """What the last deduction's reason adds when deductions stop at a limit."""
    if lang == "zh":
        return f"（扣完为止，本项实扣 {plain(net)} 分）"
    return f" (deductions stop at the limit: {plain(net)} lost)"


def losses(result: Result, lang: str) -> list[Loss]:
    """主要扣分原因: every reason points were lost, the largest first (then in tree order)."""
    out: list[tuple[Decimal, int, Loss]] = []
    for order, ind in enumerate(result.indicators):
        if not ind.is_leaf or ind.points is None or ind.points >= ind.weight:
            continue
        for lost, line, net in lost_parts(ind.weight, ind.points, ind.lines):
            if line is not None:
                assert isinstance(line, Line)
                text = line_text(line, ind.weight, result, lang)
                if net is not None:
                    text += given_back_note(net, lang)
                sources = tuple(sources_of(line, result, lang))
            else:
                base = [named(ln) for ln in ind.lines if LINES[ln.kind].award]
                if not base:
                    continue  # no base rule's words to say it in
                shown_lines = [named(ln) for ln in shortfall_lines(ind.lines)]  # type: ignore[arg-type]
                text = "；".join(line_text(ln, ind.weight, result, lang) for ln in shown_lines)
                sources = tuple(
                    dict.fromkeys(s for ln in base for s in sources_of(ln, result, lang))
                )
            out.append((lost, order, Loss(lost, ind, text, sources)))
    out.sort(key=lambda t: (-t[0], t[1]))
    return [loss for _, _, loss in out]
