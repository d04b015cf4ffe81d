"""Compat layer: ECMA-262 patterns as Python regexes, and regular-language inclusion.

In: `pattern` strings. Out: compiled `re` patterns (None when Python cannot express one),
and inclusion/overlap answers True/False/None from `interegular` when it is installed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["compile_pattern", "includes", "min_match_length", "overlaps", "sample_strings"]

_CONTROL = re.compile(r"\\c([A-Za-z])")
_NAMED = re.compile(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>")
_UNICODE = re.compile(r"\\u\{([0-9A-Fa-f]+)\}")


def translate(pattern: str) -> str:
    """Rewrite the ECMA-262 escapes that Python's `re` spells differently."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group(1).upper()) % 32:02x}", pattern)
    out = _NAMED.sub(r"(?P<\1>", out)
    out = _UNICODE.sub(lambda m: f"\\U{int(m.group(1), 16):08x}", out)
    return out


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(translate(pattern))
    except (re.error, OverflowError):
        return None


@lru_cache(maxsize=1024)
def _fsm(pattern: str) -> Any:
    """An interegular FSM for the set of strings the (unanchored) pattern matches."""
    try:
        import interegular
    except ImportError:  # optional: without it pattern changes stay UNKNOWN
        return None
    body = translate(pattern)
    head = body.startswith("^")
    tail = body.endswith("$") and not body.endswith("\\$")
    core = body[1 if head else 0 : len(body) - 1 if tail else len(body)]
    if "|" in core and not (core.startswith("(") and core.endswith(")")):
        core = f"(?:{core})"
    text = ("" if head else ".*") + core + ("" if tail else ".*")
    try:
        return interegular.parse_pattern(text).to_fsm()
    except Exception:  # interegular rejects lookarounds, backrefs, anchors inside
        return None


def includes(outer: str, inner: str) -> bool | None:
    """Does every string matching `inner` also match `outer`? None when undecidable here."""
    if outer == inner:
        return True
    a, b = _fsm(inner), _fsm(outer)
    if a is None or b is None:
        return None
    try:
        return bool(a.issubset(b))
    except Exception:
        return None


@lru_cache(maxsize=1024)
def min_match_length(pattern: str) -> int:
    """A lower bound on the length of the strings `pattern` matches (0 when unknown)."""
    fsm = _fsm(pattern)
    if fsm is None:
        return 0
    try:
        for chars in fsm.strings():  # shortest first
            return len(chars)
    except Exception:
        return 0
    return 0


def overlaps(a: str, b: str) -> bool | None:
    fa, fb = _fsm(a), _fsm(b)
    if fa is None or fb is None:
        return None
    try:
        return not bool(fa.isdisjoint(fb))
    except Exception:
        return None


def sample_strings(pattern: str, limit: int = 4) -> list[str]:
    """A few short strings that match `pattern` (checked with `re`), shortest first."""
    compiled = compile_pattern(pattern)
    fsm = _fsm(pattern)
    found: list[str] = []
    if fsm is not None and compiled is not None:
        try:
            for i, chars in enumerate(fsm.strings()):
                if i > 40 or len(found) >= limit:
                    break
                text = "".join(c if isinstance(c, str) else "a" for c in chars)
                if compiled.search(text) and text not in found:
                    found.append(text)
        except Exception:
            pass
    return found
