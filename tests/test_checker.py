"""What `check` refuses in the rule forms' own terms: each row is a pack a policy author might
write and the code a user must see. (How each form scores is data: tests/forms/.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from jixiao.dsl import ast, record
from jixiao.dsl.parser import parse
from jixiao.dsl.source import Source, Span
from jixiao.engine.check.checker import check
from jixiao.engine.runtime.packfile import read_pack

from .helpers import ROOT, diagnostics_of

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


# ----- the checked program carries its kinds ---------------------------------------------------


def _nodes(root: object) -> list[object]:
    """Every record below `root` (spans and their sources left out), each once."""
    seen: set[int] = set()
    out, stack = [], [root]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, tuple | list):
            stack.extend(x)
        elif isinstance(x, record.Record) and not isinstance(x, Span) and id(x) not in seen:
            seen.add(id(x))
            out.append(x)
            stack.extend(getattr(x, n) for n in record.fields(x))
    return out


PACKS = sorted(
    [*(ROOT / "rules").glob("*.jx"), *(ROOT / "tests" / "forms").glob("*/*.jx")],
    key=lambda p: str(p),
)


@pytest.mark.parametrize("path", PACKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_expression_of_a_checked_program_carries_its_kind(path: Path) -> None:
    """The checker returns the tree rebuilt with each expression's kind on its node: every
    expression the later stages read (rules, derived facts, bonus sections, vetoes) has one."""
    from jixiao.engine.check.imports import resolve, search_path

    source = read_pack(str(path))
    pack = resolve(parse(source), read_pack, search_path()).pack  # templates joined in
    program, diagnostics = check(pack, source)
    assert program is not None, diagnostics
    parts = (program.derived, program.indicators, program.extras, program.vetoes)
    exprs = [n for n in _nodes(parts) if isinstance(n, ast.Expr.__args__)]
    assert all(isinstance(e.kind, ast.Kind) for e in exprs), [e for e in exprs if not e.kind]


def test_kinds_are_those_of_the_expressions() -> None:
    text = (
        HEAD + "fact 实际支出: money\nfact 预算金额: money\nfact 问题: list\n"
        "let 率 = 实际支出 / 预算金额\n"
        'indicator A "a" 6 { proportional 率 }\n'
        'indicator B "b" 4 { full when 率 >= 90%\n deduct 1 per 问题 }\n'
    )
    program, diagnostics = check(parse(Source("t.jx", text)), Source("t.jx", text))
    assert program is not None, diagnostics
    rate = program.derived["率"].expr
    assert isinstance(rate, ast.Arith) and rate.kind is ast.Kind.NUMBER
    assert rate.left.kind is rate.right.kind is ast.Kind.MONEY
    a, b = program.indicators
    assert isinstance(a.rules[0], ast.Proportional) and a.rules[0].rate.kind is ast.Kind.NUMBER
    full, per = b.rules
    assert isinstance(full, ast.FullWhen) and full.cond.kind is ast.Kind.BOOL
    assert isinstance(full.cond, ast.Compare) and full.cond.right.kind is ast.Kind.PERCENT
    assert isinstance(per, ast.DeductPer) and per.subject.kind is ast.Kind.LIST
