"""Every dispatcher over a union of rule forms handles every class of the union, at run time.

mypy rejects a `match` that forgets a class (each ends in `assert_never`); these tests say the
same when the code runs: each dispatcher that returns something per rule class is called on one
instance of every class of its union (taken from the form fixtures under `tests/forms/`, which
`tests/forms/FORMS.yaml` maps to classes) and must give that class's own answer, not a default.
A deleted case fails here even where a type is loosened to `Any`.
"""

from __future__ import annotations

import typing
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from jixiao.dsl import ast, record
from jixiao.dsl.parser import parse
from jixiao.dsl.source import Source
from jixiao.engine import compile_pack
from jixiao.engine.check.check_rules import RuleChecker
from jixiao.engine.common.ir import Indicator
from jixiao.engine.forms import best_of as _best_of
from jixiao.engine.forms import reads_of, rule_exprs
from jixiao.engine.plan.analysis import _deduction_drivers
from jixiao.engine.tools.packtest import coverage_items

FORMS = Path(__file__).resolve().parent / "forms"
MAP: dict[str, list[str]] = yaml.safe_load((FORMS / "FORMS.yaml").read_text(encoding="utf-8"))
WEIGHT = Decimal(10)


def classes(union: Any) -> list[type]:
    return list(typing.get_args(union))


def ids(union: Any) -> list[str]:
    return [cls.__name__ for cls in classes(union)]


@cache
def parsed(folder: str) -> ast.Pack:
    path = FORMS / folder / "pack.jx"
    return parse(Source(path.name, path.read_text(encoding="utf-8")))


def nodes(tree: object) -> list[object]:
    """Every syntax node of a tree, parents before children, in source order."""
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(reversed(node))
        elif isinstance(node, record.Record) and type(node).__module__ == ast.__name__:
            out.append(node)
            stack.extend(reversed([getattr(node, f) for f in record.fields(node) if f != "span"]))
    return out


def instance(cls: type) -> Any:
    """The first node of class `cls` in the fixtures FORMS.yaml names for it."""
    for folder in MAP[cls.__name__]:
        for node in nodes(parsed(folder)):
            if type(node) is cls:
                return node
    raise AssertionError(f"no fixture named for {cls.__name__} uses it")  # pragma: no cover


# ----- walk: the expressions a rule evaluates, the facts it reads --------------------------------

#: Clauses that evaluate no expression: a policy word, constant awards.
NO_EXPRESSIONS = {"NaPolicy", "Full", "Points", "Share"}


@pytest.mark.parametrize("cls", classes(ast.Clause), ids=ids(ast.Clause))
def test_rule_exprs_knows_every_clause(cls: type) -> None:
    node = instance(cls)
    exprs = list(rule_exprs(node))
    if cls.__name__ in NO_EXPRESSIONS:
        assert exprs == []
        return
    assert exprs, f"{cls.__name__}: no expression found"
    # every expression found is the clause's own (a span inside the clause's)
    for expr in exprs:
        assert node.span.start <= expr.span.start and expr.span.end <= node.span.end


@pytest.mark.parametrize("cls", classes(ast.Clause), ids=ids(ast.Clause))
def test_the_facts_a_clause_reads_are_every_name_in_it(cls: type) -> None:
    """`reads_of` against a walk of every field: a form missing from `rule_exprs` reads nothing,
    and its facts get a false W201 (declared but no rule reads it) — the reverse rule did."""
    node = instance(cls)
    names = {n.name for n in nodes(node) if isinstance(n, ast.Name)}
    assert set(reads_of((node,))) == names
    if cls is ast.Reverse:
        assert reads_of((node,)) == ("成本",)


# ----- check_rules: every form's expressions are checked -----------------------------------------


