"""Compiler layer, lowering pass: checked AST → JSON Schemas (draft 2020-12) and lock entries.

In: a `Project` symbol table and one routine that passed `compiler.check`. Out: plain dicts
in the lockfile format (docs/lockfile.md), numbers as Decimal, ready for canonical hashing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from routinec.canonical import digest
from routinec.compiler import ast
from routinec.compiler.symbols import PRIMITIVES, Project
from routinec.lockfile import seal_entry
from routinec.modeltable import ModelInfo

__all__ = ["CONSTRAINT_KEYWORDS", "consumer_schema", "field_schema", "lower_routine", "object_schema"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# DSL constraint → (JSON Schema keyword, the schema "type" it applies to).
CONSTRAINT_KEYWORDS: dict[str, tuple[str, frozenset[str]]] = {
    "min_length": ("minLength", frozenset({"string"})),
    "max_length": ("maxLength", frozenset({"string"})),
    "pattern": ("pattern", frozenset({"string"})),
    "minimum": ("minimum", frozenset({"integer", "number"})),
    "maximum": ("maximum", frozenset({"integer", "number"})),
    "min_items": ("minItems", frozenset({"array"})),
    "max_items": ("maxItems", frozenset({"array"})),
}


def _json_number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def type_schema(expr: ast.TypeExpr, refs: set[str]) -> dict[str, Any]:
    """Schema of a type expression; named types become $refs collected into `refs`."""
    if isinstance(expr, ast.LiteralUnion):
        if len(expr.values) == 1:
            return {"type": "string", "const": expr.values[0]}
        return {"type": "string", "enum": list(expr.values)}
    if isinstance(expr, ast.ListType):
        return {"type": "array", "items": type_schema(expr.item, refs)}
    if expr.name in PRIMITIVES:
        return {"type": PRIMITIVES[expr.name]}
    refs.add(expr.name)
    return {"$ref": f"#/$defs/{expr.name}"}


def field_schema(field: ast.Field, refs: set[str]) -> dict[str, Any]:
    schema = type_schema(field.type, refs)
    for constraint in field.constraints:
        keyword = CONSTRAINT_KEYWORDS[constraint.name][0]
        value = constraint.value
        schema[keyword] = _json_number(value) if isinstance(value, Decimal) else value
    if field.has_default:
        schema["default"] = _plain_json(field.default)
    return schema


def _plain_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _json_number(value)
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items()}
    return value


def object_schema(fields: tuple[ast.Field, ...], refs: set[str], *, closed: bool) -> dict[str, Any]:
    properties = {f.name: field_schema(f, refs) for f in fields}
    required = [f.name for f in fields if not f.optional and not f.has_default]
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if closed:
        schema["additionalProperties"] = False
    return schema


def with_defs(
    root: dict[str, Any], refs: set[str], project: Project, *, closed: bool
) -> dict[str, Any]:
    """Add `$defs` for every named type reachable from `refs` (transitively), sorted."""
    defs: dict[str, Any] = {}
    pending = sorted(refs)
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        more: set[str] = set()
        typedef = project.types[name].node
        defs[name] = object_schema(typedef.fields, more, closed=closed)
        pending.extend(sorted(more - set(defs)))
    schema = {"$schema": SCHEMA_DIALECT, **root}
    if defs:
        schema["$defs"] = defs
    return schema


def routine_schema(fields: tuple[ast.Field, ...] | None, project: Project) -> dict[str, Any]:
    refs: set[str] = set()
    root = object_schema(fields or (), refs, closed=True)
    return with_defs(root, refs, project, closed=True)


def consumer_schema(consumer: ast.ConsumerDef, project: Project) -> dict[str, Any]:
    """A consumer reads what it declares and ignores the rest: its objects stay open."""
    refs: set[str] = set()
    root = object_schema(consumer.expects, refs, closed=False)
    return with_defs(root, refs, project, closed=False)


def type_names(fields: tuple[ast.Field, ...] | None, project: Project) -> set[str]:
    """Every named type reachable from these fields."""
    seen: set[str] = set()
    stack: list[ast.TypeExpr] = [f.type for f in fields or ()]
    while stack:
        expr = stack.pop()
        if isinstance(expr, ast.ListType):
            stack.append(expr.item)
        elif isinstance(expr, ast.NamedType) and expr.name in project.types and expr.name not in seen:
            seen.add(expr.name)
            stack.extend(f.type for f in project.types[expr.name].node.fields)
    return seen


def _params(routine: ast.RoutineDef) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for setting in routine.settings:
        key, value = setting.key, setting.value
        if key in ("model", "state"):
            continue
        if key == "stop":
            params["stop_sequences"] = list(value)
        elif key == "thinking":
            params["thinking_budget"] = _json_number(value)
        elif key == "effort":
            params["effort"] = value
        else:
            params[key] = _json_number(value)
    return params


def model_entry(alias: str, info: ModelInfo) -> dict[str, Any]:
    return {
        "alias": alias,
        "snapshot": info.id,
        "resolved_by": info.resolved_by,
        "lifecycle": info.lifecycle,
        "retires_at": info.retires_at,
        "max_tokens_limit": info.max_tokens,
        "structured_outputs": info.structured_outputs,
    }


def lower_routine(
    routine: ast.RoutineDef,
    project: Project,
    model: ModelInfo,
    templates: dict[str, Any],
    tests: dict[str, Any],
    consumers: list[dict[str, Any]],
    sources: dict[str, str],
) -> dict[str, Any]:
    """Assemble and seal one lock entry; everything passed in was checked already."""
    input_schema = routine_schema(routine.inputs, project)
    output_schema = routine_schema(routine.outputs, project)
    settings = {s.key: s.value for s in routine.settings}
    entry: dict[str, Any] = {
        "name": routine.name,
        "version": routine.version,
        "description": routine.description,
        "source": routine.span.path,
        "spec_hash": digest(ast.to_plain(routine)),
        "model": model_entry(str(settings["model"]), model),
        "params": _params(routine),
        "state": settings.get("state", "reset"),
        "prompt": templates,
        "input_schema": input_schema,
        "input_schema_hash": digest(input_schema),
        "output_schema": output_schema,
        "output_schema_hash": digest(output_schema),
        "consumers": sorted(consumers, key=lambda c: str(c["name"])),
        "tests": tests,
        "sources": dict(sorted(sources.items())),
    }
    return seal_entry(entry)
