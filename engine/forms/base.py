"""What a rule form declares, once, for every stage: the `Form` record and its hooks.

A form module (one per scoring form, deduction form and override) builds one `Form` and the
registry (`engine/forms/__init__.py`) keys it by the AST classes it handles. The stages hand each
hook what it needs of them — the checker (`Checking`), the expression compiler (`Compiling`), a
function to recurse into nested rules — so a form imports no stage after its own layer
(`dsl`, `common`, the expression compiler `plan.compile_expr`).

Hooks, in pipeline order (every one required: a form without one is a type error, and
tests/test_forms_registry.py checks them at run time):

- `check(c, rule, code, weight)`: kind checks, diagnostics into `c.diags`;
- `reasons(c, rule)`: the `{placeholder}`s its reason may use, and its other texts to check;
- `exprs(rule, again)`: the expressions it evaluates (what it reads), nested ones through `again`;
- `nested(rule)`: the rules it holds (`full when … else <rule>`, `choose` branches);
- `compile(c, rule, weight)`: its closure, `(env, lines) → points`, appending ledger lines;
- `lint(rule, kind_of, budget)`: its own static checks (a tier table's gaps and overlaps), as
  diagnostics, within a work budget (`budget(name).spend(n)`: W412 when it runs out);
- `best(rule, weight, again)`: the most it can award, when known before any evidence;
- `thresholds(rule)`: (subject, constant) pairs its score changes at, the subject an expression
  (`test --edges` probes the named facts among them, the strategies sample near them);
- `direction(rule, weight, kinds)`: the one fact its score moves with, and which way (verify);
- `labels(rule)`: (fact, field or None, labels): the levels a text fact takes, or the values a
  field of a list's findings takes (no labels: any values);
- `branches(rule)`: the values of a fact it branches on (`Branches`), held against the fact's
  choices (E315, W315);
- `caps(rule)`: its caps (`max`) and per-row maxima, held against the points it can reach;
- `sign(rule)`: "add" or "deduct" for a clause that gives or takes points (a bonus section
  refuses a deduction, a penalty section an addition), None for any other;
- `formula(rule)`: whether its amount, cap or range is not a constant the checker has seen
  (then the evaluator's exact path may need it);
- `units(u, rule)`: the rule with the parts whose units must meet made to meet (an actual and
  its target, a subject and its bands), through the unit check `u` (`check/units.py`); None:
  its parts are checked field by field;
- `judged(rule)`: (fact, range): the judgement facts it reads and the range of points each may
  take (the evidence schema bounds them);
- `drivers(rule)`: the expressions whose count drives a deduction (double counting, W4xx);
- `awards(rule)`: formula awards it gives, with whether they deduct and under which condition;
- `worst(rule, weight)`: the most it can take away (0 for a form that awards; None when
  unbounded: per item, per step, judged);
- `coverage(rule, add, again, top)`: the cases a pack test should reach (`top`: the rule stands
  at the indicator, not nested);
- `vector(v, rule, weight)`: the rule over columns of projects, for the columnar points-only
  path (`plan.vector`; `v` is its `Vectorising`): points, or `v.zeroing(cond)`/`v.check(cond)`
  for a rule that zeroes or only checks; `not_vectorised` for a form that has no columnar form
  (its packs are scored by the ledger path);
- `lines`: the ledger line kinds it writes, each with its named arguments and its words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from operator import itemgetter as _itemgetter

from jixiao.dsl import ast
from jixiao.dsl.record import record
from jixiao.dsl.source import Span

from ..common.result import Failure, Item, LineKind
from ..plan.compile_expr import (
    ZERO,
    ExprCompiler,
    RawLine,
    RuleFn,
    _plain,
    hair_past,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, NamedTuple, Protocol, TypeAlias

    from jixiao.dsl.diagnostics import Diagnostic

    from ..common.types import Kind

    class Checking(Protocol):
        """What a form's `check` hook is handed: the checker (see `check.check_rules`)."""

        diags: list[Diagnostic]
        choices: Mapping[str, tuple[str, ...]]  # each choice fact's values
        decl_spans: Mapping[str, Span]  # where each name is declared

        def infer(self, expr: ast.Expr) -> Kind | None: ...
        def kind_of(self, expr: ast.Expr) -> Kind | None: ...
        def expect_bool(self, expr: ast.Expr, what: str) -> None: ...
        def expect_text(self, subject: ast.Expr, form: str) -> None: ...
        def expect_amount(self, expr: ast.Expr, what: str) -> None: ...
        def check_rule(self, rule: ast.Clause, code: str, weight: Decimal) -> None: ...
        def check_award(self, award: ast.Award, code: str, weight: Decimal) -> None: ...
        def check_amount(self, award: ast.Award, what: str = "the award") -> None: ...
        def check_cap(self, cap: ast.Expr | None) -> None: ...
        def check_sign(self, expr: ast.Expr, what: str) -> None: ...
        def check_interval(self, interval: ast.Interval, what: str) -> None: ...
        def unique_labels(
            self,
            levels: tuple[ast.Level, ...] | tuple[ast.LevelInterval, ...] | tuple[ast.ByRow, ...],
        ) -> None: ...

    Exprs: TypeAlias = "Callable[[ast.Clause | None], Iterator[ast.Expr]]"
    Best: TypeAlias = "Callable[[Any, Decimal], Decimal | None]"
    Add: TypeAlias = "Callable[[str, Any, str], None]"
