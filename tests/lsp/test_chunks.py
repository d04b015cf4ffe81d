"""The language server's block-by-block parse equals the compiler's whole-file parse: the same
AST (spans included) or the same syntax diagnostic, for every spec in the repository and for
random one-character edits of them; blocks that only moved are not parsed again."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from routinec.compiler.ast import File
from routinec.compiler.parse import parse_text
from routinec.diagnostics import DiagnosticError
from routinec.lsp.chunks import ChunkParser, open_blocks, split, split_after_edit

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted(p for p in REPO.rglob("*.routine") if ".venv" not in p.parts and ".nox" not in p.parts)


def _outcome(parse: Callable[[str, str], File], text: str) -> tuple[str, object]:
    try:
        result = parse(text, "s.routine")
        assert isinstance(result, File)
        return ("ok", result)
    except DiagnosticError as exc:
        return ("error", [(d.code, d.message, d.span, d.help) for d in exc.diagnostics])


def test_every_spec_parses_the_same() -> None:
    parser = ChunkParser()
    assert len(SPECS) > 50
    for spec in SPECS:
        text = spec.read_bytes().decode("utf-8", "replace")
        assert _outcome(parser.parse, text) == _outcome(parse_text, text), spec


def test_random_edits_parse_the_same() -> None:
    parser = ChunkParser()
    rnd = random.Random(20261202)
    edits = 0
    for spec in SPECS[:60]:
        text = spec.read_bytes().decode("utf-8", "replace")
        if not text:
            continue
        for _ in range(25):
            i = rnd.randrange(len(text))
            kind = rnd.choice(["delete", "insert", "newline"])
            if kind == "delete":
                edited = text[:i] + text[i + 1:]
            elif kind == "insert":
                edited = text[:i] + rnd.choice('{}"x #\n(') + text[i:]
            else:
                edited = text[:i] + "\n" + text[i:]
            edits += 1
            assert _outcome(parser.parse, edited) == _outcome(parse_text, edited), (spec, kind, i)
    assert edits >= 1000


def test_only_changed_blocks_are_parsed() -> None:
    text = (REPO / "specs" / "summarize_pr.routine").read_text("utf-8")
    blocks = split(text)
    assert [b.text.split()[0] for b in blocks] == ["#", "type", "routine", "consumer"]
    parser = ChunkParser()
    parser.parse(text, "s.routine")
    first = parser.parsed_blocks
    assert first == len(blocks)
    edited = text.replace("temperature 0", "temperature 1")
    assert parser.parse(edited, "s.routine") == parse_text(edited, "s.routine")
    assert parser.parsed_blocks == first + 1  # the routine's block only
    moved = "\n\n" + edited
    assert parser.parse(moved, "s.routine") == parse_text(moved, "s.routine")
    assert parser.parsed_blocks == first + 2  # the first block's text changed; the others moved


def test_open_blocks() -> None:
    text = 'routine r v1 {\n  prompt "}{"\n  test t {\n    compare {\n      a: exact'
    assert open_blocks(text) == ["routine", "test", "compare"]
    assert open_blocks('type T {\n  a: string # }\n}\n') == []


def test_splitting_after_an_edit_equals_splitting_afresh() -> None:
    """Each edit of a chain (deletions, insertions of braces, quotes, comments, newlines and
    top-level keywords) splits as the whole new text does."""
    rnd = random.Random(7)
    edits = 0
    for spec in SPECS:
        text = spec.read_bytes().decode("utf-8", "replace")
        blocks = split(text)
        for _ in range(30):
            i = rnd.randrange(len(text) + 1)
            kind = rnd.choice(["delete", "insert", "newline", "keyword"])
            if kind == "delete":
                edited = text[:i] + text[i + 1:]
            elif kind == "insert":
                edited = text[:i] + rnd.choice('{}"x #\n\\') + text[i:]
            elif kind == "newline":
                edited = text[:i] + "\n" + text[i:]
            else:
                edited = text[:i] + rnd.choice(["\nroutine", "\ntype ", '"""', "\nconsumer c {"]) + text[i:]
            blocks = split_after_edit(text, blocks, edited)
            assert blocks == split(edited), (spec, kind, i)
            text = edited
            edits += 1
    assert edits > 1500
