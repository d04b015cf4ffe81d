"""Compiler layer, beside materials: where in a template a Jinja syntax error is.

In: an environment, a template's source and the `TemplateSyntaxError` its parse raised.
Out: the 1-based line, column and width of the token the parser stopped at (Jinja itself
gives only a line). At the end of the template that is the construct left open: the `{{`
without its `}}`, the `{% if %}` without its `{% endif %}`.
"""

from __future__ import annotations

from collections.abc import Iterator

import jinja2
from jinja2.lexer import Token, TokenStream
from jinja2.parser import Parser

from routinec.diagnostics import text_position

__all__ = ["locate"]

# Tags that open a block ended by `{% endNAME %}` (`set` only in its block form, left out).
_BLOCK_TAGS = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "autoescape", "trans"})


def locate(env: jinja2.Environment, source: str, exc: jinja2.TemplateSyntaxError) -> tuple[int, int, int] | None:
    """(line, column, width) of the error, or None when it cannot be placed (then the caller
    keeps Jinja's line)."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    where: dict[int, int] = {}  # id(token) -> offset
    kept: list[tuple[Token, int]] = []  # the tokens, alive so their ids stay theirs
    reached = [0]
    last = [0]

    lexer_failed = [False]
    opened = [False]  # the last raw token opened a comment, tag or raw block

    def raw() -> Iterator[tuple[int, str, str]]:
        try:
            for lineno, kind, value in env.lexer.tokeniter(text, None):
                found = text.find(value, reached[0]) if value else reached[0]
                last[0] = found if found >= 0 else reached[0]
                reached[0] = last[0] + len(value)
                opened[0] = kind.endswith("_begin")
                yield lineno, kind, value
        except jinja2.TemplateSyntaxError:
            lexer_failed[0] = True
            raise

    def tokens() -> Iterator[Token]:
        for token in env.lexer.wrap(raw()):
            where[id(token)] = last[0]
            kept.append((token, last[0]))
            yield token

    parser = Parser(env, "")
    try:
        parser.stream = TokenStream(tokens(), None, None)
        parser.parse()
    except jinja2.TemplateSyntaxError:
        pass
    else:
        return None
    current = parser.stream.current
    if lexer_failed[0]:  # the lexer refused a character: it stopped just past the last token it read
        if opened[0]:  # "Missing end of comment tag": the opening it never found the end of
            return (*text_position(text, last[0]), reached[0] - last[0])
        pos = reached[0]
        while pos < len(text) and text[pos] in " \t\n":
            pos += 1
        return (*text_position(text, pos), 1)
    if current.type != "eof" and id(current) in where:
        pos, width = where[id(current)], max(len(str(current.value)), 1)
    elif current.type == "eof" and kept:
        pos, width = _open_at_end(kept)
    else:
        return None
    if exc.lineno and text_position(text, pos)[0] != exc.lineno and current.type != "eof":
        return None  # not the token Jinja complained about: keep its line, claim no column
    line, column = text_position(text, pos)
    return line, column, width


def _open_at_end(kept: list[tuple[Token, int]]) -> tuple[int, int]:
    """The construct still open when the template ended: the last `{{`/`{%` without its
    closing delimiter, else the innermost block tag without its `end` tag."""
    closers = {"variable_begin": "variable_end", "block_begin": "block_end"}
    for index in range(len(kept) - 1, -1, -1):
        token, pos = kept[index]
        if token.type in closers:
            if not any(t.type == closers[token.type] for t, _ in kept[index + 1 :]):
                return pos, len(str(token.value))
            break
    tags: list[tuple[str, int]] = []
    for index, (token, pos) in enumerate(kept[:-1]):
        if token.type != "block_begin":
            continue
        name = kept[index + 1][0]
        if name.type != "name":
            continue
        if name.value in _BLOCK_TAGS:
            tags.append((name.value, pos))
        elif name.value.startswith("end") and tags and tags[-1][0] == name.value[3:]:
            tags.pop()
    if tags:
        return tags[-1][1], 2
    token, pos = kept[-1]
    return pos + len(str(token.value)), 1
