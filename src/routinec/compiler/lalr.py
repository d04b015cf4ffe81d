"""Compiler layer, parser machinery: the LALR loop that reduces straight into AST nodes.

In: compact tables (`Tables`: made from Lark's LALR table and rules by `tables_from_lark`,
shipped prebuilt in `_lalr_tables.py`, so the grammar stays the one source and Lark is not
even imported to parse a valid spec), a token stream, and a builder whose method per rule
name makes that rule's AST node. Out: the start rule's value, or None when the text is not
accepted (the caller then runs Lark's own parser, so every error is Lark's, word for word).

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
from itertools import chain
from typing import Any, NamedTuple

__all__ = ["Reducer", "Tables", "tables_from_lark"]


class _Bail(Exception):
    """A shape this loop does not reproduce exactly; the caller parses with Lark instead."""


class _Plan(NamedTuple):
    size: int
    origin: str
    name: str  # the builder method (alias or rule name); "" for an inlined `_rule`
    expand1: bool
    # (index into the raw children, splice it, Nones to put before it)
    include: tuple[tuple[int, bool, int], ...]
    trailing_nones: int
    identity: bool  # every child kept as it is: no filtering, splicing or placeholders


class Tables(NamedTuple):
    """An LALR table as plain data. `states[s][token]` is the next state (>= 0) for a shift or
    goto, or `-1 - r` to reduce by `rules[r]`; `rules[r]` is a `_Plan`'s fields as a tuple."""

    start: int
    end: int
    states: tuple[dict[str, int], ...]
    rules: tuple[tuple[Any, ...], ...]


def tables_from_lark(parse_table: Any, rules: list[Any]) -> Tables:
    """Lark's LALR `ParseTable` and rules as `Tables`, states numbered breadth-first from the
    start state (Lark numbers them in hash order), so the same grammar gives the same data."""
    index = {rule: i for i, rule in enumerate(rules)}
    raw = parse_table.states
    start = parse_table.start_states["start"]
    order: dict[Any, int] = {}
    queue = [start]
    while queue:
        state = queue.pop(0)
        if state in order:
            continue
        order[state] = len(order)
        for _tok, (action, arg) in sorted(raw[state].items()):
            if action.name == "Shift" and arg not in order:
                queue.append(arg)
    states = tuple(
        {
            tok: (order[arg] if action.name == "Shift" else -1 - index[arg])
            for tok, (action, arg) in sorted(raw[state].items())
        }
        for state in sorted(order, key=order.__getitem__)
    )
    return Tables(order[start], order[parse_table.end_states["start"]], states, tuple(tuple(_plan(r)) for r in rules))


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
    origin = str(rule.origin.name)  # plain str: Lark's names are Tokens
    # A `_rule` is spliced into its parent by name, aliased or not: it never gets a node.
    name = "" if origin.startswith("_") else str(rule.alias or origin)
    identity = nones == 0 and [(i, False, 0) for i in range(len(expansion))] == include
    return _Plan(
        len(expansion), origin, name, bool(options.expand1 and not rule.alias), tuple(include), nones, identity
    )


# A stack entry's position: () for a node with nothing positioned under it, else (line,
# column, start_pos, end_line, end_column, end_pos) of its *container* range (Lark's
# `container_*` attributes: the node's own range, except for a node a `?rule` handed up, and
# what a parent takes its own range from); a token's has a 7th item (a `_rule` wrapping one
# token keeps it: only its first six are read). In a kept-children list, None is a `[x]`
# placeholder's. A builder method gets its node's own range as such a 6-tuple (or ()): what
# Lark's `Meta` would say, without making one per node.

# How a rule is reduced, fastest first (all give what `_GENERAL` would):
_UNIT = 0  # `_rule: x`: wrap the one child to be spliced
_NODE1 = 1  # `rule: x`, kept as it is: the builder gets [x]
_GROW = 2  # `_rule: _rule x` (how `x*` is written): x appended to the first's lists
_GROW_SPLICED = 3  # `_rule: _rule _x`: _x's lists appended to the first's
_NODE = 4  # any other `rule`'s node: its children's positions are not kept (only a `_rule` needs them)
_GENERAL = 5


class _Rule(NamedTuple):
    """A `_Plan` as the loop reads it."""

    mode: int
    size: int
    origin: str
    name: str
    expand1: bool
    include: tuple[tuple[int, bool, int], ...]
    trailing_nones: int
    identity: bool
    # the rule's first child is a `_rule` spliced at the front of a `_rule`: its lists are
    # reused (appended to) instead of copied, so a `_rule*` list grows without copying
    extends_first: bool


def _rule(plan: _Plan) -> _Rule:
    extends_first = (
        not plan.name and not plan.expand1 and bool(plan.include) and plan.include[0] == (0, True, 0)
    )
    if plan.size == 1 and plan.identity and not plan.expand1:
        mode = _NODE1 if plan.name else _UNIT
    elif extends_first and plan.size == 2 and plan.include[1:] == ((1, False, 0),) and not plan.trailing_nones:
        mode = _GROW
    elif extends_first and plan.size == 2 and plan.include[1:] == ((1, True, 0),) and not plan.trailing_nones:
        mode = _GROW_SPLICED
    elif plan.name and not plan.expand1 and not plan.identity:
        mode = _NODE
    else:
        mode = _GENERAL
    return _Rule(mode, plan.size, plan.origin, plan.name, plan.expand1, plan.include,
                 plan.trailing_nones, plan.identity, extends_first)


class _End:
    """The lookahead after the last token."""

    type = "$END"


_END = (_End(),)


