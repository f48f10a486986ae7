"""`jixiao diff`: what a revision of a pack changes, in its structure and in scores.

`structure(old, new)` compares two checked programs (not their text: layout, comments and the
order of declarations do not count) and returns `Change`s, each with its span in the old file,
the new file or both: indicators added, removed, moved, recoded, renamed or re-weighted; rules
added, removed or of another form; within a rule, the smallest parts that differ (a band edge, a
threshold, an amount), so a moved threshold is shown as that number in both files; grade bands,
pack settings, facts (type, unit, default, domain), parameters, derived facts, functions, bonus
and penalty sections and vetoes.

Indicators are matched by code first; an indicator whose code is in one pack only is then
matched by name, when exactly one unmatched indicator of the other pack has that name (a code
renumbered). A matched pair whose parents do not match is moved.

`impact_one` scores one evidence file with both packs (`diff_batch` a portfolio).
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from jixiao.dsl import ast
from jixiao.dsl.record import Record
from jixiao.dsl.source import Span

from ..common.ir import Extra, Fact, Indicator, Program
from ..common.types import Kind
from ..forms import form_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from ..common.result import IndicatorResult, Result
    from ..plan.compiler import Plan


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the packs: `kind` is added, removed or changed; `what` names the
    part (indicator, rule, band, threshold, fact, …); `message` says it in one line."""

    kind: str
    what: str
    subject: str  # the indicator code, fact or setting it belongs to
    message: str
    old: Span | None
    new: Span | None


# ----- matching ---------------------------------------------------------------------------------


def match_indicators(old: Program, new: Program) -> dict[str, str]:
    """Old code → new code of the indicators both packs have: by code, then by a name that
    only one unmatched indicator on each side has."""
    new_codes = {i.code for i in new.indicators}
    pairs = {i.code: i.code for i in old.indicators if i.code in new_codes}
    taken = set(pairs.values())
    left = [i for i in old.indicators if i.code not in pairs]
    right = [i for i in new.indicators if i.code not in taken]
    olds = collections.Counter(i.name for i in left)
    news: dict[str, list[str]] = {}
    for i in right:
        news.setdefault(i.name, []).append(i.code)
    for ind in left:
        found = news.get(ind.name, [])
        if olds[ind.name] == 1 and len(found) == 1:
            pairs[ind.code] = found[0]
    return pairs


# ----- the structure ----------------------------------------------------------------------------


def structure(old: Program, new: Program, old_pack: ast.Pack, new_pack: ast.Pack) -> list[Change]:
    """Every change from `old` to `new`, in the new pack's order (removals where they were)."""
    out: list[Change] = []
    out += _settings(old_pack, new_pack)
    out += _facts(old.facts, new.facts, _declared(old_pack), _declared(new_pack))
    out += _derived(old, new)
    out += _functions(old_pack, new_pack)
    out += _indicators(old, new, _written(old_pack), _written(new_pack))
    out += _extras(
        old.extras,
        new.extras,
        {e.code.text: e for e in old_pack.extras},
        {e.code.text: e for e in new_pack.extras},
    )
    out += _vetoes(old.vetoes, new.vetoes)
    return _folded(out)


def _folded(changes: list[Change]) -> list[Change]:
    """One change per place: a function's rule changed once is the same change in every
    indicator that calls it; the first (the function's own) says where else it shows."""
    first: dict[tuple[object, ...], int] = {}
    also: dict[int, list[str]] = {}
    out: list[Change] = []
    for c in changes:
        key = (c.what, *_key(c.old), *_key(c.new))
        if (c.old is None and c.new is None) or key not in first:
            first[key] = len(out)
            out.append(c)
        else:
            also.setdefault(first[key], []).append(c.subject)
    for i, subjects in also.items():
        c = out[i]
        names = ", ".join(f"`{s}`" for s in dict.fromkeys(subjects))
        out[i] = dataclasses.replace(c, message=f"{c.message} (also in {names})")
    return out


def _key(span: Span | None) -> tuple[object, ...]:
    return (None,) if span is None else (span.source.path, span.start, span.end)


