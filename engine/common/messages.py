"""Every diagnostic the engine can emit, one constructor per kind.

Codes: E2xx names, E3xx types, E4xx weights and ranges, E5xx the dependency graph, E6xx
evidence and evaluation, W… warnings. Messages start lowercase, fit on one line and name things
in backticks; the fix goes into `help`. `docs/diagnostics.md` documents each code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from jixiao.dsl.diagnostics import Diagnostic, Fix, Label, Severity, error, warning
from jixiao.dsl.record import replace
from jixiao.dsl.source import Span

from .types import Kind

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from jixiao.dsl import ast

    from .result import Failure


def _suggest(word: str, candidates: Iterable[str]) -> str | None:
    pool = sorted(set(candidates))
    import difflib

    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.5)
    return f"did you mean `{close[0]}`?" if close else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """ "did you mean `x`?" for the closest candidate, for messages built outside this module."""
    return _suggest(word, candidates)


def _need(codes: Sequence[str]) -> str:
    """`indicator `A` needs it` / `indicators `A`, `B` need it` (a veto is named as such)."""
    names = ", ".join(f"`{c}`" for c in codes)
    if len(codes) == 1:
        return "a veto needs it" if codes[0] == "veto" else f"indicator {names} needs it"
    return f"indicators {names} need it"


def fmt(value: Decimal) -> str:
    """A decimal as an author would write it: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return text


# ----- E11x limits on what a pack expands to --------------------------------------------------


def _chain(names: Sequence[str], joiner: str = " → ") -> str:
    """`a` → `b` → `c`, the middle left out of a long chain."""
    shown = [f"`{n}`" for n in names]
    if len(shown) > 6:
        shown = [*shown[:3], f"… ({len(shown) - 5} more)", *shown[-2:]]
    return joiner.join(shown)


def call_chain_too_deep(chain: Sequence[str], limit: int, span: Span) -> Diagnostic:
    return error(
        "E111",
        f"function calls nested {len(chain)} deep: {_chain(chain)}; "
        f"the call depth limit is {limit}",
        Label(span, "the chain starts here"),
        help="a function may call a few others; write the rules of the innermost ones "
        "into their callers",
    )


def expansion_too_large(chain: Sequence[str], limit: int, span: Span) -> Diagnostic:
    return error(
        "E112",
        f"function calls expand to more than {limit} clauses and terms in this pack, "
        f"the last through {_chain(chain)}; the expansion limit is {limit}",
        Label(span, "expands too far"),
        help="every call copies the function's clauses, and an argument is copied wherever "
        "its parameter is used: a function that calls another twice, or uses a parameter "
        "twice in the argument of the next call, doubles at every level; call once, or give "
        "the repeated expression a name (`let 小计 = …`)",
    )


def expanded_too_deep(chain: Sequence[str], limit: int, span: Span) -> Diagnostic:
    return error(
        "E113",
        f"an expression nested more than {limit} levels deep once {_chain(chain)} are "
        f"expanded; the nesting limit is {limit}",
        Label(span, "too deep once expanded"),
        help="pass a derived fact (`let 小计 = …`) as the argument, not a long expression",
    )


def derived_too_deep(chain: Sequence[str], limit: int, span: Span) -> Diagnostic:
    return error(
        "E114",
        f"derived facts nested more than {limit} levels deep: {_chain(chain, ' reads ')}; "
        f"the derived depth limit is {limit}",
        Label(span, "the chain starts here"),
        help="each derived fact read inside another counts as a level, with the levels of "
        "its expression; compute intermediate totals from facts, not each from the one before",
    )


def import_not_found(written: str, looked: Sequence[str], span: Span) -> Diagnostic:
    where = ", ".join(looked)
    return error(
        "E116",
        f"cannot find the imported pack `{written}`",
        Label(span, "no such file"),
        help=f"looked in {where}; write the path relative to this file, or add the template's "
        "folder with `--import-path DIR` (or the JIXIAO_PATH environment variable)",
    )


def import_refused(written: str, why: str, span: Span) -> Diagnostic:
    if why == "not_pack":
        return error(
            "E117",
            f"`{written}` is not a pack file",
            Label(span, "only `.jx` files are imported"),
            help="import a rule pack or template ending in `.jx`",
        )
    return error(
        "E117",
        f"the imported pack `{written}` is outside the pack's folder and the import path",
        Label(span, "not imported"),
        help="move the template beside the pack, or name its folder with `--import-path DIR` "
        "(or JIXIAO_PATH) if it is to be trusted",
    )


def import_cycle(chain: Sequence[str], span: Span) -> Diagnostic:
    return error(
        "E118",
        f"packs import each other in a cycle: {_chain(chain)}",
        Label(span, "this import closes the cycle"),
        help="move what both packs need into a third template that both import",
    )


def too_many_imports(files: int, depth: int, span: Span) -> Diagnostic:
    return error(
        "E119",
        f"too many imported packs (at most {files} files, imports at most {depth} deep)",
        Label(span, "one import too many"),
        help="import a few templates that hold what is shared, not a chain of files",
    )


def param_override_kind(name: str, imported: ast.ParamDecl, mine: ast.ParamDecl) -> Diagnostic:
    return error(
        "E120",
        f"parameter `{name}` is `{mine.type.text}` here but `{imported.type.text}` in the "
        "imported template",
        Label(mine.type.span, f"declared `{mine.type.text}`"),
        Label(imported.type.span, f"the template declares `{imported.type.text}`"),
        help=f"a parameter that replaces a template's keeps its kind: `param {name}: "
        f"{imported.type.text} = …`",
    )


# ----- E2xx names ----------------------------------------------------------------------------


_YES_NO = {"是": "true", "否": "false", "对": "true", "错": "false", "有": "true", "无": "false"}


def unknown_name(name: str, span: Span, known: Iterable[str]) -> Diagnostic:
    if name in ("分值", "权重", "满分", "标准分"):
        hint = (
            f"a rule's points are already in proportion to the indicator's weight (its {name}): "
            "`proportional 满意度` scores 满意度 × weight"
        )
    elif name in _YES_NO:
        hint = (
            f"in a pack, yes and no are `true` and `false`: write `{_YES_NO[name]}` "
            f"(`{name}` is how evidence may spell it)"
        )
    else:
        hint = _suggest(name, known) or f"declare it: `fact {name}: <type>` or `let {name} = …`"
    found = error(
        "E201", f"unknown fact `{name}`", Label(span, "not declared in this pack"), help=hint
    )
    return _offer(found, span, name)


def duplicate_name(name: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E202",
        f"`{name}` is declared twice",
        Label(span, "declared again here"),
        Label(first, "first declared here"),
        help="rename one of them or remove one",
    )


def unknown_function(name: str, span: Span, known: Iterable[str]) -> Diagnostic:
    names = ", ".join(f"`{k}`" for k in sorted(known))
    found = error(
        "E203",
        f"unknown function `{name}`",
        Label(span, "no such function"),
        help=_suggest(name, known) or f"the functions are {names}",
    )
    return _offer(found, span, name)


def unknown_type(name: str, span: Span, known: Iterable[str]) -> Diagnostic:
    names = ", ".join(sorted(known))
    found = error(
        "E204",
        f"unknown type `{name}`",
        Label(span, "not a type"),
        help=_suggest(name, known) or f"the types are {names}",
    )
    return _offer(found, span, name)


def unknown_rounding(name: str, span: Span, known: Iterable[str]) -> Diagnostic:
    names = ", ".join(f"`{k}`" for k in sorted(known))
    found = error(
        "E205",
        f"unknown rounding mode `{name}`",
        Label(span, "not a rounding mode"),
        help=_suggest(name, known) or f"the modes are {names}",
    )
    return _offer(found, span, name)


def duplicate_header(span: Span, first: Span) -> Diagnostic:
    return error(
        "E206",
        "a pack has one `pack` header",
        Label(span, "second header"),
        Label(first, "first header"),
        help="merge the settings into one header",
    )


def duplicate_setting(key: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E207",
        f"`{key}` is set twice",
        Label(span, "set again here"),
        Label(first, "first set here"),
        help=f"keep one `{key}`",
    )


def shadowed(name: str, span: Span, other: Span) -> Diagnostic:
    return warning(
        "W202",
        f"parameter `{name}` hides the pack's `{name}` inside this function",
        Label(span, "this parameter"),
        Label(other, "the pack's own"),
        help="rename the parameter; inside the function the name means the argument",
    )


def unused_fact(name: str, span: Span) -> Diagnostic:
    return warning(
        "W201",
        f"fact `{name}` is declared but no rule reads it",
        Label(span, "never read"),
        help="remove it, or use it in a rule or derived fact",
    )


# ----- E3xx types ----------------------------------------------------------------------------


def type_mismatch(op: str, left: Kind, right: Kind, span: Span) -> Diagnostic:
    return error(
        "E301",
        f"cannot use `{op}` between {left} and {right}",
        Label(span, f"{left} {op} {right}"),
        help=_type_help(left, right),
    )


def _type_help(left: Kind, right: Kind) -> str:
    if Kind.PERCENT in (left, right) and Kind.MONEY in (left, right):
        return "a rate is money divided by money: compare the rate, or multiply the rate by money"
    return "both sides must be of compatible kinds (money with money, count with count, …)"


def expected_kind(what: str, expected: str, got: Kind, span: Span) -> Diagnostic:
    return error(
        "E302",
        f"{what} must be {expected}, not {got}",
        Label(span, f"this is {got}"),
        help=f"write {expected} here",
    )


def wrong_arity(func: str, expected: str, got: int, span: Span) -> Diagnostic:
    return error(
        "E303",
        f"`{func}` takes {expected}, not {got}",
        Label(span, "here"),
        help=f"call it as `{_signature(func)}`",
    )


def _signature(func: str) -> str:
    return {
        "count": "count(list)",
        "min": "min(a, b, …)",
        "max": "max(a, b, …)",
        "abs": "abs(x)",
        "days": "days(from, to)",
        "workdays": "workdays(from, to)",
        "length": "length(text)",
        "empty": "empty(text)",
    }.get(func, func)


def declared_kind_mismatch(name: str, declared: Kind, got: Kind, span: Span) -> Diagnostic:
    return error(
        "E304",
        f"`{name}` is declared {declared} but its expression is {got}",
        Label(span, f"this is {got}"),
        help=f"change the declared type to `{got}`, or fix the expression",
    )


def default_mismatch(name: str, kind: Kind, span: Span) -> Diagnostic:
    if kind is Kind.JUDGEMENT:
        return error(
            "E305",
            f"`{name}` is a judgement and takes no default",
            Label(span, "no default for a judgement"),
            help="remove the default: the evidence gives the evaluator's amount with its reason, "
            f"or `{name}: 0` when nothing is deducted",
        )
    if kind is Kind.PANEL:
        return error(
            "E305",
            f"`{name}` is a panel and takes no default",
            Label(span, "no default for a panel"),
            help="remove the default: the evidence lists each expert's name, score and reason",
        )
    return error(
        "E305",
        f"the default of `{name}` is not a {kind}",
        Label(span, "wrong kind"),
        help=f"give a {kind} value, e.g. {_example(kind)}",
    )


