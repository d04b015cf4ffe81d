"""Compat layer: ECMA-262 patterns as Python regexes, and bounded regular-language questions.

In: `pattern` strings. Out: compiled `re` patterns (None when Python cannot express one), the
shortest match length, sample matches, inclusion and overlap answers True/False/None. The
automata are our own (parsed with `interegular`), built and explored under fixed caps on
states and steps: past a cap the answer is None (undecided), never a long wait. One
`compare` shares one budget of steps across all its questions (`budget()`), so a schema with
many patterns cannot multiply the per-question cap.
"""

from __future__ import annotations

import re
import string
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

__all__ = [
    "MAX_POSITIONS",
    "MAX_STATES",
    "MAX_WORK",
    "TOTAL_WORK",
    "budget",
    "compile_pattern",
    "forget_answers",
    "includes",
    "min_match_length",
    "overlaps",
    "sample_strings",
    "search",
    "undecided_reason",
]

# caps on the automata: character positions after expanding counted repetitions, and DFA
# (or product) states explored per question; deterministic, so results are reproducible
MAX_POSITIONS = 2_000
MAX_STATES = 5_000
# NFA-state expansions per question (the sum of the explored subsets' sizes): a few deep,
# wide subsets cost as much as many small ones
MAX_WORK = 1_000_000
MAX_SAMPLE_STEPS = 300
# steps for all the inclusion and overlap questions of one comparison together
TOTAL_WORK = 3_000_000
_BUDGET: ContextVar[list[int] | None] = ContextVar("routinec_regex_budget", default=None)


@contextmanager
def budget(total: int = TOTAL_WORK) -> Iterator[None]:
    """Share `total` steps among every question asked inside (one `compare`)."""
    token = _BUDGET.set([total])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _spent() -> bool:
    left = _BUDGET.get()
    return left is not None and left[0] < 0

