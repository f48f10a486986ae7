"""(plan, evidence) → Result: the points ledger of every indicator.

Derived facts are computed in the plan's order; a failure (a missing fact, a division by zero)
becomes a `Broken` value, not an exception, and only turns into an error for the indicators
that actually read it. Each leaf runs its compiled rules, then the engine's own steps, each its
own ledger line: floor at 0 (扣完为止), cap at the weight, `zero when`, rounding. Parents are exact
sums of their children; the total is the sum of the top level; the grade comes from the pack.

All arithmetic runs in one explicit decimal context (28 significant digits, half-even inside a
computation); the only rounding that shapes a score is the pack's, applied once per leaf.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from decimal import Decimal

from jixiao.dsl.diagnostics import Diagnostic, Label

from . import messages as msg
from .compiler import Broken, Env, Faulted, Leaf, Missing, Origins, Plan
from .evidence import Evidence
from .ir import Settings
from .result import (
    DerivedResult,
    FactUse,
    Failure,
    IndicatorResult,
    Line,
    LineKind,
    Provenance,
    Result,
)

CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
ZERO = Decimal(0)


def evaluate(plan: Plan, evidence: Evidence) -> Result:
    with decimal.localcontext(CONTEXT):
        return _evaluate(plan, evidence)


def _environment(plan: Plan, evidence: Evidence) -> tuple[Env, Origins]:
    env: Env = {}
    origins: Origins = dict(evidence.origins)
    for name, fact in plan.program.facts.items():
        if name in evidence.values:
            env[name] = evidence.values[name]
        elif fact.default is not None:
            env[name] = fact.default
            origins[name] = Provenance(None, is_default=True)
        else:
            env[name] = Missing(name, fact.span)
    return env, origins


def _evaluate(plan: Plan, evidence: Evidence) -> Result:
    program = plan.program
    settings = program.settings
    env, origins = _environment(plan, evidence)
    derived_results = []
    for name, fn in plan.derived:
        try:
            env[name] = fn(env)
        except Faulted as exc:
            env[name] = Broken(exc.failure)
        except (decimal.InvalidOperation, decimal.Overflow) as exc:
            d = program.derived[name]
            env[name] = Broken(Failure("E609", None, d.expr.span, type(exc).__name__))
        d = program.derived[name]
        value = env[name]
        reads = tuple(
            FactUse(r, _kind(plan, r), env[r], None if r in program.derived else origins.get(r))
            for r in d.reads
            if not isinstance(env[r], (Missing, Broken))
        )
        derived_results.append(
            DerivedResult(
                name, d.kind, None if isinstance(value, Broken) else value, d.expr, reads, d.span
            )
        )

    points: dict[str, Decimal | None] = {}
    results: dict[str, IndicatorResult] = {}
    # Children come after their parent in tree order; score bottom-up by walking it reversed.
    for ind in reversed(program.indicators):
        if ind.is_leaf:
            res = _score_leaf(plan.leaves[ind.code], env, origins, settings)
        else:
            child_points = [points[c] for c in ind.children]
            total = (
                None
                if any(p is None for p in child_points)
                else sum((p for p in child_points if p is not None), ZERO)
            )
            res = IndicatorResult(
                ind.code, ind.name, ind.parent, ind.depth, ind.weight, total, (), False, ind.span
            )
        points[ind.code] = res.points
        results[ind.code] = res
    ordered = tuple(results[ind.code] for ind in program.indicators)

    root_points = [points[r] for r in program.roots]
    total = (
        None
        if any(p is None for p in root_points)
        else sum((p for p in root_points if p is not None), ZERO)
    )
    grade = _grade(settings, total) if total is not None else None
    diagnostics = _failures(plan, ordered, env, evidence)
    return Result(
        settings,
        program.source.path,
        evidence.source.path,
        total,
        grade,
        ordered,
        tuple(derived_results),
        {n: f.unit for n, f in program.facts.items()},
        tuple(diagnostics),
    )


def _kind(plan: Plan, name: str):  # type: ignore[no-untyped-def]
    fact = plan.program.facts.get(name)
    return fact.kind if fact else plan.program.derived[name].kind


def _score_leaf(leaf: Leaf, env: Env, origins: Origins, settings: Settings) -> IndicatorResult:
    ind = leaf.indicator
    weight = ind.weight
    lines: list[Line] = []
    try:
        if leaf.base is not None:
            leaf.base(env, origins, lines)
        else:
            lines.append(Line(LineKind.BASE, weight, ind.span, args=(weight,)))
        for deduct in leaf.deductions:
            deduct(env, origins, lines)
        current = sum((line.points for line in lines), ZERO)
        if current < 0:
            lines.append(Line(LineKind.FLOOR, -current, ind.span))
            current = ZERO
        elif current > weight:
            lines.append(Line(LineKind.CAP, weight - current, ind.span, args=(weight,)))
            current = weight
        for zero in leaf.zeros:
            before = len(lines)
            zero(env, origins, lines)
            if len(lines) > before and current:
                fired = lines[-1]
                lines[-1] = Line(fired.kind, -current, fired.span, fired.reason, fired.facts)
                current = ZERO
        for warn in leaf.warnings:
            warn(env, origins, lines)
    except Faulted as exc:
        return IndicatorResult(
            ind.code,
            ind.name,
            ind.parent,
            ind.depth,
            weight,
            None,
            (),
            True,
            ind.span,
            (exc.failure,),
        )
    rounded = current.quantize(Decimal(1).scaleb(-settings.places), rounding=settings.rounding)
    if rounded != current:
        lines.append(
            Line(
                LineKind.ROUND,
                rounded - current,
                ind.span,
                args=(current, Decimal(settings.places)),
            )
        )
    # INVARIANT: the ledger reconciles — its lines add up to the points, exactly.
    assert sum((line.points for line in lines), ZERO) == rounded
    return IndicatorResult(
        ind.code, ind.name, ind.parent, ind.depth, weight, rounded, tuple(lines), True, ind.span
    )


def _grade(settings: Settings, total: Decimal) -> str:
    for band in settings.grades:
        if band.lower is None or total >= band.lower:
            return band.label
    return settings.grades[-1].label  # pragma: no cover - the checker requires an else band


def _failures(
    plan: Plan, results: tuple[IndicatorResult, ...], env: Env, evidence: Evidence
) -> list[Diagnostic]:
    """One diagnostic per cause, naming every indicator it stopped."""
    by_cause: dict[tuple[str, str | None, int], list[IndicatorResult]] = defaultdict(list)
    failure_of: dict[tuple[str, str | None, int], Failure] = {}
    for res in results:
        for failure in res.failures:
            key = (failure.code, failure.fact, -1 if failure.code == "E605" else failure.span.start)
            by_cause[key].append(res)
            failure_of.setdefault(key, failure)
    diags: list[Diagnostic] = []
    program = plan.program
    for key, stopped in by_cause.items():
        failure = failure_of[key]
        codes = [r.code for r in stopped]
        if failure.code == "E605" and failure.fact is not None:
            fact = program.facts[failure.fact]
            uses = [f.span for r in stopped for f in r.failures if f.fact == failure.fact]
            diags.append(
                msg.missing_fact(failure.fact, codes, uses, fact.span, evidence.source.path)
            )
        elif failure.code == "E606":
            labels = []
            if failure.fact is not None:
                origin = evidence.origins.get(failure.fact)
                if origin is not None and origin.span is not None:
                    labels.append(Label(origin.span, f"`{failure.fact}` is given here"))
            diags.append(
                msg.division_by_zero(failure.expr, failure.detail, failure.span, codes, labels)
            )
        elif failure.code == "E607":
            diags.append(msg.bad_level(failure.detail, codes, failure.span))
        elif failure.code == "E608":
            diags.append(msg.no_band(failure.detail, codes, failure.span))
        else:
            diags.append(msg.arithmetic_failure(failure.detail, codes, failure.span))
    return diags
