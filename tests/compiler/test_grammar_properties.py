"""Property tests over the real grammar: generated specs parse, fmt round-trips, junk only diagnoses."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from routinec.compiler import ast
from routinec.compiler.fmt import format_text
from routinec.compiler.parse import grammar_text, parse_file, parse_text
from routinec.diagnostics import DiagnosticError

GRAMMAR = Lark(grammar_text(), parser="lalr", strict=True, propagate_positions=True)
KEYWORDS = frozenset(
    t.pattern.value
    for t in GRAMMAR.terminals
    if t.pattern.type == "str" and t.pattern.value.isidentifier()
)
# A plain (non-strict, basic-lexer) instance only to list comments; strict mode rejects
# lexing VERSION and NAME outside the contextual lexer.
COMMENT_LEXER = Lark(grammar_text(), parser="lalr", lexer="basic")
PATH = "gen.routine"

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

_space = st.sampled_from([" ", "  ", "\n", " \t", "\n\n  ", "\r\n"])
_no_nul = st.characters(codec="utf-8", exclude_characters="\x00")


def _padded(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Whitespace on both sides, or keywords, names and numbers fuse into one token."""
    return st.tuples(_space, inner, _space).map("".join)


_name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS
)
_string = st.one_of(
    st.text(_no_nul, max_size=10).map(json.dumps),
    st.text(st.characters(codec="utf-8", exclude_characters='\x00"\\\n\r'), max_size=10).map(
        lambda s: json.dumps(s, ensure_ascii=False)
    ),
    st.sampled_from([r'"\/"', r'"\u00e9\ud83d\ude00"', r'"tab\there\r\n"', r'"\"q\" \\"', '""']),
)
_triple_body = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8", exclude_characters='\x00"\\'), max_size=8),
        st.sampled_from(['\\"', "\\\\", "\\n", "\n", '"', '""x', "{{ title }}"]),
    ),
    max_size=4,
).map("".join).filter(lambda s: not s.endswith('"') and '"""' not in s)
_number = st.from_regex(r"-?[0-9]{1,5}(\.[0-9]{1,4})?([eE][+-]?[0-8]?[0-9])?", fullmatch=True)

EXPLICIT: dict[str, st.SearchStrategy[str]] = {
    **{t.name: _padded(st.just(t.pattern.value)) for t in GRAMMAR.terminals
       if t.pattern.type == "str" and t.pattern.value.isidentifier()},
    "NAME": _padded(_name),
    "STRING": _padded(_string),
    "TRIPLE_STRING": _padded(_triple_body.map(lambda s: f'"""{s}"""')),
    "NUMBER": _padded(_number),
    "VERSION": _padded(st.from_regex(r"v[0-9]{1,3}", fullmatch=True)),
    "COMMENT": st.text(st.characters(codec="utf-8", exclude_characters="\x00\n"), max_size=12).map(
        lambda s: f"#{s}\n"
    ),
}
SPECS = from_lark(GRAMMAR, explicit=EXPLICIT)


def _comments(text: str) -> list[str]:
    return [str(t).rstrip() for t in COMMENT_LEXER.lex(text, dont_ignore=True) if t.type == "COMMENT"]


@SETTINGS
@given(SPECS)
def test_everything_generated_parses(text: str) -> None:
    # Our parser (custom AST walk, diagnostics) agrees with the reference Lark parse of the
    # same grammar: the same top-level definitions, in order, each with a span inside the text.
    reference = [str(child.data) for child in GRAMMAR.parse(text).children]
    parsed = parse_text(text, PATH)
    kinds = {"TypeDef": "type_def", "RoutineDef": "routine_def", "ConsumerDef": "consumer_def"}
    assert [kinds[type(item).__name__] for item in parsed.items] == reference
    lines = text.split("\n")
    for item in parsed.items:
        assert item.span.path == PATH
        assert 1 <= item.span.line <= len(lines)
        assert 1 <= item.span.column <= len(lines[item.span.line - 1]) + 1


