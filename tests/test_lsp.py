"""`jixiao lsp` end to end: the server started as an editor starts it (`jixiao lsp` over stdio,
here `python -m jixiao.engine.cli lsp`), driven by pygls's own client. What an author sees:
diagnostics with their ranges, quick fixes that remove them, hover, definition, references,
completion, formatting, the outline and inlay hints."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from jixiao.dsl.formatter import format_pack
from jixiao.dsl.parser import parse_text

from .helpers import FOUNDING_PACK, ROOT

T = TypeVar("T")
TIMEOUT = 60  # seconds for one answer: eight sessions may share two cores


class Editor:
    """A client session with one server: open documents, change them, ask."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("jixiao-tests", "1")
        self.published: dict[str, list[lsp.PublishDiagnosticsParams]] = {}
        self.arrived = asyncio.Event()
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(params)
            self.arrived.set()

        self.run(self.client.start_io(sys.executable, "-m", "jixiao.engine.cli", "lsp"))
        self.run(
            self.client.initialize_async(
                lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=ROOT.as_uri())
            )
        )
        self.client.initialized(lsp.InitializedParams())

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(coro, TIMEOUT))

    def close(self) -> None:
        self.run(self.client.shutdown_async(None))
        self.client.exit(None)
        self.run(self.client.stop())
        self.loop.close()

    # ----- documents

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        text = path.read_text(encoding="utf-8") if text is None else text
        self.texts[uri], self.versions[uri] = text, 1
        item = lsp.TextDocumentItem(uri=uri, language_id="jixiao", version=1, text=text)
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=self.versions[uri], uri=uri),
                [lsp.TextDocumentContentChangeWholeDocument(text)],
            )
        )

    def diagnostics(self, uri: str) -> list[lsp.Diagnostic]:
        """The diagnostics published for the document's current version (waiting for them)."""
        want = self.versions[uri]

        async def wait() -> list[lsp.Diagnostic]:
            while True:
                for params in self.published.get(uri, []):
                    if params.version == want:
                        return list(params.diagnostics)
                self.arrived.clear()
                await self.arrived.wait()

        return self.run(wait())

    def apply(self, uri: str, edits: Any) -> str:
        """The document with text edits applied (as an editor applies them), sent as a change."""
        text = self.texts[uri]
        lines = text.split("\n")

        def offset(p: lsp.Position) -> int:
            return sum(len(line) + 1 for line in lines[: p.line]) + p.character

        for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
            text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
        self.change(uri, text)
        return text

    def doc(self, uri: str) -> lsp.TextDocumentIdentifier:
        return lsp.TextDocumentIdentifier(uri=uri)

    def at(self, uri: str, needle: str, nth: int = 0, shift: int = 0) -> lsp.Position:
        """The position of the `nth` occurrence of `needle` (plus `shift` characters)."""
        text = self.texts[uri]
        i = -1
        for _ in range(nth + 1):
            i = text.index(needle, i + 1)
        i += shift
        line = text.count("\n", 0, i)
        return lsp.Position(line, i - (text.rfind("\n", 0, i) + 1))

    def hover(self, uri: str, position: lsp.Position) -> str:
        answer = self.run(
            self.client.text_document_hover_async(lsp.HoverParams(self.doc(uri), position))
        )
        assert answer is not None
        assert isinstance(answer.contents, lsp.MarkupContent)
        return answer.contents.value


@pytest.fixture(scope="module")
def editor() -> Iterator[Editor]:
    session = Editor()
    yield session
    session.close()


def _range_text(text: str, r: lsp.Range) -> str:
    lines = text.split("\n")
    assert r.start.line == r.end.line
    return lines[r.start.line][r.start.character : r.end.character]


def test_without_the_lsp_extra_the_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jixiao.engine.cli import main

    monkeypatch.setitem(sys.modules, "jixiao.engine.lsp.server", None)  # as if pygls were absent
    assert main(["lsp"]) == 2
    assert "jixiao lsp needs pygls: pip install 'jixiao[lsp]'" in capsys.readouterr().err


# ----- diagnostics and quick fixes ------------------------------------------------------------


