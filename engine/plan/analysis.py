"""Static analyses of a checked program: what jixiao can prove before any evidence arrives.

- Tier tables: the bands of a table over a numeric fact must cover the fact's domain exactly
  once. A gap (E420) or an overlap (E421) is shown as an interval with its open and closed
  ends; a band that an earlier one already covers can never decide (W405).
- Reach: a leaf whose best possible award stays below its weight can never score full marks
  (W403) — a tier table without `full`, a checklist whose shares add up to 90%.
- Division: a denominator that may be 0 (a count, a budget) with no guard on the way to the
  rule is a warning (W406); `nonzero` on the fact, or a `full when 故障总数 == 0 else …`
  around the use, proves it safe. At evaluation time a zero denominator is an error anyway.
- Double counting: one fact driving deductions in several indicators (W407), unless the fact
  is declared `shared`.

Constant bounds only: a band bounded by a parameter is not analysed (its value is known only
with the evidence).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic, Label
from jixiao.dsl.formatter import format_expr, number
from jixiao.dsl.source import Span

from ..common import messages as msg
from ..common.ir import Program
from ..common.types import Kind
from ..common.walk import names_in
from ..forms import BY_NODE, all_rules, best_of, form_of, rule_exprs
from ..forms.base import constant as _constant

# ----- the work limit --------------------------------------------------------------------------

#: The steps one analysis may take on one pack before it gives up with W412. Every analysis is
#: polynomial (each derived fact analysed once); the limit only guards against a pack built to
#: be large, so that `check` finishes in seconds whatever it is given.
ANALYSIS_STEPS = 100_000


class GaveUp(Exception):
    """An analysis ran out of its `ANALYSIS_STEPS`."""


class Budget:
    def __init__(self, analysis: str, steps: int = ANALYSIS_STEPS) -> None:
        self.analysis = analysis
        self.limit = steps
        self.left = steps

    def spend(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise GaveUp(self.analysis)

    def warning(self, program: Program) -> Diagnostic:
        span = _pack_span(program)
        return msg.analysis_gave_up(self.analysis, self.limit, span)


def _pack_span(program: Program) -> Span:
    from jixiao.dsl.source import Span as _Span

    return _Span(program.source, 0, 0)


# ----- the analyses ---------------------------------------------------------------------------


def analyse(program: Program) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for ind in program.indicators:
        for rule in all_rules(ind.rules):
            diags.extend(_lint(rule, program))
        if ind.is_leaf:
            best = _best(ind.rules, ind.weight)
            if best is not None and best < ind.weight:
                diags.append(msg.never_full(ind.code, best, ind.weight, ind.span))
    from .conditions import conditions

    diags.extend(_divisions(program))
    diags.extend(_double_counting(program))
    diags.extend(_formula_awards(program))
    diags.extend(conditions(program))
    return diags


def _lint(rule: ast.Clause, program: Program) -> list[Diagnostic]:
    """A rule's own static checks (its form's `lint`: a tier table's gaps and overlaps), each
    within a work budget it names; one that runs out ends with W412."""
    budgets: list[Budget] = []

    def budget(analysis: str) -> Budget:
        budgets.append(Budget(analysis))
        return budgets[-1]

    def kind_of(expr: ast.Expr) -> Kind | None:
        return expr.kind

    found: list[Diagnostic] = []
    try:
        for diagnostic in form_of(rule).lint(rule, kind_of, budget):
            found.append(diagnostic)  # one at a time: those found before giving up are kept
    except GaveUp:
        found.append(budgets[-1].warning(program))
    return found


def _best(rules: tuple[ast.Rule, ...], weight: Decimal) -> Decimal | None:
    """The most a leaf's base rule can award, when it is a constant; None when unknown."""
    base = [r for r in rules if isinstance(r, ast.BASE_RULES)]
    if not base:
        return weight
    return best_of(base[0], weight)


# ----- division -------------------------------------------------------------------------------


