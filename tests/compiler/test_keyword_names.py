"""Keywords stay usable as field names, also right after a string value (LALR lookahead)."""

from __future__ import annotations

from routinec.compiler.fmt import format_text
from routinec.compiler.parse import parse_text

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
