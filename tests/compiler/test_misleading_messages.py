"""Messages that used to send people the wrong way, beyond the golden cases in
tests/data/check/ (those pin the exact text): the misspelt key of a golden output under
`routinec test`, and the limits of the missing-`}` and `List[T]` guesses."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli, write_project

ROUTINE = """\
routine triage v1 {{
  model "claude-haiku-4-5"
  max_tokens 200
  prompt \"\"\"{{{{ title }}}}\"\"\"
  input {{
{input}
  }}
  output {{ summary: string }}
}}
"""


def test_golden_output_with_a_misspelt_key_names_the_key(tmp_path: Path) -> None:
    root = tmp_path / "p"
    made = run_cli("init", str(root), cwd=tmp_path)
    assert made.code == 0, made.output
    golden = root / "golden" / "classify_ticket" / "crash_report.output.json"
    data = json.loads(golden.read_text("utf-8"))
    data["categroy"] = data.pop("category")
    golden.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    result = run_cli("test", cwd=root)
    assert result.code == 1, result.output
    assert "key 'categroy' is not in the schema; did you mean 'category'?" in result.output
    assert "'category' is a required property" not in result.output


def test_balanced_braces_are_not_blamed_for_another_error(tmp_path: Path) -> None:
    # The input block's '}' is there (under-indented): the error is the missing colon.
    spec = ROUTINE.format(input="    title string\n").replace("\n  }\n  output", "\n}\n  output")
    root = write_project(tmp_path / "p", {"specs/t.routine": spec})
    result = run_cli("check", cwd=root)
    assert result.code == 2, result.output
    assert "is not closed" not in result.output
    assert "specs/t.routine:6:11: error: unexpected 'string'" in result.stdout


def test_a_missing_brace_in_an_unindented_file_is_still_reported(tmp_path: Path) -> None:
    # No indentation to go by: the innermost block still open at the end of the file.
    spec = 'routine triage v1 {\nmodel "claude-haiku-4-5"\nmax_tokens 200\noutput {\nsummary: string\n'
    root = write_project(tmp_path / "p", {"specs/t.routine": spec})
    result = run_cli("check", cwd=root)
    assert result.code == 2, result.output
    assert "specs/t.routine:4:1: error: the `output {` block is not closed: its '}' is missing  [syntax]" in result.stdout


def test_only_list_like_words_get_the_list_hint(tmp_path: Path) -> None:
    for word, hinted in (("Array", True), ("Sequence", True), ("Dict", False)):
        spec = ROUTINE.format(input=f"    title: {word}[string]")
        root = write_project(tmp_path / word, {"specs/t.routine": spec})
        result = run_cli("check", cwd=root)
        assert result.code == 2, result.output
        assert ("types are written `list[T]`" in result.stdout) is hinted, result.stdout
        if hinted:
            assert "help: write `list[string]`" in result.stdout
