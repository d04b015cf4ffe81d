"""Compat layer: normalisation of a JSON Schema into `Node`s, the engine's canonical form.

In: a checked schema value. Out: a graph of `Node`s (shared for $ref targets, so recursion
is a cycle), with annotations dropped, type arrays and nullable forms canonicalised, allOf
merged where exact, and every keyword the engine does not understand kept in `unknown`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from routinec.compat.errors import SchemaError
from routinec.compat.values import is_integral, jkey, to_dec

__all__ = ["ALL_TYPES", "BOTTOM", "TOP", "Bound", "Node", "normalise", "pointer"]

ALL_TYPES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "examples",
        "$comment",
        "readOnly",
        "writeOnly",
        "$id",
        "$schema",
        "$defs",
        "definitions",
        "$anchor",
        "discriminator",
        "contentSchema",
        "$vocabulary",
    }
)
STRUCTURAL = frozenset(
    {
        "type",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "contentEncoding",
        "contentMediaType",
        "prefixItems",
        "items",
        "additionalItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "minContains",
        "maxContains",
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "$ref",
        "default",
        "deprecated",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)
NUMERIC = frozenset({"integer", "number"})


@dataclass(frozen=True)
class Bound:
    value: Decimal
    exclusive: bool = False


@dataclass(eq=False)
class Node:
    """One normalised schema. `target` set: this node is an alias (a lone $ref)."""

    ptr: str
    raw: Any = None
    origin: dict[str, str] = field(default_factory=dict)
    target: Node | None = None
    false: bool = False
    types: frozenset[str] | None = None
    nullable: bool = False
    enum: tuple[Any, ...] | None = None
    const: bool = False
    minimum: Bound | None = None
    maximum: Bound | None = None
    multiple_of: Decimal | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    content: tuple[tuple[str, Any], ...] = ()
    prefix: tuple[Node, ...] = ()
    items: Node | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique: bool = False
    contains: Node | None = None
    min_contains: int | None = None
    max_contains: int | None = None
    properties: dict[str, Node] = field(default_factory=dict)
    pattern_properties: dict[str, Node] = field(default_factory=dict)
    additional: Node | None = None
    required: frozenset[str] = frozenset()
    min_props: int | None = None
    max_props: int | None = None
    property_names: Node | None = None
    dependent_required: dict[str, frozenset[str]] = field(default_factory=dict)
    dependent_schemas: dict[str, Node] = field(default_factory=dict)
    any_of: tuple[Node, ...] | None = None
    one_of: tuple[Node, ...] | None = None
    all_of: tuple[Node, ...] = ()
    not_: Node | None = None
    if_: Node | None = None
    then: Node | None = None
    else_: Node | None = None
    unknown: dict[str, Any] = field(default_factory=dict)
    default: tuple[Any, ...] = ()  # () = no default, (value,) = has one
    deprecated: bool = False
    extensible_enum: bool = False
    # jkeys of `enum`, built on first use (membership is then O(1), not a scan)
    _enum_keys: tuple[Any, frozenset[Any]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def enum_keys(self) -> frozenset[Any]:
        """The `jkey` of every enum value (empty without an enum)."""
        cached = self._enum_keys
        if cached is None or cached[0] is not self.enum:
            cached = (self.enum, frozenset(jkey(v) for v in self.enum or ()))
            self._enum_keys = cached
        return cached[1]

    def resolved(self) -> Node:
        node = self
        while node.target is not None:
            node = node.target
        return node

    def at(self, keyword: str) -> str:
        return self.origin.get(keyword, self.ptr + "/" + escape(keyword))

    @property
    def is_top(self) -> bool:
        node = self.resolved()
        return not node.false and not node.all_of and _is_empty(node)


TOP = Node(ptr="#", raw=True)
BOTTOM = Node(ptr="#", raw=False, false=True)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(base: str, *tokens: str | int) -> str:
    return base + "".join("/" + escape(str(t)) for t in tokens)


def _lookup(root: Any, ref: str, label: str) -> tuple[Any, str]:
    if not ref.startswith("#"):
        raise SchemaError(
            f"{label}: $ref {ref!r} points outside the document",
            "only local references (#/$defs/...) are supported; bundle the schema first",
        )
    ptr = unquote(ref[1:])
    value = root
    if ptr:
        for token in ptr.split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                raise SchemaError(
                    f"{label}: unresolvable $ref {ref!r}", "define the target under $defs"
                )
    if not isinstance(value, dict | bool):
        raise SchemaError(f"{label}: $ref {ref!r} does not point at a schema", "fix the pointer")
    canonical = (
        "#"
        + "".join("/" + escape(t.replace("~1", "/").replace("~0", "~")) for t in ptr.split("/")[1:])
        if ptr
        else "#"
    )
    return value, canonical


def _tighter_min(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return a or b
    if a.value != b.value:
        return a if a.value > b.value else b
    return a if a.exclusive else b


def _tighter_max(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return a or b
    if a.value != b.value:
        return a if a.value < b.value else b
    return a if a.exclusive else b


def _min_int(a: int | None, b: int | None, *, larger: bool) -> int | None:
    if a is None or b is None:
        return a if b is None else b
    return max(a, b) if larger else min(a, b)


class Builder:
    def __init__(self, root: Any, label: str) -> None:
        self.root = root
        self.label = label
        self.cache: dict[str, Node] = {}
        self.done: set[int] = set()

    def ref(self, ref: str, site: str = "#") -> Node:
        if not ref.startswith("#"):
            # remote (http, https, urn) or another file: never fetched, never opened; the
            # node is opaque, and the walk reports it as `ref-unresolved`
            node = self.cache.get(f"ref:{ref}@{site}")
            if node is None:
                node = Node(ptr=site, raw={"$ref": ref}, unknown={"$ref": ref})
                self.cache[f"ref:{ref}@{site}"] = node
                self.done.add(id(node))
            return node
        raw, ptr = _lookup(self.root, ref, self.label)
        return self.build(raw, ptr)

    def build(self, raw: Any, ptr: str) -> Node:
        cached = self.cache.get(ptr)
        if cached is not None:
            return cached
        if raw is True:
            node = Node(ptr=ptr, raw=True)
        elif raw is False:
            node = Node(ptr=ptr, raw=False, false=True)
        else:
            node = Node(ptr=ptr, raw=raw)
            self.cache[ptr] = node
            self._fill(node, raw, ptr)
        self.cache[ptr] = node
        self.done.add(id(node))
        return node

    def _child(self, raw: Any, ptr: str, *tokens: str | int) -> Node:
        return self.build(raw, pointer(ptr, *tokens))

    def _fill(self, node: Node, raw: dict[str, Any], ptr: str) -> None:
        from routinec.compat.parse import parse_keywords

        conjuncts: list[Node] = []
        if "$ref" in raw:
            target = self.ref(raw["$ref"], ptr)
            rest = set(raw) - ANNOTATIONS - {"$ref", "default", "deprecated"}
            rest = {k for k in rest if not k.startswith("x-")}
            if not rest:
                node.target = target
                if "default" in raw:
                    node.default = (raw["default"],)
                return
            conjuncts.append(target)
        parse_keywords(self, node, raw, ptr)
        for i, sub in enumerate(raw.get("allOf", ())):
            conjuncts.append(self._child(sub, ptr, "allOf", i))
        if node.any_of is not None and len(node.any_of) == 1:
            conjuncts.append(node.any_of[0])
            node.any_of = None
        kept: list[Node] = []
        for conj in conjuncts:
            if conj.is_top and conj.target is None:
                continue
            if conj.false:
                node.false = True
                continue
            if not self._merge(node, conj):
                kept.append(conj)
        node.all_of = tuple(kept)
        if len(kept) == 1 and _is_empty(node):
            node.target = kept[0]
            node.all_of = ()
        tidy(node)

    def _merge(self, node: Node, other: Node) -> bool:
        """Fold conjunct `other` into `node` when the conjunction is exact; else False."""
        if other.target is not None or id(other) not in self.done or other.nullable:
            return False
        if other.unknown or other.all_of or other.not_ is not None or other.if_ is not None:
            return False
        if (other.any_of is not None and node.any_of is not None) or (
            other.one_of is not None and node.one_of is not None
        ):
            return False
        simple = ("pattern", "format", "multiple_of", "property_names", "contains", "items")
        for name in simple:
            mine, theirs = getattr(node, name), getattr(other, name)
            if mine is not None and theirs is not None and mine != theirs:
                return False
        if node.prefix and other.prefix and node.prefix != other.prefix:
            return False
        for name, sub in other.properties.items():
            if name in node.properties and node.properties[name] is not sub:
                return False
        if set(node.pattern_properties) & set(other.pattern_properties):
            return False
        if other.additional is not None and node.additional is not None:
            return False
        if (other.additional is not None and node.properties) or (
            node.additional is not None and other.properties
        ):
            return False
        if other.dependent_schemas and node.dependent_schemas:
            return False
        if node.types is None or other.types is None:
            node.types = node.types if other.types is None else other.types
        else:
            node.types = _meet_types(node.types, other.types)
        if other.enum is not None:
            if node.enum is None:
                node.enum, node.const = other.enum, other.const
            else:
                theirs = other.enum_keys()
                node.enum = tuple(v for v in node.enum if jkey(v) in theirs)
                node.const = node.const and other.const
        node.minimum = _tighter_min(node.minimum, other.minimum)
        node.maximum = _tighter_max(node.maximum, other.maximum)
        for name in simple:
            if getattr(node, name) is None:
                setattr(node, name, getattr(other, name))
        node.prefix = node.prefix or other.prefix
        node.content = node.content or other.content
        node.min_length = _min_int(node.min_length, other.min_length, larger=True)
        node.max_length = _min_int(node.max_length, other.max_length, larger=False)
        node.min_items = _min_int(node.min_items, other.min_items, larger=True)
        node.max_items = _min_int(node.max_items, other.max_items, larger=False)
        node.min_props = _min_int(node.min_props, other.min_props, larger=True)
        node.max_props = _min_int(node.max_props, other.max_props, larger=False)
        node.min_contains = _min_int(node.min_contains, other.min_contains, larger=True)
        node.max_contains = _min_int(node.max_contains, other.max_contains, larger=False)
        node.unique = node.unique or other.unique
        node.properties = {**node.properties, **other.properties}
        node.pattern_properties = {**node.pattern_properties, **other.pattern_properties}
        node.additional = node.additional or other.additional
        node.required = node.required | other.required
        for key, names in other.dependent_required.items():
            node.dependent_required[key] = node.dependent_required.get(key, frozenset()) | names
        node.dependent_schemas = node.dependent_schemas or other.dependent_schemas
        node.any_of = node.any_of if other.any_of is None else other.any_of
        node.one_of = node.one_of if other.one_of is None else other.one_of
        for key, where in other.origin.items():
            node.origin.setdefault(key, where)
        return True


def _meet_types(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    out = a & b
    if ("integer" in a and "number" in b) or ("integer" in b and "number" in a):
        out |= {"integer"}
    if "number" in out:
        out -= {"integer"}
    return frozenset(out)


def _is_empty(node: Node) -> bool:
    """True when the node itself constrains nothing (its allOf aside)."""
    probe = Node(ptr=node.ptr)
    for name in (
        "types",
        "enum",
        "minimum",
        "maximum",
        "multiple_of",
        "min_length",
        "max_length",
        "pattern",
        "format",
        "items",
        "min_items",
        "max_items",
        "contains",
        "additional",
        "min_props",
        "max_props",
        "property_names",
        "any_of",
        "one_of",
        "not_",
        "if_",
    ):
        if getattr(node, name) != getattr(probe, name):
            return False
    return not (
        node.false
        or node.nullable
        or node.prefix
        or node.unique
        or node.properties
        or node.pattern_properties
        or node.required
        or node.dependent_required
        or node.dependent_schemas
        or node.unknown
        or node.content
    )


def tidy(node: Node) -> None:
    """Canonical forms: drop keywords that cannot matter, fold integral numbers into integer."""
    types = node.types
    if types is not None and "number" in types and node.enum is None:
        lo, hi = node.minimum, node.maximum
        integral_mo = node.multiple_of is not None and is_integral(node.multiple_of)
        singleton = (
            lo is not None
            and hi is not None
            and lo.value == hi.value
            and not lo.exclusive
            and not hi.exclusive
            and is_integral(lo.value)
        )
        if integral_mo or singleton:
            types = node.types = (types - {"number"}) | {"integer"}
    if types is not None and "integer" in types and "number" not in types:
        if node.minimum is not None:
            lo_v = node.minimum.value
            fraction = lo_v != lo_v.to_integral_value()
            low = math.floor(lo_v) + 1 if node.minimum.exclusive or fraction else int(lo_v)
            node.minimum = Bound(Decimal(low))
        if node.maximum is not None:
            hi_v = node.maximum.value
            fraction = hi_v != hi_v.to_integral_value()
            high = math.ceil(hi_v) - 1 if node.maximum.exclusive or fraction else int(hi_v)
            node.maximum = Bound(Decimal(high))
        if node.multiple_of is not None and node.multiple_of == 1:
            node.multiple_of = None
    if types is not None:
        if not types & NUMERIC:
            node.minimum = node.maximum = node.multiple_of = None
        if "string" not in types:
            node.min_length = node.max_length = node.pattern = None
            node.content = ()
        if "array" not in types:
            node.prefix, node.items, node.contains = (), None, None
            node.min_items = node.max_items = node.min_contains = node.max_contains = None
            node.unique = False
        if "object" not in types:
            node.properties, node.pattern_properties, node.additional = {}, {}, None
            node.required, node.property_names = frozenset(), None
            node.min_props = node.max_props = None
            node.dependent_required, node.dependent_schemas = {}, {}
    if node.min_length == 0:
        node.min_length = None
    if node.min_items == 0:
        node.min_items = None
    if node.min_props is not None and node.min_props <= len(node.required):
        node.min_props = None
    if node.contains is None:
        node.min_contains = node.max_contains = None
    elif node.min_contains == 1:
        node.min_contains = None
    if node.items is not None and node.items.false:
        cap = len(node.prefix)
        if node.max_items is None or cap < node.max_items:
            # the bound is `items: false`'s: findings about it point there
            node.origin["maxItems"] = node.origin.get("items", node.items.ptr)
        node.max_items = cap if node.max_items is None else min(cap, node.max_items)
    if node.additional is not None and node.additional.false and not node.pattern_properties:
        cap = sum(1 for sub in node.properties.values() if not sub.false)
        if node.max_props is not None and node.max_props >= cap:
            node.max_props = None
    if node.enum is not None:
        seen: dict[Any, Any] = {}
        for value in node.enum:
            seen.setdefault(jkey(value), value)
        node.enum = tuple(seen.values())


def to_bound(value: Any) -> Bound:
    return Bound(to_dec(value))


def normalise(schema: Any, label: str) -> Node:
    """Build the root node; a $ref chain that never reaches a schema is a SchemaError."""
    builder = Builder(schema, label)
    try:
        root = builder.build(schema, "#")
    except RecursionError:
        raise SchemaError(f"{label}: schema nested too deeply", "flatten it with $defs") from None
    for node in list(builder.cache.values()):
        seen: set[int] = set()
        current: Node | None = node
        while current is not None and current.target is not None:
            if id(current) in seen:
                raise SchemaError(
                    f"{label}: $ref cycle at {node.ptr} never reaches a schema",
                    "each $ref chain must end in a schema with keywords of its own",
                )
            seen.add(id(current))
            current = current.target
    return root
