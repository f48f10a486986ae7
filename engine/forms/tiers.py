"""`tiers <subject> { <bounds>: <award> … }` (分档): the award of the first band that holds the
subject (a number, percent or date)."""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import Failure, LineKind
from ..common.types import NUMERIC, Kind, comparable
from ..common.walk import award_exprs, constant_points
from ..plan.compile_expr import Faulted, NearBoundary, close
from .base import (
    Compiling,
    Form,
    LineSpec,
    Words,
    above,
    awards_nothing,
    below,
    constant,
    exact_text,
    key,
    nests_nothing,
    no_formula,
    no_sign,
    none,
    reasons_plain,
    typed,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, NamedTuple

    from jixiao.dsl.diagnostics import Diagnostic
    from jixiao.dsl.source import Span

    from ..plan.compile_expr import AmountFn, Env, ExprFn, RawLine, Reads, RuleFn
    from ..plan.intervals import Interval
else:
    from .base import NamedTuple


class AwardArgs(NamedTuple):
    """The points a band or level awards."""

    points: Decimal


TIER = LineSpec(
    LineKind.TIER,
    AwardArgs,
    Words("分档 {band}", "band {band}"),
    lambda line, say: {"band": f"`{line.span.text}`"},
    key("tier"),
    award=True,
    short="分档",
    because=Words("{what}在“{band}”档", "{what} in the band “{band}”"),
    cause=lambda c: band_cause(c, c.node),
)


def band_cause(c: Any, node: object) -> dict[str, str] | None:
    """The band a subject fell in, said as a range: `设备运行正常率在“不低于90%且低于95%”档`."""
    if not isinstance(node, ast.Band):
        return None
    rule = c.holder(node)
    what = c.value(rule.subject) if isinstance(rule, ast.Tiers) else c.name
    return {"what": what, "band": c.band(node)}


def units(u: Any, rule: ast.Tiers) -> ast.Tiers:
    """The bands in the subject's unit."""
    from jixiao.dsl.record import replace

    s, unit = u.expr(rule.subject)
    return replace(rule, subject=s, bands=tuple(u.band(b, s, unit) for b in rule.bands))


def check(c: Any, rule: ast.Tiers, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    subject = rule.subject
    kind = c.infer(subject)
    if kind is not None and kind not in NUMERIC and kind is not Kind.DATE:
        c.diags.append(
            msg.expected_kind(
                "the subject of `tiers`", "a number, percent or date", kind, subject.span
            )
        )
        kind = None
    for band in rule.bands:
        for bound in (band.lower, band.upper):
            if bound is None:
                continue
            bk = c.infer(bound.value)
            if kind is not None and bk is not None and not comparable(kind, bk):
                c.diags.append(msg.bound_mismatch(kind, bk, bound.value.span))
        c.check_award(band.award, code, weight)


def exprs(rule: ast.Tiers, again: Any) -> Iterator[ast.Expr]:
    yield rule.subject
    for band in rule.bands:
        for bound in (band.lower, band.upper):
            if bound is not None:
                yield bound.value
        yield from award_exprs(band.award)


def _bound(c: Compiling, bound: ast.Bound | None) -> tuple[ExprFn, bool] | None:
    return (c.expr(bound.value), bound.inclusive) if bound is not None else None


def compile_tiers(c: Compiling, rule: ast.Tiers, weight: Decimal) -> RuleFn:
    subject, bands = rule.subject, rule.bands
    sf, reads, kind = c.expr(subject), c.uses(subject), LineKind.TIER
    compiled = [
        (_bound(c, b.lower), _bound(c, b.upper), c.amount(b.award, weight), b.span) for b in bands
    ]
    span = subject.span
    bounds = [b.value for band in bands for b in (band.lower, band.upper) if b is not None]
    if c.rounds(subject, *bounds):
        return _tiers_checked(c, sf, compiled, bounds, subject, reads)

    def tiers(env: Env, lines: list[RawLine]) -> Decimal:
        value = sf(env)
        for low, high, points, where in compiled:
            if low is not None and not above(value, low[0](env), low[1]):
                continue
            if high is not None and not below(value, high[0](env), high[1]):
                continue
            p = points(env)
            lines.append((kind, p, where, None, reads, (p,), None))
            return p
        raise Faulted(Failure.of("E608", None, span, value=typed(value)))

    return tiers


def _tiers_checked(
    c: Compiling,
    sf: ExprFn,
    compiled: list[tuple[Any, Any, AmountFn, Span]],
    bounds: list[ast.Expr],
    subject: ast.Expr,
    reads: Reads,
) -> RuleFn:
    """`tiers` over a value that may have been rounded (a derived rate): each bound it is
    tested against is checked for a hair (see `ExprCompiler.confirm`)."""
    confirm = c.confirm(
        (subject, *bounds),
        *c.arithmetic((subject, sf), *((b, c.expr(b)) for b in bounds)),
    )
    kind, span = LineKind.TIER, subject.span

    def test(env: Env, value: Any, bound: tuple[ExprFn, bool], is_low: bool) -> bool:
        edge = bound[0](env)
        if close(value, edge) and confirm(env):
            raise NearBoundary  # decided again exactly
        return above(value, edge, bound[1]) if is_low else below(value, edge, bound[1])

    def tiers(env: Env, lines: list[RawLine]) -> Decimal:
        value = sf(env)
        for low, high, points, where in compiled:
            if low is not None and not test(env, value, low, True):
                continue
            if high is not None and not test(env, value, high, False):
                continue
            p = points(env)
            lines.append((kind, p, where, None, reads, (p,), None))
            return p
        raise Faulted(Failure.of("E608", None, span, value=typed(value)))

    return tiers


def lint(
    rule: ast.Tiers, kind_of: Callable[[ast.Expr], Kind | None], budget: Any
) -> Iterator[Diagnostic]:
    """A tier table's gaps (W) and overlaps (E421), and bands no value reaches, when its bounds
    are constants (a date table is not checked)."""
    from jixiao.dsl.formatter import format_expr

    from ..common import messages as msg
    from ..plan.intervals import Interval, _domain, _intersect, _minus

    kind = kind_of(rule.subject)
    if kind is None or kind is Kind.DATE:
        return
    bounds = []
    for band in rule.bands:
        lo = constant(band.lower.value) if band.lower else None
        hi = constant(band.upper.value) if band.upper else None
        if (band.lower and lo is None) or (band.upper and hi is None):
            return  # bounded by a parameter: known only with the evidence
        bounds.append(
            Interval(
                lo,
                bool(band.lower and band.lower.inclusive),
                hi,
                bool(band.upper and band.upper.inclusive),
            )
        )
    domain = _domain(kind)
    remaining = [domain]
    spent = budget("tier table")
    for band, interval in zip(rule.bands, bounds, strict=True):
        spent.spend(len(remaining))  # the pieces left: at most one more per band
        is_else = band.lower is None and band.upper is None
        part = _intersect(interval, domain)
        fresh = [_intersect(part, r) for r in remaining]
        fresh = [f for f in fresh if not f.empty()]
        if not fresh:
            # a band whose own range holds no value (`[90%, 80%)`) is not shadowed: say so
            yield (msg.unreachable_band(band.span, is_else, empty=part.empty()))
        elif not is_else:
            # A two-sided band states its exact range; part of it taken by an earlier band is a
            # contradiction. One-sided bands (`>= 95%: full; >= 90%: 1`) cascade by design —
            # when what the earlier bands took is the far end of the band, the side it is
            # open to; anything else (after `[80%, 90%): 1`, `>= 85%: full` gives [85%, 90%)
            # 1) is a shadow the author did not mean.
            overlap = _shadowed(part, remaining, band)
            if overlap is not None:
                yield (msg.band_overlap(overlap.text(kind), band.span))
        remaining = _minus(remaining, part)
    if remaining:
        gaps = ", ".join(r.text(kind) for r in remaining)
        yield (msg.band_gap(gaps, format_expr(rule.subject), rule.subject.span, rule.span))


def _shadowed(part: Interval, remaining: list[Interval], band: ast.Band) -> Interval | None:
    """The first piece of `part` already covered by earlier bands that is not a cascade: for
    a band open upwards (`>= a`) a covered piece reaching +∞ is, for one open downwards
    (`< b`) a covered piece starting where the band does (its domain's low end); for a
    two-sided band nothing is."""
    from ..plan.intervals import _minus

    covered = [part]
    for r in remaining:
        covered = _minus(covered, r)
    for piece in covered:
        if band.lower is not None and band.upper is None and piece.hi is None:
            continue  # `>= 90%: 1` after `>= 95%: full`
        if (
            band.upper is not None
            and band.lower is None
            and piece.lo == part.lo
            and piece.lo_closed == part.lo_closed
        ):
            continue  # `< 80%: 1` after `< 60%: 0`
        return piece
    return None


def _max(values: list[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return max((v for v in values if v is not None), default=Decimal(0))


def best(rule: ast.Tiers, weight: Decimal, again: Any) -> Decimal | None:
    return _max([constant_points(b.award, weight) for b in rule.bands])


def thresholds(rule: ast.Tiers) -> Iterator[tuple[ast.Expr, Decimal]]:
    for band in rule.bands:
        for bound in (band.lower, band.upper):
            value = constant(bound.value) if bound else None
            if value is not None:
                yield rule.subject, value


def direction(
    rule: ast.Tiers, weight: Decimal, kinds: Any
) -> tuple[str, bool, tuple[Decimal, ...]] | None:
    """What a tier table means to reward: higher values (True) or lower ones (False), read
    from the awards at the two ends of the domain; None when it cannot be told."""
    if not isinstance(rule.subject, ast.Name):
        return None
    from ..plan.intervals import Interval, _domain, _intersect, _minus

    name = rule.subject.name
    remaining = [_domain(kinds[name])]
    placed: list[tuple[Decimal | None, Decimal]] = []
    for band in rule.bands:
        lo = constant(band.lower.value) if band.lower else None
        hi = constant(band.upper.value) if band.upper else None
        award = constant_points(band.award, weight)
        if (band.lower and lo is None) or (band.upper and hi is None) or award is None:
            return None
        part = Interval(
            lo,
            bool(band.lower and band.lower.inclusive),
            hi,
            bool(band.upper and band.upper.inclusive),
        )
        for piece in remaining:
            effective = _intersect(part, piece)
            if not effective.empty():
                placed.append((effective.lo, award))
        remaining = _minus(remaining, part)
    if len(placed) < 2:
        return None
    placed.sort(key=lambda p: (p[0] is not None, p[0] or 0))
    low, high = placed[0][1], placed[-1][1]
    if low == high:
        return None
    near = tuple(
        v
        for b in rule.bands
        for bound in (b.lower, b.upper)
        if bound is not None
        for v in [constant(bound.value)]
        if v is not None
    )
    return name, low < high, near


def awards(rule: ast.Tiers) -> Iterator[tuple[ast.AwardExpr, bool, ast.Expr | None]]:
    for b in rule.bands:
        if isinstance(b.award, ast.AwardExpr):
            yield b.award, False, None


def coverage(rule: ast.Tiers, add: Any, again: Any, top: bool) -> None:
    for band in rule.bands:
        add("tier", band, f"band `{band.span.text}`")
    if isinstance(rule.subject, ast.Name):
        bounds = {constant(b.value) for band in rule.bands for b in (band.lower, band.upper) if b}
        for bound in sorted(v for v in bounds if v is not None):
            add(
                f"edge:{bound}",
                rule,
                f"both sides of the bound {exact_text(bound)} of `{rule.subject.name}`",
            )


def vector(v: Any, rule: ast.Tiers, weight: Decimal) -> Any:
    """As `compile_tiers`, over columns: the first band the value lies in; none is a fault."""
    sf = v.num(rule.subject)
    bands = [
        (
            (v.num(b.lower.value), ">=" if b.lower.inclusive else ">") if b.lower else None,
            (v.num(b.upper.value), "<=" if b.upper.inclusive else "<") if b.upper else None,
            v.amount(b.award, weight),
        )
        for b in rule.bands
    ]

    def tiers(cols: Any) -> Any:
        value = sf(cols)
        cases = []
        for low, high, points in bands:
            tests = [v.compare(b[1], value, b[0](cols)) for b in (low, high) if b is not None]
            cond = None
            for test in tests:
                cond = test if cond is None else v.both(cond, test)
            cases.append((cond, points(cols)))
        return v.first(cases, None)

    return tiers


FORM = Form(
    name="tiers",
    nodes=(ast.Tiers,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nests_nothing,
    compile=compile_tiers,
    lint=lint,
    best=best,
    thresholds=thresholds,
    direction=direction,
    labels=lambda rule: iter(()),
    branches=lambda rule: iter(()),
    caps=none,
    sign=no_sign,
    formula=no_formula,
    units=units,
    judged=none,
    drivers=lambda rule: iter(()),
    awards=awards,
    worst=awards_nothing,
    coverage=coverage,
    vector=vector,
    lines=(TIER,),
)
