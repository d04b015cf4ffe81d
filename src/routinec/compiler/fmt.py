"""Compiler layer, formatting pass: a spec's source text (with its `ast.File`) → canonical text.

Same tokens in a canonical layout, every comment kept; a DiagnosticError rather than drop anything.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from routinec.codes import Code
from routinec.compiler import ast
from routinec.compiler.parse import parse_text
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.params import BY_KEYWORD

__all__ = ["WIDTH", "format_file", "format_text"]

# Why the layout is what it is:
# - Statements keep their source order. The AST keeps settings in source order, so reordering
#   would change parse(fmt(x)); and a formatter that only touches whitespace, quoting, commas
#   and number spelling gives small reviewable diffs and never moves code away from its comments.
# - fmt re-lexes the source: the AST has no place for commas, keyword positions or where a comment
#   sat, and walking tokens lets every comment go back between the same two tokens it sat between.
# - Blank lines inside blocks are kept (at most one); top-level items get exactly one between them.
# - Inline objects, arrays, `stop`/`consumers` lists and `compare` go on one line when they fit in
#   WIDTH columns and hold no comment or multi-line string; otherwise one element per line, each
#   with a trailing comma. Blocks of fields and statements are always one per line.
# - A file with neither tokens nor comments formats to the empty string; CRLF becomes LF except
#   inside """strings""", which stay byte for byte.
# - The result is parsed again and compared (AST and comments) before it is returned, so a fmt bug
#   surfaces as an `internal` diagnostic, never as a rewritten file that means something else.
WIDTH = 100

_TOKEN = re.compile(
    r'(?P<ws>[ \t\f\r\n]+)|(?P<comment>#[^\n]*)|(?P<triple>"""(?s:(?:[^"\\]|\\.|"(?!""))*)""")'
    r'|(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<num>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)'
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[{}\[\]():,|=?<])"
)
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]')
# Statements that may appear once per block (`test` blocks repeat by design).
_ONCE = {
    "routine": frozenset({"description", "model", *BY_KEYWORD, "state", "system", "prompt", "input",
                          "output", "consumers", "max_turns", "max_tool_calls", "parallel_tools",
                          "tool_choice"}),
    "test": frozenset({"input", "compare"}),
    "consumer": frozenset({"description", "expects"}),
}


class _Tok(NamedTuple):
    kind: str
    text: str
    line: int
    col: int
    end_line: int


@dataclass(frozen=True)
class _Text:
    """Tokens lo..hi that always print on one line (which may hold a multi-line \"\"\"string\"\"\")."""

    text: str
    lo: int
    hi: int


@dataclass(frozen=True)
class _Box:
    """`head` then a bracketed run of items; `block` boxes never fold onto one line."""

    head: str
    brackets: str
    items: list[tuple[_Doc, int | None]]  # each item with the index of the comma after it, if any
    lo: int
    open_at: int
    hi: int
    block: bool


_Doc = _Text | _Box
_Step = Callable[[], _Doc]


@dataclass
class _Line:
    depth: int
    text: str
    lo: int
    hi: int
    opens: bool = False
    closes: bool = False
    item_end: bool = False
    trailing: list[str] = field(default_factory=list)
    comment: bool = False


def format_text(text: str, path: str) -> str:
    """Format one spec; raises DiagnosticError when it does not parse or cannot be kept whole."""
    return format_file(parse_text(text, path), text)


def format_file(file: ast.File, source: str) -> str:
    """Canonical text of `source`, whose parse is `file`; checked to parse back to the same AST."""
    # Comments come from fmt's own lexer on both sides: the parser's list is not relied upon.
    tokens, comments = _lex(source, file.path)
    lines = _Reader(tokens, [gap for gap, _ in comments], file.path).file()
    out = _render(lines, tokens, comments)
    try:
        again = parse_text(out, file.path)
    except DiagnosticError:
        raise _internal(file.path, "the formatted text would not parse") from None
    if ast.to_plain(again.items) != ast.to_plain(file.items):
        raise _internal(file.path, "the formatted text would not mean the same")
    if [c.text for _, c in _lex(out, file.path)[1]] != [c.text for _, c in comments]:
        raise _internal(file.path, "a comment would be lost or changed")
    return out


def _internal(path: str, why: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(
        Code.INTERNAL, Severity.ERROR, f"fmt refuses to rewrite this file: {why}", Span(path),
        "this is a bug in routinec; the file was left unchanged",
    )])


def _lex(text: str, path: str) -> tuple[list[_Tok], list[tuple[int, _Tok]]]:
    """Tokens, and comments each with its gap (the index of the token it precedes)."""
    tokens: list[_Tok] = []
    comments: list[tuple[int, _Tok]] = []
    pos, line, line_start = 0, 1, 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            break
        kind, s, pos = m.lastgroup, m.group(), m.end()
        newlines = s.count("\n")
        if kind == "comment":
            comments.append((len(tokens), _Tok(kind, s.rstrip(), line, m.start() - line_start + 1, line)))
        elif kind != "ws":
            tokens.append(_Tok(kind or "", s, line, m.start() - line_start + 1, line + newlines))
        if newlines:
            line, line_start = line + newlines, m.start() + s.rindex("\n") + 1
    if pos != len(text):
        raise _internal(path, f"unexpected character at line {line}")
    return tokens, comments


def _quote(value: str) -> str:
    def escape(m: re.Match[str]) -> str:
        ch = m.group()
        return _ESCAPES.get(ch) or f"\\u{ord(ch):04x}"

    return '"' + _NEEDS_ESCAPE.sub(escape, value) + '"'


def _number(text: str) -> str:
    """Shortest plain spelling of the value; exponent form (`1.5e30`) only far from 1."""
    sign, digits, exp = Decimal(text).as_tuple()
    assert isinstance(exp, int)
    if not any(digits):
        return "0"
    while digits[-1] == 0:
        digits, exp = digits[:-1], exp + 1
    value = Decimal((sign, digits, exp))
    adjusted = value.adjusted()
    if -7 < adjusted < 21:
        return format(value, "f")
    mantissa = "".join(map(str, digits))
    body = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    return f"{'-' if sign else ''}{body}e{adjusted}"


def _canon(tok: _Tok) -> str:
    if tok.kind == "str":
        return _quote(json.loads(tok.text, strict=False))
    if tok.kind == "num":
        return _number(tok.text)
    return tok.text


class _Reader:
    """Walks tokens along the grammar's shapes (the text already parsed) and builds docs."""

    def __init__(self, tokens: list[_Tok], gaps: list[int], path: str) -> None:
        self.tokens, self.gaps, self.path, self.i = tokens, gaps, path, 0

    def peek(self, ahead: int = 0) -> str:
        at = self.i + ahead
        return self.tokens[at].text if at < len(self.tokens) else ""

    def take(self, text: str | None = None) -> _Tok:
        if self.i >= len(self.tokens) or (text is not None and self.tokens[self.i].text != text):
            raise _internal(self.path, f"unexpected token at index {self.i}")
        self.i += 1
        return self.tokens[self.i - 1]

    def words(self, n: int) -> _Text:
        lo = self.i
        return _Text(" ".join(_canon(self.take()) for _ in range(n)), lo, self.i - 1)

    def file(self) -> list[_Line]:
        lines: list[_Line] = []
        while self.i < len(self.tokens):
            kind, lo = self.peek(), self.i
            if kind == "routine":
                self.take()
                name = self.take().text
                head = f"routine {name} v{int(self.take().text[1:])} "
                doc: _Doc = self.block(head, lo, self.routine_stmt, "routine")
            else:
                head = self.words(2).text + " "
                doc = self.block(head, lo, self.field if kind == "type" else self.consumer_stmt, kind)
            self.layout(doc, 0, lines, False)
            lines[-1].item_end = True
        return lines

    def block(self, head: str, lo: int, stmt: _Step, kind: str) -> _Box:
        open_at = self.i
        self.take("{")
        items: list[tuple[_Doc, int | None]] = []
        seen: set[str] = set()
        while self.peek() != "}":
            keyword = self.tokens[self.i]
            if keyword.text in _ONCE.get(kind, ()):
                if keyword.text in seen:
                    raise _duplicate(self.path, keyword)
                seen.add(keyword.text)
            items.append((stmt(), None))
        self.take("}")
        return _Box(head, "{}", items, lo, open_at, self.i - 1, True)

    def routine_stmt(self) -> _Doc:
        keyword, lo = self.peek(), self.i
        if keyword in ("input", "output"):
            return self.block(self.take().text + " ", lo, self.field, "fields")
        if keyword == "test":
            return self.block(self.words(2).text + " ", lo, self.test_stmt, "test")
        if keyword in ("stop", "consumers"):
            return self.value(self.take().text + " ", lo)
        if keyword in ("tool", "server_tool"):
            return self.block(self.words(3).text + " ", lo, self.tool_stmt, "tool")
        if keyword == "on":
            head = self.words(2).text
            if self.peek() == "[":
                return self.value(head + " ", lo)
            if self.i < len(self.tokens) and self.tokens[self.i].kind == "str":
                return _Text(head + " " + _canon(self.take()), lo, self.i - 1)
            return _Text(head, lo, self.i - 1)
        if keyword in ("system", "prompt") and self.peek(1) == "file":
            return self.words(3)
        return self.words(2)

    def tool_stmt(self) -> _Doc:
        lo = self.i
        if self.peek() == "input" and self.peek(1) == "{":
            return self.block(self.take().text + " ", lo, self.field, "fields")
        return self.value(self.take().text + " ", lo)

    def test_stmt(self) -> _Doc:
        lo = self.i
        if self.peek() == "compare":
            self.take()
            return self.sequence("compare ", lo, "{}", self.compare_item)
        if self.peek() == "expect":
            if self.peek(1) == "turns":
                self.i += 4  # expect turns < =
                return _Text(f"expect turns <= {_canon(self.take())}", lo, self.i - 1)
            if self.peek(1) == "tool":
                return self.value(self.words(3).text + " ", lo)
            return self.value(self.words(2).text + " ", lo)
        if self.peek(1) == "file":
            return self.words(3)
        return self.value(self.take().text + " ", lo)

    def consumer_stmt(self) -> _Doc:
        if self.peek() == "expects":
            lo = self.i
            return self.block(self.take().text + " ", lo, self.field, "fields")
        return self.words(2)

    def compare_item(self) -> _Doc:
        lo = self.i
        text = f"{self.take().text}{self.take(':').text} {self.take().text}"
        if self.peek() == "(":
            self.take()
            text += f"({self.take().text} {_canon(self.take())})"
            self.take(")")
        return _Text(text, lo, self.i - 1)

    def field(self) -> _Doc:
        lo = self.i
        text = self.take().text
        if self.peek() == "?":
            text += self.take().text
        self.take(":")
        text += ": " + self.type_expr()
        if self.peek() == "(":
            self.take()
            parts: list[str] = []
            while self.peek() != ")":
                parts.append(f"{self.take().text} {_canon(self.take())}")
                self.i += self.peek() == ","
            self.take(")")
            text += " (" + ", ".join(parts) + ")"
        if self.peek() == "=":
            self.take()
            return self.value(text + " = ", lo)
        return _Text(text, lo, self.i - 1)

    def type_expr(self) -> str:
        tok = self.take()
        if tok.kind == "word" and tok.text == "list" and self.peek() == "[":
            self.take()
            inner = self.type_expr()
            self.take("]")
            return f"list[{inner}]"
        text = _canon(tok)
        while tok.kind == "str" and self.peek() == "|":
            self.take()
            text += " | " + _canon(self.take())
        return text

    def value(self, head: str, lo: int) -> _Doc:
        if self.peek() == "{":
            return self.sequence(head, lo, "{}", self.pair)
        if self.peek() == "[":
            return self.sequence(head, lo, "[]", lambda: self.value("", self.i))
        return _Text(head + _canon(self.take()), lo, self.i - 1)

    def pair(self) -> _Doc:
        lo = self.i
        key = _canon(self.take())
        self.take(":")
        return self.value(key + ": ", lo)

    def sequence(self, head: str, lo: int, brackets: str, item: _Step) -> _Box:
        open_at = self.i
        self.take(brackets[0])
        items: list[tuple[_Doc, int | None]] = []
        while self.peek() != brackets[1]:
            doc = item()
            comma = self.i if self.peek() == "," else None
            self.i += comma is not None
            items.append((doc, comma))
        self.take(brackets[1])
        return _Box(head, brackets, items, lo, open_at, self.i - 1, False)

    def has_comment(self, lo: int, hi: int) -> bool:
        """Whether a comment sits between tokens lo and hi."""
        at = bisect_right(self.gaps, lo)
        return at < len(self.gaps) and self.gaps[at] <= hi

    def flat(self, doc: _Doc) -> str | None:
        if isinstance(doc, _Text):
            text: str | None = doc.text
        elif self.has_comment(doc.open_at, doc.hi) or (doc.block and doc.items):
            return None
        else:
            parts = [self.flat(item) for item, _ in doc.items]
            if any(p is None for p in parts):
                return None
            inner = ", ".join(p for p in parts if p is not None)
            if inner and doc.brackets == "{}":
                inner = f" {inner} "
            text = doc.head + doc.brackets[0] + inner + doc.brackets[1]
        return None if text is None or "\n" in text else text

    def layout(self, doc: _Doc, depth: int, out: list[_Line], comma: bool) -> None:
        flat = self.flat(doc)
        if isinstance(doc, _Text) or (flat is not None and 2 * depth + len(flat) + comma <= WIDTH):
            out.append(_Line(depth, doc.text if isinstance(doc, _Text) else str(flat), doc.lo, doc.hi))
            return
        out.append(_Line(depth, doc.head + doc.brackets[0], doc.lo, doc.open_at, opens=True))
        for item, comma_at in doc.items:
            self.layout(item, depth + 1, out, not doc.block)
            if not doc.block:
                out[-1].text += ","
                out[-1].hi = comma_at if comma_at is not None else out[-1].hi
        out.append(_Line(depth, doc.brackets[1], doc.hi, doc.hi, closes=True))


def _duplicate(path: str, tok: _Tok) -> DiagnosticError:
    span = Span(path, tok.line, tok.col, tok.line, tok.col + len(tok.text))
    return DiagnosticError([Diagnostic(
        Code.DUPLICATE_STATEMENT, Severity.ERROR,
        f"`{tok.text}` is given twice in this block; fmt will not merge or drop either",
        span, f"keep one `{tok.text}` statement, then run fmt again",
    )])


def _render(lines: list[_Line], tokens: list[_Tok], comments: list[tuple[int, _Tok]]) -> str:
    """Put each comment back between the tokens it sat between, then decide blank lines."""
    entries: list[_Line] = []
    last: _Line | None = None
    at = 0
    for line in [*lines, None]:
        while at < len(comments) and (line is None or comments[at][0] <= line.hi):
            gap, tok = comments[at]
            at += 1
            if last is not None and gap == last.hi + 1 and tok.line == tokens[last.hi].end_line:
                last.trailing.append(tok.text)
                continue
            # Comment lines carry source line numbers in lo/hi. Before a closing bracket they
            # sit with the block's items; a comment from inside a line goes just above it.
            depth = 0 if line is None else line.depth + line.closes
            entries.append(_Line(depth, tok.text, tok.line, tok.line, comment=True))
        if line is not None:
            entries.append(line)
            last = line
    out: list[str] = []
    prev_end, prev = 0, _Line(0, "", 0, 0, opens=True)
    for entry in entries:
        start, end = entry.lo, entry.hi
        if not entry.comment:
            start, end = tokens[entry.lo].line, tokens[entry.hi].end_line
        if out and not entry.closes and not prev.opens and (prev.item_end or start - prev_end > 1):
            out.append("")
        out.append("  " * entry.depth + entry.text + "".join("  " + t for t in entry.trailing))
        prev, prev_end = entry, end
    return "\n".join(out) + "\n" if out else ""
