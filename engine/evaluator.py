"""(plan, evidence) → Result: the points ledger of every indicator.

Derived facts are computed in the plan's order; a failure (a missing fact, a division by zero)
becomes a `Broken` value, not an exception, and only turns into an error for the indicators that
actually read it. Each indicator runs its compiled rules, then the engine's own steps, each its
own ledger line: floor at 0 (扣完为止), cap at the weight, `zero when`, rounding.

The order of the steps is fixed and documented:
1. derived facts; 2. `veto … zero` conditions; 3. leaves, bottom-up through the tree (a branch
with `of` scales its children's sum; a branch with rules deducts from it; a vetoed indicator
scores 0); 4. not-applicable exclusion (the total rescaled to the pack's total); 5. bonus and
penalty sections; 6. the overflow cap; 7. rounding of the total (when the pack rounds `on
total`); 8. the grade, then grade vetoes (`grade`, `cap`, `disqualify`) in declaration order.

All arithmetic runs in one explicit decimal context (28 significant digits, half-even inside a
computation); the only rounding that shapes a score is the pack's.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from decimal import Decimal

from jixiao.dsl.diagnostics import Diagnostic, Label
from jixiao.dsl.source import Span

from . import messages as msg
from .compile_expr import Broken, Env, Faulted, Missing, Origins
from .compiler import ExtraPlan, NodePlan, Plan, VetoPlan
from .evidence import Evidence
from .ir import Indicator, Settings
from .result import (
    DerivedResult,
    ExtraResult,
    FactUse,
    Failure,
    IndicatorResult,
    Line,
    LineKind,
    Provenance,
    Result,
    VetoResult,
)
from .types import Kind

CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
ZERO = Decimal(0)
_new = tuple.__new__


def evaluate(plan: Plan, evidence: Evidence, pins: dict[str, object] | None = None) -> Result:
    """Score one evidence record. `pins` fixes facts or derived facts to given values (derived
    ones are then not computed): `jixiao test --edges` and `verify` probe rules this way."""
    with decimal.localcontext(CONTEXT):
        return _Run(plan, evidence, pins or {}).result()


class _Run:
    """One evaluation: the environment and the results built so far."""

    def __init__(self, plan: Plan, evidence: Evidence, pins: dict[str, object]) -> None:
        self.plan = plan
        self.program = plan.program
        self.settings: Settings = plan.program.settings
        self.evidence = evidence
        self.env: Env = {}
        self.origins: Origins = dict(evidence.origins)
        self.veto_failures: list[Failure] = []
        for name, fact in self.program.facts.items():
            if name in evidence.values:
                self.env[name] = evidence.values[name]
            elif fact.default is not None:
                self.env[name] = fact.default
                self.origins[name] = Provenance(None, is_default=True)
            else:
                self.env[name] = Missing(name, fact.span)
        self.pins = pins
        for name, value in pins.items():
            if name in self.program.facts:
                self.env[name] = value

    def result(self) -> Result:
        derived = self.derive()
        zeroed = self.zero_vetoes()
        indicators = self.tree(zeroed)
        tree_total, total, total_lines, extras = self.total(indicators)
        grade = _grade(self.settings, total) if total is not None else None
        grade, disqualified, vetoes = self.grade_vetoes(grade, total is not None, zeroed)
        if self.veto_failures:
            total = grade = None
        diagnostics = self.failures(indicators, extras)
        return Result(
            self.settings,
            self.program.source.path,
            self.evidence.source.path,
            total,
            grade,
            indicators,
            derived,
            {n: f.unit for n, f in self.program.facts.items()},
            tree_total,
            tuple(total_lines),
            extras,
            vetoes,
            disqualified,
            tuple(diagnostics),
        )

    # ----- 1. derived facts ----------------------------------------------------------------

    def derive(self) -> tuple[DerivedResult, ...]:
        env, out = self.env, []
        for name, fn, uses in self.plan.derived:
            d = self.program.derived[name]
            try:
                env[name] = self.pins[name] if name in self.pins else fn(env)
            except Faulted as exc:
                env[name] = Broken(exc.failure)
            except (decimal.InvalidOperation, decimal.Overflow, TypeError) as exc:
                env[name] = Broken(Failure("E609", None, d.expr.span, type(exc).__name__))
            value = env[name]
            reads = uses(env, self.origins)
            out.append(
                DerivedResult(
                    name,
                    d.kind,
                    None if isinstance(value, Broken) else value,
                    d.expr,
                    reads,
                    d.span,
                )
            )
        return tuple(out)

    def kind(self, name: str) -> Kind:
        fact = self.program.facts.get(name)
        return fact.kind if fact else self.program.derived[name].kind

    # ----- 2. vetoes that zero an indicator, and 8. those that act on the grade -------------

    def zero_vetoes(self) -> dict[str, VetoResult]:
        fired: dict[str, VetoResult] = {}
        for v in self.plan.vetoes:
            if v.veto.action == "zero" and v.veto.target is not None:
                result = self.veto(v)
                if result.fired:
                    fired.setdefault(v.veto.target.text, result)
        return fired

    def veto(self, v: VetoPlan) -> VetoResult:
        veto = v.veto
        try:
            fired = bool(v.cond(self.env))
        except Faulted as exc:
            # A veto that cannot be decided leaves the total undecided: never a silent grade.
            self.veto_failures.append(exc.failure)
            fired = False
        return VetoResult(
            veto.action,
            veto.target.text if veto.target else None,
            veto.reason.value if veto.reason else None,
            fired,
            v.uses(self.env, self.origins) if fired else (),
            veto.span,
        )

    def grade_vetoes(
        self, grade: str | None, scored: bool, zeroed: dict[str, VetoResult]
    ) -> tuple[str | None, bool, tuple[VetoResult, ...]]:
        ranks = {g.label: i for i, g in enumerate(self.settings.grades)}
        results: list[VetoResult] = []
        disqualified = False
        for v in self.plan.vetoes:
            if v.veto.action == "zero":
                code = v.veto.target.text if v.veto.target else ""
                results.append(zeroed.get(code) or self.veto(v))
                continue
            result = self.veto(v)
            results.append(result)
            if not result.fired or disqualified or not scored:
                continue
            target = result.target
            if result.action == "disqualify":
                disqualified, grade = True, None
            elif result.action == "grade" and target is not None:
                grade = target
            elif result.action == "cap" and grade is not None and target is not None:
                if ranks[grade] < ranks[target]:
                    grade = target
        return grade, disqualified, tuple(results)

    # ----- 3. the tree ---------------------------------------------------------------------

    def tree(self, zeroed: dict[str, VetoResult]) -> tuple[IndicatorResult, ...]:
        results: dict[str, IndicatorResult] = {}
        nodes = self.plan.nodes
        # Children come after their parent in tree order; score bottom-up by walking it reversed.
        for ind in reversed(self.program.indicators):
            code = ind.code
            node = nodes.get(code)
            veto = zeroed.get(code) if zeroed else None
            if not ind.children:
                assert node is not None
                res = self.score(node, [], veto)
            elif node is None and ind.scale is None and veto is None:
                res = _plain_branch(ind, [results[c] for c in ind.children])
            else:
                res = self.branch(ind, node, [results[c] for c in ind.children], veto)
            results[code] = res
        return tuple(results[ind.code] for ind in self.program.indicators)

    def branch(
        self,
        ind: Indicator,
        node: NodePlan | None,
        children: list[IndicatorResult],
        veto: VetoResult | None,
    ) -> IndicatorResult:
        applicable = [c for c in children if not c.excluded]
        if not applicable:
            return _result(ind, None, (), excluded=True)
        if any(c.points is None for c in applicable):
            return _result(ind, None, ())
        total = sum((c.points for c in applicable if c.points is not None), ZERO)
        lines: list[Line] = []
        if ind.scale is not None:
            lines.append(
                Line(
                    LineKind.SCALE,
                    total * ind.weight / ind.scale,
                    ind.span,
                    args=(total, ind.weight, ind.scale),
                )
            )
        elif node is not None or veto is not None:
            lines.append(Line(LineKind.SUM, total, ind.span, args=(total,)))
        if not lines:
            return _result(ind, total, ())
        if node is None:
            return self.finish(ind, lines, veto, round_it=ind.scale is not None)
        return self.score(node, lines, veto)

    def score(self, node: NodePlan, lines: list[Line], veto: VetoResult | None) -> IndicatorResult:
        ind = node.indicator
        env, origins = self.env, self.origins
        try:
            if node.base is not None:
                node.base(env, origins, lines)
            elif not lines:
                lines.append(
                    _new(Line, (LineKind.BASE, ind.weight, ind.span, None, (), (ind.weight,), None))
                )
            for deduct in node.deductions:
                deduct(env, origins, lines)
            current = sum((line.points for line in lines), ZERO)
            if current < 0:
                lines.append(Line(LineKind.FLOOR, -current, ind.span))
                current = ZERO
            elif current > ind.weight:
                lines.append(Line(LineKind.CAP, ind.weight - current, ind.span, args=(ind.weight,)))
                current = ind.weight
            for zero in node.zeros:
                before = len(lines)
                zero(env, origins, lines)
                if len(lines) > before and current:
                    fired = lines[-1]
                    lines[-1] = Line(fired.kind, -current, fired.span, fired.reason, fired.facts)
                    current = ZERO
            for warn in node.warnings:
                warn(env, origins, lines)
        except Faulted as exc:
            if exc.failure.code == "NA":
                return self.not_applicable(ind, exc.failure)
            return _result(ind, None, (), failures=(exc.failure,))
        return self.finish(ind, lines, veto, round_it=True, current=current)

    def finish(
        self,
        ind: Indicator,
        lines: list[Line],
        veto: VetoResult | None,
        round_it: bool,
        current: Decimal | None = None,
    ) -> IndicatorResult:
        if current is None:
            current = sum((line.points for line in lines), ZERO)
        if veto is not None and current:
            lines.append(Line(LineKind.VETO, -current, veto.span, veto.reason, veto.facts))
            current = ZERO
        if round_it and self.settings.rounding_scope == "leaves":
            current = _rounded(current, self.settings, ind.span, lines)
        # INVARIANT: the ledger reconciles — its lines add up to the points, exactly. (Checked
        # by the tests and `jixiao verify`; not re-summed here on every evaluation.)
        return _result(ind, current, tuple(lines))

    def not_applicable(self, ind: Indicator, failure: Failure) -> IndicatorResult:
        policy = ind.na_policy or self.settings.not_applicable
        if policy is None:
            return _result(ind, None, (), failures=(Failure("E611", failure.fact, failure.span),))
        fact = failure.fact or ""
        use = FactUse(fact, self.kind(fact), "不适用", self.origins.get(fact))
        if policy == "exclude":
            line = Line(LineKind.NOT_APPLICABLE, ZERO, failure.span, policy, (use,))
            return _result(ind, None, (line,), excluded=True)
        points = ind.weight if policy == "full" else ZERO
        line = Line(LineKind.NOT_APPLICABLE, points, failure.span, policy, (use,))
        return _result(ind, points, (line,))

    # ----- 4–7. from the tree's sum to the total -------------------------------------------

    def total(
        self, indicators: tuple[IndicatorResult, ...]
    ) -> tuple[Decimal | None, Decimal | None, list[Line], tuple[ExtraResult, ...]]:
        by_code = {i.code: i for i in indicators}
        roots = [by_code[r] for r in self.program.roots]
        extras = tuple(self.extra(e) for e in self.plan.extras)
        applicable = [r for r in roots if not r.excluded]
        if any(r.points is None for r in applicable) or any(e.points is None for e in extras):
            return None, None, [], extras
        tree_total = sum((r.points for r in applicable if r.points is not None), ZERO)
        lines: list[Line] = []
        current = tree_total
        excluded_weight = sum(
            (
                i.weight
                for i in indicators
                if i.excluded and (i.parent is None or not by_code[i.parent].excluded)
            ),
            ZERO,
        )
        span = self.program.source.span(0, 0)
        if excluded_weight:
            applicable_weight = self.settings.total - excluded_weight
            scaled = (
                current * self.settings.total / applicable_weight if applicable_weight else ZERO
            )
            lines.append(
                Line(
                    LineKind.RESCALE,
                    scaled - current,
                    span,
                    args=(current, applicable_weight, self.settings.total),
                )
            )
            current = scaled
        for extra in extras:
            assert extra.points is not None
            sign = 1 if extra.kind == "bonus" else -1
            if extra.points:
                lines.append(
                    Line(
                        LineKind.EXTRA,
                        sign * extra.points,
                        extra.span,
                        extra.name,
                        args=(extra.points,),
                    )
                )
                current += sign * extra.points
        if current < 0:
            lines.append(Line(LineKind.FLOOR, -current, span))
            current = ZERO
        if self.settings.overflow == "cap" and current > self.settings.total:
            lines.append(
                Line(
                    LineKind.OVERFLOW,
                    self.settings.total - current,
                    span,
                    args=(self.settings.total,),
                )
            )
            current = self.settings.total
        rounded = _rounded(current, self.settings, span, lines)
        return tree_total, rounded, lines, extras

    def extra(self, plan: ExtraPlan) -> ExtraResult:
        e = plan.extra
        lines: list[Line] = []
        try:
            for rule in plan.rules:
                rule(self.env, self.origins, lines)
        except Faulted as exc:
            return ExtraResult(e.kind, e.code, e.name, e.max, None, (), e.span, (exc.failure,))
        if e.highest:
            lines = _highest_only(lines)
        taken = abs(sum((line.points for line in lines), ZERO))
        if taken > e.max:
            sign = -1 if e.kind == "bonus" else 1
            lines.append(
                Line(LineKind.CLAUSE_CAP, sign * (taken - e.max), e.span, None, (), (e.max,))
            )
            taken = e.max
        return ExtraResult(e.kind, e.code, e.name, e.max, taken, tuple(lines), e.span)

    # ----- diagnostics ---------------------------------------------------------------------

    def failures(
        self, results: tuple[IndicatorResult, ...], extras: tuple[ExtraResult, ...]
    ) -> list[Diagnostic]:
        """One diagnostic per cause, naming every indicator it stopped."""
        by_cause: dict[tuple[str, str | None, int], list[str]] = defaultdict(list)
        failure_of: dict[tuple[str, str | None, int], Failure] = {}
        spans: dict[tuple[str, str | None, int], list[Label]] = defaultdict(list)
        pairs = [(r.code, r.failures) for r in results] + [(e.code, e.failures) for e in extras]
        pairs.append(("veto", tuple(dict.fromkeys(self.veto_failures))))
        for code, failures in pairs:
            for failure in failures:
                by_fact = failure.code in ("E605", "E611")
                key = (failure.code, failure.fact, -1 if by_fact else failure.span.start)
                by_cause[key].append(code)
                failure_of.setdefault(key, failure)
                spans[key].append(Label(failure.span, "needs it"))
        diags: list[Diagnostic] = []
        for key, codes in by_cause.items():
            failure = failure_of[key]
            if failure.code == "E605" and failure.fact is not None:
                fact = self.program.facts[failure.fact]
                uses = [label.span for label in spans[key]]
                diags.append(
                    msg.missing_fact(
                        failure.fact, codes, uses, fact.span, self.evidence.source.path
                    )
                )
            elif failure.code == "E606":
                labels = []
                if failure.fact is not None:
                    origin = self.evidence.origins.get(failure.fact)
                    if origin is not None and origin.span is not None:
                        labels.append(Label(origin.span, f"`{failure.fact}` is given here"))
                diags.append(
                    msg.division_by_zero(failure.expr, failure.detail, failure.span, codes, labels)
                )
            elif failure.code == "E607":
                diags.append(msg.bad_level(failure.detail, codes, failure.span))
            elif failure.code == "E608":
                diags.append(msg.no_band(failure.detail, codes, failure.span))
            elif failure.code == "E610":
                amount, lower, upper = failure.detail.split("|")
                diags.append(
                    msg.judgement_outside(
                        failure.fact or "", Decimal(amount), lower, upper, codes, failure.span
                    )
                )
            elif failure.code == "E611":
                diags.append(msg.not_applicable_undecided(failure.fact or "", codes, failure.span))
            elif failure.code == "E612":
                diags.append(msg.level_score_outside(failure.detail, codes, failure.span))
            elif failure.code == "E613":
                diags.append(msg.missing_detail(failure.detail, codes, failure.span))
            else:
                diags.append(msg.arithmetic_failure(failure.detail, codes, failure.span))
        return diags


def _plain_branch(ind: Indicator, children: list[IndicatorResult]) -> IndicatorResult:
    """A branch with no rules of its own: the exact sum of its applicable children (the common
    case, kept off the general path)."""
    total = ZERO
    applicable = False
    for child in children:
        if child.excluded:
            continue
        applicable = True
        if child.points is None:
            return _result(ind, None, ())
        total += child.points
    if not applicable:
        return _result(ind, None, (), excluded=True)
    return _result(ind, total, ())


def _result(
    ind: Indicator,
    points: Decimal | None,
    lines: tuple[Line, ...],
    failures: tuple[Failure, ...] = (),
    excluded: bool = False,
) -> IndicatorResult:
    # tuple.__new__: the named tuple's own constructor is the costlier path, 40 times a record
    return _new(
        IndicatorResult,
        (
            ind.code,
            ind.name,
            ind.parent,
            ind.depth,
            ind.weight,
            points,
            lines,
            not ind.children,
            ind.span,
            failures,
            excluded,
            ind.standard,
            ind.doc,
        ),
    )


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(7)}


def _round(value: Decimal, settings: Settings) -> Decimal:
    return value.quantize(_QUANTA[settings.places], rounding=settings.rounding)


def _rounded(value: Decimal, settings: Settings, span: Span, lines: list[Line]) -> Decimal:
    """The pack's rounding, with its own ledger line when it changes anything."""
    rounded = _round(value, settings)
    if rounded != value:
        lines.append(
            Line(LineKind.ROUND, rounded - value, span, args=(value, Decimal(settings.places)))
        )
    return rounded


def _highest_only(lines: list[Line]) -> list[Line]:
    """同一项按最高分只计入1次: an item named in several clauses counts once, at its highest."""
    best: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.item is None:
            continue
        j = best.get(line.item.text)
        if j is None or line.points > lines[j].points:
            best[line.item.text] = i
    out = []
    for i, line in enumerate(lines):
        if line.item is not None and best[line.item.text] != i:
            out.append(Line(LineKind.ONCE, ZERO, line.span, line.reason, line.facts, (), line.item))
        else:
            out.append(line)
    return out


def _grade(settings: Settings, total: Decimal) -> str:
    for band in settings.grades:
        if band.lower is None or total >= band.lower:
            return band.label
    return settings.grades[-1].label  # pragma: no cover - the checker requires an else band
