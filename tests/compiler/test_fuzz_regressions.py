"""Specs the fuzzer (`nox -s fuzz`) once turned into internal errors, through the real CLI:
each is now a located diagnostic or a clean lock, never "internal error … bug in routinec"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, write_project

ZEROS = "1" + "0" * 100

ROUTINE = """\
{types}
routine r v1 {{
  model "claude-haiku-4-5"
  max_tokens 1024
  prompt \"\"\"{{{{ x }}}}\"\"\"
  input {{ x: string }}
  output {{
    {output}
  }}
}}
"""

# (types, output field, check's exit, expected text or None)
CASES = {
    "minimum-1e100-int": ("", f"y: int (minimum {ZEROS})", 0, None),
    "minimum-1e100-int-default": ("", f"y: int (minimum {ZEROS}) = 5", 2, "[invalid-default]"),
    "minimum-1e100-named-type": (f"type T {{\n  n: int (minimum {ZEROS}, maximum {ZEROS})\n}}\n", "t: T", 0, None),
    "max-length-2-64-plus-1": ("", "y: string (max_length 18446744073709551617)", 0, None),
    "max-items-2-64-plus-1": ("", "y: list[string] (min_items 18446744073709551617, max_items 18446744073709551617)", 0, None),
    "exclusive-minimum-on-named-type-field": (
        "type T {\n  b: bool (exclusive_minimum 1.5)\n}\n", "t: T", 2, "unknown constraint 'exclusive_minimum'"),
    "exclusive-minimum-named-type-with-default": (
        "type T {\n  b: bool (exclusive_minimum 1.5)\n}\n", "t: T = { b: true }", 2, "unknown constraint 'exclusive_minimum'"),
    "multiple-of-named-type-with-default": (
        "type T {\n  a: int (multiple_of 3)\n}\n", "t: T = { a: 1 }", 2, "unknown constraint 'multiple_of'"),
    "pattern-number-with-default": ("", 'model12: string (min_length 271, pattern 1023) = "low"', 2, "pattern takes a string"),
    "pattern-number-in-named-type-default": (
        "type T {\n  s: string (pattern 1023)\n}\n", 't: T = { s: "low" }', 2, "pattern takes a string"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fuzz_finding_is_a_diagnostic(tmp_path: Path, name: str) -> None:
    types, output, check_exit, expected = CASES[name]
    root = write_project(tmp_path / "p", {"specs/r.routine": ROUTINE.format(types=types, output=output)})
    for command in ("check", "lock"):
        result = run_cli(command, cwd=root)
        assert "internal error" not in result.output and "Traceback" not in result.output, result.output
        assert result.code == check_exit, (command, result.output)
        if expected:
            assert expected in result.output, result.output


@pytest.mark.parametrize("name", ["minimum-1e100-int", "minimum-1e100-named-type", "max-length-2-64-plus-1"])
def test_fuzz_finding_against_a_previous_lock(tmp_path: Path, name: str) -> None:
    # The same huge numbers meeting the compat gates: lock a plain version, then the huge one.
    types, output, _, _ = CASES[name]
    plain = ROUTINE.format(types=types.replace(ZEROS, "1").replace("18446744073709551617", "5"),
                           output=output.replace(ZEROS, "1").replace("18446744073709551617", "5"))
    root = write_project(tmp_path / "p", {"specs/r.routine": plain})
    assert run_cli("lock", cwd=root).code == 0
    (root / "specs/r.routine").write_text(ROUTINE.format(types=types, output=output), "utf-8")
    for command in ("lock", "verify"):
        result = run_cli(command, cwd=root)
        assert "internal error" not in result.output and "Traceback" not in result.output, result.output
        assert result.code in (0, 1), result.output


@pytest.mark.parametrize("command", ["check", "fmt"])
def test_a_keyword_run_into_a_name_is_a_syntax_error(tmp_path: Path, command: str) -> None:
    # Lark's lexer read `routiner0` as `routine r0`, and fmt then refused with [internal].
    root = write_project(tmp_path / "p", {"specs/r.routine": 'routiner0 v1 {\n  model "claude-haiku-4-5"\n}\n'})
    result = run_cli(command, cwd=root)
    assert result.code == 2, result.output
    assert "specs/r.routine:1:1: error: unexpected name 'routiner0'  [syntax]" in result.output
    assert "help: did you mean `routine r0`? put a space after the keyword" in result.output
    assert "internal" not in result.output
