"""Compiler layer, parser machinery: one-regex tokenizer for Lark's LALR parser (lexer half of parse).

In: spec text and the LALR parser state as tokens are pulled. Out: `Token`s with the same
types, values and positions (and the same attribute names) as the `lark.Token`s Lark's
contextual lexer gives for any text both accept; Lark itself is not imported.
Words become keywords only where the parser state accepts the keyword, as Lark's
contextual lexer does. Anything unusual (an error, a grammar this tokenizer was not written
for) makes `compiler.parse` run Lark's own lexer instead, so errors read the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["FastLexer", "Token", "fast_lexer_for"]


class Token(str):
    """A token as `lark.Token` has it: the text, plus its type and where it is."""

    __slots__ = ("column", "end_column", "end_line", "end_pos", "line", "start_pos", "type", "value")
    type: str
    value: str
    start_pos: int
    line: int
    column: int
    end_line: int
    end_column: int
    end_pos: int

    def __new__(
        cls, type: str, value: str, start_pos: int, line: int, column: int,
        end_line: int, end_column: int, end_pos: int,
    ) -> Token:
        tok = str.__new__(cls, value)
        tok.type, tok.value, tok.start_pos, tok.line, tok.column = type, value, start_pos, line, column
        tok.end_line, tok.end_column, tok.end_pos = end_line, end_column, end_pos
        return tok

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"

# The regex terminals of grammar/routine.lark, exactly; a different set disables FastLexer.
EXPECTED_PATTERNS = {
    "VERSION": "v[0-9]+",
    "NAME": "[A-Za-z_][A-Za-z0-9_]*",
    "NUMBER": "-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?",
    "TRIPLE_STRING": '"""(?:[^"\\\\]|\\\\.|"(?!""))*"""',
    "STRING": '"(?:[^"\\\\\n]|\\\\.)*"',
    "COMMENT": "#[^\n]*",
    "WS": "(?:[ \t\x0c\r\n])+",
}

# Alternatives in Lark's order for this grammar: ignored first, the longer string form before
# the shorter, numbers before words (a word cannot start with a digit or '-').
_TOKEN = re.compile(
    r'(?P<WS>[ \t\f\r\n]+)'
    r'|(?P<COMMENT>#[^\n]*)'
    r'|(?P<TRIPLE_STRING>"""(?s:(?:[^"\\]|\\.|"(?!""))*)""")'
    r'|(?P<STRING>"(?:[^"\\\n]|\\.)*")'
    r'|(?P<NUMBER>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)'
    r'|(?P<WORD>[A-Za-z_][A-Za-z0-9_]*)'
    r'|(?P<PUNCT>[^\sA-Za-z0-9_"#-])'
)
_VERSION = re.compile(r"v[0-9]+")


class _Unmatched(Exception):
    """Text this tokenizer does not read; the caller falls back to Lark's lexer."""


class FastLexer:
    """Tokenizes with one compiled regex; built once from the parser's terminal set."""

    def __init__(self, keywords: dict[str, str], punct: dict[str, str]) -> None:
        self.keywords = keywords
        self.punct = punct

    def tokens(
        self,
        text: str,
        accepts: Callable[[], Any],
        on_open: Callable[[Token], Token],
        on_close: Callable[[Token], Token],
        comments: list[Token],
    ) -> Iterator[Token]:
        """Yield the tokens of `text`; `accepts()` is the parser's current action table row."""
        match = _TOKEN.match
        keywords, punct = self.keywords, self.punct
        pos, end = 0, len(text)
        line, line_start = 1, 0
        new = Token
        str_new = str.__new__
        while pos < end:
            m = match(text, pos)
            if m is None:
                raise _Unmatched(pos)
            kind = m.lastgroup or ""
            value = m.group()
            stop = m.end()
            col = pos - line_start + 1
            if kind == "WS" or kind == "TRIPLE_STRING":
                newlines = value.count("\n")
                if kind == "WS":
                    if newlines:
                        line += newlines
                        line_start = pos + value.rindex("\n") + 1
                    pos = stop
                    continue
                if newlines:
                    first_line = line
                    line += newlines
                    line_start = pos + value.rindex("\n") + 1
                    tok = new(kind, value, pos, first_line, col, line, stop - line_start + 1, stop)
                    pos = stop
                    yield tok
                    continue
            elif kind == "COMMENT":
                comments.append(new(kind, value, pos, line, col, line, stop - line_start + 1, stop))
                pos = stop
                continue
            elif kind == "WORD":
                row = accepts()
                keyword = keywords.get(value)
                if keyword is not None and keyword in row:
                    kind = keyword
                elif "VERSION" in row and _VERSION.fullmatch(value):
                    kind = "VERSION"
                else:
                    kind = "NAME"
            elif kind == "PUNCT":
                kind = punct.get(value, "")
                if not kind:
                    raise _Unmatched(pos)
            # Token(kind, value, pos, line, col, line, end, stop), without a call
            tok = str_new(new, value)
            tok.type, tok.value, tok.start_pos, tok.line, tok.column = kind, value, pos, line, col
            tok.end_line, tok.end_column, tok.end_pos = line, stop - line_start + 1, stop
            pos = stop
            if kind in ("LBRACE", "LSQB", "LPAR"):
                tok = on_open(tok)
            elif kind in ("RBRACE", "RSQB", "RPAR"):
                tok = on_close(tok)
            yield tok


def fast_lexer_for(terminals: list[Any]) -> FastLexer | None:
    """A FastLexer for these Lark terminals, or None when they are not the ones it was written for."""
    keywords: dict[str, str] = {}
    punct: dict[str, str] = {}
    patterns: dict[str, str] = {}
    word = re.compile(EXPECTED_PATTERNS["NAME"])
    for term in terminals:
        pattern = term.pattern
        if pattern.type == "str":
            value = pattern.value
            if word.fullmatch(value):
                keywords[value] = term.name
            elif len(value) == 1 and _TOKEN.fullmatch(value) and _TOKEN.fullmatch(value).lastgroup == "PUNCT":  # type: ignore[union-attr]
                punct[value] = term.name
            else:
                return None
        else:
            patterns[term.name] = pattern.value
    if patterns != EXPECTED_PATTERNS or term_flags(terminals):
        return None
    return FastLexer(keywords, punct)


def term_flags(terminals: list[Any]) -> bool:
    """True when a regex terminal carries flags this tokenizer does not reproduce."""
    for term in terminals:
        flags = set(getattr(term.pattern, "flags", ()) or ())
        if term.pattern.type == "re" and flags - ({"s"} if term.name == "TRIPLE_STRING" else set()):
            return True
    return False