else:

    class _ArgsMeta(type):
        """`typing.NamedTuple`'s class syntax for a line's arguments, made without the `exec`
        of `collections.namedtuple` (some 20 of them are made on every start of `eval`): a
        tuple with a property per field."""

        def __new__(mcs, name, bases, namespace):
            if namespace.get("_root"):
                return super().__new__(mcs, name, bases, namespace)
            fields = tuple(namespace.get("__annotations__", {}))
            body = {
                "__slots__": (),
                "__module__": namespace["__module__"],
                "__doc__": namespace.get("__doc__"),
                "_fields": fields,
            }
            for i, field in enumerate(fields):
                body[field] = property(_itemgetter(i), doc=field)
            return super().__new__(mcs, name, (_Args,), body)

    class _Args(tuple):
        __slots__ = ()
        _fields: tuple[str, ...] = ()

        def __new__(cls, *values):
            return tuple.__new__(cls, values)

        def __getnewargs__(self):
            return tuple(self)

        def __repr__(self):
            inner = ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
            return f"{type(self).__name__}({inner})"

        @classmethod
        def _make(cls, values):
            return tuple.__new__(cls, values)

        def _asdict(self):
            return dict(zip(self._fields, self, strict=True))

    class NamedTuple(metaclass=_ArgsMeta):
        """Subclass it as `typing.NamedTuple` (fields annotated, no defaults)."""

        _root = True


class Compiling(ExprCompiler):
    """What a form's `compile` hook is handed: the expression compiler, plus `rule` to compile a
    nested rule or award through the registry (the plan's compiler fills it in)."""

    def rule(self, rule: ast.Clause, weight: Decimal) -> RuleFn:  # pragma: no cover
        raise NotImplementedError


@record
class Words:
    """A line kind's sentence in Chinese and English: `str.format` templates over the fields
    its form's `fields` gives (see `render.explain.line_text`)."""

    zh: str
    en: str


