"""Compat layer: reading schema sources into checked JSON Schema values.

In: JSON text, a file path or an in-memory value. Out: the schema (floats as Decimal), with
file `$ref`s inside the project bundled under `$defs`, or a `SchemaError` with a hint for
input too large, too deep, not JSON, not a JSON Schema, or a `$ref` that leaves the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from routinec.canonical import loads
from routinec.compat.dialect import detect, validator_for_dialect
from routinec.compat.errors import SchemaError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "bundle",
    "check_schema",
    "load_file",
    "load_text",
    "validator_class",
]

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 256
MAX_FILES = 64


def load_file(path: Path, root: Path | None = None) -> Any:
    """A schema file, with its file `$ref`s (inside `root`, default the working directory)
    bundled under `$defs`; remote references stay as they are and are never fetched."""
    schema = _read(path)
    return bundle(schema, path, (root or Path.cwd()).resolve())


def _read(path: Path) -> Any:
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


def _is_file_ref(ref: Any) -> bool:
    return (
        isinstance(ref, str)
        and not ref.startswith("#")
        and "://" not in ref
        and not ref.startswith("urn:")
    )


def _refs(value: Any) -> list[dict[str, Any]]:
    """Every object holding a `$ref` string (iteratively)."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def bundle(schema: Any, path: Path, root: Path) -> Any:
    """Inline the files `schema` refers to (relative to `path`) under `$defs`.

    A referenced file must resolve inside `root` (the project): a reference that leaves
    it is an error, so comparing a schema never reads files the project does not hold.
    """
    if not isinstance(schema, dict) or not any(_is_file_ref(o["$ref"]) for o in _refs(schema)):
        return schema
    schema = dict(schema)
    defs = dict(schema.get("$defs") or {})
    loaded: dict[Path, str] = {}
    pending: list[tuple[Any, Path]] = [(schema, path)]
    while pending:
        document, where = pending.pop()
        for holder in _refs(document):
            ref = holder["$ref"]
            if not _is_file_ref(ref):
                continue
            name, _, fragment = ref.partition("#")
            target = (where.parent / name).resolve()
            if not target.is_relative_to(root):
                raise SchemaError(
                    f"{path}: $ref {ref!r} leaves the project (it resolves to {target})",
                    f"keep referenced schemas inside {root}, or bundle them under $defs",
                )
            if target not in loaded:
                if len(loaded) >= MAX_FILES:
                    raise SchemaError(
                        f"{path}: $ref {ref!r}: more than {MAX_FILES} referenced files",
                        "bundle the schemas",
                    )
                key = "file:" + target.relative_to(root).as_posix()
                loaded[target] = key
                inner = _read(target) if target.is_file() else None
                if inner is None:
                    raise SchemaError(
                        f"{path}: $ref {ref!r}: no such file {target}", "fix the reference"
                    )
                base = "#/$defs/" + key.replace("~", "~0").replace("/", "~1")
                for local in _refs(inner):
                    if local["$ref"].startswith("#"):
                        local["$ref"] = base + local["$ref"][1:]
                defs[key] = inner
                pending.append((inner, target))
            base = "#/$defs/" + loaded[target].replace("~", "~0").replace("/", "~1")
            holder["$ref"] = base + fragment
    schema["$defs"] = defs
    return schema


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