def _divisions(program: Program) -> list[Diagnostic]:
    """Denominators that may be 0, unguarded on the way to a rule.

    Each derived fact is analysed once (`memo`): a chain of lets that each read the one before
    twice (`let a2 = a1 * a1; let a3 = a2 * a2; …`) is linear work, not 2ⁿ. The whole
    analysis is also bounded by ANALYSIS_STEPS: past it, W412 says so and the rest is not
    analysed — `check` never hangs."""
    facts = program.facts
    memo: dict[str, frozenset[str]] = {}
    budget = Budget("division")

    def unsafe(expr: ast.Expr) -> set[str]:
        """Facts whose being 0 may make `expr` 0; empty when provably nonzero."""
        budget.spend()
        value = _constant(expr)
        if value is not None:
            return set() if value != 0 else {"0"}
        match expr:
            case ast.Name(name) if name in facts:
                return set() if facts[name].nonzero else {name}
            case ast.Name(name) if name in program.derived:
                if name not in memo:
                    memo[name] = frozenset({name})  # a cycle (E501 elsewhere) stays finite
                    memo[name] = frozenset(unsafe(program.derived[name].expr))
                return set(memo[name])
            case ast.Arith("+", left, right):
                # a sum of quantities that cannot be negative is 0 only if every part is
                lk, rk = left.kind, right.kind
                if lk in (Kind.COUNT, Kind.MONEY) and rk in (Kind.COUNT, Kind.MONEY):
                    a, b = unsafe(left), unsafe(right)
                    return a | b if a and b else set()
            case ast.Arith("*", left, right):
                return unsafe(left) | unsafe(right)
            case ast.Arith("/", left, _):
                # a quotient is 0 only with its dividend (its own divisor is checked apart)
                return unsafe(left)
            case ast.Neg(operand):
                return unsafe(operand)
        return {n.name for n in names_in(expr)} or {"?"}

    reported: dict[int, tuple[ast.Arith, set[str], list[str]]] = {}
    try:
        # each derived fact: the divisions inside it, with the facts that may zero them
        divisions: dict[str, list[tuple[ast.Arith, set[str]]]] = {}
        for name, d in program.derived.items():
            divisions[name] = [(node, unsafe(node.right)) for node in _arith(d.expr, "/")]
            divisions[name] = [(n, u) for n, u in divisions[name] if u]

        closure: dict[str, tuple[str, ...]] = {}

        def lets_below(name: str) -> tuple[str, ...]:
            """The derived facts `name` reads, directly or not, with itself (memoised: each
            let's closure is computed once, iteratively)."""
            if name in closure:
                return closure[name]
            seen: dict[str, None] = {}
            stack = [name]
            while stack:
                top = stack.pop()
                if top in seen:
                    continue
                seen[top] = None
                budget.spend()
                if top in closure:
                    seen.update(dict.fromkeys(closure[top]))
                    continue
                stack.extend(
                    n.name
                    for n in names_in(program.derived[top].expr)
                    if n.name in program.derived and n.name not in seen
                )
            closure[name] = tuple(seen)
            return closure[name]

        def visit(expr: ast.Expr, guard: set[str], code: str) -> None:
            for node in _arith(expr, "/"):
                risk = unsafe(node.right)
                if risk and not risk <= guard:
                    reported.setdefault(id(node), (node, risk - guard, []))[2].append(code)
            lets = dict.fromkeys(
                below
                for n in names_in(expr)
                if n.name in program.derived
                for below in lets_below(n.name)
            )
            for name in lets:
                for node, risk in divisions[name]:
                    budget.spend()
                    if risk and not risk <= guard:
                        reported.setdefault(id(node), (node, risk - guard, []))[2].append(code)

        for ind in program.indicators:
            for rule in ind.rules:
                _guarded(rule, set(), ind.code, visit)
    except GaveUp:
        return [budget.warning(program)]
    out = []
    for node, risk, codes in reported.values():
        out.append(
            msg.unguarded_division(
                format_expr(node.right), sorted(risk), sorted(set(codes)), node.span
            )
        )
    return out


def _guarded(rule: ast.Clause, guard: set[str], code: str, visit: Any) -> None:
    """Visit every expression of a rule with the names its enclosing conditions test. A form
    that nests rules (`full when <cond> else <rule>`, `choose` branches) yields the conditions
    guarding a nested rule before it (see `forms.base`): each nested base rule is visited with
    the names tested so far; a nested award is not (`_formula_awards` searches those)."""
    form = form_of(rule)
    if not form.nested(rule):
        for expr in form.exprs(rule, rule_exprs):
            visit(expr, guard, code)
        return
    tested: set[str] = set()

    def inner(nested: ast.Clause | None) -> Iterator[ast.Expr]:
        if isinstance(nested, ast.BASE_RULES):
            _guarded(nested, guard | tested, code, visit)
        return iter(())

    for expr in form.exprs(rule, inner):
        visit(expr, guard | tested, code)
        tested |= {n.name for n in names_in(expr)}


def _arith(expr: ast.Expr, op: str) -> Iterator[ast.Arith]:
    """Divisions in an expression, skipping those inside an `if` that tests their operands."""
    match expr:
        case ast.Arith(o, left, right):
            if o == op:
                yield expr
            yield from _arith(left, op)
            yield from _arith(right, op)
        case ast.Neg(operand) | ast.Not(operand):
            yield from _arith(operand, op)
        case ast.Compare(_, left, right) | ast.Logic(_, left, right):
            yield from _arith(left, op)
            yield from _arith(right, op)
        case ast.Call(_, args):
            for arg in args:
                yield from _arith(arg, op)
        case ast.If(cond, then, otherwise):
            tested = {n.name for n in names_in(cond)}
            for node in (*_arith(then, op), *_arith(otherwise, op)):
                if not {n.name for n in names_in(node.right)} <= tested:
                    yield node
        case (
            ast.Name()
            | ast.Number()
            | ast.Percent()
            | ast.String()
            | ast.Bool()
            | ast.Date()
            | ast.EmptyList()
            | ast.Aggregate()
            | ast.Field()
        ):
            return  # a leaf holds no arithmetic (an aggregate's is over each record)
        case _:
            ast.assert_never(expr)


