"""Compiler layer, lowering pass: checked AST → JSON Schemas (draft 2020-12) and lock entries.

In: a `Project` symbol table and one routine that passed `compiler.check`. Out: JSON Schemas
as plain dicts (numbers as int or Decimal) and a sealed `LockEntry` (docs/lockfile.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from routinec.canonical import digest, json_number, plain_json
from routinec.compiler import ast
from routinec.compiler.symbols import PRIMITIVES, Project
from routinec.lockfile.entry import (
    ConsumerPin,
    LockEntry,
    ModelPin,
    Params,
    Prompt,
    PromptPart,
    TestCase,
    ToolSet,
    Trigger,
)
from routinec.modeltable import ModelInfo
from routinec.params import PARAMS, ParamValue

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
        schema[keyword] = json_number(value) if isinstance(value, Decimal) else value
    if field.has_default:
        schema["default"] = plain_json(field.default)
    return schema


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


def _params(settings: ast.Settings) -> Params:
    values: dict[str, ParamValue] = {}
    for param in PARAMS:
        setting = settings.get(param.keyword)
        if setting is None:
            continue
        value = setting.value
        if param.kind == "strings":
            values[param.lock_key] = [str(v) for v in value]
        elif isinstance(value, Decimal):
            values[param.lock_key] = json_number(value)
        else:
            values[param.lock_key] = str(value)
    return Params(values)


def model_pin(alias: str, info: ModelInfo) -> ModelPin:
    return ModelPin(
        alias=alias,
        snapshot=info.id,
        resolved_by=info.resolved_by,
        lifecycle=info.lifecycle,
        retires_at=info.retires_at,
        max_tokens_limit=info.max_tokens,
        structured_outputs=info.structured_outputs,
    )


def _part(part: dict[str, Any] | None) -> PromptPart | None:
    return None if part is None else PromptPart(part["path"], part["template"])


def _expect(routine: ast.RoutineDef, test_name: str) -> dict[str, Any]:
    """A test's trajectory expectations as lock JSON (empty when it has none)."""
    test = next((t for t in routine.tests if t.name == test_name), None)
    out: dict[str, Any] = {}
    for item in test.trajectory if test is not None else ():
        if item.kind == "tools":
            out["tools"] = list(item.value)
        elif item.kind == "tool":
            out.setdefault("tool_args", []).append({"name": item.value[0], "input": plain_json(item.value[1])})
        else:
            out["max_turns"] = json_number(item.value)
    return out


def lower_routine(
    routine: ast.RoutineDef,
    project: Project,
    model: ModelInfo,
    templates: dict[str, Any],
    tests: dict[str, Any],
    consumers: list[dict[str, Any]],
    sources: dict[str, str],
    *,
    tools: ToolSet | None = None,
    triggers: tuple[Trigger, ...] = (),
) -> LockEntry:
    """Assemble and seal one lock entry; everything passed in was checked already."""
    input_schema = routine_schema(routine.inputs, project)
    output_schema = routine_schema(routine.outputs, project)
    user = _part(templates["user"])
    assert user is not None, "check requires a prompt"
    entry = LockEntry(
        name=routine.name,
        version=routine.version,
        description=routine.description,
        source=routine.span.path,
        spec_hash=digest(ast.to_plain(routine)),
        model=model_pin(str(routine.settings.model), model),
        params=_params(routine.settings),
        state=routine.settings.state,
        prompt=Prompt(_part(templates["system"]), user, dict(templates["includes"]), templates["hash"]),
        input_schema=input_schema,
        input_schema_hash=digest(input_schema),
        output_schema=output_schema,
        output_schema_hash=digest(output_schema),
        consumers=tuple(
            ConsumerPin(c["name"], c["kind"], c["schema"], c["schema_hash"])
            for c in sorted(consumers, key=lambda c: str(c["name"]))
        ),
        tests={
            name: TestCase(t["input"], t["input_path"], t["input_hash"], t["compare"], _expect(routine, name))
            for name, t in tests.items()
        },
        sources=dict(sorted(sources.items())),
        tools=tools,
        triggers=triggers,
    )
    return entry.sealed()
