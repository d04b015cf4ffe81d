"""The language server end to end: a real client over stdio (tests/lsp/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from tests.helpers import run_cli
from tests.lsp.conftest import Editor, run_session

SPEC = "specs/summarize_pr.routine"


def _check_json(project: Path, rel: str, text: str) -> list[tuple[str, str, int, int, str | None]]:
    """What `routinec check --format json` says about `text` saved as `rel` (restored after)."""
    path = project / rel
    before = path.read_bytes()
    path.write_text(text, "utf-8")
    try:
        done = run_cli("check", "--format", "json", cwd=project)
    finally:
        path.write_bytes(before)
    out = []
    for line in done.stdout.splitlines():
        item = json.loads(line)
        if item.get("path") == rel:
            out.append((item["code"], item["message"], item["line"], item["column"], item.get("help")))
    return sorted(out)


def _lsp(diags: list[lsp.Diagnostic]) -> list[tuple[str, str, int, int, str | None]]:
    out = []
    for d in diags:
        message, _, rest = d.message.partition("\nhelp: ")
        help_ = rest.split("\nnote: ")[0] if rest else None
        if not rest:
            message = message.split("\nnote: ")[0]
        out.append((str(d.code), message, d.range.start.line + 1, d.range.start.character + 1, help_))
    return sorted(out)


def test_a_clean_spec_has_no_diagnostics(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        assert await editor.open(SPEC) == []

    run_session(project, scenario)


BROKEN = [
    # (what, edit) — each must give the same diagnostics as `routinec check` on the same text
    ("unknown type", lambda t: t.replace("files: list[FileChange]", "files: list[FileChang]")),
    ("unknown model", lambda t: t.replace('model "claude-haiku-4-5"', 'model "claude-haiku-9"')),
    ("python keyword", lambda t: t.replace("title: string", "from: string")),
    ("template variables", lambda t: t.replace('prompt file "specs/prompts/summarize_pr.j2"', 'prompt """{{ titel }} {{ diff }}"""')),
    ("consumer edge", lambda t: t.replace('risk: "low" | "medium" | "high"\n    files', 'risk: "low" | "medium" | "high" | "critical"\n    files')),
    ("syntax", lambda t: t.replace("temperature 0", "temperature = 0")),
    ("duplicate field", lambda t: t.replace("diff: string", "title: string")),
]


def test_diagnostics_as_you_type_match_check(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        original = (project / SPEC).read_text("utf-8")
        await editor.open(SPEC)
        for what, edit in BROKEN:
            text = edit(original)
            assert text != original, what
            got = _lsp(await editor.change(SPEC, text))
            expected = _check_json(project, SPEC, text)
            assert got, what
            assert got == expected, what
        codes = set()
        for _, edit in BROKEN:
            codes |= {c for c, *_ in _lsp(await editor.change(SPEC, edit(original)))}
        assert {"unknown-type", "unknown-model", "python-keyword", "undefined-variable", "unused-input",
                "consumer-break", "syntax", "duplicate-name"} <= codes
        assert await editor.change(SPEC, original) == []  # fixed again: cleared

    run_session(project, scenario)


def test_keystrokes_are_incremental_changes(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        await editor.open(SPEC)
        # `model "claude-haiku-4-5"` is line 10 (0-based 9): type a character into the name.
        diags = await editor.type_at(SPEC, 9, 25, "x")
        assert [(d.code, d.range.start.line) for d in diags] == [("unknown-model", 9)]
        assert "unknown model 'claude-haiku-4-5x'" in diags[0].message
        # A newline above everything moves the diagnostic down a line.
        diags = await editor.type_at(SPEC, 0, 0, "\n")
        assert [(d.code, d.range.start.line) for d in diags] == [("unknown-model", 10)]

    run_session(project, scenario)


def test_formatting_is_fmt(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        messy = (project / SPEC).read_text("utf-8").replace("  temperature 0", "temperature    0").replace("  max_tokens 1024", "\tmax_tokens 1024")
        await editor.open(SPEC, messy)
        edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=editor.uri(SPEC)), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True),
        ))
        assert edits is not None and len(edits) == 1
        (project / SPEC).write_text(messy, "utf-8")
        assert run_cli("fmt", SPEC, cwd=project).code == 0
        assert edits[0].new_text == (project / SPEC).read_text("utf-8")
        assert edits[0].range.start == lsp.Position(0, 0)

    run_session(project, scenario)


async def _hover(client: LanguageClient, uri: str, line: int, character: int) -> str:
    result = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(line, character)))
    assert result is not None
    assert isinstance(result.contents, lsp.MarkupContent)
    return result.contents.value


def test_hover(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        await editor.open(SPEC)
        uri = editor.uri(SPEC)
        model = await _hover(client, uri, 9, 12)
        assert "pinned snapshot: `claude-haiku-4-5-20251001`" in model and "lifecycle: active" in model
        routine = await _hover(client, uri, 7, 10)
        assert "**routine summarize_pr** v3" in routine
        assert "lock: locked in routines.lock: v3, model `claude-haiku-4-5-20251001`" in routine
        field = await _hover(client, uri, 19, 5)
        assert "diff: string (max_length 200000)" in field and "field of input of summarize_pr" in field
        named = await _hover(client, uri, 25, 16)
        assert "type FileChange {" in named and '  change: "added" | "modified" | "deleted"' in named
        # An unsaved edit to the routine: the lock no longer matches.
        text = (project / SPEC).read_text("utf-8").replace("temperature 0", "temperature 0.5")
        await editor.change(SPEC, text)
        assert "changed since routines.lock (locked v3): run `routinec lock`" in await _hover(client, uri, 7, 10)

    run_session(project, scenario)


def test_definition(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        await editor.open(SPEC)
        uri = editor.uri(SPEC)

        async def at(line: int, character: int) -> list[tuple[str, int]]:
            result = await client.text_document_definition_async(lsp.DefinitionParams(lsp.TextDocumentIdentifier(uri), lsp.Position(line, character)))
            assert isinstance(result, list)
            return [(loc.uri, loc.range.start.line) for loc in result if isinstance(loc, lsp.Location)]

        assert await at(25, 16) == [(uri, 1)]  # list[FileChange] → type FileChange
        assert await at(15, 25) == [((project / "specs/prompts/summarize_pr.j2").as_uri(), 0)]  # prompt file
        assert await at(28, 16) == [(uri, 36)]  # consumers [release_notes, …] → consumer release_notes
        assert await at(28, 40) == [((project / "consumers/triage-bot.schema.json").as_uri(), 0)]
        assert await at(31, 25) == [((project / "golden/summarize_pr/small_fix.input.json").as_uri(), 0)]
        include = "specs/triage_issue.routine"
        await editor.open(include, (project / include).read_text("utf-8").replace(
            'prompt file "specs/prompts/triage_issue.j2"', 'prompt """{% include "specs/prompts/_house_rules.j2" %} {{ title }} {{ body }} {{ author_is_maintainer }}"""'))
        result = await client.text_document_definition_async(lsp.DefinitionParams(lsp.TextDocumentIdentifier(editor.uri(include)), lsp.Position(17, 30)))
        assert isinstance(result, list) and [loc.uri for loc in result if isinstance(loc, lsp.Location)] == [(project / "specs/prompts/_house_rules.j2").as_uri()]

    run_session(project, scenario)


async def _complete(client: LanguageClient, uri: str, line: int, character: int) -> list[str]:
    result = await client.text_document_completion_async(lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), lsp.Position(line, character)))
    assert isinstance(result, lsp.CompletionList)
    return [item.label for item in result.items]


def test_completion(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        original = (project / SPEC).read_text("utf-8")
        text = original.replace('prompt file "specs/prompts/summarize_pr.j2"', 'prompt """Review {{ t"""').replace('model "claude-haiku-4-5"', 'model "claude-')
        await editor.open(SPEC)
        await editor.change(SPEC, text)  # mid-typing: this text does not parse (`model "claude-`)
        uri = editor.uri(SPEC)
        models = await _complete(client, uri, 9, 16)
        assert "claude-haiku-4-5" in models and "claude-sonnet-4-6" in models
        assert await _complete(client, uri, 15, 23) == ["title", "diff", "labels"]
        types = await _complete(client, uri, 18, 11)  # after `title: `
        assert types[:5] == ["string", "int", "number", "bool", "list"] and "FileChange" in types and "Routing" in types
        keywords = await _complete(client, uri, 12, 0)  # an empty line inside the routine
        assert {"temperature", "max_tokens", "prompt", "output", "consumers", "test"} <= set(keywords)
        assert await _complete(client, uri, 35, 0) == ["type", "routine", "consumer"]  # between blocks
        constraints = await _complete(client, uri, 19, 35)  # `(max_length 200000|)`: the next one
        assert "min_length" in constraints and "max_length" not in constraints

    run_session(project, scenario)


def test_document_symbols(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        await editor.open(SPEC)
        result = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(editor.uri(SPEC))))
        assert result is not None
        symbols = [s for s in result if isinstance(s, lsp.DocumentSymbol)]
        assert [(s.name, s.kind) for s in symbols] == [
            ("FileChange", lsp.SymbolKind.Struct), ("summarize_pr", lsp.SymbolKind.Function), ("release_notes", lsp.SymbolKind.Interface),
        ]
        routine = symbols[1]
        assert [c.name for c in routine.children or []] == ["title", "diff", "labels", "summary", "risk", "files", "small_fix"]
        assert routine.range.start.line == 7 and routine.range.end.line == 34
        assert routine.selection_range.start == lsp.Position(7, 8)

    run_session(project, scenario)


def test_a_saved_template_is_read_again(project: Path) -> None:
    async def scenario(editor: Editor, client: LanguageClient) -> None:
        await editor.open(SPEC)
        template = project / "specs/prompts/summarize_pr.j2"
        template.write_text(template.read_text("utf-8").replace("{{ diff }}", "{{ dif }}"), "utf-8")
        editor.forget(editor.uri(SPEC))
        client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=template.as_uri(), type=lsp.FileChangeType.Changed)]))
        diags = _lsp(await editor.published(editor.uri(SPEC)))
        assert {d[0] for d in diags} == {"undefined-variable", "unused-input"}
        assert diags == _check_json(project, SPEC, (project / SPEC).read_text("utf-8"))

    run_session(project, scenario)