# ----- double counting ------------------------------------------------------------------------


def _double_counting(program: Program) -> list[Diagnostic]:
    # fact → the indicators it drives deductions in (each once, at its first clause), in order
    drivers: dict[str, dict[str, Span]] = {}
    for ind in program.indicators:
        for rule in ind.rules:
            for name, span in _deduction_drivers(rule):
                drivers.setdefault(name, {}).setdefault(ind.code, span)
    out = []
    for name, uses in drivers.items():
        fact = program.facts.get(name)
        if fact is not None and fact.is_param:
            continue  # a threshold the pack sets (`param 偏差线`), not a finding to punish twice
        if len(uses) > 1 and (fact is None or not fact.shared):
            labels = [Label(span, f"deducts in `{code}`") for code, span in uses.items()]
            out.append(msg.double_counting(name, list(uses), labels))
    return out


def _deduction_drivers(rule: ast.Clause) -> Iterator[tuple[str, Span]]:
    """The facts whose count drives a deduction (a judged deduction has none: a judgement)."""
    if type(rule) not in BY_NODE:
        return
    for expr in form_of(rule).drivers(rule):
        for n in names_in(expr):
            yield n.name, rule.span


# ----- awards given by formulas ---------------------------------------------------------------


def _awards(rule: ast.Clause) -> Iterator[tuple[ast.AwardExpr, bool, ast.Expr | None]]:
    """Formula awards of a rule: each with whether it is a deduction, and the condition under
    which it applies (if the rule has one)."""
    if type(rule) in BY_NODE:
        yield from form_of(rule).awards(rule)


def _formula_awards(program: Program) -> list[Diagnostic]:
    """An award or deduction given by a formula: search a few values of what it reads for one
    that takes it past the weight or below 0 — a concrete counterexample, not a guess."""
    from .compile_expr import ExprCompiler

    compiler = ExprCompiler(program)
    kinds = compiler.kinds
    out: list[Diagnostic] = []
    budget = Budget("formula award")
    try:
        _search_awards(program, compiler, kinds, out, budget)
    except GaveUp:
        out.append(budget.warning(program))
    return out


def _search_awards(
    program: Program, compiler: Any, kinds: Any, out: list[Diagnostic], budget: Budget
) -> None:
    from .compile_expr import Faulted

    for ind in program.indicators:
        for rule in all_rules(ind.rules):
            for award, deduction, cond in _awards(rule):
                reads = [award.expr, *([cond] if cond is not None else [])]
                names = list(dict.fromkeys(n.name for e in reads for n in names_in(e)))[:3]
                if not names:
                    continue
                fn = compiler.points_of(award.expr, ind.weight)
                applies = compiler.expr(cond) if cond is not None else None
                trials = [
                    dict(zip(names, combo, strict=True))
                    for combo in itertools.product(*[_samples(kinds[n], ind.weight) for n in names])
                ]
                for env in trials:
                    budget.spend(len(award.span.text) // 8 + 1)  # ~ the formula's size
                    try:
                        if applies is not None and not applies(env):
                            continue
                        points = fn(env)
                    except (Faulted, ArithmeticError, TypeError):
                        continue
                    if not isinstance(points, Decimal):
                        break
                    problem = (
                        "negative"
                        if points < 0
                        else "above the weight"
                        if points > ind.weight and not deduction
                        else None
                    )
                    if problem is not None:
                        example = ", ".join(f"{k} = {_show(v, kinds[k])}" for k, v in env.items())
                        out.append(
                            msg.formula_award(
                                ind.code, award.span.text, problem, example, deduction, award.span
                            )
                        )
                        break


def _samples(kind: Kind, weight: Decimal) -> list[Any]:
    if kind is Kind.PERCENT:
        return [Decimal(0), Decimal("0.5"), Decimal(1), Decimal(2)]
    if kind in (Kind.COUNT, Kind.MONEY):
        return [Decimal(0), Decimal(1), weight + 1, weight * 100]
    if kind is Kind.NUMBER:
        return [Decimal(-1), Decimal(0), Decimal(1), weight + 1, weight * 100]
    if kind is Kind.BOOL:
        return [True, False]
    return []


def _show(value: Any, kind: Kind) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind is Kind.PERCENT and isinstance(value, Decimal):
        return number(value * 100) + "%"
    return number(value) if isinstance(value, Decimal) else str(value)
