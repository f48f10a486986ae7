"""The parser: what each form parses to (printed canonically), spans, and full-width input."""

from __future__ import annotations

import pytest

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import JixiaoError
from jixiao.dsl.formatter import format_rule
from jixiao.dsl.parser import parse_text


def rules_of(body: str) -> list[str]:
    pack = parse_text(f'indicator X "x" 10 {{ {body} }}')
    return [format_rule(r) for r in pack.indicators[0].rules]


FORMS = [
    ("full when 相符", "full when 相符"),
    ("full when 率 >= 100% else proportional 率", "full when 率 >= 100% else proportional 率"),
    ("full when 率 ≥ 100% else 1", "full when 率 >= 100% else 1"),
    ("proportional 满意度 / 85%", "proportional 满意度 / 85%"),
    ("proportional (甲 + 乙) / (丙 + 丁)", "proportional (甲 + 乙) / (丙 + 丁)"),
    ("proportional 甲 × 乙 ÷ 丙", "proportional 甲 * 乙 / 丙"),
    ("reverse 成本 target 100 linear", "reverse 成本 target 100 linear"),
    (
        "tiers 率 { >= 95%: full; [90%, 95%): 1; < 90%: 0 }",
        "tiers 率 { >= 95%: full; [90%, 95%): 1; < 90%: 0 }",
    ),
    (
        "tiers 率 { > 95%: full; (90%, 95%]: 50%; else: 0 }",
        "tiers 率 { > 95%: full; (90%, 95%]: 50%; else: 0 }",
    ),
    (
        "tiers 率 ｛ >= 95%：full；else：0 ｝".replace("｛", "{").replace("｝", "}"),
        "tiers 率 { >= 95%: full; else: 0 }",
    ),
    (
        'levels 程度 { "健全": full; "基本健全": 60%; "不健全": 0 }',
        'levels 程度 { "健全": full; "基本健全": 60%; "不健全": 0 }',
    ),
    ('deduct 0.5 per 缺失项 "缺少：{item}"', 'deduct 0.5 per 缺失项 "缺少：{item}"'),
    ("deduct 1 when not 有测算 “无明细测算”", 'deduct 1 when not 有测算 "无明细测算"'),
    ('zero when 挪用 or 截留 "本项不得分"', 'zero when 挪用 or 截留 "本项不得分"'),
    ("full when if 甲 > 0 then 乙 >= 1 else true", "full when if 甲 > 0 then 乙 >= 1 else true"),
    (
        "full when count(问题) == 0 and not (甲 and 乙)",
        "full when count(问题) == 0 and not (甲 and 乙)",
    ),
]


@pytest.mark.parametrize(("source", "printed"), FORMS)
def test_forms(source: str, printed: str) -> None:
    assert rules_of(source) == [printed]
    # the canonical print parses back to the same AST (spans do not count)
    again = parse_text(f'indicator X "x" 10 {{ {printed} }}')
    assert (
        again.indicators[0].rules
        == parse_text(f'indicator X "x" 10 {{ {source} }}').indicators[0].rules
    )


def test_spans_point_at_source_text() -> None:
    src = 'fact 预算执行率: percent\nindicator B1.1.2 "预算执行率" 3 {\n    full when 预算执行率 >= 100%\n}\n'
    pack = parse_text(src)
    rule = pack.indicators[0].rules[0]
    assert isinstance(rule, ast.FullWhen)
    assert rule.span.text == "full when 预算执行率 >= 100%"
    assert (rule.span.line, rule.span.column) == (3, 5)
    assert isinstance(rule.cond, ast.Compare)
    assert rule.cond.left.span.text == "预算执行率"


def test_layout_and_comments_do_not_change_the_ast() -> None:
    a = parse_text('fact 甲: bool\nindicator A "a" 2 { full when 甲 }')
    b = parse_text(
        '# 注释\nfact   甲 : bool   // 另一种注释\n\nindicator A "a" 2 {\n  full when 甲;\n}\n'
    )
    assert a == b


def test_keywords_do_not_swallow_names() -> None:
    pack = parse_text('fact fullness: bool\nindicator A "a" 2 { full when fullness }')
    assert pack.facts[0].name.text == "fullness"


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ('indicator A "x" 2 { full when a >= }', "E102"),
        ('indicator A "x" 2 {', "E103"),
        ("fact a: bool @", "E101"),
        ("fact a: date default 2017-02-30", "E104"),
        ('fact a: bool unit "x" unit "y"', "E105"),
        ('indicator A "x" 2 { tiers a { != 1: full } }', "E106"),
    ],
)
def test_syntax_errors_are_diagnostics(source: str, code: str) -> None:
    with pytest.raises(JixiaoError) as info:
        parse_text(source)
    assert [d.code for d in info.value.diagnostics] == [code]


def test_indicators_nested_past_reason_are_named_as_indicators() -> None:
    # A missing `}` repeated by a generator nests every indicator in the one before.
    depth = 400
    text = 'pack "t" { total 1 }\nfact a: bool\n'
    text += "".join(f'indicator X{i} "x" 1 {{\n' for i in range(depth))
    text += "full when a\n" + "}\n" * depth
    with pytest.raises(JixiaoError) as caught:
        parse_text(text)
    (diag,) = caught.value.diagnostics
    assert diag.code == "E109" and diag.message == "indicators nested more than 200 levels deep"
    assert "check the braces" in (diag.help or "")
