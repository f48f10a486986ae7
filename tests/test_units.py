"""Units are dimensions, percents say `%`, facts have domains, evidence keys are unique (issue
#12: a declared unit was only a label, `95` against a percent meant 9,500%, `-3` 元 and a
percent cell `1.5` were scored, and the last of two equal keys won silently)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.dsl.diagnostics import JixiaoError, has_errors
from jixiao.dsl.formatter import format_pack
from jixiao.dsl.parser import parse_text
from jixiao.engine.check.units import MONEY_UNITS
from jixiao.engine.common.types import Kind
from jixiao.engine.runtime.evidence import load_bytes, parse_value

from .helpers import compile_text, diagnostics_of, score


def pack(body: str, total: int = 10) -> str:
    return f'pack "单位" {{ total {total} }}\n' + body


def codes(text: str) -> list[str]:
    return [d.code for d in diagnostics_of(text) if d.is_error]


def evidence_codes(text: str, evidence: str) -> list[str]:
    plan = compile_text(text)
    _, diags = load_bytes(evidence.encode(), "e.yaml", plan.program)
    return [d.code for d in diags if d.is_error]


# ----- units ------------------------------------------------------------------------------------

COST = pack('fact 运维成本: money unit "万元"\nindicator A "成本" 10 { RULE }\n')


@pytest.mark.parametrize(
    "rule",
    [
        "reverse 运维成本 target 50",  # a bare number is in the fact's unit
        "reverse 运维成本 target 50万元",  # was a parse error
        "reverse 运维成本 target 500000元",
        "reverse 运维成本 target 0.5百万元",
        "full when 运维成本 <= 50万元",
        "full when 500000元 >= 运维成本",
        "full when min(运维成本, 60万元) <= 50",
    ],
)
@pytest.mark.parametrize("given", ["50万元", "50", "500000元", "0.005亿元", "500,000 元"])
def test_a_cost_in_wan_yuan_is_read_and_compared_in_wan_yuan(rule: str, given: str) -> None:
    """Evidence `50万元` was read as 500,000 万元 and `reverse … target 50` scored 0."""
    scored = score(compile_text(COST.replace("RULE", rule)), f"facts:\n  运维成本: {given}\n")
    assert scored.points["A"] == "10.00"


def test_the_ledger_shows_the_value_in_the_declared_unit() -> None:
    plan = compile_text(COST.replace("RULE", "reverse 运维成本 target 40"))
    scored = score(plan, "facts:\n  运维成本: 500000元\n")
    assert scored.points["A"] == "8.00"
    uses = [u for line in scored.result.indicators[0].lines for u in line.facts]
    assert next((u.name, u.value) for u in uses) == ("运维成本", Decimal(50))
    assert scored.result.units["运维成本"] == "万元"


def test_money_of_different_units_converts_in_ratios_and_sums() -> None:
    text = pack(
        'fact 预算: money unit "元" nonzero\nfact 支出: money unit "万元"\n'
        "let 执行率: percent = 支出 / 预算\n"
        'indicator A "执行" 5 { full when 执行率 >= 100% else proportional 执行率 }\n'
        'indicator B "结余" 5 { full when 预算 - 支出 >= 0 }\n'
    )
    scored = score(compile_text(text), "facts:\n  预算: 1000000\n  支出: 80万元\n")
    assert scored.points == {"A": "4.00", "B": "5.00"}
    derived = {d.name: d.value for d in scored.result.derived}
    assert derived["执行率"] == Decimal("0.8")


def test_defaults_and_parameters_carry_units() -> None:
    text = pack(
        'fact 成本: money unit "万元" default 500000元\nparam 上限: money = 50万元\n'
        'indicator A "a" 10 { full when 成本 <= 上限 }\n'
    )
    plan = compile_text(text)
    assert plan.program.facts["成本"].default == Decimal(50)
    assert plan.program.facts["上限"].default == Decimal(50)
    assert plan.program.facts["上限"].unit == "万元"
    assert score(plan, "facts: {}\nparams:\n  上限: 49\n").points["A"] == "0.00"
    assert score(plan, "facts: {}\nparams:\n  上限: 600000元\n").points["A"] == "10.00"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('fact 成本: money unit "万元"\nindicator A "a" 10 { full when 成本 <= 3人 }', "E310"),
        ('fact 人数: count unit "人"\nindicator A "a" 10 { full when 人数 >= 50万元 }', "E310"),
        ('fact 人数: count unit "人"\nindicator A "a" 10 { full when 人数 >= 3次 }', "E310"),
        (
            'fact 人数: count unit "人"\nfact 次数: count unit "次"\n'
            'indicator A "a" 10 { forward 人数 target 次数 }',
            "E310",
        ),
        ('fact 天数: count unit "天"\nindicator A "a" 10 { full when 天数 <= 2月 }', "E310"),
        ('fact 成本: money unit "个"\nindicator A "a" 10 { full when 成本 <= 3 }', "E312"),
        ('fact 率: percent unit "万元"\nindicator A "a" 10 { proportional 率 }', "E312"),
    ],
)
def test_incompatible_units_are_check_errors(body: str, code: str) -> None:
    diags = [d for d in diagnostics_of(pack(body)) if d.is_error]
    assert [d.code for d in diags] == [code]
    if code == "E310":
        assert len(diags[0].labels) == 2  # both sides, with their units


def test_counted_units_meet_the_same_unit_or_a_bare_number() -> None:
    text = pack(
        'fact 人数: count unit "人"\nindicator A "a" 5 { full when 人数 >= 3人 }\n'
        'indicator B "b" 5 { full when 人数 >= 3 }\n'
    )
    assert score(compile_text(text), "facts:\n  人数: 3人\n").points == {"A": "5.00", "B": "5.00"}
    assert evidence_codes(text, "facts:\n  人数: 3次\n") == ["E603"]
    assert evidence_codes(text, "facts:\n  人数: 3万元\n") == ["E603"]


def test_evidence_in_an_incompatible_unit_is_refused() -> None:
    text = COST.replace("RULE", "reverse 运维成本 target 50")
    assert evidence_codes(text, "facts:\n  运维成本: 50个\n") == ["E603"]


def test_a_unit_literal_formats_as_written() -> None:
    text = pack(
        'fact 成本: money unit "万元" min -5万元 max 100亿\nfact 率: percent max 150%\n'
        'indicator A "a" 10 { reverse 成本 target 50万元 }\n'
    )
    formatted = format_pack(parse_text(text))
    assert 'fact 成本: money unit "万元" min -5万元 max 100亿' in formatted
    assert "fact 率: percent max 150%" in formatted
    assert "reverse 成本 target 50万元" in formatted
    assert parse_text(formatted) == parse_text(text)


@given(
    st.integers(0, 10**8).map(lambda n: Decimal(n) / 100),  # 20 digits at most in 元
    st.sampled_from(sorted(MONEY_UNITS)),
    st.sampled_from(["元", "万元", "亿元", "千元"]),
)
def test_any_amount_in_any_money_unit_converts_exactly(
    amount: Decimal, written: str, declared: str
) -> None:
    """n 万元 is n × 10,000 元, read in either unit; the score does not depend on the spelling."""
    power = MONEY_UNITS[written.lower()] - MONEY_UNITS[declared]
    expected = amount * Decimal(10) ** power if power >= 0 else amount / Decimal(10) ** -power
    text = pack(
        f'fact 额: money unit "{declared}"\n'
        f'indicator A "a" 10 {{ reverse 额 target {_literal(expected)} }}\n'
    )
    plan = compile_text(text)
    evidence, diags = load_bytes(
        f"facts:\n  额: '{_literal(amount)}{written}'\n".encode(), "e.yaml", plan.program
    )
    assert evidence is not None and not has_errors(diags), diags
    assert evidence.values["额"] == expected
    assert score(plan, f"facts:\n  额: '{_literal(amount)}{written}'\n").points["A"] == "10.00"


def _literal(value: Decimal) -> str:
    return format(value.normalize(), "f")


# ----- percents written bare --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        'fact 率: percent\nindicator A "a" 10 { tiers 率 { >= 95: full; else: 0 } }',
        'fact 率: percent\nindicator A "a" 10 { tiers 率 { [90, 95%): 1; else: 0 } }',
        'fact 率: percent\nindicator A "a" 10 { full when 率 >= 100 }',
        'fact 率: percent\nindicator A "a" 10 { full when 率 + 5 >= 100% }',
        'fact 率: percent\nindicator A "a" 10 { forward 率 target 95 }',
        'fact 率: percent default 92\nindicator A "a" 10 { proportional 率 }',
        'fact 率: percent\nparam 线: percent = 80\nindicator A "a" 10 { full when 率 >= 线 }',
        "fact 率: percent\nfunction 达标(线: percent, r: percent) { full when r >= 线 }\n"
        'indicator A "a" 10 { 达标(95, 率) }',
        'fact 率: percent max 150\nindicator A "a" 10 { proportional 率 }',
        'fact 率: percent\nindicator A "a" 10 { full when max(率, 0.5) >= 90% }',
    ],
)
def test_a_bare_number_where_a_percent_is_meant_is_refused(body: str) -> None:
    diags = [d for d in diagnostics_of(pack(body)) if d.is_error]
    assert [d.code for d in diags] == ["E311"], diags
    assert "%`" in (diags[0].help or "")


def test_a_bare_zero_is_a_percent() -> None:
    text = pack('fact 率: percent default 0\nindicator A "a" 10 { full when 率 > 0 }')
    assert codes(text) == []


# ----- domains ----------------------------------------------------------------------------------

RATE = pack('fact 完成率: percentOPTS\nindicator A "a" 10 { proportional 完成率 }\n')


def test_a_percent_above_100_is_refused_unless_declared() -> None:
    assert evidence_codes(RATE.replace("OPTS", ""), "facts:\n  完成率: 120%\n") == ["E660"]
    assert evidence_codes(RATE.replace("OPTS", ""), "facts:\n  完成率: 1.5\n") == ["E660"]
    assert evidence_codes(RATE.replace("OPTS", ""), "facts:\n  完成率: -5%\n") == ["E660"]
    wide = RATE.replace("OPTS", " max 150%")
    assert score(compile_text(wide), "facts:\n  完成率: 120%\n").points["A"] == "10.00"
    assert evidence_codes(wide, "facts:\n  完成率: 151%\n") == ["E660"]


def test_money_is_zero_or_more_unless_declared() -> None:
    text = pack('fact 结余: money unit "万元"OPTS\nindicator A "a" 10 { full when 结余 >= 0 }\n')
    assert evidence_codes(text.replace("OPTS", ""), "facts:\n  结余: -3\n") == ["E660"]
    assert evidence_codes(text.replace("OPTS", " min -100万元"), "facts:\n  结余: -3\n") == []
    assert evidence_codes(text.replace("OPTS", " min -100万元"), "facts:\n  结余: -101\n") == [
        "E660"
    ]
    assert evidence_codes(text.replace("OPTS", " max 10"), "facts:\n  结余: 11万元\n") == ["E660"]


def test_the_refusal_names_the_fact_the_value_the_domain_and_the_fix() -> None:
    plan = compile_text(RATE.replace("OPTS", ""))
    _, diags = load_bytes(
        b"facts:\n  \xe5\xae\x8c\xe6\x88\x90\xe7\x8e\x87: 120%\n", "e.yaml", plan.program
    )
    (diag,) = diags
    assert diag.code == "E660"
    assert "`完成率`" in diag.message and "120%" in diag.message and "[0%, 100%]" in diag.message
    assert diag.labels[0].span.location() == "e.yaml:2:8"
    assert "max 120%" in (diag.help or "")


def test_parameters_overridden_in_evidence_are_domain_checked() -> None:
    text = pack(
        'fact 率: percent\nparam 线: percent = 80%\nindicator A "a" 10 { full when 率 >= 线 }'
    )
    assert evidence_codes(text, "facts:\n  率: 90%\nparams:\n  线: 120%\n") == ["E660"]


def test_derived_facts_are_not_domain_checked() -> None:
    text = pack(
        "fact 预算: money nonzero\nfact 支出: money\nlet 率: percent = 支出 / 预算\n"
        'indicator A "a" 10 { full when 率 >= 100% else proportional 率 }'
    )
    assert score(compile_text(text), "facts:\n  预算: 100\n  支出: 130\n").points["A"] == "10.00"


def test_parse_value_keeps_its_contract_and_checks_domains() -> None:
    """Portfolios call `parse_value(kind, raw)` per cell and report `why`."""
    assert parse_value(Kind.MONEY, "-3") == (None, parse_value(Kind.MONEY, "-3")[1])
    assert "outside" in parse_value(Kind.MONEY, "-3")[1]
    assert parse_value(Kind.PERCENT, "1.5")[0] is None
    assert parse_value(Kind.PERCENT, "0.92") == (Decimal("0.92"), "")
    plan = compile_text(RATE.replace("OPTS", " max 150%"))
    fact = plan.program.facts["完成率"]
    assert parse_value(fact, "1.2") == (Decimal("1.2"), "")
    value, why = parse_value(fact, "160%")
    assert value is None and "max 160%" in why


@pytest.mark.parametrize(
    ("opts", "code"),
    [
        (" min 50% max 20%", "E313"),
        (" max 50万元", "E313"),
        (" default 120%", "E313"),
    ],
)
def test_bad_domains_are_check_errors(opts: str, code: str) -> None:
    assert codes(RATE.replace("OPTS", opts)) == [code]


def test_a_domain_on_a_text_fact_is_refused() -> None:
    text = pack('fact 档次: text max 3\nindicator A "a" 10 { levels 档次 { "好": full; "差": 0 } }')
    assert codes(text) == ["E313"]


@given(st.integers(-300, 300), st.integers(-200, 0), st.integers(0, 300))
def test_a_value_outside_the_domain_is_refused_inside_accepted(
    percent: int, low: int, high: int
) -> None:
    text = RATE.replace("OPTS", f" min {low}% max {high}%".replace("min -0%", "min 0%"))
    plan = compile_text(text)
    evidence, diags = load_bytes(f"facts:\n  完成率: {percent}%\n".encode(), "e.yaml", plan.program)
    inside = low <= percent <= high
    assert (evidence is not None and not has_errors(diags)) == inside
    assert inside or [d.code for d in diags] == ["E660"]


# ----- duplicate keys ---------------------------------------------------------------------------

BOOL = pack(
    'fact 相符: bool\nfact 问题: list\nindicator A "a" 5 { full when 相符 }\n'
    'indicator B "b" 5 { deduct 1 per 问题 }'
)


@pytest.mark.parametrize(
    ("evidence", "code"),
    [
        ("facts:\n  相符: {value: true, value: false}\n", "E661"),
        ("facts:\n  相符: {value: true, source: a, source: b}\n", "E661"),
        ("facts:\n  相符: true\nfacts:\n  相符: false\n", "E661"),
        ("facts:\n  相符: true\n  相符: false\n", "E604"),
        ("facts:\n  相符: true\n  问题: [{item: a, item: b}]\n", "E661"),
        ('{"facts": {"相符": {"value": true, "value": false}}}', "E661"),
        ("project: {name: a, name: b}\nfacts:\n  相符: true\n", "E661"),
    ],
)
def test_a_key_given_twice_is_refused_at_any_depth(evidence: str, code: str) -> None:
    plan = compile_text(BOOL)
    _, diags = load_bytes(evidence.encode(), "e.yaml", plan.program)
    errors = [d for d in diags if d.is_error]
    assert [d.code for d in errors] == [code]
    assert len(errors[0].labels) == 2  # both places
    assert errors[0].labels[0].span.location() != errors[0].labels[1].span.location()


def test_a_survey_named_twice_is_refused() -> None:
    text = pack('survey 问卷 { fact 样本数 = count }\nindicator A "a" 10 { full when 样本数 >= 1 }')
    plan = compile_text(text)
    evidence = "facts: {}\nsurveys:\n  问卷: [{q: a}]\n  问卷: [{q: b}]\n"
    _, diags = load_bytes(evidence.encode(), "e.yaml", plan.program)
    assert [d.code for d in diags if d.is_error] == ["E651"]  # said once, by the survey reader


def test_the_shipped_packs_check_clean() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "rules"
    for path in sorted(root.glob("*.jx")):
        assert diagnostics_of(path.read_text(encoding="utf-8"), str(path)) == [], path


def test_parse_error_is_gone_for_unit_literals() -> None:
    try:
        parse_text(pack('fact a: money\nindicator A "a" 10 { reverse a target 50万元 }'))
    except JixiaoError as exc:  # pragma: no cover - the failure being guarded against
        pytest.fail(str(exc))


def test_parse_value_given_the_fact_converts_into_its_unit() -> None:
    """Portfolio cells go through `parse_value`; given the fact, `50万元` is 50 in 万元."""
    plan = compile_text(COST.replace("RULE", "reverse 运维成本 target 50"))
    fact = plan.program.facts["运维成本"]
    assert parse_value(fact, "50万元") == (Decimal(50), "")
    assert parse_value(fact, "500000元") == (Decimal(50), "")
    assert parse_value(fact, "50") == (Decimal(50), "")
    assert parse_value(fact, "-1")[0] is None


def test_a_let_declared_percent_needs_its_percent_sign() -> None:
    text = pack('fact 率: percent\nlet 线: percent = 90\nindicator A "a" 10 { full when 率 >= 线 }')
    assert codes(text) == ["E311"]


def test_targets_between_money_of_different_units_convert() -> None:
    text = pack(
        'fact 预算: money unit "元" nonzero\nfact 支出: money unit "万元"\n'
        'indicator A "a" 5 { forward 支出 target 预算 }\n'
        'indicator B "b" 5 { reverse 预算 target 支出 }\n'
    )
    scored = score(compile_text(text), "facts:\n  预算: 1000000\n  支出: 80万元\n")
    assert scored.points == {"A": "4.00", "B": "4.00"}
    assert "W406" not in [d.code for d in diagnostics_of(text)]  # the divisor's guard still holds


CONTEXTS = [
    'fact 率: percent\nindicator A "a" 10 {{ tiers 率 {{ >= {n}: full; else: 0 }} }}',
    'fact 率: percent\nindicator A "a" 10 {{ full when 率 >= {n} }}',
    'fact 率: percent\nindicator A "a" 10 {{ full when {n} < 率 or 率 == {n} }}',
    'fact 率: percent\nindicator A "a" 10 {{ forward 率 target {n} }}',
    'fact 率: percent default {n}\nindicator A "a" 10 {{ proportional 率 }}',
    'fact 率: percent\nparam 线: percent = {n}\nindicator A "a" 10 {{ full when 率 >= 线 }}',
    "fact 率: percent\nfunction 达(线: percent, r: percent) {{ full when r >= 线 }}\n"
    'indicator A "a" 10 {{ 达({n}, 率) }}',
    'fact 率: percent\nindicator A "a" 10 {{ full when 率 >= 1% }}\nveto when 率 < {n} grade 差',
]


@given(
    st.sampled_from(CONTEXTS),
    st.integers(1, 10000).map(lambda n: Decimal(n) / 100),
)
def test_any_bare_number_where_a_percent_is_meant_is_refused_and_its_percent_accepted(
    context: str, n: Decimal
) -> None:
    written = _literal(n)
    assert set(codes(pack(context.format(n=written)))) == {"E311"}
    assert codes(pack(context.format(n=written + "%"))) == []


NESTS = [
    "facts:\n  相符: {{{k}: true, {k}: false}}\n",
    "facts:\n  相符: {{value: true, {k}: a, {k}: b}}\n",
    "{k}: 1\nfacts:\n  相符: true\n{k}: 2\n",
    "facts:\n  相符: true\n  问题:\n    - {{item: a, {k}: 1, {k}: 2}}\n",
    '{{"facts": {{"相符": {{"value": true, "{k}": "a", "{k}": "b"}}}}}}',
]


@given(st.sampled_from(NESTS), st.sampled_from(["value", "source", "note", "item", "x", "项目"]))
def test_any_key_given_twice_in_one_mapping_is_refused(template: str, key: str) -> None:
    plan = compile_text(BOOL)
    _, diags = load_bytes(template.format(k=key).encode(), "e.yaml", plan.program)
    assert "E661" in [d.code for d in diags]


@pytest.mark.parametrize(
    ("given", "points"), [("40万元", "10.00"), ("600000", "5.00"), ("1亿", "0.00")]
)
def test_tier_bands_with_units_convert_into_the_subjects_unit(given: str, points: str) -> None:
    text = pack(
        'fact 成本: money unit "元"\n'
        'indicator A "a" 10 { tiers 成本 { <= 50万元: full; (50万元, 0.8百万元]: 50%; else: 0 } }'
    )
    assert score(compile_text(text), f"facts:\n  成本: {given}\n").points["A"] == points


def test_json_evidence_converts_units_too() -> None:
    plan = compile_text(COST.replace("RULE", "reverse 运维成本 target 50"))
    evidence, _ = load_bytes('{"facts": {"运维成本": "500000元"}}'.encode(), "e.json", plan.program)
    assert evidence is not None and evidence.values["运维成本"] == Decimal(50)


def test_a_percent_divided_by_a_bare_number_above_1_is_refused() -> None:
    """≥85%得满分；低于85%按 满意度/85%×分值: `/ 85` would score almost nothing."""
    body = 'fact 满意度: percent\nindicator A "a" 10 {{ full when 满意度 >= 85% else proportional 满意度 / {d} }}'
    assert codes(pack(body.format(d="85"))) == ["E311"]
    assert codes(pack(body.format(d="85%"))) == []
    assert codes(pack(body.format(d="0.85"))) == []