def _text(span: Span | None) -> str:
    if span is None:
        return ""
    text = " ".join(span.source.text[span.start : span.end].split())
    return text if len(text) <= 60 else text[:57] + "…"


def _header_settings(pack: ast.Pack) -> dict[str, ast.Setting]:
    return {s.key: s for h in pack.headers for s in h.settings}


def _settings(old: ast.Pack, new: ast.Pack) -> Iterator[Change]:
    if old.headers and new.headers and old.headers[0].title != new.headers[0].title:
        t, u = old.headers[0].title, new.headers[0].title
        yield Change("changed", "title", "pack", "pack title changed", t.span, u.span)
    was, now = _header_settings(old), _header_settings(new)
    for key in [*now, *(k for k in was if k not in now)]:
        a, b = was.get(key), now.get(key)
        if a is not None and b is not None and a == b:
            continue
        if key == "grades" and a is not None and b is not None:
            yield from _grades(a, b)
            continue
        kind = "added" if a is None else "removed" if b is None else "changed"
        where = f"setting `{key}`"
        if kind == "changed":
            was_text, now_text = _text(a.span if a else None), _text(b.span if b else None)
            message = f"{where} changed: `{was_text}` → `{now_text}`"
        else:
            message = f"{where} {kind}"
        yield Change(kind, "setting", key, message, a.span if a else None, b.span if b else None)


def _grades(a: ast.Setting, b: ast.Setting) -> Iterator[Change]:
    was = {g.label.text: g for g in a.value}  # type: ignore[union-attr]
    now = {g.label.text: g for g in b.value}  # type: ignore[union-attr]
    for label in [*now, *(k for k in was if k not in now)]:
        g, h = was.get(label), now.get(label)
        if g is not None and h is not None:
            if g == h:
                continue
            message = f"grade band `{label}` moved: `{_text(g.span)}` → `{_text(h.span)}`"
            yield Change("changed", "grade", label, message, g.span, h.span)
        elif h is not None:
            yield Change("added", "grade", label, f"grade band `{label}` added", None, h.span)
        elif g is not None:
            yield Change("removed", "grade", label, f"grade band `{label}` removed", g.span, None)
    if [g.label.text for g in a.value] != [g.label.text for g in b.value]:  # type: ignore[union-attr]
        yield Change("changed", "grade", "grades", "grade bands reordered", a.span, b.span)


def _value(kind: Kind, value: object) -> str:
    if value is None:
        return "none"
    if kind is Kind.PERCENT and isinstance(value, Decimal):
        return format((value * 100).normalize(), "f") + "%"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


#: The parts of a fact compared, and how a change of each is named.
_FACT_PARTS = (
    ("kind", "type"),
    ("unit", "unit"),
    ("default", "default"),
    ("min", "min"),
    ("max", "max"),
    ("choices", "choices"),
    ("nonzero", "nonzero"),
    ("shared", "shared"),
    ("label", "label"),
    ("survey", "survey"),
    ("aggregate", "aggregate"),
)


def _declared(pack: ast.Pack) -> dict[str, ast.FactDecl | ast.ParamDecl]:
    """The facts and parameters of a pack's own file as written, by name."""
    out: dict[str, ast.FactDecl | ast.ParamDecl] = {d.name.text: d for d in pack.facts}
    out.update({d.name.text: d for d in pack.params})
    return out


def _part_span(decl: ast.FactDecl | ast.ParamDecl | None, attr: str, fallback: Span) -> Span:
    """Where a fact's changed part is written (its default, unit, min or max), else its name."""
    part = getattr(decl, {"kind": "type"}.get(attr, attr), None)
    span = _span(part)
    return span if span is not None else fallback


