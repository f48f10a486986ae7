"""Every pattern of `scoring-patterns.md`, stated as its author wrote it.

Each test quotes a real phrasing (in its docstring or the pack's comment), writes it in the
DSL, and checks the points and the ledger lines (kind, points, reason) an evaluator must get.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from jixiao.dsl.diagnostics import JixiaoError

from .helpers import compile_text, diagnostics_of, score


def pack(body: str, total: str = "10", header: str = "") -> str:
    return f'pack "t" {{ total {total} {header} }}\n{body}\n'


def evaluate(text: str, facts: str, params: str = ""):  # type: ignore[no-untyped-def]
    plan = compile_text(text)
    evidence = "facts:\n" + "".join(f"  {x}\n" for x in facts.split(";") if x)
    if params:
        evidence += "params:\n" + "".join(f"  {x}\n" for x in params.split(";") if x)
    scored = score(plan, evidence)
    for ind in scored.result.indicators:
        if ind.points is not None and ind.lines:
            assert sum((ln.points for ln in ind.lines), Decimal(0)) == ind.points
    return scored


# ----- reusable scoring functions ------------------------------------------------------------

FUNCTIONS = """
# 正向指标（即目标值为≥X，得分=权重*B/A）…得分不得突破权重总额
function 正向(目标: number, 实际: number) { forward 实际 target 目标 }
# 反向指标（即目标值为≤X，得分=权重*A/B）
function 反向(目标: number, 实际: number) { reverse 实际 target 目标 }
fact 完成数: count
fact 成本: money
indicator A "数量指标" 6 { 正向(50, 完成数) }
indicator B "成本指标" 4 { 反向(90000, 成本) }
"""


def test_functions_applied_to_many_indicators() -> None:
    scored = evaluate(pack(FUNCTIONS), "完成数: 40;成本: 100000")
    assert scored.points == {"A": "4.80", "B": "3.60"}
    assert scored.lines("A") == [("forward", "4.8", None)]
    assert scored.lines("B") == [("reverse", "3.6", None)]


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ("正向(50)", "E307"),
        ('正向(50, "很多")', "E308"),
        ("未定义(50, 完成数)", "E211"),
    ],
)
def test_function_calls_are_checked(call: str, code: str) -> None:
    text = pack(FUNCTIONS.replace("正向(50, 完成数)", call))
    assert code in [d.code for d in diagnostics_of(text)]


def test_recursion_is_refused() -> None:
    text = pack(
        "function 甲(x: number) { 乙(x) }\nfunction 乙(x: number) { 甲(x) }\n"
        'fact n: number\nindicator A "a" 10 { 甲(n) }'
    )
    assert "E502" in [d.code for d in diagnostics_of(text)]


# ----- checklists with shares ----------------------------------------------------------------


def test_checklist_shares() -> None:
    """①…；②…；③… 三项分别占30%、30%、40%权重分，全部符合得满分，否则扣除100%相应权重分"""
    text = pack(
        "fact 甲: bool\nfact 乙: bool\nfact 丙: bool\n"
        'indicator A "a" 10 { checklist { 30%: 甲 "程序规范"; 30%: 乙 "资料完整"; '
        '40%: 丙 "公开透明" } }'
    )
    scored = evaluate(text, "甲: true;乙: false;丙: true")
    assert scored.points["A"] == "7.00"
    assert scored.lines("A") == [
        ("check", "3", "程序规范"),
        ("check", "0", "资料完整"),
        ("check", "4", "公开透明"),
    ]


def test_checklist_points_and_attribute_dependent_elements() -> None:
    """没有…的项目选择前两项分别占50%权重分; 设有目标(1分)目标明确(1分)…"""
    text = pack(
        "fact 有决策程序: bool\nfact 甲: bool\nfact 乙: bool\nfact 丙: bool\n"
        'indicator A "a" 4 { choose { when 有决策程序: checklist { 30%: 甲; 30%: 乙; '
        "40%: 丙 }; else: checklist { 50%: 甲; 50%: 乙 } } }",
        total="4",
    )
    assert evaluate(text, "有决策程序: false;甲: true;乙: false;丙: true").points["A"] == "2.00"
    assert evaluate(text, "有决策程序: true;甲: true;乙: false;丙: true").points["A"] == "2.80"


def test_checklist_base_share() -> None:
    """具备一个得分要素，得到指标分值的20% — and a base share plus elements"""
    text = pack(
        "fact 甲: bool\nfact 乙: bool\n"
        'indicator A "a" 5 { checklist { base 20%; 40%: 甲; 40%: 乙 } }',
        total="5",
    )
    scored = evaluate(text, "甲: true;乙: false")
    assert scored.points["A"] == "3.00"
    assert scored.lines("A")[0] == ("check_base", "1", None)


def test_checklist_above_weight_is_refused() -> None:
    text = pack('fact 甲: bool\nindicator A "a" 10 { checklist { 60%: 甲; 60%: 甲 } }')
    assert "E414" in [d.code for d in diagnostics_of(text)]


# ----- step deductions -----------------------------------------------------------------------

STEP = pack(
    'fact 完成率: percent max 200%\nindicator A "a" 15 { deduct 1 per 3% of 100% - 完成率 {mode} '
    'max 15 "与计划每相差3%扣1分" }',
    total="15",
)


@pytest.mark.parametrize(
    ("mode", "rate", "points"),
    [
        ("whole", "92%", "13.00"),  # 8% short: 2 whole steps
        ("started", "92%", "12.00"),  # 3 started steps
        ("continuous", "92%", "12.33"),  # 8/3 = 2.67 steps
        ("whole", "100%", "15.00"),
        ("whole", "110%", "15.00"),  # one-sided: over-achievement loses nothing
        ("whole", "0%", "0.00"),  # 33 steps, capped at 15 (扣满15分为止)
    ],
)
def test_step_deduction(mode: str, rate: str, points: str) -> None:
    """实际完成情况与计划每相差3%，扣1分，扣满15分为止"""
    assert evaluate(STEP.replace("{mode}", mode), f"完成率: {rate}").points["A"] == points


def test_step_deduction_ledger_and_two_sided() -> None:
    """每滞后一年扣2分，扣完为止; a two-sided deviation is written with abs()"""
    text = pack(
        "fact 滞后年数: number\nfact 偏差: percent min -100%\n"
        'indicator A "a" 5 { deduct 2 per 1 of 滞后年数 whole "资金到位滞后" }\n'
        'indicator B "b" 5 { deduct 1 per 5% of abs(偏差) whole "偏差" }'
    )
    scored = evaluate(text, "滞后年数: 2;偏差: -12%")
    assert scored.points == {"A": "1.00", "B": "3.00"}
    assert scored.lines("A") == [("base", "5", None), ("step", "-4", "资金到位滞后")]


# ----- itemised deductions -------------------------------------------------------------------


def test_amounts_by_severity_with_category_caps() -> None:
    """每发生一起一般质量事故扣1分，严重质量事故扣2分; 扣完2分为止 inside a larger leaf"""
    text = pack(
        'fact 质量事故: list\nindicator A "a" 10 { deduct per 质量事故 by "severity" '
        '{ "一般": 1 max 2; "严重": 2 } "质量事故：{item}" }'
    )
    scored = evaluate(
        text,
        "质量事故: [{item: 甲, severity: 一般}, {item: 乙, severity: 一般}, "
        "{item: 丙, severity: 一般}, {item: 丁, severity: 严重}]",
    )
    assert scored.points["A"] == "6.00"
    assert [k for k, _, _ in scored.lines("A")] == [
        "base",
        "deduct",
        "deduct",
        "deduct",
        "clause_cap",
        "deduct",
    ]


def test_unknown_severity_is_an_error() -> None:
    text = pack(
        'fact 质量事故: list\nindicator A "a" 10 { deduct per 质量事故 by "severity" '
        '{ "一般": 1; "严重": 2 } }'
    )
    scored = evaluate(text, "质量事故: [{item: 甲, severity: 特别}]")
    assert scored.points["A"] is None
    assert [d.code for d in scored.result.diagnostics] == ["E613"]


def test_identical_findings_counted_once() -> None:
    """质量缺陷…每项次扣1分（同一类型只扣一次）"""
    text = pack(
        'fact 缺陷: list\nindicator A "a" 10 { deduct 1 per 缺陷 distinct by "类型" '
        '"质量缺陷：{item}" }'
    )
    scored = evaluate(
        text,
        "缺陷: [{item: 裂缝1, 类型: 裂缝}, {item: 裂缝2, 类型: 裂缝}, {item: 渗水, 类型: 渗水}]",
    )
    assert scored.points["A"] == "8.00"
    assert [k for k, _, _ in scored.lines("A")] == ["base", "deduct", "duplicate", "deduct"]


def test_per_clause_cap() -> None:
    """每有一项填写不完整…扣0.2分，扣完2分为止 (in a leaf worth more)"""
    text = pack('fact 问题: count\nindicator A "a" 10 { deduct 0.2 per 问题 max 2 }')
    assert evaluate(text, "问题: 14").points["A"] == "8.00"


def test_deduction_pool_over_a_subtree() -> None:
    """综合得分=100分-日常监测扣分-年终扣分"""
    text = pack(
        "fact 甲: bool\nfact 乙: bool\nfact 日常问题: list\nfact 年终问题: list\n"
        'indicator A "综合" 100 {\n'
        '  indicator A1 "甲" 60 { full when 甲 }\n'
        '  indicator A2 "乙" 40 { full when 乙 }\n'
        '  deduct 1 per 日常问题 "日常监测：{item}"\n'
        '  deduct 2 per 年终问题 "年终考核：{item}"\n}',
        total="100",
    )
    scored = evaluate(text, "甲: true;乙: true;日常问题: [a, b, c];年终问题: [d]")
    assert scored.points == {"A": "95.00", "A1": "60.00", "A2": "40.00"}
    assert scored.lines("A")[0] == ("sum", "100", None)


# ----- reverse and equality targets ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "actual", "target", "points"),
    [
        ("reverse", "120", "100", "8.33"),  # ratio: 10 × 100/120
        ("reverse", "100", "100", "10.00"),
        ("reverse {x} linear", "120", "100", "8.00"),  # 1 − 20/100
        ("reverse {x} linear", "200", "100", "0.00"),
        ("reverse", "2", "0", "0.00"),  # 瘫痪次数 目标值0: no division by zero
        ("reverse", "0", "0", "10.00"),
        ("equal", "0", "0", "10.00"),  # = 0 target: full only at ≤ 0
        ("equal", "1", "0", "0.00"),
        ("equal", "80", "100", "8.00"),  # otherwise as the positive case
        ("forward", "-5", "100", "0.00"),  # a negative actual counts as 0
    ],
)
def test_targets(rule: str, actual: str, target: str, points: str) -> None:
    form = rule.split()[0]
    suffix = " linear" if "linear" in rule else ""
    text = pack(f'fact 实际: number\nindicator A "a" 10 {{ {form} 实际 target {target}{suffix} }}')
    assert evaluate(text, f"实际: {actual}").points["A"] == points


# ----- qualitative levels as ranges ----------------------------------------------------------

LEVELS = pack("""
param 达成线: percent = 80%
param 部分达成线: percent = 60%
fact 档次: text
fact 评价分: number
indicator A "定性指标" 10 {
    levels 档次 score 评价分 {
        "达成": [达成线, 100%]; "部分达成": [部分达成线, 达成线); "未达成": [0, 部分达成线)
    }
}
""")


def test_level_range_accepts_a_score_inside() -> None:
    """达成年度指标: 100–80% (80% included); 部分达成: 80–60%; 未达成: below 60%"""
    scored = evaluate(LEVELS, "档次: 部分达成;评价分: 7.5")
    assert scored.points["A"] == "7.50"
    assert scored.lines("A") == [("level_score", "7.5", "部分达成")]


def test_level_range_rejects_a_score_outside_naming_level_and_range() -> None:
    scored = evaluate(LEVELS, "档次: 部分达成;评价分: 8")
    assert scored.points["A"] is None
    [diag] = scored.result.diagnostics
    assert diag.code == "E612" and "`部分达成`" in diag.message and "[6, 8)" in diag.message


def test_cut_points_are_parameters() -> None:
    """Hubei: 100–80% / 80–50% / below 50% — the same pack with other parameters"""
    scored = evaluate(LEVELS, "档次: 部分达成;评价分: 5.5", params="部分达成线: 50%")
    assert scored.points["A"] == "5.50"


# ----- discretionary deductions --------------------------------------------------------------

JUDGED = pack(
    'fact 酌情扣分: judgement\nindicator A "a" 5 { deduct 酌情扣分 within [0.5, 2] "资料规范性" }',
    total="5",
)


def test_discretionary_deduction_with_who_and_when() -> None:
    """酌情扣0.5-2.0分"""
    scored = evaluate(
        JUDGED, "酌情扣分: {value: 1.5, reason: 台账不完整, by: 张三, date: 2018-05-20}"
    )
    assert scored.points["A"] == "3.50"
    [_, line] = scored.result.indicators[0].lines
    assert line.kind.value == "judged" and line.reason == "资料规范性：台账不完整"
    assert line.facts[0].value.by == "张三"


def test_discretionary_deduction_outside_range_or_without_reason() -> None:
    scored = evaluate(JUDGED, "酌情扣分: {value: 3, reason: 严重}")
    assert [d.code for d in scored.result.diagnostics] == ["E610"]
    with pytest.raises(JixiaoError) as info:
        evaluate(JUDGED, "酌情扣分: 1")
    assert [d.code for d in info.value.diagnostics] == ["E615"]


# ----- dates and durations -------------------------------------------------------------------


def test_deadline_and_overrun_share() -> None:
    """12月底之前完成; 超计划时间占计划完成时间百分比…每相差4%，扣1分，扣满10分为止"""
    text = pack("""
