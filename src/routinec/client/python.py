"""Client layer: the typed Python client, one module generated from the lock's schemas.

In: a `Lock` (each routine's input and output JSON Schema, as the compiler lowered them) and
where the module goes. Out: the module's text, the same bytes for the same lock: pydantic v2
models per routine (`<Routine>Input`, `<Routine>Output`; named types shared by name), a sync
function and an `_async` twin per routine that run it through `routinec.runtime.Runtime` and
return the validated output, whose run `result_of(output)` gives. Names follow
`routinec.pynames`, which `check` enforces. docs/client.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from routinec import pynames
from routinec.canonical import digest
from routinec.lockfile import Lock, LockEntry

__all__ = ["GENERATOR", "PythonClient", "generate_python", "routine_digest"]

GENERATOR = "python"

_PRIMITIVE = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
# JSON Schema keyword on a property → the pydantic Field argument that produces it.
_CONSTRAINTS = {
    "minLength": "min_length", "maxLength": "max_length", "pattern": "pattern",
    "minimum": "ge", "maximum": "le", "minItems": "min_length", "maxItems": "max_length",
}
_REF = "#/$defs/"


class UnsupportedSchema(ValueError):
    """A schema shape the compiler never lowers to (the lock was not written by routinec)."""


@dataclass(frozen=True)
class PythonClient:
    text: str
    routines: dict[str, str]  # routine → `routine_digest`


def routine_digest(entry: LockEntry) -> str:
    """What the generator reads from one entry; a change means the module is stale for it."""
    return digest({
        "name": entry.name, "version": entry.version, "description": entry.description,
        "input_schema_hash": entry.input_schema_hash, "output_schema_hash": entry.output_schema_hash,
    })


def _literal(value: Any) -> str:
    """A JSON value as a Python literal."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    raise UnsupportedSchema(f"a default of type {type(value).__name__}")


def _type(schema: dict[str, Any]) -> str:
    """The Python annotation of a property schema (constraints aside)."""
    if "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith(_REF):
            raise UnsupportedSchema(f"$ref {ref!r}")
        return ref[len(_REF):]
    if "const" in schema:
        return f"_t.Literal[{json.dumps(schema['const'])}]"
    if "enum" in schema:
        return "_t.Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
    kind = schema.get("type")
    if kind == "array":
        return f"list[{_type(schema.get('items', {}))}]"
    if kind in _PRIMITIVE:
        return _PRIMITIVE[kind]
    raise UnsupportedSchema(f"a property of type {kind!r}")


def _constraints(schema: dict[str, Any]) -> str:
    args = [f"{_CONSTRAINTS[k]}={_literal(schema[k])}" for k in sorted(schema) if k in _CONSTRAINTS]
    return ", ".join(args)


@dataclass(frozen=True)
class _Field:
    name: str
    annotation: str  # the model's annotation, constraints included
    plain: str  # the function parameter's annotation
    required: bool
    default: Any
    has_default: bool

    @property
    def scalar_default(self) -> bool:
        return self.has_default and not isinstance(self.default, list | dict)


def _fields(schema: dict[str, Any]) -> list[_Field]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = [n for n in schema.get("required", []) if n in properties]
    order = required + sorted(n for n in properties if n not in required)
    out = []
    for name in order:
        prop = properties[name]
        plain = _type(prop)
        constraints = _constraints(prop)
        annotation = f"_t.Annotated[{plain}, _pd.Field({constraints})]" if constraints else plain
        out.append(_Field(name, annotation, plain, name in required, prop.get("default"), "default" in prop))
    return out


def _docstring(text: str, indent: str) -> str:
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    return f'{indent}"""{body}"""\n'


def _class(name: str, base: str, doc: str, fields: list[_Field]) -> str:
    lines = [f"class {name}({base}):\n", _docstring(doc, "    ")]
    if fields:
        lines.append("\n")
    for f in fields:
        if f.required:
            lines.append(f"    {f.name}: {f.annotation}\n")
        elif not f.has_default:  # optional: absent, never null (SkipJsonSchema keeps null out of the schema)
            lines.append(f"    {f.name}: {f.annotation} | _Skip[None] = _pd.Field(default=None, json_schema_extra=_absent)\n")
        elif isinstance(f.default, dict):  # an object default becomes the named type's model
            lines.append(f"    {f.name}: {f.annotation} = _pd.Field(default={_literal(f.default)}, validate_default=True)\n")
        elif isinstance(f.default, list):
            lines.append(f"    {f.name}: {f.annotation} = _pd.Field(default={_literal(f.default)})\n")
        else:
            lines.append(f"    {f.name}: {f.annotation} = {_literal(f.default)}\n")
    return "".join(lines)


def _defs(lock: Lock) -> dict[str, dict[str, Any]]:
    defs: dict[str, dict[str, Any]] = {}
    for name in sorted(lock.routines):
        entry = lock.routines[name]
        for schema in (entry.input_schema, entry.output_schema):
            for type_name, body in sorted(schema.get("$defs", {}).items()):
                seen = defs.setdefault(type_name, body)
                if seen != body:
                    raise UnsupportedSchema(f"type {type_name!r} is defined two ways in the lock")
    return defs


def _refs(schema: Any) -> Iterable[str]:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            yield ref[len(_REF):]
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


