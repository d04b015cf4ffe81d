"""LSP layer: the language server over stdio (pygls), answering from `lsp.workspace`.

In: LSP messages from an editor. Out: diagnostics published on open, change and save (the
compiler's codes, spans and hints, as `routinec check` gives them), formatting (`fmt`), hover,
go-to-definition, completion and document symbols. The only module that imports pygls and
lsprotocol; positions are converted here (LSP counts UTF-16 units from 0, the compiler code
points from 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from routinec import __version__
from routinec.config import find_root
from routinec.diagnostics import Diagnostic, Severity
from routinec.lsp.workspace import Completion, Symbol, Workspace

__all__ = ["RoutineServer", "build_server"]

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.NOTE: lsp.DiagnosticSeverity.Information,
}
_COMPLETION = {
    "keyword": lsp.CompletionItemKind.Keyword,
    "type": lsp.CompletionItemKind.Class,
    "model": lsp.CompletionItemKind.Constant,
    "variable": lsp.CompletionItemKind.Variable,
    "value": lsp.CompletionItemKind.EnumMember,
}
_SYMBOL = {
    "type": lsp.SymbolKind.Struct,
    "routine": lsp.SymbolKind.Function,
    "consumer": lsp.SymbolKind.Interface,
    "field": lsp.SymbolKind.Field,
    "test": lsp.SymbolKind.Method,
}


def _path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


class RoutineServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("routinec", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.projects: dict[Path, Workspace] = {}
        self.published: dict[str, set[str]] = {}  # spec uri → uris its diagnostics went to

    def locate(self, uri: str) -> tuple[Workspace, str] | None:
        path = _path(uri)
        if path is None:
            return None
        root = find_root(path.parent)
        ws = self.projects.get(root)
        if ws is None:
            ws = self.projects[root] = Workspace(root)
        rel = ws.relative(path)
        return None if rel is None else (ws, rel)

    def sync(self, uri: str) -> tuple[Workspace, str] | None:
        found = self.locate(uri)
        if found is not None:
            found[0].set_text(found[1], self.workspace.get_text_document(uri).source)
        return found

    def publish(self, uri: str) -> None:
        found = self.locate(uri)
        if found is None:
            return
        ws, rel = found
        by_uri: dict[str, list[lsp.Diagnostic]] = {uri: []}
        lines = tuple(self.workspace.get_text_document(uri).source.split("\n"))
        for diag in ws.diagnostics(rel):
            target = uri
            if diag.span is not None and diag.span.path and diag.span.path != rel:
                target = from_fs_path(str(ws.root / diag.span.path)) or uri
            by_uri.setdefault(target, []).append(_diagnostic(diag, lines if target == uri else None, self))
        for stale in self.published.get(uri, set()) - set(by_uri):
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=stale, diagnostics=[]))
        self.published[uri] = set(by_uri)
        for target, items in by_uri.items():
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=target, diagnostics=items))

    def republish(self) -> None:
        for ws in self.projects.values():
            ws.disk_changed()
        for uri in list(self.published):
            if uri in self.workspace.text_documents:
                self.publish(uri)


def _range(span: Any, lines: Sequence[str] | None, server: LanguageServer) -> lsp.Range:
    if span is None or not span.line:
        return lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    end_line = span.end_line or span.line
    end_column = span.end_column or span.column + 1
    rng = ServerTextRange(
        ServerTextPosition(span.line - 1, max(span.column - 1, 0)),
        ServerTextPosition(end_line - 1, max(end_column - 1, 0)),
    )
    if lines is None:
        return lsp.Range(lsp.Position(rng.start.line, rng.start.character), lsp.Position(rng.end.line, rng.end.character))
    return server.workspace.position_codec.range_to_client_units(lines, rng)


def _diagnostic(diag: Diagnostic, lines: Sequence[str] | None, server: LanguageServer) -> lsp.Diagnostic:
    message = diag.message
    if diag.help:
        message += f"\nhelp: {diag.help}"
    for note in diag.notes:
        message += f"\nnote: {note}"
    return lsp.Diagnostic(
        range=_range(diag.span, lines, server),
        message=message,
        severity=_SEVERITY.get(diag.severity, lsp.DiagnosticSeverity.Information),
        code=diag.code.value,
        source="routinec",
    )


def _cursor(server: RoutineServer, uri: str, position: lsp.Position) -> tuple[Workspace, str, int, int] | None:
    found = server.locate(uri)
    if found is None:
        return None
    doc = server.workspace.get_text_document(uri)
    point = server.workspace.position_codec.position_from_client_units(doc.source.split("\n"), position)
    return found[0], found[1], point.line + 1, point.character + 1


def _symbol(symbol: Symbol, lines: Sequence[str], server: RoutineServer) -> lsp.DocumentSymbol:
    def rng(r: tuple[int, int, int, int]) -> lsp.Range:
        from routinec.diagnostics import Span

        return _range(Span("", *r), lines, server)

    return lsp.DocumentSymbol(
        name=symbol.name, detail=symbol.detail, kind=_SYMBOL[symbol.kind], range=rng(symbol.range),
        selection_range=rng(symbol.selection), children=[_symbol(c, lines, server) for c in symbol.children],
    )


def _completion(item: Completion) -> lsp.CompletionItem:
    return lsp.CompletionItem(label=item.label, kind=_COMPLETION[item.kind], detail=item.detail)


def build_server() -> RoutineServer:
    server = RoutineServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RoutineServer, params: lsp.DidOpenTextDocumentParams) -> None:
        if ls.sync(params.text_document.uri) is not None:
            ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RoutineServer, params: lsp.DidChangeTextDocumentParams) -> None:
        if ls.sync(params.text_document.uri) is not None:
            ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RoutineServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.republish()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RoutineServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        found = ls.locate(uri)
        if found is not None:
            found[0].close(found[1])
        for target in ls.published.pop(uri, {uri}):
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=target, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: RoutineServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.republish()

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: RoutineServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        found = ls.sync(params.text_document.uri)
        if found is None:
            return None
        source = ls.workspace.get_text_document(params.text_document.uri).source
        formatted = found[0].format(found[1])
        if formatted is None or formatted == source:
            return []
        lines = source.split("\n")
        end = ls.workspace.position_codec.position_to_client_units(lines, ServerTextPosition(len(lines) - 1, len(lines[-1])))
        return [lsp.TextEdit(range=lsp.Range(lsp.Position(0, 0), end), new_text=formatted)]

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: RoutineServer, params: lsp.HoverParams) -> lsp.Hover | None:
        at = _cursor(ls, params.text_document.uri, params.position)
        if at is None:
            return None
        text = at[0].hover(at[1], at[2], at[3])
        if text is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: RoutineServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        at = _cursor(ls, params.text_document.uri, params.position)
        if at is None:
            return []
        ws = at[0]
        out = []
        for loc in ws.definition(at[1], at[2], at[3]):
            uri = from_fs_path(str(ws.root / loc.path)) or ""
            start = lsp.Position(loc.line - 1, max(loc.column - 1, 0))
            end = lsp.Position(loc.end_line - 1, max(loc.end_column - 1, 0))
            out.append(lsp.Location(uri=uri, range=lsp.Range(start, end)))
        return out

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=['"', "{", " ", ":", "("]),
    )
    def completion(ls: RoutineServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        at = _cursor(ls, params.text_document.uri, params.position)
        items = [] if at is None else [_completion(c) for c in at[0].completion(at[1], at[2], at[3])]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: RoutineServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        found = ls.locate(params.text_document.uri)
        if found is None:
            return []
        lines = tuple(ls.workspace.get_text_document(params.text_document.uri).source.split("\n"))
        return [_symbol(s, lines, ls) for s in found[0].symbols(found[1])]

    return server