fact 开工日期: date
fact 计划完成日期: date
fact 实际完成日期: date
let 超期率: percent = days(计划完成日期, 实际完成日期) / days(开工日期, 计划完成日期)
indicator A "完成及时性" 5 { full when 实际完成日期 <= 2017-12-31 }
indicator B "进度" 5 { deduct 1 per 4% of 超期率 whole max 5 "超期扣分" }
""")
    scored = evaluate(
        text, "开工日期: 2017-01-01;计划完成日期: 2017-11-28;实际完成日期: 2018-01-01"
    )
    # planned 331 days, overrun 34 days = 10.27% → 2 whole steps
    assert scored.points == {"A": "0.00", "B": "3.00"}


def test_working_days() -> None:
    text = pack(
        "fact 起: date\nfact 止: date\nlet 工作日: count = workdays(起, 止)\n"
        "let 日历日: count = days(起, 止)\n"
        'indicator A "a" 10 { full when 工作日 <= 5 and 日历日 == 7 }'
    )
    assert evaluate(text, "起: 2018-05-04;止: 2018-05-11").points["A"] == "10.00"  # Fri→Fri


# ----- bonus and penalty outside the 100 -----------------------------------------------------

BONUS = pack(
    """
fact 甲: bool
fact 国家级: list
fact 省级: list
fact 市级: list
fact 事故: count
indicator A "a" 100 { full when 甲 }
bonus E1 "附加分" max 5 highest {
    add 5 per 国家级 "被国家级肯定和推广：{item}"
    add 3 per 省级 "被省级肯定和推广：{item}"
    add 1 per 市级 "被市级肯定和推广：{item}"
}
penalty P1 "扣分项" max 10 { deduct 2 per 事故 "发生事故{count}起" }
""",
    total="100",
    header="{overflow}",
)


def test_bonus_highest_only_and_capped() -> None:
    """被市级肯定和推广1项加1分，被省级…加3分，被国家级…加5分，同一项按最高分只计入1次"""
    scored = evaluate(
        BONUS.replace("{overflow}", "overflow allow"),
        "甲: true;国家级: [];省级: [经验A];市级: [经验A, 经验B];事故: 0",
    )
    bonus = scored.result.extras[0]
    assert bonus.points == Decimal(4)  # 经验A at 3 (not also 1), 经验B at 1
    assert [ln.kind.value for ln in bonus.lines] == ["add", "once", "add"]
    assert scored.result.total == Decimal("104.00")  # outside the weight invariants
    assert scored.result.tree_total == Decimal(100)


def test_bonus_cap_and_overflow_cap() -> None:
    scored = evaluate(
        BONUS.replace("{overflow}", ""), "甲: true;国家级: [甲, 乙];省级: [];市级: [];事故: 0"
    )
    assert scored.result.extras[0].points == Decimal(5)  # 10 capped at 最高加分 5
    assert scored.result.total == Decimal("100.00")  # the pack caps the total by default
    assert [ln.kind.value for ln in scored.result.total_lines] == ["extra", "overflow"]


def test_penalty() -> None:
    scored = evaluate(
        BONUS.replace("{overflow}", ""), "甲: true;国家级: [];省级: [];市级: [];事故: 2"
    )
    assert scored.result.total == Decimal("96.00")


# ----- vetoes ---------------------------------------------------------------------------------

VETO = pack(
    """
