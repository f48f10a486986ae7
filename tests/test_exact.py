"""A score that lands on a rounding boundary is rounded as the exact number it is, not as the
28-digit decimal a non-terminating quotient leaves (3 × 5,500 / 300,000 is 0.055: 0.06)."""

from __future__ import annotations

import decimal
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.plan.exact import round_exact

from .helpers import FOUNDING_EVIDENCE, Scored, cli, compile_text, score

MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
}


def test_the_founding_pack_rounds_half_a_cent_up() -> None:
    from .test_founding import evidence_with

    plan = compile_text(
        (FOUNDING_EVIDENCE.parent.parent / "rules" / "video-conference-2017.jx").read_text(
            encoding="utf-8"
        )
    )
    scored = score(plan, evidence_with(预算金额=300000, 实际支出=5500))
    assert scored.points["B1.1.2"] == "0.06"  # 3 × 5,500 / 300,000 = 0.055 exactly
    leaf = next(i for i in scored.result.indicators if i.code == "B1.1.2")
    assert sum((line.points for line in leaf.lines), Decimal(0)) == leaf.points
    assert [line.points for line in leaf.lines][-2:] == [Decimal("0.055"), Decimal("0.005")]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 20),  # weight
    st.integers(0, 2),  # places
    st.sampled_from(sorted(MODES)),
    st.integers(0, 2_000_000),
    st.integers(1, 2_000_000),
)
def test_proportional_scores_round_the_exact_ratio(
    weight: int, places: int, mode: str, done: int, planned: int
) -> None:
    plan = compile_text(
        f'pack "t" {{ total {weight} rounding {places} {mode} }}\n'
        "fact 完成: count\nfact 计划: count nonzero\n"
        f'indicator A "a" {weight} {{ proportional 完成 / 计划 }}\n'
    )
    result = score(plan, f"facts: {{完成: {done}, 计划: {planned}}}").result
    exact = min(Fraction(weight), Fraction(weight * done, planned))
    assert result.indicators[0].points == round_exact(exact, places, MODES[mode])


def test_a_boundary_reached_through_a_third_rounds_as_exact() -> None:
    """`down` rounds 3 × ⅓ = 1 to 1.00, though 3 × 0.333…3 is 0.999…9."""
    plan = compile_text(
        'pack "t" { total 3 rounding 2 down }\nfact 甲: count\nfact 乙: count nonzero\n'
        'indicator A "a" 3 { proportional 甲 / 乙 }\n'
    )
    assert score(plan, "facts: {甲: 1, 乙: 3}").points["A"] == "1.00"


@given(
    st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False),
    st.integers(0, 4),
    st.sampled_from([*sorted(MODES.values()), decimal.ROUND_CEILING, decimal.ROUND_FLOOR]),
)
def test_round_exact_agrees_with_quantize_on_decimals(
    value: Decimal, places: int, mode: str
) -> None:
    expected = value.quantize(Decimal(1).scaleb(-places), rounding=mode)
    got = round_exact(Fraction(value), places, mode)
    assert got == expected and str(got) == str(expected.copy_abs() if got == 0 else expected)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([(3, 3), (6, 3), (9, 3), (7, 7), (14, 7), (11, 11)]),  # weight, its factor
    st.integers(0, 2),
    st.sampled_from(sorted(MODES)),
    st.integers(0, 4),
    st.integers(0, 4),
    st.data(),
)
def test_ratios_built_to_land_on_boundaries_round_exactly(
    weights: tuple[int, int], places: int, mode: str, twos: int, fives: int, data: st.DataObject
) -> None:
    """Planned = factor × 2ˣ × 5ʸ: the ratio never terminates, the score always does, and it
    falls on a rounding boundary about half the time."""
    weight, factor = weights
    planned = factor * 2**twos * 5**fives
    done = data.draw(st.integers(0, planned))
    plan = compile_text(
        f'pack "t" {{ total {weight} rounding {places} {mode} }}\n'
        "fact 完成: count\nfact 计划: count nonzero\n"
        f'indicator A "a" {weight} {{ proportional 完成 / 计划 }}\n'
    )
    result = score(plan, f"facts: {{完成: {done}, 计划: {planned}}}").result
    leaf = result.indicators[0]
    assert leaf.points == round_exact(Fraction(weight * done, planned), places, MODES[mode])
    assert sum((line.points for line in leaf.lines), Decimal(0)) == leaf.points


