"""The fast lexer reads strings in runs, possessively (`lexer._TOKEN`); it must take exactly
what Lark's own patterns for the grammar's STRING and TRIPLE_STRING take (`EXPECTED_PATTERNS`),
on texts full of quotes, backslashes and newlines, terminated or not."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from routinec.compiler.lexer import _TOKEN, EXPECTED_PATTERNS

_LARK_TRIPLE = re.compile(EXPECTED_PATTERNS["TRIPLE_STRING"], re.S)
_LARK_STRING = re.compile(EXPECTED_PATTERNS["STRING"])
_PIECES = st.sampled_from(['"', '""', '"""', '""""', "\\", '\\"', "\\\\", "\n", "a", " ", "{{ x }}", "é"])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=25).map("".join)


def _lark(text: str) -> tuple[str, int] | None:
    """What Lark's lexer takes at the start of `text`: the longest of the two, as Lark does."""
    found = [(kind, m.end()) for kind, rx in (("TRIPLE_STRING", _LARK_TRIPLE), ("STRING", _LARK_STRING))
             if (m := rx.match(text))]
    return max(found, key=lambda f: f[1]) if found else None


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(['"', '"""']), _TEXT)
def test_strings_are_read_as_larks_patterns_read_them(opening: str, rest: str) -> None:
    text = opening + rest
    ours = _TOKEN.match(text)
    assert ours is not None
    expected = _lark(text)
    if expected is None:
        assert ours.lastgroup not in ("STRING", "TRIPLE_STRING"), text
    else:
        assert (ours.lastgroup, ours.end()) == expected, text


def test_a_ten_megabyte_string_is_one_token() -> None:
    body = "plain words, a \\\"quote\\\" and a lone \" here\n" * 250_000
    m = _TOKEN.match(f'"""{body}"""')
    assert m is not None and m.lastgroup == "TRIPLE_STRING" and m.end() == len(body) + 6
