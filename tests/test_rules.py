"""One table per rule form: a leaf written in the DSL, evidence, the points and ledger lines.

Each row is what a policy author would write for a standard and what an evaluator must get.
Ledger lines are (kind, points, reason); they always add up to the points (checked for every
row).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from .helpers import compile_text, score


def leaf(decls: str, body: str, weight: str = "10") -> str:
    return (
        f'pack "t" {{ total {weight} }}\n{decls}\nindicator X "测试指标" {weight} {{\n{body}\n}}\n'
    )


def run(decls: str, body: str, facts: str, weight: str = "10"):  # type: ignore[no-untyped-def]
    plan = compile_text(leaf(decls, body, weight))
    scored = score(plan, "facts:\n" + "".join(f"  {line}\n" for line in facts.split(";") if line))
    ind = scored.result.indicators[0]
    assert ind.points is not None, ind.failures
    assert sum((ln.points for ln in ind.lines), Decimal(0)) == ind.points
    return scored.points["X"], scored.lines("X")


CASES = [
    # ----- full or zero on a condition (条件满分)
    (
        "full-when-true",
        "fact 相符: bool",
        "full when 相符",
        "相符: true",
        "10",
        "10.00",
        [("full", "10", None)],
    ),
    (
        "full-when-false",
        "fact 相符: bool",
        "full when 相符",
        "相符: 否",
        "10",
        "0.00",
        [("unmet", "0", None)],
    ),
    # ----- proportional, capped (达到100%得满分，否则按 执行率×分值 计分)
    (
        "execution-full",
        "fact 预算: money\nfact 支出: money\nlet 率: percent = 支出 / 预算",
        "full when 率 >= 100% else proportional 率",
        "预算: 100000;支出: 100000",
        "3",
        "3.00",
        [("full", "3", None)],
    ),
    (
        "execution-under",
        "fact 预算: money\nfact 支出: money\nlet 率: percent = 支出 / 预算",
        "full when 率 >= 100% else proportional 率",
        "预算: 100000;支出: 87654",
        "3",
        "2.63",
        [("unmet", "0", None), ("proportional", "2.62962", None), ("round", "0.00038", None)],
    ),
    (
        "proportional-capped",
        "fact 率: percent max 150%",  # a completion rate may exceed 100% when declared so
        "proportional 率",
        "率: 120%",
        "10",
        "10.00",
        [("proportional", "12", None), ("cap", "-2", None)],
    ),
    (
        "target-relative",
        "fact 满意度: percent",
        "full when 满意度 >= 85% else proportional 满意度 / 85%",
        "满意度: 80%",
        "10",
        "9.41",
        [
            ("unmet", "0", None),
            ("proportional", "9.411764705882352941176470588", None),
            ("round", "-0.001764705882352941176470588", None),
        ],
    ),
    # ----- reverse indicators (lower is better)
    (
        "reverse-met",
        "fact 成本: money",
        "reverse 成本 target 100",
        "成本: 90",
        "10",
        "10.00",
        [("full", "10", None)],
    ),
    (
        "reverse-ratio",
        "fact 成本: money",
        "reverse 成本 target 100",
        "成本: 125",
        "10",
        "8.00",
        [("reverse", "8", None)],
    ),
    (
        "reverse-linear",
        "fact 成本: money",
        "reverse 成本 target 100 linear",
        "成本: 125",
        "10",
        "7.50",
        [("reverse_linear", "7.5", None)],
    ),
    (
        "reverse-linear-past-twice",
        "fact 成本: money",
        "reverse 成本 target 100 linear",
        "成本: 230",
        "10",
        "0.00",
        [("reverse_linear", "0", None)],
    ),
    (
        "reverse-zero-target",
        "fact 瘫痪次数: count",
        "reverse 瘫痪次数 target 0",
        "瘫痪次数: 2",
        "10",
        "0.00",
        [("reverse", "0", None)],
    ),
    # ----- tier tables with explicit bounds
    (
        "tier-top",
        "fact 正常率: percent",
        "tiers 正常率 { >= 95%: full; [90%, 95%): 1; < 90%: 0 }",
        "正常率: 95%",
        "2",
        "2.00",
        [("tier", "2", None)],
    ),
    (
        "tier-middle-inclusive",
        "fact 正常率: percent",
        "tiers 正常率 { >= 95%: full; [90%, 95%): 1; < 90%: 0 }",
        "正常率: 90%",
        "2",
        "1.00",
        [("tier", "1", None)],
    ),
    (
        "tier-just-below",
        "fact 正常率: percent",
        "tiers 正常率 { >= 95%: full; [90%, 95%): 1; < 90%: 0 }",
        "正常率: 0.8999",
        "2",
        "0.00",
        [("tier", "0", None)],
    ),
    (
        "tier-share",
        "fact 完成率: percent",
        "tiers 完成率 { >= 100%: full; [75%, 100%): 75%; [60%, 75%): 60%; else: 0 }",
        "完成率: 80%",
        "20",
        "15.00",
        [("tier", "15", None)],
    ),
    # ----- deductions per item of a list (每缺少一项依据扣0.5分，扣完为止)
    (
        "per-item",
        "fact 缺失项: list",
        'deduct 0.5 per 缺失项 "缺少依据：{item}"',
        "缺失项: [甲, 乙]",
        "2",
        "1.00",
        [
            ("base", "2", None),
            ("deduct", "-0.5", "缺少依据：甲"),
            ("deduct", "-0.5", "缺少依据：乙"),
        ],
    ),
    (
        "per-item-floor",
        "fact 缺失项: list",
        'deduct 1 per 缺失项 "缺少：{item}"',
        "缺失项: [甲, 乙, 丙]",
        "2",
        "0.00",
        [
            ("base", "2", None),
            ("deduct", "-1", "缺少：甲"),
            ("deduct", "-1", "缺少：乙"),
            ("deduct", "-1", "缺少：丙"),
            ("floor", "1", None),
        ],
    ),
    (
        "per-item-empty",
        "fact 缺失项: list",
        'deduct 0.5 per 缺失项 "缺少：{item}"',
        "缺失项: []",
        "2",
        "2.00",
        [("base", "2", None)],
    ),
    (
        "per-count",
        "fact 重复故障次数: count",
        'deduct 1 per 重复故障次数 "重复故障{count}次"',
        "重复故障次数: 3",
        "4",
        "1.00",
        [("base", "4", None), ("deduct", "-3", "重复故障3次")],
    ),
    # ----- deductions on conditions, each with its reason
    (
        "deduct-when",
        "fact 有测算: bool\nfact 匹配: bool",
        'deduct 1 when not 有测算 "无明细测算"\ndeduct 2 when not 匹配 "与工作内容不匹配"',
        "有测算: false;匹配: false",
        "3",
        "0.00",
        [("base", "3", None), ("deduct", "-1", "无明细测算"), ("deduct", "-2", "与工作内容不匹配")],
    ),
    # ----- zero-when override (存在截留挤占挪用 → 本项不得分)
    (
        "zero-when",
        "fact 违规: list\nfact 挪用: bool",
        'deduct 1 per 违规 "违规：{item}"\nzero when 挪用 "存在挪用，本项不得分"',
        "违规: [甲];挪用: true",
        "5",
        "0.00",
        [("base", "5", None), ("deduct", "-1", "违规：甲"), ("zero", "-4", "存在挪用，本项不得分")],
    ),
    (
        "zero-when-not",
        "fact 违规: list\nfact 挪用: bool",
        'deduct 1 per 违规 "违规：{item}"\nzero when 挪用 "存在挪用，本项不得分"',
        "违规: [];挪用: false",
        "5",
        "5.00",
        [("base", "5", None)],
    ),
    # ----- qualitative levels
    (
        "levels-points",
        "fact 健全程度: text",
        'levels 健全程度 { "健全": full; "基本健全": 6; "不健全": 0 }',
        "健全程度: 基本健全",
        "10",
        "6.00",
        [("level", "6", None)],
    ),
    (
        "levels-share",
        "fact 相符程度: text",
        'levels 相符程度 { "高": full; "基本相符": 50%; "不相符": 0 }',
        "相符程度: 基本相符",
        "4",
        "2.00",
        [("level", "2", None)],
    ),
    # ----- derived facts: arithmetic, count(), min/max, if
    (
        "count-list",
        "fact 问题: list\nlet 问题数: count = count(问题)",
        "tiers 问题数 { == 0: full; <= 2: 50%; else: 0 }",
        "问题: [a, b]",
        "4",
        "2.00",
        [("tier", "2", None)],
    ),
    (
        "min-max-if",
        "fact 甲: number\nfact 乙: number\nlet 率: percent = if 乙 > 0 then min(甲 / 乙, 1) else 0",
        "proportional 率",
        "甲: 3;乙: 4",
        "8",
        "6.00",
        [("proportional", "6", None)],
    ),
    (
        "warn-when",
        "fact 回收率: percent\nfact 满意度: percent",
        'full when 满意度 >= 85%\nwarn when 回收率 < 60% "问卷回收率低于60%"',
        "回收率: 50%;满意度: 90%",
        "10",
        "10.00",
        [("full", "10", None), ("warn", "0", "问卷回收率低于60%")],
    ),
    # ----- guarded division: the faulty rate is never read
    (
        "guarded-division",
        "fact 故障总数: count\nfact 及时数: count\nlet 及时率: percent = 及时数 / 故障总数",
        "full when 故障总数 == 0 else proportional 及时率",
        "故障总数: 0;及时数: 0",
        "4",
        "4.00",
        [("full", "4", None)],
    ),
]


@pytest.mark.parametrize(
    ("decls", "body", "facts", "weight", "points", "lines"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_rule_form(
    decls: str,
    body: str,
    facts: str,
    weight: str,
    points: str,
    lines: list[tuple[str, str, str | None]],
) -> None:
    got_points, got_lines = run(decls, body, facts, weight)
    assert got_points == points
    assert [(k, p, r) for k, p, r in got_lines] == lines


def test_rounding_mode_truncate() -> None:
    plan = compile_text(
        'pack "t" { total 4 rounding 2 truncate }\nfact 率: percent\n'
        'indicator X "x" 4 { proportional 率 }'
    )
    assert score(plan, "facts:\n  率: 0.91304").points["X"] == "3.65"
    plan = compile_text(
        'pack "t" { total 4 rounding 1 half_up }\nfact 率: percent\n'
        'indicator X "x" 4 { proportional 率 }'
    )
    assert score(plan, "facts:\n  率: 0.91304").points["X"] == "3.7"


def test_parent_is_exact_sum_of_rounded_leaves() -> None:
    plan = compile_text(
        'pack "t" { total 6 }\nfact 率: percent\n'
        'indicator P "p" 6 { indicator P1 "a" 3 { proportional 率 } '
        'indicator P2 "b" 3 { proportional 率 } }'
    )
    scored = score(plan, "facts:\n  率: 0.3335")  # 3 × 0.3335 = 1.0005 → 1.00 each
    assert scored.points == {"P": "2.00", "P1": "1.00", "P2": "1.00"}
    assert scored.result.total == Decimal("2.00")


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("90", "优"),
        ("89.99", "良"),
        ("80", "良"),
        ("79.99", "中"),
        ("60", "中"),
        ("59.99", "差"),
        ("0", "差"),
    ],
)
def test_grade_bands_are_half_open(total: str, grade: str) -> None:
    plan = compile_text(
        'pack "t" { total 100 }\nfact 分: number\nindicator X "x" 100 { proportional 分 / 100 }'
    )
    assert score(plan, f"facts:\n  分: {total}").result.grade == grade


def test_custom_grade_labels() -> None:
    plan = compile_text(
        'pack "t" { total 100 grades { 优秀 >= 90; 良好 >= 75; 合格 >= 60; 不合格 else } }'
        '\nfact 分: number\nindicator X "x" 100 { proportional 分 / 100 }'
    )
    assert score(plan, "facts:\n  分: 76").result.grade == "良好"


def test_missing_fact_names_every_indicator_that_needs_it() -> None:
    plan = compile_text(
        'pack "t" { total 4 }\nfact 预算: money\nfact 支出: money\n'
        "let 率: percent = 支出 / 预算\n"
        'indicator A "a" 2 { proportional 率 }\n'
        'indicator B "b" 2 { full when 预算 > 0 }'
    )
    scored = score(plan, "facts:\n  支出: 100")
    assert scored.result.total is None
    [diag] = [d for d in scored.result.diagnostics if d.code == "E605"]
    assert "`预算`" in diag.message and "`A`, `B`" in diag.message


def test_default_fills_a_missing_fact() -> None:
    plan = compile_text(
        'pack "t" { total 2 }\nfact 缺失项: list default []\n'
        'indicator A "a" 2 { deduct 0.5 per 缺失项 }'
    )
    scored = score(plan, "facts: {}")
    assert scored.points["A"] == "2.00"


def test_unknown_level_is_an_error_not_zero() -> None:
    plan = compile_text(
        'pack "t" { total 2 }\nfact 程度: text\n'
        'indicator A "a" 2 { levels 程度 { "高": full; "低": 0 } }'
    )
    scored = score(plan, "facts:\n  程度: 中")
    assert scored.points["A"] is None
    assert [d.code for d in scored.result.diagnostics] == ["E607"]


def test_no_band_is_an_error_not_zero() -> None:
    # bounded by a parameter, the gap cannot be proved before the evidence comes
    plan = compile_text(
        'pack "t" { total 2 }\nfact 率: percent\nparam 线: percent = 90%\n'
        'indicator A "a" 2 { tiers 率 { >= 95%: full; [线, 95%): 1 } }'
    )
    scored = score(plan, "facts:\n  率: 50%")
    assert scored.points["A"] is None
    assert [d.code for d in scored.result.diagnostics] == ["E608"]


def test_division_by_zero_names_the_fact() -> None:
    plan = compile_text(
        'pack "t" { total 3 }\nfact 预算: money\nfact 支出: money\n'
        'let 率: percent = 支出 / 预算\nindicator A "a" 3 { proportional 率 }'
    )
    scored = score(plan, "facts:\n  预算: 0\n  支出: 5")
    [diag] = scored.result.diagnostics
    assert diag.code == "E606"
    assert "`预算` is 0" in diag.message
    assert diag.labels[1].span.line == 2  # the evidence line that gave 预算
