"""What `check` refuses in the rule forms' own terms: each row is a pack a policy author might
write and the code a user must see. (How each form scores is data: tests/forms/.)"""

from __future__ import annotations

import pytest

from .helpers import diagnostics_of

HEAD = 'pack "t" { total 10 grades { 优 >= 9; 良 >= 8; 中 >= 6; 差 else } }\n'

FUNCTIONS = """
function 正向(目标: number, 实际: number) { forward 实际 target 目标 }
function 反向(目标: number, 实际: number) { reverse 实际 target 目标 }
fact 完成数: count
fact 成本: money
indicator A "数量指标" 6 { CALL }
indicator B "成本指标" 4 { 反向(90000, 成本) }
"""

VETO = """
fact 分: number
fact 整改未完成: bool
indicator A "a" 10 { proportional 分 / 100 }
veto when 整改未完成 cap 良好 "不能评为优秀"
"""

CASES = [
    ("function-arity", FUNCTIONS.replace("CALL", "正向(50)"), "E307"),
    ("function-argument-kind", FUNCTIONS.replace("CALL", '正向(50, "很多")'), "E308"),
    ("unknown-function", FUNCTIONS.replace("CALL", "未定义(50, 完成数)"), "E211"),
    (
        "recursion",
        "function 甲(x: number) { 乙(x) }\nfunction 乙(x: number) { 甲(x) }\n"
        'fact n: number\nindicator A "a" 10 { 甲(n) }',
        "E502",
    ),
    (
        "checklist-above-weight",
        'fact 甲: bool\nindicator A "a" 10 { checklist { 60%: 甲; 60%: 甲 } }',
        "E414",
    ),
    ("veto-unknown-grade", VETO, "E415"),
]


@pytest.mark.parametrize(("text", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_form_used_wrongly_is_refused(text: str, code: str) -> None:
    assert code in [d.code for d in diagnostics_of(HEAD + text)]


@pytest.mark.parametrize(
    "text",
    [FUNCTIONS.replace("CALL", "正向(50, 完成数)"), VETO.replace("良好", "良")],
    ids=["function-call", "veto-grade"],
)
def test_the_same_forms_used_rightly_check_clean(text: str) -> None:
    assert [d.code for d in diagnostics_of(HEAD + text)] == []


def test_days_between_dates_are_signed_so_never_deducted_per_item() -> None:
    """An early finish gives a negative number of days: were it a count, `deduct … per` would
    hand back points for it. The checker refuses it and the step form counts only delays."""
    text = HEAD + 'fact 计划: date\nfact 实际: date\nindicator A "a" 10 { deduct 0.1 per DAYS }\n'
    for days in ("days(计划, 实际)", "workdays(计划, 实际)", "(实际 - 计划)"):
        assert "E302" in [d.code for d in diagnostics_of(text.replace("DAYS", days))]
    step = text.replace("per DAYS", "per 1 of days(计划, 实际) whole")
    assert [d.code for d in diagnostics_of(step)] == []