def test_a_misspelt_fact_is_underlined_and_its_fix_removes_it(editor: Editor) -> None:
    uri = editor.open(FOUNDING_PACK)
    assert editor.diagnostics(uri) == []  # the founding pack checks clean
    good = editor.texts[uri]
    bad = good.replace("proportional 预算执行率", "proportional 预算执行律", 1)
    editor.change(uri, bad)
    [found] = editor.diagnostics(uri)
    assert found.code == "E201" and found.severity == lsp.DiagnosticSeverity.Error
    assert _range_text(bad, found.range) == "预算执行律"
    assert found.range.start == editor.at(uri, "预算执行律")
    assert "did you mean `预算执行率`?" in found.message
    assert found.code_description is not None
    assert found.code_description.href.endswith("diagnostics.md#e201-unknown-fact")
    actions = editor.run(
        editor.client.text_document_code_action_async(
            lsp.CodeActionParams(editor.doc(uri), found.range, lsp.CodeActionContext([found]))
        )
    )
    assert actions is not None
    [action] = actions
    assert isinstance(action, lsp.CodeAction) and action.title == "replace with `预算执行率`"
    assert action.edit is not None and action.edit.changes is not None
    fixed = editor.apply(uri, action.edit.changes[uri])
    assert fixed == good
    assert editor.diagnostics(uri) == []


def test_every_link_names_a_heading_of_the_diagnostics_page() -> None:
    from jixiao.engine.lsp.server import _anchors

    page = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    anchors = _anchors()
    assert anchors["E201"] == "e201-unknown-fact"
    assert len(anchors) == page.count("\n## ")


QUICK_FIXES = [
    (
        "E102",
        'fact 率: percent\nindicator A "a" 100 { full when 率 = 100% }\n',
        "compare with `==`",
    ),
    (
        "E420",
        'fact 率: percent\nindicator A "a" 100 {\n    tiers 率 {\n        >= 90%: full\n    }\n}\n',
        "add an `else: 0` band",
    ),
    (
        "E401",
        'fact 率: percent\nindicator A "a" 100 {\n    indicator A1 "b" 30 { proportional 率 }\n'
        '    indicator A2 "c" 60 { proportional 率 }\n}\n',
        "make `A2` weigh 70 so they add up",
    ),
]


@pytest.mark.parametrize(("code", "text", "title"), QUICK_FIXES)
def test_quick_fixes_the_checker_knows(
    editor: Editor, tmp_path: Path, code: str, text: str, title: str
) -> None:
    uri = editor.open(tmp_path / f"{code}.jx", text)
    found = [d for d in editor.diagnostics(uri) if d.code == code]
    assert found, editor.diagnostics(uri)
    actions = editor.run(
        editor.client.text_document_code_action_async(
            lsp.CodeActionParams(editor.doc(uri), found[0].range, lsp.CodeActionContext(found))
        )
    )
    assert actions
    first = actions[0]
    assert isinstance(first, lsp.CodeAction) and first.title == title and first.is_preferred
    assert first.edit is not None and first.edit.changes is not None
    editor.apply(uri, first.edit.changes[uri])
    assert [d for d in editor.diagnostics(uri) if d.severity == lsp.DiagnosticSeverity.Error] == []


def test_related_locations_and_warnings(editor: Editor, tmp_path: Path) -> None:
    text = (
        'fact 率: percent\nfact 未用: bool\nindicator A "a" 100 {\n'
        '    indicator A1 "b" 30 { proportional 率 }\n    indicator A2 "c" 60 { proportional 率 }\n}\n'
    )
    uri = editor.open(tmp_path / "related.jx", text)
    [e401] = [d for d in editor.diagnostics(uri) if d.code == "E401"]
    assert _range_text(text, e401.range) == "100"
    related = e401.related_information or []
    assert [_range_text(text, r.location.range) for r in related] == ["30", "60"]
    assert [r.message for r in related] == ["A1: 30", "A2: 60"]
    assert "help: they are 10 short" in e401.message


def test_ranges_count_utf16_units_beyond_the_basic_plane(editor: Editor, tmp_path: Path) -> None:
    """`𠮷` is one character and two UTF-16 units: the underline after it starts where an
    editor counts."""
    text = 'fact 𠮷祥: bool\nindicator A "a" 100 { full when 𠮷祥 and 𠮷详 }\n'
    uri = editor.open(tmp_path / "astral.jx", text)
    [found] = [d for d in editor.diagnostics(uri) if d.code == "E201"]
    line = text.split("\n")[1]
    at = line.index("𠮷详")
    units = len(line[:at].encode("utf-16-le")) // 2
    assert found.range.start == lsp.Position(1, units) and found.range.end == lsp.Position(
        1, units + 3
    )
    hover = editor.hover(uri, lsp.Position(1, units - 6))  # on the `祥` of `𠮷祥` before it
    assert "**fact** `𠮷祥`: bool" in hover


