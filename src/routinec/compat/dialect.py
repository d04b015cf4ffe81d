"""Compat layer: JSON Schema dialects (draft-04, -06, -07, 2019-09, 2020-12) and their upgrade.

In: a schema value. Out: its dialect (from `$schema`, or inferred from the keywords when that is
unambiguous), the jsonschema validator class for it, and an equivalent 2020-12 schema (tuple
`items`, `definitions`, `dependencies`, draft-04 boolean exclusive bounds, `id`, `$ref` siblings)
with a pointer map back to the original, so findings still point into the user's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from routinec.compat.errors import SchemaError

__all__ = ["DIALECTS", "Upgraded", "detect", "upgrade", "validator_for_dialect"]

DIALECTS = ("draft-04", "draft-06", "draft-07", "2019-09", "2020-12")
LATEST = "2020-12"
_URIS = {
    "json-schema.org/draft-04/schema": "draft-04",
    "json-schema.org/draft-06/schema": "draft-06",
    "json-schema.org/draft-07/schema": "draft-07",
    "json-schema.org/draft/2019-09/schema": "2019-09",
    "json-schema.org/draft/2020-12/schema": "2020-12",
}
LATEST_URI = "https://json-schema.org/draft/2020-12/schema"

# keywords whose value is one subschema, a map of subschemas, or a list of them
_ONE = (
    "additionalItems",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "items",
)
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MODERN = (
    "prefixItems",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedItems",
    "unevaluatedProperties",
    "$anchor",
    "$dynamicRef",
    "minContains",
    "maxContains",
)
# siblings of a draft-04..07 `$ref` that stay: containers other refs may point into
_REF_KEEP = frozenset({"$ref", "definitions", "$defs", "$schema", "$id", "id", "$comment"})


def _dialect_of(uri: str) -> str | None:
    text = uri.split("://", 1)[-1].rstrip("#")
    return _URIS.get(text)


def _subschemas(schema: dict[str, Any]) -> list[tuple[tuple[str | int, ...], Any]]:
    """(relative pointer tokens, subschema) for every subschema position of `schema`."""
    out: list[tuple[tuple[str | int, ...], Any]] = []
    for key in _ONE:
        value = schema.get(key)
        if isinstance(value, dict | bool):
            out.append(((key,), value))
        elif key == "items" and isinstance(value, list):
            out.extend(((key, i), sub) for i, sub in enumerate(value))
    for key in _MAP:
        value = schema.get(key)
        if isinstance(value, dict):
            out.extend(((key, name), sub) for name, sub in value.items())
    for key in _LIST:
        value = schema.get(key)
        if isinstance(value, list):
            out.extend(((key, i), sub) for i, sub in enumerate(value))
    deps = schema.get("dependencies")
    if isinstance(deps, dict):
        out.extend((("dependencies", k), v) for k, v in deps.items() if isinstance(v, dict | bool))
    return out


def _walk(schema: Any) -> list[dict[str, Any]]:
    """Every schema object reachable through subschema positions (iteratively)."""
    found: list[dict[str, Any]] = []
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(sub for _, sub in _subschemas(item))
    return found


def detect(schema: Any) -> tuple[str, str]:
    """(dialect, note): note is "" when `$schema` named it, else why it was assumed."""
    if isinstance(schema, dict) and isinstance(schema.get("$schema"), str):
        dialect = _dialect_of(schema["$schema"])
        if dialect is not None:
            return dialect, ""
        return LATEST, f"unknown $schema {schema['$schema']!r}: assumed {LATEST}"
    nodes = _walk(schema)
    draft4 = any(
        isinstance(n.get("exclusiveMinimum"), bool) or isinstance(n.get("exclusiveMaximum"), bool)
        for n in nodes
    )
    tuple_items = any(isinstance(n.get("items"), list) or "additionalItems" in n for n in nodes)
    modern = [k for n in nodes for k in _MODERN if k in n]
    if (draft4 or tuple_items) and modern:
        legacy = "boolean exclusiveMinimum/exclusiveMaximum" if draft4 else "`items` as an array"
        raise SchemaError(
            f"no $schema, and the schema mixes {legacy} (draft-04..2019-09) with "
            f"{modern[0]!r} (2019-09/2020-12)",
            'declare the dialect, e.g. "$schema": "' + LATEST_URI + '"',
        )
    if draft4:
        return "draft-04", "no $schema: assumed draft-04 (boolean exclusiveMinimum/Maximum)"
    if tuple_items:
        return "draft-07", "no $schema: assumed draft-07 (`items` as an array)"
    return LATEST, ""


def validator_for_dialect(dialect: str) -> Any:
    from jsonschema import validators as v

    return {
        "draft-04": v.Draft4Validator,
        "draft-06": v.Draft6Validator,
        "draft-07": v.Draft7Validator,
        "2019-09": v.Draft201909Validator,
        "2020-12": v.Draft202012Validator,
    }[dialect]


@dataclass
class Upgraded:
    """A 2020-12 schema equivalent to the original, and where its pointers came from."""

    schema: Any
    dialect: str
    note: str
    back: dict[str, str] = field(default_factory=dict)  # new pointer -> original pointer

    def original(self, ptr: str) -> str:
        """The pointer into the original schema for a pointer into the upgraded one."""
        if not self.back or not ptr.startswith("#"):
            return ptr
        probe = ptr
        while True:
            if probe in self.back:
                return self.back[probe] + ptr[len(probe) :]
            cut = probe.rfind("/")
            if cut < 0:
                return ptr
            probe = probe[:cut]


def _esc(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def upgrade(schema: Any, dialect: str, note: str = "") -> Upgraded:
    """The 2020-12 form of `schema` (a new value; the input is not modified)."""
    if dialect == LATEST or not isinstance(schema, dict):
        return Upgraded(schema, dialect, note)
    legacy_ref = dialect in ("draft-04", "draft-06", "draft-07")
    moves: dict[str, str] = {}  # original pointer -> new pointer, for every subschema

    def convert(node: Any, old: str, new: str) -> Any:
        moves[old] = new
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        if legacy_ref and "$ref" in node:
            node = {k: v for k, v in node.items() if k in _REF_KEEP}
        items = node.get("items")
        for key, value in node.items():
            if key == "id" and dialect == "draft-04" and isinstance(value, str):
                out.setdefault("$id", value)
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in node:
                    out[key] = node[bound]
                    moves[f"{old}/{bound}"] = f"{new}/{key}"
            elif key in ("minimum", "maximum"):
                flag = node.get("exclusiveMinimum" if key == "minimum" else "exclusiveMaximum")
                if flag is not True:
                    out[key] = value
            elif key == "items" and isinstance(value, list):
                out["prefixItems"] = [
                    convert(s, f"{old}/items/{i}", f"{new}/prefixItems/{i}")
                    for i, s in enumerate(value)
                ]
            elif key == "additionalItems":
                if isinstance(items, list):
                    out["items"] = convert(value, f"{old}/additionalItems", f"{new}/items")
            elif key == "definitions" and isinstance(value, dict) and "$defs" not in node:
                out["$defs"] = {
                    name: convert(s, f"{old}/definitions/{_esc(name)}", f"{new}/$defs/{_esc(name)}")
                    for name, s in value.items()
                }
            elif key == "dependencies" and isinstance(value, dict):
                required = out.setdefault("dependentRequired", {})
                schemas = out.setdefault("dependentSchemas", {})
                for name, dep in value.items():
                    where = f"{old}/dependencies/{_esc(name)}"
                    if isinstance(dep, list):
                        required[name] = dep
                        moves[where] = f"{new}/dependentRequired/{_esc(name)}"
                    else:
                        schemas[name] = convert(dep, where, f"{new}/dependentSchemas/{_esc(name)}")
                if not required:
                    del out["dependentRequired"]
                if not schemas:
                    del out["dependentSchemas"]
            elif key in ("dependentRequired",) and isinstance(value, dict):
                out.setdefault(key, {}).update(value)
            else:
                out[key] = _descend(key, value, old, new)
        return out

    def _descend(key: str, value: Any, old: str, new: str) -> Any:
        base_old, base_new = f"{old}/{_esc(key)}", f"{new}/{_esc(key)}"
        if key in _ONE and isinstance(value, dict | bool):
            return convert(value, base_old, base_new)
        if key in _MAP and isinstance(value, dict):
            return {
                name: convert(s, f"{base_old}/{_esc(name)}", f"{base_new}/{_esc(name)}")
                for name, s in value.items()
            }
        if key in _LIST and isinstance(value, list):
            return [convert(s, f"{base_old}/{i}", f"{base_new}/{i}") for i, s in enumerate(value)]
        return value

    result = convert(schema, "#", "#")
    refs = [n for n in _walk(result) if isinstance(n.get("$ref"), str)]
    for node in refs:
        ref = node["$ref"]
        if ref.startswith("#/") and ref in moves:
            node["$ref"] = moves[ref]
    result["$schema"] = LATEST_URI
    back = {new: old for old, new in moves.items() if new != old}
    return Upgraded(result, dialect, note, back)
