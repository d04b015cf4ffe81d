"""Runtime layer: a locked output schema → the JSON Schema subset structured outputs accepts.

In: the lock's `output_schema` (plain JSON). Out: the schema sent with a request. Used by
`request` and, lazily, by `entry` (which `request` imports, so it lives apart from both).
"""

from __future__ import annotations

from typing import Any

__all__ = ["api_schema"]

_STRING_FORMATS = frozenset(
    ("date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid")
)


def api_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The locked schema in the subset structured outputs accepts (as the SDK's transform_schema).

    Keywords the API does not enforce (string lengths, numeric bounds, ...) move into the
    description so the model still sees them; the answer is validated against the full
    locked schema afterwards, so nothing is lost.
    """
    rest = dict(schema)
    rest.pop("$schema", None)
    out: dict[str, Any] = {}
    if "$defs" in rest:
        out["$defs"] = {k: api_schema(v) for k, v in sorted(rest.pop("$defs").items())}
    if "$ref" in rest:
        out["$ref"] = rest.pop("$ref")
        return out
    for key in ("enum", "const", "description", "title"):
        if key in rest:
            out[key] = rest.pop(key)
    for key, target in (("anyOf", "anyOf"), ("oneOf", "anyOf"), ("allOf", "allOf")):
        if key in rest:
            out[target] = [api_schema(v) for v in rest.pop(key)]
    kind = rest.pop("type", None)
    if kind is not None and "enum" not in out and "const" not in out:
        out["type"] = kind
    if kind == "object":
        out["properties"] = {k: api_schema(v) for k, v in rest.pop("properties", {}).items()}
        rest.pop("additionalProperties", None)
        out["additionalProperties"] = False
        if "required" in rest:
            out["required"] = list(rest.pop("required"))
    elif kind == "array":
        if "items" in rest:
            out["items"] = api_schema(rest.pop("items"))
        if rest.get("minItems") in (0, 1):
            out["minItems"] = rest.pop("minItems")
    elif kind == "string" and rest.get("format") in _STRING_FORMATS:
        out["format"] = rest.pop("format")
    if rest:
        extra = "{" + ", ".join(f"{k}: {rest[k]}" for k in sorted(rest)) + "}"
        out["description"] = (out["description"] + "\n\n" if "description" in out else "") + extra
    return out