def test_a_leaf_a_veto_spares_rounds_exactly_too() -> None:
    plan = compile_text(
        'pack "t" { total 3 rounding 2 half_up }\n'
        "fact 甲: count\nfact 乙: count nonzero\nfact 出事: bool\n"
        'indicator A "a" 3 { proportional 甲 / 乙 }\n'
        'veto when 出事 zero A "本项不得分"\n'
    )
    spared = score(plan, "facts: {甲: 5500, 乙: 300000, 出事: false}")
    assert spared.points["A"] == "0.06"
    vetoed = score(plan, "facts: {甲: 5500, 乙: 300000, 出事: true}")
    assert vetoed.points["A"] == "0.00"
    assert [ln.kind.value for ln in vetoed.result.indicators[0].lines][-1] == "veto"


def test_a_branch_whose_own_rule_divides_rounds_exactly() -> None:
    """5 − ⅙ × 3 is exactly 4.5: 5 at no places, though 5 − 0.5000…01 is 4.4999…99."""
    plan = compile_text(
        'pack "t" { total 5 rounding 0 half_up }\n'
        "fact 甲: count\nfact 乙: count nonzero\nfact 丙: bool\n"
        'indicator B "b" 5 {\n    deduct 甲 / 乙 * 3 when 丙 "扣分"\n'
        '    indicator B1 "b1" 5 { full when 丙 }\n}\n'
    )
    scored = score(plan, "facts: {甲: 1, 乙: 6, 丙: true}")
    branch = scored.result.indicators[0]
    assert branch.points == Decimal(5) and scored.result.total == Decimal(5)
    assert [line.points for line in branch.lines] == [Decimal(5), Decimal("-0.5"), Decimal("0.5")]


def test_a_total_near_a_boundary_is_computed_again_and_still_adds_up() -> None:
    """A bonus whose amount divides puts the total a hair from 4.5; the total's lines must
    still take the tree's sum to the total exactly."""
    plan = compile_text(
        'pack "t" { total 10 rounding 0 half_up }\n'
        "fact 甲: count\nfact 乙: count nonzero\nfact 丙: bool\n"
        'indicator A "a" 10 { deduct 6 when 丙 }\n'
        'bonus E "附加分" max 5 { add 甲 / 乙 * 3 when 丙 "加分" }\n'
    )
    result = score(plan, "facts: {甲: 1, 乙: 6, 丙: true}").result
    assert result.tree_total is not None and result.total is not None
    assert result.tree_total + sum((ln.points for ln in result.total_lines), Decimal(0)) == (
        result.total
    )


def test_a_bonus_whose_amount_divides_rounds_the_total_exactly() -> None:
    """4.44 + 11/600 × 3 is exactly 4.495: 4.50, though 4.44 + 0.054999…9 would be 4.49."""
    plan = compile_text(
        'pack "t" { total 10 rounding 2 half_up }\n'
        "fact 甲: count\nfact 乙: count nonzero\nfact 丙: bool\n"
        'indicator A "a" 10 { deduct 5.56 when 丙 }\n'
        'bonus E "附加分" max 5 { add 甲 / 乙 * 3 when 丙 "加分" }\n'
    )
    result = score(plan, "facts: {甲: 11, 乙: 600, 丙: true}").result
    assert result.total == Decimal("4.50")
    assert result.tree_total is not None
    assert result.tree_total + sum((ln.points for ln in result.total_lines), Decimal(0)) == (
        result.total
    )


def test_rounding_on_total_rounds_the_exact_sum() -> None:
    """`on total` leaves stay unrounded (0.05499…9 here, as 28 digits give it); the total is
    the rounding of their exact sum, 0.055: 0.06, and its lines still start from the tree's."""
    plan = compile_text(
        'pack "t" { total 3 rounding 2 half_up on total }\n'
        "fact 甲: count\nfact 乙: count nonzero\n"
        'indicator A "a" 3 { proportional 甲 / 乙 }\n'
    )
    result = score(plan, "facts: {甲: 5500, 乙: 300000}").result
    assert result.total == Decimal("0.06")
    assert result.tree_total is not None and result.tree_total < Decimal("0.055")
    assert result.tree_total + sum((ln.points for ln in result.total_lines), Decimal(0)) == (
        result.total
    )


