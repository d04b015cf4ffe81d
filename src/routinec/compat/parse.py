"""Compat layer: keyword parsing for one schema object (drafts 4 to 2020-12) into a `Node`.

In: a raw schema object and its JSON pointer. Out: the node's fields filled in; type arrays
and `anyOf`/`oneOf` with a `{type: null}` branch become the `nullable` flag; `not {type}`
folds into `types`; type-disjoint `oneOf` becomes `anyOf`; unknown keywords go to `unknown`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routinec.compat.node import (
    ALL_TYPES,
    ANNOTATIONS,
    STRUCTURAL,
    Bound,
    Node,
    pointer,
    to_bound,
)
from routinec.compat.values import to_dec

if TYPE_CHECKING:
    from routinec.compat.node import Builder

__all__ = ["parse_keywords"]

_APPLICATORS = ("anyOf", "oneOf", "allOf", "not", "if")


def _types(value: Any) -> frozenset[str]:
    names = frozenset([value] if isinstance(value, str) else value)
    if "number" in names:
        names -= {"integer"}
    return names


def _is_null_only(node: Node) -> bool:
    node = node.resolved()
    return node.types == frozenset({"null"}) and node.enum is None and not node.all_of


def _signature(node: Node) -> frozenset[str] | None:
    node = node.resolved()
    if node.any_of is not None or node.one_of is not None or node.all_of or node.not_:
        return None
    types = node.types
    if node.enum is not None:
        from routinec.compat.values import json_type

        types = frozenset(json_type(v) for v in node.enum)
    if types is None:
        return None
    if node.nullable:
        types |= {"null"}
    return frozenset(types)


def _disjoint(branches: tuple[Node, ...]) -> bool:
    seen: set[str] = set()
    for branch in branches:
        sig = _signature(branch)
        if sig is None:
            return False
        widened = set(sig) | ({"integer"} if "number" in sig else set())
        if widened & seen:
            return False
        seen |= widened
    return True


def _branches(builder: Builder, raw: Any, ptr: str, key: str) -> tuple[tuple[Node, ...], str]:
    """The branches, minus `{type: null}` ones; the second item points at a removed one."""
    nodes = tuple(builder.build(sub, pointer(ptr, key, i)) for i, sub in enumerate(raw))
    rest = tuple(n for n in nodes if not _is_null_only(n))
    if rest and len(rest) < len(nodes):
        return rest, next(n.ptr for n in nodes if _is_null_only(n))
    return nodes, ""


def parse_keywords(builder: Builder, node: Node, raw: dict[str, Any], ptr: str) -> None:
    build = builder.build
    origin = node.origin
    for key in raw:
        origin[key] = pointer(ptr, key)
    if "type" in raw:
        node.types = _types(raw["type"])
    if "enum" in raw:
        node.enum = tuple(raw["enum"])
    if "const" in raw:
        node.enum, node.const = (raw["const"],), True
        if "enum" in raw and not any(_eq(raw["const"], v) for v in raw["enum"]):
            node.false = True
    _numbers(node, raw)
    if "minLength" in raw:
        node.min_length = int(raw["minLength"])
    if "maxLength" in raw:
        node.max_length = int(raw["maxLength"])
    if "pattern" in raw:
        node.pattern = raw["pattern"]
    if "format" in raw:
        node.format = raw["format"]
    node.content = tuple(
        sorted((k, raw[k]) for k in ("contentEncoding", "contentMediaType") if k in raw)
    )
    _arrays(builder, node, raw, ptr)
    _objects(builder, node, raw, ptr)
    if "anyOf" in raw:
        node.any_of, null_at = _branches(builder, raw["anyOf"], ptr, "anyOf")
        if null_at:
            node.nullable = True
            origin["nullable"] = null_at
    if "oneOf" in raw:
        branches, null_at = _branches(builder, raw["oneOf"], ptr, "oneOf")
        if null_at:
            node.nullable = True
            origin["nullable"] = null_at
        if _disjoint(branches) and node.any_of is None:
            node.any_of = branches
        else:
            node.one_of = branches
    if "not" in raw:
        inner = build(raw["not"], pointer(ptr, "not"))
        _fold_not(node, inner)
    if "if" in raw and ("then" in raw or "else" in raw):
        node.if_ = build(raw["if"], pointer(ptr, "if"))
        if "then" in raw:
            node.then = build(raw["then"], pointer(ptr, "then"))
        if "else" in raw:
            node.else_ = build(raw["else"], pointer(ptr, "else"))
    if "default" in raw:
        node.default = (raw["default"],)
    node.deprecated = bool(raw.get("deprecated", False))
    node.extensible_enum = bool(raw.get("x-extensible-enum") or raw.get("x-open-enum"))
    for key, value in raw.items():
        if key not in STRUCTURAL and key not in ANNOTATIONS and not key.startswith("x-"):
            node.unknown[key] = value
    types = node.types
    if (
        types is not None
        and "null" in types
        and len(types) > 1
        and node.enum is None
        and not any(k in raw for k in _APPLICATORS)
    ):
        node.types = types - {"null"}
        node.nullable = True
        origin["nullable"] = origin["type"]


def _eq(a: Any, b: Any) -> bool:
    from routinec.compat.values import json_eq

    return json_eq(a, b)


def _fold_not(node: Node, inner: Node) -> None:
    resolved = inner.resolved()
    if resolved.false:
        return
    if resolved.is_top:
        node.false = True
        return
    probe = Node(ptr=resolved.ptr, types=resolved.types, nullable=resolved.nullable)
    only_types = resolved.types is not None and _same_except_types(resolved, probe)
    if only_types and resolved.types is not None:
        banned = set(resolved.types) | ({"null"} if resolved.nullable else set())
        if "integer" in banned and "number" not in banned:
            node.not_ = inner
            return
        if "number" in banned:
            banned |= {"integer"}
        allowed = ALL_TYPES - banned
        if node.types is None:
            node.types = frozenset(allowed)
        else:
            keep = set(node.types) & allowed
            node.types = frozenset(keep)
        return
    node.not_ = inner


def _same_except_types(node: Node, probe: Node) -> bool:
    from routinec.compat.node import _is_empty

    saved = node.types
    try:
        node.types = None
        return _is_empty(node) and not node.all_of
    finally:
        node.types = saved


def _numbers(node: Node, raw: dict[str, Any]) -> None:
    minimum = to_bound(raw["minimum"]) if "minimum" in raw else None
    maximum = to_bound(raw["maximum"]) if "maximum" in raw else None
    ex_min, ex_max = raw.get("exclusiveMinimum"), raw.get("exclusiveMaximum")
    if isinstance(ex_min, bool):  # draft-04: a flag on minimum
        if ex_min and minimum is not None:
            minimum = Bound(minimum.value, True)
    elif ex_min is not None:
        bound = Bound(to_dec(ex_min), True)
        if minimum is None or bound.value >= minimum.value:
            minimum = bound
            node.origin["minimum"] = node.origin["exclusiveMinimum"]
    if isinstance(ex_max, bool):
        if ex_max and maximum is not None:
            maximum = Bound(maximum.value, True)
    elif ex_max is not None:
        bound = Bound(to_dec(ex_max), True)
        if maximum is None or bound.value <= maximum.value:
            maximum = bound
            node.origin["maximum"] = node.origin["exclusiveMaximum"]
    node.minimum, node.maximum = minimum, maximum
    if "multipleOf" in raw:
        node.multiple_of = to_dec(raw["multipleOf"])


def _arrays(builder: Builder, node: Node, raw: dict[str, Any], ptr: str) -> None:
    build = builder.build
    items = raw.get("items")
    if isinstance(items, list):  # draft-07 tuple form
        node.prefix = tuple(build(s, pointer(ptr, "items", i)) for i, s in enumerate(items))
        if "additionalItems" in raw:
            node.items = build(raw["additionalItems"], pointer(ptr, "additionalItems"))
    else:
        if "prefixItems" in raw:
            node.prefix = tuple(
                build(s, pointer(ptr, "prefixItems", i)) for i, s in enumerate(raw["prefixItems"])
            )
        if items is not None:
            node.items = build(items, pointer(ptr, "items"))
        elif "unevaluatedItems" in raw and not any(k in raw for k in _APPLICATORS):
            node.items = build(raw["unevaluatedItems"], pointer(ptr, "unevaluatedItems"))
            node.origin["items"] = node.origin["unevaluatedItems"]
        elif "unevaluatedItems" in raw:
            node.unknown["unevaluatedItems"] = raw["unevaluatedItems"]
    if "minItems" in raw:
        node.min_items = int(raw["minItems"])
    if "maxItems" in raw:
        node.max_items = int(raw["maxItems"])
    node.unique = bool(raw.get("uniqueItems", False))
    if "contains" in raw:
        node.contains = build(raw["contains"], pointer(ptr, "contains"))
        node.min_contains = int(raw.get("minContains", 1))
        if "maxContains" in raw:
            node.max_contains = int(raw["maxContains"])


def _objects(builder: Builder, node: Node, raw: dict[str, Any], ptr: str) -> None:
    build = builder.build
    for name, sub in raw.get("properties", {}).items():
        node.properties[name] = build(sub, pointer(ptr, "properties", name))
    for pat, sub in raw.get("patternProperties", {}).items():
        node.pattern_properties[pat] = build(sub, pointer(ptr, "patternProperties", pat))
    if "additionalProperties" in raw:
        node.additional = build(raw["additionalProperties"], pointer(ptr, "additionalProperties"))
    elif "unevaluatedProperties" in raw:
        if any(k in raw for k in _APPLICATORS):
            node.unknown["unevaluatedProperties"] = raw["unevaluatedProperties"]
        else:
            where = pointer(ptr, "unevaluatedProperties")
            node.additional = build(raw["unevaluatedProperties"], where)
            node.origin["additionalProperties"] = where
    if node.additional is not None and node.additional.is_top:
        node.additional = None
    node.required = frozenset(raw.get("required", ()))
    if "minProperties" in raw:
        node.min_props = int(raw["minProperties"])
    if "maxProperties" in raw:
        node.max_props = int(raw["maxProperties"])
    if "propertyNames" in raw:
        names = build(raw["propertyNames"], pointer(ptr, "propertyNames"))
        node.property_names = None if names.is_top else names
    for key, names in raw.get("dependentRequired", {}).items():
        node.dependent_required[key] = frozenset(names)
    for key, sub in raw.get("dependentSchemas", {}).items():
        node.dependent_schemas[key] = build(sub, pointer(ptr, "dependentSchemas", key))
    if "dependencies" in raw:
        node.origin.setdefault("dependentRequired", node.origin["dependencies"])
        node.origin.setdefault("dependentSchemas", node.origin["dependencies"])
    for key, dep in raw.get("dependencies", {}).items():
        if isinstance(dep, list):
            node.dependent_required[key] = frozenset(dep)
        else:
            node.dependent_schemas[key] = build(dep, pointer(ptr, "dependencies", key))