class Reducer:
    """Built once per table; `parse` runs one text."""

    def __init__(self, tables: Tables) -> None:
        self.states = tables.states
        self.plans = tuple(_Plan(*r) for r in tables.rules)
        self.rules = tuple(_rule(p) for p in self.plans)
        # Backwards, so that a reduce action `-1 - r` indexes its rule as it is.
        self._rules_back = self.rules[::-1]
        self.start, self.end = tables.start, tables.end
        # Lark's tables never have these: the end state only accepts, `$END` is never shifted
        if self.states[self.end]:
            raise ValueError("the end state has actions")
        if any(row.get("$END", -1) >= 0 for row in self.states):
            raise ValueError("a state shifts $END")
        self._methods: dict[type, tuple[Any, ...]] = {}

    def _methods_back(self, builder_type: type) -> tuple[Any, ...]:
        """The builder's function per rule (None for a rule that gets no node), backwards as
        `_rules_back`; looked up once per builder class rather than per node."""
        methods = self._methods.get(builder_type)
        if methods is None:
            methods = self._methods[builder_type] = tuple(
                getattr(builder_type, r.name, None) if r.name else None for r in self._rules_back
            )
        return methods

    def parse(
        self, tokens: Callable[[Callable[[], dict[str, Any]]], Iterable[Any]], builder: Any
    ) -> Any:
        """Run the loop over `tokens(accepts)`; `accepts()` is the current state's action row
        (what a contextual lexer needs). A token has `type` and `pos` (its 7-tuple above). A
        rule's node is `builder.<rule>(range, children)`. Returns the start rule's value, or
        None."""
        states, end = self.states, self.end
        rules_back = self._rules_back
        methods_back = self._methods_back(type(builder))
        state_stack: list[int] = [self.start]
        values: list[Any] = []
        poses: list[Any] = []

        def accepts() -> dict[str, int]:
            return states[state_stack[-1]]

        for tok in chain(tokens(accepts), _END):
            kind = tok.type
            while True:
                action = states[state_stack[-1]].get(kind)
                if action is None:
                    if kind == "$END" and state_stack[-1] == end:
                        return values[-1]
                    return None
                if action >= 0:
                    state_stack.append(action)
                    values.append(tok)
                    poses.append(tok.pos)
                    break
                rule = rules_back[action]
                mode = rule.mode
                if mode == _UNIT:
                    pos = poses[-1]
                    values[-1] = ([values[-1]], [pos])
                    if pos is None:
                        poses[-1] = ()
                    state_stack[-1] = states[state_stack[-2]][rule.origin]
                    continue
                if mode == _NODE1:
                    pos = poses[-1]
                    pos = poses[-1] = pos[:6] if pos else ()
                    values[-1] = methods_back[action](builder, pos, [values[-1]])
                    state_stack[-1] = states[state_stack[-2]][rule.origin]
                    continue
                if mode in (_GROW, _GROW_SPLICED):
                    item, item_pos = values.pop(), poses.pop()
                    del state_stack[-1]
                    grown, grown_poses = values[-1]
                    if mode == _GROW:
                        grown.append(item)
                        grown_poses.append(item_pos)
                    else:
                        grown += item[0]
                        grown_poses += item[1]
                    first = poses[-1] or item_pos
                    last = item_pos or first
                    poses[-1] = (first[0], first[1], first[2], last[3], last[4], last[5]) if first else ()
                    state_stack[-1] = states[state_stack[-2]][rule.origin]
                    continue
                size = rule.size
                if size:
                    raw_values = values[-size:]
                    raw_poses = poses[-size:]
                    del state_stack[-size:], values[-size:], poses[-size:]
                else:
                    raw_values, raw_poses = [], []
                if rule.identity:
                    kept, kept_poses = raw_values, raw_poses
                elif mode == _NODE:
                    kept = []
                    for i, splice, nones in rule.include:
                        if nones:
                            kept += [None] * nones
                        if splice:
                            kept += raw_values[i][0]
                        else:
                            kept.append(raw_values[i])
                    if rule.trailing_nones:
                        kept += [None] * rule.trailing_nones
                else:
                    include = rule.include
                    if rule.extends_first:
                        kept, kept_poses = raw_values[0]
                        include = include[1:]
                    else:
                        kept, kept_poses = [], []
                    for i, splice, nones in include:
                        if nones:
                            kept += [None] * nones
                            kept_poses += [None] * nones
                        if splice:
                            inlined_values, inlined_poses = raw_values[i]
                            kept += inlined_values
                            kept_poses += inlined_poses
                        else:
                            kept.append(raw_values[i])
                            kept_poses.append(raw_poses[i])
                    if rule.trailing_nones:
                        kept += [None] * rule.trailing_nones
                        kept_poses += [None] * rule.trailing_nones
                if size:
                    first = raw_poses[0]
                    if not first:
                        first = next((p for p in raw_poses if p), None)
                    last = raw_poses[-1]
                    if not last:
                        last = next((p for p in reversed(raw_poses) if p), None)
                    pos = (first[0], first[1], first[2], last[3], last[4], last[5]) if first else ()
                else:
                    pos = ()
                if rule.expand1 and len(kept) == 1:
                    value = kept[0]
                    own = kept_poses[0]
                    if own is None or len(own) == 7:
                        pos = own  # a placeholder or a token: Lark hands it up as it is
                    elif not own and pos:
                        raise _Bail  # Lark would give this node its positions after building it
                elif rule.name:
                    value = methods_back[action](builder, pos, kept)
                else:
                    value = (kept, kept_poses)
                state_stack.append(states[state_stack[-1]][rule.origin])
                values.append(value)
                poses.append(pos)
        return None  # not reached: the loop returns at `$END`
