"""Compiler layer, beside the parser: what a syntax error meant, read from the text around it.

In: a spec's text and where the parser stopped. Out: a better place and words for two
common mistakes the parser only sees late: a block whose `}` is missing (the parser stops at
the next block or at the end of the file, far from the cause) and `List[T]` for `list[T]`.
No Lark here: parse.py passes positions in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Brace", "generic_list", "unclosed_block"]


@dataclass(frozen=True, slots=True)
class Brace:
    pos: int  # offset in the text
    line: int  # 1-based
    column: int  # 1-based
    indent: int  # leading spaces of its line
    first: bool  # the first thing on its line

    def head(self, text: str) -> str:
        """What the block's line says before its `{` (`input`, `routine r v1`)."""
        start = text.rfind("\n", 0, self.pos) + 1
        return " ".join(text[start : self.pos].split())


def _braces(text: str) -> list[tuple[str, Brace]]:
    """Every `{` and `}` outside strings and comments."""
    out: list[tuple[str, Brace]] = []
    i, n, line, line_start = 0, len(text), 1, 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith('"""', i):
            end = text.find('"""', i + 3)
            while end > 0 and text[end - 1] == "\\":
                end = text.find('"""', end + 1)
            stop = n if end < 0 else end + 3
            line += text.count("\n", i, stop)
            if "\n" in text[i:stop]:
                line_start = text.rfind("\n", i, stop) + 1
            i = stop
            continue
        elif ch == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            i = j + 1 if j < n and text[j] == '"' else j
            continue
        elif ch in "{}":
            prefix = text[line_start:i]
            indent = len(prefix) - len(prefix.lstrip(" "))
            out.append((ch, Brace(i, line, i - line_start + 1, indent, not prefix.strip())))
        i += 1
    return out


def unclosed_block(text: str, stopped: int) -> Brace | None:
    """The `{` whose `}` is missing, when the text has more `{` than `}` and the parser
    stopped (at offset `stopped`) after it; None otherwise.

    Indentation tells which one: a `}` that starts its line to the left of the block it
    would close belongs to an outer block, so that inner block is the one left open. With
    no such `}`, the innermost block still open at the end is."""
    braces = _braces(text)
    if sum(1 for ch, _ in braces if ch == "{") <= sum(1 for ch, _ in braces if ch == "}"):
        return None
    stack: list[Brace] = []
    for ch, brace in braces:
        if ch == "{":
            stack.append(brace)
            continue
        if not stack:
            continue
        top = stack.pop()
        if brace.first and top.line != brace.line and brace.indent < top.indent:
            return top if top.pos < stopped else None
    if stack and stack[-1].pos < stopped:
        return stack[-1]
    return None


_GENERIC = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*$")
_LIST_WORDS = frozenset({"list", "array", "sequence", "tuple", "set", "vec", "vector", "iterable"})


def generic_list(text: str, bracket: int) -> tuple[str, int, int, str] | None:
    """`List[Entity]` (or `Array[…]`, `Sequence[…]`): the word, its start and the end of the
    `]` as offsets, and what to write instead; None when the `[` at `bracket` is not that."""
    found = _GENERIC.search(text, 0, bracket)
    if found is None or found.group(1) == "list" or found.group(1).lower() not in _LIST_WORDS:
        return None
    close = text.find("]", bracket, bracket + 200)
    inner = text[bracket + 1 : close].strip() if close > 0 else ""
    end = close + 1 if close > 0 and "\n" not in text[bracket:close] else bracket + 1
    return found.group(1), found.start(1), end, f"list[{inner or 'T'}]"