def _facts(
    old: dict[str, Fact],
    new: dict[str, Fact],
    old_decls: dict[str, ast.FactDecl | ast.ParamDecl],
    new_decls: dict[str, ast.FactDecl | ast.ParamDecl],
) -> Iterator[Change]:
    for name in [*new, *(n for n in old if n not in new)]:
        a, b = old.get(name), new.get(name)
        noun = "parameter" if (b or a) and (b or a).is_param else "fact"  # type: ignore[union-attr]
        if a is None and b is not None:
            yield Change("added", noun, name, f"{noun} `{name}` added", None, b.span)
        elif b is None and a is not None:
            yield Change("removed", noun, name, f"{noun} `{name}` removed", a.span, None)
        elif a is not None and b is not None and a != b:
            parts = []
            changed = []
            if a.is_param != b.is_param:
                parts.append("now a parameter" if b.is_param else "now a fact")
            for attr, word in _FACT_PARTS:
                x, y = getattr(a, attr), getattr(b, attr)
                if x != y:
                    changed.append(attr)
                    if attr == "aggregate":  # the lines shown say how
                        parts.append("its questionnaire aggregate")
                        continue
                    if attr == "kind":
                        x, y = str(x), str(y)
                    else:
                        x, y = _value(a.kind, x), _value(b.kind, y)
                    parts.append(f"{word} `{x}` → `{y}`")
            if parts:
                message = f"{noun} `{name}` changed: " + ", ".join(parts)
                x_span, y_span = a.span, b.span
                if len(changed) == 1 and a.is_param == b.is_param:  # point at that part
                    x_span = _part_span(old_decls.get(name), changed[0], a.span)
                    y_span = _part_span(new_decls.get(name), changed[0], b.span)
                yield Change("changed", noun, name, message, x_span, y_span)


def _derived(old: Program, new: Program) -> Iterator[Change]:
    for name in [*new.derived, *(n for n in old.derived if n not in new.derived)]:
        a, b = old.derived.get(name), new.derived.get(name)
        if a is None and b is not None:
            yield Change("added", "derived", name, f"derived fact `{name}` added", None, b.span)
        elif b is None and a is not None:
            yield Change("removed", "derived", name, f"derived fact `{name}` removed", a.span, None)
        elif a is not None and b is not None:
            if a.kind != b.kind:
                message = f"derived fact `{name}` changed: type `{a.kind}` → `{b.kind}`"
                yield Change("changed", "derived", name, message, a.span, b.span)
            where = f"derived fact `{name}`"
            for c in _node_changes(a.expr, b.expr, "derived", name, where):
                # an expression's parts are not a rule's: the change is the derived fact's
                message = c.message.replace("rule of derived", "expression of derived", 1)
                yield dataclasses.replace(c, what="derived", message=message)


def _functions(old: ast.Pack, new: ast.Pack) -> Iterator[Change]:
    """Functions of the packs' own files (their calls are expanded into the indicators, which
    show the same change where it is used)."""
    was = {f.name.text: f for f in old.functions}
    now = {f.name.text: f for f in new.functions}
    for name in [*now, *(n for n in was if n not in now)]:
        a, b = was.get(name), now.get(name)
        where = f"function `{name}`"
        if a is None and b is not None:
            yield Change("added", "function", name, f"{where} added", None, b.name.span)
        elif b is None and a is not None:
            yield Change("removed", "function", name, f"{where} removed", a.name.span, None)
        elif a is not None and b is not None and a != b:
            if a.params != b.params:
                message = f"{where} changed its parameters"
                yield Change("changed", "function", name, message, a.name.span, b.name.span)
            yield from _rules(a.rules, b.rules, "function", name, where)


def _written(pack: ast.Pack) -> dict[str, ast.Indicator]:
    """The indicators of a pack's own file as written, by code (for the spans of their parts;
    an imported indicator has none here)."""
    out: dict[str, ast.Indicator] = {}
    todo = list(pack.indicators)
    while todo:
        ind = todo.pop()
        out[ind.code.text] = ind
        todo += ind.children
    return out


