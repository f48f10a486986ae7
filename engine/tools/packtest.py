"""`jixiao test`: example cases that assert points, with scoring coverage and band edges.

A test file (`PACK.test.yaml` beside the pack) holds a base evidence file and cases; each case
overrides facts of the base (or names its own evidence file) and expects any of the total, the
grade, indicators' points and indicators' ledger lines. A failing case shows expected and got,
with the ledger of the indicator, so the author sees why.

Coverage counts, per leaf, the clauses, bands, levels and branches the cases exercised — each
`full when` held and not held, each band and level, each deduction fired, the floor (扣完为止) and
the cap reached, the missing-evidence path — and the band edges tested on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from jixiao.dsl import ast
from jixiao.dsl.diagnostics import Diagnostic, error
from jixiao.dsl.source import DecodeError, decode

from .. import score
from ..common.ir import Indicator
from ..common.result import IndicatorResult, Line, LineKind, Result
from ..forms import LINES, all_rules, form_of, named
from ..plan.compiler import Plan
from ..render.explain import plain, signed
from ..runtime.evaluator import evaluate
from ..runtime.evidence import SAFE_LOADER, Evidence, load_bytes
from ..runtime.files import MAX_TEXT_BYTES, FileRefused, read_given

# ----- the suite --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    evidence: Path | None
    facts: dict[str, Any]
    params: dict[str, Any]
    total: str | None
    grade: str | None
    points: dict[str, str]
    lines: dict[str, list[str]]
    omit: tuple[str, ...] = ()  # facts of the base evidence this case leaves out
    # The errors the case expects: (code, fact or None) — `E603`, or `{code: E603, fact: 名称}`
    # for an error about one fact. Evidence errors and evaluation errors alike.
    errors: tuple[tuple[str, str | None], ...] | None = None


@dataclass(frozen=True, slots=True)
class Suite:
    path: Path
    evidence: Path | None
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Mismatch:
    what: str
    expected: str
    got: str
    code: str | None = None  # the indicator whose ledger explains it


@dataclass
class CaseOutcome:
    case: Case
    result: Result | None
    mismatches: list[Mismatch] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches and not self.errors


class SuiteError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.diagnostic = error("E701", message, help="see the test-file format in the README")


def _text(value: Any) -> str:
    return str(value).strip()


def load_suite(path: Path) -> Suite:
    try:
        text, _ = decode(read_given(str(path), MAX_TEXT_BYTES, "MAX_TEXT_BYTES"))
        data = yaml.load(text, Loader=SAFE_LOADER)
    except (FileRefused, DecodeError) as exc:  # the reason in words, never `[Errno 2]`
        raise SuiteError(f"cannot read test file {path}: {exc}") from None
    except RecursionError:
        raise SuiteError(f"the test file {path} is nested too deeply to read") from None
    except yaml.YAMLError as exc:
        raise SuiteError(f"the test file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise SuiteError(f"the test file {path} needs a `cases:` list")
    base = path.parent / str(data["evidence"]) if data.get("evidence") else None
    cases = []
    for i, raw in enumerate(data["cases"], 1):
        if not isinstance(raw, dict):
            raise SuiteError(f"case {i} of {path} is not a mapping")
        expect = raw.get("expect") or {}
        if not isinstance(expect, dict):
            raise SuiteError(f"`expect` of case {i} of {path} is not a mapping")
        lines = expect.get("lines") or {}
        for key, part in (("facts", raw.get("facts")), ("params", raw.get("params"))):
            if part is not None and not isinstance(part, dict):
                raise SuiteError(
                    f"`{key}` of case {i} of {path} is not a mapping of names to values"
                )
        if not isinstance(lines, dict) or not isinstance(expect.get("points") or {}, dict):
            raise SuiteError(f"`lines` and `points` of case {i} of {path} map indicators to values")
        cases.append(
            Case(
                name=_text(raw.get("name") or f"case {i}"),
                evidence=path.parent / str(raw["evidence"]) if raw.get("evidence") else None,
                facts=dict(raw.get("facts") or {}),
                params=dict(raw.get("params") or {}),
                total=_text(expect["total"]) if "total" in expect else None,
                grade=_text(expect["grade"]) if "grade" in expect else None,
                points={_text(k): _text(v) for k, v in (expect.get("points") or {}).items()},
                lines={_text(k): [_text(x) for x in v] for k, v in lines.items()},
                omit=tuple(_text(x) for x in raw.get("omit") or ()),
                errors=_expected_errors(expect["errors"], i, path) if "errors" in expect else None,
            )
        )
    return Suite(path, base, tuple(cases))


def _expected_errors(raw: Any, i: int, path: Path) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(raw, list):
        raise SuiteError(f"`errors` of case {i} of {path} is a list of codes, e.g. [E603]")
    out: list[tuple[str, str | None]] = []
    for item in raw:
        if isinstance(item, dict) and set(item) <= {"code", "fact"} and "code" in item:
            fact = item.get("fact")
            out.append((_text(item["code"]), _text(fact) if fact is not None else None))
        elif isinstance(item, str | int) and not isinstance(item, bool):
            out.append((_text(item), None))
        else:
            raise SuiteError(
                f"an entry of `errors` of case {i} of {path} is a code (`E603`) or "
                "`{code: E603, fact: 名称}`"
            )
    return tuple(out)


def _check_errors(outcome: CaseOutcome, errors: list[Diagnostic]) -> None:
    """Compare the errors a case expects with those it got; without an expectation, any error
    fails the case. An expected fact matches an error whose message names it."""
    expected = outcome.case.errors
    if expected is None:
        outcome.errors = errors
        return

    def matches(d: Diagnostic, code: str, fact: str | None) -> bool:
        return d.code == code and (fact is None or f"`{fact}`" in d.message)

    unmatched = [d for d in errors if not any(matches(d, c, f) for c, f in expected)]
    missing = [(c, f) for c, f in expected if not any(matches(d, c, f) for d in errors)]
    if unmatched or missing:
        want = sorted({c if f is None else f"{c} ({f})" for c, f in expected})
        got = sorted({d.code for d in errors})
        outcome.mismatches.append(Mismatch("errors", ", ".join(want), ", ".join(got) or "none"))


def case_evidence(plan: Plan, suite: Suite, case: Case) -> tuple[Evidence | None, list[Diagnostic]]:
    """The case's evidence: its own file, or the suite's base with the case's overrides."""
    path = case.evidence or suite.evidence
    document: dict[str, Any] = {"facts": {}, "params": {}}
    name = f"{suite.path} [{case.name}]"
    if path is not None:
        try:
            data = read_given(str(path), MAX_TEXT_BYTES, "MAX_TEXT_BYTES")
            base = yaml.load(decode(data)[0], Loader=SAFE_LOADER) or {}
        except RecursionError:
            return None, [error("E701", f"the evidence of `{case.name}` is nested too deeply")]
        except (FileRefused, DecodeError, yaml.YAMLError) as exc:
            return None, [
                error("E701", f"cannot read the evidence `{path}` of `{case.name}`: {exc}")
            ]
        sections = (
            (base.get("facts") or {}, base.get("params") or {}) if isinstance(base, dict) else ()
        )
        if not all(isinstance(part, dict) for part in sections) or not sections:
            return None, [
                error(
                    "E701",
                    f"the evidence of `{case.name}` is not a mapping of `facts:` and `params:`",
                )
            ]
        document["facts"].update(sections[0])
        document["params"].update(sections[1])
        name = str(path) if not (case.facts or case.params or case.omit) else name
    for fact in case.omit:
        document["facts"].pop(fact, None)
    document["facts"].update(case.facts)
    document["params"].update(case.params)
    if not document["params"]:
        del document["params"]
    data = yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode("utf-8")
    return load_bytes(data, name, plan.program)


