"""Parser: comments are collected on every parse, not only the first in a process."""

from __future__ import annotations

from routinec.compiler.parse import parse_text


def test_comments_are_kept_on_every_parse() -> None:
    texts = ["# a\ntype X {} # b\n", "type Y { n: int }  # only\n", "# one\n# two\n"]
    for _ in range(2):
        counts = [len(parse_text(text, "x.routine").comments) for text in texts]
        assert counts == [2, 1, 2]


def test_comment_positions_and_trailing_flag() -> None:
    comments = parse_text("# head\ntype X {\n  a: string  # tail\n}\n", "x.routine").comments
    assert [(c.text, c.line, c.column, c.trailing) for c in comments] == [
        ("# head", 1, 1, False),
        ("# tail", 3, 14, True),
    ]
