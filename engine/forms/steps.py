"""The ledger line kinds the engine's own steps write — a leaf's start, floor, cap and
rounding, a branch's sum and scale, vetoes, bonus sections, the total — with their named
arguments and words, as the forms declare theirs (see `base.LineSpec`)."""

from __future__ import annotations

from decimal import Decimal

from ..common.result import LineKind
from .base import LineSpec, NoArgs, Words, key

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from .base import NamedTuple


class WeightArgs(NamedTuple):
    weight: Decimal


class RoundArgs(NamedTuple):
    raw: Decimal  # the points before rounding
    places: Decimal


class CapArgs(NamedTuple):
    cap: Decimal


class ScaleArgs(NamedTuple):
    sum: Decimal  # the children's points
    weight: Decimal
    scale: Decimal


class RescaleArgs(NamedTuple):
    sum: Decimal
    applicable: Decimal  # the weight of the applicable indicators
    total: Decimal


class TotalArgs(NamedTuple):
    total: Decimal


class PointsArgs(NamedTuple):
    points: Decimal  # the children's sum (a branch), the section's points (a bonus or penalty)


class AggregateArgs(NamedTuple):
    value: Decimal | bool  # what the aggregate took
    as_percent: bool  # shown as a percent
    # (place, label) of each record it used, and (place, label, why) of each it left out: data
    # beside the numbers (the JSON report's `arithmetic` keeps only the numbers)
    used: tuple[tuple[int, str | None], ...]
    left: tuple[tuple[int, str | None, str], ...]


#: Records an aggregate's line names one by one; past these it counts the rest.
SHOWN_RECORDS = 20


def _records(rows: Any, zh: bool, why: Any = None) -> str:
    names = []
    rows = rows if isinstance(rows, tuple) else ()
    for row in rows[:SHOWN_RECORDS]:
        index, label = row[0], row[1]
        named = (f"第{index}条" if zh else f"#{index}") + (
            (f"（{label}）" if zh else f" ({label})") if label else ""
        )
        names.append(named + (why(row[2]) if why is not None else ""))
    more = len(rows) - SHOWN_RECORDS
    if more > 0:
        names.append(f"等另 {more} 条" if zh else f"and {more} more")
    return ("、" if zh else ", ").join(names)


def _aggregate(line: Any, say: Any) -> dict[str, str]:
    zh = say.lang == "zh"
    args = line.args
    value = args.value
    if isinstance(value, bool):
        shown = ("是" if value else "否") if zh else ("yes" if value else "no")
    else:
        shown = say.percent(value) if args.as_percent else say.shown(value)

    def why(code: str) -> str:
        if code == "where":
            return "：不满足条件" if zh else ": condition not met"
        return f"：{code} 不适用" if zh else f": {code} not applicable"

    used = _records(args.used, zh) or ("无" if zh else "none")
    left = ""
    if isinstance(args.left, tuple) and args.left:
        left = ("；未计入 " if zh else "; left out ") + _records(args.left, zh, why)
    return {"expr": line.span.text, "value": shown, "used": used, "left": left}


# How a Chinese report names each rounding mode (the words `rounding` also accepts).
MODES_ZH = {
    "half_up": "四舍五入",
    "half_even": "四舍六入五成双",
    "half_down": "五舍六入",
    "down": "去尾",
    "truncate": "去尾",
    "up": "进一",
}


def _round(line: Any, say: Any) -> dict[str, str]:
    name = say.settings.rounding_name
    places = int(line.args.places)
    return {
        "places": str(places),
        "mode": MODES_ZH.get(name, name) if say.lang == "zh" else name,
        "raw": say.shown(line.args.raw),
        "rounded": say.fixed(line.args.raw + line.points, places),
    }


def _clause_cap(line: Any, say: Any) -> dict[str, str]:
    bonus = line.points < 0
    if say.lang == "zh":
        what = "加分" if bonus else "本款扣分"
    else:
        what = "bonus" if bonus else "this clause deducts"
    label = f"（{line.reason}）" if line.reason else ""
    return {"cap": say.shown(line.args.cap), "label": label, "what": what}


STEPS = (
    LineSpec(
        LineKind.BASE, WeightArgs, Words("满分起评 {w} 分", "starts from the full weight {w}")
    ),
    LineSpec(
        LineKind.FLOOR,
        NoArgs,
        Words("扣完为止，不低于 0 分", "deductions stop at 0"),
        covers=key("floor"),
    ),
    LineSpec(
        LineKind.CAP,
        WeightArgs,
        Words("以满分 {w} 分为限", "capped at the weight {w}"),
        lambda line, say: {"w": say.plain(line.args.weight)},
        key("cap"),
    ),
    LineSpec(
        LineKind.ROUND,
        RoundArgs,
        Words(
            "保留 {places} 位小数（{mode}）：{raw} → {rounded}",
            "rounded to {places} places ({mode}): {raw} → {rounded}",
        ),
        _round,
    ),
    LineSpec(
        LineKind.CLAUSE_CAP,
        CapArgs,
        Words("{what}以 {cap} 分为限{label}", "{what} at most {cap}{label}"),
        _clause_cap,
    ),
    LineSpec(
        LineKind.ONCE,
        NoArgs,
        Words(
            "{reason}：同一项按最高分只计入1次",
            "{reason}: the same item counts once, at its highest",
        ),
        remark=True,
    ),
    LineSpec(
        LineKind.NOT_APPLICABLE,
        NoArgs,
        Words("不适用（{reason}）", "not applicable ({reason})"),
        award=True,
        remark=True,
        short="不适用",
    ),
    LineSpec(LineKind.SUM, PointsArgs, Words("下级指标得分合计 {p}", "children's points {p}")),
    LineSpec(
        LineKind.SCALE,
        ScaleArgs,
        Words(
            "下级指标得分 {sum} × {w}/{scale} = {raw}",
            "children's points {sum} × {w}/{scale} = {raw}",
        ),
        lambda line, say: {
            "sum": say.shown(line.args.sum),
            "w": say.plain(line.args.weight),
            "scale": say.plain(line.args.scale),
            "raw": say.shown(line.points),
        },
    ),
    LineSpec(
        LineKind.VETO, NoArgs, Words("一票否决：{reason}", "veto: {reason}"), loss=True, remark=True
    ),
    LineSpec(
        LineKind.RESCALE,
        RescaleArgs,
        Words(
            "不适用指标不计：{sum} / {applicable} × {total} = {raw}",
            "not-applicable indicators excluded: {sum} / {applicable} × {total} = {raw}",
        ),
        lambda line, say: {
            "sum": say.shown(line.args.sum),
            "applicable": say.plain(line.args.applicable),
            "total": say.plain(line.args.total),
            "raw": say.shown(line.args.sum + line.points),
        },
    ),
    LineSpec(
        LineKind.EXTRA,
        PointsArgs,
        Words("{reason} {p}", "{reason} {p}"),
        lambda line, say: {"p": say.signed(line.points)},
    ),
    LineSpec(
        LineKind.OVERFLOW,
        TotalArgs,
        Words("总分以 {total} 分为限", "the total is capped at {total}"),
        lambda line, say: {"total": say.plain(line.args.total)},
    ),
    LineSpec(
        LineKind.AGGREGATE,
        AggregateArgs,
        Words(
            "{expr} = {value}：计入 {used}{left}",
            "{expr} = {value}: takes {used}{left}",
        ),
        _aggregate,
        covers=lambda line: (
            "aggregate:left"
            if any(why == "where" for _, _, why in line.args.left)
            else "aggregate:all"
        ),
    ),
)