def test_a_syntax_error_is_a_diagnostic_not_a_crash(editor: Editor, tmp_path: Path) -> None:
    uri = editor.open(tmp_path / "broken.jx", 'indicator A "a" 100 { full when }\n')
    [found] = editor.diagnostics(uri)
    assert found.code.startswith("E1")  # type: ignore[union-attr]


def test_diagnostics_wait_for_a_pause_in_typing(editor: Editor, tmp_path: Path) -> None:
    """Changes in quick succession are checked once, for the last text."""
    good = 'fact 率: percent\nindicator A "a" 100 { proportional 率 }\n'
    uri = editor.open(tmp_path / "typing.jx", good)
    assert editor.diagnostics(uri) == []
    for partial in ("proportional 率x", "proportional 率xy", "proportional 率xyz"):
        editor.change(uri, good.replace("proportional 率", partial))
    [found] = [d for d in editor.diagnostics(uri) if d.code == "E201"]
    assert "率xyz" in found.message
    versions = [p.version for p in editor.published[uri]]
    assert versions[0] == 1 and versions[-1] == 4
    assert len(versions) < 4  # (on a quiet machine, [1, 4]: the pause outlasts the three)


# ----- hover, definition, references ----------------------------------------------------------


def test_hover_on_a_fact_an_indicator_and_a_rule(editor: Editor) -> None:
    uri = editor.open(FOUNDING_PACK)
    fact = editor.hover(uri, editor.at(uri, "fact 预算金额", shift=6))
    assert "**fact** `预算金额`: money" in fact and "unit: 元" in fact
    assert "under `facts:`" in fact
    # where the founding evidence gives it (evidence/video-conference-2017.yaml, by the name)
    assert "given in `../evidence/video-conference-2017.yaml:10`: `预算金额: {value: 100000" in fact
    derived = editor.hover(uri, editor.at(uri, "let 预算执行率", shift=5))
    assert "**derived fact** `预算执行率`: percent" in derived
    assert "实际支出 / 预算金额" in derived
    leaf = editor.hover(uri, editor.at(uri, "A1.1", shift=1))
    assert "**indicator** `A1.1` 战略目标适应性" in leaf
    assert "weight: 2" in leaf and "parent: `A1`" in leaf
    assert "项目与部门职能及规划相符得满分" in leaf  # the standard: the comment above it
    branch = editor.hover(uri, editor.at(uri, "indicator A ", shift=10))
    assert "children: 2, adding up to 10" in branch
    rule = editor.hover(uri, editor.at(uri, "proportional 预算执行率", shift=2))
    assert rule.startswith("**proportional**") and "分值" in rule


def test_definition_and_references(editor: Editor) -> None:
    uri = editor.open(FOUNDING_PACK)
    use = editor.at(uri, "实际支出 / 预算金额", shift=1)
    [where] = editor.run(
        editor.client.text_document_definition_async(lsp.DefinitionParams(editor.doc(uri), use))
    )
    assert where.uri == uri and where.range.start == editor.at(uri, "fact 实际支出", shift=5)
    refs = editor.run(
        editor.client.text_document_references_async(
            lsp.ReferenceParams(
                text_document=editor.doc(uri), position=use, context=lsp.ReferenceContext(True)
            )
        )
    )
    text = editor.texts[uri]
    assert refs is not None
    assert [r.range.start.line for r in refs] == [16, 61]  # (not the comment on line 107)
    assert all(_range_text(text, r.range) == "实际支出" for r in refs)
    without = editor.run(
        editor.client.text_document_references_async(
            lsp.ReferenceParams(
                text_document=editor.doc(uri), position=use, context=lsp.ReferenceContext(False)
            )
        )
    )
    assert without is not None and len(without) == len(refs) - 1


FUNCTIONS = """\
param 达成线: percent = 90%
fact 完成率: percent
function 达标(率: percent) {
    full when 率 >= 达成线
}
indicator A "a" 100 { 达标(完成率) }
"""