def _indicators(
    old: Program, new: Program, old_ast: dict[str, ast.Indicator], new_ast: dict[str, ast.Indicator]
) -> Iterator[Change]:
    pairs = match_indicators(old, new)
    back = {b: a for a, b in pairs.items()}
    was = {i.code: i for i in old.indicators}
    removed = [i for i in old.indicators if i.code not in pairs]
    for b in new.indicators:
        code = back.get(b.code)
        a = was.get(code) if code is not None else None
        if a is None:
            message = (
                f"indicator `{b.code}` {b.name} added ({_value(Kind.NUMBER, b.weight)} points)"
            )
            yield Change("added", "indicator", b.code, message, None, b.span)
            continue
        yield from _indicator(a, b, pairs, old_ast.get(a.code), new_ast.get(b.code))
    for a in removed:
        message = f"indicator `{a.code}` {a.name} removed ({_value(Kind.NUMBER, a.weight)} points)"
        yield Change("removed", "indicator", a.code, message, a.span, None)


def _indicator(
    a: Indicator,
    b: Indicator,
    pairs: dict[str, str],
    a_ast: ast.Indicator | None,
    b_ast: ast.Indicator | None,
) -> Iterator[Change]:
    where = f"indicator `{b.code}`"
    head_a, head_b = _head(a.span), _head(b.span)
    if a.code != b.code:
        message = f"indicator `{a.code}` {a.name} is now `{b.code}`"
        yield Change("changed", "recoded", b.code, message, head_a, head_b)
    if a.name != b.name:
        message = f"{where} renamed: {a.name} → {b.name}"
        yield Change(
            "changed",
            "renamed",
            b.code,
            message,
            a_ast.name.span if a_ast else head_a,
            b_ast.name.span if b_ast else head_b,
        )
    parent = pairs.get(a.parent) if a.parent is not None else None
    if parent != b.parent:
        was = f"under `{a.parent}`" if a.parent else "at the top"
        now = f"under `{b.parent}`" if b.parent else "to the top"
        message = f"{where} moved from {was} {now}".replace("from at the top", "from the top")
        yield Change("changed", "moved", b.code, message, head_a, head_b)
    if a.weight != b.weight:
        x, y = _value(Kind.NUMBER, a.weight), _value(Kind.NUMBER, b.weight)
        message = f"{where} re-weighted: {x} → {y} points"
        yield Change(
            "changed",
            "weight",
            b.code,
            message,
            a_ast.weight.span if a_ast else head_a,
            b_ast.weight.span if b_ast else head_b,
        )
    if a.scale != b.scale:
        x, y = _value(Kind.NUMBER, a.scale), _value(Kind.NUMBER, b.scale)
        message = f"{where} scale changed: `of {x}` → `of {y}`"
        yield Change("changed", "scale", b.code, message, head_a, head_b)
    if a.na_policy != b.na_policy:
        message = f"{where} not-applicable policy changed: `{a.na_policy}` → `{b.na_policy}`"
        yield Change("changed", "rule", b.code, message, head_a, head_b)
    yield from _rules(a.rules, b.rules, "indicator", b.code, where)


def _head(span: Span) -> Span:
    """An indicator's first line: its code, name and weight, not its whole body."""
    text = span.source.text
    end = text.find("{", span.start, span.end)
    line_end = text.find("\n", span.start, span.end)
    stops = [e for e in (end, line_end) if e != -1]
    stop = min(stops) if stops else span.end
    while stop > span.start and text[stop - 1] in " \t":
        stop -= 1
    return Span(span.source, span.start, stop)


def _extras(
    old: tuple[Extra, ...],
    new: tuple[Extra, ...],
    old_ast: dict[str, ast.Extra],
    new_ast: dict[str, ast.Extra],
) -> Iterator[Change]:
    was = {e.code: e for e in old}
    now = {e.code: e for e in new}
    for code in [*now, *(c for c in was if c not in now)]:
        a, b = was.get(code), now.get(code)
        if a is None and b is not None:
            message = f"{b.kind} section `{code}` {b.name} added"
            yield Change("added", b.kind, code, message, None, _head(b.span))
        elif b is None and a is not None:
            message = f"{a.kind} section `{code}` {a.name} removed"
            yield Change("removed", a.kind, code, message, _head(a.span), None)
        elif a is not None and b is not None and a != b:
            where = f"{b.kind} section `{code}`"
            x, y = old_ast.get(code), new_ast.get(code)
            parts = [
                f"{word} `{p}` → `{q}`"
                for word, p, q in (
                    ("kind", a.kind, b.kind),
                    ("name", a.name, b.name),
                    ("max", _value(Kind.NUMBER, a.max), _value(Kind.NUMBER, b.max)),
                    ("highest", a.highest, b.highest),
                )
                if p != q
            ]
            if parts:
                only_max = len(parts) == 1 and a.max != b.max and x is not None and y is not None
                yield Change(
                    "changed",
                    b.kind,
                    code,
                    f"{where} changed: " + ", ".join(parts),
                    x.max.span if only_max and x else _head(a.span),
                    y.max.span if only_max and y else _head(b.span),
                )
            yield from _rules(a.rules, b.rules, b.kind, code, where)


