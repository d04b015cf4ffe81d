"""Runtime layer: strict JSON for the files the runtime reads back (transcripts, goldens).

In: a file's bytes. Out: the JSON value (non-integer numbers as Decimal), or a `BadJson`
whose message says what is wrong in one line. Stricter than `json.loads`: a duplicated key
(which `json` silently resolves to the last value) is refused, and so is a UTF-8 BOM, which
routinec never writes; both mean the file was edited or damaged since it was written.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["BadJson", "read_json_bytes"]


class BadJson(ValueError):
    """The bytes are not the JSON routinec wrote; the message is one line for users."""


def _constant(name: str) -> Any:
    raise BadJson(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise BadJson(f"the key {dup[:60]!r} appears twice in one object")
    return out


def read_json_bytes(raw: bytes) -> Any:
    if raw.startswith(b"\xef\xbb\xbf"):
        raise BadJson("the file starts with a UTF-8 byte order mark (routinec writes none)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJson(f"the file is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(
            text, parse_float=Decimal, parse_constant=_constant, object_pairs_hook=_no_duplicates
        )
    except json.JSONDecodeError as exc:
        raise BadJson(f"the file is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise BadJson("the file nests JSON too deeply") from None
    except BadJson:
        raise
    except ValueError as exc:  # e.g. an integer past Python's digit limit
        raise BadJson(f"the file is not valid JSON ({str(exc)[:80]})") from None
