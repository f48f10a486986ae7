"""`by <choice fact> { "<choice>", …: <rule or award>; … else: … }` (按类别): the rule of the
branch whose choices hold the fact's value.

Checked like `levels` over a choice fact, but every choice must have a branch (E339, not a
warning: a project of that category could not be scored) unless an `else` takes the rest; a
branch label that is no choice is E315 (with "did you mean", through `branches`), a label in two
branches E341, two `else`s E340, a subject that is not a choice fact E338, an `else` no choice
is left for W335. The ledger says
which branch was taken and why (the fact's value), then the branch's own lines.
"""

from __future__ import annotations

from decimal import Decimal

from jixiao.dsl import ast

from ..common.result import Failure, LineKind
from ..common.types import Kind
from ..plan.compile_expr import Faulted
from .base import (
    Branches,
    Compiling,
    Form,
    LineSpec,
    NoArgs,
    Words,
    awards_nothing,
    lints_nothing,
    no_direction,
    no_formula,
    no_sign,
    none,
    reasons_plain,
    units_field_by_field,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from ..plan.compile_expr import Env, RawLine, RuleFn


def _dispatch_fields(line: Any, say: Any) -> dict[str, str]:
    fact = line.facts[0].name if line.facts else "?"
    head = line.span.text.split(":")[0].split("：")[0].strip()
    if head == "else":
        branch = "其他情形（else）分支" if say.lang == "zh" else "the `else` branch"
    else:
        names = [part.strip().strip('"“”') for part in head.replace("，", ",").split(",")]
        quoted = "".join(f"“{n}”" for n in names)
        branch = f"{quoted}分支" if say.lang == "zh" else f"the {quoted} branch"
    return {"fact": fact, "value": line.reason or "", "branch": branch}


DISPATCH = LineSpec(
    LineKind.DISPATCH,
    NoArgs,
    Words("{fact}为“{value}”，适用{branch}", "{fact} is “{value}”: {branch} applies"),
    _dispatch_fields,
    lambda line: "branch",
)


def check(c: Any, rule: ast.Dispatch, code: str, weight: Decimal) -> None:
    from ..common import messages as msg

    subject = rule.subject
    kind = c.infer(subject)
    choices = c.choices.get(subject.name) if isinstance(subject, ast.Name) else None
    if kind is not None and choices is None:
        what = (
            f"`{subject.name}` is a {kind} without choices"
            if isinstance(subject, ast.Name)
            else f"`{subject.span.text}` is an expression"
        )
        c.diags.append(msg.dispatch_subject(what, subject.span))
    first: dict[str, ast.String] = {}
    otherwise: ast.DispatchBranch | None = None
    for branch in rule.branches:
        if not branch.labels:
            if otherwise is not None:
                c.diags.append(msg.dispatch_else_twice(branch.span, otherwise.span))
            otherwise = otherwise or branch
        for label in branch.labels:
            value = label.value.strip()
            if value in first:
                c.diags.append(msg.dispatch_label_twice(value, label.span, first[value].span))
            first.setdefault(value, label)
        c.check_rule(branch.then, code, weight)
    if choices is not None and isinstance(subject, ast.Name):
        missing = [choice for choice in choices if choice not in first]
        if missing and otherwise is None:
            decl = c.decl_spans.get(subject.name, subject.span)
            c.diags.append(msg.dispatch_uncovered(subject.name, missing, rule.span, decl))
        elif not missing and otherwise is not None:
            c.diags.append(msg.dispatch_else_unreachable(subject.name, otherwise.span))


def exprs(rule: ast.Dispatch, again: Any) -> Iterator[ast.Expr]:
    yield rule.subject
    for branch in rule.branches:
        yield from again(branch.then)


def nested(rule: ast.Dispatch) -> tuple[ast.Clause, ...]:
    return tuple(b.then for b in rule.branches)


def compile_dispatch(c: Compiling, rule: ast.Dispatch, weight: Decimal) -> RuleFn:
    sf, reads, span, kind = c.expr(rule.subject), c.uses(rule.subject), rule.span, LineKind.DISPATCH
    table: dict[str, tuple[ast.DispatchBranch, RuleFn]] = {}
    otherwise: tuple[ast.DispatchBranch, RuleFn] | None = None
    for branch in rule.branches:
        compiled = (branch, c.rule(branch.then, weight))
        if not branch.labels:
            otherwise = otherwise or compiled
        for label in branch.labels:
            table.setdefault(label.value.strip(), compiled)
    labels = tuple(table)

    def dispatch(env: Env, lines: list[RawLine]) -> Decimal:
        value = sf(env)
        taken = table.get(str(value).strip(), otherwise)
        if taken is None:  # a value the checker's coverage missed (no choice fact): say so
            raise Faulted(Failure.of("E607", None, span, level=str(value), levels=labels))
        branch, then = taken
        lines.append((kind, Decimal(0), branch.span, str(value), reads, (), None))
        return then(env, lines)

    return dispatch


def best(rule: ast.Dispatch, weight: Decimal, again: Any) -> Decimal | None:
    values = [again(b.then, weight) for b in rule.branches]
    if any(v is None for v in values):
        return None
    return max((v for v in values if v is not None), default=Decimal(0))


def labels(rule: ast.Dispatch) -> Iterator[tuple[str, str | None, tuple[str, ...]]]:
    if isinstance(rule.subject, ast.Name):
        yield rule.subject.name, None, tuple(s.value for b in rule.branches for s in b.labels)


def branches(rule: ast.Dispatch) -> Iterator[Branches]:
    """Each label held against the fact's choices (E315); coverage is this form's own error
    (E339, in `check`), so `otherwise` is set and W315 stays quiet."""
    if isinstance(rule.subject, ast.Name):
        values = tuple((s.value, s.span) for b in rule.branches for s in b.labels)
        yield Branches(rule.subject.name, values, True, "`by`", rule.span)


def coverage(rule: ast.Dispatch, add: Any, again: Any, top: bool) -> None:
    for branch in rule.branches:
        head = ", ".join(f"“{s.value}”" for s in branch.labels) if branch.labels else "else"
        add("branch", branch, f"branch {head}")
        again(branch.then)


def vector(v: Any, rule: ast.Dispatch, weight: Decimal) -> Any:
    """As `compile_dispatch`, over columns: the branch naming the value (stripped), else the
    `else` branch; a value neither takes is a fault."""
    if rule.subject.kind is not Kind.TEXT:
        raise v.unsupported(rule)
    sf = v.expr(rule.subject)
    table: dict[str, Any] = {}
    otherwise = None
    for branch in rule.branches:
        then = v.rule(branch.then, weight)
        if not branch.labels:
            otherwise = otherwise or then
        for label in branch.labels:
            table.setdefault(label.value.strip(), then)

    def dispatch(cols: Any) -> Any:
        value = sf(cols)
        cases = [
            (v.label_is(value, label, strip=True), then(cols)) for label, then in table.items()
        ]
        return v.first(cases, otherwise(cols) if otherwise is not None else None)

    return dispatch


FORM = Form(
    name="by",
    nodes=(ast.Dispatch,),
    check=check,
    reasons=reasons_plain,
    exprs=exprs,
    nested=nested,
    compile=compile_dispatch,
    lint=lints_nothing,
    best=best,
    thresholds=none,
    direction=no_direction,
    labels=labels,
    branches=branches,
    caps=none,
    sign=no_sign,
    formula=no_formula,
    units=units_field_by_field,
    judged=none,
    drivers=none,
    awards=none,
    worst=awards_nothing,
    coverage=coverage,
    vector=vector,
    lines=(DISPATCH,),
)
