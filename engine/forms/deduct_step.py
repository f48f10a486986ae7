"""`deduct <amount> per <step> of <shortfall> [started | continuous] [max <cap>]`
(每相差3%扣1分): the amount for each step of the shortfall, steps counted whole (the default),
started, or continuously."""

from __future__ import annotations

import math
from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import Failure, LineKind
from ..common.types import NUMERIC, Kind, comparable
from ..common.walk import award_exprs, names_in
from ..plan.compile_expr import ZERO, Faulted, NearBoundary, close
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    best_unknown,
    clause_cap,
    deducts,
    key,
    lints_nothing,
    nests_nothing,
    no_direction,
    none,
    reasons_plain,
)
from .deduct_per import unbounded
from .deduct_when import deduct_coverage

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, NamedTuple

    from ..plan.compile_expr import Env, RawLine, RuleFn
else:
    from .base import NamedTuple


class StepArgs(NamedTuple):
    amount: Decimal  # per step
    steps: Decimal
    shortfall: Decimal
    step: Decimal
    as_percent: bool  # the pack wrote the shortfall or the step as a percent: shown as one


def _number(value: Decimal, as_percent: bool, say: Any) -> str:
    """A shortfall or step, in the kind the pack wrote it: a percent shortfall of 100 % reads
    `100.00%`, never `1`; a count shortfall of 0.5 stays 0.5."""
    text: str = say.percent(value) if as_percent else say.shown(value)
    return text


STEP = LineSpec(
    LineKind.STEP,
    StepArgs,
    Words(
        "{reason}：差距 {shortfall}，每 {step} 扣 {amount} 分，{steps} 步，扣 {total} 分",
        "{reason}: shortfall {shortfall}, {amount} per {step}, {steps} steps, −{total}",
    ),
    lambda line, say: {
        "amount": say.shown(line.args.amount),
        "steps": say.shown(line.args.steps),
        "shortfall": _number(line.args.shortfall, line.args.as_percent, say),
        "step": _number(line.args.step, line.args.as_percent, say),
        "total": say.shown(-line.points),
    },
    key("deduct"),
    loss=True,
)