@SETTINGS
@given(SPECS)
def test_fmt_round_trips_and_is_idempotent(text: str) -> None:
    before = parse_text(text, PATH)
    try:
        once = format_text(text, PATH)
    except DiagnosticError as exc:
        # The one refusal allowed: a statement given twice (the AST keeps only the first).
        [diag] = exc.diagnostics
        assert diag.code == "duplicate-statement", diag
        assert diag.span is not None
        line = text.split("\n")[diag.span.line - 1]
        keyword = line[diag.span.column - 1 : diag.span.end_column - 1]
        assert keyword in KEYWORDS
        return
    after = parse_text(once, PATH)
    assert ast.to_plain(after.items) == ast.to_plain(before.items)
    assert _comments(once) == _comments(text)
    assert format_text(once, PATH) == once
    assert (once.endswith("\n") and not once.endswith("\n\n")) or once == ""


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    """A generated spec with a few characters deleted, inserted or swapped."""
    text = draw(SPECS)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        insert = draw(st.sampled_from(["", '"', '"""', "{", "}", "[", "#", "\n", "\\", "-", "e9", "\x00"]))
        cut = draw(st.integers(0, 3))
        text = text[:at] + insert + text[at + cut :]
    return text


def _only_diagnostics(text: str) -> bool:
    """Format `text`: either it formats to a fixed point, or it fails with located diagnostics
    (never an internal error or an exception). True when it formatted."""
    try:
        once = format_text(text, PATH)
    except DiagnosticError as exc:
        assert exc.diagnostics
        assert all(d.span is not None and d.span.path == PATH for d in exc.diagnostics)
        assert all(d.code != "internal" for d in exc.diagnostics), exc.diagnostics
        return False
    assert format_text(once, PATH) == once
    return True


@SETTINGS
@given(st.text())
def test_arbitrary_text_gives_only_diagnostics(text: str) -> None:
    _only_diagnostics(text)


# No shrinking here: a mutated spec is already short enough to read, and shrinking one can take
# Hypothesis's full five minutes.
@settings(SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target])
@given(_mutated())
def test_mutated_specs_give_only_diagnostics(text: str) -> None:
    _only_diagnostics(text)


@SETTINGS
@given(st.binary())
def test_arbitrary_bytes_give_only_diagnostics(data: bytes) -> None:
    try:
        parsed = parse_file(data, PATH)
    except DiagnosticError as exc:
        assert exc.diagnostics
        assert all(d.code != "internal" for d in exc.diagnostics), exc.diagnostics
        return
    # It parsed, so it was UTF-8 (a BOM allowed) and parses the same as text.
    text = data.decode("utf-8-sig")
    assert ast.to_plain(parsed.items) == ast.to_plain(parse_text(text.replace("\r\n", "\n"), PATH).items)


@pytest.mark.parametrize(("depth", "formats"), [(10, True), (30, True), (63, False), (64, False), (500, False)])
def test_deep_nesting_is_a_diagnostic(depth: int, formats: bool) -> None:
    text = "routine r v1 { test t { input { a: " + "[" * depth + "]" * depth + " } } }\n"
    assert _only_diagnostics(text) is formats
    if not formats:
        with pytest.raises(DiagnosticError, match="nesting deeper than 64 levels"):
            parse_text(text, PATH)


@pytest.mark.parametrize(
    "text",
    [
        'type T { a: "\\q" }\n',
        'routine r v1 { test t { input { "\\q": 1 } } }\n',
        'routine r v1 { prompt file "\\q" }\n',
        'routine r v1 { consumers ["\\q"] }\n',
        'routine r v1 { test t { input file "\\q" } }\n',
    ],
)
def test_bad_escapes_anywhere_are_diagnostics(text: str) -> None:
    with pytest.raises(DiagnosticError) as info:
        parse_text(text, PATH)
    assert any("escape" in d.message for d in info.value.diagnostics), info.value.diagnostics
    assert _only_diagnostics(text) is False