def line_text(line: Line) -> str:
    """A ledger line as a test expects it: `-0.5 绩效指标未量化：视频会议保障情况`."""
    return f"{signed(line.points)} {line.reason or line.kind.value}"


def run_case(plan: Plan, suite: Suite, case: Case) -> CaseOutcome:
    evidence, diags = case_evidence(plan, suite, case)
    if any(d.code == "E701" for d in diags):  # the test file itself: never an expectation
        return CaseOutcome(case, None, errors=[d for d in diags if d.is_error])
    if evidence is None:
        outcome = CaseOutcome(case, None)
        _check_errors(outcome, [d for d in diags if d.is_error])
        return outcome
    result = score(plan, evidence, diags)
    outcome = CaseOutcome(case, result)
    places = plan.program.settings.places
    by_code = {i.code: i for i in result.indicators}

    def same(expected: str, got: Decimal | None) -> bool:
        try:
            return got is not None and Decimal(expected) == got
        except InvalidOperation:
            return False

    if case.total is not None and not same(case.total, result.total):
        outcome.mismatches.append(Mismatch("total", case.total, _fixed(result.total, places)))
    if case.grade is not None and case.grade != (result.grade or ""):
        outcome.mismatches.append(Mismatch("grade", case.grade, result.grade or "—"))
    for code, expected in case.points.items():
        ind = by_code.get(code)
        if ind is None:
            outcome.mismatches.append(
                Mismatch(f"points of `{code}`", expected, "no such indicator")
            )
        elif not same(expected, ind.points):
            outcome.mismatches.append(
                Mismatch(f"points of `{code}`", expected, _fixed(ind.points, places), code)
            )
    for code, expected_lines in case.lines.items():
        ind = by_code.get(code)
        if ind is None:
            outcome.mismatches.append(
                Mismatch(f"lines of `{code}`", "\n".join(expected_lines), "no such indicator")
            )
            continue
        got = [line_text(ln) for ln in ind.lines if ln.kind is not LineKind.BASE]
        if got != expected_lines:
            outcome.mismatches.append(
                Mismatch(f"lines of `{code}`", "\n".join(expected_lines), "\n".join(got), code)
            )
    _check_errors(outcome, [d for d in result.diagnostics if d.is_error])
    return outcome