def check(c: Any, rule: ast.DeductStep, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    step, shortfall = rule.step, rule.shortfall
    c.check_amount(rule.amount, "the deduction per step")
    sk, fk = c.infer(step), c.infer(shortfall)
    c.check_sign(step, "the step")
    for expr, k in ((step, sk), (shortfall, fk)):
        if k is not None and k not in NUMERIC:
            c.diags.append(
                msg.expected_kind("a step deduction's operand", "a number", k, expr.span)
            )
    if sk in NUMERIC and fk in NUMERIC and sk and fk and not comparable(sk, fk):
        c.diags.append(msg.type_mismatch("per … of", sk, fk, rule.span))
    c.check_cap(rule.max)


def exprs(rule: ast.DeductStep, again: Any) -> Iterator[ast.Expr]:
    yield from award_exprs(rule.amount)
    yield rule.step
    yield rule.shortfall
    if rule.max is not None:
        yield rule.max


def compile_step(c: Compiling, rule: ast.DeductStep, weight: Decimal) -> RuleFn:
    af = c.amount(rule.amount, weight)
    xf, sf = c.expr(rule.step), c.expr(rule.shortfall)
    reads = c.uses(rule.shortfall, rule.step)
    cap = c.points_of(rule.max, weight) if rule.max is not None else None
    reason = rule.reason.value if rule.reason else None
    mode, span, kind, checked = rule.mode, rule.span, LineKind.STEP, not c.exact
    # the ledger shows the shortfall and the step as the pack wrote them: a percent as a
    # percent (a 100 % shortfall is not `1`), any other quantity as a number
    as_percent = Kind.PERCENT in (c.kind(rule.step), c.kind(rule.shortfall))
    # What a step count decides on — the shortfall against 0, the step against 0, and
    # for `whole` and `started` the quotient against the nearest whole number — is checked
    # for a hair: ⅓ short at steps of ⅙ is 1.999…9 steps in 28 digits, one whole step.
    counted = mode in ("whole", "started")
    sides = c.rounds(rule.shortfall), c.rounds(rule.step)
    confirm = None
    if not c.exact and (counted or any(sides)):
        confirm = c.confirm((rule.shortfall, rule.step), sf, xf, lambda env: sf(env) / xf(env))

    def near(env: Env, s: Any, x: Any) -> None:
        assert confirm is not None
        hair = (sides[0] and close(s, ZERO)) or (sides[1] and close(x, ZERO))
        if not hair and counted and s > 0 and x > 0:
            ratio = s / x
            hair = close(ratio, ratio.to_integral_value())
        if hair and confirm(env):
            raise NearBoundary  # decided again exactly

    step_names = tuple(dict.fromkeys(n.name for n in names_in(rule.step)))
    step_percent = c.kind(rule.step) == Kind.PERCENT

    def step_failure(x: Any, env: Env) -> Failure:
        """A zero step divides by zero (E606, naming the facts that made it 0, as any division
        does); a negative one would count steps backwards (E609)."""
        from jixiao.dsl.formatter import format_expr, number, percent

        text = format_expr(rule.step)  # (the formatter is imported only when a step fails)
        if x == 0:
            divisor = tuple((n, env.get(n)) for n in step_names)
            first = step_names[0] if step_names else None
            return Failure.of("E606", first, span, f"per {text} of", divisor=divisor)
        shown = percent(x) if step_percent else number(x)
        return Failure.of(
            "E609", None, span, f"per {text} of", error=f"the step `{text}` is {shown}"
        )

    def step(env: Env, lines: list[RawLine]) -> Decimal:
        a, x, s = af(env), xf(env), sf(env)
        if confirm is not None:
            near(env, s, x)
        if s <= 0:
            return ZERO  # no shortfall: nothing to deduct (one-sided; write abs() for both)
        if x <= 0:
            raise Faulted(step_failure(x, env))
        ratio = s / x
        if mode == "whole":
            steps = Decimal(math.floor(ratio))
        elif mode == "started":
            steps = Decimal(math.ceil(ratio))
        else:
            steps = ratio
        if steps == 0:
            return ZERO
        total = -a * steps
        lines.append((kind, total, span, reason, reads, (a, steps, s, x, as_percent), None))
        return (
            total
            if cap is None
            else total + clause_cap(lines, total, cap(env), span, checked=checked)
        )

    return step


def drivers(rule: ast.DeductStep) -> Iterator[ast.Expr]:
    yield rule.shortfall


def awards(rule: ast.DeductStep) -> Iterator[tuple[ast.AwardExpr, bool, ast.Expr | None]]:
    if isinstance(rule.amount, ast.AwardExpr):
        yield rule.amount, True, None


def formula(rule: ast.DeductStep) -> bool:
    return isinstance(rule.amount, ast.AwardExpr) or rule.max is not None


def units(u: Any, rule: ast.DeductStep) -> Any:
    """The shortfall in the step's unit; the other parts field by field."""
    from jixiao.dsl.record import replace

    f, s, _ = u.pair(rule.shortfall, rule.step)
    return u.generic(replace(rule, step=s, shortfall=f), skip=("step", "shortfall"))


def vector(v: Any, rule: ast.DeductStep, weight: Decimal) -> Any:
    """As `compile_step`, over columns: whole steps floored, started ones ceiled, exactly."""
    af = v.amount(rule.amount, weight)
    xf, sf = v.num(rule.step), v.num(rule.shortfall)
    cap = v.points_of(rule.max, weight) if rule.max is not None else None
    mode = rule.mode

    def step(cols: Any) -> Any:
        a, x, s = af(cols), xf(cols), sf(cols)
        ratio = v.div(s, x)
        steps = v.floor(ratio) if mode == "whole" else v.ceil(ratio) if mode == "started" else ratio
        total = v.neg(v.mul(a, steps))
        if cap is not None:
            c = cap(cols)
            total = v.first([(v.compare(">", v.neg(total), c), v.neg(c))], total)
        cases = [
            (v.compare("<=", s, v.ZERO), v.ZERO),
            (v.compare("<=", x, v.ZERO), None),  # a step of 0 or less: E606/E609
            (None, v.sign_kept(total, -1)),
        ]
        return v.marked(v.first(cases, None), a.bad | x.bad | s.bad)

    return step


FORM = Form(
    name="deduct … per … of",
    nodes=(ast.DeductStep,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_step,
    lint=lints_nothing,
    best=best_unknown,
    thresholds=none,
    direction=no_direction,
    labels=none,
    branches=none,
    caps=lambda rule: (rule.max,) if rule.max is not None else (),
    sign=deducts,
    formula=formula,
    units=units,
    judged=none,
    drivers=drivers,
    awards=awards,
    worst=unbounded,
    coverage=deduct_coverage,
    vector=vector,
    lines=(STEP,),
)