def test_functions_and_their_parameters(editor: Editor, tmp_path: Path) -> None:
    uri = editor.open(tmp_path / "functions.jx", FUNCTIONS)
    assert editor.diagnostics(uri) == []
    [call] = editor.run(
        editor.client.text_document_definition_async(
            lsp.DefinitionParams(editor.doc(uri), editor.at(uri, "达标(完成率)"))
        )
    )
    assert call.range.start == editor.at(uri, "达标(率")
    [argument] = editor.run(
        editor.client.text_document_definition_async(
            lsp.DefinitionParams(editor.doc(uri), editor.at(uri, "率 >="))
        )
    )
    assert argument.range.start == editor.at(uri, "率: percent) {")
    [param] = editor.run(
        editor.client.text_document_definition_async(
            lsp.DefinitionParams(editor.doc(uri), editor.at(uri, "达成线", nth=1))
        )
    )
    assert param.range.start == editor.at(uri, "达成线")
    assert "**parameter** `达成线`: percent" in editor.hover(uri, editor.at(uri, "达成线", nth=1))


def test_an_imported_name_is_defined_in_its_own_file(editor: Editor, tmp_path: Path) -> None:
    template = tmp_path / "template.jx"
    template.write_text("fact 预算金额: money nonzero\nfact 实际支出: money\n", encoding="utf-8")
    text = (
        'import "template.jx"\nlet 执行率: percent = 实际支出 / 预算金额\n'
        'indicator A "a" 100 { proportional 执行率 }\n'
    )
    uri = editor.open(tmp_path / "main.jx", text)
    assert editor.diagnostics(uri) == []
    [where] = editor.run(
        editor.client.text_document_definition_async(
            lsp.DefinitionParams(editor.doc(uri), editor.at(uri, "预算金额"))
        )
    )
    assert where.uri == template.resolve().as_uri()
    assert where.range.start == lsp.Position(0, 5)
    [file] = editor.run(
        editor.client.text_document_definition_async(
            lsp.DefinitionParams(editor.doc(uri), editor.at(uri, "template.jx"))
        )
    )
    assert file.uri == template.resolve().as_uri()
    # the template changes on disk: the pack that imports it is checked again
    template.write_text("fact 预算金额: money nonzero\n", encoding="utf-8")
    editor.published[uri].clear()
    editor.client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            [lsp.FileEvent(template.resolve().as_uri(), lsp.FileChangeType.Changed)]
        )
    )
    [gone] = editor.diagnostics(uri)
    assert gone.code == "E201" and "实际支出" in gone.message


# ----- completion, formatting, symbols, inlay hints -------------------------------------------


def _labels(items: Any) -> dict[str, lsp.CompletionItem]:
    assert isinstance(items, lsp.CompletionList)
    return {i.label: i for i in items.items}


def test_completion_of_keywords_names_and_codes(editor: Editor) -> None:
    uri = editor.open(FOUNDING_PACK)
    items = _labels(
        editor.run(
            editor.client.text_document_completion_async(
                lsp.CompletionParams(editor.doc(uri), editor.at(uri, "proportional 预算执行率"))
            )
        )
    )
    assert items["tiers"].kind == lsp.CompletionItemKind.Keyword
    assert items["预算金额"].kind == lsp.CompletionItemKind.Field
    assert items["预算金额"].detail == "fact: money"
    assert items["预算执行率"].kind == lsp.CompletionItemKind.Value
    assert items["A1.1"].kind == lsp.CompletionItemKind.Module
    assert items["days"].kind == lsp.CompletionItemKind.Function


LEVELS = """\
fact 健全程度: choice ["健全", "基本健全", "不健全"]
indicator A "a" 100 {
    levels 健全程度 {
        "健全": full
@
    }
}
""".replace("@", " " * 8)  # the cursor's line: blank but indented


def test_completion_of_the_labels_a_levels_takes(editor: Editor, tmp_path: Path) -> None:
    uri = editor.open(tmp_path / "levels.jx", LEVELS)
    inside = editor.at(uri, "        \n", shift=8)

    def complete(at: lsp.Position) -> dict[str, lsp.CompletionItem]:
        return _labels(
            editor.run(
                editor.client.text_document_completion_async(
                    lsp.CompletionParams(editor.doc(uri), at)
                )
            )
        )

    items = complete(inside)
    assert list(items) == ['"健全"', '"基本健全"', '"不健全"']
    assert all(i.kind == lsp.CompletionItemKind.EnumMember for i in items.values())
    # half written (the text does not parse): still offered, closing the quote already open
    editor.change(uri, LEVELS.replace("full\n        \n", 'full\n        "\n'))
    items = complete(lsp.Position(inside.line, inside.character + 1))
    assert items['"基本健全"'].insert_text == '基本健全"'