@record
class LineSpec:
    """One ledger line kind: `args` names the arithmetic's numbers (a `NamedTuple` class, in
    the order the compiled closure appends them; `Ledger.line` wraps them in it), `words` says
    it, `fields(line, say)` gives the template's fields beyond `w`, `p` and `reason` (`say` is
    the renderer's number formatting, see `render.explain.Say`), and `covers(line)` the pack
    test's coverage key the line reaches, if any.

    What the reports make of it: `award`, a base rule's award (what it did not give is the
    leaf's shortfall, explained by these lines; `short` names it in the portfolio summary);
    `loss`, a line that takes points (a reason of their own in 扣分说明); `remark`, a line an
    indicator at full marks is still explained for (a warning, a veto, a policy).

    `because` words why an award line fell short, without the project's values, so that
    projects losing points for the same cause group together (主要扣分原因, the portfolio's
    主要失分原因): `cause(c)` gives its fields, or None when this line says no cause. `c` is
    the renderer's `render.prose.Cause`: the line's `reason` and `args` (positional: the line
    may be raw), the `node` of the pack it came from (the clause, band or level at its span),
    `holder(node)` (the rule holding it), and the words of a sentence (`value`, `expression`,
    `words`, `band`)."""

    kind: LineKind
    args: Any
    words: Words
    fields: Any = None  # Callable[[Line, Say], dict[str, str]]; None: no more fields
    covers: Any = None  # Callable[[Line], str | None]; None: no coverage key
    award: bool = False
    loss: bool = False
    remark: bool = False
    short: str | None = None  # the portfolio summary's word for an award line that fell short
    because: Words | None = None  # the cause of a shortfall this line shows, in words
    cause: Any = None  # Callable[[Cause], dict[str, str] | None]; None: the line says no cause


class NoArgs(NamedTuple):
    """A line with no arithmetic (a condition that did not hold, a remark)."""


def key(name: str) -> Callable[[Any], str]:
    """`covers` for a line kind that always reaches the coverage key `name`."""
    return lambda line: name


@record
class Branches:
    """The values of one fact a rule branches on (a `levels` row per label, a `choose` branch
    per `fact == "value"`), held against the fact's `choices` by the checker
    (`check/choices.py`): a value that is no choice is E315 where `values` gives its span (a
    value without one is only counted), and a choice no value takes is W315 unless
    `otherwise` (an `else` takes it)."""

    fact: str
    values: tuple[tuple[str, Span | None], ...]  # each as written, and where (None: not an error)
    otherwise: bool  # an `else` takes any other value
    what: str  # how W315 names the rule: "`levels`"
    span: Span  # the rule's, where W315 points


@record
class Form:
    """Everything the generic stages need of one rule form (see the module docstring)."""

    name: str  # as the pack writes it
    nodes: tuple[type, ...]  # the AST classes it handles
    check: Callable[[Checking, Any, str, Decimal], None]
    reasons: Callable[[Checking, Any], tuple[tuple[str, ...], tuple[ast.String, ...]] | None]
    exprs: Callable[[Any, Exprs], Iterator[ast.Expr]]
    nested: Callable[[Any], tuple[ast.Clause, ...]]
    compile: Callable[[Compiling, Any, Decimal], RuleFn]
    lint: Callable[[Any, Callable[[ast.Expr], Kind | None], Any], Iterable[Diagnostic]]
    best: Callable[[Any, Decimal, Best], Decimal | None]
    thresholds: Callable[[Any], Iterator[tuple[ast.Expr, Decimal]]]
    direction: Callable[
        [Any, Decimal, Mapping[str, Kind]], tuple[str, bool, tuple[Decimal, ...]] | None
    ]
    labels: Callable[[Any], Iterator[tuple[str, str | None, tuple[str, ...]]]]
    branches: Callable[[Any], Iterator[Branches]]
    caps: Callable[[Any], Iterable[ast.Expr]]
    sign: Callable[[Any], str | None]
    formula: Callable[[Any], bool]
    units: Callable[[Any, Any], Any]
    judged: Callable[[Any], Iterator[tuple[str, ast.Interval]]]
    drivers: Callable[[Any], Iterator[ast.Expr]]
    awards: Callable[[Any], Iterator[tuple[ast.AwardExpr, bool, ast.Expr | None]]]
    worst: Callable[[Any, Decimal], Decimal | None]
    coverage: Callable[[Any, Add, Callable[[ast.Clause], None], bool], None]
    vector: Callable[[Any, Any, Decimal], Any]
    lines: tuple[LineSpec, ...]


