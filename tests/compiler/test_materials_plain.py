"""A template with no `{` skips Jinja's parser (`materials._plain`): the tree it stands in
for must be the one Jinja makes, node for node, line numbers included."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from routinec.compiler.materials import _ENV, _parse_template, _plain
from routinec.diagnostics import Span

# Jinja's own delimiters (other than `{`), newlines of every kind, and anything else.
_PIECES = st.sampled_from(["}}", "%}", "#}", "}", "%", "#", "\r\n", "\r", "\n", " ", "\t", "-", "+", "##", "{#"])
_TEXT = st.lists(st.one_of(st.text(max_size=8), _PIECES), max_size=30).map("".join).map(lambda t: t.replace("{", ""))


def _shape(node: Any) -> Any:
    """A node with its line numbers, recursively (Node.__eq__ compares fields only)."""
    from jinja2 import nodes

    if isinstance(node, nodes.Node):
        return (type(node).__name__, node.lineno, [(name, _shape(value)) for name, value in node.iter_fields()])
    if isinstance(node, list):
        return [_shape(item) for item in node]
    return node


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_a_text_without_a_brace_is_the_tree_jinja_makes(text: str) -> None:
    assert "{" not in text
    assert _shape(_plain(text)) == _shape(_ENV.parse(text))
    tree, problem = _parse_template(text, Span("t.j2"))
    assert problem is None and tree is not None and _shape(tree) == _shape(_ENV.parse(text))


def test_a_brace_still_goes_to_jinja() -> None:
    tree, problem = _parse_template("Hello {{ name }}", Span("t.j2"))
    assert problem is None and tree is not None
    assert "Name(name='name'" in str(tree)
    _, problem = _parse_template("Hello {{ name", Span("t.j2"))
    assert problem is not None and problem.code == "template-syntax"
