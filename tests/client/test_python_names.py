"""`check` refuses names the typed client could not use: Python keywords, fields pydantic or
the generated functions own, and generated names that collide (through the CLI, in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import invoke, write_project

HEAD = 'model "claude-haiku-4-5"\n  max_tokens 10\n'


def _routine(name: str, inputs: str = "", outputs: str = "ok: bool", prompt: str = "hi") -> str:
    return f'routine {name} v1 {{\n  {HEAD}  prompt "{prompt}"\n  input {{\n    {inputs}\n  }}\n  output {{\n    {outputs}\n  }}\n}}\n'


@pytest.mark.parametrize(
    ("spec", "code", "message"),
    [
        (_routine("r", "from: string", prompt="{{ from }}"), "python-keyword", "field 'from' is a Python keyword"),
        (_routine("r", outputs="class: string"), "python-keyword", "field 'class' is a Python keyword"),
        (_routine("lambda"), "python-keyword", "routine name 'lambda' is a Python keyword"),
        (_routine("r", "runtime: string", prompt="{{ runtime }}"), "python-name-clash", "field 'runtime' is the generated function's own 'runtime' parameter"),
        (_routine("r", outputs="json: string"), "python-name-clash", "field 'json' shadows pydantic's BaseModel.json"),
        (_routine("r", outputs="model_name: string"), "python-name-clash", "field 'model_name' starts with 'model_'"),
        (_routine("r", outputs="_x: string"), "python-name-clash", "field '_x' starts with '_'"),
        (_routine("r", outputs="str: string"), "python-name-clash", "field 'str' shadows the builtin 'str'"),
        (_routine("result_of"), "python-name-clash", "routine 'result_of' becomes the Python name 'result_of'"),
        (_routine("go") + _routine("go_async"), "python-name-clash",
         "routine 'go_async' becomes the Python name 'go_async', which routine 'go' already has"),
        (_routine("a_b") + _routine("aB"), "python-name-clash", "becomes the Python name 'ABInput'"),
        ("type GoOutput {\n  x: int\n}\n" + _routine("go", outputs="o: GoOutput"), "python-name-clash",
         "routine 'go' becomes the Python name 'GoOutput', which type 'GoOutput' already has"),
        ("type T {\n  def: int\n}\n" + _routine("go", outputs="t: T"), "python-keyword", "field 'def' is a Python keyword"),
    ],
)
def test_check_refuses_with_a_hint(tmp_path: Path, spec: str, code: str, message: str) -> None:
    root = write_project(tmp_path, {"specs/x.routine": spec})
    done = invoke("check", cwd=root)
    assert done.code == 2, done.output
    assert f"[{code}]" in (done.stdout + done.stderr)
    assert message in (done.stdout + done.stderr)
    assert "help: rename it: the typed client (`routinec gen python`) makes it a Python name" in (done.stdout + done.stderr)


def test_fine_names_pass_and_consumer_only_types_are_not_judged(tmp_path: Path) -> None:
    spec = (
        "type Only {\n  class: string\n}\n"  # used by a consumer only: no Python class is generated for it
        "consumer c {\n  expects {\n    o: Only\n  }\n}\n"
        + _routine("go", "match: string\n    type: int\n    model: string", outputs="case: bool", prompt="{{ match }}{{ type }}{{ model }}")
    )
    root = write_project(tmp_path, {"specs/x.routine": spec})
    done = invoke("check", cwd=root)
    assert done.code == 0, done.output
