"""An indicator's own value of a pack parameter: `param 达成线 = 95%` inside an indicator.

What a policy author relies on: the template's shared rule scores that indicator at its own
threshold while the rest keep the pack's; a branch's value reaches its children; evidence
`params:` moves the pack's value but never silently the indicator's own; the report shows the
author's name with where the value came from; every mistake gets its own code."""

from __future__ import annotations

import json
import pickle
import re
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.dsl.formatter import format_pack
from jixiao.dsl.parser import parse
from jixiao.dsl.source import Source

from .helpers import cli, compile_text, diagnostics_of, score

HEAD = 'pack "项目" {\n    total 100\n}\n'

PACK = (
    HEAD
    + """
fact 甲执行率: percent
fact 乙执行率: percent
param 达成线: percent = 90%

function 执行率计分(率: percent) {
    full when 率 >= 达成线 else proportional 率
}

indicator A1 "甲" 50 { 执行率计分(甲执行率) }
indicator B1 "乙" 50 {
    param 达成线 = 95%
    执行率计分(乙执行率)
}
"""
)

BOTH_92 = "facts:\n  甲执行率: 92%\n  乙执行率: 92%\n"


def codes(text: str) -> list[str]:
    return [d.code for d in diagnostics_of(text)]


def test_b1_scores_at_its_own_95_while_a1_keeps_the_packs_90() -> None:
    scored = score(compile_text(PACK), BOTH_92)
    assert scored.points == {"A1": "50.00", "B1": "46.00"}  # 92% ≥ 90%; 92% < 95%: 50 × 92%


def test_the_ledger_shows_the_authors_name_and_where_the_value_came_from() -> None:
    scored = score(compile_text(PACK), BOTH_92)
    b1 = next(i for i in scored.result.indicators if i.code == "B1")
    uses = [u for line in b1.lines for u in line.facts if u.name == "达成线"]
    assert uses and all(str(u.value) == "0.95" for u in uses)
    assert uses[0].origin is not None and uses[0].origin.indicator == "B1"
    a1 = next(i for i in scored.result.indicators if i.code == "A1")
    a1_uses = [u for line in a1.lines for u in line.facts if u.name == "达成线"]
    assert a1_uses and a1_uses[0].origin is not None and a1_uses[0].origin.is_default
    # the result pickles on its own, the origin with it
    again = pickle.loads(pickle.dumps(scored.result))
    b1 = next(i for i in again.indicators if i.code == "B1")
    assert any(u.origin and u.origin.indicator == "B1" for line in b1.lines for u in line.facts)


def test_reports_never_show_the_synthetic_name(tmp_path: Path) -> None:
    (tmp_path / "p.jx").write_text(PACK, encoding="utf-8")
    (tmp_path / "e.yaml").write_text(BOTH_92, encoding="utf-8")
    code, out, err = cli("eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"))
    assert code == 0, err
    assert "达成线 = 95.00%  [B1 的取值；" in out
    assert "@" not in out
    code, out, err = cli("eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"), "--lang", "en")
    assert code == 0, err
    assert "[B1's own value; " in out
    code, out, err = cli(
        "eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"), "--format", "json"
    )
    assert code == 0, err
    report = json.loads(out)
    b1 = next(i for i in report["indicators"] if i["code"] == "B1")
    facts = [f for line in b1["lines"] for f in line["facts"] if f["name"] == "达成线"]
    assert facts and facts[0]["indicator"] == "B1" and facts[0]["display"] == "95.00%"
    assert "达成线@" not in json.dumps(b1, ensure_ascii=False)


def test_evidence_params_move_the_packs_value_not_the_indicators_own() -> None:
    plan = compile_text(PACK)
    moved = BOTH_92 + "params:\n  达成线: 93%\n"
    assert score(plan, moved).points == {"A1": "46.00", "B1": "46.00"}  # B1 keeps 95%
    assert score(plan, BOTH_92 + "params:\n  达成线: 80%\n").points["B1"] == "46.00"


def test_evidence_may_address_the_indicators_own_value_by_its_full_name() -> None:
    plan = compile_text(PACK)
    scored = score(plan, BOTH_92 + "params:\n  达成线@B1: 90%\n")
    assert scored.points == {"A1": "50.00", "B1": "50.00"}
    b1 = next(i for i in scored.result.indicators if i.code == "B1")
    uses = [u for line in b1.lines for u in line.facts if u.name == "达成线"]
    assert uses and uses[0].origin is not None and uses[0].origin.indicator is None  # evidence


