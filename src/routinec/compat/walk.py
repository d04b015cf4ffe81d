"""Compat layer: the structural walk over an (old, new) pair of normalised schemas.

In: two root `Node`s and a `Context`. Out: `Finding`s, one per atomic difference, each with
the value-set facts old ⊆ new / new ⊆ old (None: undecided). Pairs are memoised, so recursive
schemas are compared coinductively; `subset()` reuses a quiet walk as an inclusion oracle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from routinec.compat.member import member3
from routinec.compat.node import ALL_TYPES, TOP, Node, _is_empty
from routinec.compat.report import Finding, Level
from routinec.compat.rules import Context, rule
from routinec.compat.sample import samples
from routinec.compat.values import jkey

__all__ = ["Pass", "State", "Walker", "core", "enums", "types", "unknown_keywords", "witness"]


def core(node: Node) -> Node:
    """The node without its alias layers and a lone allOf wrapper."""
    node = node.resolved()
    seen: set[int] = set()
    while len(node.all_of) == 1 and id(node) not in seen:
        seen.add(id(node))
        if not _is_empty(dataclasses.replace(node, nullable=False, all_of=())):
            break
        node = node.all_of[0].resolved()
    return node


def witness(accept: Node, reject: Node) -> Any:
    """A sampled value in `accept` and not in `reject` (both by the engine's validator)."""
    for value in samples(accept) + samples(reject):
        if member3(value, accept) is True and member3(value, reject) is False:
            return value
    return None


# one comparison pass over a core node pair; True when nothing is left to compare after it
Pass = Callable[["Walker", Node, Node], bool]


class State:
    """Shared across a compare: the context, the passes, the inclusion memo and its stack.

    The passes come from the engine (`engine.PASSES`), so this module never imports the
    rule modules that import it back.
    """

    def __init__(self, ctx: Context, same_defs: bool, passes: tuple[Pass, ...]) -> None:
        self.ctx = ctx
        self.passes = passes
        self.same_defs = same_defs
        self.memo: dict[tuple[int, int], bool | None] = {}
        self.pending: set[tuple[int, int]] = set()
        # per-type pieces of `type: [A, B]` nodes (combinators.split_types), kept alive here
        self.pieces: dict[int, tuple[Node, tuple[Node, ...]]] = {}

    def subset(self, a: Node | None, b: Node | None) -> bool | None:
        """Is V(a) ⊆ V(b)? None for a missing schema means `{}`."""
        a, b = a or TOP, b or TOP
        if a is b or b.is_top or a.resolved().false:
            return True
        key = (id(a), id(b))
        if key in self.memo:
            return self.memo[key]
        if key in self.pending:
            return None
        self.pending.add(key)
        try:
            walker = Walker(self, quiet=True)
            walker.diff(b, a)
            facts = [f.new_in_old for f in walker.findings]
            result: bool | None = True
            if any(f is False for f in facts):
                result = False
            elif any(f is None for f in facts):
                result = None
        finally:
            self.pending.discard(key)
        self.memo[key] = result
        return result


class Walker:
    def __init__(self, state: State, *, quiet: bool = False) -> None:
        self.state = state
        self.ctx = state.ctx
        self.quiet = quiet
        self.findings: list[Finding] = []
        self.seen: set[tuple[int, int]] = set()
        self.trail: list[tuple[tuple[str, Any, Node], tuple[str, Any, Node]]] = []

    # -- emitting -------------------------------------------------------------------------
    def emit(
        self,
        rule_id: str,
        path: str,
        old_in_new: bool | None,
        new_in_old: bool | None,
        message: str,
        *,
        old: Any = None,
        new: Any = None,
        side: str = "new",
        local: tuple[Node | None, Node | None] | None = None,
        out: Level | None = None,
        in_: Level | None = None,
        proof: tuple[Any, ...] = (),
    ) -> None:
        rule(rule_id)  # unknown ids fail loudly in tests
        level = self.ctx.level(old_in_new, new_in_old, out=out, in_=in_)
        self.findings.append(
            Finding(
                rule_id,
                level,
                path,
                message,
                old,
                new,
                old_in_new,
                new_in_old,
                side,
                local=None if self.quiet else local,
                trail=tuple(self.trail),
                proof=proof,
            )
        )

    @contextmanager
    def step(self, kind: str, key: Any, o: Node, n: Node) -> Iterator[None]:
        self.trail.append(((kind, key, o), (kind, key, n)))
        try:
            yield
        finally:
            self.trail.pop()

    def child(
        self, kind: str, key: Any, o: Node, n: Node, oc: Node | None, nc: Node | None
    ) -> None:
        with self.step(kind, key, o, n):
            self.diff(oc or TOP, nc or TOP)

    def subset(self, a: Node | None, b: Node | None) -> bool | None:
        return self.state.subset(a, b)

    # -- the walk -------------------------------------------------------------------------
    def diff(self, o: Node, n: Node) -> None:
        if o is n:
            return
        if self.state.same_defs and isinstance(o.raw, dict) and o.raw == n.raw:
            return
        key = (id(o), id(n))
        if key in self.seen:
            return
        self.seen.add(key)
        if not self.quiet:
            self._defaults(o, n)
        self._nullability(o, n)
        o, n = core(o), core(n)
        if o is n or (o.false and n.false):
            return
        if o.false or n.false:
            widened = o.false
            self.emit(
                "type-widened" if widened else "type-narrowed",
                n.ptr if widened else o.ptr,
                widened,
                not widened,
                "the schema accepted nothing and now accepts values"
                if widened
                else "the schema now accepts nothing",
                side="new" if widened else "old",
                local=(o, n),
            )
            return
        for compare_pass in self.state.passes:
            if compare_pass(self, o, n):
                return

    def _defaults(self, o: Node, n: Node) -> None:
        if o.default == n.default or (
            o.default and n.default and jkey(o.default[0]) == jkey(n.default[0])
        ):
            pass
        else:
            rid = (
                "default-added"
                if not o.default
                else "default-removed"
                if not n.default
                else "default-changed"
            )
            where = n.at("default") if n.default else o.at("default")
            self.emit(
                rid,
                where,
                True,
                True,
                "the default changed: consumers that fill it in now behave differently",
                old=o.default[0] if o.default else None,
                new=n.default[0] if n.default else None,
                side="new" if n.default else "old",
                in_=Level.WARN,
            )
        if o.resolved().deprecated != n.resolved().deprecated:
            dep = n.resolved().deprecated
            self.emit(
                "deprecated-added" if dep else "deprecated-removed",
                n.at("deprecated"),
                True,
                True,
                "marked deprecated" if dep else "no longer deprecated",
            )

    def _nullability(self, o: Node, n: Node) -> None:
        null_o, null_n = member3(None, o), member3(None, n)
        if null_o is None or null_n is None or null_o == null_n:
            return
        if null_n:
            self.emit(
                "became-nullable",
                _null_at(n),
                True,
                False,
                "null is now accepted",
                old=False,
                new=True,
                local=(o, n),
            )
        else:
            self.emit(
                "became-not-nullable",
                _null_at(o),
                False,
                True,
                "null is no longer accepted",
                old=True,
                new=False,
                side="old",
                local=(o, n),
            )

    def _unknown(self, o: Node, n: Node) -> None:
        for name in sorted(set(o.unknown) | set(n.unknown)):
            same = (
                name in o.unknown
                and name in n.unknown
                and jkey(o.unknown[name]) == jkey(n.unknown[name])
            )
            where = n.at(name) if name in n.unknown else o.at(name)
            fact = True if same else None
            if name == "$ref":
                self._unresolved(o, n, where, same)
                continue
            self.emit(
                "unsupported-keyword",
                where,
                fact,
                fact,
                f"keyword {name!r} is not understood by the compatibility engine"
                + (" (unchanged)" if same else "; the change could not be checked"),
                old=o.unknown.get(name),
                new=n.unknown.get(name),
                side="new" if name in n.unknown else "old",
                local=(o, n),
            )

    def _unresolved(self, o: Node, n: Node, where: str, same: bool) -> None:
        ref = str(n.unknown.get("$ref", o.unknown.get("$ref")))
        remote = "://" in ref or ref.startswith("urn:")
        why = (
            "is remote and never fetched (the engine opens no network connection)"
            if remote
            else "points into another file, which the engine does not load"
        )
        self.emit(
            "ref-unresolved",
            where,
            True if same else None,
            True if same else None,
            f"$ref {ref!r} {why}; bundle the referenced schema under $defs"
            + (" (unchanged)" if same else "; the change could not be checked"),
            old=o.unknown.get("$ref"),
            new=n.unknown.get("$ref"),
            side="new" if "$ref" in n.unknown else "old",
            local=(o, n),
            out=None if same else Level.ERR,
            in_=None if same else Level.ERR,
        )

    def _enum(self, o: Node, n: Node) -> None:
        def live(node: Node) -> list[Any]:
            assert node.enum is not None
            return [v for v in node.enum if v is not None and member3(v, node) is not False]

        if o.enum is not None and n.enum is not None:
            eff_o, eff_n = live(o), live(n)
            added = [v for v in eff_n if member3(v, o) is not True]
            removed = [v for v in eff_o if member3(v, n) is not True]
            proof_add = tuple(v for v in added[:8] if member3(v, o) is False)[:3]
            proof_rm = tuple(v for v in removed[:8] if member3(v, n) is False)[:3]
            where = n.at("const" if n.const else "enum")
            if not added and not removed:
                if [jkey(v) for v in o.enum] != [jkey(v) for v in n.enum] and not o.const:
                    self.emit("enum-reordered", where, True, True, "enum values reordered")
                return
            a = False if any(member3(v, n) is False for v in removed) else None
            b = False if any(member3(v, o) is False for v in added) else None
            if o.const and n.const:
                self.emit(
                    "const-changed",
                    where,
                    a if removed else True,
                    b if added else True,
                    "const changed",
                    old=o.enum[0],
                    new=n.enum[0],
                    local=(o, n),
                )
                return
            rid_add, rid_rm = "enum-value-added", "enum-value-removed"
            if o.const != n.const:
                rid_add = rid_rm = "const-to-enum" if o.const else "enum-to-const"
            open_enum = n.extensible_enum or self.ctx.policy == "lenient"
            if added:
                self.emit(
                    rid_add,
                    where,
                    True,
                    b,
                    f"enum values added: {_show(added)}",
                    old=list(o.enum),
                    new=list(n.enum),
                    local=(o, n),
                    out=Level.WARN if open_enum and rid_add == "enum-value-added" else None,
                    proof=proof_add,
                )
            if removed:
                self.emit(
                    rid_rm,
                    where,
                    a,
                    True,
                    f"enum values removed: {_show(removed)}",
                    old=list(o.enum),
                    new=list(n.enum),
                    local=(o, n),
                    proof=proof_rm,
                )
            return
        if n.enum is not None:
            eff_n = live(n)
            facts = [member3(v, o) for v in eff_n]
            b = False if False in facts else (None if None in facts else True)
            a = False if witness(o, n) is not None else None
            rid = "const-added" if n.const else "enum-added"
            self.emit(
                rid,
                n.at("const" if n.const else "enum"),
                a,
                b,
                f"values restricted to {_show(eff_n)}",
                new=list(n.enum),
                local=(o, n),
            )
            return
        assert o.enum is not None
        eff_o = live(o)
        facts = [member3(v, n) for v in eff_o]
        a = False if False in facts else (None if None in facts else True)
        b = False if witness(n, o) is not None else None
        rid = "const-removed" if o.const else "enum-removed"
        self.emit(
            rid,
            o.at("const" if o.const else "enum"),
            a,
            b,
            f"values no longer restricted to {_show(eff_o)}",
            old=list(o.enum),
            side="old",
            local=(o, n),
        )

    def _types(self, o: Node, n: Node) -> bool:
        """Compare type sets; False when they are disjoint (nothing further to compare)."""
        if o.types is None and n.types is None:
            return True
        to = (o.types if o.types is not None else ALL_TYPES) - {"null"}
        tn = (n.types if n.types is not None else ALL_TYPES) - {"null"}
        widen, narrow = _covers(tn, to), _covers(to, tn)
        if widen and narrow:
            return True
        where = n.at("type") if n.types is not None else o.at("type")
        old_v = sorted(o.types) if o.types is not None else None
        new_v = sorted(n.types) if n.types is not None else None
        if widen:
            self.emit(
                "type-widened",
                where,
                True,
                False,
                f"type widened from {_t(to)} to {_t(tn)}",
                old=old_v,
                new=new_v,
                local=(o, n),
            )
            return True
        if narrow:
            self.emit(
                "type-narrowed",
                where,
                False,
                True,
                f"type narrowed from {_t(to)} to {_t(tn)}",
                old=old_v,
                new=new_v,
                local=(o, n),
            )
            return True
        self.emit(
            "type-changed",
            where,
            False,
            False,
            f"type changed from {_t(to)} to {_t(tn)}",
            old=old_v,
            new=new_v,
            local=(o, n),
        )
        overlap = {t for t in to if _covers(tn, {t})} | {t for t in tn if _covers(to, {t})}
        return bool(overlap)


def unknown_keywords(w: Walker, o: Node, n: Node) -> bool:
    """Keywords the engine does not understand; an unresolved $ref ends the comparison."""
    if o.unknown or n.unknown:
        w._unknown(o, n)
        return "$ref" in o.unknown or "$ref" in n.unknown
    return False


def enums(w: Walker, o: Node, n: Node) -> bool:
    """enum/const on either side: compared as value sets, and nothing further."""
    if o.enum is not None or n.enum is not None:
        w._enum(o, n)
        return True
    return False


def types(w: Walker, o: Node, n: Node) -> bool:
    """The type sets; disjoint ones leave nothing further to compare."""
    return not w._types(o, n)


def _null_at(node: Node) -> str:
    """Where null is allowed: the type array, the `{type: null}` branch or the enum."""
    for layer in (node, node.resolved()):
        for key in ("nullable", "type", "enum"):
            if key in layer.origin:
                return layer.origin[key]
    return node.ptr


def _covers(outer: frozenset[str] | set[str], inner: frozenset[str] | set[str]) -> bool:
    return all(t in outer or (t == "integer" and "number" in outer) for t in inner)


def _t(types: frozenset[str]) -> str:
    return "/".join(sorted(types)) if types != ALL_TYPES - {"null"} else "any"


def _show(values: list[Any]) -> str:
    import json

    from routinec.compat.values import plain

    text = ", ".join(json.dumps(plain(v), sort_keys=True) for v in values[:5])
    return text + (f" (+{len(values) - 5} more)" if len(values) > 5 else "")