def _fixed(value: Decimal | None, places: int) -> str:
    if value is None:
        return "—"
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


# ----- coverage ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    key: tuple[str, int]  # (what, span start)
    label: str


def coverage_items(ind: Indicator, derived: Mapping[str, Any] | None = None) -> list[Item]:
    """What a leaf's cases should exercise: each rule's own items (its form's `coverage`), both
    outcomes of each aggregate's `where` its rules take (directly or through the derived facts
    in `derived`): a record left out, and every record taken; the floor when the deductions
    can take more than the weight, and missing evidence."""
    items: list[Item] = []

    def add(what: str, node: Any, label: str) -> None:
        start = (node if node is not None else ind).span.start  # None: the indicator's
        items.append(Item((what, start), label))

    def nested(rule: ast.Clause) -> None:
        form_of(rule).coverage(rule, add, nested, False)

    deducted: Decimal | None = Decimal(0)  # the most the deductions take; None: unbounded
    for rule in ind.rules:
        form = form_of(rule)
        form.coverage(rule, add, nested, True)
        worst = form.worst(rule, ind.weight)
        deducted = None if worst is None or deducted is None else deducted + worst
    items.extend(_aggregate_items(ind, derived or {}))
    if deducted is None or deducted > ind.weight:
        items.append(Item(("floor", ind.span.start), "deductions reach 0 (扣完为止)"))
    items.append(Item(("missing", ind.span.start), "missing evidence reported"))
    return items


def _aggregate_items(ind: Indicator, derived: Mapping[str, Any]) -> Iterator[Item]:
    """`where` of an aggregate (`all(培训 where 参训率 >= 90%)`) decides which records count: a
    case should see it leave a record out, and one should see it take them all (the ledger's
    aggregate line says which; see `forms.steps`)."""
    from jixiao.dsl.formatter import format_expr

    from ..forms import rule_exprs
    from ..plan.aggregate import aggregates_in

    exprs = [e for rule in ind.rules for e in rule_exprs(rule)]
    for node in aggregates_in(exprs, derived):
        if node.where is None:
            continue
        text = format_expr(node)
        yield Item(("aggregate:left", node.span.start), f"`{text}` leaves a record out")
        yield Item(("aggregate:all", node.span.start), f"`{text}` takes every record")


def covered_keys(ind: IndicatorResult) -> Iterator[tuple[str, int]]:
    if ind.failures:
        if any(f.code == "E605" for f in ind.failures):
            yield ("missing", ind.span.start)
        return
    for line in ind.lines:
        covers = LINES[line.kind].covers
        key = covers(named(line)) if covers is not None else None
        if key is None:
            continue
        # the floor and the cap are the indicator's own, whichever clause they follow
        where = ind.span if line.kind in (LineKind.FLOOR, LineKind.CAP) else line.span
        yield (key, where.start)


