"""Packs from strangers and other provinces, against issue 12's engine classes: variants of
each class beyond the listed examples. Each row is what an author wrote and what a user sees —
the codes `check` reports (None: it must stay silent), or the points the evidence gives."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .helpers import cli, compile_text, diagnostics_of, score
from .reference_scorer import OPS

HEAD = 'pack "外省" { total 10 grades { 优 >= 9; 良 >= 8; 中 >= 6; 差 else } }\n'
DECLS = (
    'fact 支出: money unit "万元"\nfact 预算: money unit "万元" nonzero\nfact 率: percent\n'
    'fact 数: count unit "个"\nfact 次: count unit "次"\nfact 问题: list\nfact 好: bool\n'
    "fact 档: text\n"
)


def codes(body: str) -> list[str]:
    return sorted({d.code for d in diagnostics_of(HEAD + DECLS + body)} - {"W201"})


def leaf(rules: str) -> str:
    return f'indicator A "甲" 10 {{ {rules} }}\n'


# ----- percents written bare, behind a name ------------------------------------------------------

BARE_BEHIND_A_NAME = [
    # a `number` parameter or an untyped derived fact standing for 90, met by a percent
    "param 线: number = 90\n" + leaf("full when 率 >= 线 else 0"),
    "param 线: number = 90\n" + leaf("tiers 率 { >= 线: full; else: 0 }"),
    "let 线: number = 90\n" + leaf("full when 率 >= 线 else 0"),
    "let 线 = 90\n" + leaf("full when 率 >= 线 else 0"),
    "param 线: number = 3\nlet 步 = 线\n" + leaf('deduct 1 per 步 of 100% - 率 whole "差"'),
    # a derived fact declared `number` that holds a percent
    "let 差距: number = 100% - 率\n" + leaf("full when 差距 <= 5 else 0"),
]


@pytest.mark.parametrize("body", BARE_BEHIND_A_NAME)
def test_a_bare_percent_behind_a_name_is_refused(body: str) -> None:
    assert "E311" in codes(body)


BARE_ALREADY_REFUSED = [  # variants that were already right: kept as regressions
    "function f(x: percent) { full when 率 >= x else 0 }\n" + leaf("f(90)"),
    "function f(x: number) { tiers 率 { >= x: full; else: 0 } }\n" + leaf("f(90)"),
    leaf("choose { when 率 >= 90: full; else: 0 }"),
    leaf("full when (if 好 then 率 else 50%) >= 90 else 0"),
    leaf("full when 好") + 'veto when 率 < 60 grade 差 "否"\n',
    leaf('full when 好 warn when 率 < 60 "低"'),
    leaf('deduct 1 per 3 of 100% - 率 whole max 10 "差"'),
    leaf("proportional 率 / 85"),
    leaf("full when max(率, 90) >= 95% else 0"),
    leaf("full when abs(率 - 90) <= 5% else 0"),
    leaf("forward 率 target 95"),
    leaf("reverse 率 target 5 linear"),
    'fact 完成: percent default 100\nindicator A "甲" 10 { proportional 完成 }\n',
    'fact 完成: percent max 150\nindicator A "甲" 10 { proportional 完成 }\n',
    leaf('deduct 1 per 问题 "x" zero when 率 < 60 "否"'),
]


@pytest.mark.parametrize("body", BARE_ALREADY_REFUSED)
def test_bare_percents_everywhere_are_refused(body: str) -> None:
    assert "E311" in codes(body)


FRACTIONS_ARE_FINE = [
    "param 线: number = 0.9\n" + leaf("full when 率 >= 线 else 0"),
    "param 线: number = 90\n" + leaf("full when 数 >= 线 else 0"),  # 90 个, not a percent
    leaf("full when 率 * 100 >= 90 else 0"),  # a percent times 100 is a number of points
    "let 差距: number = 100% - 率\n" + leaf("full when 差距 <= 5% else 0"),
]


@pytest.mark.parametrize("body", FRACTIONS_ARE_FINE)
def test_fractions_and_other_quantities_are_not_bare_percents(body: str) -> None:
    assert "E311" not in codes(body)


def test_a_number_parameter_of_90_against_a_percent_points_at_the_90() -> None:
    [d] = [d for d in diagnostics_of(HEAD + DECLS + BARE_BEHIND_A_NAME[0]) if d.code == "E311"]
    text = HEAD + DECLS + BARE_BEHIND_A_NAME[0]
    assert text[d.labels[0].span.start : d.labels[0].span.end] == "90"
    assert "90%" in (d.help or "")


# ----- parameters beyond their kind's bound ----------------------------------------------------


def test_a_parameter_whose_default_passes_100_percent_may_be_overridden_past_100() -> None:
    """广西: 实际完成值大于等于指标值的130%时…: a 130% parameter is a real standard; overriding it
    with 120% used to be refused (E660, "outside [0%, 100%]") while the default checked clean."""
    plan = compile_text(
        HEAD
        + DECLS
        + "fact 完成: percent max 200%\nparam 线: percent = 130%\n"
        + leaf("full when 完成 >= 线 else 0")
    )
    assert score(plan, "facts: {完成: 125%}\nparams: {线: 120%}").points["A"] == "10.00"
    assert score(plan, "facts: {完成: 125%}").points["A"] == "0.00"


def test_a_parameter_keeps_its_kind_bound_on_the_other_side() -> None:
    from jixiao.dsl.diagnostics import JixiaoError

    plan = compile_text(
        HEAD + DECLS + "param 线: percent = 130%\n" + leaf("full when 率 >= 线 else 0")
    )
    with pytest.raises(JixiaoError) as exc:
        score(plan, "facts: {率: 95%}\nparams: {线: -10%}")
    [d] = [d for d in exc.value.diagnostics if d.code == "E660"]
    assert "0% or more" in d.message and "Infinity" not in d.message
    plain = compile_text(HEAD + DECLS + "param 线: percent = 80%\n" + leaf("full when 率 >= 线"))
    with pytest.raises(JixiaoError):
        score(plain, "facts: {率: 90%}\nparams: {线: 120%}")


def test_a_negative_money_parameter_may_be_overridden_by_a_negative_amount() -> None:
    plan = compile_text(
        HEAD + DECLS + "param 线: money = -5万元\n" + leaf("full when 支出 >= 线 else 0")
    )
    assert score(plan, "facts: {支出: 1}\nparams: {线: -60000元}").points["A"] == "10.00"


# ----- units: variants that were already right ---------------------------------------------------

UNIT_MISMATCHES = [
    leaf("full when 支出 >= 数"),
    leaf("full when max(支出, 5元) >= 数"),
    "param 线: money = 50万元\n" + leaf("full when 支出 <= 线 + 3个"),
    leaf("tiers 支出 { >= 5万元: full; >= 3个: 5; else: 0 }"),
    leaf('deduct 1 per 1个 of 预算 - 支出 whole max 10 "缺"'),
    leaf("full when 数 >= 3次"),
    leaf("full when abs(支出 - 预算) <= 1个"),
    leaf("forward 数 target 3次"),
    leaf("reverse 支出 target 5个"),
    leaf("full when (if 好 then 支出 else 数) >= 3"),
    leaf("full when 支出 * 2 >= 数 * 2"),
]


@pytest.mark.parametrize("body", UNIT_MISMATCHES)
def test_quantities_of_different_dimensions_are_refused(body: str) -> None:
    assert {"E310", "E301", "E306", "E308"} & set(codes(body))


UNIT_SCORES = [
    ("full when min(支出, 5) >= 3万元 else 0", "支出: 40000元", "10"),
    ('deduct 1 per 1万元 of 预算 - 支出 whole max 10 "缺"', "支出: 4.9万元, 预算: 80000元", "7"),
    ('deduct 1 per 5000元 of 预算 - 支出 started max 10 "缺"', "支出: 4.9万元, 预算: 80000元", "3"),
    ("equal 支出 target 3万元", "支出: 29999元", "10.00"),  # 9.9997 rounds to 10.00
    ("proportional 支出 / 预算", "支出: 1亿元, 预算: 20000万元", "5"),
    ("reverse 支出 target 30000元 linear", "支出: 4.5", "5"),
    ("forward 支出 target 0.0005亿元", "支出: 40000元", "8"),
]


@pytest.mark.parametrize(("rule", "facts", "points"), UNIT_SCORES)
def test_units_convert_exactly_wherever_they_are_written(
    rule: str, facts: str, points: str
) -> None:
    plan = compile_text(HEAD + DECLS + leaf(rule))
    got = score(plan, "facts: {" + facts + "}").points["A"]
    assert got is not None and float(got) == float(points)


def test_money_parameters_and_function_arguments_convert() -> None:
    body = (
        "param 线: money = 50000元\n"
        "function 达标(x: money, y: percent) { full when 支出 >= x and 率 >= y else 0 }\n"
        + leaf("达标(线, 90%)")
    )
    plan = compile_text(HEAD + DECLS + body)
    assert score(plan, "facts: {支出: 5, 率: 90%}").points["A"] == "10.00"
    assert score(plan, "facts: {支出: 49999元, 率: 90%}").points["A"] == "0.00"
    assert score(plan, "facts: {支出: 5, 率: 90%}\nparams: {线: 6万元}").points["A"] == "0.00"


def test_negative_money_with_units_compares_exactly() -> None:
    body = 'fact 结余: money unit "万元" min -100万元\n' + leaf(
        "full when 结余 >= -2万元 and abs(结余) <= 15000元 else 0"
    )
    plan = compile_text(HEAD + DECLS + body)
    assert score(plan, "facts: {结余: -15000元}").points["A"] == "10.00"
    assert score(plan, "facts: {结余: -1.5001}").points["A"] == "0.00"


# ----- conditions that never (or always) hold, in other spellings -------------------------------

CONDITIONS = [
    ("full when (率 > 95% or 率 < 10%) and 率 == 50% else 0", "W410"),
    ("full when (率 >= 50% or 率 < 10%) and (率 < 40% and 率 > 20%) else 0", "W410"),
    ("full when (率 > 95% and 好) and 率 < 20% else 0", "W410"),
    ("full when not (率 >= 90%) and 率 > 95% else 0", "W410"),
    ("full when 率 >= 90% and not (率 >= 80%) else 0", "W410"),
    ("full when 90% <= 率 and 率 < 90% else 0", "W410"),
    ('checklist { 50%: 率 > 1% and 率 < 1% "a"; 50%: 好 "b" }', "W410"),
    ("full when (率 > 50% and 率 < 60%) or 率 <= 50% or 率 >= 60% else 0", "W411"),
    ("full when (率 >= 50% and 率 < 60%) or 率 < 50% or 率 >= 60% else 0", "W411"),
    ("full when 率 == 90% or 率 != 90% else 0", "W411"),
    ("full when 率 != 90% and 率 == 90% else 0", "W410"),  # was silent: `!=` not reasoned about
    ("full when not (率 == 90%) and 率 == 90% else 0", "W410"),
    ("full when not (率 > 90% or 率 < 80%) and 率 > 95% else 0", "W410"),
    # satisfiable, or reading two facts: silent
    ("full when 率 != 90% and 率 != 80% else 0", None),
    ("full when not (率 > 90% or 率 < 80%) and 率 > 85% else 0", None),
    ("full when (率 > 95% or 率 < 10%) and 率 > 20% else 0", None),
    ("full when (率 > 95% or 数 < 10) and 率 < 20% else 0", None),
    ("full when (率 > 50% and 率 < 60%) or 率 < 50% or 率 > 60% else 0", None),
]


@pytest.mark.parametrize(("rule", "code"), CONDITIONS)
def test_conditions_joined_every_way_are_judged(rule: str, code: str | None) -> None:
    found = {c for c in codes(leaf(rule)) if c in ("W410", "W411")}
    assert found == ({code} if code else set())


@st.composite
def one_fact_condition(draw: st.DrawFn, depth: int = 0) -> tuple[str, Callable[[F], bool]]:
    """A condition over `率` alone: comparisons with constants, `not`, `and`, `or`."""
    if depth >= 3 or draw(st.booleans()):
        op = draw(st.sampled_from([">=", ">", "<=", "<", "==", "!="]))
        c = F(draw(st.integers(1, 9)) * 10, 100)
        text, test = f"率 {op} {c * 100}%", (lambda x, op=op, c=c: OPS[op](x, c))
        if op != "!=" and draw(st.integers(0, 4)) == 0:
            return f"not ({text})", lambda x, t=test: not t(x)
        return text, test
    join = draw(st.sampled_from(["and", "or"]))
    left, right = draw(one_fact_condition(depth + 1)), draw(one_fact_condition(depth + 1))
    if join == "and":
        return f"({left[0]}) and ({right[0]})", lambda x: left[1](x) and right[1](x)
    return f"({left[0]}) or ({right[0]})", lambda x: left[1](x) or right[1](x)


#: every constant, and a point between and beyond each: enough to witness any interval union
GRID = [F(k, 200) for k in range(-2, 203)]


@settings(max_examples=150, deadline=None)
@given(one_fact_condition())
def test_a_condition_warned_about_never_or_always_holds(
    cond: tuple[str, Callable[[F], bool]],
) -> None:
    """W410 and W411 are never a guess: whichever sub-condition they name holds for no value
    (W410) or every value (W411) of a grid finer than every constant."""
    text, _ = cond
    body = HEAD + DECLS + leaf(f"full when {text} else 0")
    for d in diagnostics_of(body):
        if d.code not in ("W410", "W411"):
            continue
        span = d.labels[0].span
        quoted = body[span.start : span.end]
        holds = _evaluator(quoted)
        values = [holds(x) for x in GRID]
        assert not any(values) if d.code == "W410" else all(values), (quoted, d.message)


def _evaluator(text: str) -> Callable[[F], bool]:
    """The condition `text` (over 率, as generated above) as a Python function, exactly."""
    import re

    py = re.sub(r"(\d+(?:\.\d+)?)%", lambda m: f"F('{m.group(1)}') / 100", text)
    py = py.replace("率", "x")
    return eval(f"lambda x: {py}", {"F": F})  # a test's own generated text


# ----- grades ----------------------------------------------------------------------------------

BONUS_PACK = (
    'pack "t" {{ total 100 rounding 0 half_up {overflow} grades {{ {grades} }} }}\n'
    'fact a: bool\nfact l: list\nindicator A "a" 100 {{ full when a }}\n'
    'bonus E "加" max 5 {{ add 1 per l }}\n'
)


def test_a_grade_above_100_is_reachable_with_bonus_points_under_overflow_allow() -> None:
    """docs/dsl.md: a grade is out of reach above `total` plus the bonus sections' `max` under
    `overflow allow`; `优 >= 104` was refused as "out of order" (E409) although reachable."""
    text = BONUS_PACK.format(overflow="overflow allow", grades="优 >= 104; 良 >= 80; 差 else")
    assert [d.code for d in diagnostics_of(text) if d.code.startswith("E")] == []
    result = score(compile_text(text), "facts: {a: true, l: [x, y, z, w]}").result
    assert (str(result.total), result.grade) == ("104", "优")


@pytest.mark.parametrize(
    ("overflow", "grades"),
    [("", "优 >= 104; 良 >= 80; 差 else"), ("overflow allow", "优 >= 105.5; 良 >= 80; 差 else")],
)
def test_a_grade_above_the_reachable_total_is_out_of_reach(overflow: str, grades: str) -> None:
    found = [d.code for d in diagnostics_of(BONUS_PACK.format(overflow=overflow, grades=grades))]
    assert "E433" in found and "E409" not in found


def test_a_grade_listed_twice_is_refused() -> None:
    """`优 >= 90; 优 >= 80` silently gave 优 from 80: the 良 meant for [80, 90) never came."""
    text = BONUS_PACK.format(overflow="", grades="优 >= 90; 优 >= 80; 中 >= 60; 差 else")
    assert "E436" in [d.code for d in diagnostics_of(text)]


# ----- a zero veto against a not-applicable indicator ---------------------------------------------

VETO_NA = (
    'pack "t" {{ total 100 not_applicable {policy} }}\n'
    "fact a: bool\nfact b: bool\nfact 挪用: bool\n"
    "{tree}"
    'indicator B "b" 50 {{ full when b }}\n'
    'veto when 挪用 zero A "本项不得分"\n'
)
LEAF_A = 'indicator A "a" 50 { full when a }\n'
BRANCH_A = (
    'indicator A "a" 50 {\n  indicator A1 "a1" 20 { full when a }\n'
    '  indicator A2 "a2" 30 { full when a }\n}\n'
)


@pytest.mark.parametrize(
    ("policy", "tree", "total"),
    [
        ("full", LEAF_A, "50.00"),  # was 100.00: the vetoed 不适用 leaf kept its full marks
        ("exclude", LEAF_A, "50.00"),  # was 100.00: the vetoed leaf was left out of the total
        ("zero", LEAF_A, "50.00"),
        ("exclude", BRANCH_A, "50.00"),  # was 100.00: the zeroed subtree was left out
        ("full", BRANCH_A, "50.00"),
    ],
)
def test_a_zero_veto_that_fires_zeroes_a_not_applicable_indicator(
    policy: str, tree: str, total: str
) -> None:
    plan = compile_text(VETO_NA.format(policy=policy, tree=tree))
    scored = score(plan, "facts: {a: 不适用, b: true, 挪用: true}")
    assert scored.points["A"] == "0.00"
    assert str(scored.result.total) == total
    # without the veto the policy decides as before
    calm = score(plan, "facts: {a: 不适用, b: true, 挪用: false}")
    assert str(calm.result.total) == ("50.00" if policy == "zero" else "100.00")


def test_the_schema_of_a_parameter_open_on_one_side_has_no_bound_there() -> None:
    import json

    from jixiao.engine.tools.schema import evidence_schema

    plan = compile_text(
        HEAD
        + DECLS
        + "param 线: money = -5万元\nparam 高: percent = 130%\n"
        + leaf("full when 支出 >= 线 and 率 <= 高 else 0")
    )
    schema = evidence_schema(plan.program)
    text = json.dumps(schema, ensure_ascii=False)  # valid JSON: no Infinity anywhere
    assert "Infinity" not in text
    number = schema["properties"]["params"]["properties"]["线"]["anyOf"][0]["anyOf"][0]
    assert number == {"type": "number"}


@pytest.mark.parametrize("band", ["[90%, 80%): 5", "(90%, 90%]: 5", "(90%, 90%): 5"])
def test_a_tier_band_whose_range_holds_no_value_says_so(band: str) -> None:
    """It was W405 "the bands before it cover all its values" with no band before it."""
    [d] = [
        d
        for d in diagnostics_of(HEAD + DECLS + leaf(f"tiers 率 {{ {band}; else: 0 }}"))
        if d.code == "W405"
    ]
    assert "its range holds no value" in d.message


def cli_check(text: str) -> tuple[int, str, str]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.jx"
        path.write_text(text, encoding="utf-8")
        return cli("check", str(path))


def test_a_judgement_with_a_default_is_refused_not_an_internal_error() -> None:
    """`fact 酌情: judgement default 0` crashed `check` (exit 3, KeyError in the message)."""
    code, _, err = cli_check(
        'pack "t" { total 10 }\nfact 酌情: judgement default 0\n'
        'indicator A "a" 10 { deduct 酌情 within [0.5, 2] "酌情扣分" }\n'
    )
    assert code == 1 and "E305" in err and "internal error" not in err


def test_a_level_range_in_points_past_the_weight_is_refused() -> None:
    """`"达成": [80, 100]` on a weight of 10 (a 100-point scale meant as 80%–100%) scored any
    evaluator's score as full marks: 50 for 未达成 was capped to 10 of 10."""
    body = "fact 分: number\n" + leaf('levels 档 score 分 { "达成": [80, 100]; "未达成": [0, 80) }')
    assert "E437" in codes(body)
    fine = "fact 分: number\n" + leaf('levels 档 score 分 { "达成": [8, 10]; "未达成": [0, 8) }')
    assert "E437" not in codes(fine)
    shares = "fact 分: number\n" + leaf(
        'levels 档 score 分 { "达成": [80%, 100%]; "未": [0, 80%) }'
    )
    assert "E437" not in codes(shares)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(-50, 300))