def _example(kind: Kind) -> str:
    return {
        Kind.MONEY: "0",
        Kind.NUMBER: "0",
        Kind.COUNT: "0",
        Kind.PERCENT: "100%",
        Kind.BOOL: "false",
        Kind.TEXT: '""',
        Kind.DATE: "2017-12-31",
        Kind.LIST: "[]",
    }[kind]


def bound_mismatch(subject: Kind, got: Kind, span: Span) -> Diagnostic:
    return error(
        "E306",
        f"a band bound of kind {got} cannot bound a {subject}",
        Label(span, f"this is {got}"),
        help="write bounds of the subject's kind, e.g. `>= 95%` for a percent",
    )


def unit_mismatch(unit: str, other: str, span: Span, other_span: Span) -> Diagnostic:
    return error(
        "E310",
        f"cannot compare or add {other} with {unit}",
        Label(other_span, f"in {other}"),
        Label(span, f"in {unit}"),
        help="money converts between 元, 千元, 万元, 百万元 and 亿元; a counted unit "
        "(个, 人, 次 …) meets only the same unit or a bare number: write the value in the "
        "other side's unit",
    )


def bare_percent(value: Decimal, span: Span) -> Diagnostic:
    number = fmt(value)
    return error(
        "E311",
        f"`{number}` is meant as a percent but has no `%`",
        Label(span, f"this is {fmt(value * 100)}%, not {number}%"),
        help=f"write `{fmt(value * 100)}%` if you meant the fraction {number}, or `{number}%`"
        if value <= 1
        else f"write `{number}%` (a bare number against a percent is a fraction: 1 is 100%)",
    )


def unit_of_kind(name: str, kind: Kind, unit: str, span: Span) -> Diagnostic:
    return error(
        "E312",
        f"fact `{name}` is {kind} but declares the unit `{unit}`",
        Label(span, "not a unit of " + str(kind)),
        help="money takes 元, 千元, 万元, 百万元 or 亿元; a count or number takes a counted unit "
        "(个, 人, 次 …) or any measure; a percent takes none — fix the type or the unit",
    )


def unknown_money_unit(name: str, unit: str, span: Span) -> Diagnostic:
    return warning(
        "W310",
        f"fact `{name}` is money in `{unit}`, a unit jixiao cannot convert",
        Label(span, "not 元, 千元, 万元, 百万元 or 亿元"),
        help="its values meet only values in the same unit; declare one of 元, 千元, 万元, "
        "百万元, 亿元 if it is an amount in 元",
    )


def _choices(choices: Sequence[str]) -> str:
    return ", ".join(f"`{c}`" for c in choices)


def choice_without_choices(name: str, span: Span) -> Diagnostic:
    return error(
        "E314",
        f"`{name}` is a choice but lists no choices",
        Label(span, "which values may it take?"),
        help=f'list them after the type: `fact {name}: choice ["培训", "会议", "其他"]` (a '
        "parameter cannot be a choice: declare it `text`)",
    )


def choices_on_other_type(name: str, type_: str, span: Span) -> Diagnostic:
    return error(
        "E314",
        f"`{name}` is `{type_}` and cannot list choices",
        Label(span, "choices belong to a `choice` fact"),
        help=f"write `fact {name}: choice [...]` for a text that must be one of these",
    )


def empty_choice(name: str, span: Span) -> Diagnostic:
    return error(
        "E314",
        f"an empty choice for `{name}`",
        Label(span, "empty"),
        help="every choice is a word the evidence can give; remove the empty one",
    )


def duplicate_choice(name: str, value: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E314",
        f"`{value}` is listed twice among the choices of `{name}`",
        Label(span, "again here"),
        Label(first, "first here"),
        help="keep one",
    )


def not_a_choice(name: str, value: str, choices: Sequence[str], span: Span) -> Diagnostic:
    hint = _suggest(value, choices)
    return error(
        "E315",
        f"`{value}` is not one of the choices of `{name}`",
        Label(span, "never equal"),
        help=(f"{hint} " if hint else "")
        + f"`{name}` is one of {_choices(choices)}; add `{value}` to its choices if it is one",
    )


def choices_uncovered(
    name: str, missing: Sequence[str], form: str, span: Span, decl: Span
) -> Diagnostic:
    return warning(
        "W315",
        f"{form} on `{name}` has no branch for {_choices(missing)}",
        Label(span, "not every choice is covered"),
        Label(decl, "the choices are declared here"),
        help=f"add a branch for {_choices(missing)}, or an `else`: evidence giving it would "
        + ("not be scored" if form == "`levels`" else "take no branch"),
    )


def bad_domain(name: str, problem: str, span: Span, help: str) -> Diagnostic:
    return error("E313", f"the domain of `{name}` {problem}", Label(span, problem), help=help)


def weights_do_not_add_up(
    code: str,
    weight: Decimal,
    total: Decimal,
    span: Span,
    children: Sequence[tuple[str, Decimal, Span]],
) -> Diagnostic:
    labels = [Label(span, f"weight {fmt(weight)}")]
    labels += [Label(s, f"{c}: {fmt(w)}") for c, w, s in children]
    diff = total - weight
    return Diagnostic(
        "E401",
        Severity.ERROR,
        f"the children of `{code}` add up to {fmt(total)}, not {fmt(weight)}",
        tuple(labels),
        help=f"they are {fmt(abs(diff))} over; fix a child's weight or the parent's"
        if diff > 0
        else f"they are {fmt(abs(diff))} short; fix a child's weight or the parent's",
        fixes=_weight_fixes(weight, total, span, children),
    )


def top_level_total(
    total: Decimal, declared: Decimal, span: Span, roots: Sequence[tuple[str, Decimal, Span]]
) -> Diagnostic:
    labels = [Label(s, f"{c}: {fmt(w)}") for c, w, s in roots]
    return Diagnostic(
        "E406",
        Severity.ERROR,
        f"the top-level indicators add up to {fmt(total)}, not the pack's total {fmt(declared)}",
        tuple(labels) or (Label(span),),
        help="fix a weight, or declare `total` in the pack header",
    )


def duplicate_code(code: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E402",
        f"indicator code `{code}` is used twice",
        Label(span, "used again here"),
        Label(first, "first used here"),
        help="give each indicator its own code (the 2017 report's second `B1.2` is "
        "`B1.3` in the founding pack)",
    )


def leaf_without_rule(code: str, span: Span) -> Diagnostic:
    return error(
        "E403",
        f"indicator `{code}` has neither rules nor children",
        Label(span, "nothing scores it"),
        help="add a rule such as `full when …`, or child indicators",
    )


def rules_and_children(code: str, span: Span) -> Diagnostic:
    return error(
        "E404",
        f"indicator `{code}` has both rules and child indicators",
        Label(span, "rule in a branch"),
        help="a branch's points are the sum of its children; move the rule into a child",
    )


def non_positive_weight(code: str, span: Span) -> Diagnostic:
    return error(
        "E405",
        f"indicator `{code}` has a weight of zero",
        Label(span, "weight"),
        help="every indicator needs a positive weight; remove it if it scores nothing",
    )


def two_base_rules(code: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E407",
        f"indicator `{code}` has two scoring rules",
        Label(span, "second scoring rule"),
        Label(first, "first scoring rule"),
        help="a leaf has one base rule (full/proportional/reverse/tiers/levels); "
        "chain them with `full when … else …`, add deductions with `deduct`",
    )


