"""LSP layer: a spec's text cut into its top-level blocks, each parsed by the compiler once.

In: a document's text. Out: an `ast.File` equal to what `compiler.parse.parse_text` gives for
the whole text (or its syntax diagnostic), made from the blocks (`type`, `routine`,
`consumer` starting a line at brace depth 0), of which only those whose text changed are
parsed again; a block that only moved up or down is moved (its spans shifted), not parsed.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from routinec.compiler import ast
from routinec.compiler.parse import parse_text
from routinec.diagnostics import Diagnostic, DiagnosticError, Span

__all__ = ["Chunk", "ChunkParser", "open_blocks", "split", "split_after_edit"]

# Strings, comments and braces (what decides the depth), and a top-level keyword at a line's start.
_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)|"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[{}]|^(?=(?:type|routine|consumer)\b)',
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Chunk:
    text: str
    line: int  # 1-based line of its first character (always at a line's start)


_SPECIAL = re.compile(r'["#{}\n]')
_TRIPLE = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)', re.DOTALL)
_SINGLE = re.compile(r'"(?:[^"\\\n]|\\.)*"?', re.DOTALL)
_KEYWORD = re.compile(r"(?:type|routine|consumer)\b")


def _starts(text: str, pos: int, stop: Callable[[int], bool] | None = None) -> tuple[list[int], int | None]:
    """Block starts after `pos` (a block start, so at depth 0), scanning strings, comments and
    braces as `_TOKENS` does; stops at the first start `stop` accepts (returned second)."""
    depth = 0
    found: list[int] = []
    search = _SPECIAL.search
    while True:
        m = search(text, pos)
        if m is None:
            return found, None
        i = m.start()
        c = text[i]
        if c == '"':
            token = (_TRIPLE if text.startswith('"""', i) else _SINGLE).match(text, i)
            pos = token.end() if token is not None and token.end() > i else i + 1
        elif c == "#":
            j = text.find("\n", i)
            pos = len(text) if j < 0 else j
        elif c == "{":
            depth += 1
            pos = i + 1
        elif c == "}":
            depth = max(0, depth - 1)
            pos = i + 1
        else:
            pos = i + 1
            if depth == 0 and _KEYWORD.match(text, pos):
                if stop is not None and stop(pos):
                    return found, pos
                found.append(pos)


def _chunks(text: str, starts: list[int], reuse: dict[int, str] | None = None) -> list[Chunk]:
    chunks = []
    line = 1
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        piece = (reuse or {}).get(start) or text[start:end]
        chunks.append(Chunk(piece, line))
        line += piece.count("\n")
    return chunks


def split(text: str) -> list[Chunk]:
    """The blocks of `text`: a new one at each line that starts with `type`, `routine` or
    `consumer` at brace depth 0 (outside strings and comments)."""
    return _chunks(text, [0, *_starts(text, 0)[0]])


def _common_prefix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def split_after_edit(old: str, old_chunks: list[Chunk], text: str) -> list[Chunk]:
    """`split(text)`, knowing `old` split into `old_chunks`: the blocks before the edit and
    those after it are the old ones (moved); only the edited stretch is scanned."""
    if not old_chunks:
        return split(text)
    old_starts: list[int] = []
    offset = 0
    for chunk in old_chunks:
        old_starts.append(offset)
        offset += len(chunk.text)
    first = _common_prefix(old, text)
    # Keep the blocks that end before the edit, less one: an edit right at a block's start
    # may move that start.
    keep = sum(1 for i, start in enumerate(old_starts) if start + len(old_chunks[i].text) < first)
    keep = max(0, keep - 1)
    resume = old_starts[keep]
    tail = _common_suffix(old, text, min(len(old), len(text)) - first)
    delta = len(text) - len(old)
    old_set = set(old_starts)
    unchanged_from = len(text) - tail

    def reusable(p: int) -> bool:
        return p > first and p >= unchanged_from and (p - delta) in old_set

    found, stopped = _starts(text, resume, reusable)
    starts = old_starts[: keep + 1] + found
    reuse = {old_starts[i]: old_chunks[i].text for i in range(keep)}
    if stopped is not None:
        for start, chunk in zip(old_starts, old_chunks, strict=True):
            if start >= stopped - delta:
                starts.append(start + delta)
                reuse[start + delta] = chunk.text
    return _chunks(text, starts, reuse)


def _shift_span(span: Span, delta: int) -> Span:
    return Span(span.path, span.line + delta if span.line else 0, span.column,
                span.end_line + delta if span.end_line else 0, span.end_column)


def _same(value: Any, delta: int) -> Any:
    return value


def _shift_tuple(value: tuple[Any, ...], delta: int) -> tuple[Any, ...]:
    return tuple([_shift(v, delta) for v in value])


def _shift_list(value: list[Any], delta: int) -> list[Any]:
    return [_shift(v, delta) for v in value]


