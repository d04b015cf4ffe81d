"""Compiler layer, parser machinery: the LALR loop that reduces straight into AST nodes.

In: Lark's parse table and rules (the shipped tables, so the grammar stays the one source), a
token stream, and a builder whose method per rule name makes that rule's AST node. Out: the
start rule's value, or None when the text is not accepted (the caller then runs Lark's own
parser, so every error is Lark's, word for word).

It gives exactly what Lark's tree builder followed by a bottom-up transform would — Lark's
child filtering (anonymous tokens dropped, `_rule`s inlined, `[x]` placeholders, `?rule`s
with one child replaced by it) and its position propagation (`propagate_positions=True`,
container positions included) — without building a tree first: a rule's node is made when
the rule is reduced, from its children's nodes. tests/compiler/test_parse_tables.py compares
the two on every shipped spec and on generated and damaged ones.

Lark's loop wraps every reduction in four callable layers and every token in a method call; a
1,000-routine lock spent half its parse time there. This loop is one function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lark.parsers.lalr_analysis import Shift

__all__ = ["Meta", "Reducer"]


class Meta:
    """Positions of a node, as Lark's `Meta` has them (the attributes the builder reads)."""

    __slots__ = (
        "ccolumn",
        "cend_column",
        "cend_line",
        "cend_pos",
        "cline",
        "column",
        "cstart_pos",
        "empty",
        "end_column",
        "end_line",
        "end_pos",
        "line",
        "start_pos",
    )

    empty: bool
    line: int
    column: int
    start_pos: int
    end_line: int
    end_column: int
    end_pos: int
    # "container" positions: the span of the outermost `?rule` that handed this node up
    cline: int
    ccolumn: int
    cstart_pos: int
    cend_line: int
    cend_column: int
    cend_pos: int

    def __init__(self) -> None:
        self.empty = True


class _Inlined:
    """A `_rule`'s children, spliced into its parent's."""

    __slots__ = ("meta", "metas", "values")

    def __init__(self, values: list[Any], metas: list[Any], meta: Meta) -> None:
        self.values, self.metas, self.meta = values, metas, meta


class _Bail(Exception):
    """A shape this loop does not reproduce exactly; the caller parses with Lark instead."""


@dataclass(frozen=True, slots=True)
class _Plan:
    size: int
    origin: str
    name: str  # the builder method (alias or rule name); "" for an inlined `_rule`
    expand1: bool
    # (index into the raw children, splice it, Nones to put before it)
    include: tuple[tuple[int, bool, int], ...]
    trailing_nones: int


def _plan(rule: Any) -> _Plan:
    """Lark's `maybe_create_child_filter` and wrapper chain for one rule, as data."""
    expansion = rule.expansion
    options = rule.options
    empty = options.empty_indices
    if empty:
        runs = [len(ones) for ones in "".join(str(int(b)) for b in empty).split("0")]
    else:
        runs = [0] * (len(expansion) + 1)
    include: list[tuple[int, bool, int]] = []
    nones = 0
    for i, sym in enumerate(expansion):
        nones += runs[i]
        if options.keep_all_tokens or not (sym.is_term and sym.filter_out):
            include.append((i, (not sym.is_term) and sym.name.startswith("_"), nones))
            nones = 0
    nones += runs[len(expansion)]
    origin = rule.origin.name
    origin = origin if isinstance(origin, str) else origin.value
    # A `_rule` is spliced into its parent by name, aliased or not: it never gets a node.
    name = "" if origin.startswith("_") else (rule.alias or origin)
    return _Plan(len(expansion), origin, name, bool(options.expand1 and not rule.alias), tuple(include), nones)


def _first(metas: Iterable[Any]) -> Any:
    for m in metas:
        if m is None:
            continue
        if type(m) is Meta:
            if not m.empty:
                return m
            continue
        return m  # a token
    return None


