"""Compat layer: membership of one JSON value in a normalised schema (`Node`).

In: a value and a node. Out: True/False, or `Undecidable` (an unsupported keyword or a
regex Python cannot run). Recursion through $ref is coinductive: a (node, value) pair met
again while it is being checked is assumed to hold, so recursive schemas never loop.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from routinec.compat.node import Node
from routinec.compat.regex import search
from routinec.compat.values import divisible, jkey, json_type, to_dec

__all__ = ["Undecidable", "member", "member3"]


class Undecidable(Exception):
    """Membership depends on something the engine cannot evaluate."""


def member3(value: Any, node: Node) -> bool | None:
    try:
        return member(value, node)
    except (Undecidable, RecursionError):
        return None


def member(value: Any, node: Node, active: set[tuple[int, int]] | None = None) -> bool:
    return _Checker(active if active is not None else set()).check(value, node)


class _Checker:
    def __init__(self, active: set[tuple[int, int]]) -> None:
        self.active = active

    def check(self, value: Any, node: Node) -> bool:
        if node.target is not None:
            if value is None and node.nullable:
                return True
            key = (id(node), id(value))
            if key in self.active:
                return True
            self.active.add(key)
            try:
                return self.check(value, node.target)
            finally:
                self.active.discard(key)
        if node.false:
            return False
        if value is None and node.nullable:
            return True
        key = (id(node), id(value))
        if key in self.active:
            return True
        self.active.add(key)
        try:
            return self._check(value, node)
        finally:
            self.active.discard(key)

    def _check(self, value: Any, node: Node) -> bool:
        if node.unknown:
            raise Undecidable(", ".join(sorted(node.unknown)))
        kind = json_type(value)
        if node.types is not None:
            ok = kind in node.types or (kind == "integer" and "number" in node.types)
            if not ok:
                return False
        if node.enum is not None and jkey(value) not in node.enum_keys():
            return False
        if kind in ("integer", "number") and not self._number(to_dec(value), node):
            return False
        if kind == "string" and not self._string(value, node):
            return False
        if kind == "array" and not self._array(list(value), node):
            return False
        if kind == "object" and not self._object(value, node):
            return False
        return self._applicators(value, node)

    def _applicators(self, value: Any, node: Node) -> bool:
        for conj in node.all_of:
            if not self.check(value, conj):
                return False
        if node.any_of is not None and not any(self.check(value, b) for b in node.any_of):
            return False
        if node.one_of is not None and sum(self.check(value, b) for b in node.one_of) != 1:
            return False
        if node.not_ is not None and self.check(value, node.not_):
            return False
        if node.if_ is not None:
            branch = node.then if self.check(value, node.if_) else node.else_
            if branch is not None and not self.check(value, branch):
                return False
        return True

    @staticmethod
    def _number(num: Decimal, node: Node) -> bool:
        lo, hi = node.minimum, node.maximum
        if lo is not None and (num < lo.value or (lo.exclusive and num == lo.value)):
            return False
        if hi is not None and (num > hi.value or (hi.exclusive and num == hi.value)):
            return False
        if node.multiple_of is not None and node.multiple_of != 0:
            fits = divisible(num, node.multiple_of)
            if fits is None:
                raise Undecidable(f"multipleOf {node.multiple_of} of {num}")
            return fits
        return True

    @staticmethod
    def _string(text: str, node: Node) -> bool:
        if node.min_length is not None and len(text) < node.min_length:
            return False
        if node.max_length is not None and len(text) > node.max_length:
            return False
        if node.pattern is not None:
            hit = search(node.pattern, text)
            if hit is None:
                raise Undecidable(f"pattern {node.pattern!r}")
            return hit
        return True

    def _array(self, items: list[Any], node: Node) -> bool:
        if node.min_items is not None and len(items) < node.min_items:
            return False
        if node.max_items is not None and len(items) > node.max_items:
            return False
        if node.unique and len({jkey(v) for v in items}) != len(items):
            return False
        for i, item in enumerate(items):
            sub = node.prefix[i] if i < len(node.prefix) else node.items
            if sub is not None and not self.check(item, sub):
                return False
        if node.contains is not None:
            hits = sum(1 for item in items if self.check(item, node.contains))
            low = 1 if node.min_contains is None else node.min_contains
            if hits < low or (node.max_contains is not None and hits > node.max_contains):
                return False
        return True

    def _object(self, obj: dict[str, Any], node: Node) -> bool:
        if not node.required <= obj.keys():
            return False
        if node.min_props is not None and len(obj) < node.min_props:
            return False
        if node.max_props is not None and len(obj) > node.max_props:
            return False
        for name, sub in obj.items():
            if node.property_names is not None and not self.check(name, node.property_names):
                return False
            matched = False
            if name in node.properties:
                matched = True
                if not self.check(sub, node.properties[name]):
                    return False
            for pat, pat_node in node.pattern_properties.items():
                hit = search(pat, name)
                if hit is None:
                    raise Undecidable(f"pattern {pat!r}")
                if hit:
                    matched = True
                    if not self.check(sub, pat_node):
                        return False
            if not matched and node.additional is not None and not self.check(sub, node.additional):
                return False
        for key, names in node.dependent_required.items():
            if key in obj and not names <= obj.keys():
                return False
        for key, dep in node.dependent_schemas.items():
            if key in obj and not self.check(obj, dep):
                return False
        return True