class Recorder(RuleChecker):
    """A rule checker whose kind inference records what it was asked about."""

    def __init__(self) -> None:
        self.diags = []
        self.let_nodes = {}
        self.expr_kinds = {}
        self.param_defaults = {}
        self.folded = {}
        self.asked: list[ast.Expr] = []

    def infer(self, expr: ast.Expr) -> None:
        self.asked.append(expr)

    def expect_bool(self, expr: ast.Expr, what: str) -> None:
        self.asked.append(expr)


#: Clauses whose kinds are checked elsewhere or need no inference: a policy (the tree check),
#: a call (expanded before), constant awards (compared with the weight, no expression).
NOT_INFERRED = {"NaPolicy", "CallRule", "Full", "Points", "Share"}


@pytest.mark.parametrize("cls", classes(ast.Clause), ids=ids(ast.Clause))
def test_check_rule_checks_every_clause(cls: type) -> None:
    checker = Recorder()
    checker.check_rule(instance(cls), "X", WEIGHT)
    if cls.__name__ in NOT_INFERRED:
        assert checker.asked == []
    else:
        assert checker.asked, f"{cls.__name__}: no expression of it was checked"


# ----- analysis: the best a base rule can award, what drives a deduction -------------------------


@pytest.mark.parametrize("cls", classes(ast.Base | ast.Award), ids=ids(ast.Base | ast.Award))
def test_best_points_of_every_base_rule_and_award(cls: type) -> None:
    node = instance(cls)
    best = _best_of(node, WEIGHT)
    match node:
        case ast.LevelRange() | ast.AwardExpr():
            assert best is None  # a score, a formula: known with the evidence only
        case ast.FullWhen() | ast.Proportional() | ast.Reverse() | ast.Forward() | ast.Equal():
            assert best == WEIGHT
        case ast.Full():
            assert best == WEIGHT
        case ast.Points(value):
            assert best == value
        case ast.Share(value):
            assert best == WEIGHT * value
        case _:  # tiers, levels, checklist, choose: the most their constant awards give
            assert best is not None and 0 < best <= WEIGHT * 100


@pytest.mark.parametrize("cls", classes(ast.Deduction), ids=ids(ast.Deduction))
def test_deduction_drivers(cls: type) -> None:
    drivers = list(_deduction_drivers(instance(cls)))
    if cls is ast.DeductJudged:
        assert drivers == []  # an assessor's judgement, not a count of events
    else:
        assert drivers, f"{cls.__name__}: drives no deduction"


# ----- packtest: the coverage items of every rule form -------------------------------------------

#: Rules that leave no case to cover: a call is expanded into its rules by the checker, and a
#: not-applicable policy is taken out of them.
NOT_COVERED = {"CallRule", "NaPolicy"}


def checked_indicators(folder: str) -> list[Indicator]:
    plan, _ = compile_pack(FORMS / folder / "pack.jx")
    return list(plan.program.indicators)


@pytest.mark.parametrize("cls", classes(ast.Rule), ids=ids(ast.Rule))
def test_coverage_items_of_every_rule(cls: type) -> None:
    if cls.__name__ in NOT_COVERED:
        pytest.skip("not a rule of a checked indicator")
    for folder in MAP[cls.__name__]:
        for ind in checked_indicators(folder):
            found = [n for n in nodes(ind.rules) if type(n) is cls]
            if not found:
                continue
            rule = found[0]
            starts = {item.key[1] for item in coverage_items(ind)}
            assert any(rule.span.start <= s < rule.span.end for s in starts), (
                f"{cls.__name__}: no coverage item inside `{rule.span.text}`"
            )
            return
    raise AssertionError(f"no checked indicator uses {cls.__name__}")  # pragma: no cover


def test_the_isinstance_tuples_are_the_unions() -> None:
    """`BASE_RULES` and `DEDUCTIONS` are read off the unions, not kept by hand beside them."""
    assert ast.BASE_RULES == typing.get_args(ast.Base)
    assert ast.DEDUCTIONS == typing.get_args(ast.Deduction)