def _rule_start(plan: Plan, code: str, at: int) -> int:
    """The start of the innermost rule of indicator `code` whose text holds the place `at` (a
    line's clause: a tier's band lies inside its `tiers`, which may lie inside a `choose`)."""
    best = -1
    for ind in plan.program.indicators:
        if ind.code != code:
            continue
        for rule in all_rules(ind.rules):
            if rule.span.start <= at < rule.span.end and rule.span.start > best:
                best = rule.span.start
    return best


@dataclass(frozen=True, slots=True)
class Coverage:
    rows: tuple[tuple[str, int, int, tuple[str, ...]], ...]  # code, covered, total, missed

    @property
    def percent(self) -> Decimal:
        total = sum(r[2] for r in self.rows)
        covered = sum(r[1] for r in self.rows)
        return (Decimal(covered) * 100 / total).quantize(Decimal("0.1")) if total else Decimal(100)


def coverage(plan: Plan, outcomes: list[CaseOutcome]) -> Coverage:
    hit: set[tuple[str, tuple[str, int]]] = set()
    # (indicator, rule) → the values of the first fact its lines read: which sides of the rule's
    # bounds (its `edge:` items, see the forms' `coverage`) the cases reached
    seen: dict[tuple[str, int], set[Decimal]] = {}
    for outcome in outcomes:
        if outcome.result is None:
            continue
        for scored in outcome.result.indicators:
            if scored.is_leaf:
                hit.update((scored.code, key) for key in covered_keys(scored))
                for line in scored.lines:
                    if line.facts and isinstance(line.facts[0].value, Decimal):
                        rule = _rule_start(plan, scored.code, line.span.start)
                        seen.setdefault((scored.code, rule), set()).add(line.facts[0].value)
    for (code, rule), values in seen.items():
        for item in (
            i
            for ind in plan.program.indicators
            if ind.code == code
            for i in coverage_items(ind, plan.program.derived)
            if i.key[0].startswith("edge:") and i.key[1] == rule
        ):
            bound = Decimal(item.key[0].split(":", 1)[1])
            if any(v < bound for v in values) and any(v >= bound for v in values):
                hit.add((code, item.key))
    rows = []
    for ind in plan.program.indicators:
        if not ind.is_leaf:
            continue
        items = coverage_items(ind, plan.program.derived)
        missed = tuple(i.label for i in items if (ind.code, i.key) not in hit)
        rows.append((ind.code, len(items) - len(missed), len(items), missed))
    return Coverage(tuple(rows))


# ----- band edges -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edge:
    code: str
    subject: str
    kind: str
    bound: Decimal
    probes: tuple[tuple[Decimal, str], ...]  # value, points there


def thresholds(ind: Indicator) -> Iterator[tuple[str, Decimal]]:
    """(subject name, constant) for each bound a rule's score changes at (its form's
    `thresholds`: tier bounds, a `full when` comparison with a constant)."""
    for rule in all_rules(ind.rules):
        for subject, bound in form_of(rule).thresholds(rule):
            if isinstance(subject, ast.Name):
                yield subject.name, bound


def edges(plan: Plan, evidence: Evidence) -> list[Edge]:
    kinds = {n: f.kind.value for n, f in plan.program.facts.items()}
    kinds.update({n: d.kind.value for n, d in plan.program.derived.items()})
    out = []
    for ind in plan.program.indicators:
        seen = set()
        for name, bound in thresholds(ind):
            if (name, bound) in seen:
                continue
            seen.add((name, bound))
            step = (
                Decimal("0.0001")
                if kinds.get(name) == "percent"
                else (Decimal(1) if kinds.get(name) == "count" else Decimal("0.01"))
            )
            probes = []
            for value in (bound - step, bound, bound + step):
                if value < 0 and kinds.get(name) in ("count", "percent", "money"):
                    continue
                result = evaluate(plan, evidence, {name: value})
                points = next(i.points for i in result.indicators if i.code == ind.code)
                probes.append((value, plain(points) if points is not None else "—"))
            out.append(Edge(ind.code, name, kinds.get(name, ""), bound, tuple(probes)))
    return out


def default_suite_path(pack: Path) -> Path:
    return pack.with_name(pack.name.removesuffix(".jx") + ".test.yaml")