class Reducer:
    """Built once per table; `parse` runs one text."""

    def __init__(self, states: dict[Any, dict[str, tuple[Any, Any]]], start: Any, end: Any, rules: Iterable[Any]) -> None:
        self.states, self.start, self.end = states, start, end
        self.plans = {rule: _plan(rule) for rule in rules}

    def parse(
        self, tokens: Callable[[Callable[[], dict[str, Any]]], Iterable[Any]], builder: Any
    ) -> Any:
        """Run the loop over `tokens(accepts)`; `accepts()` is the current state's action row
        (what a contextual lexer needs). Returns the start rule's value, or None."""
        states = self.states
        plans = self.plans
        state_stack: list[Any] = [self.start]
        values: list[Any] = []
        metas: list[Any] = []
        handlers: dict[str, Any] = {}

        def accepts() -> dict[str, Any]:
            return states[state_stack[-1]]

        def reduce(rule: Any) -> None:
            plan = plans[rule]
            size = plan.size
            if size:
                raw_values = values[-size:]
                raw_metas = metas[-size:]
                del state_stack[-size:], values[-size:], metas[-size:]
            else:
                raw_values, raw_metas = [], []
            kept: list[Any] = []
            kept_metas: list[Any] = []
            for i, splice, nones in plan.include:
                if nones:
                    kept += [None] * nones
                    kept_metas += [None] * nones
                if splice:
                    inlined = raw_values[i]
                    kept += inlined.values
                    kept_metas += inlined.metas
                else:
                    kept.append(raw_values[i])
                    kept_metas.append(raw_metas[i])
            if plan.trailing_nones:
                kept += [None] * plan.trailing_nones
                kept_metas += [None] * plan.trailing_nones
            first = _first(raw_metas)
            last = _first(reversed(raw_metas)) if first is not None else None
            if plan.expand1 and len(kept) == 1:
                value, meta = kept[0], kept_metas[0]
                if type(meta) is Meta:
                    if meta.empty and first is not None:
                        raise _Bail  # Lark would give the node positions after it was built
                    _contain(meta, first, last)
            else:
                meta = Meta()
                if first is not None:
                    _contain(meta, first, last)
                    meta.line, meta.column, meta.start_pos = meta.cline, meta.ccolumn, meta.cstart_pos
                    meta.end_line, meta.end_column, meta.end_pos = meta.cend_line, meta.cend_column, meta.cend_pos
                    meta.empty = False
                if plan.name:
                    handler = handlers.get(plan.name)
                    if handler is None:
                        handler = handlers[plan.name] = getattr(builder, plan.name)
                    value = handler(meta, kept)
                else:
                    value = _Inlined(kept, kept_metas, meta)
            target = states[state_stack[-1]][plan.origin][1]
            state_stack.append(target)
            values.append(value)
            metas.append(meta)

        for tok in tokens(accepts):
            kind = tok.type
            while True:
                action = states[state_stack[-1]].get(kind)
                if action is None:
                    return None
                if action[0] is Shift:
                    state_stack.append(action[1])
                    values.append(tok)
                    metas.append(tok)
                    break
                reduce(action[1])
        end = self.end
        while True:
            action = states[state_stack[-1]].get("$END")
            if action is None or action[0] is Shift:
                return None
            reduce(action[1])
            if state_stack[-1] == end:
                return values[-1]


def _contain(meta: Meta, first: Any, last: Any) -> None:
    """Set a node's container positions from its first and last positioned children."""
    if type(first) is Meta:
        meta.cline, meta.ccolumn, meta.cstart_pos = first.cline, first.ccolumn, first.cstart_pos
    else:
        meta.cline, meta.ccolumn, meta.cstart_pos = first.line, first.column, first.start_pos
    if type(last) is Meta:
        meta.cend_line, meta.cend_column, meta.cend_pos = last.cend_line, last.cend_column, last.cend_pos
    else:
        meta.cend_line, meta.cend_column, meta.cend_pos = last.end_line, last.end_column, last.end_pos
