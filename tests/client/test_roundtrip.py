"""Round trip: each generated model's JSON Schema is FULL-compatible (both directions) with the
lock's schema under routinec's own compat engine, for every shipped routine and for specs
hypothesis writes. Compiled with the real compiler, modules imported for real."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routinec import pynames
from routinec.client import generate_python
from routinec.compat import Compatibility, compare
from routinec.compiler.build import build
from routinec.config import load_config
from routinec.diagnostics import Severity
from routinec.lockfile import Lock, read_lock
from tests.helpers import write_project

REPO = Path(__file__).resolve().parents[2]
SHIPPED = [REPO / "routines.lock", REPO / "examples" / "app" / "routines.lock"]
_counter = itertools.count()


def load_module(text: str, where: Path) -> ModuleType:
    name = f"routinec_client_rt_{next(_counter)}"
    path = where / f"{name}.py"
    path.write_text(text, "utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def assert_round_trip(lock: Lock, module: ModuleType) -> int:
    checked = 0
    for name, entry in lock.routines.items():
        for cls_name, schema in ((pynames.input_class(name), entry.input_schema), (pynames.output_class(name), entry.output_schema)):
            generated = getattr(module, cls_name).model_json_schema()
            for direction in ("out", "in"):
                report = compare(schema, generated, direction=direction)
                assert report.compatibility is Compatibility.FULL, (
                    f"{cls_name} ({direction}): {report.compatibility}: {[str(f) for f in report.findings]}\n"
                    f"lock: {json.dumps(schema, sort_keys=True, default=str)}\n"
                    f"model: {json.dumps(generated, sort_keys=True)}"
                )
                # Not even a note: the schemas say the same thing. One exception, upstream:
                # typing caches `Literal[...] | None` by the Literal's *set* of values, so in a
                # process that built `Literal["low", "high"] | None` earlier, the same values in
                # another order come back in the first order (pydantic then lists them so).
                # The values, and so what validates, are the same: only that note is allowed.
                notes = [f for f in report.findings if f.rule_id != "enum-reordered"]
                assert notes == [], [str(f) for f in report.findings]
                assert all(f.old_in_new and f.new_in_old for f in report.findings), [str(f) for f in report.findings]
            checked += 1
    return checked


@pytest.mark.parametrize("lockfile", SHIPPED, ids=lambda p: p.parent.name or "root")
def test_every_shipped_routine_round_trips(lockfile: Path, tmp_path: Path) -> None:
    lock = read_lock(lockfile)
    module = load_module(generate_python(lock, "client.py").text, tmp_path)
    assert assert_round_trip(lock, module) == 2 * len(lock.routines) > 0


def test_generation_is_deterministic() -> None:
    lock = read_lock(SHIPPED[0])
    first = generate_python(lock, "a/b/client.py")
    again = generate_python(read_lock(SHIPPED[0]), "a/b/client.py")
    assert first == again
    assert "parents[2]" in first.text  # the project root, from where the module sits


# -- specs hypothesis writes ------------------------------------------------------------------

_FIELD_NAMES = [f"f{i}" for i in range(6)] + ["title", "input", "model", "state", "test", "type"]
_SCALARS = ("string", "int", "number", "bool")


@st.composite
def field_type(draw: st.DrawFn, types: list[str], depth: int = 0) -> str:
    choices = ["scalar", "literal"] + (["list"] if depth < 2 else []) + (["named"] if types else [])
    kind = draw(st.sampled_from(choices))
    if kind == "scalar":
        return draw(st.sampled_from(_SCALARS))
    if kind == "literal":
        values = draw(st.lists(st.sampled_from(["a", "b c", "low", "high", "x-y", "É"]), min_size=1, max_size=4, unique=True))
        return " | ".join(json.dumps(v) for v in values)
    if kind == "list":
        return f"list[{draw(field_type(types, depth + 1))}]"
    return draw(st.sampled_from(types))


_DEFAULTS = {"string": '"d"', "int": "3", "number": "1.5", "bool": "true"}


@st.composite
def field_line(draw: st.DrawFn, name: str, types: list[str]) -> str:
    type_ = draw(field_type(types))
    mode = draw(st.sampled_from(["required", "optional", "default", "constrained"]))
    if mode == "optional":
        return f"{name}?: {type_}"
    if mode == "default":
        if type_ in _DEFAULTS:
            return f"{name}: {type_} = {_DEFAULTS[type_]}"
        if type_.startswith('"'):
            return f"{name}: {type_} = {type_.split(' | ')[0]}"
        if type_.startswith("list["):
            return f"{name}: {type_} = []"
        return f"{name}: {type_}"
    if mode == "constrained":
        lo = draw(st.integers(0, 5))
        hi = lo + draw(st.integers(0, 5))
        if type_ == "string":
            extra = draw(st.sampled_from(["", ', pattern "^[a-z]*$"']))
            return f"{name}: string (min_length {lo}, max_length {hi}{extra})"
        if type_ in ("int", "number"):
            low = draw(st.sampled_from([str(lo), f"{lo}.5" if type_ == "number" else str(-lo)]))
            return f"{name}: {type_} (minimum {low}, maximum {hi + 10})"
        if type_.startswith("list["):
            return f"{name}: {type_} (min_items {lo}, max_items {hi})"
    return f"{name}: {type_}"


@st.composite
def fields_block(draw: st.DrawFn, types: list[str], min_size: int) -> list[str]:
    names = draw(st.lists(st.sampled_from(_FIELD_NAMES), min_size=min_size, max_size=5, unique=True))
    return [draw(field_line(n, types)) for n in names]


@st.composite
def spec_text(draw: st.DrawFn) -> str:
    types: list[str] = []
    parts: list[str] = []
    for i in range(draw(st.integers(0, 3))):
        body = draw(fields_block(list(types), 1))
        parts.append(f"type T{i} {{\n  " + "\n  ".join(body) + "\n}\n")
        types.append(f"T{i}")
    inputs = draw(fields_block(types, 0))
    outputs = draw(fields_block(types, 1))
    used = " ".join("{{ " + line.split(":")[0].rstrip("?") + " }}" for line in inputs) or "hello"
    parts.append(
        "routine r v1 {\n"
        '  model "claude-haiku-4-5"\n  max_tokens 10\n'
        f"  prompt {json.dumps(used)}\n"
        "  input {\n    " + "\n    ".join(inputs) + "\n  }\n"
        "  output {\n    " + "\n    ".join(outputs) + "\n  }\n}\n"
    )
    return "\n".join(parts)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(spec_text())
def test_generated_specs_round_trip(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    root = write_project(tmp_path_factory.mktemp("spec"), {"specs/r.routine": text})
    result = build(load_config(root))
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors, (text, [d.message for d in errors])
    assert result.lock is not None
    module = load_module(generate_python(result.lock, "client.py").text, root)
    assert assert_round_trip(result.lock, module) == 2


def test_numbers_go_out_as_routinec_writes_them(tmp_path: Path) -> None:
    """A `number` field holds a float; an integral one is sent as an integer (the lock's rule),
    so a typed call renders and replays like the same call made with a dict."""
    root = write_project(tmp_path / "p", {"specs/r.routine": (
        'routine r v1 {\n  model "claude-haiku-4-5"\n  max_tokens 10\n  prompt "{{ n }} {{ xs }}"\n'
        "  input {\n    n: number\n    xs: list[number]\n  }\n  output {\n    ok: bool\n  }\n}\n"
    )})
    result = build(load_config(root))
    assert result.lock is not None
    module = load_module(generate_python(result.lock, "client.py").text, root)
    inputs = module.RInput(n=5, xs=[1.5, 2])
    assert inputs.n == 5.0 and isinstance(inputs.n, float)
    assert module._wire(inputs.model_dump(mode="json")) == {"n": 5, "xs": [1.5, 2]}
    assert type(module._wire(inputs.model_dump(mode="json"))["n"]) is int
