"""Canonical JSON: `canonical_bytes` (the input of every hash) and `dumps_pretty` /
`pretty_member` (the lock's text) write exactly what the standard library writes with sorted
keys, on any JSON value; Decimals print as plain numbers; a string that looks like the
encoder's internal Decimal marker stays a string; bad values raise, never write."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routinec.canonical import (
    canonical_bytes,
    decimal_text,
    digest,
    digest_bytes,
    dumps_pretty,
    loads,
    pretty_member,
)

# Keys and strings with the characters JSON escapes (quote, backslash, control characters,
# U+2028), non-ASCII text, and the text of the encoder's internal Decimal marker.
_MARKER = "\x00routinec-decimal:"
_text = st.lists(
    st.sampled_from(["a", "b", "key", '"', "\\", "\x00", "\n", "\x1f", "\u2028", "é", "\U0001f600", ": ", ",", "{}",
                     _MARKER, f'"{_MARKER}1.5', f"{_MARKER}x"]),
    max_size=4,
).map("".join)
_plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=25,
)
_decimal = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12)
_with_decimals = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | _text | _decimal,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=25,
)


def _numbers_as_text(value: Any) -> Any:
    """The value with each Decimal replaced by a placeholder the test can find in json's text."""
    if isinstance(value, Decimal):
        return {"\x01number": decimal_text(value)}
    if isinstance(value, list | tuple):
        return [_numbers_as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _numbers_as_text(v) for k, v in value.items()}
    return value


def _reference(value: Any, *, indent: int | None) -> str:
    """json.dumps with sorted keys, each Decimal written as `decimal_text` prints it."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(_numbers_as_text(value), sort_keys=True, ensure_ascii=False, indent=indent, separators=separators)
    colon = separators[1]
    # A placeholder object is written `{"\u0001number":"1.5"}` in compact form, and as
    # `{`, one member line, `}` when indented: undo both forms.
    compact = re.compile(r'\{"\\u0001number"' + re.escape(colon) + r'"(-?[0-9.]+)"\}')
    pretty = re.compile(r'\{\n *"\\u0001number"' + re.escape(colon) + r'"(-?[0-9.]+)"\n *\}')
    return (compact if indent is None else pretty).sub(r"\1", text)


@settings(max_examples=400, deadline=None)
@given(_plain)
def test_plain_values_are_written_as_json_writes_them(value: Any) -> None:
    compact = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert canonical_bytes(value) == compact.encode("utf-8")
    assert digest(value) == digest_bytes(compact.encode("utf-8"))
    assert dumps_pretty(value) == json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


@settings(max_examples=400, deadline=None)
@given(_with_decimals)
def test_decimals_are_written_plainly_at_every_depth(value: Any) -> None:
    assert canonical_bytes(value).decode("utf-8") == _reference(value, indent=None)
    assert dumps_pretty(value) == _reference(value, indent=2) + "\n"
    # What a lock writes, read back and written again, is the same text.
    assert dumps_pretty(loads(dumps_pretty(value))) == dumps_pretty(value)
    assert canonical_bytes(loads(canonical_bytes(value))) == canonical_bytes(value)


@settings(max_examples=200, deadline=None)
@given(_text, _with_decimals, st.integers(0, 4))
def test_pretty_member_is_the_member_text_at_its_depth(key: str, value: Any, depth: int) -> None:
    # The only member of an object `depth` objects deep: its line is indented depth + 1 times.
    document: Any = {key: value}
    for _ in range(depth):
        document = {"k": document}
    level = depth + 1
    assert "\n" + "  " * level + pretty_member(key, value, level) + "\n" in dumps_pretty(document)


@pytest.mark.parametrize(
    ("value", "compact"),
    [
        ({"b": Decimal("0.50"), "a": [Decimal("1E+2"), Decimal("-0.000")]}, '{"a":[100,0],"b":0.5}'),
        ({"x": Decimal("0.0000001")}, '{"x":0.0000001}'),
        # The marker's own text in the data, beside real Decimals: strings stay strings.
        ({"a": _MARKER + "1.5", "b": Decimal("2.50")}, '{"a":"\\u0000routinec-decimal:1.5","b":2.5}'),
        ({"a": f'"{_MARKER}1', "b": Decimal("2.50")}, '{"a":"\\"\\u0000routinec-decimal:1","b":2.5}'),
        ({"a": f"{_MARKER}x", "b": [Decimal("3.0")]}, '{"a":"\\u0000routinec-decimal:x","b":[3]}'),
        ((1, "é", None, True), '[1,"é",null,true]'),
    ],
)
def test_pinned_texts(value: Any, compact: str) -> None:
    assert canonical_bytes(value) == compact.encode("utf-8")
    assert json.loads(dumps_pretty(value)) == json.loads(compact)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"a": 1, 2: "b"}, TypeError),
        ({"a": {1, 2}}, TypeError),
        ([Decimal("NaN")], ValueError),
        ({"a": float("inf")}, ValueError),
    ],
)
def test_values_that_are_not_json_raise(value: Any, error: type[Exception]) -> None:
    for write in (canonical_bytes, dumps_pretty, lambda v: pretty_member("k", v, 2)):
        with pytest.raises(error):
            write(value)


def test_the_lock_text_refuses_keys_that_are_not_strings() -> None:
    with pytest.raises(TypeError, match="keys must be strings, got int"):
        dumps_pretty({"a": {3: "c", 4: "d"}})


def test_a_cycle_raises_instead_of_writing() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(RecursionError):
        canonical_bytes(cycle)
    with pytest.raises(RecursionError):
        dumps_pretty(cycle)


@pytest.mark.parametrize("text", ['{"a": 1.50, "b": [2, 1e3]}', b'{"a": 1.50, "b": [2, 1e3]}', bytearray(b'{"a": 1.50, "b": [2, 1e3]}')])
def test_loads_reads_non_integers_as_decimals(text: str | bytes) -> None:
    value = loads(text)
    assert value == {"a": Decimal("1.50"), "b": [2, Decimal("1e3")]}
    assert isinstance(value["b"][0], int) and isinstance(value["a"], Decimal)


@pytest.mark.parametrize("text", ["\ufeff{}", "NaN", "[Infinity]", '{"a":', ""])
def test_loads_refuses_what_json_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        loads(text)
