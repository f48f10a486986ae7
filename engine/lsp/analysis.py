"""One document, analysed as `jixiao check` would: its diagnostics, syntax tree, checked program
and an index of the names it declares and uses.

`analyse(path, text)` runs the stages of `engine.compile_source` — parse, resolve imports, the
expansion limits, check, the analyses, the graph — but keeps what each produced and every
diagnostic instead of stopping at the first stage that fails, so an editor gets the syntax tree
of a pack that does not check, and the checked program when it does. Positions are character
offsets into the document's `Source`; the server turns them into protocol positions.

The index is built, when first asked, from the pack with its imports joined: every declaration
keeps its own span, so a name declared in a template points into the template's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from jixiao.dsl import ast, record
from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors
from jixiao.dsl.source import Source, Span

from ..common.ir import Program

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .incremental import Parses

#: What a declared name is, as hover and completion say it.
FACT, DERIVED, PARAM, FUNCTION, ARGUMENT, INDICATOR, EXTRA, SURVEY = (
    "fact",
    "derived fact",
    "parameter",
    "function",
    "function parameter",
    "indicator",
    "bonus or penalty",
    "survey",
)


@dataclass(frozen=True)
class Symbol:
    """A declared name: where it is declared (`span`, the name itself) and its declaration."""

    name: str
    kind: str
    span: Span
    node: object  # the declaration: ast.FactDecl, ast.LetDecl, ast.Indicator, …
    scope: str = ""  # a function parameter's function; "" for the pack's names


@dataclass(frozen=True)
class Use:
    """A name written somewhere (declarations included): which symbol it means, if any."""

    key: tuple[str, str]  # (scope, name), the key of `Index.symbols`
    span: Span


@dataclass
class Index:
    symbols: dict[tuple[str, str], Symbol] = field(default_factory=dict)
    uses: list[Use] = field(default_factory=list)  # in source order per file
    imports: list[tuple[Span, str]] = field(default_factory=list)  # `import "…"`: span, file
    parents: dict[str, str] = field(default_factory=dict)  # indicator code → parent code

    def at(self, source: Source, offset: int) -> Use | None:
        """The use (or declaration) whose span holds `offset` in `source`."""
        for use in self.uses:
            s = use.span
            if s.source is source and s.start <= offset <= s.end and s.start != s.end:
                return use
        return None

    def symbol(self, use: Use) -> Symbol | None:
        return self.symbols.get(use.key)

    def uses_of(self, key: tuple[str, str]) -> list[Use]:
        return [u for u in self.uses if u.key == key]


@dataclass
class Analysis:
    source: Source
    diagnostics: list[Diagnostic]
    pack: ast.Pack | None  # None: the text does not parse
    joined: ast.Pack | None  # with its imports joined (the pack itself when it imports none)
    program: Program | None  # None: the pack does not check
    _index: Index | None = None

    @property
    def index(self) -> Index:
        """The names declared and used, made when first asked (publishing diagnostics after an
        edit never needs it)."""
        if self._index is None:
            self._index = Index() if self.pack is None else index_of(self.pack, self.joined)
        return self._index


def analyse(path: str, text: str, parses: Parses | None = None) -> Analysis:
    """Every diagnostic `jixiao check` gives for this text (warnings too), and what was built.
    With `parses` (the document's earlier parses), only the items an edit changed are parsed."""
    from jixiao.dsl.parser import parse

    from ..check.checker import check
    from ..check.expand import bound_chains
    from ..plan.analysis import analyse as analyses
    from ..plan.graph import order

    source = Source(path, text)
    try:
        pack = parse(source) if parses is None else parses.parse(source)
    except JixiaoError as exc:
        return Analysis(source, list(exc.diagnostics), None, None, None)
    diagnostics: list[Diagnostic] = []
    joined = pack
    if pack.imports:
        from ..check.imports import resolve, search_path
        from ..runtime.packfile import read_pack

        try:
            joined = resolve(pack, read_pack, search_path()).pack
        except JixiaoError as exc:
            return Analysis(source, list(exc.diagnostics), pack, pack, None)
    program = None
    try:  # the stages of `compile_source`, stopping where it stops, with what it reports
        chains = bound_chains(joined)
        if has_errors(chains):
            raise JixiaoError(chains)
        checked, diagnostics = check(joined, source)
        if checked is None or has_errors(diagnostics):
            raise JixiaoError(diagnostics)
        program = checked
        diagnostics += analyses(program)
        if has_errors(diagnostics):
            raise JixiaoError(diagnostics)
        order(program)  # a cycle (E501) is the graph's to find
    except JixiaoError as exc:
        diagnostics = list(exc.diagnostics)
    return Analysis(source, diagnostics, pack, joined, program)


# ----- the index ------------------------------------------------------------------------------


def index_of(pack: ast.Pack, joined: ast.Pack | None) -> Index:
    """Declarations of the joined pack (imported ones included), uses of the pack as written
    and of the imported declarations (so references reach into templates too)."""
    index = Index()
    joined = pack if joined is None else joined
    declare(index, joined)
    for node in pack.imports:  # (the joined pack has none left)
        index.imports.append((node.path.span, node.path.value))
    for indicator in joined.indicators:
        _parents(index, indicator, None)
    use_all(index, joined)
    return index


def _parents(index: Index, node: ast.Indicator, parent: str | None) -> None:
    if parent is not None:
        index.parents[node.code.text] = parent
    for child in node.children:
        _parents(index, child, node.code.text)


def declare(index: Index, pack: ast.Pack) -> None:
    def add(word: ast.Word, kind: str, node: object, scope: str = "") -> None:
        key = (scope, word.text)
        index.symbols.setdefault(key, Symbol(word.text, kind, word.span, node, scope))

    for fact in pack.facts:
        add(fact.name, FACT, fact)
    for survey in pack.surveys:
        add(survey.name, SURVEY, survey)
        for aggregate in survey.facts:
            add(aggregate.name, FACT, aggregate)
    for param in pack.params:
        add(param.name, PARAM, param)
    for let in pack.lets:
        add(let.name, DERIVED, let)
    for function in pack.functions:
        add(function.name, FUNCTION, function)
        for argument in function.params:
            add(argument.name, ARGUMENT, argument, function.name.text)
    stack = list(pack.indicators)
    while stack:
        indicator = stack.pop()
        add(indicator.code, INDICATOR, indicator)
        stack.extend(indicator.children)
    for extra in pack.extras:
        add(extra.code, EXTRA, extra)


def use_all(index: Index, pack: ast.Pack) -> None:
    """Every name written in the pack, declarations included, in source order."""
    seen: set[tuple[int, int, int]] = set()

    def note(scope: str, name: str, span: Span) -> None:
        at = (id(span.source), span.start, span.end)
        if at in seen:
            return
        seen.add(at)
        key = (scope, name) if (scope, name) in index.symbols else ("", name)
        index.uses.append(Use(key, span))

    def walk(node: object, scope: str) -> None:
        stack: list[object] = [node]
        while stack:
            x = stack.pop()
            if isinstance(x, tuple):
                stack.extend(reversed(x))
                continue
            if not isinstance(x, record.Record) or isinstance(x, Span | Source):
                continue
            match x:
                case ast.Name(name, span):
                    note(scope, name, span)
                    continue
                case ast.CallRule(name, _, _, name_span):
                    note("", name, name_span)
                case ast.Function(name, params):
                    note("", name.text, name.span)
                    for argument in params:
                        note(name.text, argument.name.text, argument.name.span)
                    walk(x.rules, name.text)
                    continue
                case (
                    ast.FactDecl(name)
                    | ast.LetDecl(name)
                    | ast.ParamDecl(name)
                    | ast.ParamOverride(name)
                    | ast.Survey(name)
                ):
                    note("", name.text, name.span)
                case ast.SurveyFact():
                    note("", x.name.text, x.name.span)
                    continue  # its columns are questions of the survey, not names
                case ast.Indicator(code) | ast.Extra(_, code):
                    note("", code.text, code.span)
                case ast.Veto(target=ast.Word() as target) if ("", target.text) in index.symbols:
                    note("", target.text, target.span)
            stack.extend(reversed([getattr(x, f) for f in record.fields(x)]))

    for part in (
        pack.facts,
        pack.surveys,
        pack.params,
        pack.lets,
        pack.functions,
        pack.indicators,
        pack.extras,
        pack.vetoes,
    ):
        walk(part, "")
    index.uses.sort(key=lambda u: (u.span.source.path, u.span.start))


# ----- what the checker knows of a name -------------------------------------------------------


def children_sum(node: ast.Indicator) -> Decimal:
    return sum((c.weight.value for c in node.children), Decimal(0))


def expected_sum(node: ast.Indicator) -> Decimal:
    """What a branch's children should add up to: its scale (`of 100`) or its weight."""
    return node.scale.value if node.scale is not None else node.weight.value