# ----- decisions: comparisons, bands, ranges and step counts are decided exactly -------------
#
# 10/12 × 40% + 4/9 × 60% is exactly 60 %; in 28 digits it is 0.5999…9. Every place that turns
# a number into a choice must decide on the exact value, as the ledger shows it (60.00 %).

SIXTY = (
    'pack "t" {{ total 10 rounding 2 half_up }}\n'
    "fact 甲: count\nfact 乙: count nonzero\nfact 丙: count\nfact 丁: count nonzero\n"
    "let 率: percent = 甲 / 乙 * 40% + 丙 / 丁 * 60%\n"
    "{rest}\n"
)
SIXTY_FACTS = "facts: {甲: 10, 乙: 12, 丙: 4, 丁: 9}"


def sixty(rest: str) -> Scored:
    return score(compile_text(SIXTY.format(rest=rest)), SIXTY_FACTS)


@pytest.mark.parametrize(
    ("rule", "points", "lines"),
    [
        ("tiers 率 { >= 60%: full; < 60%: 3 }", "10.00", [("tier", "10", None)]),
        ("tiers 率 { > 60%: full; <= 60%: 3 }", "3.00", [("tier", "3", None)]),
        (
            "tiers 率 { [60%, 100%]: full; [0, 60%): 3; > 100%: 0 }",
            "10.00",
            [("tier", "10", None)],
        ),
        ("tiers 率 { < 60%: 3; else: full }", "10.00", [("tier", "10", None)]),
        ("full when 率 >= 60% else 3", "10.00", [("full", "10", None)]),
        ("full when 率 == 60% else 3", "10.00", [("full", "10", None)]),
        ("full when 率 != 60% else 3", "3.00", [("unmet", "0", None), ("fixed", "3", None)]),
        ("full when 60% <= 率 else 3", "10.00", [("full", "10", None)]),
        ("full when 率 > 60% else 3", "3.00", [("unmet", "0", None), ("fixed", "3", None)]),
        ('deduct 2 when 率 < 60% "低于60%"', "10.00", [("base", "10", None)]),
        (
            'deduct 1 when 甲 > 100 "x"\nzero when 率 < 60% "本项不得分"',
            "10.00",
            [("base", "10", None)],
        ),
        ('deduct 1 when 甲 > 100 "x"\nwarn when 率 < 60% "偏低"', "10.00", [("base", "10", None)]),
        (
            'checklist { base 20%; 80%: 率 >= 60% "达标" }',
            "10.00",
            [("check_base", "2", None), ("check", "8", "达标")],
        ),
        (
            "choose { when 率 >= 60%: full; else: 3 }",
            "10.00",
            [("choice", "0", None), ("fixed", "10", None)],
        ),
        ("full when (if 率 >= 60% then 1 else 0) == 1 else 3", "10.00", [("full", "10", None)]),
        (  # the evaluator's score on the edge of its level's range: inside, not E612
            'levels (if 甲 > 0 then "达成" else "未达成") score 率 * 10 '
            '{ "达成": [6, 10]; "未达成": [0, 6) }',
            "6.00",
            [("level_score", "6", "达成")],
        ),
        ("forward 率 target 60%", "10.00", [("full", "10", None)]),
        ("reverse 率 target 60%", "10.00", [("full", "10", None)]),
        ("equal 率 - 60% target 0", "10.00", [("full", "10", None)]),
    ],
)
def test_a_value_exactly_on_a_bound_is_decided_exactly(
    rule: str, points: str, lines: list[tuple[str, str, str | None]]
) -> None:
    scored = sixty(f'indicator A "a" 10 {{\n    {rule}\n}}')
    assert scored.points["A"] == points
    assert scored.lines("A") == lines


def test_the_band_that_applies_is_the_one_the_line_names() -> None:
    scored = sixty('indicator A "a" 10 { tiers 率 { >= 60%: full; < 60%: 3 } }')
    (line,) = scored.result.indicators[0].lines
    assert line.span.text == ">= 60%: full"
    # and the value the ledger shows is the exact one, to 28 digits
    assert [use.value for use in line.facts] == [Decimal("0.6")]