# ----- defaults a form may use for hooks that do not concern it ------------------------------


def reasons_plain(c: Any, rule: Any) -> tuple[tuple[str, ...], tuple[ast.String, ...]] | None:
    """No placeholder to offer; the rule's own `reason` (if any) is checked against none."""
    return (), ()


def nests_nothing(rule: Any) -> tuple[ast.Clause, ...]:
    return ()


def lints_nothing(rule: Any, kind_of: Any, budget: Any) -> Iterable[Diagnostic]:
    return ()


def best_unknown(rule: Any, weight: Decimal, again: Any) -> Decimal | None:
    return None


def best_weight(rule: Any, weight: Decimal, again: Any) -> Decimal | None:
    return weight


def none(rule: Any) -> Iterator[Any]:
    return iter(())


def no_direction(rule: Any, weight: Decimal, kinds: Any) -> None:
    return None


def no_sign(rule: Any) -> str | None:
    return None


def adds(rule: Any) -> str | None:
    return "add"


def deducts(rule: Any) -> str | None:
    return "deduct"


def units_field_by_field(u: Any, rule: Any) -> Any:
    return None


def no_formula(rule: Any) -> bool:
    return False


def no_coverage(rule: Any, add: Any, again: Any, top: bool) -> None:
    return None


def awards_nothing(rule: Any, weight: Decimal) -> Decimal | None:
    return ZERO


def not_vectorised(v: Any, rule: Any, weight: Decimal) -> Any:
    """The `vector` hook of a form with no columnar form (dates, record lists, panels, step
    counts…): a pack using it is scored by the ledger path, project by project."""
    raise v.unsupported(rule)


# ----- shared by the compiled closures ---------------------------------------------------------


def constant(expr: ast.Expr) -> Decimal | None:
    """A literal number (or its negation); None for anything else."""
    match expr:
        case ast.Number(value) | ast.Percent(value):
            return value
        case ast.Neg(operand):
            inner = constant(operand)
            return -inner if inner is not None else None
        case _:
            return None  # anything else is not a literal number


def above(value: Any, bound: Any, inclusive: bool) -> bool:
    return bool(value > bound or (inclusive and value == bound))


def below(value: Any, bound: Any, inclusive: bool) -> bool:
    return bool(value < bound or (inclusive and value == bound))


def field_of(item: Item, field: str | None, span: Span) -> str:
    from ..plan.compile_expr import Faulted

    for key, value in item.origin.details:
        if key == field:
            return value
    raise Faulted(Failure.of("E613", None, span, finding=item.text, field=str(field)))


def typed(value: object) -> Decimal | str:
    """A value for a failure's typed arguments: a `Decimal` as it is, anything else (an exact
    fraction, a date) as a failure prints it."""
    return value if isinstance(value, Decimal) else _plain(value)


def clause_cap(
    lines: list[RawLine],
    taken: Decimal,
    cap: Decimal,
    span: Span,
    label: str | None = None,
    checked: bool = True,
) -> Decimal:
    """扣完N分为止 within one clause: give back what the clause took (`-taken`) beyond its `max`;
    returns the points given back. `checked` (the decimal path): a hair past the cap after
    rounding is decided exactly."""
    if -taken > cap:
        if checked:
            hair_past(-taken, cap)
        back = -taken - cap
        lines.append((LineKind.CLAUSE_CAP, back, span, label, (), (cap,), None))
        return back
    return ZERO


def exact_text(value: Decimal) -> str:
    """An exact decimal without exponent or trailing zeros (as `render.explain.plain`), for the
    labels of coverage items."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")