fact 分: number
fact 截留: bool
fact 重大事故: bool
fact 整改未完成: bool
fact 质量事故: bool
indicator A "a" 60 { proportional 分 / 100 }
indicator B "b" 40 { proportional 分 / 100 }
veto when 截留 zero B "存在截留挤占挪用"
veto when 重大事故 grade 差 "发生重大以上事故"
veto when 整改未完成 cap 良 "不能评为优秀"
veto when 质量事故 disqualify "取消绩效考核资格"
""",
    total="100",
)


@pytest.mark.parametrize(
    ("facts", "total", "grade", "disqualified"),
    [
        ("截留: false;重大事故: false;整改未完成: false;质量事故: false", "95.00", "优", False),
        ("截留: true;重大事故: false;整改未完成: false;质量事故: false", "57.00", "差", False),
        ("截留: false;重大事故: true;整改未完成: false;质量事故: false", "95.00", "差", False),
        ("截留: false;重大事故: false;整改未完成: true;质量事故: false", "95.00", "良", False),
        ("截留: false;重大事故: false;整改未完成: false;质量事故: true", "95.00", None, True),
    ],
)
def test_vetoes(facts: str, total: str, grade: str | None, disqualified: bool) -> None:
    """一票否决 → 差; 不能评为优秀; 取消绩效考核资格; 本项不得分 (subtree)"""
    scored = evaluate(VETO, f"分: 95;{facts}")
    assert format(scored.result.total, "f") == total
    assert scored.result.grade == grade
    assert scored.result.disqualified is disqualified
    fired = [v.action for v in scored.result.vetoes if v.fired]
    assert len(fired) == (0 if grade == "优" else 1)


def test_veto_names_a_grade_the_pack_has() -> None:
    text = VETO.replace("cap 良", "cap 良好")
    assert "E415" in [d.code for d in diagnostics_of(text)]


# ----- aggregation variants ------------------------------------------------------------------


def test_nested_relative_weights() -> None:
    """一级 权重 50/25/25, and inside each 一级 the leaf 分值 sum to 100"""
    text = pack(
        """
