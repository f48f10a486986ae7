"""Words for the ledger: how values, facts and lines read in a report.

The evaluator returns data; this module is the one place that turns a line into a sentence, in
Chinese (the report's language, the default) or English. Numbers shown in arithmetic are display
roundings (at most four decimals, half up); the exact values stay in the JSON.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from jixiao.dsl import ast
from jixiao.dsl.formatter import format_expr, format_rule

from ..result import DerivedResult, FactUse, IndicatorResult, Line, LineKind, Provenance, Result
from ..types import Kind

LANGS = ("zh", "en")

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
        "deduct": "扣分",
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
        "deduct": "deduction",
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
    match kind:
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


def fact_text(use: FactUse, lang: str, units: dict[str, str | None]) -> str:
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


def line_text(line: Line, ind: IndicatorResult, result: Result, lang: str) -> str:
    template = _T[lang][line.kind]
    a = line.args
    s = result.settings
    fields: dict[str, str] = {
        "w": plain(ind.weight),
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
        case LineKind.DEDUCT:
            how = (
                ""
                if a[1] == 1
                else f"（{shown(a[0])} × {shown(a[1])}）"
                if lang == "zh"
                else f" ({shown(a[0])} × {shown(a[1])})"
            )
            fields.update(total=shown(-line.points), how=how)
        case LineKind.CAP:
            fields["w"] = plain(a[0])
        case LineKind.ROUND:
            rounded = a[0] + line.points
            fields.update(
                places=str(int(a[1])),
                mode=s.rounding_name,
                raw=shown(a[0]),
                rounded=fixed(rounded, int(a[1])),
            )
    return template.format(**fields)


def rule_text(rules: tuple[ast.Rule, ...]) -> str:
    return "; ".join(format_rule(r) for r in rules)


def lost_lines(ind: IndicatorResult) -> list[Line]:
    """The lines a reader needs to see why an indicator lost points."""
    return [line for line in ind.lines if line.kind is not LineKind.BASE]
