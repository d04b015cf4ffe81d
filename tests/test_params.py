"""The parameter table and the one DSL-number → JSON rule, end to end through the CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from routinec.canonical import integer_literal, json_number, plain_text
from routinec.compiler import fmt
from routinec.compiler.parse import grammar_text
from routinec.params import BY_KEYWORD, PARAMS, SAMPLING_KEYS, request_fields
from routinec.runtime import provider
from tests.helpers import invoke, run_cli, write_project

SPEC = """\
routine r v1 {
  model "claude-haiku-4-5"
  max_tokens 100
  prompt \"\"\"{{ x }}\"\"\"
  input {
    x: FIELD
  }
  output { a: string }
}
"""


def _project(tmp_path: Path, field: str, **files: str) -> Path:
    return write_project(tmp_path / "p", {"specs/r.routine": SPEC.replace("FIELD", field), **files})


def test_number_default_written_as_5_0_locks_as_5(tmp_path: Path) -> None:
    root = _project(tmp_path, "number = 5.0")
    result = invoke("lock", cwd=root)
    assert result.code == 0, result.output
    schema = json.loads((root / "routines.lock").read_text())["routines"]["r"]["input_schema"]
    assert schema["properties"]["x"] == {"default": 5, "type": "number"}
    assert '"default": 5,' in (root / "routines.lock").read_text()


def test_int_default_written_as_2_0_is_an_error_with_a_hint(tmp_path: Path) -> None:
    root = _project(tmp_path, "int = 2.0")
    result = run_cli("check", cwd=root)  # a real subprocess: what a user sees
    assert result.code == 2, result.output
    assert "default of 'x' is 2.0: an int takes a whole number written without a decimal point  [invalid-default]" in result.output
    assert "help: write 2" in result.output
    assert "Decimal(" not in result.output


@pytest.mark.parametrize("field", ["int = 2.5", "list[int] = [1, 2.5]", "int (maximum 2) = 3.5"])
def test_schema_messages_show_numbers_not_python_reprs(field: str, tmp_path: Path) -> None:
    result = invoke("check", cwd=_project(tmp_path, field))
    assert result.code == 2, result.output
    assert "[invalid-default]" in result.output
    assert "2.5" in result.output or "3.5" in result.output
    assert "Decimal(" not in result.output


def test_json_test_input_2_0_is_an_integer_at_check_and_at_run_time(tmp_path: Path) -> None:
    spec = SPEC.replace("FIELD", "int").replace("  output", '  test t { input file "in.json" }\n  output')
    root = write_project(tmp_path / "p", {"specs/r.routine": spec, "in.json": '{"x": 2.0}'})
    result = invoke("lock", cwd=root)
    assert result.code == 0, result.output
    from routinec.runtime import Runtime

    assert Runtime(root, mode="replay").routine("r").case_input("t") == {"x": 2}


def test_bad_lock_input_file_message_has_no_repr(tmp_path: Path) -> None:
    spec = SPEC.replace("FIELD", "int").replace("  output", '  test t { input file "in.json" }\n  output')
    root = write_project(tmp_path / "p", {"specs/r.routine": spec, "in.json": '{"x": 2.5}'})
    result = invoke("check", cwd=root)
    assert result.code == 2, result.output
    assert "2.5 is not of type 'integer'" in result.output
    assert "Decimal(" not in result.output


def test_integer_parameter_written_with_a_point(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/r.routine": SPEC.replace("FIELD", "string").replace("max_tokens 100", "max_tokens 100\n  top_k 40.0")})
    result = invoke("check", cwd=root)
    assert result.code == 2, result.output
    assert "top_k 40.0: a whole number is written without a decimal point  [param-range]" in result.output
    assert "help: write 40" in result.output


def test_the_one_number_rule() -> None:
    assert json_number(Decimal("5.0")) == 5 and type(json_number(Decimal("5.0"))) is int
    assert json_number(Decimal("1e3")) == 1000 and type(json_number(Decimal("1e3"))) is int
    assert json_number(Decimal("0.50")) == Decimal("0.5")
    assert isinstance(json_number(Decimal("0.50")), Decimal)
    assert integer_literal(Decimal("2")) and integer_literal(Decimal("1e3"))
    assert not integer_literal(Decimal("2.0")) and not integer_literal(Decimal("2.5"))
    assert plain_text("Decimal('2.5') is not of type 'integer'") == "2.5 is not of type 'integer'"


# --- everything derives from the table -----------------------------------------------------


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.keyword)
def test_every_parameter_is_wired(param: object) -> None:
    from routinec.params import Param

    assert isinstance(param, Param)
    assert f"{param.keyword}_stmt:" in grammar_text()  # one grammar line per parameter
    assert param.keyword in fmt._ONCE["routine"]
    sample: object = {"number": Decimal("0.5"), "int": 2048, "enum": param.choices[:1] and param.choices[0], "strings": ["x"]}[param.kind]
    body, output_config = request_fields({param.lock_key: sample})
    placed = {**body, **{f"output_config.{k}": v for k, v in output_config.items()}}
    assert len(placed) == 1, placed
    (where,) = placed
    expected = {"body": param.lock_key, "output_config.effort": "output_config.effort", "thinking": "thinking"}
    assert where == expected[param.request]


def test_derived_lists() -> None:
    assert provider._SAMPLING == SAMPLING_KEYS == ("temperature", "top_p", "top_k")
    assert BY_KEYWORD["stop"].lock_key == "stop_sequences"
    assert BY_KEYWORD["thinking"].lock_key == "thinking_budget"
    assert [p.keyword for p in PARAMS if p.required] == ["max_tokens"]
    body, config = request_fields({"max_tokens": 10, "thinking_budget": 2048, "effort": "high", "stop_sequences": []})
    assert body == {"max_tokens": 10, "thinking": {"type": "enabled", "budget_tokens": 2048}}
    assert config == {"effort": "high"}
    body, _ = request_fields({"max_tokens": 10, "temperature": Decimal("0.7")})
    assert body["temperature"] == 0.7 and isinstance(body["temperature"], float)
