"""A score that lands on a rounding boundary is rounded as the exact number it is, not as the
28-digit decimal a non-terminating quotient leaves (3 × 5,500 / 300,000 is 0.055: 0.06)."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.exact import round_exact

from .helpers import FOUNDING_EVIDENCE, compile_text, score

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
