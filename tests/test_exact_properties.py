"""Properties: every discrete decision is taken on the exact value, whatever 28 digits say.

- Derived values built from ratios so that they land exactly on a band bound (p/q · a% +
  r/s · b% = the bound, by construction), or a ten-thousandth to either side of it: every
  comparison form decides as `Fraction` arithmetic does, and the one-leaf pack scores what a
  small exact reference scorer gives.
- Step counts whose quotient lands on a whole number through quotients that do not terminate:
  `whole` and `started` count what `floor` and `ceil` of the exact quotient give.
- Every decision forced through the exact path scores generated packs as the fast path does.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.dsl.source import Source
from jixiao.engine import compile_source
from jixiao.engine.plan.exact import round_exact
from jixiao.engine.runtime.evaluator import evaluate
from jixiao.engine.tools.strategies import evidence_of, facts_for, pack_texts

from .helpers import compile_text, score

SLOW = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
HALF_UP = "ROUND_HALF_UP"

#: denominators whose quotients do not terminate (and two that do)
DENOMINATORS = st.sampled_from([3, 6, 7, 9, 11, 12, 13, 17, 21, 23, 27, 49, 8, 25])

OPS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def percent(value: Fraction) -> str:
    """A ten-thousandth-exact fraction as a percent literal (3/5 → `60%`)."""
    text = format(Decimal(value.numerator * 100) / Decimal(value.denominator), "f")
    return text + "%"


@st.composite
def on_a_bound(draw: st.DrawFn) -> tuple[dict[str, int], str, Fraction, Fraction]:
    """(evidence counts, the derived fact's formula, its exact value, a bound): the value is
    p/q · a% + r/s · b%, and the bound is that value exactly, or a ten-thousandth off."""
    q = draw(DENOMINATORS)
    p = draw(st.integers(0, q))
    a, b = draw(st.integers(1, 99)), draw(st.integers(1, 99))
    xa = Fraction(p, q) * Fraction(a, 100)
    k = draw(st.integers(math.ceil(xa * 10000), math.floor((xa + Fraction(b, 100)) * 10000)))
    bound = Fraction(k, 10000)
    y = (bound - xa) / Fraction(b, 100)  # in [0, 1]: r/s, spread by a common factor
    m = draw(st.integers(1, 4))
    facts = {"甲": p, "乙": q, "丙": y.numerator * m, "丁": y.denominator * m}
    value = Fraction(p, q) * Fraction(a, 100) + y * Fraction(b, 100)
    assert value == bound
    off = draw(st.sampled_from([0, 0, 0, 1, -1]))
    if k + off >= 0:
        bound += Fraction(off, 10000)
    return facts, f"甲 / 乙 * {a}% + 丙 / 丁 * {b}%", value, bound


def leaf_pack(formula: str, rule: str, extra: str = "") -> str:
    return (
        'pack "t" { total 10 rounding 2 half_up grades { 优 >= 9; 差 else } }\n'
        "fact 甲: count\nfact 乙: count nonzero\nfact 丙: count\nfact 丁: count nonzero\n"
        f"let 率: percent = {formula}\n"
        f'indicator A "a" 10 {{\n    {rule}\n}}\n{extra}'
    )


def yaml_of(facts: dict[str, int]) -> str:
    return "facts: {" + ", ".join(f"{k}: {v}" for k, v in facts.items()) + "}"


@SLOW
@given(on_a_bound(), st.sampled_from(sorted(OPS)), st.data())
def test_comparisons_on_a_bound_decide_as_exact_arithmetic(
    case: tuple[dict[str, int], str, Fraction, Fraction], op: str, data: st.DataObject
) -> None:
    facts, formula, value, bound = case
    met = OPS[op](value, bound)
    b = percent(bound)
    forms = {  # rule → (points when met, points when not)
        f"full when 率 {op} {b} else 3": ("10.00", "3.00"),
        f'deduct 4 when 率 {op} {b} "扣"': ("6.00", "10.00"),
        f'checklist {{ base 20%; 80%: 率 {op} {b} "达" }}': ("10.00", "2.00"),
        f"choose {{ when 率 {op} {b}: full; else: 3 }}": ("10.00", "3.00"),
        f"full when (if 率 {op} {b} then 1 else 0) == 1 else 3": ("10.00", "3.00"),
    }
    if op not in ("==", "!="):
        forms[f"tiers 率 {{ {op} {b}: full; else: 3 }}"] = ("10.00", "3.00")
    rule = data.draw(st.sampled_from(sorted(forms)))
    scored = score(compile_text(leaf_pack(formula, rule)), yaml_of(facts))
    assert scored.points["A"] == forms[rule][0 if met else 1], (value, bound)
    # a veto on the same condition fires exactly when the condition holds
    vetoed = score(
        compile_text(
            leaf_pack(formula, "full when 甲 >= 0", f'veto when 率 {op} {b} grade 差 "否"')
        ),
        yaml_of(facts),
    )
    assert vetoed.result.vetoes[0].fired == met
    assert vetoed.result.grade == ("差" if met else "优")


def reference(form: str, value: Fraction, bound: Fraction) -> Decimal:
    """A small exact scorer for the one-leaf packs below (weight 10, 2 places, half up)."""
    weight = Fraction(10)
    if form == "tiers":
        points = weight if value >= bound else (Fraction(4) if value >= bound / 2 else Fraction(0))
    elif form == "full_else_proportional":
        points = weight if value >= bound else weight * value / bound
    elif form == "forward":
        points = weight if value >= bound else weight * max(value, Fraction(0)) / bound
    elif form == "reverse":
        points = weight if value <= bound else weight * bound / value
    elif form == "reverse_linear":
        if value <= bound:
            points = weight
        else:
            points = Fraction(0) if value >= 2 * bound else (1 - (value - bound) / bound) * weight
    elif form == "levels":
        points = value * 10  # the evaluator's score, inside [bound × 10, 10]
    else:  # "proportional_capped"
        points = weight * min(Fraction(1), value / bound)
    return round_exact(min(max(points, Fraction(0)), weight), 2, HALF_UP)


RULES = {
    "tiers": "tiers 率 { >= {b}: full; >= {h}: 4; else: 0 }",
    "full_else_proportional": "full when 率 >= {b} else proportional 率 / {b}",
    "forward": "forward 率 target {b}",
    "reverse": "reverse 率 target {b}",
    "reverse_linear": "reverse 率 target {b} linear",
    "levels": 'levels (if 率 >= {b} then "达成" else "未达成") score 率 * 10 '
    '{{ "达成": [{b10}, 10]; "未达成": [0, {b10}) }}',
    "proportional_capped": "proportional min(100%, 率 / {b})",
}


@SLOW
@given(on_a_bound(), st.sampled_from(sorted(RULES)))
def test_one_leaf_packs_score_as_an_exact_reference_scorer(
    case: tuple[dict[str, int], str, Fraction, Fraction], form: str
) -> None:
    facts, formula, value, bound = case
    if bound == 0 or bound > 1:
        return  # a zero target never divides in these forms; the ranges stop at 100 %
    b10 = format(Decimal(bound.numerator * 10) / Decimal(bound.denominator), "f")
    rule = (
        RULES[form]
        .replace("{b}", percent(bound))
        .replace("{h}", percent(bound / 2))
        .replace("{b10}", b10)
        .replace("{{", "{")
        .replace("}}", "}")
    )
    scored = score(compile_text(leaf_pack(formula, rule)), yaml_of(facts))
    leaf = scored.result.indicators[0]
    assert leaf.points == reference(form, value, bound), (rule, value)
    assert sum((line.points for line in leaf.lines), Decimal(0)) == leaf.points


STEP_PACK = (
    'pack "t" {{ total 100 rounding 2 half_up }}\n'
    "fact 甲: count\nfact 乙: count nonzero\nfact 丙: count nonzero\nfact 丁: count nonzero\n"
    "let 完成率: percent = 甲 / 乙\nlet 步长: percent = 丙 / 丁\n"
    'indicator A "a" 100 {{ deduct 1 per 步长 of 100% - 完成率 {mode} "每差一步扣1分" }}\n'
)


@SLOW
@given(
    DENOMINATORS,
    st.data(),
    st.sampled_from(["whole", "started", "continuous"]),
    st.booleans(),
)
def test_step_counts_decide_as_exact_arithmetic(
    q: int, data: st.DataObject, mode: str, on_a_whole_number: bool
) -> None:
    p = data.draw(st.integers(0, q - 1))
    shortfall = 1 - Fraction(p, q)
    if on_a_whole_number:  # the step divides the shortfall: n steps exactly
        step = shortfall / data.draw(st.integers(1, 40))
    else:
        step = Fraction(data.draw(st.integers(1, 30)), data.draw(DENOMINATORS))
    m = data.draw(st.integers(1, 3))
    facts = {"甲": p, "乙": q, "丙": step.numerator * m, "丁": step.denominator * m}
    ratio = shortfall / step
    steps = {"whole": Fraction(math.floor(ratio)), "started": Fraction(math.ceil(ratio))}.get(
        mode, ratio
    )
    expected = round_exact(max(Fraction(0), 100 - steps), 2, HALF_UP)
    scored = score(compile_text(STEP_PACK.format(mode=mode)), yaml_of(facts))
    leaf = scored.result.indicators[0]
    assert leaf.points == expected, (facts, mode)
    if mode != "continuous" and steps:
        assert leaf.lines[1].points == -steps  # the line counts the exact number of steps


@SLOW
@given(st.data())
def test_every_decision_forced_through_the_exact_path_scores_as_the_fast_path(
    data: st.DataObject,
) -> None:
    """Every decision checked, and treated as within a hair of its bound and rounded on the
    way: every leaf, branch, veto and section that decides anything goes through the exact
    path. On generated packs (whose facts rarely land on a bound) it must score as the fast
    path does and reconcile."""
    import contextlib
    import sys

    from jixiao.engine import forms
    from jixiao.engine.plan import compile_expr, scorer
    from jixiao.engine.plan.compile_expr import ExprCompiler

    text = data.draw(pack_texts())
    plan, _ = compile_source(Source("generated.jx", text))
    facts = data.draw(facts_for(plan))
    plain = evaluate(plan, evidence_of(plan, facts))
    infinite = (Decimal("-Infinity"), Decimal("Infinity"))
    # every module that took `close` or `rounded_so_far` by name: the scorer and each form
    deciders = [
        compile_expr,
        scorer,
        *(m for n, m in sys.modules.items() if n.startswith(forms.__name__ + ".")),
    ]
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            mock.patch.object(ExprCompiler, "rounds", lambda self, *exprs: not self.exact)
        )
        stack.enter_context(
            mock.patch.object(ExprCompiler, "confirm", lambda self, *args: lambda env: True)
        )
        stack.enter_context(mock.patch.object(compile_expr, "window", lambda bound: infinite))
        for module in deciders:
            if hasattr(module, "close"):
                stack.enter_context(mock.patch.object(module, "close", lambda a, b: True))
            if hasattr(module, "rounded_so_far") and module is not compile_expr:
                stack.enter_context(mock.patch.object(module, "rounded_so_far", lambda: True))
        forced_plan, _ = compile_source(Source("generated.jx", text))
        forced = evaluate(forced_plan, evidence_of(forced_plan, facts))
    assert forced.total == plain.total
    assert forced.grade == plain.grade
    assert [d.code for d in forced.diagnostics] == [d.code for d in plain.diagnostics]
    for a, b in zip(plain.indicators, forced.indicators, strict=True):
        assert a.points == b.points, a.code
        if b.lines:
            assert sum((line.points for line in b.lines), Decimal(0)) == b.points, b.code
    if forced.total is not None and forced.tree_total is not None:
        lines = sum((line.points for line in forced.total_lines), Decimal(0))
        assert forced.tree_total + lines == forced.total