# class → how to move a value of it (type dispatch: isinstance chains cost more than the copy)
_MOVERS: dict[type, Callable[[Any, int], Any]] = {
    Span: _shift_span, tuple: _shift_tuple, list: _shift_list, dict: _same, str: _same, int: _same,
    bool: _same, float: _same, Decimal: _same, type(None): _same,
}
_LINE_FIELDS = {ast.Comment: "line", ast.Template: "text_line"}


def _mover(cls: type) -> Callable[[Any, int], Any]:
    if not dataclasses.is_dataclass(cls):
        return _same
    names = tuple(f.name for f in dataclasses.fields(cls))
    line_field = _LINE_FIELDS.get(cls)

    def move(value: Any, delta: int) -> Any:
        new = object.__new__(cls)
        for name in names:
            old = getattr(value, name)
            if name == line_field:
                moved: Any = old + delta if old else old
            else:
                kind = old.__class__
                mover = _MOVERS.get(kind) or _register(kind)
                moved = old if mover is _same else mover(old, delta)
            object.__setattr__(new, name, moved)
        return new

    return move


def _register(cls: type) -> Callable[[Any, int], Any]:
    mover = _MOVERS[cls] = _mover(cls)
    return mover


def _shift(value: Any, delta: int) -> Any:
    """`value` with every line number moved by `delta` (AST nodes, spans, diagnostics); nodes
    are copied field by field (dataclasses.replace re-runs __init__: several times slower)."""
    cls = value.__class__
    mover = _MOVERS.get(cls) or _register(cls)
    return mover(value, delta)


@dataclass(frozen=True)
class _Parsed:
    line: int
    file: ast.File | None
    error: list[Diagnostic] | None


class ChunkParser:
    """Parses documents block by block, remembering each block's result by its text."""

    def __init__(self, size: int = 4096) -> None:
        self._memo: OrderedDict[tuple[str, str], _Parsed] = OrderedDict()
        self._size = size
        self.parsed_blocks = 0  # how many blocks went through the parser (for tests and benchmarks)
        # path → each block's (text, first line, items) in the last parse of that path
        self.blocks: dict[str, list[tuple[str, int, tuple[Any, ...]]]] = {}
        self._last: dict[str, tuple[str, list[Chunk]]] = {}  # path → its last text and blocks

    def _block(self, chunk: Chunk, path: str) -> _Parsed:
        key = (path, chunk.text)
        found = self._memo.get(key)
        if found is not None:
            self._memo.move_to_end(key)
            if found.line == chunk.line:
                return found
            delta = chunk.line - found.line
            moved = _Parsed(chunk.line, _shift(found.file, delta), _shift(found.error, delta))
            self._memo[key] = moved
            return moved
        self.parsed_blocks += 1
        try:
            parsed = _Parsed(chunk.line, parse_text("\n" * (chunk.line - 1) + chunk.text, path), None)
        except DiagnosticError as exc:
            parsed = _Parsed(chunk.line, None, list(exc.diagnostics))
        except RecursionError:
            parsed = _Parsed(chunk.line, None, None)
        self._memo[key] = parsed
        if len(self._memo) > self._size:
            self._memo.popitem(last=False)
        return parsed

    def _whole(self, text: str, path: str) -> ast.File:
        file = parse_text(text, path)
        self.blocks[path] = [(text, 1, file.items)]
        return file

    def parse(self, text: str, path: str) -> ast.File:
        """What `parse_text(text, path)` returns, or raises (its DiagnosticError)."""
        if "\x00" in text or "\r" in text:
            return self._whole(text, path)  # rare: the parser's own handling, whole
        items: list[Any] = []
        comments: list[ast.Comment] = []
        blocks: list[tuple[str, int, tuple[Any, ...]]] = []
        previous = self._last.get(path)
        chunks = split_after_edit(previous[0], previous[1], text) if previous is not None else split(text)
        self._last[path] = (text, chunks)
        last_line = chunks[-1].line + chunks[-1].text.count("\n") if chunks else 1
        for chunk in chunks:
            result = self._block(chunk, path)
            if result.file is None:
                # A block that fails where the whole text would fail the same way is reported
                # as is; one that ran out of text (an unclosed brace) is the whole file's
                # problem: the parser words it from the whole text.
                end = chunk.line + chunk.text.count("\n")
                errs = result.error
                if errs and errs[0].span is not None and errs[0].span.line < end and end < last_line:
                    raise DiagnosticError(errs)
                return self._whole(text, path)
            items.extend(result.file.items)
            comments.extend(result.file.comments)
            blocks.append((chunk.text, chunk.line, result.file.items))
        self.blocks[path] = blocks
        return ast.File(path, tuple(items), tuple(comments))


def open_blocks(text: str) -> list[str]:
    """The blocks still open at the end of `text`, outermost first, each named by the first
    word of the line its `{` is on (`routine`, `type`, `input`, `output`, `test`, `compare`,
    `expects`, `consumer`, or a field name for an inline object)."""
    stack: list[str] = []
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        if token == "{":
            start = text.rfind("\n", 0, match.start()) + 1
            word = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", text[start:match.start()])
            stack.append(word.group(1) if word else "")
        elif token == "}" and stack:
            stack.pop()
    return stack
