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
    """A token as `lark.Token` has it: the text, plus its type and where it is (the same
    attribute names). Its positions are kept as the one tuple the parser stacks (`pos`:
    line, column, start_pos, end_line, end_column, end_pos, True), so making a token sets
    two slots instead of eight."""

    __slots__ = ("pos", "type")
    type: str
    pos: tuple[int, int, int, int, int, int, bool]

    def __new__(
        cls, type: str, value: str, start_pos: int, line: int, column: int,
        end_line: int, end_column: int, end_pos: int,
    ) -> Token:
        tok = str.__new__(cls, value)
        tok.type = type
        tok.pos = (line, column, start_pos, end_line, end_column, end_pos, True)
        return tok

    @property
    def value(self) -> str:
        return str.__str__(self)

    @property
    def line(self) -> int:
        return self.pos[0]

    @property
    def column(self) -> int:
        return self.pos[1]

    @property
    def start_pos(self) -> int:
        return self.pos[2]

    @property
    def end_line(self) -> int:
        return self.pos[3]

    @property
    def end_column(self) -> int:
        return self.pos[4]

    @property
    def end_pos(self) -> int:
        return self.pos[5]

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
# the shorter, numbers before words (a word cannot start with a digit or '-'). Whitespace is
# split in two: spaces and tabs before a token are matched with it (possessively), a run with
# a newline is a match of its own (NL, for the line count); OTHER is anything Lark's lexer
# would stop at (a lone '"' or '-', a vertical tab), so every character is some alternative's,
# and END is the spaces after the last token. Strings take runs of plain characters at a time,
# possessively (the language Lark's patterns in EXPECTED_PATTERNS match, with no backtracking):
# one character per loop step took 1.4 s to read a 10 MB prompt.
_TOKEN = re.compile(
    r'[ \t\f\r]*+(?:'
    r'(?P<NL>\n[ \t\f\r\n]*)'
    r'|(?P<COMMENT>#[^\n]*)'
    r'|(?P<TRIPLE_STRING>"""(?s:(?:[^"\\]++|\\.|"(?!""))*+)""")'
    r'|(?P<STRING>"(?:[^"\\\n]++|\\.)*+")'
    r'|(?P<NUMBER>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)'
    r'|(?P<WORD>[A-Za-z_][A-Za-z0-9_]*)'
    r'|(?P<PUNCT>[^\sA-Za-z0-9_"#-])'
    r'|(?P<OTHER>[\s\S])'
    r'|(?P<END>\Z))'
)
_VERSION = re.compile(r"v[0-9]+")
_OPEN = frozenset({"LBRACE", "LSQB", "LPAR"})
_CLOSE = frozenset({"RBRACE", "RSQB", "RPAR"})


class _Unmatched(Exception):
    """Text this tokenizer does not read (or nesting deeper than allowed); the caller falls
    back to Lark's lexer, which says why."""


class FastLexer:
    """Tokenizes with one compiled regex; built once from the parser's terminal set."""

    def __init__(self, keywords: dict[str, str], punct: dict[str, str]) -> None:
        self.keywords = keywords
        self.punct = punct
        # a punctuation character's terminal and what it does to the nesting depth
        self._punct = {
            char: (kind, 1 if kind in _OPEN else -1 if kind in _CLOSE else 0) for char, kind in punct.items()
        }

    def tokens(
        self, text: str, accepts: Callable[[], Any], comments: list[Token], max_depth: int
    ) -> Iterator[Token]:
        """Yield the tokens of `text`; `accepts()` is the parser's current action table row.
        Comments go to `comments`; brackets nested deeper than `max_depth` stop the tokenizer."""
        keywords, punct = self.keywords, self._punct
        version = _VERSION.fullmatch
        line, line_start, depth = 1, 0, 0
        str_new = str.__new__
        for m in _TOKEN.finditer(text):
            kind: str = m.lastgroup  # type: ignore[assignment]  # every alternative is a named group
            if kind == "NL":
                stop = m.end()
                line += text.count("\n", m.start(), stop)
                line_start = text.rindex("\n", 0, stop) + 1
                continue
            value = m.group(kind)
            pos, stop = m.span(kind)
            col = pos - line_start + 1
            if kind == "WORD":
                keyword = keywords.get(value)
                if keyword is not None and keyword in accepts():
                    kind = keyword
                elif value[0] == "v" and version(value) and "VERSION" in accepts():
                    kind = "VERSION"
                else:
                    kind = "NAME"
            elif kind == "PUNCT":
                found = punct.get(value)
                if found is None:
                    raise _Unmatched(pos)
                kind, nesting = found
                if nesting:
                    depth += nesting
                    if depth > max_depth:
                        raise _Unmatched(pos)
            elif kind == "COMMENT":
                comments.append(Token(kind, value, pos, line, col, line, stop - line_start + 1, stop))
                continue
            elif kind == "TRIPLE_STRING":
                newlines = value.count("\n")
                if newlines:
                    first_line = line
                    line += newlines
                    line_start = pos + value.rindex("\n") + 1
                    yield Token(kind, value, pos, first_line, col, line, stop - line_start + 1, stop)
                    continue
            elif kind == "OTHER":
                raise _Unmatched(pos)
            elif kind == "END":
                break
            # Token(kind, value, pos, line, col, line, end, stop), without a call
            tok = str_new(Token, value)
            tok.type = kind
            tok.pos = (line, col, pos, line, stop - line_start + 1, stop, True)
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
