"""The protocol: pygls over stdio, the one module that imports pygls and lsprotocol.

Diagnostics are published on open at once and on change after a pause in typing (`DEBOUNCE`
seconds; a change arriving meanwhile restarts the wait, and a result for a text that is no longer
the document's is never published). Requests (hover, definition, …) analyse the text as it is
now when the last analysis is of an older one, so an answer never points at moved text.
Everything runs on the server's one event loop, in the order the messages came.

Positions: the analysis speaks in character offsets; the protocol in lines and UTF-16 code
units (or UTF-8/UTF-32, when the client negotiated them): `_position` and `_offset` convert.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from jixiao.dsl.diagnostics import Diagnostic
from jixiao.dsl.source import Source, Span

from ..common import lang
from ..common.version import VERSION
from . import features
from .analysis import Analysis, analyse
from .incremental import Parses

#: Seconds of quiet after a change before the document is checked again.
DEBOUNCE = 0.15

_KINDS = {
    "keyword": lsp.CompletionItemKind.Keyword,
    "fact": lsp.CompletionItemKind.Field,
    "derived fact": lsp.CompletionItemKind.Value,
    "parameter": lsp.CompletionItemKind.Constant,
    "function": lsp.CompletionItemKind.Function,
    "built-in function": lsp.CompletionItemKind.Function,
    "indicator": lsp.CompletionItemKind.Module,
    "bonus or penalty": lsp.CompletionItemKind.Module,
    "survey": lsp.CompletionItemKind.Class,
    "label": lsp.CompletionItemKind.EnumMember,
}
_SYMBOLS = {
    "fact": lsp.SymbolKind.Field,
    "derived fact": lsp.SymbolKind.Variable,
    "parameter": lsp.SymbolKind.Constant,
    "function": lsp.SymbolKind.Function,
    "indicator": lsp.SymbolKind.Namespace,
    "bonus or penalty": lsp.SymbolKind.Namespace,
    "survey": lsp.SymbolKind.Class,
    "group": lsp.SymbolKind.Package,
}


class JixiaoServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("jixiao", VERSION)
        self.analyses: dict[str, Analysis] = {}
        # the last analysis of each document that parsed: completion while a line is half
        # written (and the text does not parse) still knows the pack's names
        self.parsed: dict[str, Analysis] = {}
        self.parses: dict[str, Parses] = {}  # each document's parsed items, for the next edit
        self.pending: dict[str, asyncio.Task[None]] = {}

    # ----- documents and their analyses -------------------------------------------------------

    def text_of(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document as it is now (made again if the text changed)."""
        text = self.text_of(uri)
        done = self.analyses.get(uri)
        if done is None or done.source.text != text:
            try:
                done = analyse(_path(uri), text, self.parses.setdefault(uri, Parses()))
            except Exception as exc:  # a bug in jixiao: said, never an editor left silent
                self.parses.pop(uri, None)
                self.window_show_message(
                    lsp.ShowMessageParams(
                        lsp.MessageType.Error,
                        f"jixiao could not check {_path(uri)}: internal error "
                        f"{type(exc).__name__}: {exc}; this is a bug in jixiao, not in your "
                        "pack — please report it with the pack",
                    )
                )
                done = Analysis(Source(_path(uri), text), [], None, None, None)
            self.analyses[uri] = done
            if done.pack is not None:
                self.parsed[uri] = done
        return done

    def publish(self, uri: str, version: int | None) -> None:
        found = self.analysis(uri)
        shown = [self.diagnostic(uri, found.source, d) for d in found.diagnostics]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=shown, version=version)
        )

    def later(self, uri: str, version: int | None) -> None:
        """Publish after `DEBOUNCE` seconds of quiet (a newer change restarts the wait)."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()

        async def wait() -> None:
            await asyncio.sleep(DEBOUNCE)
            self.pending.pop(uri, None)
            document = self.workspace.text_documents.get(uri)
            if document is not None and document.version == version:
                self.publish(uri, version)

        self.pending[uri] = asyncio.get_running_loop().create_task(wait())

    # ----- positions ------------------------------------------------------------------------

    def units(self, text: str) -> int:
        encoding = self.workspace.position_encoding
        if encoding == lsp.PositionEncodingKind.Utf8:
            return len(text.encode("utf-8"))
        if encoding == lsp.PositionEncodingKind.Utf32:
            return len(text)
        return len(text.encode("utf-16-le")) // 2

    def position(self, source: Source, offset: int) -> lsp.Position:
        line, col = source.line_col(offset)
        return lsp.Position(line - 1, self.units(source.line_text(line)[: col - 1]))

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(
            self.position(span.source, span.start), self.position(span.source, span.end)
        )

    def offset(self, source: Source, position: lsp.Position) -> int:
        """The character offset of a protocol position (clamped to its line)."""
        line = position.line + 1
        if line > source.text.count("\n") + 1:
            return len(source.text)
        text = source.line_text(line)
        col = 0
        units = 0
        while col < len(text) and units < position.character:
            units += self.units(text[col])
            col += 1
        return source.offset(line, col + 1)

    def location(self, uri: str, analysis: Analysis, span: Span) -> lsp.Location:
        return lsp.Location(self.uri_of(uri, analysis, span), self.range(span))

    @staticmethod
    def uri_of(uri: str, analysis: Analysis, span: Span) -> str:
        if span.source is analysis.source:
            return uri
        return from_fs_path(os.path.abspath(span.source.path)) or uri

    # ----- diagnostics ----------------------------------------------------------------------

    def diagnostic(self, uri: str, source: Source, d: Diagnostic) -> lsp.Diagnostic:
        whole = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        words = _WORDS[lang.current()]
        if lang.current() == "zh":  # the editor shows what the terminal would, in Chinese
            from ..common.i18n import translate_diagnostic

            d = translate_diagnostic(d)
        labels = d.labels
        own = [lb for lb in labels if lb.span.source is source]
        first = own[0] if own else None
        related = [
            lsp.DiagnosticRelatedInformation(
                lsp.Location(
                    uri if lb.span.source is source else _file_uri(lb.span.source.path, uri),
                    self.range(lb.span),
                ),
                lb.message or d.message,
            )
            for lb in labels
            if lb is not first
        ]
        message = d.message
        if first is not None and first.message:
            message += words["label"].format(first.message)
        for note in d.notes:
            message += f"\n{words['note']}{note}"
        if d.help:
            message += f"\n{words['help']}{d.help}"
        fixes = [
            {"title": f.title, "range": _range_json(self.range(f.span)), "text": f.text}
            for f in d.fixes
            if f.span.source is source
        ]
        return lsp.Diagnostic(
            range=self.range(first.span) if first is not None else whole,
            message=message,
            severity=lsp.DiagnosticSeverity.Error if d.is_error else lsp.DiagnosticSeverity.Warning,
            code=d.code,
            code_description=lsp.CodeDescription(href=docs_link(d.code)),
            source="jixiao",
            related_information=related or None,
            data={"fixes": fixes} if fixes else None,
        )


#: The words around a diagnostic's parts, in the messages' language (as `render_text_zh`'s).
_WORDS = {
    "zh": {"note": "注：", "help": "帮助：", "label": "（{}）"},
    "en": {"note": "note: ", "help": "help: ", "label": " ({})"},
}


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def _file_uri(path: str, fallback: str) -> str:
    return from_fs_path(os.path.abspath(path)) or fallback


def _range_json(r: lsp.Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


def _range_of(data: dict[str, Any]) -> lsp.Range:
    start, end = data["start"], data["end"]
    return lsp.Range(
        lsp.Position(start["line"], start["character"]),
        lsp.Position(end["line"], end["character"]),
    )


@functools.cache
def _anchors() -> dict[str, str]:
    """Each code's heading in docs/diagnostics.md (shipped with jixiao), as a Markdown anchor."""
    from importlib import resources

    try:
        text = resources.files("jixiao.engine").joinpath("diagnostics.md").read_text("utf-8")
    except OSError:  # pragma: no cover - an installation without its documentation
        return {}
    out: dict[str, str] = {}
    for heading in re.findall(r"^## (.+)$", text, flags=re.M):
        code = heading.split(":", 1)[0]
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        out.setdefault(code, slug)
    return out


