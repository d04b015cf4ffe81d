"""The engine's bounded regular-language questions: exact where the automata stay under their
caps, None (undecided) past them, and never in proportion to a counted repetition."""

from __future__ import annotations

import re
from typing import Any

import pytest

from routinec.compat import regex
from routinec.compat.regex import (
    includes,
    min_match_length,
    overlaps,
    sample_strings,
    search,
    undecided_reason,
)

ZIP = "^[0-9]{5}-[0-9]{4}$"


@pytest.mark.parametrize(
    ("pattern", "length"),
    [
        (ZIP, 10),
        ("date-time", 9),
        ("a{1000000}", 1_000_000),  # read off the parse tree: nothing is expanded
        ("^(foo|ba)$", 2),
        ("^a|bcd$", 1),
        ("(a+)+b", 2),
        ("x*", 0),
        ("(?=a)b", 0),  # lookaround: unknown, so the safe lower bound
    ],
)
def test_min_match_length(pattern: str, length: int) -> None:
    assert min_match_length(pattern) == length


def test_samples_match_and_are_shortest_first() -> None:
    assert sample_strings(ZIP)[0] == "00000-0000"
    found = sample_strings("date-time")
    assert found[0] == "date-time" and all("date-time" in s for s in found)
    assert sample_strings("^(x|y)*x(x|y){24}$")[0] == "x" * 25
    assert sample_strings("a{1000000}") == []  # over the position cap: no samples, no memory


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        (".*", "date-time", True),
        ("date", "date-time", True),  # unanchored: every string containing date-time
        ("uuid", "date-time", False),
        ("^a+b$", "^(a+)+b$", True),
        ("^(a+)+b$", "^a+b$", True),
        ("^(w0|w1|w2)$", "^(w0|w1)$", True),
        ("^(w0|w1)$", "^(w0|w1|w2)$", False),
        ("^a|b$", "^a", True),
    ],
)
def test_includes(outer: str, inner: str, expected: bool) -> None:
    assert includes(outer, inner) is expected


def test_overlaps() -> None:
    assert overlaps("^a", "b$") is True
    assert overlaps("^a$", "^b$") is False


def test_past_the_caps_the_answer_is_undecided(monkeypatch: pytest.MonkeyPatch) -> None:
    assert includes("^a{999999}$", "^a{1000000}$") is None
    assert "positions" in undecided_reason("^a{999999}$", "^a{1000000}$")
    regex.forget_answers()
    monkeypatch.setattr(regex, "MAX_STATES", 20)
    assert includes("^(x|y)*y(x|y){8}$", "^(x|y)*x(x|y){8}$") in (None, False)
    assert includes("^(x|y)*(x|y){9}$", "^(x|y)*x(x|y){8}$") is None
    assert "automaton states" in undecided_reason("^(x|y)*$", "^x$")
    regex.forget_answers()


def test_one_comparison_shares_one_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    regex.forget_answers()
    with regex.budget(0):  # spent before the first step: undecided, and not remembered
        assert includes("^(x|y)*$", "^x+$") is None
        assert "spent" in undecided_reason("^(x|y)*$", "^x+$")
    assert includes("^(x|y)*$", "^x+$") is True


def test_unsupported_patterns_are_undecided() -> None:
    for pattern in ("(?=a)b", r"(a)\1", r"\bword", r"\p{L}"):
        assert includes(pattern, "a") is None
        assert "does not decide" in undecided_reason(pattern)


def test_search_runs_repeated_groups_in_linear_time() -> None:
    # Python's re backtracks exponentially here; the engine's NFA does not
    text = "a" * 5000
    assert search("^(a+)+b$", text) is False
    assert search("^(a+)+b$", text + "b") is True
    assert search("(a|aa)+c", "x" + "a" * 3000) is False


@pytest.mark.parametrize(
    "pattern",
    [
        ZIP,
        "date-time",
        "^(a|b)*c$",
        "[^a]b",
        "x{2,3}",
        "^(ab)+$",
        "(a|ab)+c",
        "^(x+x+)+y$",
        "b(a|c)*$",
    ],
)
def test_search_agrees_with_re(pattern: str) -> None:
    compiled = re.compile(pattern)
    texts = ["", "a", "b", "xx", "xxx", "ab", "abab", "aba", "abc", "cb", "xxy", "xyx"]
    for text in [*texts, "12345-6789", "date-time!", "\nbac", "bac\n", "zbacac", "ac\nx"]:
        assert search(pattern, text) == (compiled.search(text) is not None), text


def test_dollar_reads_as_in_python_re() -> None:
    # Python's `$` also matches before a final line break (ECMA-262's does not); the engine
    # reads it as jsonschema, which confirms every counterexample, does
    assert re.search("^a$", "a\n") is not None
    assert search("^(a|b)+$", "ab\n") is True
    assert search("^(a|b)+$", "ab\n\n") is False


def _patterns() -> Any:
    from hypothesis import strategies as st

    atoms = st.sampled_from(["a", "b", "[ab]", "[^a]", "."])
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda p: f"({p[0]}|{p[1]})"),
            st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{0,2}"])).map(
                lambda p: f"({p[0]}){p[1]}"
            ),
        ),
        max_leaves=5,
    ).flatmap(
        lambda core: st.tuples(st.sampled_from(["", "^"]), st.sampled_from(["", "$"])).map(
            lambda anchors: anchors[0] + core + anchors[1]
        )
    )


def _strings() -> list[str]:
    out = [""]
    for _ in range(5):
        out += [s + c for s in out if len(s) == max(len(t) for t in out) for c in "abc\n"]
    return out


STRINGS = _strings()


def test_includes_and_search_agree_with_re_on_small_strings() -> None:
    from hypothesis import given, settings

    @settings(max_examples=150, derandomize=True, deadline=None, database=None)
    @given(_patterns(), _patterns())
    def check(outer: str, inner: str) -> None:
        co, ci = re.compile(outer), re.compile(inner)
        for text in STRINGS:
            assert search(outer, text) == (co.search(text) is not None), (outer, text)
        verdict = includes(outer, inner)
        escapes = [t for t in STRINGS if ci.search(t) and not co.search(t)]
        if verdict is True:
            assert not escapes, (outer, inner, escapes[:3])
        if escapes:
            assert verdict is not True

    check()
