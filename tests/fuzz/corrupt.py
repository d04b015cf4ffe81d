"""File corruptions for the fuzz driver: truncations, wrong types, BOM, invalid UTF-8,
duplicate keys, huge files, deep nesting, empty files and flipped bytes.

`corrupt(original, rng, kind)` returns (how, bytes). `MUST_FAIL` lists the corruptions that
can never leave a valid file, so exit 0 after one is a failure of the fuzz run.
"""

from __future__ import annotations

import json
import random
from typing import Any

from routinec.canonical import dumps_pretty, loads

__all__ = ["MUST_FAIL", "TARGETS", "corrupt"]

# file kind -> (project-relative path in the shipped examples, commands that read it)
TARGETS: dict[str, tuple[str, list[list[str]]]] = {
    "lock": ("routines.lock", [["verify"], ["test"], ["lock"]]),
    "transcript": ("golden/summarize_pr/small_fix.transcript.json", [["test", "summarize_pr"]]),
    "golden": ("golden/summarize_pr/small_fix.output.json", [["test", "summarize_pr"]]),
}
MUST_FAIL = frozenset({"truncate", "invalid-utf8", "duplicate-key", "deep-nesting", "empty", "named-wrong-type", "bom"})
# Fields whose type is part of the file's shape (the brief's examples among them).
_NAMED: dict[str, list[tuple[tuple[Any, ...], Any]]] = {
    "transcript": [
        (("origin",), True), (("responses", 0, "role"), 1.5), (("responses",), {"a": 1}),
        (("request_hash",), 12), (("responses",), []), (("routine",), ["summarize_pr"]),
        (("responses", 0, "content"), "text"), (("responses", 0), "x"), (("request",), []),
        (("format_version",), True), (("redactions",), "0"), (("provenance",), 3),
        (("responses", 0, "content", 0, "text"), 5), (("responses", 0, "stop_reason"), 1),
    ],
    "lock": [
        (("routines",), []), (("format_version",), "1"), (("routines", "summarize_pr", "version"), "3"),
        (("routines", "summarize_pr", "parameters"), None), (("routines", "summarize_pr"), 1.5),
        (("routines", "summarize_pr", "output_schema"), "x"), (("routines", "summarize_pr", "entry_hash"), 7),
    ],
    "golden": [((), []), ((), 1.5), ((), None), ((), "x"), (("risk",), 1), (("files",), {"path": 1})],
}
_VALUES: list[Any] = [True, False, None, 0, -1, 1.5, "", "x", [], {}, [1, "a"], {"k": None}, 10**30]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*at, i))
    return out


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _set(value.get(head), rest, new)}
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        copy = list(value)
        copy[head] = _set(copy[head], rest, new)
        return copy
    return value


def _dump(value: Any) -> bytes:
    return dumps_pretty(value).encode("utf-8")


def corrupt(original: bytes, rng: random.Random, kind: str) -> tuple[str, bytes]:
    data = loads(original)
    how = rng.choice(
        ["truncate", "invalid-utf8", "bom", "duplicate-key", "wrong-type", "named-wrong-type",
         "huge", "deep-nesting", "empty", "flip-bytes"]
    )
    if how == "truncate":
        return how, original[: rng.randrange(0, len(original.rstrip()) - 1)]
    if how == "invalid-utf8":
        at = rng.randrange(len(original))
        return how, original[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]) + original[at:]
    if how == "bom":
        return how, b"\xef\xbb\xbf" + original
    if how == "empty":
        return how, b""
    if how == "flip-bytes":
        out = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return how, bytes(out)
    if how == "named-wrong-type":
        path, new = rng.choice(_NAMED[kind])
        return how, _dump(_set(data, path, new))
    paths = _paths(data)
    if how == "wrong-type":
        path = rng.choice(paths)
        return how, _dump(_set(data, path, rng.choice(_VALUES)))
    if how == "deep-nesting":
        depth = rng.choice([2_000, 100_000])
        path = rng.choice(paths)
        text = _dump(_set(data, path, "\x00DEEP\x00")).decode()
        return how, text.replace('"\\u0000DEEP\\u0000"', "[" * depth + "]" * depth, 1).encode()
    if how == "huge":
        size = rng.choice([1 << 20, 16 << 20])
        path = rng.choice(paths)
        filler: Any = "x" * size if rng.random() < 0.5 else [0] * (size // 8)
        return how, _dump(_set(data, path, filler))
    # duplicate-key: one object gets a key twice, the second time with another value
    objects = [p for p in paths if isinstance(_get(data, p), dict) and _get(data, p)]
    path = rng.choice(objects)
    obj = _get(data, path)
    key = rng.choice(sorted(obj))
    # The twin sorts last, so `json` (last one wins) would silently read the changed value.
    twin = {**obj, "\uffffDUP": rng.choice([v for v in _VALUES if v != obj[key]])}
    text = _dump(_set(data, path, twin)).decode()
    return how, text.replace('"\uffffDUP"', json.dumps(key, ensure_ascii=False), 1).encode()


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value
