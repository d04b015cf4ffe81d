"""Compat layer: rules for anyOf/oneOf/allOf/not/if-then-else during the walk.

In: the walker and an (old, new) pair of core nodes. Out: findings for branch changes, with
branches paired old↔new by identity, then type signature, then inclusion. A shape the rules
cannot split becomes `schema-changed` with undecided facts, for the counterexample search.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from routinec.compat.member import member3
from routinec.compat.node import ALL_TYPES, BOTTOM, Node, _is_empty
from routinec.compat.parse import _signature
from routinec.compat.sample import samples

if TYPE_CHECKING:
    from routinec.compat.walk import Walker

__all__ = ["compare", "opaque"]


def _bare(node: Node) -> bool:
    return _is_empty(dataclasses.replace(node, any_of=None, one_of=None, nullable=False))


def _same(w: Walker, a: Node, b: Node) -> bool:
    if a is b or a.resolved() is b.resolved():
        return True
    if a.target is not None and b.target is not None and a.resolved().ptr == b.resolved().ptr:
        return w.state.same_defs
    return w.state.same_defs and isinstance(a.raw, dict) and a.raw == b.raw


def _hit(accept: Node, test: Node, want: bool) -> bool:
    """Is there a sampled value of `accept` whose membership in `test` is `want`?"""
    for value in samples(accept) + samples(test):
        if member3(value, accept) is True and member3(value, test) is want:
            return True
    return False


def opaque(w: Walker, o: Node, n: Node, why: str) -> None:
    a = False if _hit(o, n, False) else None
    b = False if _hit(n, o, False) else None
    w.emit("schema-changed", n.ptr, a, b, f"{why}; checked by search", local=(o, n))


def negation(w: Walker, node: Node) -> Node | None:
    """X when `node` is exactly `not X` (a lone `not`, or a type set with an exact complement).

    The complement of a type set is kept on the walk state: the memo is keyed by identity.
    """
    node = node.resolved()
    if node.false or node.all_of or node.enum is not None:
        return None
    if node.not_ is not None:
        rest = dataclasses.replace(node, not_=None)
        return node.not_ if _is_empty(rest) else None
    if node.types is None or not _is_empty(dataclasses.replace(node, types=None)):
        return None
    types = set(node.types) | ({"integer"} if "number" in node.types else set())
    if "integer" in types and "number" not in types:
        return None  # "all numbers but non-integers" is no type set
    cached = w.state.pieces.get(id(node))
    if cached is None or cached[0] is not node:
        banned = ALL_TYPES - types
        inner = Node(
            ptr=node.ptr, types=frozenset(banned - {"integer"} if "number" in banned else banned)
        )
        cached = (node, (BOTTOM if not banned else inner,))
        w.state.pieces[id(node)] = cached
    return cached[1][0]


def _complements(w: Walker, o: Node, n: Node) -> bool:
    """not(A) vs not(B): V(not A) ⊆ V(not B) exactly when V(B) ⊆ V(A). False if not that shape."""
    inner_o, inner_n = negation(w, o), negation(w, n)
    if inner_o is None or inner_n is None:
        return False
    a, b = w.subset(inner_n, inner_o), w.subset(inner_o, inner_n)
    if a is True and b is True:
        return True
    where = n.at("not") if "not" in n.origin or n.not_ is not None else n.at("type")
    change = "fewer" if a is True else "more" if b is True else "other"
    w.emit(
        "not-changed",
        where,
        a,
        b,
        f"the schema inside `not` changed: it now excludes {change} values",
        local=(o, n),
    )
    return True


def compare(w: Walker, o: Node, n: Node) -> bool:
    """Emit combinator findings; True when nothing else about the pair is left to compare."""
    if o.not_ is not None or n.not_ is not None:
        if _complements(w, o, n):
            return True
        _not(w, o, n)
    if o.if_ is not None or n.if_ is not None:
        _cond(w, o, n)
    if o.all_of or n.all_of:
        _all_of(w, o, n)
    if o.one_of is not None or n.one_of is not None:
        return _one_of(w, o, n)
    if o.any_of is None and n.any_of is None:
        return False
    if o.any_of is not None and n.any_of is not None:
        _match(w, o, n, o.any_of, n.any_of, "any-of")
        return _bare(o) and _bare(n)
    if n.any_of is not None and _bare(n):
        pieces = split_types(w, o)
        _match(w, o, n, pieces or (o,), n.any_of, "any-of" if pieces else "wrap")
        return True
    if o.any_of is not None and _bare(o):
        pieces = split_types(w, n)
        _match(w, o, n, o.any_of, pieces or (n,), "any-of" if pieces else "unwrap")
        return True
    opaque(w, o, n, "a union and a non-union schema with further constraints")
    return True


def split_types(w: Walker, node: Node) -> tuple[Node, ...] | None:
    """`type: [A, B, ...]` as the union of one node per type (exact), or None if not one.

    The pieces are kept on the walk state: the inclusion memo is keyed by node identity.
    """
    node = node.resolved()
    if node.types is None or node.enum is not None or node.false:
        return None
    if node.any_of is not None or node.one_of is not None or node.all_of:
        return None
    if node.not_ is not None or node.if_ is not None:
        return None
    kinds = sorted(node.types - {"null"})
    if len(kinds) < 2:
        return None
    cached = w.state.pieces.get(id(node))
    if cached is None or cached[0] is not node:
        pieces = tuple(
            dataclasses.replace(
                node,
                types=frozenset({kind}),
                nullable=False,
                raw={**node.raw, "type": kind} if isinstance(node.raw, dict) else node.raw,
            )
            for kind in kinds
        )
        cached = (node, pieces)
        w.state.pieces[id(node)] = cached
    return cached[1]


def _match(
    w: Walker, o: Node, n: Node, old: tuple[Node, ...], new: tuple[Node, ...], mode: str
) -> None:
    free_old = list(range(len(old)))
    free_new: list[int] = []
    for j, b in enumerate(new):
        hit = next((i for i in free_old if _same(w, old[i], b)), None)
        if hit is None:
            free_new.append(j)
        else:
            free_old.remove(hit)
    pairs: list[tuple[int, int]] = []
    for j in list(free_new):
        sig = _signature(new[j])
        hit = next((i for i in free_old if sig is not None and _signature(old[i]) == sig), None)
        if hit is not None:
            free_old.remove(hit)
            free_new.remove(j)
            pairs.append((hit, j))
    for i in list(free_old):
        hit = next(
            (
                j
                for j in free_new
                if w.subset(old[i], new[j]) is True or w.subset(new[j], old[i]) is True
            ),
            None,
        )
        if hit is not None:
            free_old.remove(i)
            free_new.remove(hit)
            pairs.append((i, hit))
    for i, j in pairs:
        w.child("branch", j, o, n, old[i], new[j])
    added = {
        "any-of": "any-of-branch-added",
        "wrap": "wrapped-in-union",
        "unwrap": "schema-changed",
    }[mode]
    removed = {
        "any-of": "any-of-branch-removed",
        "wrap": "schema-changed",
        "unwrap": "unwrapped-from-union",
    }[mode]
    for j in free_new:
        fact = _covered(w, new[j], old, o)
        w.emit(added, new[j].ptr, True, fact, "a union branch was added", local=(o, n))
    for i in free_old:
        fact = _covered(w, old[i], new, n)
        w.emit(
            removed, old[i].ptr, fact, True, "a union branch was removed", side="old", local=(o, n)
        )


def _covered(w: Walker, branch: Node, others: tuple[Node, ...], whole: Node) -> bool | None:
    """Is `branch` inside one of `others`? False only with a sampled value as proof."""
    if any(w.subset(branch, other) is True for other in others):
        return True
    return _decide(branch, whole)


def _decide(accept: Node, other: Node) -> bool | None:
    return False if _hit(accept, other, False) else None


def _one_of(w: Walker, o: Node, n: Node) -> bool:
    ob = o.one_of if o.one_of is not None else o.any_of
    nb = n.one_of if n.one_of is not None else n.any_of
    if ob is None or nb is None:
        opaque(w, o, n, "oneOf was added or removed")
        return True
    same = len(ob) == len(nb) and all(_same(w, a, b) for a, b in zip(ob, nb, strict=True))
    if same and o.one_of is not None and n.one_of is not None:
        return _bare(o) and _bare(n)
    if same:
        to_any = o.one_of is not None
        rid = "one-of-to-any-of" if to_any else "any-of-to-one-of"
        w.emit(
            rid,
            n.ptr,
            True if to_any else _decide(o, n),
            _decide(n, o) if to_any else True,
            rid.replace("-", " "),
            local=(o, n),
        )
        return _bare(o) and _bare(n)
    old_left = [a for a in ob if not any(_same(w, a, b) for b in nb)]
    new_left = [b for b in nb if not any(_same(w, a, b) for a in ob)]
    if o.one_of is not None and n.one_of is not None and not (old_left and new_left):
        for b in new_left:
            w.emit(
                "one-of-branch-added",
                b.ptr,
                _decide(o, n),
                _decide(n, o),
                "a oneOf branch was added (values matching two branches become invalid)",
                local=(o, n),
            )
        for a in old_left:
            w.emit(
                "one-of-branch-removed",
                a.ptr,
                _decide(o, n),
                _decide(n, o),
                "a oneOf branch was removed",
                side="old",
                local=(o, n),
            )
        return _bare(o) and _bare(n)
    opaque(w, o, n, "oneOf branches changed")
    return True


def _not(w: Walker, o: Node, n: Node) -> None:
    if o.not_ is not None and n.not_ is not None:
        if _same(w, o.not_, n.not_):
            return
        a, b = w.subset(n.not_, o.not_), w.subset(o.not_, n.not_)
        if a is True and b is True:
            return
        w.emit("not-changed", n.at("not"), a, b, "the schema inside `not` changed", local=(o, n))
    elif n.not_ is not None:
        a = False if _hit(o, n.not_, True) else None
        w.emit("not-added", n.at("not"), a, True, "`not` added", local=(o, n))
    elif o.not_ is not None:
        b = False if _hit(n, o.not_, True) else None
        w.emit("not-removed", o.at("not"), True, b, "`not` removed", side="old", local=(o, n))


def _cond(w: Walker, o: Node, n: Node) -> None:
    parts_o, parts_n = (o.if_, o.then, o.else_), (n.if_, n.then, n.else_)
    if all(
        (x is None and y is None) or (x is not None and y is not None and _same(w, x, y))
        for x, y in zip(parts_o, parts_n, strict=True)
    ):
        return
    if o.if_ is None:
        w.emit(
            "if-then-else-added",
            n.at("if"),
            _decide(o, n),
            True,
            "if/then/else added",
            local=(o, n),
        )
    elif n.if_ is None:
        w.emit(
            "if-then-else-removed",
            o.at("if"),
            True,
            _decide(n, o),
            "if/then/else removed",
            side="old",
            local=(o, n),
        )
    else:
        w.emit(
            "if-then-else-changed",
            n.at("if"),
            _decide(o, n),
            _decide(n, o),
            "if/then/else changed",
            local=(o, n),
        )


def _all_of(w: Walker, o: Node, n: Node) -> None:
    free = list(o.all_of)
    added: list[Node] = []
    for b in n.all_of:
        hit = next((a for a in free if _same(w, a, b)), None)
        if hit is None and len(o.all_of) == len(n.all_of):
            hit = free[0] if free else None
            if hit is not None:
                w.child("allOf", 0, o, n, hit, b)
        if hit is None:
            added.append(b)
        else:
            free.remove(hit)
    for b in added:
        w.emit(
            "all-of-conjunct-added",
            b.ptr,
            w.subset(o, b),
            True,
            "an allOf conjunct was added",
            local=(o, n),
        )
    for a in free:
        w.emit(
            "all-of-conjunct-removed",
            a.ptr,
            True,
            w.subset(n, a),
            "an allOf conjunct was removed",
            side="old",
            local=(o, n),
        )