def _vetoes(old: tuple[ast.Veto, ...], new: tuple[ast.Veto, ...]) -> Iterator[Change]:
    for c in _sequence(old, new, "veto", "veto", "the pack"):
        message = c.message.replace("veto of the pack", "veto").replace("rule of veto", "veto")
        yield dataclasses.replace(c, what="veto", message=message)


def _rules(
    old: tuple[ast.Clause, ...], new: tuple[ast.Clause, ...], what: str, subject: str, where: str
) -> Iterator[Change]:
    yield from _sequence(old, new, what, subject, where)


def _sequence(
    old: Sequence[object],
    new: Sequence[object],
    what: str,
    subject: str,
    where: str,
) -> Iterator[Change]:
    """Rules (or vetoes) added, removed or changed, aligned by equality as `difflib` aligns
    lines; a rule replaced by one of the same form is compared part by part."""
    if old == new:
        return
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    noun = "veto" if what == "veto" else "rule"
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for k in range(paired):
            yield from _node_changes(
                old[i1 + k], new[j1 + k], what, subject, "veto" if what == "veto" else where
            )
        for a in old[i1 + paired : i2]:
            message = f"{noun} of {where} removed: `{_text(_span(a))}`"
            yield Change("removed", noun, subject, message, _span(a), None)
        for b in new[j1 + paired : j2]:
            message = f"{noun} of {where} added: `{_text(_span(b))}`"
            yield Change("added", noun, subject, message, None, _span(b))


def _span(node: object) -> Span | None:
    span = getattr(node, "span", None)
    return span if isinstance(span, Span) else None


def _form(node: object) -> str:
    try:
        return form_of(node).name  # type: ignore[arg-type]
    except KeyError:
        return type(node).__name__.lower()


#: How many differing parts of one rule are listed before the rule is shown whole.
PARTS_SHOWN = 3


def _node_changes(a: object, b: object, what: str, subject: str, where: str) -> Iterator[Change]:
    """The smallest differing parts of two versions of a rule (or expression), each named by
    what it is in the rule: a band edge, a threshold, an amount."""
    if a == b:
        return
    if type(a) is not type(b) and isinstance(a, ast.BASE_RULES + ast.DEDUCTIONS):
        message = f"rule form of {where} changed: `{_form(a)}` → `{_form(b)}`"
        yield Change("changed", "form", subject, message, _span(a), _span(b))
        return
    parts = list(_differing(a, b, ()))
    if not parts or len(parts) > PARTS_SHOWN or any(_span(x) is None for x, _, _ in parts):
        parts = [(a, b, ())]
    for x, y, path in parts:
        part = _part_name(path, x)
        was, now = _text(_span(x)), _text(_span(y))
        message = f"{part} of {where} changed: `{was}` → `{now}`"
        if was == now:  # the checker made it differ: a unit conversion, a parameter's value …
            message = (
                f"{part} of {where} is written the same but checked differently: `{now}` (a "
                "unit, type or value it depends on changed)"
            )
        yield Change("changed", _part_kind(path, x), subject, message, _span(x), _span(y))