fact 率: percent
indicator A "预算管理" 50 of 100 {
    indicator A1 "a" 75 { proportional 率 }
    indicator A2 "b" 25 { full when 率 > 0 }
}
indicator B "财务管理" 50 of 100 { indicator B1 "c" 100 { proportional 率 } }
""",
        total="100",
    )
    scored = evaluate(text, "率: 80%")
    # A: (60 + 25) × 50/100 = 42.5; B: 80 × 50/100 = 40
    assert scored.points == {
        "A": "42.50",
        "A1": "60.00",
        "A2": "25.00",
        "B": "40.00",
        "B1": "80.00",
    }
    assert scored.lines("A")[0] == ("scale", "42.5", None)


NA = pack(
    """
fact 甲: bool
fact 乙: percent
fact 丙: bool
indicator A "a" 40 { full when 甲 }
indicator B "b" 30 { proportional 乙 }
indicator C "c" 30 { full when 丙 }
""",
    total="100",
    header="{policy}",
)


def test_not_applicable_excluded_and_rescaled() -> None:
    """不考核该指标，用适用指标得分汇总后按百分制对该项目折算计分"""
    scored = evaluate(
        NA.replace("{policy}", "not_applicable exclude"), "甲: true;乙: 不适用;丙: false"
    )
    assert scored.points["B"] is None and scored.result.indicators[1].excluded
    # 40 / 70 × 100 = 57.14
    assert scored.result.total == Decimal("57.14")
    assert [ln.kind.value for ln in scored.result.total_lines] == ["rescale", "round"]


def test_not_applicable_full_marks() -> None:
    """若实施方案没有该项建设任务的，不扣分"""
    scored = evaluate(NA.replace("{policy}", "not_applicable full"), "甲: true;乙: n/a;丙: false")
    assert scored.points["B"] == "30.00" and scored.result.total == Decimal("70.00")


def test_not_applicable_without_a_policy_is_an_error() -> None:
    scored = evaluate(NA.replace("{policy}", ""), "甲: true;乙: 不适用;丙: false")
    assert [d.code for d in scored.result.diagnostics] == ["E611"]


def test_indicator_policy_overrides_the_pack() -> None:
    text = NA.replace("{policy}", "not_applicable exclude").replace(
        "{ proportional 乙 }", "{ proportional 乙; na zero }"
    )
    assert evaluate(text, "甲: true;乙: 不适用;丙: false").points["B"] == "0.00"


# ----- rounding -------------------------------------------------------------------------------

ROUNDING = pack(
    'fact 率: percent\nindicator A "a" 4 { proportional 率 }\n'
    'indicator B "b" 6 { proportional 率 }',
    header="{rounding}",
)


@pytest.mark.parametrize(
    ("rounding", "a", "total"),
    [
        ("rounding 2 half_up", "3.65", "9.13"),  # 3.652 → 3.65, 5.478 → 5.48
        ("rounding 2 truncate", "3.65", "9.12"),  # 3.65 + 5.47
        ("rounding 2 四舍五入", "3.65", "9.13"),  # the standard's own word for half_up
        ("rounding 2 去尾", "3.65", "9.12"),
        ("rounding 2 进一", "3.66", "9.14"),  # 3.6522 → 3.66, 5.4782 → 5.48
        ("rounding 2 half_up on total", "3.65216", "9.13"),  # 9.1304 once
        ("rounding 1 half_up on total", "3.65216", "9.1"),
    ],
)
def test_rounding_settings(rounding: str, a: str, total: str) -> None:
    scored = evaluate(ROUNDING.replace("{rounding}", rounding), "率: 0.91304")
    ind = scored.result.indicators[0]
    assert ind.points is not None and ind.points.normalize() == Decimal(a).normalize()
    assert format(scored.result.total, "f") == total
    if "on total" in rounding:
        assert scored.result.total_lines[-1].kind.value == "round"


def test_undecidable_veto_leaves_the_total_undecided() -> None:
    scored = evaluate(VETO, "分: 95;截留: false;重大事故: false;整改未完成: false")
    assert scored.result.total is None and scored.result.grade is None
    assert [d.code for d in scored.result.diagnostics] == ["E605"]
    assert "a veto needs it" in scored.result.diagnostics[0].message