def test_a_branch_value_reaches_its_children_and_a_childs_own_wins() -> None:
    text = PACK.replace(
        'indicator A1 "甲" 50 { 执行率计分(甲执行率) }',
        'indicator A "甲乙" 50 {\n    param 达成线 = 80%\n'
        '    indicator A1 "甲" 25 { 执行率计分(甲执行率) }\n'
        '    indicator A2 "乙" 25 { param 达成线 = 99%; 执行率计分(乙执行率) }\n}',
    )
    scored = score(compile_text(text), "facts:\n  甲执行率: 85%\n  乙执行率: 98%\n")
    assert scored.points["A1"] == "25.00"  # 85% ≥ the branch's 80%
    assert scored.points["A2"] == "24.50"  # 98% < its own 99%: 25 × 98%
    assert scored.points["B1"] == "50.00"  # 98% ≥ its own 95%, outside the branch


def test_a_money_parameter_takes_its_own_value_in_another_money_unit() -> None:
    text = (
        HEAD
        + 'fact 支出: money unit "万元"\nparam 上限: money = 50万元\n'
        + 'indicator A1 "甲" 50 { full when 支出 <= 上限 }\n'
        + 'indicator B1 "乙" 50 { param 上限 = 300000元; full when 支出 <= 上限 }\n'
    )
    scored = score(compile_text(text), "facts:\n  支出: 40\n")
    assert scored.points == {"A1": "50.00", "B1": "0.00"}  # 40万元 ≤ 50万元; > 30万元


def test_the_formatter_keeps_an_override_and_its_kind() -> None:
    for line in ("param 达成线 = 95%", "param 达成线: percent = 95%"):
        text = PACK.replace("param 达成线 = 95%", line)
        pack = parse(Source("p.jx", text))
        out = format_pack(pack)
        assert f"    {line}\n" in out
        assert parse(Source("p.jx", out)) == pack
        assert format_pack(parse(Source("p.jx", out))) == out
    # full-width punctuation from a Chinese input method reads the same
    assert parse(Source("p.jx", PACK.replace("param 达成线 = 95%", "param 达成线：percent = 95％")))


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("param 达成率 = 95%", "E780"),  # a typo: did you mean 达成线
        ("param 乙执行率 = 95%", "E780"),  # a fact, not a parameter
        ('param 达成线 = "95"', "E781"),
        ("param 达成线 = true", "E781"),
        ("param 达成线 = 150%", "E782"),
        ("param 达成线 = -5%", "E782"),
        ("param 达成线 = 95%; param 达成线 = 96%", "E783"),
        ("param 达成线: number = 0.95", "E784"),
    ],
)
def test_each_mistake_has_its_code(line: str, code: str) -> None:
    assert code in codes(PACK.replace("param 达成线 = 95%", line))


def test_an_unknown_name_suggests_the_nearest_parameter() -> None:
    diags = diagnostics_of(PACK.replace("param 达成线 = 95%", "param 达成率 = 95%"))
    e780 = next(d for d in diags if d.code == "E780")
    assert "`达成线`" in (e780.help or "")


def test_an_override_nothing_reads_is_a_warning() -> None:
    text = PACK.replace("    执行率计分(乙执行率)", "    proportional 乙执行率")
    assert "W780" in codes(text)
    assert "W780" not in codes(PACK)


def test_an_override_read_only_through_a_derived_fact_warns_that_it_changes_nothing() -> None:
    text = PACK.replace(
        "    执行率计分(乙执行率)", "    full when 乙达成 else proportional 乙执行率"
    ).replace(
        "param 达成线: percent = 90%",
        "param 达成线: percent = 90%\nlet 乙达成 = 乙执行率 >= 达成线",
    )
    assert "W781" in codes(text)
    # and the derived fact keeps the pack's 90%: 92% ≥ 90% scores full, as the warning says
    assert score(compile_text(text), BOTH_92).points["B1"] == "50.00"


