"""The shipped LALR tables and the fast tokenizer are exact stand-ins for Lark's own build and lexer."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routinec.compiler import _parse_tables as shipped
from routinec.compiler import parse
from routinec.diagnostics import DiagnosticError
from tests.compiler.test_grammar_properties import SETTINGS, SPECS

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(p for base in ("specs", "tests", "benchmarks", "docs") for p in (ROOT / base).rglob("*.routine"))


def test_shipped_tables_equal_a_fresh_build_from_the_grammar() -> None:
    # Stale after a grammar edit until `python scripts/gen_parser_tables.py` is rerun.
    assert parse.grammar_digest() == shipped.GRAMMAR_SHA256
    assert parse.canonical_tables(shipped.DATA, shipped.MEMO) == parse.canonical_tables(*parse.build_tables())


def test_shipped_compact_tables_equal_a_fresh_build_from_the_grammar() -> None:
    # What compiler.lalr and the fast tokenizer read every valid spec with.
    from lark import Lark

    from routinec.compiler import _lalr_tables as compact
    from routinec.compiler.lalr import tables_from_lark
    from routinec.compiler.lexer import fast_lexer_for

    fresh = Lark(parse.grammar_text(), **parse._OPTIONS)
    assert parse.grammar_digest() == compact.GRAMMAR_SHA256
    assert tuple(compact.TABLES) == tuple(tables_from_lark(fresh.parser.parser.parser.parse_table, fresh.rules))
    lexer = fast_lexer_for(list(fresh.terminals))
    assert lexer is not None
    assert (lexer.keywords, lexer.punct) == (compact.KEYWORDS, compact.PUNCT)


def test_the_parser_in_use_comes_from_the_shipped_tables() -> None:
    assert parse._shipped() is not None
    assert parse._fast() is not None


def test_the_loop_refuses_tables_of_a_shape_it_does_not_run() -> None:
    from routinec.compiler.lalr import Reducer, Tables

    with pytest.raises(ValueError, match="shifts"):
        Reducer(Tables(0, 1, ({"$END": 1, "A": 1}, {}), ()))
    with pytest.raises(ValueError, match="end state"):
        Reducer(Tables(0, 1, ({"A": 1}, {"B": 0}), ()))
    assert Reducer(Tables(0, 1, ({"A": 1}, {}), ())).parse(lambda accepts: iter(()), object()) is None


def test_a_valid_spec_is_parsed_without_importing_lark() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from routinec.compiler.parse import parse_text; "
        "f = parse_text('routine r v1 {\\n  model \"m\"\\n}\\n', 'x.routine'); "
        "assert f.items, f; print(sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _same(text: str) -> None:
    """Whenever the fast path accepts a text it gives what Lark's lexer, parser, tree builder and
    the AST transform give (nodes, spans and comments); whenever Lark rejects it, so does the fast
    path, and the error comes from Lark."""
    fast = parse._fast_parse(text, "x.routine")
    try:
        reference = parse._to_ast(*parse._lark_parse(text, "x.routine"), text, "x.routine")
    except DiagnosticError:
        assert fast is None, "the fast path accepted a text Lark rejects"
        return
    assert fast is not None, "the fast path rejected a text Lark accepts"
    assert fast == reference


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_lexer_matches_lark_on_every_shipped_spec(path: Path) -> None:
    _same(path.read_bytes().decode("utf-8-sig", "replace").replace("\x00", ""))


@SETTINGS
@given(SPECS)
def test_fast_lexer_matches_lark_on_generated_specs(text: str) -> None:
    _same(text)


_EDITS = st.sampled_from(["", " ", "\n", "{", "}", "[", "]", '"', '"""', "v1", "1", "-", "model", "list", "x", ":", "#", "é", "\t", "1e5", "true"])


@SETTINGS
@given(SPECS, st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 4), _EDITS), max_size=3))
def test_fast_lexer_matches_lark_on_damaged_specs(text: str, edits: list[tuple[int, int, str]]) -> None:
    for at, cut, insert in edits:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + cut:]
    _same(text)


@pytest.mark.parametrize("text", [
    "routine a v1 {}", "routine a v1x {}", "routine a 1 {}", "type T { list: list[list] }",
    'type T { a: string = "d" model: string }', "routine r v1 { temperature 0model \"m\" }",
    'routine r v1 { prompt """a\n"b""\n""" }', 'type T { a: "x" | """y""" }', "type T { a: int = -1e5 }",
    "type T { a: int = 1abc }", "# only a comment", "", "routine r v1 { stop [\"a\",] }", "type T{a:int(min 1,)=1}",
    "routine r v1 { test t { input { true: true, null: [null, false] } } }", "type T { ?: int }", "type\x0bT {}",
    # whitespace around tokens, at the end, and whitespace Lark's WS is not
    "type T {}   ", "type T {}\t", "   ", "\n \t\n", "type T {  \x0b}", "type T {\r\n  a: int\r\n}\r\n",
    "type T { a: int = - 1 }", "type T\f{ a: int }", "type T { a: int } # c  ", "#c\n\n  #d",
    # nesting: 64 levels (the block's brace and 63 brackets) are read, 65 are refused
    "type T { a: int = " + "[" * 63 + "]" * 63 + " }", "type T { a: int = " + "[" * 64 + "]" * 64 + " }",
])
def test_fast_lexer_matches_lark_on_edge_cases(text: str) -> None:
    _same(text)


def test_nesting_deeper_than_the_limit_is_refused_with_a_located_diagnostic() -> None:
    deep = "type T { a: int = " + "[" * 64 + "]" * 64 + " }"
    assert parse._fast_parse(deep, "x.routine") is None
    with pytest.raises(DiagnosticError) as raised:
        parse.parse_text(deep, "x.routine")
    (said,) = raised.value.diagnostics
    assert said.message == "nesting deeper than 64 levels"
    assert (said.span.line, said.span.column) == (1, 19 + 63)
    assert parse._fast_parse(deep.replace("[]", "", 1), "x.routine") is not None


@given(st.text().filter(lambda s: '"' not in s and "\\" not in s))
def test_strings_without_escapes_unquote_as_json_would(body: str) -> None:
    import json

    text = '"' + body + '"'
    assert parse._unquote(text) == json.loads(text, strict=False)