def docs_link(code: str) -> str:
    """The code's entry in docs/diagnostics.md, as the file jixiao ships (an editor opens it).
    `JIXIAO_DOCS_URL` replaces the file with a published copy of the page."""
    from importlib import resources

    base = os.environ.get("JIXIAO_DOCS_URL")
    if not base:
        path = str(resources.files("jixiao.engine").joinpath("diagnostics.md"))
        base = from_fs_path(os.path.realpath(path)) or path
    anchor = _anchors().get(code, code.lower())
    return f"{base}#{anchor}"


# ----- the server and its features ------------------------------------------------------------


def make_server() -> JixiaoServer:
    server = JixiaoServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: JixiaoServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri, params.text_document.version)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: JixiaoServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.later(params.text_document.uri, params.text_document.version)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: JixiaoServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.later(uri, ls.workspace.get_text_document(uri).version)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def files_changed(ls: JixiaoServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        """A template changed on disk: check again every open pack that imports."""
        for uri, done in list(ls.analyses.items()):
            if done.pack is not None and done.pack.imports:
                del ls.analyses[uri]
                document = ls.workspace.text_documents.get(uri)
                ls.publish(uri, document.version if document is not None else None)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: JixiaoServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        waiting = ls.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        ls.analyses.pop(uri, None)
        ls.parsed.pop(uri, None)
        ls.parses.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: JixiaoServer, params: lsp.HoverParams) -> lsp.Hover | None:
        found = ls.analysis(params.text_document.uri)
        answer = features.hover(found, ls.offset(found.source, params.position))
        if answer is None or not answer[1]:
            return None
        span, text = answer
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), range=ls.range(span))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: JixiaoServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        uri = params.text_document.uri
        found = ls.analysis(uri)
        offset = ls.offset(found.source, params.position)
        imported = features.import_at(found, offset)
        if imported is not None:
            start = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
            return [lsp.Location(_file_uri(imported, uri), start)]
        return [ls.location(uri, found, s) for s in features.definition(found, offset)]

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: JixiaoServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        uri = params.text_document.uri
        found = ls.analysis(uri)
        offset = ls.offset(found.source, params.position)
        spans = features.references(found, offset, params.context.include_declaration)
        return [ls.location(uri, found, s) for s in spans]

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=['"']),
    )
    def completion(ls: JixiaoServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        found = ls.analysis(uri)
        offset = ls.offset(found.source, params.position)
        known = found if found.pack is not None else ls.parsed.get(uri, found)
        items = [
            lsp.CompletionItem(
                label=item.label,
                kind=_KINDS.get(item.kind, lsp.CompletionItemKind.Text),
                detail=item.detail or item.kind,
                insert_text=item.insert,
            )
            for item in features.completion(known, found.source.text, offset)
        ]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(
        ls: JixiaoServer, params: lsp.DocumentFormattingParams
    ) -> list[lsp.TextEdit] | None:
        found = ls.analysis(params.text_document.uri)
        text = formatted(found)
        if text is None or text == found.source.text:
            return None
        whole = Span(found.source, 0, len(found.source.text))
        return [lsp.TextEdit(ls.range(whole), text)]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: JixiaoServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        found = ls.analysis(params.text_document.uri)

        def convert(o: features.Outline) -> lsp.DocumentSymbol:
            return lsp.DocumentSymbol(
                name=o.name,
                detail=o.detail,
                kind=_SYMBOLS.get(o.kind, lsp.SymbolKind.Variable),
                range=ls.range(o.span),
                selection_range=ls.range(o.selection),
                children=[convert(c) for c in o.children] or None,
            )

        return [convert(o) for o in features.outline(found)]

    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
    def inlay_hints(ls: JixiaoServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
        found = ls.analysis(params.text_document.uri)
        start = ls.offset(found.source, params.range.start)
        end = ls.offset(found.source, params.range.end)
        return [
            lsp.InlayHint(
                position=ls.position(found.source, at),
                label=label,
                padding_left=True,
                tooltip="the children's weights add up to this, not to the weight",
            )
            for at, label in features.inlay_hints(found, start, end)
        ]

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    def code_actions(ls: JixiaoServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        actions = []
        for d in params.context.diagnostics:
            data = d.data if isinstance(d.data, dict) else {}
            for i, fix in enumerate(data.get("fixes", [])):
                edit = lsp.TextEdit(_range_of(fix["range"]), fix["text"])
                actions.append(
                    lsp.CodeAction(
                        title=fix["title"],
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[d],
                        edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
                        is_preferred=i == 0,
                    )
                )
        return actions

    return server


def formatted(found: Analysis) -> str | None:
    """`jixiao fmt`'s text for the document, or None when it does not parse (or the formatter
    refuses: it never changes a pack's meaning)."""
    if found.pack is None:
        return None
    from jixiao.dsl.diagnostics import JixiaoError
    from jixiao.dsl.formatter import FormatError, format_pack
    from jixiao.dsl.parser import parse

    path = found.source.path

    def again(text: str) -> Any:
        return parse(Source(path, text))

    try:
        return format_pack(found.pack, check=again)
    except (FormatError, JixiaoError):
        return None


def serve() -> None:
    """Serve one client over standard input and output until it says exit."""
    make_server().start_io()
