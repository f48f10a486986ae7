"""(plan, evidence) → Result: the points ledger of every indicator.

Derived facts are computed in the plan's order; a failure (a missing fact, a division by zero)
becomes a `Broken` value, not an exception, and only turns into an error for the indicators that
actually read it. Each indicator runs its compiled rules, then the engine's own steps, each its
own ledger line: floor at 0 (扣完为止), cap at the weight, `zero when`, rounding — written once,
in the scorer (`plan.scorer`), for both number domains; this module walks the tree and decides
which domain scores what.

The order of the steps is fixed and documented:
1. derived facts; 2. `veto … zero` conditions; 3. leaves, bottom-up through the tree (a branch
with `of` scales its children's sum; a branch with rules deducts from it; a vetoed indicator
scores 0); 4. not-applicable exclusion (the total rescaled to the pack's total); 5. bonus and
penalty sections; 6. the overflow cap; 7. rounding of the total (when the pack rounds `on
total`); 8. the grade, then grade vetoes (`grade`, `cap`, `disqualify`) in declaration order.

All arithmetic runs in one explicit decimal context (28 significant digits, half-even inside a
computation). So that those 28 digits never decide a score, a leaf whose points land within a
hair of a rounding boundary is scored again exactly (`exactly`, see `plan.exact`); the only
rounding that shapes a leaf's score is the pack's. Likewise a decision (a comparison, a band, a
step count) taken a hair from its bound on a rounded number raises `NearBoundary` wherever it
sits, and the leaf, branch, derived fact, veto or section is computed again exactly.

For speed (see bench/README.md), leaves run as one compiled closure each (`scorer.leaf`),
records are plain tuples, and `ledger.Ledger` packages them into the result's named tuples
when they are first read.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from decimal import Decimal

from jixiao.dsl.diagnostics import Diagnostic, Label
from jixiao.dsl.source import Span

from ..common import messages as msg
from ..common.ir import Indicator, Settings
from ..common.result import ExtraResult, FactUse, Failure, Line, LineKind, Result, VetoResult
from ..common.types import Kind
from ..plan import scorer
from ..plan.compile_expr import Broken, Env, Faulted, Missing, NearBoundary, RawLine
from ..plan.compiler import ExactPlan, ExtraPlan, Plan, VetoPlan
from ..plan.scorer import DECIMAL, EXACT, PLACES, LeafFn, NodePlan, Numbers
from .evidence import Evidence
from .ledger import Ledger

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from jixiao.dsl import ast

    from ..common.result import Entry

CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
ZERO = Decimal(0)
_new = tuple.__new__


_EXCLUDED: Entry = (None, (), (), True)
_UNSCORED: Entry = (None, (), (), False)


def evaluate(plan: Plan, evidence: Evidence, pins: dict[str, object] | None = None) -> Result:
    """Score one evidence record. `pins` fixes facts or derived facts to given values (derived
    ones are then not computed): `jixiao test --edges` and `verify` probe rules this way."""
    with decimal.localcontext(CONTEXT):
        return _Run(plan, evidence, pins or {}).result()


def leaves_only(
    plan: Plan, evidence: Evidence, places: Iterable[int]
) -> tuple[Result, list[Entry]] | None:
    """Only the plain leaves at `places` scored, each as `evaluate` scores it (after the
    derived facts it reads, directly or not, each as `derive` computes it), the other
    indicators left unscored; the result holds the ledger their lines are read from. A
    portfolio whose points the columns computed (`tools.batch_columnar`) words why a leaf lost
    points this way, for the price of that leaf, not of the project. None when a place is not
    a plain leaf of the plan (one a veto can zero: `evaluate` scores it with the tree)."""
    closures = plan.memo.get("leaf_closures")
    if closures is None:
        closures = plan.memo["leaf_closures"] = {p: (p, ind, fn) for p, ind, fn in plan.leaves}
    wanted: list[tuple[int, Indicator, LeafFn]] = []
    for place in places:
        closure = closures.get(place)
        if closure is None:
            return None
        wanted.append(closure)
    known = plan.memo.setdefault("derived_for", {})
    key = tuple(place for place, _, _ in wanted)
    needed = known.get(key)
    if needed is None:
        needed = _derived_for(plan, [ind for _, ind, _ in wanted])
        if len(known) < 4096:  # (the sets of leaves a portfolio's projects lose points on)
            known[key] = needed
    with decimal.localcontext(CONTEXT):
        run = _Run(plan, evidence, {})
        run.derive(needed)
        guarded = run.guarded()
        records, env = run.records, run.env
        for place, ind, fn in wanted:
            record = run.leaf(place, ind, fn, env)
            records[place] = run.never_a_gain(place, record) if place in guarded else record
        if run.exact_env is not None:
            run.show_exact_derived()
        program = run.program
        result = Result(
            run.settings,
            program.source.path,
            evidence.source.path,
            None,
            None,
            run.ledger,
            plan.units,
        )
    return result, records


def _derived_for(plan: Plan, leaves: list[Indicator]) -> frozenset[str]:
    """The derived facts the leaves read, directly or through other derived facts."""
    derived = plan.program.derived
    seen: set[str] = set()
    todo = [name for ind in leaves for name in ind.reads]
    while todo:
        name = todo.pop()
        if name in derived and name not in seen:
            seen.add(name)
            todo += derived[name].reads
    return frozenset(seen)


class _Run:
    """One evaluation: the environment and the records built so far."""

    def __init__(self, plan: Plan, evidence: Evidence, pins: dict[str, object]) -> None:
        self.plan = plan
        self.program = program = plan.program
        self.settings: Settings = program.settings
        self.evidence = evidence
        env: Env = dict(plan.defaults) if plan.defaults else {}
        env.update(evidence.values)
        facts = program.facts
        if len(env) != len(facts):  # evidence holds declared facts only (see `Evidence`)
            for name in facts.keys() - env.keys():
                env[name] = Missing(name, facts[name].span)
        for name, value in pins.items():
            if name in facts:
                env[name] = value
        self.env = env
        self.pins = pins
        self.records: list[Entry] = [_UNSCORED] * len(program.indicators)
        self.ledger = Ledger(plan, evidence, env, self.records)
        self.veto_failures: list[Failure] = []
        self.failed = False  # some indicator could not be scored
        self.excluded = False  # some indicator is excluded as not applicable
        self.exact_env: Env | None = None  # built if a leaf needs scoring exactly
        self.zeroed: dict[str, VetoResult] = {}
        self.undecided: list[Diagnostic] = []  # why the total has none, beyond failures
        self.warnings: list[Diagnostic] = []  # what the score leaves out, though it stands
        settings = self.settings
        self.rounds = settings.rounding_scope == "leaves"  # leaves and branches with rules
        self.places = PLACES[settings.places]

    def result(self) -> Result:
        self.derive()
        zeroed = self.zeroed = self.zero_vetoes() if self.plan.vetoes else {}
        self.tree(zeroed)
        tree_total, total, total_lines, extras = self.total()
        grade = _grade(self.settings, total) if total is not None else None
        vetoes: tuple[VetoResult, ...] = ()
        disqualified = False
        if self.plan.vetoes:
            grade, disqualified, vetoes = self.grade_vetoes(grade, total is not None, zeroed)
        if self.veto_failures:
            total = grade = None
        if self.exact_env is not None:
            self.show_exact_derived()
        failed = self.failed or self.veto_failures or any(e.failures for e in extras)
        diagnostics = self.failures(extras) if failed else []
        if self.undecided or self.warnings:
            diagnostics = [*diagnostics, *self.undecided, *self.warnings]
        return _new(
            Result,
            (
                self.settings,
                self.program.source.path,
                self.evidence.source.path,
                total,
                grade,
                self.ledger,
                self.plan.units,
                tree_total,
                tuple(total_lines),
                extras,
                vetoes,
                disqualified,
                tuple(diagnostics),
                "",
                "",
                (),  # inputs: filled in by `run`
                (),  # imports: filled in by `run`
                (),  # project: filled in by `run`
            ),
        )

    # ----- 1. derived facts ----------------------------------------------------------------

    def derive(self, only: frozenset[str] | None = None) -> None:
        """`only`: just these derived facts (in the plan's order: each after what it reads)."""
        env, pins = self.env, self.pins
        for name, fn, _ in self.plan.derived:
            if only is not None and name not in only:
                continue
            try:
                env[name] = pins[name] if pins and name in pins else fn(env)
            except Faulted as exc:
                env[name] = Broken(exc.failure)
            except (decimal.InvalidOperation, decimal.Overflow, TypeError) as exc:
                env[name] = self.arithmetic_failure(name, exc)
            except NearBoundary:
                # a decision inside it (`if`, `min`'s comparison…) lay within a hair: the
                # exact run decides, and its value is shown as the decimal it is
                from ..plan.exact import to_decimal

                env[name] = to_decimal(self.exact_setup()[1][name])

    def show_exact_derived(self) -> None:
        """After an exact run, the derived facts as the ledger shows them are the exact values
        to 28 digits (60 % is 0.6, not 0.5999…9 as ten twelfths and four ninths summed in 28
        digits): the values that decided, shown as they are. Only records that needed the
        exact run change; the decimal lines differ from them by less than a 28th digit."""
        from ..plan.exact import Exact, to_decimal

        env, exact_env = self.env, self.exact_env
        assert exact_env is not None
        for name, _, _ in self.plan.derived:
            value = exact_env.get(name)
            if type(value) is Exact and name not in self.pins and type(env.get(name)) is Decimal:
                env[name] = to_decimal(value)

    def arithmetic_failure(self, name: str, exc: Exception) -> Broken:
        span = self.program.derived[name].expr.span
        return Broken(Failure.of("E609", None, span, error=type(exc).__name__))

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
            try:
                fired = bool(v.cond(self.env))
            except NearBoundary:  # its condition lay within a hair: decided exactly
                exact_plan, env = self.exact_setup()
                index = next(i for i, p in enumerate(self.plan.vetoes) if p is v)
                fired = bool(exact_plan.vetoes[index](env))
        except Faulted as exc:
            # A veto that cannot be decided leaves the total undecided: never a silent grade.
            self.veto_failures.append(exc.failure)
            fired = False
        return VetoResult(
            veto.action,
            veto.target.text if veto.target else None,
            veto.reason.value if veto.reason else None,
            fired,
            v.reads.facts(self.env, self.ledger.origins()) if fired else (),
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

    def tree(self, zeroed: dict[str, VetoResult], numbers: Numbers = DECIMAL) -> None:
        """Score the tree into `self.records`. Over `EXACT` numbers throughout for the total of
        an `on total` pack that lies on a rounding boundary."""
        records, env = self.records, self.env
        exact_plan = self.exact_setup()[0] if numbers.exact else None
        if exact_plan is not None:
            env = self.exact_setup()[1]
        leaves = self.plan.leaves
        if exact_plan is not None:
            leaves = tuple((p, i, exact_plan.leaves[p]) for p, i, _ in leaves)
        for place, ind, leaf in leaves:
            try:
                records[place] = leaf(env)
            except Faulted as exc:
                records[place] = self.fault(ind, exc.failure)
            except NearBoundary:
                records[place] = self.exactly(place, ind)
        guarded = self.guarded()
        if guarded:
            for place in guarded.intersection(p for p, _, _ in self.plan.leaves):
                records[place] = self.never_a_gain(place, records[place])
        # The plan's steps put children before their parents: one pass scores bottom-up.
        clean = not (self.failed or self.excluded)  # every record so far has points
        for place, ind, node, children, plain, closure in self.plan.steps:
            if plain and clean:
                # a branch with no rules of its own: the exact sum of its children
                total = ZERO
                for child in children:
                    total += records[child][0]  # type: ignore[operator]  # clean: never None
                records[place] = (total, (), (), False)
            elif plain:
                # … of its applicable children, when some are excluded or unscored
                total = ZERO
                record: Entry | None = _EXCLUDED
                for child in children:
                    points, _, _, excluded = records[child]
                    if excluded:
                        continue
                    if points is None:
                        record = _UNSCORED
                        break
                    total += points
                    record = None
                records[place] = (total, (), (), False) if record is None else record
            else:
                veto = zeroed.get(ind.code)
                if children or veto is not None:
                    records[place] = self.decided(place, ind, node, children, veto, numbers)
                else:  # a leaf a veto could have zeroed and did not: as any other
                    assert closure is not None
                    if exact_plan is not None:
                        closure = exact_plan.leaves[place]
                    records[place] = self.leaf(place, ind, closure, env)
                if place in guarded:
                    records[place] = self.never_a_gain(place, records[place])
                clean = not (self.failed or self.excluded)

    def decided(
        self,
        place: int,
        ind: Indicator,
        node: NodePlan | None,
        children: tuple[int, ...],
        veto: VetoResult | None,
        numbers: Numbers,
    ) -> Entry:
        """A branch, or a leaf a veto zeroed, scored in `numbers`. On the fast path, a
        decision of its rules or a rounding a hair from its bound scores it again over `EXACT`
        numbers, shown as decimals (see `shown`)."""
        if numbers.exact:
            return self.node(ind, self.exact_setup()[0].nodes.get(place), children, veto, EXACT)
        try:
            return self.node(ind, node, children, veto, DECIMAL)
        except NearBoundary:
            exact_node = self.exact_setup()[0].nodes.get(place)
            return self.shown(self.node(ind, exact_node, children, veto, EXACT), ZERO, ind)

    def node(
        self,
        ind: Indicator,
        node: NodePlan | None,
        children: tuple[int, ...],
        veto: VetoResult | None,
        numbers: Numbers,
    ) -> Entry:
        if children:
            return self.branch(ind, node, children, veto, numbers)
        assert node is not None  # a leaf has rules
        return self.score(node, [], veto, ZERO, numbers)

    def guarded(self) -> frozenset[int]:
        """The indicators (by place) with a deduction whose amount, cap or range is a formula,
        found once per plan: only they can meet a negative amount at run time."""
        memo = self.plan.memo
        if "guarded" not in memo:
            memo["guarded"] = frozenset(
                place
                for place, ind in enumerate(self.program.indicators)
                if any(_formula_amount(rule) for rule in ind.rules)
            )
        guarded: frozenset[int] = memo["guarded"]
        return guarded

    def never_a_gain(self, place: int, record: Entry) -> Entry:
        """A deduction clause never adds points (nor a bonus clause takes them): an amount that
        came out negative is an evaluation error naming the rule, never a silent gain."""
        gained = _gain(record[1])
        if gained is None:
            return record
        span, value = gained
        self.failed = True
        return (None, (), (_negative(span, value),), False)

    def leaf(self, place: int, ind: Indicator, leaf: LeafFn, env: Env) -> Entry:
        try:
            return leaf(env)
        except Faulted as exc:
            return self.fault(ind, exc.failure)
        except NearBoundary:
            return self.exactly(place, ind)

    def exact_tree_total(self) -> Any:
        """The tree's sum in exact numbers: under `on total` the leaves are not rounded, so the
        total's exact rounding needs their exact points. The records shown stay the decimal
        ones; the total's rounding line reconciles them with the exact result."""
        saved = (self.records, self.failed, self.excluded)
        self.records = [_UNSCORED] * len(saved[0])
        try:
            self.tree(self.zeroed, EXACT)
            total: Any = ZERO
            for root in self.plan.roots:
                points, _, _, excluded = self.records[root]
                if not excluded and points is not None:
                    total += points
            return total
        finally:
            self.records, self.failed, self.excluded = saved

    def exactly(self, place: int, ind: Indicator) -> Entry:
        """Score a leaf again with exact numbers: its 28-digit score lay within a hair of a
        rounding boundary (see `plan.exact`). The ledger shows the exact run's lines as
        decimals, with the rounding line that makes them add up to the points.

        First, though, the leaf is run again in 28 digits with the `Inexact` flag cleared
        (`confirmed`): a score that lands on a tie by exact arithmetic needs no rationals."""
        record = self.confirmed(place)
        if record is not None:
            return record
        plan, env = self.exact_setup()
        try:
            record = plan.leaves[place](env)
        except Faulted as exc:  # the exact value fails where its 28 digits did not (a 0)
            return self.fault(ind, exc.failure)
        return self.shown(record, ZERO, ind)

    def confirmed(self, place: int) -> Entry | None:
        """The leaf at `place` scored again in 28 digits that trust a rounding boundary when
        nothing was rounded on the way (`scorer.CONFIRMING`): neither the leaf's own arithmetic
        nor that of a derived fact it reads, directly or not (each computed again with the flag
        cleared). None if something was, or anything else happened: the exact path decides."""
        memo = self.plan.memo
        if "confirming" not in memo:
            from ..plan.compiler import compile_confirming

            memo["confirming"] = compile_confirming(self.program)
        leaf: LeafFn
        reads: frozenset[str]
        leaf, reads = memo["confirming"][place]
        env, pins = self.env, self.pins
        flags = decimal.getcontext().flags
        before = flags[decimal.Inexact]
        try:
            for name, fn, _ in self.plan.derived if reads else ():
                if name in reads and name not in pins:
                    flags[decimal.Inexact] = False
                    fn(env)
                    if flags[decimal.Inexact]:
                        return None
            flags[decimal.Inexact] = False
            return leaf(env)
        except Exception:  # a fault or a decision a hair from its bound: decided exactly
            return None
        finally:
            if before:  # what was rounded before stays so (`compile_expr.rounded_so_far`)
                flags[decimal.Inexact] = True

    def shown(self, record: Entry, start: Decimal, ind: Indicator) -> Entry:
        """An exact run's record as the ledger shows it: its lines as decimals; points the
        pack rounded stay as they are, with a rounding line that makes the lines add up to
        them; unrounded points (`on total`) become the sum of the lines as shown."""
        points, lines, failures, excluded = record
        if points is None or excluded:
            return record
        if type(points) is Decimal:
            shown = scorer.shown_lines(lines, start, points, ind.span, self.places)
            return (points, tuple(shown), failures, excluded)
        shown = scorer.shown_lines(lines, start, None, ind.span, self.places)
        total = sum((line[1] for line in shown), start)
        return (total, tuple(shown), failures, excluded)

    def exact_setup(self) -> tuple[ExactPlan, Env]:
        """The plan compiled over exact numbers (once per plan) and this record's environment
        in exact numbers, derived facts computed again (once per record that needs it)."""
        from ..plan.compiler import compile_exact
        from ..plan.exact import exact

        memo = self.plan.memo
        if "exact" not in memo:
            memo["exact"] = compile_exact(self.program, self.plan.order)
        plan: ExactPlan = memo["exact"]
        env = self.exact_env
        if env is None:
            # from the facts, never from a derived fact's 28 digits (this may run while the
            # decimal ones are still being derived: see `derive`)
            env = self.exact_env = {name: exact(value) for name, value in self.env.items()}
            for name, fn in plan.derived:
                if name in self.pins:
                    env[name] = exact(self.pins[name])
                    continue
                try:
                    env[name] = fn(env)
                except Faulted as exc:
                    env[name] = Broken(exc.failure)
                except (
                    decimal.InvalidOperation,
                    decimal.Overflow,
                    TypeError,
                    ZeroDivisionError,
                ) as exc:
                    failed = self.env.get(name)  # the decimal run's failure, if it ran
                    env[name] = failed if failed is not None else self.arithmetic_failure(name, exc)
        return plan, env

    def branch(
        self,
        ind: Indicator,
        node: NodePlan | None,
        children: tuple[int, ...],
        veto: VetoResult | None,
        numbers: Numbers = DECIMAL,
    ) -> Entry:
        records = self.records
        applicable = [records[c] for c in children if not records[c][3]]
        if not applicable:
            if veto is not None:  # zeroed with its weight, not left out (see `excluded_weight`)
                return self.finish(ind, [], veto, ind.scale is not None or node is not None, ZERO)
            if node is not None and not numbers.exact:
                self.pool_left_out(ind, node)
            return _EXCLUDED
        total = ZERO
        for points, _, _, _ in applicable:
            if points is None:
                return _UNSCORED
            total += points
        line: RawLine
        if ind.scale is not None:
            total, line = scorer.scale(total, ind, numbers)
        elif node is not None or veto is not None:
            line = (LineKind.SUM, total, ind.span, None, (), (total,), None)
        else:
            return (total, (), (), False)
        if node is None:
            return self.finish(ind, [line], veto, ind.scale is not None, total, numbers)
        return self.score(node, [line], veto, total, numbers)

    def pool_left_out(self, ind: Indicator, node: NodePlan) -> None:
        """A branch whose children are all not applicable is left out, and with it the
        deductions of its own (a deduction pool: 每发现一处问题扣1分 over the subtree): there is
        no sum to take them from. Findings they would have punished are not dropped in
        silence: a warning names the branch and the points its deductions would have taken."""
        lines: list[RawLine] = []
        try:
            scorer.rules(node, self.env, lines, ZERO)
        except (Faulted, NearBoundary):
            taken = None  # what they would take cannot be said; that they exist still is
        else:
            taken = -sum((line[1] for line in lines if line[1] < 0), ZERO)
            if not taken:
                return
        self.warnings.append(msg.pool_not_applied(ind.code, taken, ind.span))

    def score(
        self,
        node: NodePlan,
        lines: list[RawLine],
        veto: VetoResult | None,
        current: Any,
        numbers: Numbers = DECIMAL,
    ) -> Entry:
        """A node's rules and the scorer's steps after them (a branch with rules of its own, a
        leaf a veto targets): `current` is what its children give it, or 0."""
        ind = node.indicator
        env = self.exact_setup()[1] if numbers.exact else self.env
        try:
            current = scorer.rules(node, env, lines, current)
            current = scorer.settle(node, env, lines, current, numbers)
        except Faulted as exc:
            if veto is not None and exc.failure.code == "NA":
                return self.vetoed_not_applicable(ind, exc.failure, veto, numbers)
            return self.fault(ind, exc.failure)
        return self.finish(ind, lines, veto, True, current, numbers)

    def vetoed_not_applicable(
        self, ind: Indicator, failure: Failure, veto: VetoResult, numbers: Numbers
    ) -> Entry:
        """A `veto … zero` that fired zeroes its indicator whatever the not-applicable policy:
        本项不得分 is never full marks (`full`), nor left out of the total (`exclude`), which
        would raise every other indicator's share. The policy's line stays, then the veto's."""
        excluded_before = self.excluded
        record = self.not_applicable(ind, failure)
        if record[2]:  # no policy: E611 as without the veto
            return record
        self.excluded = excluded_before
        points = record[0] if record[0] is not None else ZERO
        lines = list(record[1])
        return self.finish(ind, lines, veto, True, points, numbers)

    def fault(self, ind: Indicator, failure: Failure) -> Entry:
        """An indicator whose rules could not be decided: 不适用 follows its policy; anything
        else leaves it without points, with the failure for the diagnostics."""
        if failure.code == "NA":
            return self.not_applicable(ind, failure)
        self.failed = True
        return (None, (), (failure,), False)

    def finish(
        self,
        ind: Indicator,
        lines: list[RawLine],
        veto: VetoResult | None,
        round_it: bool,
        current: Any,
        numbers: Numbers = DECIMAL,
    ) -> Entry:
        current = scorer.veto_zero(current, lines, veto)
        if round_it and self.rounds:
            current = numbers.rounding(self.settings)(current, lines, ind.span)
        # INVARIANT: the ledger reconciles — its lines add up to the points, exactly. (Checked
        # by the tests and `jixiao verify`; not re-summed here on every evaluation.)
        return (current, tuple(lines), (), False)

    def not_applicable(self, ind: Indicator, failure: Failure) -> Entry:
        policy = ind.na_policy or self.settings.not_applicable
        if policy is None:
            self.failed = True
            return (None, (), (Failure("E611", failure.fact, failure.span),), False)
        fact = failure.fact or ""
        use = FactUse(fact, self.kind(fact), "不适用", self.ledger.origins().get(fact))
        if policy == "exclude":
            self.excluded = True
            line = (LineKind.NOT_APPLICABLE, ZERO, failure.span, policy, (use,), (), None)
            return (None, (line,), (), True)
        points = ind.weight if policy == "full" else ZERO
        line = (LineKind.NOT_APPLICABLE, points, failure.span, policy, (use,), (), None)
        return (points, (line,), (), False)

    # ----- 4–7. from the tree's sum to the total -------------------------------------------

    def total(
        self,
    ) -> tuple[Decimal | None, Decimal | None, list[Line], tuple[ExtraResult, ...]]:
        records = self.records
        extras = tuple(self.extra(e) for e in self.plan.extras) if self.plan.extras else ()
        tree_total = ZERO
        applicable = False
        for r in self.plan.roots:
            points, _, _, excluded = records[r]
            if excluded:
                continue
            if points is None:
                return None, None, [], extras
            tree_total += points
            applicable = True
        if not applicable:
            # No indicator to score (a library pack) or every one excluded as not applicable:
            # Σ applicable points / Σ applicable weights is 0 / 0 — no total, never 0.00 差.
            roots = [ind.code for ind in self.program.indicators if ind.parent is None]
            self.undecided.append(
                msg.all_not_applicable(roots, self.plan.start)
                if roots
                else msg.no_indicator_to_score(self.program.source.path, self.plan.start)
            )
            return None, None, [], extras
        if extras and any(e.points is None for e in extras):
            return None, None, [], extras
        try:
            rounded, lines = self.to_total(tree_total, extras, DECIMAL)
        except NearBoundary:
            # the bonus sections too: their amounts may divide (their shown lines stay decimal)
            exact_extras = tuple(self.extra(e, EXACT) for e in self.exact_setup()[0].extras)
            start = tree_total if self.rounds else self.exact_tree_total()
            rounded, lines = self.to_total(tree_total, exact_extras, EXACT, start)
        return tree_total, rounded, lines, extras

    def to_total(
        self,
        tree_total: Decimal,
        extras: tuple[ExtraResult, ...],
        numbers: Numbers,
        start: Any = None,
    ) -> tuple[Decimal, list[Line]]:
        """From the tree's sum to the rounded total (see `scorer.total`). Over `EXACT` numbers,
        from `start` (the tree's exact sum) when given, the lines are shown as decimals that
        add up (see `exactly`)."""
        sections = tuple((e.kind, e.points, e.span, e.name) for e in extras)
        span = self.plan.start
        rounded, raw = scorer.total(
            tree_total if start is None else start,
            self.excluded_weight(numbers),
            sections,  # type: ignore[arg-type]  # every section has points here
            self.settings,
            span,
            numbers,
        )
        if numbers.exact:
            raw = scorer.shown_lines(raw, tree_total, rounded, span, self.places)
        return rounded, [_new(Line, line) for line in raw]

    def excluded_weight(self, numbers: Numbers = DECIMAL) -> Any:
        """The weight of the indicators excluded as not applicable (the outermost of each), in
        the pack's points: a child of an `indicator … 50 of 100` branch weighs its weight ×
        50 / 100 of the total, not its weight in the branch's own units. Over `EXACT`
        numbers, an `Exact` rational (a scale such as `10 of 3` does not divide
        evenly)."""
        records = self.records
        if not self.excluded:
            return ZERO
        indicators = self.program.indicators
        place = {ind.code: i for i, ind in enumerate(indicators)}
        total: Any = numbers.lift(ZERO)
        zeroed = self.zeroed
        for ind, r in zip(indicators, records, strict=True):
            if not r[3] or (ind.parent is not None and records[place[ind.parent]][3]):
                continue
            if zeroed and _under(ind, zeroed, indicators, place):
                continue  # a zeroed subtree scores 0 of its whole weight
            weight: Any = numbers.lift(ind.weight)
            parent = ind.parent
            while parent is not None:
                above = indicators[place[parent]]
                if above.scale is not None:
                    weight = weight * above.weight / above.scale
                parent = above.parent
            total += weight
        return total

    def extra(self, plan: ExtraPlan, numbers: Numbers = DECIMAL) -> ExtraResult:
        """A bonus or penalty section. Over `EXACT` numbers for the total's exact computation:
        its points are then `Exact` and its lines are not shown."""
        e = plan.extra
        lines: list[RawLine] = []
        try:
            env = self.exact_setup()[1] if numbers.exact else self.env
            try:
                for rule in plan.rules:
                    rule(env, lines)
            except NearBoundary:  # a decision of its rules lay within a hair: decided exactly
                exact_plan, env = self.exact_setup()
                index = next(i for i, p in enumerate(self.plan.extras) if p is plan)
                lines = []
                for rule in exact_plan.extras[index].rules:
                    rule(env, lines)
                lines = scorer.shown_lines(lines, ZERO, None, e.span, self.places)
        except Faulted as exc:
            return ExtraResult(e.kind, e.code, e.name, e.max, None, (), e.span, (exc.failure,))
        gained = _gain(lines) if any(_formula_amount(r) for r in e.rules) else None
        if gained is not None:
            span, value = gained
            failure = _negative(span, value)
            return ExtraResult(e.kind, e.code, e.name, e.max, None, (), e.span, (failure,))
        taken, lines = scorer.section(e, lines)
        if numbers.exact:
            return ExtraResult(e.kind, e.code, e.name, e.max, taken, (), e.span)
        line = self.ledger.line
        return ExtraResult(
            e.kind, e.code, e.name, e.max, taken, tuple(line(raw) for raw in lines), e.span
        )

    # ----- diagnostics ---------------------------------------------------------------------

    def failures(self, extras: tuple[ExtraResult, ...]) -> list[Diagnostic]:
        """One diagnostic per cause, naming every indicator it stopped."""
        by_cause: dict[tuple[str, str | None, int], list[str]] = defaultdict(list)
        failure_of: dict[tuple[str, str | None, int], Failure] = {}
        spans: dict[tuple[str, str | None, int], list[Label]] = defaultdict(list)
        pairs = [
            (ind.code, record[2])
            for ind, record in zip(self.program.indicators, self.records, strict=True)
            if record[2]
        ]
        pairs += [(e.code, e.failures) for e in extras]
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
                    msg.division_by_zero(
                        failure.expr, msg.failure_detail(failure), failure.span, codes, labels
                    )
                )
            elif failure.code == "E611":
                diags.append(msg.not_applicable_undecided(failure.fact or "", codes, failure.span))
            else:
                diags.append(msg.runtime_failure(failure, codes))
        return diags


#: Ledger lines a deduction clause writes (with its own span), and those of a bonus clause.
_TAKES = frozenset({LineKind.DEDUCT, LineKind.STEP, LineKind.JUDGED, LineKind.CLAUSE_CAP})
_GIVES = frozenset({LineKind.ADD})


def _under(ind: Indicator, zeroed: dict[str, VetoResult], indicators: Any, place: Any) -> bool:
    """Whether `ind` lies inside a subtree a `veto … zero` zeroed."""
    parent = ind.parent
    while parent is not None:
        if parent in zeroed:
            return True
        parent = indicators[place[parent]].parent
    return False


def _formula_amount(rule: ast.Rule | ast.ExtraRule) -> bool:
    """Whether a deduction's amount, cap or range is not a constant the checker has seen (the
    form's `formula`)."""
    from ..forms import BY_NODE

    form = BY_NODE.get(type(rule))
    return form is not None and form.formula(rule)


def _gain(lines: Any) -> tuple[Span, Decimal] | None:
    """The first clause whose lines add points though it deducts (or take points though it
    gives), with its net amount; None when every clause keeps its sign."""
    taken: dict[Span, Any] = {}
    given: dict[Span, Any] = {}
    for line in lines:
        kind = line[0]
        if kind in _TAKES:
            taken[line[2]] = taken.get(line[2], ZERO) + line[1]
        elif kind in _GIVES:
            given[line[2]] = given.get(line[2], ZERO) + line[1]
    for span, value in taken.items():
        if value > 0 and any(
            line[0] is not LineKind.CLAUSE_CAP for line in lines if line[2] == span
        ):
            return span, value
    for span, value in given.items():
        if value < 0:
            return span, -value
    return None


def _negative(span: Span, value: Any) -> Failure:
    """E505: the clause at `span` moved the score the wrong way by `value` (a decimal or an
    exact number, shown as the decimal it is)."""
    from ..plan.exact import to_decimal

    return Failure.of("E505", None, span, span.text, amount=Decimal(to_decimal(value)))


def _grade(settings: Settings, total: Decimal) -> str:
    for band in settings.grades:
        if band.lower is None or total >= band.lower:
            return band.label
    return settings.grades[-1].label  # pragma: no cover - the checker requires an else band