def _differing(
    a: object, b: object, path: tuple[str, ...]
) -> Iterator[tuple[object, object, tuple[str, ...]]]:
    """Pairs of the smallest records that differ, with the field names leading to them."""
    if type(a) is not type(b) or not isinstance(a, Record):
        yield a, b, path
        return
    for name in a._compared:
        x, y = getattr(a, name), getattr(b, name)
        if x == y:
            continue
        if isinstance(x, Record) and isinstance(y, Record):
            if type(x) is not type(y):  # `0` → `5%`: the part itself, if it has a place
                if _span(x) is not None and _span(y) is not None:
                    yield x, y, (*path, name)
                    continue
                yield a, b, path
                return
            inner = list(_differing(x, y, (*path, name)))
            if all(_span(p) is not None for p, _, _ in inner):
                yield from inner
                continue
        elif isinstance(x, tuple) and isinstance(y, tuple) and len(x) == len(y):
            inner = []
            for i, (p, q) in enumerate(zip(x, y, strict=True)):
                if p != q:
                    inner += list(_differing(p, q, (*path, name, str(i))))
            if all(_span(p) is not None for p, _, _ in inner):
                yield from inner
                continue
        yield a, b, path  # a plain value (a number, a word) or a list of another length
        return


#: What a differing part is called, by the field of the rule it stands in (the nearest wins).
_PARTS = {
    "cond": "threshold",
    "lower": "band edge",
    "upper": "band edge",
    "interval": "band edge",
    "amount": "award",
    "award": "award",
    "then": "award",
    "otherwise": "award",
    "base": "award",
    "step": "step",
    "max": "cap",
    "target": "target",
    "rate": "subject",
    "subject": "subject",
    "actual": "subject",
    "shortfall": "subject",
    "reason": "reason",
    "args": "argument",
}


def _part_name(path: tuple[str, ...], node: object) -> str:
    kind = _part_kind(path, node)
    return kind if kind != "band" else "band edge"


def _part_kind(path: tuple[str, ...], node: object) -> str:
    """band, threshold, award, step, cap, target, subject, reason, argument or rule."""
    if isinstance(node, (ast.Full, ast.Points, ast.Share, ast.AwardExpr)):
        return "award"
    for name in reversed(path):
        if name in ("lower", "upper", "interval"):
            return "band"
        if name == "cond":
            return "threshold" if isinstance(node, (ast.Number, ast.Percent)) else "condition"
    for name in reversed(path):
        if name in _PARTS:
            return _PARTS[name]
    return "rule"


# ----- score impact -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moved:
    """One indicator's points under both packs (None: not in that pack, or not scored)."""

    code: str  # the new pack's code (the old one's for a removed indicator)
    old_code: str | None
    name: str
    old: Decimal | None
    new: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        return delta_of(self.old, self.new)


def delta_of(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    if old is None and new is None:
        return None
    return (new or Decimal(0)) - (old or Decimal(0))


@dataclass(frozen=True, slots=True)
class OneImpact:
    old: Result
    new: Result
    rows: tuple[Moved, ...]

    @property
    def changed(self) -> bool:
        return (
            self.old.total != self.new.total
            or self.old.grade != self.new.grade
            or any(r.old != r.new for r in self.rows)
        )


def indicator_rows(old: Program, new: Program) -> list[tuple[str, str | None, str]]:
    """(new code, old code, name) of every indicator, the new pack's order, removed ones last;
    a removed indicator's own code stands in the first place."""
    pairs = match_indicators(old, new)
    back = {b: a for a, b in pairs.items()}
    rows: list[tuple[str, str | None, str]] = [
        (i.code, back.get(i.code), i.name) for i in new.indicators
    ]
    rows += [(i.code, i.code, i.name) for i in old.indicators if i.code not in pairs]
    return rows


def impact_one(old_plan: Plan, new_plan: Plan, evidence: str | Path) -> OneImpact:
    from .. import run

    old, new = run(old_plan, evidence), run(new_plan, evidence)
    was = {i.code: i.points for i in old.indicators}
    now = {i.code: i.points for i in new.indicators}
    rows = tuple(
        Moved(code, old_code, name, was.get(old_code) if old_code else None, now.get(code))
        for code, old_code, name in indicator_rows(old_plan.program, new_plan.program)
    )
    return OneImpact(old, new, rows)


def ledger_of(result: Result, code: str | None) -> IndicatorResult | None:
    if code is None:
        return None
    return next((i for i in result.indicators if i.code == code), None)