def test_the_table_and_the_json_show_the_value_that_decided(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(
        SIXTY.format(rest='indicator A "a" 10 { tiers 率 { >= 60%: full; < 60%: 3 } }'),
        encoding="utf-8",
    )
    evidence = tmp_path / "e.yaml"
    evidence.write_text(SIXTY_FACTS, encoding="utf-8")
    code, out, _ = cli("eval", str(pack), str(evidence))
    assert code == 0
    assert "A a             10     10.00   100.00%" in out
    assert "= 10 / 12 * 40% + 4 / 9 * 60% = 60.00%" in out
    code, out, _ = cli("eval", str(pack), str(evidence), "--format", "json")
    report = json.loads(out)
    assert report["total"] == "10.00"
    assert report["derived"][0]["value"] == "0.6"
    assert report["indicators"][0]["lines"][0]["clause"]["text"] == ">= 60%: full"


def test_a_veto_on_the_bound_does_not_fire() -> None:
    text = SIXTY.format(
        rest='indicator A "a" 10 { full when 甲 > 0 }\n'
        'veto when 率 < 60% zero A "否决"\nveto when 率 < 60% grade 差 "否决"'
    )
    text = text.replace("half_up }", "half_up grades { 优 >= 9; 差 else } }")
    scored = score(compile_text(text), SIXTY_FACTS)
    assert scored.points["A"] == "10.00"
    assert not any(v.fired for v in scored.result.vetoes)
    assert scored.result.grade == "优"


def test_a_leaf_the_veto_zeroes_shows_the_exact_decision_before_the_veto() -> None:
    plan = compile_text(
        SIXTY.format(
            rest='fact 出事: bool\nindicator A "a" 10 { tiers 率 { >= 60%: full; < 60%: 3 } }\n'
            'veto when 出事 zero A "否决"'
        )
    )
    vetoed = score(plan, "facts: {甲: 10, 乙: 12, 丙: 4, 丁: 9, 出事: true}")
    assert vetoed.points["A"] == "0.00"
    assert vetoed.lines("A") == [("tier", "10", None), ("veto", "-10", "否决")]


def test_a_branch_rule_a_bonus_and_a_derived_if_decide_exactly() -> None:
    scored = sixty(
        "let 档: number = if 率 >= 60% then 1 else 0\n"
        'indicator A "a" 10 {\n    deduct 2 when 率 < 60% "低"\n'
        '    indicator A1 "a1" 10 { full when 档 == 1 }\n}\n'
        'bonus E "附加分" max 5 { add 1 when 率 >= 60% "达到60%" }'
    )
    assert scored.points == {"A": "10.00", "A1": "10.00"}
    result = scored.result
    assert [e.points for e in result.extras] == [Decimal(1)]
    assert result.total == Decimal("10.00")  # the bonus is capped by `overflow cap`
    derived = {use.name: use.value for line in result.indicators[1].lines for use in line.facts}
    assert derived == {"档": Decimal(1)}


def test_rounding_on_total_with_a_decision_on_the_bound() -> None:
    scored = score(
        compile_text(
            SIXTY.format(rest='indicator A "a" 10 { tiers 率 { >= 60%: full; < 60%: 3 } }').replace(
                "half_up }", "half_up on total }"
            )
        ),
        SIXTY_FACTS,
    )
    leaf = scored.result.indicators[0]
    assert leaf.points == Decimal(10) and type(leaf.points) is Decimal
    assert scored.result.total == Decimal("10.00")


def test_a_divisor_a_hair_from_zero_is_a_division_by_zero() -> None:
    """⅓ + ⅓ + ⅓ − 1 is 0, though 28 digits make it −10⁻²⁸: dividing by it is E606, not
    a number of 29 digits that decides the rule."""
    plan = compile_text(
        'pack "t" { total 10 rounding 2 half_up }\n'
        "fact 甲: count\nfact 乙: count nonzero\nfact 丙: count\n"
        "let 差: number = 甲 / 乙 + 甲 / 乙 + 甲 / 乙 - 1\n"
        'indicator A "a" 10 { full when 丙 / 差 > 5 else 3 }\n'
    )
    result = score(plan, "facts: {甲: 1, 乙: 3, 丙: 4}").result
    assert result.total is None
    assert [d.code for d in result.diagnostics] == ["E606"]


STEPS = (
    'pack "t" {{ total 10 rounding 2 half_up }}\n'
    "fact 甲: count\nfact 乙: count nonzero\nfact 丙: count\nfact 丁: count nonzero\n"
    "let 完成率: percent = 甲 / 乙\nlet 步长: percent = 丙 / 丁\n"
    'indicator A "a" 10 {{ deduct 1 per 步长 of 100% - 完成率 {mode} "每差一步扣1分" }}\n'
)


@pytest.mark.parametrize(
    ("facts", "mode", "steps"),
    [
        # ⅔ short at 1/9 a step: 6 steps exactly (28 digits: 6.000…03, ceil 7)
        ("{甲: 1, 乙: 3, 丙: 1, 丁: 9}", "started", "6"),
        ("{甲: 1, 乙: 3, 丙: 1, 丁: 9}", "whole", "6"),
        # ⅓ short at ⅙ a step: 2 steps exactly (28 digits: 1.999…9, floor 1)
        ("{甲: 2, 乙: 3, 丙: 1, 丁: 6}", "whole", "2"),
        ("{甲: 2, 乙: 3, 丙: 1, 丁: 6}", "started", "2"),
        # a hair past a step is a started step (⅓ + 10⁻⁹ short, no hair in its digits)
        ("{甲: 1999999999, 乙: 3000000000, 丙: 1, 丁: 6}", "started", "3"),
        ("{甲: 1999999999, 乙: 3000000000, 丙: 1, 丁: 6}", "whole", "2"),
    ],
)
def test_step_counts_landing_on_a_whole_number_count_exactly(
    facts: str, mode: str, steps: str
) -> None:
    scored = score(compile_text(STEPS.format(mode=mode)), f"facts: {facts}")
    assert scored.lines("A") == [("base", "10", None), ("step", f"-{steps}", "每差一步扣1分")]
    assert scored.points["A"] == f"{10 - int(steps)}.00"


def test_decisions_over_exact_values_stay_on_the_fast_path() -> None:
    """A rate of exactly 95 % (95,000 / 100,000) lies on its bound but nothing was rounded:
    no exact run — the plan compiles no exact closures for it."""
    plan = compile_text(
        'pack "t" { total 10 rounding 2 half_up }\n'
        "fact 实际: money\nfact 预算: money nonzero\nlet 率: percent = 实际 / 预算\n"
        'indicator A "a" 10 { tiers 率 { >= 95%: full; < 95%: 3 } }\n'
    )
    assert score(plan, "facts: {实际: 95000, 预算: 100000}").points["A"] == "10.00"
    assert "exact" not in plan.memo
    assert score(plan, "facts: {实际: 94999, 预算: 100000}").points["A"] == "3.00"
    assert "exact" not in plan.memo


def test_a_derived_truth_value_on_the_bound_is_decided_exactly() -> None:
    scored = sixty(
        "let 达标: bool = 率 >= 60%\nlet 未达标: bool = 率 < 60%\n"
        'indicator A "a" 10 { full when 达标 and not 未达标 else 3 }'
    )
    assert scored.points["A"] == "10.00"
    shown = {use.name: use.value for use in scored.result.indicators[0].lines[0].facts}
    assert shown == {"达标": True, "未达标": False}


@pytest.mark.parametrize("total", ["1000", "1000000000", "0.03"])
def test_the_hair_scales_with_the_bound(total: str) -> None:
    """⅓ of a sum, times 3, is the sum again, at any magnitude (28 digits give 999.99…9)."""
    plan = compile_text(
        'pack "t" { total 20 rounding 2 half_up }\n'
        "fact 总额: money\nfact 人数: count nonzero\nlet 人均: money = 总额 / 人数\n"
        'indicator A "a" 10 { full when 人均 * 人数 >= 总额 else 3 }\n'
        'indicator B "b" 10 { full when 人均 * 人数 < 总额 }\n'
    )
    scored = score(plan, f"facts: {{总额: {total}, 人数: 3}}")
    assert scored.points == {"A": "10.00", "B": "0.00"}
    assert scored.lines("B") == [("unmet", "0", None)]