def award_above_weight(code: str, points: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return error(
        "E408",
        f"{fmt(points)} points exceed the weight {fmt(weight)} of `{code}`",
        Label(span, "more than the weight"),
        help="award at most the weight, or `full`",
    )


def grades_out_of_order(label: str, span: Span) -> Diagnostic:
    return error(
        "E409",
        f"grade `{label}` is out of order",
        Label(span, "bounds must fall from the first grade to the last"),
        help="list grades from highest to lowest, ending with `<label> else`",
    )


def level_range_above_weight(code: str, value: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return error(
        "E437",
        f"a level's range reaches {fmt(value)} points, past the weight {fmt(weight)} of `{code}`",
        Label(span, "more than the weight"),
        help=f"a range is in points, or in shares of the weight with `%`: write `{fmt(value)}%` "
        "if that is what it means",
    )


def percent_times_hundred(name: str, span: Span, met: bool = False) -> Diagnostic:
    return error(
        "E438",
        f"`{name}` meets a percent but is multiplied by 100"
        if met
        else f"`{name}` is a percent but is multiplied by 100",
        Label(span, "three quarters would be 7500%, not 75%"),
        help="a percent is a fraction (75% is 0.75): drop `* 100`; the report shows it with `%`",
    )


def grade_twice(label: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E436",
        f"grade `{label}` is listed twice",
        Label(span, "listed again here"),
        Label(first, "first listed here"),
        help="each grade is one band: rename one of them (优/良/中/差), or drop the repeat",
    )


def grades_need_else(span: Span) -> Diagnostic:
    found = error(
        "E410",
        "the grades do not end with an `else` grade",
        Label(span, "grades"),
        help="add the lowest grade last, e.g. `差 else`",
    )
    close = span.text.rfind("}")
    if close < 0 or "差" in span.text:
        return found
    last = span.text[:close].rstrip()
    at, sep = span.start + len(last), " " if last.endswith((";", "；")) else "; "
    return replace(found, fixes=(Fix(Span(span.source, at, at), f"{sep}差 else", "add `差 else`"),))


def code_not_nested(code: str, parent: str, span: Span) -> Diagnostic:
    return warning(
        "W401",
        f"code `{code}` does not continue its parent's code `{parent}`",
        Label(span, f"under `{parent}`"),
        help=f"codes usually extend the parent's, e.g. `{parent}.1`",
    )


def share_above_full(span: Span) -> Diagnostic:
    return error(
        "E411",
        "a share of the weight above 100%",
        Label(span, "above 100%"),
        help="write at most `100%` (or `full`)",
    )


def duplicate_level(label: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E412",
        f"level `{label}` is listed twice",
        Label(span, "again here"),
        Label(first, "first here"),
        help="remove one of the two rows",
    )


def bad_rounding_places(span: Span) -> Diagnostic:
    return error(
        "E413",
        "rounding places must be a whole number from 0 to 6",
        Label(span, "places"),
        help="write e.g. `rounding 2 half_up`",
    )


# ----- E5xx graph ----------------------------------------------------------------------------


def cycle(names: Sequence[str], spans: Sequence[Span]) -> Diagnostic:
    ring = " → ".join(f"`{n}`" for n in [*names, names[0]])
    labels = [Label(s, f"`{n}` is defined here") for n, s in zip(names, spans, strict=False)]
    return error(
        "E501",
        f"derived facts depend on each other in a cycle: {ring}",
        *labels,
        help="a derived fact cannot depend on itself; break the cycle",
    )


def all_not_applicable(codes: Sequence[str], span: Span) -> Diagnostic:
    names = ", ".join(f"`{c}`" for c in codes)
    return error(
        "E503",
        f"no indicator is applicable ({names} excluded as not applicable): the total is undecided",
        Label(span, "nothing left to rescale the total by"),
        help="give at least one applicable fact, or use `na full` / `na zero` where 不适用 "
        "should count as full marks or nothing",
    )


def no_indicator_to_score(path: str, span: Span) -> Diagnostic:
    return error(
        "E504",
        f"pack `{path}` has no indicator: there is nothing to score",
        Label(span, "a library of functions and parameters"),
        help='score with a pack that declares the indicator tree (`indicator A "…" 10 { … }`)',
    )


def negative_amount_at_run(rule: str, amount: str, codes: Sequence[str], span: Span) -> Diagnostic:
    return error(
        "E505",
        f"`{rule}` would move the score the wrong way by {amount} for this evidence: its "
        f"amount is negative ({_need(codes)})",
        Label(span, "negative here"),
        help="bound the amount in the pack (`max(0, …)`), or correct the evidence it reads",
    )


# ----- E6xx evidence and evaluation ----------------------------------------------------------


def evidence_unreadable(path: str, reason: str, table: bool = False) -> Diagnostic:
    """E601; `table` for a portfolio table (CSV or XLSX), which is no YAML evidence file."""
    return Diagnostic(
        "E601",
        Severity.ERROR,
        f"cannot read {'portfolio table' if table else 'evidence file'}: {reason}",
        path=path,
        help=(
            "save the table as CSV (UTF-8, UTF-16 or GB18030; an open quote closed) or as XLSX"
            if table
            else "check the path; evidence is a YAML file with `facts:`"
        ),
    )


def pack_unreadable(path: str, reason: str) -> Diagnostic:
    return Diagnostic(
        "E100",
        Severity.ERROR,
        f"cannot read pack file: {reason}",
        path=path,
        help="check the path of the rule pack (.jx)",
    )


def evidence_shape(message: str, span: Span | None, path: str, help: str) -> Diagnostic:
    labels = (Label(span, "here"),) if span else ()
    return Diagnostic("E602", Severity.ERROR, message, labels, help, path=path)


def evidence_bad_value(
    name: str, kind: Kind, text: str, span: Span, decl: Span, why: str
) -> Diagnostic:
    return error(
        "E603",
        f"fact `{name}` should be {_article(kind)}, not `{text}`",
        Label(span, why),
        Label(decl, f"declared {kind} here"),
        help=f"write {_value_examples(kind)}",
    )


def _article(kind: Kind) -> str:
    return {
        Kind.MONEY: "an amount of money",
        Kind.NUMBER: "a number",
        Kind.COUNT: "a count",
        Kind.PERCENT: "a percentage",
        Kind.BOOL: "true or false",
        Kind.TEXT: "a text",
        Kind.DATE: "a date",
        Kind.LIST: "a list",
        Kind.JUDGEMENT: "an evaluator's amount with its reason",
        Kind.RECORDS: "a list of records",
        Kind.PANEL: "a panel of experts' scores",
    }[kind]


def _value_examples(kind: Kind) -> str:
    return {
        Kind.MONEY: "an amount such as `100000`, `100,000.50` or `10万元`",
        Kind.NUMBER: "a number such as `12` or `3.5`",
        Kind.COUNT: "a whole number such as `12`",
        Kind.PERCENT: "`92%` or `0.92`",
        Kind.BOOL: "`true`/`false` (or 是/否)",
        Kind.TEXT: "a text",
        Kind.DATE: "a date such as `2017-12-31`",
        Kind.LIST: "a list such as `[]` or `- 一项发现` lines",
        Kind.JUDGEMENT: "`{value: 0.5, reason: 理由}`",
        Kind.RECORDS: "`- {名称: …, 预算: …}` lines, or `{file: 子项目.csv}`",
        Kind.PANEL: "one `- {专家: 张三, 得分: 4.5, 理由: …}` line per expert",
    }[kind]


def evidence_unknown_fact(name: str, span: Span, known: Iterable[str]) -> Diagnostic:
    return warning(
        "W601",
        f"the evidence gives `{name}`, which the pack does not declare",
        Label(span, "not a fact of this pack"),
        help=_suggest(name, known) or "remove it, or declare it in the pack",
    )


def evidence_duplicate_fact(name: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E604",
        f"fact `{name}` is given twice",
        Label(span, "given again here"),
        Label(first, "first given here"),
        help="keep one value",
    )


def missing_fact(
    name: str, needed_by: Sequence[str], uses: Sequence[Span], decl: Span, evidence_path: str
) -> Diagnostic:
    labels = [Label(s, "needs it") for s in uses[:3]] + [Label(decl, "declared here")]
    return Diagnostic(
        "E605",
        Severity.ERROR,
        f"fact `{name}` is missing from the evidence; {_need(needed_by)}",
        tuple(labels),
        help=f"add `{name}: <value>` under `facts:` in {evidence_path}, "
        f"or give the fact a `default` in the pack",
    )


def division_by_zero(
    expr_text: str, detail: str, span: Span, needed_by: Sequence[str], fact_spans: Sequence[Label]
) -> Diagnostic:
    return Diagnostic(
        "E606",
        Severity.ERROR,
        f"division by zero in `{expr_text}` ({detail}); {_need(needed_by)}",
        (Label(span, "divides by zero"), *fact_spans),
        help="check the evidence value, or guard the rule, e.g. "
        "`full when 故障总数 == 0 else proportional …`",
    )


def bad_level(detail: str, needed_by: Sequence[str], span: Span) -> Diagnostic:
    who = ", ".join(f"`{c}`" for c in needed_by)
    return error(
        "E607",
        f"the evidence gives a level the rule does not know: {detail}",
        Label(span, "levels listed here"),
        help=f"use one of the listed levels in the evidence for {who}",
    )


def derived_not_a_count(
    name: str, value: str, formula: str, needed_by: Sequence[str], span: Span
) -> Diagnostic:
    return error(
        "E617",
        f"derived fact `{name}` is declared `count` but came out {value}; {_need(needed_by)}",
        Label(span, f"`{formula}` is {value} for this evidence"),
        help=f"a count is whole and 0 or more: write `max(0, {formula})` if that is what the "
        f"standard means, or declare `{name}` a `number`",
    )


def no_band(detail: str, needed_by: Sequence[str], span: Span) -> Diagnostic:
    who = ", ".join(f"`{c}`" for c in needed_by)
    return error(
        "E608",
        f"{detail} in the tiers of {who}",
        Label(span, "tiers over this"),
        help="add a band for this value, or an `else` band",
    )


def arithmetic_failure(detail: str, needed_by: Sequence[str], span: Span) -> Diagnostic:
    return error(
        "E609",
        f"the computation failed ({detail}); {_need(needed_by)}",
        Label(span, "here"),
        help="check the evidence values this expression reads",
    )


def pool_not_applied(code: str, taken: Decimal | None, span: Span) -> Diagnostic:
    amount = f"{fmt(taken)} points" if taken is not None else "points"
    return warning(
        "W604",
        f"indicator `{code}` is left out as not applicable (every child is), and with it the "
        f"deductions of its own, which would have taken {amount}",
        Label(span, "its deductions apply to its children's sum"),
        help="if the findings should still count, give the children's facts, or set a policy "
        "other than `exclude` (`not_applicable full` or `zero`) for them",
    )


def outside_period(name: str, day: str, start: str, end: str, span: Span) -> Diagnostic:
    return warning(
        "W602",
        f"fact `{name}` is dated {day}, outside the evaluation period {start} to {end}",
        Label(span, "dated here"),
        help="check the date, or the pack's `period`",
    )


def encoding_note(path: str, encoding: str) -> Diagnostic:
    return Diagnostic(
        "W603",
        Severity.WARNING,
        f"the file is not UTF-8; it was read as {encoding}",
        path=path,
        help="save it as UTF-8 to be sure every character is read as written",
    )


def output_is_input(option: str, path: str, role: str) -> Diagnostic:
    return Diagnostic(
        "E680",
        Severity.ERROR,
        f"`{option} {path}` is {role}: jixiao will not write over an input",
        path=path,
        help=f"give `{option}` another file name; nothing was written",
    )


def output_in_input_folder(option: str, path: str, role: str, folder: str) -> Diagnostic:
    return Diagnostic(
        "E680",
        Severity.ERROR,
        f"`{option} {path}` is inside `{folder}`, {role}: it would be read as an input",
        path=path,
        help=f"write `{option}` outside the folder being scored; nothing was written",
    )


def output_unwritable(option: str, path: str, reason: str) -> Diagnostic:
    help = (
        "free some space, or write the output to another disk"
        if "disk" in reason
        else "create the folder first, or give a path you can write to"
    )
    return Diagnostic(
        "E681", Severity.ERROR, f"cannot write `{option} {path}`: {reason}", path=path, help=help
    )


# ----- the command line (E740–E759) ------------------------------------------------------------


def nothing_matches(path: str, why: str) -> Diagnostic:
    """E740: a folder or a pattern on the command line that names no file."""
    return Diagnostic(
        "E740",
        Severity.ERROR,
        f"`{path}` names nothing: {why}",
        path=path,
        help="check the folder or the pattern; jixiao expands `*`, `?`, `[…]` and `**` itself, "
        "so a quoted pattern works in every shell, Windows' included",
    )


def test_file_missing(path: str, pack: str | None, given: bool) -> Diagnostic:
    """E741: a test file that does not exist, named or looked for beside its pack."""
    if given:
        message = f"test file `{path}` does not exist"
        help = "check the path; `jixiao test PACK` alone reads PACK's `.test.yaml` beside it"
    else:
        message = f"pack `{pack}` has no test file: `{path}` does not exist"
        help = (
            f'write `{path}` (see "Testing a pack" in the README), or name the test file: '
            f"`jixiao test {pack} TESTS.yaml`"
        )
    return Diagnostic("E741", Severity.ERROR, message, path=path, help=help)


def test_file_without_pack(path: str, pack: str) -> Diagnostic:
    """E742: a test file named alone whose pack is not beside it."""
    return Diagnostic(
        "E742",
        Severity.ERROR,
        f"test file `{path}` has no pack beside it: `{pack}` does not exist",
        path=path,
        help="a test file `NAME.test.yaml` tests `NAME.jx` in the same folder; name the pack "
        "first to pair them otherwise: `jixiao test PACK.jx TESTS.yaml`",
    )


def no_case_selected(expr: str, cases: int) -> Diagnostic:
    """E743: `jixiao test -k EXPR` selects none of the cases."""
    return Diagnostic(
        "E743",
        Severity.ERROR,
        f"`-k {expr}` selects none of the {cases} cases",
        help="-k matches words in the case names and test file names, ignoring case, with "
        "`and`, `or`, `not` and parentheses; `jixiao test` without -k lists every case",
    )


# ----- portfolio roll-ups (E770–E779) ---------------------------------------------------------

#: Where a portfolio weight is named: the pack header's setting, or the command line's option.
_WEIGHT_SAID = {False: "portfolio weighted by {}", True: "--weight-by {}"}


def _weight_where(name: str, span: Span | None) -> tuple[str, tuple[Label, ...]]:
    said = _WEIGHT_SAID[span is None].format(name)
    return said, ((Label(span, "the portfolio's weight"),) if span is not None else ())


def weight_unknown(
    name: str, span: Span | None, path: str, candidates: Sequence[str], known: Iterable[str]
) -> Diagnostic:
    """E770: `portfolio weighted by` (or `--weight-by`) names no fact of the pack; `candidates`
    are the facts it may name, `known` every name to suggest from."""
    said, labels = _weight_where(name, span)
    names = ", ".join(f"`{c}`" for c in candidates[:6])
    return Diagnostic(
        "E770",
        Severity.ERROR,
        f"`{said}`: the pack declares no fact `{name}`",
        labels,
        _suggest(name, known)
        or (
            f"weight by a money, number or count fact the pack declares: {names}"
            if candidates
            else f'declare the fact the evidence gives: `fact {name}: money unit "元"`'
        ),
        path=None if span is not None else path,
    )


def weight_not_amount(
    name: str, what: str, span: Span | None, path: str, candidates: Sequence[str]
) -> Diagnostic:
    """E771: the portfolio's weight is a fact of another kind (a percent, a text …), or not a
    fact the evidence gives (a parameter, a derived fact, a questionnaire's aggregate)."""
    said, labels = _weight_where(name, span)
    names = ", ".join(f"`{c}`" for c in candidates[:6])
    return Diagnostic(
        "E771",
        Severity.ERROR,
        f"`{said}`: `{name}` is {what}, not a money, number or count fact of the evidence",
        labels,
        (
            f"weight by the amount each project's evidence gives: {names}"
            if candidates
            else 'declare the amount as a fact: `fact 预算金额: money unit "元"`; weight by it'
        ),
        path=None if span is not None else path,
    )


# ----- an indicator's own parameter values (E780–E789, W780–W789) ------------------------------


def override_unknown(
    name: str, code: str, span: Span, params: Iterable[str], what: str | None
) -> Diagnostic:
    params = list(params)
    if what is not None:
        hint = (
            f"`{name}` is {what}, and only a pack parameter (`param {name}: … = …`) may take "
            "its own value in an indicator"
        )
    else:
        hint = _suggest(name, params) or (
            f"declare it first: `param {name}: percent = 90%` at the top of the pack"
            if not params
            else "parameters of this pack: " + ", ".join(f"`{p}`" for p in sorted(params)[:6])
        )
    return error(
        "E780",
        f"indicator `{code}` sets `{name}`, which is no parameter of the pack",
        Label(span, "no such parameter"),
        help=hint,
    )


def override_wrong_kind(name: str, code: str, kind: Kind, span: Span) -> Diagnostic:
    return error(
        "E781",
        f"indicator `{code}` gives parameter `{name}` a value that is not a {kind}",
        Label(span, f"`{name}` is a {kind}"),
        help=f"give a {kind} value, as the parameter's own: e.g. {_example(kind)}",
    )


def override_out_of_domain(
    name: str, code: str, value: str, bounds: str, span: Span, declared: Span
) -> Diagnostic:
    return error(
        "E782",
        f"indicator `{code}` gives parameter `{name}` the value {value}, outside {bounds}",
        Label(span, "out of range"),
        Label(declared, "the parameter is declared here"),
        help=f"give a value in {bounds}",
    )


def override_twice(name: str, code: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E783",
        f"indicator `{code}` sets parameter `{name}` twice",
        Label(span, "set again"),
        Label(first, "first set here"),
        help="keep one `param` line per parameter in an indicator",
    )


def override_kind_differs(
    name: str, code: str, written: str, declared: str, span: Span
) -> Diagnostic:
    return error(
        "E784",
        f"indicator `{code}` sets `{name}` as `{written}`, but the parameter is `{declared}`",
        Label(span, f"declared `{declared}`"),
        help=f"an indicator's own value keeps the parameter's kind: `param {name} = …` "
        f"(or `param {name}: {declared} = …`)",
    )


def override_unread(name: str, code: str, span: Span) -> Diagnostic:
    return warning(
        "W780",
        f"indicator `{code}` sets `{name}`, but neither it nor anything it calls reads `{name}`",
        Label(span, "never read here"),
        help=f"remove the line, or set `{name}` in the indicator whose rule reads it",
    )


def evidence_param_kept(name: str, codes: Sequence[str], span: Span) -> Diagnostic:
    which = ", ".join(f"`{c}`" for c in codes)
    one = codes[0]
    return warning(
        "W782",
        f"the evidence sets `{name}` for the pack, but indicator{'s' if len(codes) > 1 else ''} "
        f"{which} keep{'' if len(codes) > 1 else 's'} {'their' if len(codes) > 1 else 'its'} own "
        f"value",
        Label(span, f"not for {which}"),
        help=f"to change an indicator's own value too, give it by name under `params:`: "
        f"`{name}@{one}: …`",
    )


def override_through_derived(name: str, code: str, derived: str, span: Span) -> Diagnostic:
    return warning(
        "W781",
        f"indicator `{code}` sets `{name}`, but reads it only through derived fact `{derived}`, "
        "which keeps the pack's value",
        Label(span, "changes nothing"),
        help=f"derived facts are shared by the whole pack: write the condition on `{name}` in "
        f"the indicator (or in a function it calls) instead of reading `{derived}`",
    )


# ----- the catalogue's forms ------------------------------------------------------------------


def unknown_word(what: str, word: str, span: Span, known: Sequence[str]) -> Diagnostic:
    names = ", ".join(f"`{k}`" for k in known)
    found = error(
        "E210",
        f"unknown {what} `{word}`",
        Label(span, f"not a {what}"),
        help=_suggest(word, known) or f"write one of {names}",
    )
    return _offer(found, span, word)


def unknown_rule_function(name: str, span: Span, known: Iterable[str]) -> Diagnostic:
    pool = list(known)
    found = error(
        "E211",
        f"unknown function `{name}`",
        Label(span, "no function of this name in the pack"),
        help=_suggest(name, pool) or f"define it: `function {name}(参数: number) {{ … }}`",
    )
    return _offer(found, span, name)


def function_arity(name: str, want: int, got: int, span: Span, decl: Span) -> Diagnostic:
    return error(
        "E307",
        f"`{name}` takes {want} argument{'s' if want != 1 else ''}, not {got}",
        Label(span, "called here"),
        Label(decl, "defined here"),
        help="pass one argument per parameter, in order",
    )


def argument_kind(
    name: str, param: str, want: Kind, got: Kind, span: Span, decl: Span
) -> Diagnostic:
    return error(
        "E308",
        f"argument `{param}` of `{name}` must be {want}, not {got}",
        Label(span, f"this is {got}"),
        Label(decl, f"`{param}` is {want}"),
        help=f"pass a {want} value",
    )


def distinct_on_count(span: Span) -> Diagnostic:
    return error(
        "E309",
        "`distinct` needs a list of findings, not a count",
        Label(span, "nothing to tell apart"),
        help="remove `distinct`, or make the fact a `list`",
    )


def recursive_function(chain: Sequence[str], span: Span) -> Diagnostic:
    ring = " → ".join(f"`{n}`" for n in chain)
    return error(
        "E502",
        f"function calls itself: {ring}",
        Label(span, "recursive call"),
        help="functions may call others but never, directly or not, themselves",
    )


def checklist_above_weight(code: str, total: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return error(
        "E414",
        f"the checklist of `{code}` awards up to {fmt(total)}, more than the weight {fmt(weight)}",
        Label(span, "elements add up past the weight"),
        help="make the shares add up to 100% (or the points to the weight)",
    )


def unknown_grade(label: str, span: Span, labels: Sequence[str]) -> Diagnostic:
    names = ", ".join(f"`{x}`" for x in labels)
    found = error(
        "E415",
        f"`{label}` is not a grade of this pack",
        Label(span, "no such grade"),
        help=_suggest(label, labels) or f"the grades are {names}",
    )
    return _offer(found, span, label)


def unknown_indicator(code: str, span: Span, codes: Sequence[str]) -> Diagnostic:
    found = error(
        "E416",
        f"no indicator `{code}`",
        Label(span, "not an indicator code of this pack"),
        help=_suggest(code, codes) or "name an indicator declared in the pack",
    )
    return _offer(found, span, code)


def scale_on_leaf(code: str, span: Span) -> Diagnostic:
    return error(
        "E417",
        f"`of` scales children's points, but `{code}` has no children",
        Label(span, "nothing to scale"),
        help="remove `of …`, or add child indicators",
    )


def wrong_extra_clause(clause: str, section: str, span: Span) -> Diagnostic:
    return error(
        "E418",
        f"`{clause}` does not belong in a `{section}` section",
        Label(span, "here"),
        help="a bonus `add`s points, a penalty `deduct`s them",
    )


def judgement_outside(
    name: str,
    amount: Decimal,
    lower: Decimal,
    upper: Decimal,
    low_in: bool,
    high_in: bool,
    needed_by: Sequence[str],
    span: Span,
) -> Diagnostic:
    who = ", ".join(f"`{c}`" for c in needed_by)
    interval = _interval(lower, upper, low_in, high_in)
    return error(
        "E610",
        f"the judgement `{name}` of {fmt(amount)} lies outside {interval} for {who}",
        Label(span, "range declared here"),
        help="give an amount inside the declared range (or 0 for no deduction)",
    )


def not_applicable_undecided(name: str, needed_by: Sequence[str], span: Span) -> Diagnostic:
    who = ", ".join(f"`{c}`" for c in needed_by)
    return error(
        "E611",
        f"fact `{name}` is marked not applicable, and the pack does not say what that means "
        f"for {who}",
        Label(span, "reads it"),
        help="declare `not_applicable full|exclude|zero` in the pack header, or `na …` in the "
        "indicator",
    )


def level_score_outside(detail: str, needed_by: Sequence[str], span: Span) -> Diagnostic:
    who = ", ".join(f"`{c}`" for c in needed_by)
    return error(
        "E612",
        f"{detail} ({who})",
        Label(span, "levels and ranges here"),
        help="give a score inside the range of the chosen level",
    )


def missing_detail(detail: str, needed_by: Sequence[str], span: Span) -> Diagnostic:
    who = ", ".join(f"`{c}`" for c in needed_by)
    return error(
        "E613",
        f"{detail} ({who})",
        Label(span, "the rule reads it"),
        help="give every finding the field the rule looks up, with one of the listed values",
    )


# ----- runtime failures: their typed arguments in words --------------------------------------


def runtime_failure(failure: Failure, needed_by: Sequence[str]) -> Diagnostic:
    """The diagnostic of a failure that stopped `needed_by` (indicators, a section, a veto),
    from its code and typed arguments. (E605, E606 and E611 also point into the evidence and
    the pack; the evaluator builds them with the facts' declarations.)"""
    code, span = failure.code, failure.span
    if code == "E610":
        return judgement_outside(
            failure.fact or "",
            failure.arg("amount"),  # type: ignore[arg-type]
            failure.arg("lower"),  # type: ignore[arg-type]
            failure.arg("upper"),  # type: ignore[arg-type]
            bool(failure.arg("low_in")),
            bool(failure.arg("high_in")),
            needed_by,
            span,
        )
    detail = failure_detail(failure)
    if code == "E505":
        return negative_amount_at_run(failure.expr, detail, needed_by, span)
    if code == "E607":
        return bad_level(detail, needed_by, span)
    if code == "E608":
        return no_band(detail, needed_by, span)
    if code == "E612":
        return level_score_outside(detail, needed_by, span)
    if code == "E613":
        return missing_detail(detail, needed_by, span)
    if code == "E617":
        value = _number(failure.arg("value"))
        return derived_not_a_count(failure.fact or "", value, failure.expr, needed_by, span)
    if code in ("E675", "E676", "E677"):
        return aggregate_failure(code, detail, needed_by, span)
    if code in ("E665", "E666"):
        return panel_refused(code, detail, needed_by, span, failure)
    return arithmetic_failure(detail, needed_by, span)


def failure_detail(failure: Failure) -> str:
    """A failure's particulars in words, from its typed arguments: what the diagnostics quote
    and the JSON report shows as `failures[].detail`."""
    if not failure.args:
        return failure.text
    code = failure.code
    if code == "E606":
        divisor: tuple[tuple[str, object], ...] = failure.arg("divisor")  # type: ignore[assignment]
        named = ", ".join(f"`{name}` is {_number(value)}" for name, value in divisor)
        return named or "the divisor is 0"
    if code == "E610":
        interval = _interval(
            failure.arg("lower"),  # type: ignore[arg-type]
            failure.arg("upper"),  # type: ignore[arg-type]
            bool(failure.arg("low_in")),
            bool(failure.arg("high_in")),
        )
        return f"the judgement of {_number(failure.arg('amount'))} lies outside {interval}"
    if code == "E505":
        return fmt(failure.arg("amount"))  # type: ignore[arg-type]
    if code == "E609":
        return str(failure.arg("error"))
    if code == "E607":
        return f"`{failure.arg('level')}` is not one of {_listed(failure.arg('levels'))}"
    if code == "E608":
        return f"no band holds {_number(failure.arg('value'))}"
    if code == "E612":
        interval = _interval(
            failure.arg("lower"),  # type: ignore[arg-type]
            failure.arg("upper"),  # type: ignore[arg-type]
            bool(failure.arg("low_in")),
            bool(failure.arg("high_in")),
        )
        return (
            f"the score {_number(failure.arg('score'))} for level `{failure.arg('level')}` lies "
            f"outside its range {interval} (points)"
        )
    if code == "E665":
        interval = _interval(
            failure.arg("lower"),  # type: ignore[arg-type]
            failure.arg("upper"),  # type: ignore[arg-type]
            bool(failure.arg("low_in")),
            bool(failure.arg("high_in")),
        )
        return (
            f"expert {failure.arg('index')} `{failure.arg('expert')}` of `{failure.fact}` scores "
            f"{_number(failure.arg('score'))}, outside {interval}: {failure.arg('band')}"
        )
    if code == "E666":
        return (
            f"`{failure.fact}` has {_number(failure.arg('experts'))} expert(s); "
            f"`panel … {failure.arg('mode')}` needs at least {_number(failure.arg('least'))}"
        )
    if code == "E613":
        finding, field = failure.arg("finding"), failure.arg("field")
        given = dict(failure.args).get("value")
        if given is None:
            return f"finding `{finding}` has no `{field}`"
        listed = _listed(failure.arg("values"))
        return f"finding `{finding}` has {field} `{given}`, not one of {listed}"
    if code == "E617":
        return f"`{failure.fact}` = `{failure.expr}` = {_number(failure.arg('value'))}, not a count"
    if code in ("E675", "E676", "E677"):
        return _aggregate_detail(failure)
    return ", ".join(f"{name} {_number(value)}" for name, value in failure.args)


def _aggregate_detail(failure: Failure) -> str:
    """E675: no record to aggregate; E676: zero total weight; E677: a record's own value."""
    code, records = failure.code, failure.fact
    if code == "E675":
        left = failure.arg("left")
        if left:
            return (
                f"`{failure.expr}` has no record of `{records}` to take ({_number(left)} left out)"
            )
        return f"`{failure.expr}` has no record of `{records}` to take"
    if code == "E676":
        return f"`{failure.expr}`: the weights `{failure.arg('weight')}` of `{records}` add up to 0"
    return (
        f"{failure.arg('record')} of `{records}`: `{failure.arg('field')}` cannot be computed "
        f"({failure.arg('why')})"
    )


def _listed(names: object) -> str:
    """`a`, `b`, `c`: the names a failure lists (levels, a field's values)."""
    assert isinstance(names, tuple)
    return ", ".join(f"`{name}`" for name in names)


def _interval(lower: Decimal, upper: Decimal, low_in: bool, high_in: bool) -> str:
    """`[0.5, 2]`, `(0, 3)`: a range with its ends open or closed."""
    return f"{'[' if low_in else '('}{_number(lower)}, {_number(upper)}{']' if high_in else ')'}"


def _number(value: object) -> str:
    """A number from the evaluation as a failure shows it: a whole number without places or
    exponent, any other decimal as computed, anything else (an exact fraction) as it prints."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def evidence_wrong_section(name: str, span: Span, is_param: bool) -> Diagnostic:
    if is_param:
        return error(
            "E614",
            f"`{name}` is a pack parameter, not a fact",
            Label(span, "under `facts:`"),
            help=f"give it under `params:` instead: `params: {{{name}: …}}`",
        )
    return error(
        "E614",
        f"`{name}` is a fact, not a pack parameter",
        Label(span, "under `params:`"),
        help="give it under `facts:` instead",
    )


def judgement_without_reason(name: str, span: Span) -> Diagnostic:
    return error(
        "E615",
        f"the judgement `{name}` has no reason",
        Label(span, "an amount without a reason"),
        help=f"write `{name}: {{value: 1, reason: 为什么扣分, by: 评价人, date: 2018-05-20}}`",
    )


# ----- static analyses -------------------------------------------------------------------------


def band_gap(gaps: str, subject: str, span: Span, rule: Span) -> Diagnostic:
    found = error(
        "E420",
        f"the tiers over `{subject}` leave {gaps} uncovered",
        Label(span, "no band holds these values"),
        help="add a band for the uncovered values, or end the table with `else: …`",
    )
    return replace(found, fixes=_else_band(rule))


def band_overlap(overlap: str, span: Span) -> Diagnostic:
    return error(
        "E421",
        f"this band overlaps an earlier one on {overlap}",
        Label(span, f"{overlap} is already covered"),
        help="make the bands meet without overlapping: `[90%, 95%)` then `>= 95%`",
    )


def unreachable_band(span: Span, is_else: bool, empty: bool = False) -> Diagnostic:
    what = "the `else` band" if is_else else "this band"
    if empty:
        return warning(
            "W405",
            f"{what} can never apply: its range holds no value",
            Label(span, "never decides"),
            help="write the lower bound first (`[80%, 90%)`), or include the bound of a "
            "one-point band on both sides (`[90%, 90%]`)",
        )
    return warning(
        "W405",
        f"{what} can never apply: the bands before it cover all its values",
        Label(span, "never decides"),
        help="remove it, or fix the bounds of the bands before it",
    )


def never_full(code: str, best: Decimal, weight: Decimal, span: Span) -> Diagnostic:
    return warning(
        "W403",
        f"`{code}` can score at most {fmt(best)} of its weight {fmt(weight)}",
        Label(span, "never full marks"),
        help="award `full` for the best case, or lower the weight",
    )


def unguarded_division(
    denominator: str, facts: Sequence[str], needed_by: Sequence[str], span: Span
) -> Diagnostic:
    real = [f for f in facts if f not in ("0", "?")]
    names = (
        "" if real == [denominator] or not real else " (" + ", ".join(f"`{f}`" for f in real) + ")"
    )
    who = ", ".join(f"`{c}`" for c in needed_by)
    first = real[0] if real else "X"
    return warning(
        "W406",
        f"`{denominator}` may be 0{names}, and nothing on the way to {who} guards the division",
        Label(span, "may divide by zero"),
        help=f"declare `fact {first}: … nonzero` if it is never 0, or guard the rule: "
        f"`full when {first} == 0 else …`",
    )


def double_counting(name: str, codes: Sequence[str], labels: Sequence[Label]) -> Diagnostic:
    who = ", ".join(f"`{c}`" for c in codes)
    return warning(
        "W407",
        f"`{name}` drives deductions in {who}: the same finding is punished more than once",
        *labels,
        help=f"deduct in one indicator, or declare `fact {name}: … shared` if that is intended",
    )


def evidence_zero(name: str, span: Span, decl: Span) -> Diagnostic:
    return error(
        "E616",
        f"fact `{name}` must not be 0",
        Label(span, "0 here"),
        Label(decl, "declared `nonzero` here: the pack divides by it"),
        help="check the value; a project where it is truly 0 cannot be scored by this pack",
    )


def unknown_survey(name: str, span: Span, known: Sequence[str]) -> Diagnostic:
    return error(
        "E622",
        f"the pack declares no survey `{name}`",
        Label(span, "not a survey"),
        help=_suggest(name, known) or "declare it: `survey 名称 { fact … = count }`",
    )


def survey_problem(message: str, span: Span) -> Diagnostic:
    return error(
        "E623",
        message,
        Label(span, "responses named here"),
        help="check the responses file and the questions the pack's survey reads",
    )


def given_twice_by_survey(name: str, fact: Span, survey: Span) -> Diagnostic:
    return error(
        "E621",
        f"fact `{name}` is given directly and by its survey",
        Label(survey, "the survey's responses"),
        Label(fact, "given directly here"),
        help="give the responses or the counted fact, not both",
    )


def _file_diag(code: str, message: str, path: str, span: Span | None, help: str) -> Diagnostic:
    labels = (Label(span, "named here"),) if span is not None else ()
    return Diagnostic(code, Severity.ERROR, message, labels, help, path=path)


def data_file_outside(name: str, why: str, span: Span | None, path: str) -> Diagnostic:
    return _file_diag(
        "E640",
        f"the file `{name}` is not read: {why}",
        path,
        span,
        "keep the file in the evidence file's folder and name it relative to it, or allow "
        "its folder with `--allow-dir DIR`",
    )


def refused_file(
    kind: str, name: str, why: str, span: Span | None = None, evidence: str = ""
) -> Diagnostic | None:
    """The diagnostic of a file `files` refused (E640, E641, E642), or None when it is simply
    missing or unreadable: each caller words that itself (E100, E601, E623)."""
    if kind in ("outside", "absolute"):
        return data_file_outside(name, why, span, evidence or name)
    if kind == "special":
        return not_regular_file(name, why, span)
    if kind == "large":
        return file_too_large(name, why, span)
    return None


def not_regular_file(name: str, why: str, span: Span | None = None) -> Diagnostic:
    return _file_diag(
        "E641",
        f"`{name}` is not read: {why}",
        name,
        span,
        "name a regular file; devices, FIFOs, sockets and directories are never read",
    )


def file_too_large(name: str, why: str, span: Span | None = None) -> Diagnostic:
    return _file_diag(
        "E642",
        f"`{name}` is not read: {why}",
        name,
        span,
        "check that it is the right file; the limits are listed in the README (split a "
        "portfolio that large into several)",
    )


def workbook_limit(name: str, why: str, span: Span | None = None) -> Diagnostic:
    return _file_diag(
        "E643",
        f"`{name}` is not read: {why}",
        name,
        span,
        "reading a workbook is bounded so that a damaged or hostile file cannot hang it; "
        "open it in Excel or WPS, delete stray content far from the data and save it again",
    )


def workbook_unreadable(name: str, why: str, span: Span | None = None) -> Diagnostic:
    return _file_diag(
        "E644",
        f"`{name}`: {why}",
        name,
        span,
        "save it again from Excel or WPS as an .xlsx workbook, or export it as CSV",
    )


def cell_error_value(where: str, text: str, path: str, span: Span | None = None) -> Diagnostic:
    return _file_diag(
        "E645",
        f"{where}: `{text}` is an Excel error value, not data",
        path,
        span,
        "fix the formula that gives the error (or type the value) and save the file again",
    )


def cell_formula(
    where: str, formula: str, path: str, span: Span | None = None, cached: bool = True
) -> Diagnostic:
    if cached:
        message = f"{where}: `{formula}` is a formula, not a value"
        help = (
            "export values, not formulas; a cell starting with `=` or `@` (or `+`/`-` before "
            "a formula) is read as one"
        )
    else:
        message = f"{where}: the formula `={formula}` was saved without its value"
        help = (
            "open the workbook in Excel or WPS so it calculates, then save it; or paste the values"
        )
    return _file_diag("E646", message, path, span, help)


def csv_field_too_long(
    where: str, limit: int, path: str, span: Span | None = None, line: bool = False
) -> Diagnostic:
    what, name = ("a line", "MAX_CSV_LINE") if line else ("a cell", "MAX_CSV_FIELD")
    return _file_diag(
        "E647",
        f"{where}: {what} holds over the limit {name} = {limit:,} characters",
        path,
        span,
        'check the quotes: an unclosed `"` makes the rest of the file one cell',
    )


def question_twice(
    question: str, first: str, second: str, path: str, span: Span | None = None
) -> Diagnostic:
    return _file_diag(
        "E648",
        f"`{path}`: question `{question}` heads both column {first} and column {second}",
        path,
        span,
        "keep one column per question, or rename one of them",
    )


def ambiguous_percent(where: str, text: str, path: str) -> Diagnostic:
    return _file_diag(
        "E649",
        f"{where}: `{text}` in a percent column is ambiguous",
        path,
        None,
        f"write `{text}%` or the percent it means as a fraction ≤ 1 (0.92 for 92%), "
        "or format the cell as a percentage in Excel",
    )


def too_many_responses(name: str, limit: str, row: int, span: Span | None = None) -> Diagnostic:
    return _file_diag(
        "E650",
        f"`{name}` has more responses than the limit {limit} (at row {row:,})",
        name,
        span,
        "check that it is the responses file; a survey that large is better counted "
        "elsewhere and its counts given under `facts:`",
    )


def survey_twice(name: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E651",
        f"the responses of survey `{name}` are given twice",
        Label(span, "given again here"),
        Label(first, "first given here"),
        help="keep one entry per survey; put all the responses in one file",
    )


def formula_award(
    code: str, formula: str, problem: str, example: str, deduction: bool, span: Span
) -> Diagnostic:
    what = "deduction" if deduction else "award"
    consequence = (
        "a negative deduction is refused when it happens (E505), never added"
        if deduction and problem == "negative"
        else "the engine floors it at 0"
        if problem == "negative"
        else "the engine caps it at the weight"
    )
    return warning(
        "W408",
        f"the {what} `{formula}` of `{code}` can be {problem}, e.g. when {example}",
        Label(span, f"{problem} for some evidence"),
        help=f"{consequence}; bound the formula with min(…)/max(…) if that is not meant",
    )


def negative_amount(
    what: str, value: Decimal, via: str | None, span: Span, percent: bool = False
) -> Diagnostic:
    where = f", through {via}" if via else ""
    shown = fmt(value * 100) + "%" if percent else fmt(value)
    return error(
        "E430",
        f"{what} is negative ({shown}{where}): amounts, caps and ranges are never negative",
        Label(span, "negative"),
        help="a negative deduction would add points while the ledger says 扣分; write the "
        "amount as a positive number: `deduct 1 per …` takes a point away, `add 1 per …` "
        "(in a bonus) gives one",
    )


def _step_text(places: int) -> str:
    return fmt(Decimal(1).scaleb(-places))


def weight_off_rounding(
    what: str, weight: Decimal, places: int, mode: str, rounded: Decimal, span: Span
) -> Diagnostic:
    step = _step_text(places)
    return error(
        "E431",
        f"{what} is not a multiple of the rounding step {step}: `{mode}` "
        f"rounds full marks to {fmt(rounded)}",
        Label(span, f"rounds to {fmt(rounded)}"),
        help=f"round to more places (`rounding {_places_for(weight)}`), or make the weight a "
        f"multiple of {step}",
    )


def _places_for(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def cap_off_rounding(what: str, cap: Decimal, places: int, mode: str, span: Span) -> Diagnostic:
    step = _step_text(places)
    return error(
        "E432",
        f"{what} is not a multiple of the rounding step {step}: after `{mode}` "
        "rounding it can give or take more than its cap",
        Label(span, f"not a multiple of {step}"),
        help=f"round to more places (`rounding {_places_for(cap)}`), or make the cap a "
        f"multiple of {step}",
    )


def grade_out_of_reach(labels: Sequence[str], why: str, span: Span, help: str) -> Diagnostic:
    names = ", ".join(f"`{label}`" for label in labels)
    return error(
        "E433",
        f"grade{'s' if len(labels) > 1 else ''} {names} can never be given: {why}",
        Label(span, "never given"),
        help=help,
    )


def no_indicator(span: Span) -> Diagnostic:
    return error(
        "E434",
        "the pack has no indicator: nothing would be scored",
        Label(span, "no `indicator` in this pack"),
        help='declare the indicator tree: `indicator A "项目决策" 100 { … }`',
    )


def unknown_placeholder(name: str, available: Sequence[str], span: Span) -> Diagnostic:
    there = ", ".join(f"`{{{a}}}`" for a in available) if available else "none"
    hint = (
        f"write it `{{{name}}}`: ASCII braces, no spaces"
        if name in available
        else _suggest(name, available)
    )
    return error(
        "E435",
        f"`{span.text}` in this reason is not filled by its rule (placeholders here: {there})",
        Label(span, "would be printed as written"),
        help=(hint + " " if hint else "")
        + "`{item}` names each finding of a list, `{count}` the number a count deducts for",
    )


def condition_never(text: str, why: str, span: Span) -> Diagnostic:
    return warning(
        "W410",
        f"the condition `{text}` can never hold: {why}",
        Label(span, "never true"),
        help="the rule it guards never applies; check the comparison operators and bounds",
    )


def condition_always(text: str, why: str, span: Span) -> Diagnostic:
    return warning(
        "W411",
        f"the condition `{text}` always holds: {why}",
        Label(span, "always true"),
        help="it decides nothing; check the comparison operators and bounds",
    )


def analysis_gave_up(analysis: str, limit: int, span: Span) -> Diagnostic:
    return warning(
        "W412",
        f"the {analysis} analysis gave up after {limit} steps (ANALYSIS_STEPS): its "
        "findings are incomplete",
        Label(span, "not fully analysed"),
        help="simplify the derived facts it follows (long chains of lets that square or divide)",
    )


def weight_never_reached(
    what: str, weight: Decimal, places: int, rounded: Decimal, span: Span
) -> Diagnostic:
    step = _step_text(places)
    return warning(
        "W413",
        f"{what} is not a multiple of the rounding step {step}: `down` rounding "
        f"scores it at most {fmt(rounded)}",
        Label(span, "never scored in full"),
        help=f"round to more places (`rounding {_places_for(weight)}`), or make the weight a "
        f"multiple of {step}",
    )


def national_grades_out_of_reach(
    labels: Sequence[str], why: str, span: Span, help: str
) -> Diagnostic:
    names = ", ".join(f"`{label}`" for label in labels)
    return warning(
        "W414",
        f"grade{'s' if len(labels) > 1 else ''} {names} can never be given: {why}",
        Label(span, "out of reach of this total"),
        help=help,
    )


def evidence_duplicate_key(key: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E661",
        f"the key `{key}` is given twice in one mapping",
        Label(span, "given again here"),
        Label(first, "first given here"),
        help="keep one: YAML and JSON readers would silently keep the last",
    )


def outside_domain(
    name: str, value: str, domain: str, span: Span | None, decl: Span, how: str
) -> Diagnostic:
    labels = [Label(span, f"outside {domain}")] if span is not None else []
    return error(
        "E660",
        f"fact `{name}` is {value}, outside its domain {domain}",
        *labels,
        Label(decl, "declared here"),
        help=how,
    )


def not_a_finding(
    name: str, text: str, why: str, span: Span | None = None, where: str = "", path: str = ""
) -> Diagnostic:
    """E652: an entry of a findings list (a YAML list, or a portfolio cell's items at `where`
    in `path`) that is no finding; each finding costs points, so it is never counted."""
    message = (
        f"`{text.strip()}` in the findings of `{name}` is not a finding: {why}"
        if text.strip()
        else f"an entry of the findings of `{name}` is empty"
    )
    labels = (Label(span, why),) if span is not None else ()
    return Diagnostic(
        "E652",
        Severity.ERROR,
        f"{where}: {message}" if where else message,
        labels,
        "list each finding as its own text; when nothing was found leave the list empty "
        "(`[]`, a blank cell, `无`); a number of findings belongs in a `count` fact",
        path=path or None,
    )


def project_id_twice(ident: str, where: str, first: str) -> Diagnostic:
    """E653: a portfolio row (or folder file) whose project id an earlier one already has."""
    return Diagnostic(
        "E653",
        Severity.ERROR,
        f"{where}: project id `{ident}` is already used by {first}",
        (),
        "give each project its own id: records and summaries name a project by it",
    )


# ----- fixes an editor may apply (`jixiao lsp` code actions) --------------------------------


def _offer(found: Diagnostic, span: Span, written: str) -> Diagnostic:
    """`found` with the fix its "did you mean" help names: the suggested word in place of the
    written one, when the span is exactly that word."""
    help = found.help or ""
    if not help.startswith("did you mean `") or span.text != written:
        return found
    word = help[len("did you mean `") :].rsplit("`", 1)[0]
    return replace(found, fixes=(Fix(span, word, f"replace with `{word}`"),))


def _weight_fixes(
    weight: Decimal, total: Decimal, span: Span, children: Sequence[tuple[str, Decimal, Span]]
) -> tuple[Fix, ...]:
    """E401's two ways to make a branch add up: the last child takes the difference (when that
    leaves it a positive weight), or the parent's weight becomes the children's sum."""
    fixes = []
    if children:
        code, last, last_span = children[-1]
        fitted = last - (total - weight)
        if fitted > 0:
            fixes.append(
                Fix(last_span, fmt(fitted), f"make `{code}` weigh {fmt(fitted)} so they add up")
            )
    fixes.append(Fix(span, fmt(total), f"make the weight {fmt(total)}, the children's sum"))
    return tuple(fixes)


def _else_band(rule: Span) -> tuple[Fix, ...]:
    """E420's fix: an `else: 0` band before the table's closing brace, on a line of its own
    when the bands are on lines of their own."""
    text = rule.text
    close = text.rfind("}")
    if close < 0:
        return ()
    at = rule.start + close
    source = rule.source
    line, col = source.line_col(at)
    before = source.line_text(line)[: col - 1]
    if before.strip():  # `tiers x { >= 1: full }`: on the same line, after the last band
        last = before.rstrip()
        sep = " " if last.endswith(";") else "; "
        start = at - (len(before) - len(last))
        return (Fix(Span(source, start, at), f"{sep}else: 0 ", "add an `else: 0` band"),)
    return (Fix(Span(source, at, at), f"    else: 0\n{before}", "add an `else: 0` band"),)


def serve_no_packs_folder(folder: str, reason: str) -> Diagnostic:
    """E810: `jixiao serve --packs DIR` names no folder it can read."""
    return Diagnostic(
        "E810",
        Severity.ERROR,
        f"cannot serve packs from `{folder}`: {reason}",
        path=folder,
        help="give `--packs DIR`, a folder holding the packs (*.jx) to serve",
    )


def serve_bad_database(url: str, reason: str) -> Diagnostic:
    """E811: `jixiao serve --db URL` names no database the decision log can use."""
    # never echo a password: `postgresql://user:pw@host/db` is shown `postgresql://…@host/db`
    scheme, sep, rest = url.partition("://")
    shown = f"{scheme}://…@{rest.rsplit('@', 1)[1]}" if sep and "@" in rest else url
    return Diagnostic(
        "E811",
        Severity.ERROR,
        f"cannot keep the decision log in `{shown}`: {reason}",
        path=shown,
        help="give `--db sqlite:///FILE.db` or `--db postgresql://USER@HOST/DATABASE`, or "
        "leave it out for SQLite beside the packs",
    )


def serve_bad_option(option: str, reason: str) -> Diagnostic:
    """E812: another `jixiao serve` option cannot be used (a tokens file, the limits)."""
    return Diagnostic(
        "E812",
        Severity.ERROR,
        f"cannot start the server: `{option}`: {reason}",
        path=option,
        help="see `jixiao serve --help` and docs/serve.md",
    )


# ----- `jixiao whatif` (E79x) -------------------------------------------------------------------


def whatif_unknown_fact(name: str, known: Iterable[str], behind: Sequence[str] = ()) -> Diagnostic:
    """E790: `--fixed NAME` for a name that is no fact of the pack (`behind`: the names a
    derived fact of that name reads, to pin instead)."""
    if behind:
        return Diagnostic(
            "E790",
            Severity.ERROR,
            f"`--fixed {name}` names a derived fact, which is computed, not given",
            (),
            "pin the facts it is computed from instead: "
            + ", ".join(f"`--fixed {n}`" for n in behind),
        )
    hint = did_you_mean(name, list(known))
    return Diagnostic(
        "E790",
        Severity.ERROR,
        f"`--fixed {name}` names no fact of the pack",
        (),
        (f"{hint} " if hint else "") + "give a fact the pack declares with `fact`",
    )


def whatif_unknown_grade(name: str, known: Iterable[str]) -> Diagnostic:
    """E791: `--to GRADE` for a label the pack's grades do not have."""
    labels = list(known)
    return Diagnostic(
        "E791",
        Severity.ERROR,
        f"`--to {name}` names no grade of the pack",
        (),
        "give one of " + ", ".join(f"`{g}`" for g in labels),
    )


def whatif_unknown_indicator(code: str, known: Iterable[str]) -> Diagnostic:
    """E792: `--indicator CODE` for a code no indicator has."""
    hint = did_you_mean(code, list(known))
    return Diagnostic(
        "E792",
        Severity.ERROR,
        f"`--indicator {code}` names no indicator of the pack",
        (),
        (f"{hint} " if hint else "") + "give an indicator's code, as `jixiao eval` lists them",
    )


def whatif_unscored(path: str) -> Diagnostic:
    """E793: whatif on evidence the evaluator gives no total for."""
    return Diagnostic(
        "E793",
        Severity.ERROR,
        f"`{path}` does not score, so there is nothing to change from",
        (),
        "fix the evidence errors above (as `jixiao eval` reports them), then run whatif again",
        path=path,
    )


# ----- columnar portfolios: Parquet and Arrow (E845–E849) --------------------------------------


def column_type(where: str, column: str, arrow_type: str, what: str) -> Diagnostic:
    """E845: a Parquet/Arrow column whose type cannot hold what its name says it holds."""
    return Diagnostic(
        "E845",
        Severity.ERROR,
        f"{where}: column `{column}` holds `{arrow_type}` values, which cannot be {what}",
        (),
        "store the column as text, or with the type of its fact: a decimal, integer or float "
        "for money, numbers, counts and percents; bool for yes/no; date32 for dates; a list "
        "of strings for a list",
        path=where,
    )


def cell_inexact(where: str, text: str, why: str) -> Diagnostic:
    """E846: a Parquet/Arrow cell that holds no exact value (NaN, an infinity, a time)."""
    return Diagnostic("E846", Severity.ERROR, f"{where}: `{text}` is no exact value", (), why)


def columnar_unreadable(path: str, reason: str) -> Diagnostic:
    """E847: a file named (or made) as Parquet or Arrow IPC that pyarrow cannot read."""
    return Diagnostic(
        "E847",
        Severity.ERROR,
        f"cannot read portfolio table as Parquet or Arrow: {reason}",
        (),
        "write the file again as Parquet or Arrow IPC (Feather v2), or save the table as CSV "
        "or XLSX",
        path=path,
    )


# ----- record lists (`fact 子项目: records { … }`) and their aggregates ------------------------


def records_without_fields(name: str, span: Span) -> Diagnostic:
    return error(
        "E320",
        f"record list `{name}` declares no fields",
        Label(span, "a record list needs its fields"),
        help=f"write `fact {name}: records {{ 名称: text; 预算: money; 完成数: count }}`",
    )


def fields_on_other_type(name: str, type_: str, span: Span) -> Diagnostic:
    return error(
        "E320",
        f"fact `{name}` is declared `{type_}` but lists fields",
        Label(span, "fields belong to a record list"),
        help=f"declare it `fact {name}: records {{ … }}`, or remove the fields",
    )


def field_type(records: str, field: str, type_: str, span: Span) -> Diagnostic:
    return error(
        "E321",
        f"field `{field}` of `{records}` is a {type_}, which a record cannot hold",
        Label(span, "not a field type"),
        help="a field is money, number, count, percent, bool, text, date or a choice; "
        "a list of findings per record belongs in a record list of its own",
    )


def field_twice(records: str, field: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E322",
        f"field `{field}` of `{records}` is declared twice",
        Label(span, "declared again here"),
        Label(first, "first declared here"),
        help="keep one, or rename the other",
    )


def not_records(name: str, kind: Kind, span: Span) -> Diagnostic:
    return error(
        "E323",
        f"`{name}` is {kind}, not a record list",
        Label(span, "an aggregate reads a record list"),
        help=f"declare `fact {name}: records {{ … }}`, or compute with `min(a, b)`, "
        "`max(a, b)`, `count(list)` over single facts",
    )


def unknown_field(records: str, field: str, span: Span, known: Sequence[str]) -> Diagnostic:
    listed = ", ".join(f"`{k}`" for k in known)
    return error(
        "E324",
        f"record list `{records}` has no field `{field}`",
        Label(span, "not a field of it"),
        help=_suggest(field, known) or f"its fields are {listed}",
    )


def aggregate_form(func: str, records: str, span: Span, why: str, write: str) -> Diagnostic:
    return error(
        "E325",
        f"`{func}` over `{records}` {why}",
        Label(span, "here"),
        help=f"write {write}",
    )


def aggregate_kind(what: str, field: str, kind: Kind, span: Span) -> Diagnostic:
    return error(
        "E326",
        f"{what} must be a number, but field `{field}` is {kind}",
        Label(span, f"this is {kind}"),
        help="sums, means, minima, maxima and weights are of money, number, count or percent "
        "fields; count records with `count(… where …)`",
    )


def field_reads_derived(records: str, field: str, name: str, span: Span) -> Diagnostic:
    return error(
        "E327",
        f"per-record value `{field}` of `{records}` reads derived fact `{name}`",
        Label(span, "a derived fact"),
        help="a per-record value reads the record's fields, facts and parameters; write "
        "the derived fact's expression in place, or compare with it in the aggregate's `where`",
    )


def records_shape(name: str, span: Span, why: str, write: str) -> Diagnostic:
    return error(
        "E670",
        f"record list `{name}` {why}",
        Label(span, "here"),
        help=write,
    )


def record_missing_field(
    name: str, record: str, field: str, span: Span, decl: Span, blank: bool
) -> Diagnostic:
    what = f"leaves field `{field}` blank" if blank else f"has no field `{field}`"
    return error(
        "E671",
        f"{record} of `{name}` {what}",
        Label(span, "this record"),
        Label(decl, "the field is declared here"),
        help=f"give `{field}` a value (`不适用` leaves the record out of what reads `{field}`), "
        "or declare a `default` for the field",
    )


def record_unknown_field(
    name: str, record: str, field: str, span: Span, known: Sequence[str], computed: bool = False
) -> Diagnostic:
    listed = ", ".join(f"`{k}`" for k in known)
    if computed:
        return error(
            "E672",
            f"{record} of `{name}` gives `{field}`, which the pack computes for each record",
            Label(span, "computed, not given"),
            help=f"remove `{field}`: the pack computes it from the record's other fields",
        )
    return error(
        "E672",
        f"{record} of `{name}` gives `{field}`, which `{name}` does not declare",
        Label(span, "not a field"),
        help=_suggest(field, known)
        or f"the fields are {listed}; remove it, or declare it in the pack",
    )


def record_bad_value(
    name: str, record: str, field: str, kind: Kind, text: str, why: str, span: Span, decl: Span
) -> Diagnostic:
    return error(
        "E673",
        f"{record} of `{name}`: field `{field}` should be {_article(kind)}, not `{text}`",
        Label(span, why),
        Label(decl, f"declared {kind} here"),
        help=f"write {_value_examples(kind)}",
    )


def records_file(name: str, why: str, span: Span | None, path: str, write: str) -> Diagnostic:
    labels = (Label(span, "named here"),) if span is not None else ()
    return Diagnostic(
        "E674",
        Severity.ERROR,
        f"the records of `{name}`: {why}",
        labels,
        write,
        path=path if span is None else None,
    )


def aggregate_failure(code: str, detail: str, needed_by: Sequence[str], span: Span) -> Diagnostic:
    """E675–E677: an aggregate that has no value for this evidence (see `failure_detail`)."""
    help = {
        "E675": "give the records, or guard the rule: "
        "`if count(子项目 where …) == 0 then … else mean(…)`",
        "E676": "give the records their weights, or guard the rule on the total weight",
        "E677": "correct the record's fields, or leave the record out with `不适用`",
    }[code]
    return error(code, f"{detail}; {_need(needed_by)}", Label(span, "no value here"), help=help)


def field_hides_name(records: str, field: str, span: Span, other: Span) -> Diagnostic:
    return warning(
        "W320",
        f"field `{field}` of `{records}` hides `{field}` of the pack inside `{records}`'s "
        "conditions and per-record values",
        Label(span, "this field"),
        Label(other, "declared in the pack too"),
        help=f"there `{field}` is the record's field; rename one of them if the pack's is meant",
    )


# ----- expert panels (专家评分), `by` dispatch -------------------------------------------------

#: The field names an expert's entry of a panel may use (evidence), for the help of E662.
PANEL_FIELDS = "`专家`/`name`, `得分`/`score`, `理由`/`reason`"


def panel_subject(got: Kind, span: Span) -> Diagnostic:
    return error(
        "E335",
        f"`panel` combines the experts' scores of a panel fact, not a {got}",
        Label(span, f"a {got}"),
        help="declare the fact as `fact 专家评分: panel` and give each expert's score, name and "
        "reason in the evidence",
    )


def panel_mode(word: str, span: Span, known: Sequence[str]) -> Diagnostic:
    hint = _suggest(word, known)
    return error(
        "E336",
        f"unknown way to combine a panel `{word}`",
        Label(span, "not a combination"),
        help=(f"{hint} " if hint else "")
        + "write `mean` (平均), `trimmed` (去掉一个最高分和一个最低分后平均) or `median` (中位数)",
    )


def panel_min(problem: str, span: Span, help: str, what: str = "`min`") -> Diagnostic:
    return error("E337", f"the {what} of a panel {problem}", Label(span, problem), help=help)


def dispatch_subject(problem: str, span: Span) -> Diagnostic:
    return error(
        "E338",
        f"`by` dispatches over a choice fact, but {problem}",
        Label(span, "not a choice fact"),
        help='declare the fact with its values, `fact 类别: choice ["基建类", "运转类", "其他"]`, '
        "so that every value has a branch",
    )


def dispatch_uncovered(name: str, missing: Sequence[str], span: Span, decl: Span) -> Diagnostic:
    return error(
        "E339",
        f"`by {name}` has no branch for {_choices(missing)}",
        Label(span, "not every choice is covered"),
        Label(decl, "the choices are declared here"),
        help=f"add a branch for {_choices(missing)}, or an `else: …` branch",
    )


def dispatch_else_twice(span: Span, first: Span) -> Diagnostic:
    return error(
        "E340",
        "`by` has two `else` branches",
        Label(span, "again here"),
        Label(first, "first here"),
        help="keep one `else`: it takes every value no branch names",
    )


def dispatch_label_twice(label: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E341",
        f"`{label}` has two branches in `by`",
        Label(span, "again here"),
        Label(first, "first here"),
        help="a value takes one branch: remove it from one of them",
    )


def panel_entry(name: str, problem: str, span: Span, help: str) -> Diagnostic:
    return error("E662", f"{problem} in panel `{name}`", Label(span, "here"), help=help)


def panel_score(name: str, index: int, expert: str, text: str, why: str, span: Span) -> Diagnostic:
    return error(
        "E663",
        f"expert {index} `{expert}` of panel `{name}` has the score `{text}`: {why}",
        Label(span, "not a score"),
        help="give the score as a number of points, e.g. `得分: 4.5`",
    )


def panel_expert_twice(name: str, expert: str, span: Span, first: Span) -> Diagnostic:
    return error(
        "E664",
        f"expert `{expert}` is listed twice in panel `{name}`",
        Label(span, "again here"),
        Label(first, "first here"),
        help="each expert scores once: remove the repeated entry, or tell two experts of the "
        "same name apart (`张三（财政局）`)",
    )


def panel_refused(
    code: str, detail: str, needed_by: Sequence[str], span: Span, failure: Failure
) -> Diagnostic:
    who = ", ".join(f"`{c}`" for c in needed_by)
    if code == "E665":
        return error(
            "E665",
            f"{detail} ({who})",
            Label(span, "this score"),
            help=f"every expert's score lies in {failure.arg('band')}: correct the score in the "
            "evidence (or the pack, if the standard gives another band)",
        )
    return error(
        "E666",
        f"{detail} ({who})",
        Label(span, "too few experts"),
        help="give every expert's score in the evidence, or lower the panel's `min` if the "
        "standard allows fewer experts",
    )


def dispatch_else_unreachable(name: str, span: Span) -> Diagnostic:
    return warning(
        "W335",
        f"the `else` of `by {name}` can never apply: every choice has a branch",
        Label(span, "never taken"),
        help="remove the `else` branch, or add the choice it was meant for to the fact's choices",
    )


# ----- score ranges under missing evidence (`eval --partial`: E785–E789, W785–W789) -------------


def partial_unrangeable(name: str, kind: str, span: Span) -> Diagnostic:
    return error(
        "E786",
        f"`eval --partial` cannot range the missing {kind} fact `{name}`: its value is many "
        "values, not one",
        Label(span, "declared here"),
        help=f"give `{name}` in the evidence; the facts still missing are then ranged",
    )


def range_not_exhaustive(code: str | None, span: Span, limit: str) -> Diagnostic:
    """W785: a range of `eval --partial` found by a search rather than exhaustively."""
    what = f"indicator `{code}`" if code else "the total"
    return warning(
        "W785",
        f"the range of {what} was searched, not exhausted: each end is reached, but may not be "
        "the extreme",
        Label(span, "too many missing facts read together"),
        help=f"it reads more combinations of missing facts than {limit}; give some of them in "
        "the evidence for an exact range",
    )


def dataset_not_parquet(path: str, why: str) -> Diagnostic:
    """E848: `--engine dask` given a portfolio that is no Parquet file or dataset."""
    return Diagnostic(
        "E848",
        Severity.ERROR,
        f"`--engine dask` scores a Parquet file or dataset, and `{path}` is not one: {why}",
        (),
        "convert the portfolio to Parquet (one file, or a folder of .parquet files), or score "
        "it on this machine without `--engine dask`",
        path=path,
    )


def engine_unavailable(engine: str, why: str) -> Diagnostic:
    """E849: the distributed engine cannot be used: its extra is missing or no scheduler."""
    return Diagnostic(
        "E849",
        Severity.ERROR,
        f"cannot score on `{engine}`: {why}",
        (),
        "install the extra, start the scheduler (`dask scheduler`) and its workers, and give "
        "its address as `--scheduler tcp://HOST:8786`; without `--scheduler` a local cluster "
        "is started",
    )


# ----- choosing projects of a portfolio: `eval --batch … --explain ID` (E850–E851) -------------


def project_not_in_portfolio(ids: list[str], path: str) -> Diagnostic:
    """E850: `--explain` names a project id that no row (or file) of the portfolio has."""
    named = ", ".join(f"`{i}`" for i in ids)
    noun = "project" if len(ids) == 1 else "projects"
    return Diagnostic(
        "E850",
        Severity.ERROR,
        f"no {noun} {named} in the portfolio `{path}`",
        (),
        "give the id as the portfolio's id column (id, 项目编号, 编号 …) holds it, or a folder "
        "portfolio's file name without its suffix; the records of `eval --batch` list every id",
        path=path,
    )


def project_not_scored(ident: str, path: str, problems: list[str]) -> Diagnostic:
    """E851: `--explain` names a project whose row cannot be scored (a cell is not data)."""
    return Diagnostic(
        "E851",
        Severity.ERROR,
        f"project `{ident}` of `{path}` cannot be scored: {'; '.join(problems)}",
        (),
        "correct what the message names in the portfolio, then explain the project again",
        path=path,
    )


# ----- the columnar points-only path (W860, E861) ----------------------------------------------


def not_columnar(pack: str, why: str) -> Diagnostic:
    """W860: `--points-only` given a pack the columns cannot score: the ledger path scores it."""
    return Diagnostic(
        "W860",
        Severity.WARNING,
        f"`--points-only` cannot score this pack over columns: {why}; every project is scored "
        "one at a time instead",
        (),
        "the records are the same either way, only slower; the columns score a tree without "
        "vetoes, bonus or penalty sections, rules on a branch or rounding `on total`, and at "
        "least one leaf whose rules they run (docs/diagnostics.md, W860, lists the rules)",
        path=pack,
    )


def columnar_unavailable(why: str) -> Diagnostic:
    """E861: `--points-only` needs numpy (the `columnar` extra)."""
    return Diagnostic(
        "E861",
        Severity.ERROR,
        f"`--points-only` needs numpy, which cannot be imported: {why}",
        (),
        "install the extra: pip install 'jixiao[columnar]'; or drop `--points-only`",
    )
