"""Compat layer: reading schema sources into checked JSON Schema values.

In: JSON text, a file path or an in-memory value. Out: the schema (floats as Decimal), or a
`SchemaError` with a hint for input too large, too deep, not JSON or not a JSON Schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from routinec.canonical import loads
from routinec.compat.dialect import detect, validator_for_dialect
from routinec.compat.errors import SchemaError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "check_schema", "load_file", "load_text", "validator_class"]

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 256


def load_file(path: Path) -> Any:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read: {exc.strerror}", "check the path") from None
    if size > MAX_BYTES:
        raise SchemaError(
            f"{path}: schema file is {size / 1e6:.1f} MB, over the {MAX_BYTES // 2**20} MiB limit",
            "a schema this large is almost certainly generated data, not a schema",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read: {exc.strerror}", "check the path") from None
    return load_text(data, str(path))


def load_text(text: str | bytes, label: str) -> Any:
    if len(text) > MAX_BYTES:
        raise SchemaError(
            f"{label}: schema is {len(text) / 1e6:.1f} MB, over the {MAX_BYTES // 2**20} MiB limit",
            "a schema this large is almost certainly generated data, not a schema",
        )
    try:
        value = loads(text)
    except UnicodeDecodeError:
        raise SchemaError(f"{label}: not UTF-8 text", "save the file as UTF-8") from None
    except RecursionError:
        raise SchemaError(
            f"{label}: JSON nested too deeply to read", f"the limit is {MAX_DEPTH} levels"
        ) from None
    except ValueError as exc:
        raise SchemaError(
            f"{label}: invalid JSON: {exc}", "check the file with a JSON linter"
        ) from None
    check_schema(value, label)
    return value


def _depth(value: Any) -> int:
    """Nesting depth, iteratively: deep input must not overflow the Python stack here."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                return deepest
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def validator_class(schema: Any) -> Any:
    """The jsonschema validator for the schema's dialect (`$schema`, else inferred)."""
    return validator_for_dialect(detect(schema)[0])


def check_schema(schema: Any, label: str, *, meta: bool = True) -> None:
    """Raise SchemaError unless `schema` is a JSON Schema this engine can walk.

    meta=False checks only the shape and the depth, not the meta-schema.
    """
    if not isinstance(schema, dict | bool):
        kind = type(schema).__name__ if schema is not None else "null"
        raise SchemaError(
            f"{label}: not a JSON Schema: the top level is {kind}, not an object or boolean",
            'a schema looks like {"type": "object", "properties": {...}}',
        )
    if _depth(schema) > MAX_DEPTH:
        raise SchemaError(
            f"{label}: schema nested more than {MAX_DEPTH} levels deep",
            "flatten it with $defs and $ref",
        )
    if not meta:
        return
    from jsonschema.exceptions import best_match

    dialect = detect(schema)[0]
    cls = validator_for_dialect(dialect)
    try:
        # no format checker: ECMA-262 patterns that Python's `re` cannot compile are still valid
        error = best_match(cls(cls.META_SCHEMA).iter_errors(schema))
    except RecursionError:
        raise SchemaError(f"{label}: schema nested too deeply to check", "flatten it") from None
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise SchemaError(
            f"{label}: not a valid JSON Schema: {error.message}"
            + (f" at #/{where}" if where else ""),
            f"validate it against the JSON Schema {dialect} meta-schema"
            + ("" if isinstance(schema, dict) and "$schema" in schema else ", or declare $schema"),
        )