def test_an_override_through_an_imported_template(tmp_path: Path) -> None:
    (tmp_path / "tpl.jx").write_text(
        "param 达成线: percent = 90%\n"
        "function 执行率计分(率: percent) {\n    full when 率 >= 达成线 else proportional 率\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "p.jx").write_text(
        HEAD
        + 'import "tpl.jx"\nfact 甲执行率: percent\nfact 乙执行率: percent\n'
        + 'indicator A1 "甲" 50 { 执行率计分(甲执行率) }\n'
        + 'indicator B1 "乙" 50 { param 达成线 = 95%; 执行率计分(乙执行率) }\n',
        encoding="utf-8",
    )
    (tmp_path / "e.yaml").write_text(BOTH_92, encoding="utf-8")
    code, out, err = cli(
        "eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"), "--format", "json"
    )
    assert code == 0, err
    points = {i["code"]: i["score"] for i in json.loads(out)["indicators"]}
    assert points == {"A1": "50.00", "B1": "46.00"}


def test_check_counts_the_authors_facts_not_the_indicators_own_values(tmp_path: Path) -> None:
    (tmp_path / "p.jx").write_text(PACK, encoding="utf-8")
    code, out, err = cli("check", str(tmp_path / "p.jx"))
    assert code == 0, err
    assert "2 indicators (2 scored leaves), 3 facts," in out  # 甲执行率, 乙执行率, 达成线


def test_a_param_line_inside_a_function_says_where_it_belongs() -> None:
    text = PACK.replace(
        "function 执行率计分(率: percent) {",
        "function 执行率计分(率: percent) {\n    param 达成线 = 95%",
    )
    diags = diagnostics_of(text)
    assert [d.code for d in diags] == ["E102"]
    assert "inside an indicator (`param 达成线 = 95%`)" in (diags[0].help or "")


def test_bonus_sections_and_vetoes_keep_the_packs_value() -> None:
    text = PACK + 'bonus E1 "加分" max 5 { add 1 when 乙执行率 >= 达成线 }\n'
    text = text.replace("total 100\n", "total 100\n    overflow allow\n")
    scored = score(compile_text(text), BOTH_92)
    assert scored.points["B1"] == "46.00"  # B1's own 95%
    assert scored.result.total is not None
    assert str(scored.result.total) in ("97", "97.00")  # 50 + 46 + the bonus at the pack's 90%


def test_evidence_setting_the_packs_value_warns_which_indicators_keep_their_own(
    tmp_path: Path,
) -> None:
    (tmp_path / "p.jx").write_text(PACK, encoding="utf-8")
    (tmp_path / "e.yaml").write_text(BOTH_92 + "params:\n  达成线: 93%\n", encoding="utf-8")
    code, _, err = cli("eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"))
    assert code == 0
    assert "warning[W782]" in err and "`达成线@B1: …`" in err
    named = BOTH_92 + "params:\n  达成线: 93%\n  达成线@B1: 93%\n"
    (tmp_path / "e.yaml").write_text(named, encoding="utf-8")
    code, _, err = cli("eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"))
    assert code == 0 and "W782" not in err  # the evidence named B1's own value: nothing kept


@settings(max_examples=60, deadline=None)
@given(
    pack_value=st.integers(0, 10000),
    own_value=st.integers(0, 10000),
    rate=st.integers(0, 10000),
)
def test_each_indicator_scores_at_its_own_threshold(
    pack_value: int, own_value: int, rate: int
) -> None:
    """Whatever the pack's and B1's thresholds, A1 scores at the pack's and B1 at its own:
    full at or above it, else 50 × rate (the shared function's rule)."""

    def pct(n: int) -> str:
        return f"{Decimal(n) / 100}%"

    def expected(threshold: int) -> str:
        if rate >= threshold:
            return "50.00"
        return f"{(Decimal(50) * rate / 10000).quantize(Decimal('0.01'), ROUND_HALF_UP)}"

    evidence = (
        f"facts:\n  甲执行率: {pct(rate)}\n  乙执行率: {pct(rate)}\n"
        f"params:\n  达成线: {pct(pack_value)}\n  达成线@B1: {pct(own_value)}\n"
    )
    scored = score(_PLAN, evidence)
    assert scored.points == {"A1": expected(pack_value), "B1": expected(own_value)}


_PLAN = compile_text(PACK)


def test_a_bare_number_against_a_percent_is_told_at_the_indicators_own_value() -> None:
    text = (
        HEAD
        + "fact 率: percent\nparam 线: number = 0.9\n"
        + 'indicator A1 "甲" 50 { full when 率 >= 线 }\n'
        + 'indicator B1 "乙" 50 { param 线 = 95; full when 率 >= 线 }\n'
    )
    diags = diagnostics_of(text)
    assert [d.code for d in diags] == ["E311"]
    assert diags[0].labels[0].span.text == "95"