_CONTROL = re.compile(r"\\c([A-Za-z])")
_NAMED = re.compile(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>")
_UNICODE = re.compile(r"\\u\{([0-9A-Fa-f]+)\}")


def translate(pattern: str) -> str:
    """Rewrite the ECMA-262 escapes that Python's `re` spells differently."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group(1).upper()) % 32:02x}", pattern)
    out = _NAMED.sub(r"(?P<\1>", out)
    out = _UNICODE.sub(lambda m: f"\\U{int(m.group(1), 16):08x}", out)
    return out


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(translate(pattern))
    except (re.error, OverflowError, RecursionError):
        return None


# -- the tree: ("set", chars, negated) | ("cat", parts) | ("alt", options) | ("rep", x, lo, hi)
Tree = tuple[Any, ...]
_DOT: Tree = ("set", frozenset("\n"), True)
# what an unanchored side may have around the match: any characters, line breaks included
_ANY_STAR: Tree = ("rep", ("set", frozenset(), True), 0, None)
_NEWLINE_OPT: Tree = ("rep", ("set", frozenset("\n"), False), 0, 1)


class _TooBig(Exception):
    """The pattern is outside the supported subset or over a cap."""


def _split_top(body: str) -> list[str]:
    """Split at top-level `|` (outside groups and classes), respecting escapes."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(body):
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


def _convert(node: Any) -> Tree:
    from interegular import patterns as p

    if isinstance(node, p._CharGroup):
        return ("set", node.chars, node.negated)
    if isinstance(node, p._Repeated):
        return ("rep", _convert(node.base), node.min, node.max)
    if isinstance(node, p._Concatenation):
        if any(isinstance(part, p._NonCapturing) for part in node.parts):
            raise _TooBig("lookaround")
        return ("cat", tuple(_convert(part) for part in node.parts))
    if isinstance(node, p.Pattern):
        if node.added_flags or node.removed_flags:
            raise _TooBig("flags")
        return ("alt", tuple(_convert(option) for option in node.options))
    name = type(node).__name__
    if name == "__DotCls":
        return _DOT
    if name == "__EmptyCls":
        return ("cat", ())
    raise _TooBig(name)


@lru_cache(maxsize=1024)
def _tree(pattern: str) -> Tree | None:
    """The language of strings `pattern` finds a match in (unanchored search semantics)."""
    try:
        import interegular
    except ImportError:  # optional: without it pattern questions stay undecided
        return None
    options: list[Tree] = []
    try:
        for option in _split_top(translate(pattern)):
            head = option.startswith("^")
            tail = option.endswith("$") and not option.endswith("\\$")
            core = option[1 if head else 0 : len(option) - 1 if tail else len(option)]
            parsed = _convert(interegular.parse_pattern(core)) if core else ("cat", ())
            before = () if head else (_ANY_STAR,)
            # `$` as Python's re (and so jsonschema, which confirms counterexamples) reads
            # it: the end, or just before a final line break
            after = (_NEWLINE_OPT,) if tail else (_ANY_STAR,)
            options.append(("cat", (*before, parsed, *after)))
    except (_TooBig, RecursionError):
        return None
    except Exception:  # interegular rejects backrefs, anchors inside, \b, \p{...}
        return None
    return options[0] if len(options) == 1 else ("alt", tuple(options))


def _min_len(tree: Tree) -> int:
    kind = tree[0]
    if kind == "set":
        return 1
    if kind == "cat":
        return sum(_min_len(t) for t in tree[1])
    if kind == "alt":
        return min((_min_len(t) for t in tree[1]), default=0)
    return int(tree[2]) * _min_len(tree[1])


@lru_cache(maxsize=1024)
def min_match_length(pattern: str) -> int:
    """A lower bound on the length of the strings `pattern` matches (0 when unknown).

    Read off the parse tree, so a counted repetition costs nothing however large it is.
    """
    tree = _tree(pattern)
    if tree is None:
        return 0
    try:
        return _min_len(tree)
    except RecursionError:
        return 0


# -- Thompson NFA under a position cap ---------------------------------------------------


@dataclass
class _Nfa:
    sets: list[tuple[frozenset[str], bool]]  # the character classes, by index
    edges: list[list[tuple[int, int]]]  # state -> [(class index, target)]
    eps: list[list[int]]  # state -> epsilon targets
    start: int = 0
    accept: int = 0

    def state(self) -> int:
        self.edges.append([])
        self.eps.append([])
        return len(self.edges) - 1

    def closure(self, states: frozenset[int] | set[int]) -> frozenset[int]:
        out: set[int] = set()
        for s in states:
            out |= self.eclose(s)
        return frozenset(out)

    def eclose(self, state: int) -> frozenset[int]:
        """The epsilon closure of one state, memoised."""
        memo: dict[int, frozenset[int]] = self.__dict__.setdefault("_eclose", {})
        found = memo.get(state)
        if found is None:
            seen = {state}
            stack = [state]
            while stack:
                for nxt in self.eps[stack.pop()]:
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
            found = memo[state] = frozenset(seen)
        return found

    def distances(self) -> list[int]:
        """Per state, the fewest characters that lead to the accepting state (0-1 BFS)."""
        memo: list[int] | None = self.__dict__.get("_dist")
        if memo is not None:
            return memo
        back: list[list[tuple[int, int]]] = [[] for _ in self.edges]
        for src, edges in enumerate(self.edges):
            for _, target in edges:
                back[target].append((src, 1))
        for src, targets in enumerate(self.eps):
            for target in targets:
                back[target].append((src, 0))
        far = len(self.edges) + 1
        dist = [far] * len(self.edges)
        dist[self.accept] = 0
        queue = deque([self.accept])
        while queue:
            s = queue.popleft()
            for src, cost in back[s]:
                if dist[s] + cost < dist[src]:
                    dist[src] = dist[s] + cost
                    if cost:
                        queue.append(src)
                    else:
                        queue.appendleft(src)
        self.__dict__["_dist"] = dist
        return dist


def _size(tree: Tree, budget: int) -> int:
    kind = tree[0]
    if kind == "set":
        return 1
    if kind in ("cat", "alt"):
        total = 0
        for sub in tree[1]:
            total += _size(sub, budget)
            if total > budget:
                raise _TooBig("size")
        return total
    copies: int = max(tree[2], tree[3] if tree[3] is not None else tree[2] + 1, 1)
    if copies > budget:
        raise _TooBig("size")
    total = copies * _size(tree[1], budget)
    if total > budget:
        raise _TooBig("size")
    return total


def _build(nfa: _Nfa, tree: Tree, src: int) -> int:
    """Add `tree` after state `src`; return its end state."""
    kind = tree[0]
    if kind == "set":
        nfa.sets.append((tree[1], tree[2]))
        end = nfa.state()
        nfa.edges[src].append((len(nfa.sets) - 1, end))
        return end
    if kind == "cat":
        for sub in tree[1]:
            src = _build(nfa, sub, src)
        return src
    if kind == "alt":
        end = nfa.state()
        for sub in tree[1]:
            begin = nfa.state()
            nfa.eps[src].append(begin)
            nfa.eps[_build(nfa, sub, begin)].append(end)
        return end
    sub, low, high = tree[1], tree[2], tree[3]
    for _ in range(low):
        src = _build(nfa, sub, src)
    if high is None:
        begin = nfa.state()
        nfa.eps[src].append(begin)
        back = _build(nfa, sub, begin)
        nfa.eps[back].append(begin)
        return begin
    ends = [src]
    for _ in range(high - low):
        src = _build(nfa, sub, src)
        ends.append(src)
    end = nfa.state()
    for e in ends:
        nfa.eps[e].append(end)
    return end


@lru_cache(maxsize=256)
def _nfa(pattern: str) -> _Nfa | None:
    tree = _tree(pattern)
    if tree is None:
        return None
    try:
        _size(tree, MAX_POSITIONS)
        nfa = _Nfa([], [], [])
        nfa.start = nfa.state()
        nfa.accept = _build(nfa, tree, nfa.start)
    except (_TooBig, RecursionError):
        return None
    return nfa


def _prefer(c: str) -> tuple[bool, bool, int]:
    return (not c.isalnum(), not c.isprintable(), ord(c))


class _Alphabet:
    """The characters the classes of some NFAs tell apart, grouped; one representative each."""

    def __init__(self, nfas: tuple[_Nfa, ...]) -> None:
        sets = [s for nfa in nfas for s in nfa.sets]
        ids = {chars: i for i, chars in enumerate(dict.fromkeys(s[0] for s in sets))}
        sig: dict[str, set[int]] = {}
        for chars, i in ids.items():
            for c in chars:
                sig.setdefault(c, set()).add(i)
        groups: dict[frozenset[int], list[str]] = {}
        for c, members in sig.items():
            groups.setdefault(frozenset(members), []).append(c)
        explicit = set(sig)
        candidates = chain(string.ascii_letters + string.digits, map(chr, range(0x100, 0x110000)))
        other = next(c for c in candidates if c not in explicit)
        self.symbols: list[tuple[str, frozenset[int]]] = [(other, frozenset())]
        self.symbols += sorted(
            ((min(chars, key=_prefer), members) for members, chars in groups.items()),
            key=lambda item: _prefer(item[0]),
        )
        self.ids = ids
        self._succ: dict[int, dict[int, list[tuple[int, frozenset[int]]]]] = {}

    def moves(self, nfa: _Nfa, states: frozenset[int]) -> list[frozenset[int]]:
        """The closure after each symbol, in symbol order."""
        succ = self._succ.setdefault(id(nfa), {})
        out: list[set[int]] = [set() for _ in self.symbols]
        for s in states:
            per = succ.get(s)
            if per is None:
                per = succ[s] = self._step(nfa, s)
            for k, targets in per:
                out[k] |= targets
        return [frozenset(x) for x in out]

    def _step(self, nfa: _Nfa, state: int) -> list[tuple[int, frozenset[int]]]:
        """For one NFA state: per symbol index, the closure of its targets (if any)."""
        out = []
        for k, (_, members) in enumerate(self.symbols):
            targets: set[int] = set()
            for cls, target in nfa.edges[state]:
                chars, negated = nfa.sets[cls]
                if (self.ids[chars] in members) != negated:
                    targets |= nfa.eclose(target)
            if targets:
                out.append((k, frozenset(targets)))
        return out


def _explore(patterns: tuple[str, ...], goal: Any) -> tuple[bool | None, str]:
    """BFS over tuples of DFA states of the patterns' NFAs, up to MAX_STATES.

    Returns (True, witness) when a reachable tuple satisfies `goal`, (False, "") when none
    does, and (None, "") when an NFA is unavailable or the cap was reached first.
    """
    nfas = tuple(_nfa(p) for p in patterns)
    if any(n is None for n in nfas):
        return None, ""
    machines: tuple[_Nfa, ...] = tuple(n for n in nfas if n is not None)
    alphabet = _Alphabet(machines)
    first = tuple(n.closure({n.start}) for n in machines)
    seen = {first: ""}
    queue = deque([first])
    work = 0
    shared = _BUDGET.get()
    while queue:
        current = queue.popleft()
        text = seen[current]
        cost = sum(len(s) for s in current)
        work += cost
        if shared is not None:
            shared[0] -= cost
            if shared[0] < 0:
                return None, ""
        if work > MAX_WORK:
            return None, ""
        if goal(tuple(n.accept in s for n, s in zip(machines, current, strict=True))):
            return True, text
        steps = [alphabet.moves(n, s) for n, s in zip(machines, current, strict=True)]
        for k, (char, _) in enumerate(alphabet.symbols):
            nxt = tuple(step[k] for step in steps)
            if nxt not in seen:
                if len(seen) >= MAX_STATES:
                    return None, ""
                seen[nxt] = text + char
                queue.append(nxt)
    return False, ""


def undecided_reason(*patterns: str) -> str:
    """Why a question about these patterns got None: outside the subset, or over a cap."""
    for pattern in patterns:
        if _tree(pattern) is None:
            return (
                f"pattern {pattern!r} uses features the engine does not decide "
                "(lookaround, backreference, \\b, \\p{...} or flags)"
            )
        if _nfa(pattern) is None:
            return f"pattern {pattern!r} expands past {MAX_POSITIONS} automaton positions"
    if _spent():
        return f"this comparison's {TOTAL_WORK} steps of pattern questions are spent"
    return f"deciding inclusion needs more than {MAX_STATES} automaton states or {MAX_WORK} steps"


# Answers are cached across comparisons, except an undecided one that only ran out of the
# shared budget: the next comparison, with a budget of its own, may decide it.
_ANSWERS: dict[tuple[str, str, str], bool | None] = {}


def forget_answers() -> None:
    """Drop the cached answers (after the caps changed, in tests)."""
    _ANSWERS.clear()


def _cached(kind: str, a: str, b: str, ask: Any) -> bool | None:
    key = (kind, a, b)
    if key in _ANSWERS:
        return _ANSWERS[key]
    answer: bool | None = ask()
    if answer is not None or not _spent():
        if len(_ANSWERS) >= 4096:
            _ANSWERS.clear()
        _ANSWERS[key] = answer
    return answer


def includes(outer: str, inner: str) -> bool | None:
    """Does every string matching `inner` also match `outer`? None when undecided here."""
    if outer == inner:
        return True

    def ask() -> bool | None:
        found, _ = _explore((inner, outer), lambda acc: acc[0] and not acc[1])
        return None if found is None else not found

    return _cached("includes", outer, inner, ask)


def overlaps(a: str, b: str) -> bool | None:
    return _cached("overlaps", a, b, lambda: _explore((a, b), lambda acc: acc[0] and acc[1])[0])


def _shortest(nfa: _Nfa, alphabet: _Alphabet) -> str | None:
    """One shortest match, walking towards the accepting state by the distance table."""
    dist = nfa.distances()
    states = nfa.closure({nfa.start})
    far = len(nfa.edges) + 1
    text = ""
    work = 0
    while nfa.accept not in states:
        work += len(states)
        if work > MAX_WORK:
            return None
        best = min(
            (min((dist[s] for s in nxt), default=far), k, nxt)
            for k, nxt in enumerate(alphabet.moves(nfa, states))
            if nxt
        )
        if best[0] >= far:
            return None
        text += alphabet.symbols[best[1]][0]
        states = best[2]
    return text


@lru_cache(maxsize=1024)
def _samples(pattern: str, limit: int) -> tuple[str, ...]:
    nfa = _nfa(pattern)
    if nfa is None:
        return ()
    alphabet = _Alphabet((nfa,))
    shortest = _shortest(nfa, alphabet)
    if shortest is None:
        return ()
    found = [shortest]
    first = nfa.closure({nfa.start})
    visits: dict[frozenset[int], int] = {first: 1}
    queue = deque([(first, "")])
    steps = 0
    while queue and len(found) < limit and steps < MAX_SAMPLE_STEPS:
        states, text = queue.popleft()
        steps += 1
        if nfa.accept in states and text not in found:
            found.append(text)
        for (char, _), nxt in zip(alphabet.symbols, alphabet.moves(nfa, states), strict=True):
            if nxt and visits.get(nxt, 0) < 2:
                visits[nxt] = visits.get(nxt, 0) + 1
                queue.append((nxt, text + char))
    return tuple(found)


def sample_strings(pattern: str, limit: int = 4) -> list[str]:
    """A few short strings that match `pattern` (checked with `re`), shortest first."""
    compiled = compile_pattern(pattern)
    if compiled is None:
        return []
    return [text for text in _samples(pattern, limit) if search(pattern, text)]


def search(pattern: str, text: str) -> bool | None:
    """Does `pattern` match somewhere in `text`? None when Python cannot run the pattern.

    Patterns with a repeated group (`(a+)+b`) can backtrack exponentially in `re`: those run
    on our NFA instead, in time linear in the text.
    """
    nfa = _nfa(pattern) if _nested(pattern) else None
    if nfa is not None:
        # the NFA's language is the whole strings the pattern finds a match in (an
        # unanchored side carries its own `.*`), so membership is decided at the end
        states = nfa.closure({nfa.start})
        for c in text:
            nxt: set[int] = set()
            for s in states:
                for cls, target in nfa.edges[s]:
                    chars, negated = nfa.sets[cls]
                    if (c in chars) != negated:
                        nxt.add(target)
            if not nxt:
                return False
            states = nfa.closure(nxt)
        return nfa.accept in states
    compiled = compile_pattern(pattern)
    if compiled is None:
        return None
    return compiled.search(text) is not None


@lru_cache(maxsize=1024)
def _nested(pattern: str) -> bool:
    """Does the pattern repeat a group (not a single character class)?"""
    tree = _tree(pattern)
    if tree is None:
        return False
    stack = [tree]
    while stack:
        node = stack.pop()
        if node[0] == "rep":
            if node[1][0] != "set" and node[3] != node[2] and node[3] != 1:
                return True
            stack.append(node[1])
        elif node[0] in ("cat", "alt"):
            stack.extend(node[1])
    return False