def _type_order(defs: dict[str, dict[str, Any]]) -> list[str]:
    """Named types, each after the types it uses (then by name); cycles resolve lazily."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name):
            return
        state[name] = 1
        for dep in sorted(set(_refs(defs[name]))):
            if dep in defs:
                visit(dep)
        state[name] = 2
        order.append(name)

    for name in sorted(defs):
        visit(name)
    return order


def _function(entry: LockEntry, fields: list[_Field]) -> str:
    name, async_name = pynames.function_names(entry.name)
    input_cls, output_cls = pynames.input_class(entry.name), pynames.output_class(entry.name)
    params = []
    for f in fields:
        if f.required:
            params.append(f"{f.name}: {f.plain}")
        elif f.scalar_default:
            params.append(f"{f.name}: {f.plain} = {_literal(f.default)}")
        else:
            params.append(f"{f.name}: {f.plain} | None = None")
    params.append("runtime: _Runtime | None = None")
    signature = "*, " + ", ".join(params)
    given = ", ".join(f"{f.name}={f.name}" for f in fields)
    passed = ", ".join([*(f"{f.name}={f.name}" for f in fields), "runtime=runtime"])
    doc = (entry.description or f"Run routine {entry.name!r}.").strip()
    where = f"Routine `{entry.name}` v{entry.version}; returns the validated output (`result_of(output)`: the run)."
    return (
        f"def {name}({signature}) -> {output_cls}:\n"
        + _docstring(f"{doc}\n\n    {where}", "    ")
        + f"    inputs = {input_cls}.model_validate(_given({given}))\n"
        + f"    return _call(runtime, {json.dumps(entry.name)}, inputs, {output_cls})\n"
        + "\n\n"
        + f"async def {async_name}({signature}) -> {output_cls}:\n"
        + _docstring(f"`{name}` in a worker thread, for asyncio code.", "    ")
        + f"    return await _asyncio.to_thread({name}, {passed})\n"
    )


_HEADER = '''\
# Generated by `routinec gen python` from {lockfile}: do not edit, rerun the command.
# `routinec verify` fails when this file no longer matches the lock.
"""Typed client for the routines in {lockfile}.

Each routine has a function and an `_async` twin that run it with `routinec.runtime.Runtime`
(the `runtime=` argument, else `default_runtime()` for this project) and return its validated
output model; `result_of(output)` is the run's `Result` (mode, pinned model, request hash,
transcript, ledger run id).
"""

from __future__ import annotations

import asyncio as _asyncio
import functools as _functools
import pathlib as _pathlib
import typing as _t

import pydantic as _pd
from pydantic.json_schema import SkipJsonSchema as _Skip
from routinec.runtime import Result as _Result
from routinec.runtime import Runtime as _Runtime

__all__ = [
{names}]

# The project root, from where this module sits in it.
_ROOT = _pathlib.Path(__file__).resolve().parents[{depth}]


class _Model(_pd.BaseModel):
    # Closed like the lock's schemas (additionalProperties: false); patterns use Python's re,
    # as the runtime's validator does.
    model_config = _pd.ConfigDict(extra="forbid", regex_engine="python-re")


class _Output(_Model):
    _result: _Result | None = _pd.PrivateAttr(default=None)


_O = _t.TypeVar("_O", bound=_Output)


@_functools.cache
def default_runtime() -> _Runtime:
    """The Runtime the functions use when given none: this project's lock, the default mode."""
    return _Runtime(_ROOT)


def result_of(output: _Output) -> _Result:
    """The run that produced `output` (a model a routine function returned)."""
    if output._result is None:
        raise ValueError("this output was not returned by a routine function")
    return output._result


def _absent(schema: dict[str, _t.Any]) -> None:
    # An optional field may be absent; its schema names no default (and never null).
    schema.pop("default", None)


def _given(**values: object) -> dict[str, object]:
    # None means "not given": no field of a routine's schema admits null.
    return {{key: value for key, value in values.items() if value is not None}}


def _wire(value: object) -> object:
    # routinec's number rule: an integral number is an integer (5.0 is sent as 5, as a dict
    # call would send it), so a typed call renders and replays like the same call with a dict.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {{key: _wire(item) for key, item in value.items()}}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    return value


def _call(runtime: _Runtime | None, name: str, inputs: _Model, output: type[_O]) -> _O:
    run = (default_runtime() if runtime is None else runtime).run(
        name, _wire(inputs.model_dump(mode="json", exclude_none=True))
    )
    model = output.model_validate(run.output)
    model._result = run
    return model
'''


def generate_python(lock: Lock, module_path: str, lockfile: str = "routines.lock") -> PythonClient:
    """The client module for `lock`, to be written at `module_path` (project-relative)."""
    defs = _defs(lock)
    names: list[str] = ["default_runtime", "result_of"]
    parts: list[str] = []
    for type_name in _type_order(defs):
        names.append(type_name)
        parts.append(_class(type_name, "_Model", f"The named type `{type_name}`.", _fields(defs[type_name])))
    digests: dict[str, str] = {}
    for routine in sorted(lock.routines):
        entry = lock.routines[routine]
        digests[routine] = routine_digest(entry)
        in_fields, out_fields = _fields(entry.input_schema), _fields(entry.output_schema)
        input_cls, output_cls = pynames.input_class(routine), pynames.output_class(routine)
        names += [input_cls, output_cls, *pynames.function_names(routine)]
        parts.append(_class(input_cls, "_Model", f"The input of routine `{routine}` v{entry.version}.", in_fields))
        parts.append(_class(output_cls, "_Output", f"The output of routine `{routine}` v{entry.version}.", out_fields))
        parts.append(_function(entry, in_fields))
    depth = len(PurePosixPath(module_path).parts) - 1
    header = _HEADER.format(
        lockfile=lockfile, depth=depth, names="".join(f"    {json.dumps(n)},\n" for n in sorted(names))
    )
    text = header + "".join("\n\n" + part for part in parts)
    return PythonClient(text, digests)