def test_the_shipped_templates_level_bands_follow_an_indicators_own_threshold(
    tmp_path: Path,
) -> None:
    (tmp_path / "p.jx").write_text(
        HEAD
        + 'import "templates/scoring.jx"\n'
        + 'fact 甲档次: choice ["达成", "部分达成", "未达成"]\nfact 甲得分: percent\n'
        + 'fact 乙档次: choice ["达成", "部分达成", "未达成"]\nfact 乙得分: percent\n'
        + 'indicator A1 "甲" 50 { 定性(甲档次, 甲得分) }\n'
        + 'indicator B1 "乙" 50 { param 达成下限 = 90%; 定性(乙档次, 乙得分) }\n',
        encoding="utf-8",
    )
    evidence = "facts:\n  甲档次: 达成\n  甲得分: 85%\n  乙档次: 达成\n  乙得分: {}\n"
    (tmp_path / "e.yaml").write_text(evidence.format("85%"), encoding="utf-8")
    code, out, err = cli("eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"))
    assert code == 1 and "E612" in err and "[45, 50]" in err  # B1's 达成 starts at 90%
    (tmp_path / "e.yaml").write_text(evidence.format("92%"), encoding="utf-8")
    code, out, err = cli(
        "eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"), "--format", "json"
    )
    assert code == 0, err
    points = {i["code"]: i["score"] for i in json.loads(out)["indicators"]}
    assert points == {"A1": "42.50", "B1": "46.00"}


@pytest.mark.parametrize("fmt", ["table", "markdown", "html", "json"])
def test_no_report_text_shows_the_checkers_name(tmp_path: Path, fmt: str) -> None:
    """Texts built from the checked clauses (a checklist item without a reason, the prose of a
    lost point) name the parameter as the author wrote it."""
    (tmp_path / "p.jx").write_text(
        HEAD
        + "fact 率: percent\nparam 线: percent = 90%\n"
        + "function f(x: percent) { checklist { 50%: x >= 线; 50%: x >= 50% } }\n"
        + 'indicator A1 "甲" 50 { f(率) }\nindicator B1 "乙" 50 { param 线 = 95%; f(率) }\n',
        encoding="utf-8",
    )
    (tmp_path / "e.yaml").write_text("facts:\n  率: 92%\n", encoding="utf-8")
    code, out, err = cli("eval", str(tmp_path / "p.jx"), str(tmp_path / "e.yaml"), "--format", fmt)
    assert code == 0, err
    assert "线 = 95.00%" in out or "95.00%" in out
    assert "线@" not in out + err


_FIXTURE = Path(__file__).resolve().parent / "forms" / "params" / "indicator-own"
_WORD = re.compile(r'"[^"\n]*"|\d+(?:\.\d+)?%?|[\w.]+|\S')


@st.composite
def mutated_overrides(draw: st.DrawFn) -> str:
    """The fixture with a few tokens replaced, dropped or repeated, `param` lines among them:
    near-misses of the override syntax that reach the checker and the reports."""
    text = (_FIXTURE / "pack.jx").read_text(encoding="utf-8")
    pool = [*_WORD.findall(text), "param", "达成线 = 95%", "@", "达成线@B1", "150%", "-1", ":"]
    for _ in range(draw(st.integers(1, 3))):
        spans = [m.span() for m in _WORD.finditer(text)]
        start, end = spans[draw(st.integers(0, len(spans) - 1))]
        op = draw(st.sampled_from(["replace", "drop", "insert"]))
        word = draw(st.sampled_from(pool))
        if op == "replace":
            text = text[:start] + word + text[end:]
        elif op == "drop":
            text = text[:start] + text[end:]
        else:
            text = text[:end] + " " + word + text[end:]
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_overrides())
def test_every_command_is_total_on_mutated_overrides(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pack = Path(folder) / "p.jx"
        pack.write_text(text, encoding="utf-8")
        evidence = str(_FIXTURE / "evidence-params.yaml")
        for args in (
            ["check", str(pack)],
            ["fmt", "--check", str(pack)],
            ["eval", str(pack), evidence, "--format", "json"],
        ):
            code, out, err = cli(*args)
            assert code in (0, 1), (args, err)
            assert "internal error" not in err and "Traceback" not in err + out
            if args[0] == "eval" and code == 0:
                assert "达成线@" not in json.dumps(
                    json.loads(out)["indicators"], ensure_ascii=False
                )