def test_formatting_is_jixiao_fmt(editor: Editor, tmp_path: Path) -> None:
    messy = 'fact   率 : percent\nindicator A "a" 100 {proportional 率}\n'
    uri = editor.open(tmp_path / "messy.jx", messy)
    edits = editor.run(
        editor.client.text_document_formatting_async(
            lsp.DocumentFormattingParams(editor.doc(uri), lsp.FormattingOptions(4, True))
        )
    )
    assert edits
    formatted = editor.apply(uri, edits)
    assert formatted == format_pack(parse_text(messy))
    again = editor.run(
        editor.client.text_document_formatting_async(
            lsp.DocumentFormattingParams(editor.doc(uri), lsp.FormattingOptions(4, True))
        )
    )
    assert not again  # formatted already: nothing to change


def test_the_outline_is_the_indicator_tree_with_weights(editor: Editor) -> None:
    uri = editor.open(FOUNDING_PACK)
    symbols = editor.run(
        editor.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(editor.doc(uri)))
    )
    assert symbols is not None
    tree = [
        s
        for s in symbols
        if isinstance(s, lsp.DocumentSymbol) and s.kind == lsp.SymbolKind.Namespace
    ]
    assert [(s.name, s.detail) for s in tree] == [
        ("A 项目决策", "10"),
        ("B 项目管理", "25"),
        ("C 项目绩效", "65"),
    ]
    [a] = [s for s in tree if s.name.startswith("A ")]
    assert a.children is not None
    assert [c.name.split()[0] for c in a.children] == ["A1", "A2"]
    assert sum(int(c.detail or 0) for c in a.children) == 10
    groups = {s.name: s for s in symbols if s.kind == lsp.SymbolKind.Package}
    assert list(groups) == ["facts", "derived facts"]  # the founding pack has no function
    assert groups["facts"].detail == "37"  # 36 facts and the questionnaire
    assert groups["derived facts"].children is not None
    assert groups["derived facts"].children[0].name == "预算执行率"


def test_inlay_hints_show_a_branch_sum_that_differs(editor: Editor, tmp_path: Path) -> None:
    text = (
        'fact 率: percent\nindicator A "a" 100 {\n    indicator A1 "b" 30 { proportional 率 }\n'
        '    indicator A2 "c" 60 { proportional 率 }\n}\n'
    )
    uri = editor.open(tmp_path / "hints.jx", text)
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(10, 0))
    hints = editor.run(
        editor.client.text_document_inlay_hint_async(lsp.InlayHintParams(editor.doc(uri), whole))
    )
    assert hints is not None
    assert [(h.position, h.label) for h in hints] == [(editor.at(uri, "100", shift=3), "Σ 90")]


# ----- parsing again after an edit ------------------------------------------------------------


def _spans(node: object) -> list[tuple[int, int]]:
    from jixiao.dsl import record
    from jixiao.dsl.source import Source, Span

    out: list[tuple[int, int]] = []
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, Span):
            out.append((x.start, x.end))
        elif isinstance(x, tuple):
            stack.extend(x)
        elif isinstance(x, record.Record) and not isinstance(x, Source):
            stack.extend(getattr(x, f) for f in record.fields(x))
    return out


PACKS = sorted((ROOT / "rules").rglob("*.jx"))


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.name)
def test_parsing_item_by_item_gives_the_whole_parse(path: Path) -> None:
    """The tree put together from items, reused after an edit or not, is `parse`'s own, spans
    and comments included."""
    from jixiao.dsl.parser import parse
    from jixiao.dsl.source import Source
    from jixiao.engine.lsp.incremental import Parses

    text = path.read_text(encoding="utf-8")
    parses = Parses()
    for version in (text, text.replace("\nindicator ", "\n\n\nindicator ", 3), text):
        source = Source(str(path), version)
        whole, pieces = parse(source), parses.parse(source)
        assert pieces == whole
        assert _spans(pieces) == _spans(whole)
        assert pieces.comments == whole.comments
        assert all(s.source is source for s in (pieces.span, *(c.span for c in pieces.comments)))


