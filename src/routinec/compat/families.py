"""Compat layer: keyword-family rules (numbers, strings, arrays) during the walk.

In: the walker and an (old, new) pair of core nodes whose types overlap. Out: one finding
per changed keyword with its value-set facts; objects live in `objects.py`, and `limit` is
shared with it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from routinec.compat.node import TOP, Bound, Node
from routinec.compat.regex import includes, min_match_length, undecided_reason
from routinec.compat.report import Level
from routinec.compat.values import divisible

if TYPE_CHECKING:
    from routinec.compat.walk import Walker

__all__ = ["compare"]

_FORMAT_WIDER = {("int32", "int64"), ("float", "double"), ("date", "date-time")}
_FORMAT_WIDER -= {("date", "date-time")}  # not a generalisation: a date is no date-time


def _has(node: Node, kinds: tuple[str, ...]) -> bool:
    return node.types is None or any(k in node.types for k in kinds)


def compare(w: Walker, o: Node, n: Node) -> bool:
    """Format, number, string and array keywords of a core pair (objects: `objects.py`)."""

    def both(*kinds: str) -> bool:
        return _has(o, kinds) and _has(n, kinds)

    _format(w, o, n)
    if both("integer", "number"):
        _numbers(w, o, n)
    if both("string"):
        _strings(w, o, n)
    if both("array"):
        _arrays(w, o, n)
    return False


def _show(value: Any) -> str:
    if isinstance(value, Bound):
        return ("<" if value.exclusive else "") + _show(value.value)
    if isinstance(value, Decimal):
        return str(value.normalize()) if value != value.to_integral_value() else str(int(value))
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Bound):
        return value.value
    return value


def limit(
    w: Walker,
    o: Node,
    n: Node,
    name: str,
    keyword: str,
    old: Any,
    new: Any,
    *,
    lower: bool,
    key: Any = None,
    floor: tuple[int, int] | None = None,
) -> None:
    """A lower or upper limit (bound, length, count): added/removed/increased/decreased.

    `floor`: lower limits the old and new schemas imply anyway (a pattern's shortest match),
    which can make a loosened or tightened keyword change nothing.
    """
    if old == new:
        return
    key = key or (lambda v: v)
    if old is None:
        tighter, verb = True, "added"
    elif new is None:
        tighter, verb = False, "removed"
    else:
        tighter = (key(new) > key(old)) if lower else (key(new) < key(old))
    if old is not None and new is not None:
        verb = "increased" if tighter == lower else "decreased"
    where = n.at(keyword) if new is not None else o.at(keyword)
    message = f"{keyword} {verb}" + (
        f" from {_show(old)} to {_show(new)}"
        if old is not None and new is not None
        else f": {_show(new if new is not None else old)}"
    )
    a, b = not tighter, tighter
    if floor is not None and lower:
        if not a and new is not None and floor[0] >= new:
            a = True  # old values are long enough anyway
            message += f" (the old schema implies at least {floor[0]} anyway)"
        if not b and floor[1] >= (old or 0):
            b = True
            message += f" (the new schema still implies at least {floor[1]})"
    w.emit(
        f"{name}-{verb}",
        where,
        a,
        b,
        message,
        old=_plain(old),
        new=_plain(new),
        side="new" if new is not None else "old",
        local=(o, n),
    )


def _bound(w: Walker, o: Node, n: Node, lower: bool) -> None:
    old, new = (o.minimum, n.minimum) if lower else (o.maximum, n.maximum)
    if old == new:
        return
    word = "minimum" if lower else "maximum"
    if old is not None and new is not None and old.value == new.value:
        tighter = new.exclusive
        rid = f"exclusive-{word}-{'added' if tighter else 'removed'}"
        w.emit(
            rid,
            n.at(word),
            not tighter,
            tighter,
            f"{word} {_show(new.value)} became {'exclusive' if tighter else 'inclusive'}",
            old=old.value,
            new=new.value,
            local=(o, n),
        )
        return

    def order(b: Bound) -> tuple[Decimal, int]:
        return (b.value, (1 if b.exclusive else 0) * (1 if lower else -1))

    name = word
    if old is None or new is None:
        name = f"exclusive-{word}" if (new or old or Bound(Decimal(0))).exclusive else word
    limit(w, o, n, name, word, old, new, lower=lower, key=order)


def _numbers(w: Walker, o: Node, n: Node) -> None:
    _bound(w, o, n, True)
    _bound(w, o, n, False)
    mo, mn = o.multiple_of, n.multiple_of
    if mo == mn:
        return
    if mo is None or mn is None:
        added = mo is None
        w.emit(
            "multiple-of-added" if added else "multiple-of-removed",
            n.at("multipleOf") if added else o.at("multipleOf"),
            not added,
            added,
            f"multipleOf {'added' if added else 'removed'}: {_show(mn if added else mo)}",
            old=mo,
            new=mn,
            side="new" if added else "old",
            local=(o, n),
        )
    elif divisible(mn, mo):
        w.emit(
            "multiple-of-expanded",
            n.at("multipleOf"),
            False,
            True,
            f"multipleOf {_show(mo)} became {_show(mn)}",
            old=mo,
            new=mn,
            local=(o, n),
        )
    elif divisible(mo, mn):
        w.emit(
            "multiple-of-reduced",
            n.at("multipleOf"),
            True,
            False,
            f"multipleOf {_show(mo)} became {_show(mn)}",
            old=mo,
            new=mn,
            local=(o, n),
        )
    else:
        w.emit(
            "multiple-of-changed",
            n.at("multipleOf"),
            False,
            False,
            f"multipleOf {_show(mo)} became {_show(mn)}",
            old=mo,
            new=mn,
            local=(o, n),
        )


def _strings(w: Walker, o: Node, n: Node) -> None:
    floor = (_implied_length(o), _implied_length(n))
    limit(w, o, n, "min-length", "minLength", o.min_length, n.min_length, lower=True, floor=floor)
    limit(w, o, n, "max-length", "maxLength", o.max_length, n.max_length, lower=False)
    po, pn = o.pattern, n.pattern
    if po != pn:
        if po is None:
            w.emit(
                "pattern-added",
                n.at("pattern"),
                includes(pn or "", ".*") or False,
                True,
                f"pattern added: {pn}",
                new=pn,
                local=(o, n),
            )
        elif pn is None:
            w.emit(
                "pattern-removed",
                o.at("pattern"),
                True,
                includes(po, ".*") or False,
                f"pattern removed: {po}",
                old=po,
                side="old",
                local=(o, n),
            )
        else:
            wider, narrower = includes(pn, po), includes(po, pn)
            why = ""
            if wider is None or narrower is None:
                why = f" (undecided: {undecided_reason(po, pn)})"
            w.emit(
                "pattern-changed",
                n.at("pattern"),
                wider,
                narrower,
                f"pattern changed from {po} to {pn}{why}",
                old=po,
                new=pn,
                local=(o, n),
            )
    if o.content != n.content:
        keys = {k for k, _ in o.content} | {k for k, _ in n.content}
        for key in sorted(keys):
            old, new = dict(o.content).get(key), dict(n.content).get(key)
            if old != new:
                rid = (
                    "content-encoding-changed"
                    if key == "contentEncoding"
                    else "content-media-type-changed"
                )
                w.emit(
                    rid,
                    n.at(key) if new is not None else o.at(key),
                    False,
                    False,
                    f"{key} changed from {old} to {new}",
                    old=old,
                    new=new,
                    local=(o, n),
                )


def _implied_length(node: Node) -> int:
    """The shortest length a string of `node` can have, from minLength and the pattern."""
    low = node.min_length or 0
    if node.pattern is not None:
        low = max(low, min_match_length(node.pattern))
    return low


def _format(w: Walker, o: Node, n: Node) -> None:
    fo, fn = o.format, n.format
    if fo == fn:
        return
    strict = w.ctx.strict
    if fo is None:
        facts = (False, True) if strict else (True, True)
        w.emit(
            "format-added",
            n.at("format"),
            *facts,
            f"format {fn} added",
            new=fn,
            in_=None if strict else Level.WARN,
            local=(o, n),
        )
    elif fn is None:
        facts = (True, False) if strict else (True, True)
        w.emit(
            "format-removed",
            o.at("format"),
            *facts,
            f"format {fo} removed",
            old=fo,
            side="old",
            out=None if strict else Level.WARN,
            local=(o, n),
        )
    else:
        wider = (fo, fn) in _FORMAT_WIDER
        narrower = (fn, fo) in _FORMAT_WIDER
        facts = (wider, narrower) if strict else (True, True)
        soft = None if strict else Level.WARN
        w.emit(
            "format-changed",
            n.at("format"),
            *facts,
            f"format changed from {fo} to {fn}",
            old=fo,
            new=fn,
            out=soft,
            in_=soft,
            local=(o, n),
        )


def _guaranteed(w: Walker, node: Node, contains: Node, count: int) -> bool:
    """Do all arrays of `node` hold at least `count` items matching `contains`?"""
    if (node.min_items or 0) < count:
        return False
    head = node.prefix[:count]
    if len(head) == count:
        return all(w.subset(sub, contains) is True for sub in head)
    return (
        node.items is not None
        and all(w.subset(s, contains) is True for s in node.prefix)
        and w.subset(node.items, contains) is True
    )


def _arrays(w: Walker, o: Node, n: Node) -> None:
    for i in range(max(len(o.prefix), len(n.prefix))):
        po = o.prefix[i] if i < len(o.prefix) else o.items
        pn = n.prefix[i] if i < len(n.prefix) else n.items
        if i < len(o.prefix) and i < len(n.prefix):
            w.child("prefix", i, o, n, po, pn)
            continue
        added = i >= len(o.prefix)
        a, b = w.subset(po or TOP, pn or TOP), w.subset(pn or TOP, po or TOP)
        if a is True and b is True:
            continue
        w.emit(
            "prefix-items-added" if added else "prefix-items-removed",
            (pn or n).ptr if added else (po or o).ptr,
            a,
            b,
            f"tuple position {i} {'added' if added else 'removed'}",
            side="new" if added else "old",
            local=(po or TOP, pn or TOP),
        )
    if o.items is not None and n.items is not None:
        w.child("item", None, o, n, o.items, n.items)
    elif o.items is not None or n.items is not None:
        added = o.items is None
        sub = n.items if added else o.items
        assert sub is not None
        fact = w.subset(TOP, sub)
        w.emit(
            "items-added" if added else "items-removed",
            sub.ptr,
            fact if added else True,
            True if added else fact,
            f"items {'added' if added else 'removed'}",
            side="new" if added else "old",
            local=(o.items or TOP, n.items or TOP),
        )
    limit(w, o, n, "min-items", "minItems", o.min_items, n.min_items, lower=True)
    limit(w, o, n, "max-items", "maxItems", o.max_items, n.max_items, lower=False)
    if o.unique != n.unique:
        w.emit(
            "unique-items-added" if n.unique else "unique-items-removed",
            n.at("uniqueItems") if n.unique else o.at("uniqueItems"),
            not n.unique,
            n.unique,
            "items must now be unique" if n.unique else "items may now repeat",
            side="new" if n.unique else "old",
            local=(o, n),
        )
    _contains(w, o, n)


def _contains(w: Walker, o: Node, n: Node) -> None:
    co, cn = o.contains, n.contains
    if co is None and cn is None:
        return
    if co is not None and cn is not None:
        w.child("contains", None, o, n, co, cn)
        low_o, low_n = o.min_contains or 1, n.min_contains or 1
        if low_o != low_n:
            rid = "min-contains-increased" if low_n > low_o else "min-contains-decreased"
            w.emit(
                rid,
                n.at("minContains"),
                low_n < low_o,
                low_n > low_o,
                f"minContains {low_o} became {low_n}",
                old=low_o,
                new=low_n,
                local=(o, n),
            )
        hi_o, hi_n = o.max_contains, n.max_contains
        if hi_o != hi_n:
            up = hi_n is None or (hi_o is not None and hi_n > hi_o)
            w.emit(
                "max-contains-increased" if up else "max-contains-decreased",
                n.at("maxContains") if hi_n is not None else o.at("maxContains"),
                up,
                not up,
                f"maxContains {hi_o} became {hi_n}",
                old=hi_o,
                new=hi_n,
                local=(o, n),
            )
        return
    if cn is not None:
        fact = _guaranteed(w, o, cn, n.min_contains or 1)
        w.emit(
            "contains-added", n.at("contains"), fact or False, True, "contains added", local=(o, n)
        )
    elif co is not None:
        fact = _guaranteed(w, n, co, o.min_contains or 1)
        w.emit(
            "contains-removed",
            o.at("contains"),
            True,
            fact,
            "contains removed",
            side="old",
            local=(o, n),
        )
