"""Compat layer: boundary-value candidates for a normalised schema, and their embedding.

In: a `Node` (and, for embedding, the trail of parent nodes from the root). Out: a short,
deterministic list of JSON values near the schema's edges (bounds, lengths, enum members,
extra keys, duplicates), meant to be filtered with `member`; never guaranteed valid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from routinec.compat.member import member3
from routinec.compat.node import Node
from routinec.compat.regex import sample_strings
from routinec.compat.values import floor_multiple, jkey

__all__ = ["Step", "embed", "minimal", "samples"]

Step = tuple[str, Any, Node]  # (kind, key, parent node on the sampled side)
_GENERIC: list[Any] = [None, 0, "", True, [], {}]
_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
_FORMATS = {
    "email": "a@example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "date-time": "2020-01-01T00:00:00Z",
    "date": "2020-01-01",
    "time": "00:00:00Z",
    "uri": "https://example.com/",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "hostname": "example.com",
}
_CAP = 24
# the longest string and array a sample may have: memory must not scale with a bound in
# the schema (maxItems 2**31), so boundary values past these are not built at all
MAX_STRING = 1024
MAX_ARRAY = 64


def _num(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else value


def _unique(values: list[Any], cap: int = _CAP) -> list[Any]:
    seen: set[Any] = set()
    out: list[Any] = []
    for value in values:
        try:
            key = jkey(value)
        except TypeError:
            continue
        if key not in seen:
            seen.add(key)
            out.append(value)
            if len(out) >= cap:
                break
    return out


# top-level samples per node: the walk and the search ask for the same nodes many times
_MEMO: WeakKeyDictionary[Node, list[Any]] = WeakKeyDictionary()
_DEPTH = 6


def samples(node: Node, depth: int = _DEPTH, seen: frozenset[int] = frozenset()) -> list[Any]:
    if depth == _DEPTH and not seen:
        cached = _MEMO.get(node)
        if cached is None:
            cached = _MEMO[node] = _samples(node, depth, seen)
        return list(cached)
    return _samples(node, depth, seen)


def _samples(node: Node, depth: int, seen: frozenset[int]) -> list[Any]:
    if id(node) in seen or depth <= 0:
        return list(_GENERIC)
    seen = seen | {id(node)}
    if node.target is not None:
        return samples(node.target, depth, seen)
    if node.false:
        return []
    out: list[Any] = [None] if node.nullable else []
    if node.enum is not None:
        return _unique(out + list(node.enum))
    for branch in (node.any_of or ()) + (node.one_of or ()) + node.all_of[:1]:
        out.extend(samples(branch, depth - 1, seen)[:8])
    for part in (node.if_, node.then, node.else_, node.not_):
        if part is not None:
            out.extend(samples(part, depth - 1, seen)[:4])
    types = node.types if node.types is not None else frozenset(_ORDER)
    for kind in _ORDER:
        if kind in types or (kind == "integer" and "number" in types):
            out.extend(_by_type(kind, node, depth, seen))
    return _unique(out)


def _by_type(kind: str, node: Node, depth: int, seen: frozenset[int]) -> list[Any]:
    if kind == "null":
        return [None]
    if kind == "boolean":
        return [True, False]
    if kind in ("integer", "number"):
        return _numbers(node, kind == "integer")
    if kind == "string":
        return _strings(node)
    if kind == "array":
        return _arrays(node, depth, seen)
    return _objects(node, depth, seen)


def _numbers(node: Node, integer: bool) -> list[Any]:
    one = Decimal(1)
    step = node.multiple_of if node.multiple_of else one
    lo = node.minimum.value if node.minimum is not None else None
    hi = node.maximum.value if node.maximum is not None else None
    out: list[Decimal] = []
    if lo is not None:
        start = floor_multiple(lo, step)
        if start is not None:
            out += [start + step * k for k in range(0, 4)]
        out += [lo - one]
    if hi is not None:
        end = floor_multiple(hi, step)
        if end is not None:
            out += [end, end - step]
        out += [hi + one, hi]
    out += [Decimal(0), step, one, -one, step * 2, step * 3, Decimal(2), Decimal(3)]
    if not integer:
        half = Decimal("0.5")
        out += [half, Decimal("1.5"), -half]
        if lo is not None:
            out += [lo, lo + half]
        if hi is not None:
            out += [hi - half]
    return [_num(v) for v in out if not integer or v == v.to_integral_value()]


def _strings(node: Node) -> list[Any]:
    low = node.min_length or 0
    lengths = [low, low + 1, max(low - 1, 0)]
    if node.max_length is not None:
        lengths += [node.max_length, node.max_length + 1]
    out: list[Any] = []
    if node.pattern is not None:
        for text in sample_strings(node.pattern):
            out.append(text)
            if len(text) < low <= MAX_STRING:
                out.append(text + "a" * (low - len(text)))
    if node.format in _FORMATS:
        out.append(_FORMATS[node.format])
    out += ["a" * n for n in lengths if n <= MAX_STRING] + ["x1", "A", "0"]
    # strings most patterns reject: line breaks and punctuation, at the boundary lengths
    edge = min(max(low, 1), MAX_STRING)
    out += ["\n" * edge, "-" * edge, " " * edge]
    return out


def _first_valid(node: Node, depth: int, seen: frozenset[int]) -> list[Any]:
    found = [v for v in samples(node, depth - 1, seen) if member3(v, node)]
    return found


def _arrays(node: Node, depth: int, seen: frozenset[int]) -> list[Any]:
    head = [(_first_valid(sub, depth, seen) or [None])[0] for sub in node.prefix]
    tail_node = node.items
    tail = _first_valid(tail_node, depth, seen)[:4] if tail_node is not None else [0, "a"]
    out: list[Any] = [list(head)]
    for i, sub in enumerate(node.prefix):
        for alt in _first_valid(sub, depth, seen)[:3]:
            out.append([*head[:i], alt, *head[i + 1 :]])
    for value in tail:
        out.append([*head, value])
        out.append([*head, value, value])
    if node.contains is not None:
        for value in _first_valid(node.contains, depth, seen)[:3]:
            out.append([*head, value])
            out.append([*head, value, value, value])
    low = node.min_items or 0
    filler = tail or [0]
    for size in (low, node.max_items, (node.max_items or 0) + 1):
        if size is not None and len(head) < size <= MAX_ARRAY:
            body = [filler[i % len(filler)] for i in range(size - len(head))]
            out.append(head + body)
    return out


def _objects(node: Node, depth: int, seen: frozenset[int]) -> list[Any]:
    valid: dict[str, list[Any]] = {}
    names = sorted(node.properties)
    for name in names[:16] + sorted(node.required - set(names[:16])):
        sub = node.properties.get(name)
        valid[name] = _first_valid(sub, depth, seen)[:4] if sub is not None else [0, "a"]
    base = {n: valid[n][0] for n in sorted(node.required) if valid.get(n)}
    out: list[Any] = [dict(base)]
    full = dict(base)
    for name in names[:16]:
        if valid[name]:
            full[name] = valid[name][0]
            for alt in valid[name][:3]:
                out.append({**base, name: alt})
    spare = samples(node.additional, depth - 1, seen) if node.additional else list(_GENERIC)
    for name in names[:8]:
        # a declared property with a value its schema rejects (another schema may take it)
        sub = node.properties[name]
        pool = samples(sub, depth - 1, seen)[:8] + spare[:12]
        wrong = [v for v in pool if member3(v, sub) is False]
        for alt in wrong[:3]:
            out.append({**base, name: alt})
    out.append(full)
    for name in sorted(node.required)[:16]:
        out.append({k: v for k, v in full.items() if k != name})
    extra = _first_valid(node.additional, depth, seen)[:2] if node.additional else [0, "a"]
    for value in extra:
        out.append({**base, "extra": value})
    for pat, sub in sorted(node.pattern_properties.items()):
        for key in sample_strings(pat, 3):
            for value in [*_first_valid(sub, depth, seen)[:2], 0, "a"]:
                out.append({**base, key: value})
    for key, deps in sorted(node.dependent_required.items()):
        value = (valid.get(key) or [0])[0]
        out.append({**base, key: value})
        out.append({**base, key: value, **{d: (valid.get(d) or [0])[0] for d in sorted(deps)}})
    for key in sorted(node.dependent_schemas):
        out.append({**base, key: (valid.get(key) or [0])[0]})
    return out


def minimal(node: Node, depth: int = 8) -> Any:
    """One small value of `node`: required properties only, the shortest arrays."""
    node = node.resolved()
    if depth <= 0:
        return None
    if (
        node.enum is None
        and (node.types is None or "object" in node.types)
        and (node.required or node.properties)
    ):
        out: dict[str, Any] = {}
        for name in sorted(node.required):
            sub = node.properties.get(name)
            out[name] = minimal(sub, depth - 1) if sub is not None else 0
        return out
    if node.enum is None and node.types == frozenset({"array"}):
        if (node.min_items or 0) > MAX_ARRAY:
            return None
        item = minimal(node.items, depth - 1) if node.items is not None else 0
        return [item] * (node.min_items or 0)
    found = [v for v in samples(node, 2) if member3(v, node)]
    return found[0] if found else None


def embed(trail: tuple[Step, ...], value: Any) -> Any:
    """Place `value` at the end of `trail` inside a minimal document of the outer schemas."""
    for kind, key, parent in reversed(trail):
        parent = parent.resolved()
        if kind == "branch":
            continue
        if kind in ("prop", "additional", "pattern"):
            if kind == "pattern":
                names = sample_strings(key, 1)
                if not names:
                    return None
                key = names[0]
            elif kind == "additional":
                key = "extra"
            base = minimal(parent)
            value = {**(base if isinstance(base, dict) else {}), key: value}
        elif kind in ("item", "contains", "prefix"):
            head: list[Any] = []
            if kind == "prefix":
                for sub in parent.prefix[:key]:
                    got = _first_valid(sub, 3, frozenset())
                    head.append(got[0] if got else None)
            body = [*head, value]
            if (parent.min_items or 0) > MAX_ARRAY:
                return None
            while len(body) < (parent.min_items or 0):
                body.append(value)
            value = body
        else:
            return None
    return value
