"""Expert panels (专家评分), exemptions (`unless`) and dispatch by category (`by`): issue #14
items 6 and 7, as a user would notice them — the points, the ledger, and every refusal with its
code (the rendered diagnostics are goldens in tests/diagnostics/, the ledgers fixtures in
tests/forms/panel, unless and dispatch)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.dsl.diagnostics import JixiaoError
from jixiao.dsl.formatter import format_pack
from jixiao.dsl.parser import parse_text
from jixiao.engine.common.result import LineKind
from jixiao.engine.forms.panel import combine
from jixiao.engine.runtime.evidence import load_bytes
from jixiao.engine.tools.packtest import coverage_items

from .helpers import cli, compile_text, diagnostics_of, score

TWO = Decimal("0.01")


def panel_pack(mode: str, weight: int = 10, rounding: str = "2 half_up") -> str:
    return (
        f'pack "p" {{ total {weight} rounding {rounding} grades {{ 优 >= 0.5; 差 else }} }}\n'
        "fact 专家评分: panel\n"
        f'indicator A "a" {weight} {{ panel 专家评分 {mode} }}\n'
    )


def panel_evidence(scores: list[str | Decimal]) -> str:
    rows = "".join(f"    - {{专家: 专家{i}, 得分: {s}}}\n" for i, s in enumerate(scores, 1))
    return "facts:\n  专家评分:\n" + rows


def points(mode: str, scores: list[str], weight: int = 10) -> str | None:
    return score(compile_text(panel_pack(mode, weight)), panel_evidence(scores)).points["A"]


# ----- the combinations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "scores", "expected"),
    [
        ("mean", ["8", "9", "7"], "8.00"),
        ("mean", ["10", "8", "7", "7", "0"], "6.40"),
        ("mean", ["7"], "7.00"),  # one expert: the mean is the score
        ("trimmed", ["8.5", "9", "6", "9.5", "8"], "8.50"),
        ("trimmed", ["10", "8", "7", "7", "0"], "7.33"),  # 22/3, rounded half up
        ("trimmed", ["7.5", "7.5", "7.5"], "7.50"),  # all equal
        ("trimmed", ["9", "7", "9", "7", "8"], "8.00"),  # ties at both ends: one of each dropped
        ("trimmed", ["5", "5", "5", "1"], "5.00"),  # ties at the top: one 5 dropped, two kept
        ("median", ["4", "2.5", "5"], "4.00"),
        ("median", ["4", "3.5", "5", "2"], "3.75"),  # even: the mean of 3.5 and 4
        ("median", ["6", "6"], "6.00"),
        ("平均", ["8", "9"], "8.50"),
        ("去掉最高最低", ["10", "8", "7", "7", "0"], "7.33"),
        ("中位数", ["1", "9", "3"], "3.00"),
    ],
)
def test_each_combination_as_the_standard_reads(
    mode: str, scores: list[str], expected: str
) -> None:
    assert points(mode, scores) == expected


def test_trimmed_drops_one_highest_and_one_lowest_and_names_them() -> None:
    scored = score(compile_text(panel_pack("trimmed")), panel_evidence(["9", "7", "9", "7", "8"]))
    [ind] = scored.result.indicators
    marks = [line for line in ind.lines if line.kind is LineKind.PANEL_MARK]
    assert [(m.item.text if m.item else None, m.args) for m in marks] == [
        ("专家1", (Decimal(9), False, True)),  # the first listed of the two highest
        ("专家2", (Decimal(7), True, False)),  # the first listed of the two lowest
        ("专家3", (Decimal(9), False, False)),
        ("专家4", (Decimal(7), False, False)),
        ("专家5", (Decimal(8), False, False)),
    ]
    [combined] = [line for line in ind.lines if line.kind is LineKind.PANEL]
    assert combined.points == Decimal(8)
    assert sum(line.points for line in ind.lines) == ind.points  # lines add up


def test_the_mean_is_rounded_once_to_the_packs_places_and_mode() -> None:
    scores = ["1", "1", "0"]  # 2/3 = 0.666…
    down = score(compile_text(panel_pack("mean", rounding="2 down")), panel_evidence(scores))
    assert down.points["A"] == "0.66"
    whole = score(compile_text(panel_pack("mean", rounding="1 half_up")), panel_evidence(scores))
    assert whole.points["A"] == "0.7"
    total = score(
        compile_text(panel_pack("mean", rounding="2 half_up on total")), panel_evidence(scores)
    )
    [ind] = total.result.indicators
    assert ind.points == Decimal("0.67")  # rounded by the panel itself, not only in the total


def test_the_band_is_the_weight_and_a_score_outside_it_is_refused_not_clipped() -> None:
    scored = score(compile_text(panel_pack("trimmed")), panel_evidence(["8", "12", "7", "9"]))
    [ind] = scored.result.indicators
    assert ind.points is None
    [failure] = ind.failures
    assert (failure.code, failure.fact, failure.arg("index"), failure.arg("expert")) == (
        "E665",
        "专家评分",
        "2",
        "专家2",
    )
    assert failure.span.source.path == "evidence.yaml"  # points at the score to correct
    for bad in ("-1", "10.01"):
        assert points("mean", ["5", bad]) is None
    assert points("mean", ["0", "10"]) == "5.00"  # both ends belong to the band


@pytest.mark.parametrize(
    ("mode", "count", "fails"),
    [
        ("trimmed", 2, True),
        ("trimmed", 3, False),
        ("mean min 5", 4, True),
        ("mean min 5", 5, False),
        ("median", 0, True),
        ("mean", 0, True),
    ],
)
def test_a_panel_smaller_than_its_min_is_refused(mode: str, count: int, fails: bool) -> None:
    scores = ["5"] * count
    text = panel_evidence(scores) if count else "facts:\n  专家评分: []\n"
    scored = score(compile_text(panel_pack(mode)), text)
    [ind] = scored.result.indicators
    assert (ind.points is None) == fails
    if fails:
        assert [f.code for f in ind.failures] == ["E666"]


def test_not_applicable_panel_follows_the_packs_policy() -> None:
    text = panel_pack("mean").replace("grades", "not_applicable exclude grades")
    scored = score(compile_text(text), "facts:\n  专家评分: 不适用\n")
    [ind] = scored.result.indicators
    assert ind.excluded


# ----- hand computation, as a property ----------------------------------------------------------


def by_hand(
    scores: list[Decimal], mode: str, scale: Decimal | None = None, weight: int = 1
) -> Decimal:
    ordered = sorted(scores)
    if mode == "mean":
        exact = sum(scores, Decimal(0)) / len(scores)
    elif mode == "trimmed":
        kept = ordered[1:-1]
        exact = sum(kept, Decimal(0)) / len(kept)
    else:
        n = len(ordered)
        exact = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    if scale is not None:
        exact = exact * weight / scale
    return exact.quantize(TWO, rounding=ROUND_HALF_UP)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["mean", "trimmed", "median"]),
    st.integers(1, 20),
    st.data(),
)
def test_the_panel_result_is_the_hand_computation_and_lies_in_the_band(
    mode: str, weight: int, data: st.DataObject
) -> None:
    least = 3 if mode == "trimmed" else 1
    scale = data.draw(st.sampled_from([None, Decimal(100), Decimal(5)]))
    top = scale if scale is not None else weight
    hundredths = st.integers(0, int(top * 100)).map(lambda n: Decimal(n) / 100)
    scores = data.draw(st.lists(hundredths, min_size=least, max_size=9))
    written = f"{mode} of {scale}" if scale is not None else mode
    scored = score(compile_text(panel_pack(written, weight)), panel_evidence(scores))
    [ind] = scored.result.indicators
    assert ind.points == by_hand(scores, mode, scale, weight)
    assert Decimal(0) <= ind.points <= weight
    ratio = Decimal(weight) / top  # the scores' scale onto the weight
    assert min(scores) * ratio - TWO <= ind.points <= max(scores) * ratio + TWO
    experts = [line for line in ind.lines if line.kind is LineKind.PANEL_MARK]
    assert len(experts) == len(scores)  # one line per expert
    dropped = [line for line in experts if line.args.lowest or line.args.highest]
    assert len(dropped) == (2 if mode == "trimmed" else 0)


@given(st.lists(st.integers(0, 100), min_size=3, max_size=12))
def test_trimming_is_independent_of_the_order_listed(values: list[int]) -> None:
    scores = [Decimal(v) for v in values]
    forward = combine(scores, "trimmed")[0]
    assert combine(list(reversed(scores)), "trimmed")[0] == forward
    assert combine(sorted(scores), "median")[0] == combine(scores, "median")[0]


# ----- the evidence: the shapes offices type, and what is refused -------------------------------

SHAPES = [
    "  专家评分:\n    - {专家: 张三, 得分: 4.5, 理由: 方案完整}\n    - {专家: 李四, 得分: 3}\n"
    "    - {专家: 王五, 得分: 5}\n",
    "  专家评分:\n    - name: 张三\n      score: 4.5\n      reason: 方案完整\n"
    "    - {expert: 李四, points: 3}\n    - {姓名: 王五, 分数: 5分}\n",
    "  专家评分:\n    - 张三: 4.5\n    - 李四：3\n    - 王五 5\n",
    "  专家评分: {张三: 4.5, 李四: 3, 王五: 五}\n",
    "  专家评分:\n    张三: {得分: 4.5, 理由: 方案完整}\n    李四: 3\n    王五: ５\n",
    "  专家评分:\n    value:\n      - {专家: 张三, 评分: 4.5}\n      - {专家: 李四, 打分: 3}\n"
    "      - {专家: 王五, 得分: 5}\n    source: 专家评审表\n",
]


@pytest.mark.parametrize("facts", SHAPES)
def test_every_shape_of_a_panel_reads_the_same(facts: str) -> None:
    plan = compile_text(panel_pack("trimmed", 5))
    scored = score(plan, "facts:\n" + facts)
    assert scored.points["A"] == "4.50"
    [ind] = scored.result.indicators
    names = [line.item.text for line in ind.lines if line.item is not None]
    assert names == ["张三", "李四", "王五"]


def codes_of(facts: str) -> list[str]:
    plan = compile_text(panel_pack("mean"))
    _, diags = load_bytes(("facts:\n" + facts).encode(), "e.yaml", plan.program)
    return [d.code for d in diags if d.is_error]


@pytest.mark.parametrize(
    ("facts", "code", "words"),
    [
        ("  专家评分:\n    - {专家: 张三, 得份: 4}\n", "E662", "did you mean `得分`?"),
        ("  专家评分:\n    - {得分: 4}\n", "E662", "expert 1 has no name"),
        ("  专家评分:\n    - {专家: 张三}\n", "E662", "expert 1 `张三` has no score"),
        ("  专家评分:\n    - {专家: 张三, 得分: }\n", "E662", "has no score"),
        ("  专家评分:\n    - {专家: 张三, name: 李四, 得分: 4}\n", "E662", "its name twice"),
        ("  专家评分:\n    - [张三, 4]\n", "E662", "a list, not one expert"),
        ("  专家评分:\n    - 张三\n", "E662", "not a name and a score"),
        ("  专家评分: 很好\n", "E662", "not a list of experts"),
        ("  专家评分:\n    - {专家: 张三, 得分: 4, 理由: [a, b]}\n", "E662", "not a text"),
        ("  专家评分:\n    - {专家: 张三, 得分: 优}\n", "E663", "expert 1 `张三`"),
        ("  专家评分:\n    - {专家: 张三, 得分: [4]}\n", "E663", "a single number"),
        ("  专家评分:\n    - {专家: 张三, 得分: 85%}\n", "E663", "not a number"),
        (
            "  专家评分:\n    - {专家: 张三, 得分: 4}\n    - {专家: ＺＳ, 得分: 4}\n"
            "    - {专家: Z S, 得分: 4}\n",
            "E664",
            "listed twice",
        ),
    ],
)
def test_a_panel_that_cannot_be_read_is_refused_naming_the_expert(
    facts: str, code: str, words: str
) -> None:
    plan = compile_text(panel_pack("mean"))
    _, diags = load_bytes(("facts:\n" + facts).encode(), "e.yaml", plan.program)
    errors = [d for d in diags if d.is_error]
    assert [d.code for d in errors] == [code]
    shown = errors[0].message + " " + (errors[0].help or "")
    assert words in shown


def test_an_expert_whose_name_looks_like_a_field_is_an_expert() -> None:
    """李明 is as close to 说明 as 得份 is to 得分: a one-field entry is a name and its score."""
    plan = compile_text(panel_pack("mean"))
    facts = "facts:\n  专家评分:\n    - 李明: 8\n    - 王分: 6\n    - {评委: 张评, 分值: 7}\n"
    scored = score(plan, facts)
    assert scored.points["A"] == "7.00"
    assert codes_of("  专家评分:\n    - 得分: 8\n") == ["E662"]  # a score without a name


def test_an_empty_panel_is_read_and_refused_by_the_rule() -> None:
    for empty in ("[]", "无", "~"):
        assert codes_of(f"  专家评分: {empty}\n") == []


def test_a_panel_in_a_pack_test_case(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(panel_pack("trimmed"), encoding="utf-8")
    suite = {
        "cases": [
            {
                "name": "五位专家",
                "facts": {
                    "专家评分": [
                        {"专家": f"专家{i}", "得分": s} for i, s in enumerate([8, 9, 6, 10, 7])
                    ]
                },
                "expect": {"total": "8.00"},
            }
        ]
    }
    (tmp_path / "p.test.yaml").write_text(yaml.safe_dump(suite, allow_unicode=True), "utf-8")
    code, out, err = cli("test", str(pack))
    assert code == 0, out + err


# ----- the checker ------------------------------------------------------------------------------


def check_codes(text: str) -> list[str]:
    return [d.code for d in diagnostics_of(text) if d.is_error]


HEAD = 'pack "p" { total 10 grades { 优 >= 9; 差 else } }\n'


@pytest.mark.parametrize(
    ("rule", "decl", "code"),
    [
        ("panel 评分 mean", "fact 评分: number", "E335"),
        ("panel 评分 average", "fact 评分: panel", "E336"),
        ("panel 评分 trimmed min 2", "fact 评分: panel", "E337"),
        ("panel 评分 mean min 0", "fact 评分: panel", "E337"),
        ("panel 评分 median min 1.5", "fact 评分: panel", "E337"),
    ],
)
def test_the_checker_refuses_a_panel_rule_it_cannot_score(rule: str, decl: str, code: str) -> None:
    assert code in check_codes(f'{HEAD}{decl}\nindicator A "a" 10 {{ {rule} }}\n')


def test_a_panel_with_a_default_or_in_arithmetic_is_refused() -> None:
    assert "E305" in check_codes(
        f'{HEAD}fact 评分: panel default 0\nindicator A "a" 10 {{ panel 评分 mean }}\n'
    )
    errors = check_codes(
        f'{HEAD}fact 评分: panel\nindicator A "a" 10 {{ proportional 评分 / 10 }}\n'
    )
    assert errors  # a panel is no number: combine it with `panel`


@pytest.mark.parametrize(
    "rule",
    [
        "panel 评分 去掉最高最低 min 5",
        'by 类别 { "甲", "乙": panel 评分 median; else: full when 调整 else 50% }',
        'deduct 1 per 5% of 100% - 率 whole max 4 "差距" unless 调整 and 率 > 0% "政策调整"',
    ],
)
def test_the_new_forms_round_trip_through_the_formatter(rule: str) -> None:
    text = (
        f'{HEAD}fact 评分: panel\nfact 类别: choice ["甲", "乙", "丙"]\nfact 调整: bool\n'
        f'fact 率: percent\nindicator A "a" 10 {{ {rule} }}\n'
    )
    pack = parse_text(text)
    again = parse_text(format_pack(pack))
    assert again == pack
    assert format_pack(again) == format_pack(pack)


# ----- unless -----------------------------------------------------------------------------------

UNLESS = (
    HEAD + "fact 率: percent\nfact 调整: bool\nfact 问题: list\nfact 整改: bool\nfact 严重: list\n"
    'indicator A "a" 4 { deduct 1 per 5% of 100% - 率 whole max 4 unless 调整 "政策调整" }\n'
    'indicator B "b" 2 { deduct 2 when 率 < 60% "执行率低" unless 调整 "政策调整" }\n'
    'indicator C "c" 2 { deduct 0.5 per 问题 max 2 "{item}" unless 整改 "已整改" }\n'
    'indicator D "d" 2 { deduct per 严重 by "级别" { "一般": 0.5; "严重": 1 } unless 整改 "已整改" }\n'
)


def unless_evidence(adjusted: bool, fixed: bool) -> str:
    return (
        "facts:\n  率: 50%\n"
        f"  调整: {'是' if adjusted else '否'}\n  问题: [甲, 乙]\n  整改: {'是' if fixed else '否'}\n"
        "  严重: [{item: 丙, 级别: 严重}]\n"
    )


def test_unless_takes_nothing_when_its_condition_holds_and_says_why() -> None:
    plan = compile_text(UNLESS)
    made = score(plan, unless_evidence(False, False))
    assert made.points == {"A": "0.00", "B": "0.00", "C": "1.00", "D": "1.00"}
    spared = score(plan, unless_evidence(True, True))
    assert spared.points == {"A": "4.00", "B": "2.00", "C": "2.00", "D": "2.00"}
    assert spared.lines("A")[-1] == ("exempt", "0", "政策调整")
    for code, amount in (("A", 4), ("B", 2), ("C", 1), ("D", 1)):
        ind = next(i for i in spared.result.indicators if i.code == code)
        [line] = [x for x in ind.lines if x.kind is LineKind.EXEMPT]
        assert line.args.spared == amount  # what was spared (10 steps of 1, the clause's max 4)
        assert [f.name for f in line.facts] == ["调整" if code in "AB" else "整改"]


def test_unless_needs_a_condition_and_a_reason() -> None:
    bad = HEAD + 'fact 率: percent\nindicator A "a" 4 { deduct 1 when 率 < 60% unless 率 "x" }\n'
    assert check_codes(bad)  # the condition is a percent, not a bool
    with pytest.raises(JixiaoError) as caught:
        parse_text(HEAD + 'fact 调整: bool\nindicator A "a" 4 { deduct 1 when 调整 unless 调整 }\n')
    assert caught.value.diagnostics[0].code.startswith("E1")


def test_unless_is_one_form_with_its_coverage() -> None:
    plan = compile_text(UNLESS)
    ind = next(i for i in plan.program.indicators if i.code == "C")
    labels = [item.label for item in coverage_items(ind)]
    assert "`unless 整改` holds" in labels
    assert any(label.endswith("fires") for label in labels)


# ----- by ---------------------------------------------------------------------------------------

BY = (
    HEAD + 'fact 类别: choice ["基建类", "运转类", "专项类"]\nfact 率: percent\n'
    'indicator A "a" 10 { by 类别 { "基建类": proportional 率; "运转类", "专项类": full when 率 >= 90% } }\n'
)


@pytest.mark.parametrize(
    ("category", "expected"), [("基建类", "8.00"), ("运转类", "0.00"), ("专项类", "0.00")]
)
def test_by_takes_the_branch_of_the_value(category: str, expected: str) -> None:
    scored = score(compile_text(BY), f"facts:\n  类别: {category}\n  率: 80%\n")
    assert scored.points["A"] == expected
    first = scored.result.indicators[0].lines[0]
    assert (first.kind, first.reason) == (LineKind.DISPATCH, category)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('"基建类": full; "运转类": 0', "E339"),  # 专项类 has no branch
        ('"基建": full; else: 0', "E315"),
        ('"基建类": full; "基建类": 0; else: 0', "E341"),
        ('"基建类": full; else: 0; else: 1', "E340"),
    ],
)
def test_by_is_checked_for_coverage_like_levels(body: str, code: str) -> None:
    text = (
        HEAD + 'fact 类别: choice ["基建类", "运转类", "专项类"]\n'
        f'indicator A "a" 10 {{ by 类别 {{ {body} }} }}\n'
    )
    assert check_codes(text) == [code]


def test_by_over_a_plain_text_is_refused() -> None:
    text = HEAD + 'fact 类别: text\nindicator A "a" 10 { by 类别 { "基建类": full; else: 0 } }\n'
    assert check_codes(text) == ["E338"]


def test_by_with_else_covers_the_rest_and_every_branch_is_a_coverage_item() -> None:
    text = BY.replace('"运转类", "专项类": full', '"运转类": full').replace(
        "90% } }", "90%; else: 5 } }"
    )
    plan = compile_text(text)
    assert score(plan, "facts:\n  类别: 专项类\n  率: 0%\n").points["A"] == "5.00"
    labels = [item.label for item in coverage_items(plan.program.indicators[0])]
    assert [x for x in labels if x.startswith("branch")] == [
        "branch “基建类”",
        "branch “运转类”",
        "branch else",
    ]


def test_by_inside_a_function_dispatches_on_the_argument() -> None:
    text = (
        HEAD + 'fact 类别: choice ["甲", "乙"]\nfact 率: percent\n'
        'function 按类(c: text, r: percent) { by c { "甲": proportional r; "乙": full } }\n'
        'indicator A "a" 10 { 按类(类别, 率) }\n'
    )
    assert score(compile_text(text), "facts:\n  类别: 甲\n  率: 40%\n").points["A"] == "4.00"


# ----- a panel inside a level's range ------------------------------------------------------------

LEVEL_PANEL = (
    HEAD + 'fact 档次: choice ["好", "中", "差"]\nfact 专家评分: panel\n'
    'indicator A "a" 10 { levels 档次 score panel 专家评分 mean min 2 '
    '{ "好": [8, 10]; "中": [5, 8); "差": [0, 5) } }\n'
)


@pytest.mark.parametrize(
    ("level", "scores", "expected"),
    [
        ("好", ["8", "10"], "9.00"),
        ("中", ["5", "7.99"], "6.50"),  # 6.495 rounded half up
        ("差", ["0", "4.5"], "2.25"),
        ("中", ["8", "7"], None),  # 8 is 好's, outside [5, 8)
        ("好", ["7", "9"], None),
        ("好", ["9"], None),  # fewer than `min 2`
    ],
)
def test_inside_levels_each_score_lies_in_the_chosen_levels_range(
    level: str, scores: list[str], expected: str | None
) -> None:
    evidence = f"facts:\n  档次: {level}\n" + panel_evidence(scores).removeprefix("facts:\n")
    scored = score(compile_text(LEVEL_PANEL), evidence)
    assert scored.points["A"] == expected
    [ind] = scored.result.indicators
    if expected is None:
        assert [f.code for f in ind.failures] in (["E665"], ["E666"])
    else:
        combined = ind.lines[-1]
        assert (combined.kind, combined.reason) == (LineKind.PANEL, level)
        assert [f.name for f in combined.facts] == ["档次", "专家评分"]


def test_inside_levels_the_levels_are_the_coverage_items(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(LEVEL_PANEL, encoding="utf-8")
    cases = [
        {"name": name, "facts": {"档次": name, "专家评分": {"甲": s, "乙": s}}}
        for name, s in (("好", 9), ("中", 6), ("差", 1))
    ]
    missing = {"name": "缺", "facts": {"档次": "好"}, "expect": {"errors": ["E605"]}}
    suite = {"cases": [*cases, missing]}
    (tmp_path / "p.test.yaml").write_text(yaml.safe_dump(suite, allow_unicode=True), "utf-8")
    code, out, err = cli("test", str(pack), "--coverage-min", "100")
    assert code == 0, out + err
    assert "100" in out, out


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_generated_evidence_gives_every_panel_enough_experts_within_its_band(
    data: st.DataObject,
) -> None:
    """`verify` and the properties draw panels their rules accept: `min` experts or more, each
    within the smallest weight of the indicators reading the panel."""
    from jixiao.engine.runtime.evaluator import evaluate
    from jixiao.engine.tools.strategies import evidence_of, facts_for

    text = (
        'pack "p" { total 15 grades { 优 >= 9; 差 else } }\nfact 专家评分: panel\n'
        'indicator A "a" 10 { panel 专家评分 trimmed min 5 }\n'
        'indicator B "b" 5 { panel 专家评分 median }\n'
    )
    plan = compile_text(text)
    facts = data.draw(facts_for(plan))
    assert len(facts["专家评分"]) >= 5
    result = evaluate(plan, evidence_of(plan, facts))
    assert all(i.points is not None for i in result.indicators)


def test_a_deduction_with_an_exemption_still_counts_for_double_counting() -> None:
    text = (
        'pack "p" { total 10 grades { 优 >= 9; 差 else } }\nfact 问题: list\nfact 整改: bool\n'
        'indicator A "a" 5 { deduct 1 per 问题 unless 整改 "已整改" }\n'
        'indicator B "b" 5 { deduct 1 per 问题 }\n'
    )
    assert "W407" in [d.code for d in diagnostics_of(text)]


def test_an_else_no_choice_is_left_for_is_warned() -> None:
    text = (
        HEAD + 'fact 类别: choice ["甲", "乙"]\n'
        'indicator A "a" 10 { by 类别 { "甲": full; "乙": 0; else: 5 } }\n'
    )
    assert [d.code for d in diagnostics_of(text)] == ["W335"]
    assert [d.code for d in diagnostics_of(text.replace('"乙": 0; ', ""))] == []


def test_a_name_pasted_with_invisible_characters_is_the_same_expert() -> None:
    facts = '  专家评分:\n    - {专家: 张三, 得分: 4}\n    - {专家: "张三\\u200b", 得分: 5}\n'
    assert codes_of(facts) == ["E664"]
    assert codes_of('  专家评分:\n    - {专家: "\\u200b", 得分: 5}\n') == ["E662"]


def test_unless_in_a_penalty_section_and_refused_in_a_bonus_section() -> None:
    text = (
        HEAD + "fact 事故: count\nfact 不可抗力: bool\n"
        'indicator A "a" 10 { full when 不可抗力 or not 不可抗力 }\n'
        'penalty P "减分" max 5 { deduct 2 per 事故 unless 不可抗力 "不可抗力" }\n'
    )
    plan = compile_text(text)
    made = score(plan, "facts:\n  事故: 1\n  不可抗力: 否\n")
    spared = score(plan, "facts:\n  事故: 1\n  不可抗力: 是\n")
    assert (made.result.total, spared.result.total) == (Decimal(8), Decimal(10))
    bonus = text.replace("penalty P", "bonus P")
    assert "E418" in check_codes(bonus)  # a bonus section adds; `unless` wraps a deduction


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (["85", "90", "78", "88", "86"], "8.63"),
        (["100", "100", "100"], "10.00"),
        (["0"] * 3, "0.00"),
    ],
)
def test_a_panel_on_its_own_scale_is_scaled_to_the_weight(scores: list[str], expected: str) -> None:
    text = panel_pack("trimmed of 100 min 3")
    assert score(compile_text(text), panel_evidence(scores)).points["A"] == expected
    assert points("mean of 100", ["101"]) is None  # outside the scale: refused (E665)


def test_a_scale_must_be_above_0_and_is_refused_inside_levels() -> None:
    assert "E337" in check_codes(
        f'{HEAD}fact 评分: panel\nindicator A "a" 10 {{ panel 评分 mean of 0 }}\n'
    )
    assert "E337" in check_codes(LEVEL_PANEL.replace("mean min 2", "mean of 100"))


@pytest.mark.parametrize("kind", ["panel", "judgement", "list"])
def test_a_record_of_several_values_is_never_compared(kind: str) -> None:
    """`专家评分 > 专家评分` was an internal error at evaluation (exit 3); a comparison of two
    panels (or judgements, or lists) means nothing, so the checker refuses it."""
    for op in (">", "==", "!="):
        text = f'{HEAD}fact 甲: {kind}\nindicator A "a" 10 {{ full when 甲 {op} 甲 }}\n'
        assert check_codes(text) == ["E301"]
