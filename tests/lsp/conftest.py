"""pygls' own LSP client talking to `python -m routinec lsp` over stdio, in a copy of the
shipped example project: each test runs one editor session (`run_session`)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from tests.helpers import cli_env, copy_examples

TIMEOUT = 120.0  # seconds for one answer, on a loaded machine; a hang fails the test


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_examples(tmp_path / "project")


class Editor:
    """Open, edit and wait for diagnostics, as an editor does."""

    def __init__(self, client: LanguageClient, project: Path) -> None:
        self.client, self.project = client, project
        self.versions: dict[str, int] = {}
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self._published = asyncio.Condition()

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        async def published(params: lsp.PublishDiagnosticsParams) -> None:
            async with self._published:
                self.diagnostics[params.uri] = list(params.diagnostics)
                self._published.notify_all()

    def uri(self, rel: str) -> str:
        return (self.project / rel).as_uri()

    async def published(self, uri: str) -> list[lsp.Diagnostic]:
        """The next diagnostics published for `uri` (after `forget`)."""
        async def wait() -> list[lsp.Diagnostic]:
            async with self._published:
                await self._published.wait_for(lambda: uri in self.diagnostics)
                return self.diagnostics[uri]

        return await asyncio.wait_for(wait(), TIMEOUT)

    def forget(self, uri: str) -> None:
        self.diagnostics.pop(uri, None)

    async def open(self, rel: str, text: str | None = None) -> list[lsp.Diagnostic]:
        uri = self.uri(rel)
        self.forget(uri)
        self.versions[uri] = 1
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
            uri=uri, language_id="routine", version=1,
            text=(self.project / rel).read_text("utf-8") if text is None else text,
        )))
        return await self.published(uri)

    async def change(self, rel: str, text: str) -> list[lsp.Diagnostic]:
        """Replace the whole text."""
        uri = self.uri(rel)
        self.forget(uri)
        self.versions[uri] += 1
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        ))
        return await self.published(uri)

    async def type_at(self, rel: str, line: int, character: int, inserted: str) -> list[lsp.Diagnostic]:
        """One keystroke: an incremental change inserting `inserted` at a 0-based position."""
        uri = self.uri(rel)
        self.forget(uri)
        self.versions[uri] += 1
        at = lsp.Position(line, character)
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(at, at), text=inserted)],
        ))
        return await self.published(uri)


Scenario = Callable[[Editor, LanguageClient], Awaitable[None]]


def run_session(project: Path, scenario: Scenario) -> None:
    """Start the server, initialize, run `scenario`, shut down (exit code 0 asserted)."""

    async def main() -> None:
        client = LanguageClient("routinec-tests", "0")
        editor = Editor(client, project)
        await client.start_io(sys.executable, "-m", "routinec", "lsp", env=cli_env())
        try:
            await asyncio.wait_for(client.initialize_async(lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(), root_uri=project.as_uri(), process_id=None,
                workspace_folders=[lsp.WorkspaceFolder(uri=project.as_uri(), name="project")],
            )), TIMEOUT)
            client.initialized(lsp.InitializedParams())
            try:
                await scenario(editor, client)
            finally:
                # Also when the scenario failed: a server never told to exit keeps
                # `client.stop()` waiting for it forever, and the failure becomes a hang.
                await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
                client.exit(None)
        finally:
            await asyncio.wait_for(client.stop(), TIMEOUT)

    asyncio.run(main())