def test_an_item_that_does_not_parse_gives_the_whole_texts_diagnostics() -> None:
    from jixiao.dsl.diagnostics import JixiaoError
    from jixiao.dsl.parser import parse
    from jixiao.dsl.source import Source
    from jixiao.engine.lsp.incremental import Parses

    source = Source("p.jx", 'fact 甲: bool\nindicator A "a" 100 { full when }\nfact 乙: bool\n')
    with pytest.raises(JixiaoError) as whole:
        parse(source)
    with pytest.raises(JixiaoError) as pieces:
        Parses().parse(source)
    assert pieces.value.diagnostics == whole.value.diagnostics


# ----- the diagnostics corpus -----------------------------------------------------------------

CORPUS = sorted(
    p
    for p in (ROOT / "tests" / "diagnostics").glob("*.jx")
    if not p.with_suffix(".yaml").exists() and not p.with_suffix(".args").exists()
)


def _check(path: Path) -> list[tuple[str, int, int]]:
    from jixiao.dsl.diagnostics import JixiaoError
    from jixiao.engine import compile_pack

    try:
        found = compile_pack(path)[1]
    except JixiaoError as exc:
        found = list(exc.diagnostics)
    return sorted((d.code, *_at(d)) for d in found)


def _at(d: Any) -> tuple[int, int]:
    return (d.labels[0].span.start, d.labels[0].span.end) if d.labels else (-1, -1)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_the_editor_sees_what_check_sees(path: Path) -> None:
    """Each mistake of the diagnostics corpus reaches the editor as `jixiao check` reports it:
    the same codes at the same places, incremental parsing or not."""
    from jixiao.engine.lsp.analysis import analyse
    from jixiao.engine.lsp.incremental import Parses

    text = path.read_text(encoding="utf-8")
    expected = _check(path)
    parses = Parses()
    for _ in range(2):  # the second time from the cache of items
        found = analyse(str(path), text, parses)
        assert sorted((d.code, *_at(d)) for d in found.diagnostics) == expected


def test_every_rule_form_has_words_for_its_hover() -> None:
    """Each form of the registry reads as a sentence in its hover; a form added later, before
    its words are written in engine/lsp/words.py, is named with a pointer to docs/dsl.md. No
    words are kept for a form that is gone."""
    from jixiao.dsl import ast
    from jixiao.engine.forms import FORMS
    from jixiao.engine.lsp import words

    names = {form.name for form in FORMS}
    assert set(words.READS_AS) <= names
    assert {"full when", "proportional", "tiers", "levels", "deduct … per"} <= set(words.READS_AS)
    # every rule form of the registry has its sentence (a new form adds one to words.py)
    assert names - {"award"} <= set(words.READS_AS), names - set(words.READS_AS)
    from jixiao.dsl.parser import parse_text

    [indicator] = parse_text(
        'fact 率: percent\nindicator A "a" 100 { proportional 率 }\n'
    ).indicators
    [rule] = indicator.rules
    assert isinstance(rule, ast.Proportional)
    assert words.meaning(rule).startswith("**proportional**: 按 比率×分值 计分")


def test_item_parses_agree_with_the_whole_parse_after_any_edit() -> None:
    """Property: after any edit (text cut out, or put in, anywhere, broken or not), the item
    cache gives what parsing the whole text gives: the same tree and spans, or the same
    diagnostics."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from jixiao.dsl.diagnostics import JixiaoError
    from jixiao.dsl.parser import parse
    from jixiao.dsl.source import Source
    from jixiao.engine.lsp.incremental import Parses

    text = FOUNDING_PACK.read_text(encoding="utf-8")
    parses = Parses()
    parses.parse(Source("p.jx", text))
    pieces = st.sampled_from(["", "\n", "}", "{", '"', "#", "indicator ", "fact 新: bool\n", "率"])

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.integers(0, len(text)), st.integers(0, 40), pieces)
    def check(at: int, cut: int, put: str) -> None:
        edited = text[:at] + put + text[at + cut :]
        source = Source("p.jx", edited)
        try:
            whole = parse(source)
        except JixiaoError as exc:
            with pytest.raises(JixiaoError) as again:
                parses.parse(source)
            assert again.value.diagnostics == exc.diagnostics
            return
        mine = parses.parse(source)
        assert mine == whole and _spans(mine) == _spans(whole)
        assert mine.comments == whole.comments

    check()