def test_a_percent_parameter_accepts_what_its_default_implies(default: int, given_: int) -> None:
    """A parameter's domain is its kind's, open on the side its default lies beyond: an
    override is refused exactly when it is below 0%, or above 100% while the default is not."""
    from jixiao.dsl.diagnostics import JixiaoError

    plan = compile_text(
        HEAD + DECLS + f"param 线: percent = {default}%\n" + leaf("full when 率 >= 线 else 0")
    )
    refused = given_ < 0 or (given_ > 100 and default <= 100)
    try:
        score(plan, f"facts: {{率: 50%}}\nparams: {{线: {given_}%}}")
    except JixiaoError as exc:
        assert refused and {d.code for d in exc.diagnostics} == {"E660"}
    else:
        assert not refused


def test_the_schema_bounds_a_judgement_by_the_ranges_that_read_it() -> None:
    """The reader refuses 3 for `deduct 酌情 within [0.5, 2]` (E610); the schema accepted it."""
    import jsonschema

    from jixiao.engine.tools.schema import evidence_schema

    plan = compile_text(
        HEAD + DECLS + "fact 酌情: judgement\n" + leaf('deduct 酌情 within [0.5, 20%] "酌情扣分"')
    )
    facts = evidence_schema(plan.program)["properties"]["facts"]["anyOf"][0]
    schema = facts["properties"]["酌情"]

    def valid(value: float) -> bool:
        try:
            jsonschema.validate({"value": value, "reason": "台账不完整"}, schema)
        except jsonschema.ValidationError:
            return False
        return True

    assert [valid(v) for v in (0, 0.5, 1.5, 2, 3, 0.2)] == [True, True, True, True, False, False]


@pytest.mark.parametrize(
    ("expr", "code"),
    [
        ("数 / 计划 * 100", "E438"),  # was silent: 3 of 4 made 7500%, proportional full marks
        ("数 * 100 / 计划", "E438"),
        ("100 * 数 / 计划", "E438"),
        ("数 / 计划", None),
        ("数 / (计划 * 100)", None),
    ],
)
def test_a_percent_computed_times_100_is_refused(expr: str, code: str | None) -> None:
    body = f"fact 计划: count nonzero\nlet 完成: percent = {expr}\n" + leaf("proportional 完成")
    assert ("E438" in codes(body)) == (code == "E438")


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ("let 完成 = 数 / 计划 * 100\n" + leaf("tiers 完成 { >= 90%: full; else: 0 }"), True),
        ("let 完成: number = 数 / 计划 * 100\n" + leaf("full when 完成 >= 90% else 0"), True),
        ("let 完成 = 数 / 计划 * 100\n" + leaf("tiers 完成 { >= 90: full; else: 0 }"), False),
    ],
)
def test_a_ratio_times_100_met_by_a_percent_is_refused(body: str, refused: bool) -> None:
    assert ("E438" in codes("fact 计划: count nonzero\n" + body)) == refused
