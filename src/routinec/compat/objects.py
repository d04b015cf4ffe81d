"""Compat layer: object rules (properties, required, additional/pattern properties, ...).

In: the walker and an (old, new) pair of core nodes that both allow objects. Out: findings
with value-set facts, and levels adjusted for the content model of the policy: by default
producers emit only declared properties and open consumers ignore unknown ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from routinec.compat.families import limit
from routinec.compat.node import BOTTOM, TOP, Node, pointer
from routinec.compat.regex import overlaps, search
from routinec.compat.report import Level

if TYPE_CHECKING:
    from routinec.compat.walk import Walker

__all__ = ["compare"]


def _fallback(node: Node, name: str) -> tuple[Node, str]:
    """What constrains an undeclared `name`: a matching pattern, additionalProperties or nothing.

    Returns the schema and its kind: "pattern", "closed", "schema" or "open".
    """
    for pat, sub in node.pattern_properties.items():
        if search(pat, name) is not False:
            return sub, "pattern"
    if node.additional is None:
        return TOP, "open"
    if node.additional.resolved().false:
        return BOTTOM, "closed"
    return node.additional, "schema"


def compare(w: Walker, o: Node, n: Node) -> bool:
    """Object keywords of a core pair, when both sides allow objects."""
    if not (_allows_objects(o) and _allows_objects(n)):
        return False
    for name in sorted(set(o.properties) | set(n.properties)):
        if name in o.properties and name in n.properties:
            w.child("prop", name, o, n, o.properties[name], n.properties[name])
            _required(w, o, n, name)
        elif name in n.properties:
            _added(w, o, n, name)
        else:
            _removed(w, o, n, name)
    declared = set(o.properties) | set(n.properties)
    for name in sorted((o.required ^ n.required) - declared):
        added = name in n.required
        w.emit(
            "required-undeclared-added" if added else "required-undeclared-removed",
            n.at("required") if added else o.at("required"),
            not added,
            added,
            f"{name!r} {'is now' if added else 'is no longer'} required",
            old=sorted(o.required),
            new=sorted(n.required),
            local=(o, n),
        )
    _additional(w, o, n)
    _patterns(w, o, n)
    _names(w, o, n)
    _counts(w, o, n)
    _dependencies(w, o, n)
    return False


def _allows_objects(node: Node) -> bool:
    return node.types is None or "object" in node.types


def _required(w: Walker, o: Node, n: Node, name: str) -> None:
    was, now = name in o.required, name in n.required
    if was == now:
        return
    where = pointer(n.at("required")) if now else o.at("required")
    w.emit(
        "property-became-required" if now else "property-became-optional",
        where,
        not now,
        now,
        f"property {name!r} is {'now required' if now else 'no longer required'}",
        old=was,
        new=now,
        side="new" if now else "old",
        local=(o, n),
    )


def _added(w: Walker, o: Node, n: Node, name: str) -> None:
    sub = n.properties[name]
    old_sub, kind = _fallback(o, name)
    required = name in n.required
    a, b = w.subset(old_sub, sub), w.subset(sub, old_sub)
    if kind == "closed":
        a, b = True, sub.resolved().false
    if required and name not in o.required:
        a = False
        if kind == "closed":
            b = False
    if a is True and b is True:
        return
    ctx = w.ctx
    out = in_ = None
    if kind == "open" and not ctx.strict:
        in_ = None if required else Level.INFO
        out = Level.INFO if b is not False else None
    rid = "property-added-required" if required else "property-added-optional"
    where_kind = {"open": "an open object", "closed": "a closed object"}.get(
        kind, "an object whose undeclared names had a schema"
    )
    w.emit(
        rid,
        sub.ptr,
        a,
        b,
        f"{'required' if required else 'optional'} property {name!r} added to {where_kind}",
        new=name,
        out=out,
        in_=in_,
        local=(o, n),
    )


def _removed(w: Walker, o: Node, n: Node, name: str) -> None:
    sub = o.properties[name]
    new_sub, kind = _fallback(n, name)
    was_required = name in o.required
    a, b = w.subset(sub, new_sub), w.subset(new_sub, sub)
    if kind == "closed":
        a, b = sub.resolved().false, True
    if was_required and name not in n.required:
        b = False
    if a is True and b is True:
        return
    ctx = w.ctx
    out = None
    if not was_required and not ctx.strict:
        out = Level.INFO if ctx.policy == "lenient" else Level.WARN
    what = "required" if was_required else "optional"
    w.emit(
        "property-removed",
        sub.ptr,
        a,
        b,
        f"{what} property {name!r} removed",
        old=name,
        side="old",
        out=out,
        local=(o, n),
    )


def _additional(w: Walker, o: Node, n: Node) -> None:
    ao, an = o.additional, n.additional
    if ao is None and an is None:
        return
    closed_o = ao is not None and ao.resolved().false
    closed_n = an is not None and an.resolved().false
    ctx = w.ctx
    if ao is not None and an is not None and not (closed_o or closed_n):
        w.child("additional", None, o, n, ao, an)
        return
    if closed_o and closed_n:
        return
    if ao is None or (an is not None and closed_n):
        soft = Level.INFO if ctx.edge else Level.WARN
        rid = "additional-properties-closed" if closed_n else "additional-properties-schema-changed"
        a = False if closed_n else w.subset(TOP, an)
        w.emit(
            rid,
            n.at("additionalProperties"),
            a,
            True,
            "undeclared properties are now rejected"
            if closed_n
            else "undeclared properties now have a schema",
            in_=None if ctx.strict else soft,
            local=(o, n),
        )
        return
    rid = "additional-properties-opened" if an is None else "additional-properties-schema-changed"
    b = False if an is None else w.subset(an, BOTTOM)
    w.emit(
        rid,
        o.at("additionalProperties"),
        True,
        b,
        "undeclared properties are now accepted"
        if an is None
        else "undeclared properties are now accepted with a schema",
        out=None if ctx.strict else Level.INFO,
        side="old",
        local=(o, n),
    )


def _patterns(w: Walker, o: Node, n: Node) -> None:
    po, pn = o.pattern_properties, n.pattern_properties
    ctx = w.ctx
    for pat in sorted(set(po) | set(pn)):
        if pat in po and pat in pn:
            w.child("pattern", pat, o, n, po[pat], pn[pat])
            continue
        added = pat in pn
        mine, other = (n, o) if added else (o, n)
        sub = (pn if added else po)[pat]
        others = sorted((set(po) | set(pn)) - {pat})
        overlap = [overlaps(pat, q) for q in others]
        fallback = other.additional or TOP
        kind = "open" if other.additional is None else "other"
        if any(x is not False for x in overlap):
            a = b = None
        elif added:
            a, b = w.subset(fallback, sub), w.subset(sub, fallback)
        else:
            a, b = w.subset(sub, fallback), w.subset(fallback, sub)
        if a is True and b is True:
            continue
        in_ = Level.INFO if added and kind == "open" and not ctx.strict else None
        w.emit(
            "pattern-property-added" if added else "pattern-property-removed",
            sub.ptr,
            a,
            b,
            f"pattern property {pat!r} {'added' if added else 'removed'}",
            side="new" if added else "old",
            in_=in_,
            local=(o, n),
        )
        del mine


def _names(w: Walker, o: Node, n: Node) -> None:
    no, nn = o.property_names, n.property_names
    if no is None and nn is None:
        return
    if no is not None and nn is not None:
        w.child("names", None, o, n, no, nn)
        return
    added = nn is not None
    sub = nn if nn is not None else no
    assert sub is not None
    # the side without propertyNames: its values' names must satisfy `sub`
    other = o if added else n
    fact = w.subset(TOP, sub)
    names = _declared_names(other, sub)
    if fact is not True and names is not None and _closed(other):
        fact = names  # a closed object carries declared names only: decided exactly
    ctx = w.ctx
    in_ = None
    if added and names is True and ctx.edge and not ctx.strict:
        # declared-only emission: the real producer emits its declared names only, and all
        # of them satisfy the consumer's propertyNames (version to version, the old schema
        # is only a proxy for the producers, so the rule stays ERR there)
        in_ = Level.INFO
    w.emit(
        "property-names-added" if added else "property-names-removed",
        sub.ptr,
        fact if added else True,
        True if added else fact,
        f"propertyNames {'added' if added else 'removed'}",
        side="new" if added else "old",
        in_=in_ if fact is not True else None,
        local=(o, n),
    )


def _closed(node: Node) -> bool:
    return node.additional is not None and node.additional.resolved().false


def _declared_names(node: Node, names: Node) -> bool | None:
    """Do all names `node` declares satisfy `names`? None with patternProperties or unsure."""
    from routinec.compat.member import member3

    if node.pattern_properties:
        return None
    facts = [member3(name, names) for name in sorted(node.properties)]
    if any(f is False for f in facts):
        return False
    return True if all(f is True for f in facts) else None


def _counts(w: Walker, o: Node, n: Node) -> None:
    limit(w, o, n, "min-properties", "minProperties", o.min_props, n.min_props, lower=True)
    limit(w, o, n, "max-properties", "maxProperties", o.max_props, n.max_props, lower=False)


def _dependencies(w: Walker, o: Node, n: Node) -> None:
    do, dn = o.dependent_required, n.dependent_required
    for key in sorted(set(do) | set(dn)):
        old, new = do.get(key), dn.get(key)
        if old == new:
            continue
        if old is None or new is None:
            added = old is None
            rid = "dependent-required-added" if added else "dependent-required-removed"
            a, b = not added, added
        elif new > old:
            rid, a, b = "dependent-required-extended", False, True
        elif new < old:
            rid, a, b = "dependent-required-narrowed", True, False
        else:
            rid, a, b = "dependent-required-changed", False, False
        w.emit(
            rid,
            pointer(
                n.at("dependentRequired") if new is not None else o.at("dependentRequired"), key
            ),
            a,
            b,
            f"dependentRequired for {key!r} changed from {sorted(old or [])} to "
            f"{sorted(new or [])}",
            old=sorted(old) if old else None,
            new=sorted(new) if new else None,
            side="new" if new is not None else "old",
            local=(o, n),
        )
    so, sn = o.dependent_schemas, n.dependent_schemas
    for key in sorted(set(so) | set(sn)):
        if key in so and key in sn:
            w.child("dependent", key, o, n, so[key], sn[key])
        elif key in sn:
            w.emit(
                "dependent-schema-added",
                sn[key].ptr,
                w.subset(TOP, sn[key]),
                True,
                f"dependentSchemas for {key!r} added",
                local=(o, n),
            )
        else:
            w.emit(
                "dependent-schema-removed",
                so[key].ptr,
                True,
                w.subset(TOP, so[key]),
                f"dependentSchemas for {key!r} removed",
                side="old",
                local=(o, n),
            )
