"""Keywords stay usable as field names, also right after a string value (LALR lookahead)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from routinec.compiler.fmt import format_text
from routinec.compiler.parse import parse_text
from tests.compiler.test_parse_tables import _same

SPEC = """type T {
  a: string = "d"
  model: string
  state: int = 1
  test: "x" | "y"
  input: bool
  description: string = \"\"\"long\"\"\"
  prompt: string
}

routine r v1 {
  model "claude-haiku-4-5"
  max_tokens 10
  prompt "{{ t }}"
  input { t: T }
  output { model: string }
  test c {
    input { t: { a: "x"
      model: "y"
      state: 2 } }
  }
}
"""


def test_keywords_after_string_values_are_names() -> None:
    file = parse_text(SPEC, "k.routine")
    typedef = file.items[0]
    assert [f.name for f in typedef.fields] == [
        "a", "model", "state", "test", "input", "description", "prompt",
    ]
    routine = file.items[1]
    assert routine.tests[0].input_value == {"t": {"a": "x", "model": "y", "state": 2}}


def test_fmt_round_trips_keyword_names() -> None:
    once = format_text(SPEC, "k.routine")
    assert format_text(once, "k.routine") == once
    assert "  model: string\n" in once


# Every keyword of the grammar, as a field name right after every kind of default value, and
# as a key after a test's inline input: LALR merges the reduce states of rules shared between
# statements and values, so a rule reused by a new statement (a tool's options, a test's
# `expect tool`) can turn such a name into its keyword. Checked on both parser routes.
_GRAMMAR = (Path(__file__).resolve().parents[2] / "src/routinec/compiler/grammar/routine.lark").read_text("utf-8")
KEYWORDS = sorted(set(re.findall(r'"([a-z_]+)"', _GRAMMAR)))
DEFAULTS = ['"d"', '"""d"""', "1", "true", "false", "null", "[1]", '{a: "x"}']


def test_the_keyword_list_is_the_grammars() -> None:
    assert {"input", "output", "tool", "expect", "compare", "model", "on"} <= set(KEYWORDS)


@pytest.mark.parametrize("default", DEFAULTS)
def test_every_keyword_is_a_field_name_right_after_every_default(default: str) -> None:
    for kw in KEYWORDS:  # each keyword the very next token after the value
        for block in (
            "type T {{\n  a: string = {d}\n  {k}: string\n}}\n",
            "routine r v1 {{\n  output {{\n    a: string = {d}\n    {k}: string\n  }}\n}}\n",
            "routine r v1 {{\n  input {{\n    a: string = {d}\n    {k}: string\n  }}\n}}\n",
        ):
            text = block.format(d=default, k=kw)
            node = parse_text(text, "k.routine").items[0]
            fields = node.fields if hasattr(node, "fields") else (node.outputs or node.inputs)
            assert [f.name for f in fields] == ["a", kw], text
            _same(text)


def test_keywords_after_a_tool_option_and_an_inline_input() -> None:
    text = (
        'routine r v1 {\n  tool t "m:f" { effect read  max 2 }\n  input { x: string = "d"\n  tool: string }\n'
        '  test c {\n    input { a: "x" }\n    expect tool t { q: 1 }\n    compare { x: exact }\n  }\n}\n'
    )
    routine = parse_text(text, "k.routine").items[0]
    assert [f.name for f in routine.inputs] == ["x", "tool"]
    assert routine.tests[0].input_value == {"a": "x"}
    _same(text)
